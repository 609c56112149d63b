using Sluice.Stats;

namespace Sluice.Listeners;

/// <summary>
/// Holds an accept loop back while a rate is at its limit (`maxconnrate`, `maxsessrate`, `maxsslrate`,
/// `rate-limit sessions`), as HAProxy's listeners wait for <c>next_event_delay</c>: connections are not refused,
/// they wait in the kernel's backlog until the sliding one-second window has room again.
/// </summary>
internal static class AcceptPacing
{
    /// <summary>Completes at once when <paramref name="limit"/> is 0 (no limit) or the rate is below it.</summary>
    public static ValueTask WaitBelowAsync(RateCounter rate, int limit, CancellationToken cancellationToken)
    {
        if (limit <= 0 || rate.Read(Environment.TickCount64) < limit)
        {
            return ValueTask.CompletedTask;
        }

        return WaitSlowAsync(rate, limit, cancellationToken);
    }

    private static async ValueTask WaitSlowAsync(RateCounter rate, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var now = Environment.TickCount64;
            var seen = rate.Read(now);
            if (seen < limit)
            {
                return;
            }

            await Task.Delay(DelayMs(seen, limit, now), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The previous second's share of the window shrinks by one event every 1000/limit ms or so; waiting that long
    /// per event over the limit, but never past the next second (when the window moves), avoids both a busy wait
    /// and a late wake-up.
    /// </summary>
    internal static int DelayMs(int seen, int limit, long nowMs)
    {
        var toNextSecond = (int)(1000 - (nowMs % 1000));
        var perEvent = Math.Max(1, 1000 / limit);
        var wanted = (long)(seen - limit + 1) * perEvent;
        return (int)Math.Clamp(wanted, 1, toNextSecond);
    }
}
