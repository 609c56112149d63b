namespace Sluice.Backends;

/// <summary>
/// The queues of one backend (HAProxy's queue.c): the backend's own queue, for requests any server may take, and
/// each server's queue (<see cref="ServerState.Queue"/>), for requests bound to that server. A request waits when
/// every server it may use is at its `maxconn`; a server that frees a slot hands it to the oldest waiter of its own
/// queue or of the backend's, whichever came first, without giving the slot back in between.
/// </summary>
/// <remarks>
/// One lock per backend guards every queue of the backend. It is taken only on the queue paths: entering a queue,
/// leaving it early, and freeing a slot while somebody waits. Requests that find a free slot never take it; a slot
/// release takes it only when <see cref="HasWaiters"/> says so.
/// </remarks>
internal sealed class BackendQueues
{
    private readonly Lock _lock = new();
    private readonly BackendState _backend;
    private long _tickets;

    public BackendQueues(BackendState backend) => _backend = backend;

    /// <summary>The backend's queue: requests that any eligible server may serve.</summary>
    public PendingQueue Shared { get; } = new();

    /// <summary>Requests waiting in any queue of this backend.</summary>
    public int TotalWaiting
    {
        get
        {
            var total = Shared.Count;
            foreach (var server in _backend.Servers)
            {
                total += server.Queue.Count;
            }

            return total;
        }
    }

    /// <summary>True when a slot freed on <paramref name="server"/> may be wanted by a waiter.</summary>
    public bool HasWaiters(ServerState server) => Shared.Count > 0 || server.Queue.Count > 0;

    /// <summary>
    /// Puts <paramref name="waiter"/> in <paramref name="server"/>'s queue, or the backend's when null, then serves
    /// what can be served at once (a slot may have been freed meanwhile). False when the server's `maxqueue` is
    /// reached: the waiter is not queued.
    /// </summary>
    public bool Enqueue(QueueWaiter waiter, ServerState? server, long deadlineMs)
    {
        waiter.Prepare(deadlineMs);
        lock (_lock)
        {
            var queue = server?.Queue ?? Shared;
            if (server is not null && server.Config.MaxQueue > 0 && queue.Count >= server.Config.MaxQueue)
            {
                return false;
            }

            if (server is null)
            {
                waiter.BackendQueuePosition = queue.Count;
            }
            else
            {
                waiter.ServerQueuePosition = queue.Count;
            }

            waiter.Ticket = ++_tickets;
            waiter.Owner = this;
            queue.Add(waiter);
            if (server is not null)
            {
                DrainLocked(server);
            }
            else
            {
                foreach (var candidate in _backend.Servers)
                {
                    if (!waiter.IsQueued)
                    {
                        break;
                    }

                    DrainLocked(candidate);
                }
            }
        }

        return true;
    }

    /// <summary>A slot of <paramref name="server"/> was given back while somebody waited: serve the oldest waiters it can take.</summary>
    public void OnSlotFreed(ServerState server)
    {
        lock (_lock)
        {
            DrainLocked(server);
        }
    }

    /// <summary>A server became usable: it takes what it can from the backend's queue.</summary>
    public void OnServerUp()
    {
        if (Shared.Count == 0)
        {
            return;
        }

        lock (_lock)
        {
            foreach (var server in _backend.Servers)
            {
                DrainLocked(server);
            }
        }
    }

    /// <summary>
    /// HAProxy's pendconn_redistribute: a server that goes down (or into maintenance) hands the requests waiting for
    /// it to the backend's queue, in their arrival order, where any server takes them; only with `option redispatch`
    /// and without `option persist`, which would keep them bound to it. Returns how many moved.
    /// </summary>
    public int Redistribute(ServerState server)
    {
        var config = _backend.Config;
        if (server.Queue.Count == 0 || config.Redispatch is null || config.Persist)
        {
            return 0;
        }

        var moved = 0;
        lock (_lock)
        {
            while (server.Queue.Head is { } waiter)
            {
                server.Queue.Remove(waiter);
                Shared.InsertByTicket(waiter);
                moved++;
            }

            foreach (var candidate in _backend.Servers)
            {
                DrainLocked(candidate);
            }
        }

        return moved;
    }

    /// <summary>Takes the waiter out of its queue and ends its wait with <paramref name="outcome"/>, unless it was served already.</summary>
    public void Cancel(QueueWaiter waiter, QueueOutcome outcome)
    {
        lock (_lock)
        {
            if (waiter.Queue is { } queue)
            {
                queue.Remove(waiter);
                waiter.Complete(outcome, null);
            }
        }
    }

    private void DrainLocked(ServerState server)
    {
        var takesShared = server.IsUsable && (!server.IsBackup || _backend.UsableActiveServers == 0);
        while (true)
        {
            var own = server.Queue.Head;
            var shared = takesShared ? Shared.Head : null;
            var next = own is null ? shared
                : shared is null ? own
                : own.Ticket < shared.Ticket ? own : shared;
            if (next is null || !server.TryAcquireForQueue())
            {
                return;
            }

            next.Queue!.Remove(next);
            next.Complete(QueueOutcome.Served, server);
        }
    }
}
