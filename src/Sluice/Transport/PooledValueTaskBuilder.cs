using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Sluice.Transport;

#pragma warning disable CA1822 // The compiler calls a method builder's members on the instance, static or not.

/// <summary>
/// The method builder of the request path's async methods (<c>[AsyncMethodBuilder(typeof(PooledValueTaskBuilder&lt;&gt;))]</c>):
/// a method that suspends lives in a box taken from a pool of boxes of its own kind, and the box goes back when
/// its result has been read, so a request allocates none. The runtime's pooling builder keeps one box per thread
/// and one per core: with a few dozen connections between their awaits, each request dropped and allocated
/// several (1.5 KB per request on the HTTP/1 path, measured with `bench/e2e/run.sh --alloc`). Each thread keeps up
/// to 128 boxes of a kind for itself (an event loop takes and gives back its boxes without atomic operations);
/// beyond them a shared queue holds up to 4096.
/// </summary>
internal struct PooledValueTaskBuilder<TResult>
{
    private PooledTaskBox<TResult>? _box;
    private Exception? _exception;
    private TResult _result;

    public static PooledValueTaskBuilder<TResult> Create() => default;

    public readonly ValueTask<TResult> Task =>
        _box is { } box ? new ValueTask<TResult>(box, box.Version)
        : _exception is { } exception ? ValueTask.FromException<TResult>(exception)
        : new ValueTask<TResult>(_result);

    // The runtime's Start saves and restores the caller's execution and synchronization contexts around the first run.
    public readonly void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine =>
        AsyncValueTaskMethodBuilder<TResult>.Create().Start(ref stateMachine);

    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    public void SetResult(TResult result)
    {
        if (_box is null)
        {
            _result = result;
        }
        else
        {
            _box.SetResult(result);
        }
    }

    public void SetException(Exception exception)
    {
        if (_box is null)
        {
            _exception = exception;
        }
        else
        {
            _box.SetException(exception);
        }
    }

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        awaiter.OnCompleted(BoxOf(ref stateMachine).MoveNextAction);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        awaiter.UnsafeOnCompleted(BoxOf(ref stateMachine).MoveNextAction);

    /// <summary>The box of a method that suspended; null while it has not.</summary>
    internal readonly PooledTaskBox<TResult>? Box => _box;

    /// <summary>What a method that never suspended threw.</summary>
    internal readonly Exception? Exception => _exception;

    /// <summary>
    /// The box of the running method, taken from the pool at its first suspension. The box's field is set in this
    /// builder before the state machine (which holds this builder) is copied into the box, so that both copies,
    /// the caller's on the stack and the one that runs on, complete the same box.
    /// </summary>
    private PooledTaskBox<TResult, TStateMachine> BoxOf<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        var context = ExecutionContext.Capture();
        if (_box is PooledTaskBox<TResult, TStateMachine> box)
        {
            box.Context = context;
            return box;
        }

        box = PooledTaskBox<TResult, TStateMachine>.Rent();
        _box = box;
        box.Context = context;
        box.StateMachine = stateMachine;
        return box;
    }
}

/// <summary><see cref="PooledValueTaskBuilder{TResult}"/> for methods returning <see cref="ValueTask"/>.</summary>
internal struct PooledValueTaskBuilder
{
    private PooledValueTaskBuilder<bool> _inner;

    public static PooledValueTaskBuilder Create() => default;

    public readonly ValueTask Task =>
        _inner.Box is { } box ? new ValueTask(box, box.Version)
        : _inner.Exception is { } exception ? ValueTask.FromException(exception)
        : default;

    public readonly void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine =>
        _inner.Start(ref stateMachine);

    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    public void SetResult() => _inner.SetResult(true);

    public void SetException(Exception exception) => _inner.SetException(exception);

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        _inner.AwaitOnCompleted(ref awaiter, ref stateMachine);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine =>
        _inner.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}

/// <summary>The completion of a suspended method: a reusable value task source, whatever the state machine.</summary>
internal abstract class PooledTaskBox<TResult> : IValueTaskSource<TResult>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<TResult> _core;

    public short Version => _core.Version;

    public void SetResult(TResult result) => _core.SetResult(result);

    public void SetException(Exception exception) => _core.SetException(exception);

    public TResult GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _core.Reset();
            Recycle();
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Forgets the finished method and goes back to the pool.</summary>
    protected abstract void Recycle();
}

/// <summary>The box of one kind of async method: its state machine, and the pool of such boxes.</summary>
internal sealed class PooledTaskBox<TResult, TStateMachine> : PooledTaskBox<TResult>
    where TStateMachine : IAsyncStateMachine
{
    /// <summary>Boxes kept per kind of method: more than the methods of that kind suspended at once under load.</summary>
    private const int MaxPooled = 4096;

    /// <summary>Boxes kept per kind of method by each thread, before the shared pool.</summary>
    private const int MaxPerThread = 128;

    private static readonly ConcurrentQueue<PooledTaskBox<TResult, TStateMachine>> Pool = new();
    private static readonly ContextCallback RunInContext = static box => ((PooledTaskBox<TResult, TStateMachine>)box!).StateMachine!.MoveNext();
    private static int s_pooled;

    [ThreadStatic]
    private static PooledTaskBox<TResult, TStateMachine>?[]? t_local;

    [ThreadStatic]
    private static int t_localCount;

    public TStateMachine? StateMachine;
    public ExecutionContext? Context;

    private PooledTaskBox()
    {
        MoveNextAction = MoveNext;
    }

    /// <summary>Resumes the method, in the execution context it suspended in.</summary>
    public Action MoveNextAction { get; }

    public static PooledTaskBox<TResult, TStateMachine> Rent()
    {
        // A box nearly always goes back on the thread that took it (an event loop): that thread's own few first,
        // without the shared queue's atomic operations.
        if (t_local is { } local && t_localCount > 0)
        {
            var mine = local[--t_localCount]!;
            local[t_localCount] = null;
            return mine;
        }

        if (Pool.TryDequeue(out var box))
        {
            Interlocked.Decrement(ref s_pooled);
            return box;
        }

        return new PooledTaskBox<TResult, TStateMachine>();
    }

    private void MoveNext()
    {
        if (Context is { } context)
        {
            ExecutionContext.Run(context, RunInContext, this);
        }
        else
        {
            StateMachine!.MoveNext();
        }
    }

    protected override void Recycle()
    {
        StateMachine = default;
        Context = null;
        var local = t_local ??= new PooledTaskBox<TResult, TStateMachine>?[MaxPerThread];
        if (t_localCount < local.Length)
        {
            local[t_localCount++] = this;
            return;
        }

        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            Pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }
    }
}
