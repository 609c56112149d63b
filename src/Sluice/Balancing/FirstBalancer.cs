using System.Net;
using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// `balance first`: the first server in id order that has a free slot under its `maxconn`, so that servers fill
/// one after the other and the last ones can be powered down when idle. Without `maxconn` the first server
/// takes everything, as in HAProxy.
/// </summary>
internal sealed class FirstBalancer : IBalancer
{
    private readonly EligibleServers _eligible;

    public FirstBalancer(BackendState backend) => _eligible = new EligibleServers(backend);

    public ServerState? Pick(IPAddress? clientAddress, ServerState? avoid)
    {
        var servers = _eligible.Current.Servers;
        ServerState? fallback = null;
        foreach (var server in servers)
        {
            if (server == avoid)
            {
                fallback = server;
                continue;
            }

            if (server.TryAcquire())
            {
                return server;
            }
        }

        return fallback is not null && fallback.TryAcquire() ? fallback : null;
    }
}
