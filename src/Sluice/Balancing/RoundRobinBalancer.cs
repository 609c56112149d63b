using System.Net;
using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// `balance roundrobin`: smooth weighted round robin over the eligible servers with their current weights, so
/// weight changes at run time take effect on the next pick. A server at its `maxconn` sits out the round
/// without collecting credit.
/// </summary>
internal sealed class RoundRobinBalancer : IBalancer
{
    private readonly EligibleServers _eligible;

    // Credits per server index; guarded by _lock like HAProxy's per-backend lbprm lock. The critical section is a
    // scan of the eligible servers, so contention stays short.
    private readonly long[] _credit;
    private readonly Lock _lock = new();
    private int _version = -1;

    public RoundRobinBalancer(BackendState backend)
    {
        _eligible = new EligibleServers(backend);
        _credit = new long[backend.Servers.Count];
    }

    public ServerState? Pick(IPAddress? clientAddress, ServerState? avoid)
    {
        lock (_lock)
        {
            var snapshot = _eligible.Current;
            if (snapshot.Version != _version)
            {
                Array.Clear(_credit);
                _version = snapshot.Version;
            }

            var servers = snapshot.Servers;
            for (var attempt = 0; attempt <= servers.Length; attempt++)
            {
                ServerState? best = null;
                long total = 0;
                foreach (var server in servers)
                {
                    if ((server == avoid && servers.Length > 1) || !server.HasFreeSlot)
                    {
                        continue;
                    }

                    _credit[server.Index] += server.ScaledWeight;
                    total += server.ScaledWeight;
                    if (best is null || _credit[server.Index] > _credit[best.Index])
                    {
                        best = server;
                    }
                }

                if (best is null)
                {
                    return null;
                }

                _credit[best.Index] -= total;
                if (best.TryAcquire())
                {
                    return best;
                }
            }

            return null;
        }
    }
}
