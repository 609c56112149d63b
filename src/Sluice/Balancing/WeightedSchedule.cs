using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// Builds one period of smooth weighted round robin: each step adds every server's weight to its credit, takes
/// the server with the most credit and charges it the total weight. Over one period (the sum of the weights)
/// each server appears exactly weight times, spread out rather than in bursts (weights 5,1,1 give
/// a a b a c a a).
/// </summary>
internal static class WeightedSchedule
{
    public static int[] Build(ServerState[] servers)
    {
        var total = 0;
        foreach (var server in servers)
        {
            total += server.Weight;
        }

        var schedule = new int[total];
        var credit = new long[servers.Length];
        for (var step = 0; step < total; step++)
        {
            var best = -1;
            for (var i = 0; i < servers.Length; i++)
            {
                credit[i] += servers[i].Weight;
                if (best < 0 || credit[i] > credit[best])
                {
                    best = i;
                }
            }

            credit[best] -= total;
            schedule[step] = best;
        }

        return schedule;
    }
}
