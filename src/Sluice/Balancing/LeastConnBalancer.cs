using System.Net;
using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// `balance leastconn`: the server with the fewest current connections relative to its weight, comparing
/// (current + 1) / weight as HAProxy does, so that an idle heavy server wins over an idle light one. Among equal
/// servers the scan starts after the last one chosen, which is round robin among equals.
/// </summary>
internal sealed class LeastConnBalancer : IBalancer
{
    private readonly EligibleServers _eligible;

    // The slot is taken inside the lock so that the next pick already sees it; HAProxy takes its lbprm lock too.
    private readonly Lock _lock = new();
    private int _next;

    public LeastConnBalancer(BackendState backend) => _eligible = new EligibleServers(backend);

    public ServerState? Pick(IPAddress? clientAddress, ServerState? avoid)
    {
        lock (_lock)
        {
            var servers = _eligible.Current.Servers;
            var count = servers.Length;
            for (var attempt = 0; attempt <= count; attempt++)
            {
                var bestPosition = -1;
                ServerState? best = null;
                for (var k = 0; k < count; k++)
                {
                    var position = (_next + k) % count;
                    var server = servers[position];
                    if ((server == avoid && count > 1) || !server.HasFreeSlot)
                    {
                        continue;
                    }

                    if (best is null || IsLessLoaded(server, best))
                    {
                        best = server;
                        bestPosition = position;
                    }
                }

                if (best is null)
                {
                    return null;
                }

                if (best.TryAcquire())
                {
                    _next = bestPosition + 1;
                    return best;
                }
            }

            return null;
        }
    }

    /// <summary>(a.cur + 1) / a.weight &lt; (b.cur + 1) / b.weight, without division.</summary>
    internal static bool IsLessLoaded(ServerState a, ServerState b) =>
        (long)(a.CurrentConnections + 1) * b.ScaledWeight < (long)(b.CurrentConnections + 1) * a.ScaledWeight;
}
