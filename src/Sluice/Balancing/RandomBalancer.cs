using System.Net;
using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// `balance random(N)`: draws N servers at random, each with a probability proportional to its weight, and keeps
/// the least loaded one (current connections relative to weight): the "power of N choices". `random(1)` is
/// plain weighted random. Full servers are not drawn.
/// </summary>
internal sealed class RandomBalancer : IBalancer
{
    private readonly EligibleServers _eligible;
    private readonly int _draws;
    private readonly Random _random;

    public RandomBalancer(BackendState backend, int draws, Random? random = null)
    {
        _eligible = new EligibleServers(backend);
        _draws = Math.Max(1, draws);
        _random = random ?? Random.Shared;
    }

    public ServerState? Pick(IPAddress? clientAddress, ServerState? avoid)
    {
        var servers = _eligible.Current.Servers;
        for (var attempt = 0; attempt <= servers.Length; attempt++)
        {
            long total = 0;
            foreach (var server in servers)
            {
                if (IsCandidate(server, avoid, servers.Length))
                {
                    total += server.ScaledWeight;
                }
            }

            if (total == 0)
            {
                return null;
            }

            ServerState? best = null;
            for (var draw = 0; draw < _draws; draw++)
            {
                var drawn = Draw(servers, avoid, _random.NextInt64(total));
                if (best is null || LeastConnBalancer.IsLessLoaded(drawn, best))
                {
                    best = drawn;
                }
            }

            if (best!.TryAcquire())
            {
                return best;
            }
        }

        return null;
    }

    private static bool IsCandidate(ServerState server, ServerState? avoid, int count) =>
        (server != avoid || count == 1) && server.HasFreeSlot;

    private static ServerState Draw(ServerState[] servers, ServerState? avoid, long ticket)
    {
        ServerState? last = null;
        foreach (var server in servers)
        {
            if (!IsCandidate(server, avoid, servers.Length))
            {
                continue;
            }

            last = server;
            ticket -= server.ScaledWeight;
            if (ticket < 0)
            {
                return server;
            }
        }

        // Only reached when a server filled up between the sum and the draw.
        return last ?? servers[0];
    }
}
