using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Sluice.Transport;

namespace Sluice.Tests.Transport;

public class PooledValueTaskBuilderTests
{
    private static readonly AsyncLocal<string?> Flow = new();

    [Fact]
    public async Task Result_OfAMethodThatDoesNotSuspend_IsThereAtOnce()
    {
        var task = Twice(21, gate: null);
        Assert.True(task.IsCompletedSuccessfully);
        Assert.Equal(42, await task);
    }

    [Fact]
    public async Task Result_AfterSuspensions_ComesThroughEachTime()
    {
        var gate = new Gate();
        for (var i = 0; i < 3; i++)
        {
            var task = Twice(i, gate);
            Assert.False(task.IsCompleted);
            gate.Open();
            Assert.True(task.IsCompleted);
            Assert.Equal(2 * i, await task);
        }
    }

    [Fact]
    public async Task Exceptions_BeforeAndAfterSuspension_ReachTheCaller()
    {
        var early = Throwing(suspendFirst: null);
        Assert.True(early.IsFaulted);
        Assert.Equal("early", (await Assert.ThrowsAsync<InvalidOperationException>(async () => await early)).Message);

        var gate = new Gate();
        var late = Throwing(gate);
        gate.Open();
        Assert.Equal("late", (await Assert.ThrowsAsync<InvalidOperationException>(async () => await late)).Message);

        var voidGate = new Gate();
        var untyped = ThrowingUntyped(voidGate);
        voidGate.Open();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await untyped);
    }

    [Fact]
    public async Task ExecutionContext_FlowsIntoTheContinuation_AndChangesStayInside()
    {
        var gate = new Gate();
        Flow.Value = "caller";
        var task = ReadFlowAfter(gate);
        Flow.Value = "changed by the caller meanwhile";
        gate.Open();
        Assert.Equal("caller", await task);
        Assert.Equal("changed by the caller meanwhile", Flow.Value);
    }

    [Fact]
    public async Task UntypedMethod_CompletesSynchronouslyOrAfterSuspension()
    {
        var synchronous = Untyped(null);
        Assert.True(synchronous.IsCompletedSuccessfully);
        await synchronous;
        var gate = new Gate();
        var task = Untyped(gate);
        Assert.False(task.IsCompleted);
        gate.Open();
        await task;
    }

    [Fact]
    public void SuspendingCalls_ManyAtOnce_OnceWarm_AllocateNothing()
    {
        // Eight suspended at once: more than the runtime's pooling builder keeps (one per thread, one per core).
        var gate = new Gate();
        var pending = new ValueTask<int>[8];
        RunBatch(gate, pending);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            RunBatch(gate, pending);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Boxes_TakenOnOneThreadAndGivenBackOnAnother_ServeLaterCallsRightly()
    {
        // More calls than a thread keeps boxes for: the rest go through the shared pool, and each thread's own
        // boxes are taken again by the calls it starts next.
        const int Calls = 300;
        var gate = new Gate();
        var pending = new ValueTask<int>[Calls];
        for (var round = 0; round < 4; round++)
        {
            var offset = round * Calls;
            var startHere = round % 2 == 0;
            void Start() => StartCalls(gate, pending, offset);
            void Finish() => FinishCalls(gate, pending, offset);
            if (startHere)
            {
                Start();
                OnOtherThread(Finish);
            }
            else
            {
                OnOtherThread(Start);
                Finish();
            }
        }
    }

    private static void OnOtherThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
    }

#pragma warning disable CA2012 // Calls are held pending on purpose; each is consumed exactly once.
    private static void StartCalls(Gate gate, ValueTask<int>[] pending, int offset)
    {
        for (var i = 0; i < pending.Length; i++)
        {
            pending[i] = Twice(offset + i, gate);
        }
    }

    private static void FinishCalls(Gate gate, ValueTask<int>[] pending, int offset)
    {
        for (var i = 0; i < pending.Length; i++)
        {
            gate.Open();
        }

        for (var i = 0; i < pending.Length; i++)
        {
            Assert.Equal(2 * (offset + i), pending[i].GetAwaiter().GetResult());
        }
    }
#pragma warning restore CA2012

#pragma warning disable CA2012 // Several calls are held pending on purpose; each is consumed exactly once.
    private static void RunBatch(Gate gate, ValueTask<int>[] pending)
    {
        for (var i = 0; i < pending.Length; i++)
        {
            pending[i] = Twice(i, gate);
        }

        var untyped = Untyped(gate);
        for (var i = 0; i <= pending.Length; i++)
        {
            gate.Open();
        }

        for (var i = 0; i < pending.Length; i++)
        {
            if (pending[i].GetAwaiter().GetResult() != 2 * i)
            {
                throw new InvalidOperationException("wrong result");
            }
        }

        untyped.GetAwaiter().GetResult();
    }
#pragma warning restore CA2012

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private static async ValueTask<int> Twice(int value, Gate? gate)
    {
        if (gate is not null)
        {
            await gate.WaitAsync();
        }

        return 2 * value;
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private static async ValueTask Untyped(Gate? gate)
    {
        if (gate is not null)
        {
            await gate.WaitAsync();
        }
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private static async ValueTask<int> Throwing(Gate? suspendFirst)
    {
        if (suspendFirst is null)
        {
            throw new InvalidOperationException("early");
        }

        await suspendFirst.WaitAsync();
        throw new InvalidOperationException("late");
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private static async ValueTask ThrowingUntyped(Gate gate)
    {
        await gate.WaitAsync();
        throw new InvalidOperationException("late");
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private static async ValueTask<string?> ReadFlowAfter(Gate gate)
    {
        await gate.WaitAsync();
        var seen = Flow.Value;
        Flow.Value = "changed inside";
        return seen;
    }

    /// <summary>A reusable awaitable whose waiters resume synchronously, in order, one per <see cref="Open"/>.</summary>
    private sealed class Gate : IValueTaskSource
    {
        private readonly Queue<(Action<object?> Continuation, object? State)> _waiting = new(4);

        public ValueTask WaitAsync() => new(this, 0);

        public void Open()
        {
            var (continuation, state) = _waiting.Dequeue();
            continuation(state);
        }

        public ValueTaskSourceStatus GetStatus(short token) => ValueTaskSourceStatus.Pending;

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _waiting.Enqueue((continuation, state));

        public void GetResult(short token)
        {
        }
    }
}
