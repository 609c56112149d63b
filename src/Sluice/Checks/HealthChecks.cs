using Sluice.Backends;
using Sluice.Timers;

namespace Sluice.Checks;

/// <summary>
/// The checkers of every server with `check` (and the agents of those with `agent-check`) in the loaded configuration, registered with the heartbeat. As
/// HAProxy does at start-up, the first checks are spread over the smallest interval so that they do not all
/// start on the same tick.
/// </summary>
internal sealed class HealthChecks
{
    private readonly Heartbeat _heartbeat;
    private readonly List<HealthChecker> _checkers = [];
    private readonly List<AgentChecker> _agents = [];

    private HealthChecks(Heartbeat heartbeat) => _heartbeat = heartbeat;

    public IReadOnlyList<HealthChecker> Checkers => _checkers;

    /// <param name="previous">At a reload, the checks of the configuration being replaced: a server checked there
    /// under the same backend and server names goes on from the health it had, instead of starting up again.
    /// Without one, a state the server state file gave (<see cref="ServerState.RestoredUp"/>) is the start.</param>
    /// <param name="sessions">The sessions in flight, which `on-marked-down shutdown-sessions` and `on-marked-up
    /// shutdown-backup-sessions` cut.</param>
    public static HealthChecks Start(IEnumerable<BackendState> backends, Heartbeat heartbeat, TextWriter log, HealthChecks? previous = null,
        Func<IReadOnlyList<Transactions.ISession>>? sessions = null, Config.Model.GlobalConfig? global = null)
    {
        var checks = new HealthChecks(heartbeat);
        var servers = new List<(ServerState Server, BackendState Backend)>();
        var minInter = long.MaxValue;
        foreach (var backend in backends)
        {
            if (backend.Config.Disabled)
            {
                continue;
            }

            foreach (var server in backend.Servers)
            {
                if ((server.Config.Check.Enabled || server.Config.Check.AgentCheck) && !server.Config.Disabled)
                {
                    servers.Add((server, backend));
                    minInter = Math.Min(minInter, (long)server.Config.Check.Inter.TotalMilliseconds);
                }
            }
        }

        LinkTrackers(backends);
        var now = heartbeat.Refresh();
        for (var i = 0; i < servers.Count; i++)
        {
            var (server, backend) = servers[i];
            var firstDue = now + (minInter * i / servers.Count);
            HealthChecker? checker = null;
            if (server.Config.Check.Enabled)
            {
                checker = new HealthChecker(server, backend, heartbeat, log, firstDue, sessions, global);
                if (server.Config.Check.Observe != Config.Model.ObserveMode.None)
                {
                    server.Observer = checker;
                }

                if (previous?.Find(backend.Name, server.Name) is { } before)
                {
                    checker.State.Adopt(before.State);
                    server.IsUp = before.State.IsUp;
                }
                else if (server.RestoredUp is { } up)
                {
                    // A server state file: HAProxy sets the health to full for a saved "running", to 0 for "stopped".
                    checker.State.Force(up);
                    server.IsUp = up;
                }

                checks._checkers.Add(checker);
                heartbeat.Register(checker);
            }

            if (server.Config.Check.AgentCheck)
            {
                var agent = new AgentChecker(server, backend, checker, heartbeat, log, firstDue);
                checks._agents.Add(agent);
                heartbeat.Register(agent);
            }
        }

        return checks;
    }

    /// <summary>`track`: each tracking server is listed by the server it tracks (the latest defined first, as HAProxy notifies them) and starts in its state.</summary>
    private static void LinkTrackers(IEnumerable<BackendState> backends)
    {
        var all = backends.ToList();
        foreach (var backend in all)
        {
            foreach (var server in backend.Servers)
            {
                if (server.Config.Check.Track is not { } track)
                {
                    continue;
                }

                var slash = track.IndexOf('/', StringComparison.Ordinal);
                var (proxyName, serverName) = slash < 0 ? (backend.Name, track) : (track[..slash], track[(slash + 1)..]);
                var tracked = all.Find(b => b.Name == proxyName)?.Servers.FirstOrDefault(s => s.Name == serverName);
                if (tracked is not null)
                {
                    tracked.Trackers.Insert(0, server);
                    server.IsUp = tracked.IsUp;
                }
            }
        }
    }

    private HealthChecker? Find(string backend, string server)
    {
        foreach (var checker in _checkers)
        {
            if (checker.BackendName == backend && checker.Server.Name == server)
            {
                return checker;
            }
        }

        return null;
    }

    public void Stop()
    {
        foreach (var checker in _checkers)
        {
            _heartbeat.Unregister(checker);
            checker.Stop();
        }

        foreach (var agent in _agents)
        {
            _heartbeat.Unregister(agent);
            agent.Stop();
        }
    }
}
