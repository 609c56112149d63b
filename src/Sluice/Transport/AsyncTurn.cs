using System.Threading.Tasks.Sources;

namespace Sluice.Transport;

/// <summary>
/// A turn that one holder at a time takes and may keep across awaits (an async mutex). Taken with one exchange when
/// it is free and nobody is in line, given back with another; only a wait takes the gate lock. The turn goes to the
/// waiters in the order they came, each resumed through <see cref="EventLoop.Defer"/> (after the events in hand on the
/// releasing loop, else on the thread pool), never inside the releaser's own call.
/// </summary>
internal sealed class AsyncTurn
{
    private readonly Lock _gate = new();
    private readonly Queue<Waiter> _line = new();
    private readonly Stack<Waiter> _spare = new();
    private int _taken;
    private int _waiting;

    /// <summary>Waiters in line (a holder may leave work to the next one).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Takes the turn at once when it is free and nobody is in line, else after the ones in line.</summary>
    public ValueTask TakeAsync()
    {
        if (Volatile.Read(ref _waiting) == 0 && Interlocked.CompareExchange(ref _taken, 1, 0) == 0)
        {
            return default;
        }

        Waiter waiter;
        lock (_gate)
        {
            // Counted before the second try: a holder that gives back after it sees the count and hands the turn over.
            Interlocked.Increment(ref _waiting);
            if (_line.Count == 0 && Interlocked.CompareExchange(ref _taken, 1, 0) == 0)
            {
                Interlocked.Decrement(ref _waiting);
                return default;
            }

            waiter = _spare.TryPop(out var spare) ? spare : new Waiter(this);
            waiter.Prepare();
            _line.Enqueue(waiter);
        }

        return new ValueTask(waiter, waiter.Version);
    }

    /// <summary>Gives the turn back, or to the first waiter in line.</summary>
    public void Give()
    {
        Interlocked.Exchange(ref _taken, 0);
        if (Volatile.Read(ref _waiting) == 0)
        {
            return;
        }

        Waiter? next = null;
        lock (_gate)
        {
            // A taker that came meanwhile may have the turn; it hands it over in its own Give.
            if (_line.Count > 0 && Interlocked.CompareExchange(ref _taken, 1, 0) == 0)
            {
                next = _line.Dequeue();
                Interlocked.Decrement(ref _waiting);
            }
        }

        if (next is not null)
        {
            EventLoop.Defer(next);
        }
    }

    private void Recycle(Waiter waiter)
    {
        lock (_gate)
        {
            _spare.Push(waiter);
        }
    }

    private sealed class Waiter(AsyncTurn turn) : IValueTaskSource, IThreadPoolWorkItem
    {
        private ManualResetValueTaskSourceCore<bool> _core;

        public short Version => _core.Version;

        public void Prepare() => _core.Reset();

        void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

        public void GetResult(short token)
        {
            _core.GetResult(token);

            // The awaiter is done with this waiter: it may serve a later wait.
            turn.Recycle(this);
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
