using System.Threading.Tasks.Sources;

namespace Sluice.Backends;

/// <summary>How a wait in a queue ended.</summary>
internal enum QueueOutcome
{
    /// <summary>Not in a queue, or still waiting.</summary>
    None = 0,
    /// <summary>A server slot was handed over: <see cref="QueueWaiter.Server"/> holds it.</summary>
    Served = 1,
    /// <summary>`timeout queue` (else `timeout connect`) expired: HAProxy's `sQ`.</summary>
    TimedOut = 2,
    /// <summary>The client left or the transaction was killed; the cause is the transaction's.</summary>
    Aborted = 3,
}

/// <summary>
/// One request waiting for a server slot (HAProxy's pendconn). Each transaction owns one and reuses it for each
/// of its requests, so queueing allocates nothing; the awaitable is a <see cref="ManualResetValueTaskSourceCore{T}"/>.
/// </summary>
/// <remarks>
/// Threading: the links, <see cref="Server"/> and <see cref="Outcome"/> change only under the lock of the
/// <see cref="BackendQueues"/> that holds the waiter; the transaction reads them after the wait completed. The
/// heartbeat reads <see cref="DeadlineMs"/> and <see cref="IsQueued"/> without the lock to decide to cancel, and the
/// cancel re-checks under the lock.
/// </remarks>
internal sealed class QueueWaiter : IValueTaskSource<QueueOutcome>
{
    private ManualResetValueTaskSourceCore<QueueOutcome> _core = new() { RunContinuationsAsynchronously = true };
    private volatile PendingQueue? _queue;

    /// <summary>The queue's neighbours while queued; null otherwise.</summary>
    internal QueueWaiter? Next;
    internal QueueWaiter? Previous;

    /// <summary>The backend whose lock guards the queue this waiter is in.</summary>
    internal BackendQueues? Owner;

    /// <summary>Order of arrival across the queues of one backend: the oldest waiter is served first.</summary>
    internal long Ticket;

    internal PendingQueue? Queue
    {
        get => _queue;
        set => _queue = value;
    }

    /// <summary>When the wait expires, on the heartbeat's clock; <c>long.MaxValue</c> for no limit.</summary>
    public long DeadlineMs { get; internal set; } = long.MaxValue;

    public bool IsQueued => _queue is not null;

    /// <summary>The server whose slot this waiter got (<see cref="QueueOutcome.Served"/>).</summary>
    public ServerState? Server { get; private set; }

    public QueueOutcome Outcome { get; private set; }

    /// <summary>Requests that were ahead in the server's queue when this one entered it (log `srv_queue`).</summary>
    public int ServerQueuePosition { get; internal set; }

    /// <summary>Requests that were ahead in the backend's queue when this one entered it (log `backend_queue`).</summary>
    public int BackendQueuePosition { get; internal set; }

    /// <summary>Makes the waiter ready for a new wait.</summary>
    internal void Prepare(long deadlineMs)
    {
        _core.Reset();
        Server = null;
        Outcome = QueueOutcome.None;
        ServerQueuePosition = 0;
        BackendQueuePosition = 0;
        DeadlineMs = deadlineMs;
    }

    public ValueTask<QueueOutcome> WaitAsync() => new(this, _core.Version);

    /// <summary>Ends the wait; called under the owner's lock once the waiter left its queue.</summary>
    internal void Complete(QueueOutcome outcome, ServerState? server)
    {
        Server = server;
        Outcome = outcome;
        _core.SetResult(outcome);
    }

    QueueOutcome IValueTaskSource<QueueOutcome>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<QueueOutcome>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<QueueOutcome>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}

/// <summary>A FIFO of waiters, linked through the waiters themselves; guarded by its backend's queue lock.</summary>
internal sealed class PendingQueue
{
    private QueueWaiter? _head;
    private QueueWaiter? _tail;
    private int _count;

    private int _maxCount;

    /// <summary>Read without the lock by the paths that only need to know whether anybody waits.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The longest the queue has been (the stats' `qmax`), until `clear counters`.</summary>
    public int MaxCount => Volatile.Read(ref _maxCount);

    public void ClearMax() => Volatile.Write(ref _maxCount, Count);

    public QueueWaiter? Head => _head;

    public void Add(QueueWaiter waiter)
    {
        waiter.Queue = this;
        waiter.Next = null;
        waiter.Previous = _tail;
        if (_tail is null)
        {
            _head = waiter;
        }
        else
        {
            _tail.Next = waiter;
        }

        _tail = waiter;
        var count = Interlocked.Increment(ref _count);
        if (count > Volatile.Read(ref _maxCount))
        {
            // Under the queue lock: no other Add races this one.
            Volatile.Write(ref _maxCount, count);
        }
    }

    /// <summary>Puts <paramref name="waiter"/> in its place by ticket (arrival order), for a waiter that comes from another queue.</summary>
    public void InsertByTicket(QueueWaiter waiter)
    {
        var after = _tail;
        while (after is not null && after.Ticket > waiter.Ticket)
        {
            after = after.Previous;
        }

        if (after == _tail)
        {
            Add(waiter);
            return;
        }

        waiter.Queue = this;
        waiter.Previous = after;
        waiter.Next = after is null ? _head : after.Next;
        waiter.Next!.Previous = waiter;
        if (after is null)
        {
            _head = waiter;
        }
        else
        {
            after.Next = waiter;
        }

        var count = Interlocked.Increment(ref _count);
        if (count > Volatile.Read(ref _maxCount))
        {
            Volatile.Write(ref _maxCount, count);
        }
    }

    public void Remove(QueueWaiter waiter)
    {
        if (waiter.Previous is null)
        {
            _head = waiter.Next;
        }
        else
        {
            waiter.Previous.Next = waiter.Next;
        }

        if (waiter.Next is null)
        {
            _tail = waiter.Previous;
        }
        else
        {
            waiter.Next.Previous = waiter.Previous;
        }

        waiter.Next = null;
        waiter.Previous = null;
        waiter.Queue = null;
        Interlocked.Decrement(ref _count);
    }
}
