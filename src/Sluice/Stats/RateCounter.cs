namespace Sluice.Stats;

/// <summary>
/// Events per second over a sliding one-second window, as HAProxy's <c>freq_ctr</c>: the count of the current
/// second plus the previous second's count weighted by the part of it still inside the window. Lock-free: the
/// thread that moves the window first rotates it; a concurrent increment may land in either second, which
/// changes a rate by one at most. Also keeps the highest count of a second (<c>rate_max</c>), as HAProxy's
/// <c>update_freq_ctr</c> feeds its maxima.
/// </summary>
internal sealed class RateCounter
{
    private long _second;
    private int _current;
    private int _previous;
    private int _max;

    /// <summary>Counts one event at <paramref name="nowMs"/> (a monotonic clock in milliseconds).</summary>
    public void Add(long nowMs)
    {
        Rotate(nowMs);
        var rate = Interlocked.Increment(ref _current);
        var max = Volatile.Read(ref _max);
        while (rate > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, rate, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>The events of the last second, seen at <paramref name="nowMs"/>.</summary>
    public int Read(long nowMs)
    {
        var second = nowMs / 1000;
        var at = Volatile.Read(ref _second);
        if (second > at + 1)
        {
            return 0;
        }

        var current = Volatile.Read(ref _current);
        var previous = Volatile.Read(ref _previous);
        if (second == at + 1)
        {
            // The current second ended: it is the previous one now.
            previous = current;
            current = 0;
        }

        var remaining = 1000 - (nowMs % 1000);
        return current + (int)((long)previous * remaining / 1000);
    }

    public int Max => Volatile.Read(ref _max);

    public void ClearMax() => Volatile.Write(ref _max, 0);

    private void Rotate(long nowMs)
    {
        var second = nowMs / 1000;
        var at = Volatile.Read(ref _second);
        if (second == at || Interlocked.CompareExchange(ref _second, second, at) != at)
        {
            return;
        }

        var ended = Interlocked.Exchange(ref _current, 0);
        Volatile.Write(ref _previous, second == at + 1 ? ended : 0);
    }
}
