using System.Net;

namespace Sluice.Backends;

/// <summary>What <see cref="ServerAssignment.Assign"/> did.</summary>
internal enum AssignStatus
{
    /// <summary>A server slot is held.</summary>
    Assigned = 0,
    /// <summary>No server can take the request: 503 at once (`SC` with &lt;NOSRV&gt;).</summary>
    NoServer = 1,
    /// <summary>The request waits in a queue: await the waiter.</summary>
    Queued = 2,
    /// <summary>The server the request is bound to has its `maxqueue` reached: 503 `SQ`.</summary>
    QueueFull = 3,
}

/// <summary>
/// HAProxy's assign_server_and_queue: a request bound to a server by persistence takes a slot there or waits in
/// that server's queue; any other request asks the balancer, and waits in the backend's queue when every server is
/// at its `maxconn`. While the backend's queue is not empty a new request goes behind it (first come, first served).
/// </summary>
internal static class ServerAssignment
{
    /// <param name="pinned">The server a persistence cookie names, or null.</param>
    /// <param name="mayLeavePinned">`option redispatch`: a pinned request whose server queue is full goes to another server.</param>
    /// <param name="hash">The request's key for the hash-based algorithms (<see cref="Balancing.RequestHash"/>); null without one.</param>
    public static AssignStatus Assign(BackendState backend, IPAddress? clientAddress, ServerState? pinned, bool mayLeavePinned, QueueWaiter waiter, long deadlineMs, out ServerState? server, uint? hash = null)
    {
        server = null;
        if (pinned is not null)
        {
            if (pinned.TryAcquire())
            {
                server = pinned;
                return AssignStatus.Assigned;
            }

            if (backend.Queues.Enqueue(waiter, pinned, deadlineMs))
            {
                return AssignStatus.Queued;
            }

            if (!mayLeavePinned)
            {
                server = pinned;
                return AssignStatus.QueueFull;
            }
        }

        if (backend.Queues.Shared.Count == 0)
        {
            server = hash is uint key && backend.Balancer is Balancing.IHashBalancer byHash
                ? byHash.PickByHash(key, avoid: null)
                : backend.Balancer.Pick(clientAddress, avoid: null);
            if (server is not null)
            {
                return AssignStatus.Assigned;
            }
        }

        if (backend.UsableServers == 0)
        {
            return AssignStatus.NoServer;
        }

        backend.Queues.Enqueue(waiter, null, deadlineMs);
        return AssignStatus.Queued;
    }

    /// <summary>`timeout queue`, else `timeout connect`, as a deadline on the heartbeat's clock.</summary>
    public static long QueueDeadline(Config.Model.TimeoutsConfig timeouts, long nowMs)
    {
        var timeout = timeouts.Queue ?? timeouts.Connect;
        return timeout is { } t ? nowMs + (long)t.TotalMilliseconds : long.MaxValue;
    }
}
