using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// The server map of `static-rr` and of map-based hashing, built as HAProxy's recalc_server_map builds it, so that a
/// hash lands on the same server: weights are first divided by the greatest common divisor of the configured ones
/// (init_server_map; a weight changed at run time is rounded up), then each step adds every server's weight to its
/// score and takes the first server, in declaration order, whose score rounded down to a whole map length is the
/// highest, charging it the map length. Each server appears weight times over one map (weights 1,2,1 give a b b c).
/// </summary>
internal static class WeightedSchedule
{
    /// <summary>HAProxy's pgcd of init_server_map: the greatest common divisor of the non-zero configured weights.</summary>
    public static int WeightDivisor(IEnumerable<ServerState> servers)
    {
        var divisor = 0;
        foreach (var server in servers)
        {
            var weight = server.Config.Weight;
            if (weight == 0)
            {
                continue;
            }

            divisor = divisor == 0 ? weight : (int)System.Numerics.BigInteger.GreatestCommonDivisor(divisor, weight);
        }

        return Math.Max(divisor, 1);
    }

    public static int[] Build(ServerState[] servers, int divisor)
    {
        var weights = new int[servers.Length];
        var total = 0;
        for (var i = 0; i < servers.Length; i++)
        {
            weights[i] = (servers[i].Weight + divisor - 1) / divisor;
            total += weights[i];
        }

        var schedule = new int[total];
        var score = new long[servers.Length];
        for (var step = 0; step < total; step++)
        {
            var best = -1;
            var max = 0L;
            for (var i = 0; i < servers.Length; i++)
            {
                if (total == 1)
                {
                    best = i;
                    break;
                }

                score[i] += weights[i];
                var rank = (score[i] + total) / total;
                if (best < 0 || rank > max)
                {
                    max = rank;
                    best = i;
                }
            }

            score[best] -= total;
            schedule[step] = best;
        }

        return schedule;
    }
}
