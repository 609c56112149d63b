using System.Net;
using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// `balance static-rr`: walks a schedule computed once per server-state change, so proportions are exact
/// (weights 90 and 10 give exactly 900 and 100 connections out of 1000) and a pick costs one step.
/// </summary>
internal sealed class StaticRoundRobinBalancer : IBalancer
{
    private readonly EligibleServers _eligible;
    private readonly Lock _lock = new();
    private int _version = -1;
    private int _cursor;

    public StaticRoundRobinBalancer(BackendState backend) => _eligible = new EligibleServers(backend);

    public ServerState? Pick(IPAddress? clientAddress, ServerState? avoid)
    {
        lock (_lock)
        {
            var snapshot = _eligible.Current;
            if (snapshot.Version != _version)
            {
                _cursor = 0;
                _version = snapshot.Version;
            }

            var servers = snapshot.Servers;
            var schedule = snapshot.Schedule;
            for (var step = 0; step < schedule.Length; step++)
            {
                var server = servers[schedule[_cursor]];
                _cursor = _cursor + 1 == schedule.Length ? 0 : _cursor + 1;
                if (server == avoid && servers.Length > 1)
                {
                    continue;
                }

                if (server.TryAcquire())
                {
                    return server;
                }
            }

            return null;
        }
    }
}
