using Sluice.Checks;

namespace Sluice.Stats;

/// <summary>
/// A server's traffic counters plus what the stats show of its health: failed checks, transitions to DOWN,
/// the time of the last change of state, the time spent down, and the last check's result.
/// </summary>
internal sealed class ServerCounters : TrafficCounters
{
    private long _checkFailures;
    private long _checkDowns;
    private long _healthAnalyzeFailures;
    private long _lastChangeMs = Environment.TickCount64;
    private long _downSinceMs;
    private long _downtimeMs;
    private LastCheck? _lastCheck;

    /// <summary>Failed checks while the server was up (HAProxy's chkfail).</summary>
    public long CheckFailures => Volatile.Read(ref _checkFailures);

    /// <summary>Times `observe` saw `error-limit` errors in a row (hanafail).</summary>
    public long HealthAnalyzeFailures => Volatile.Read(ref _healthAnalyzeFailures);

    /// <summary>Transitions from UP to DOWN (chkdown).</summary>
    public long CheckDowns => Volatile.Read(ref _checkDowns);

    public long LastChangeMs => Volatile.Read(ref _lastChangeMs);

    /// <summary>The last check's outcome and the health it left (for "UP 1/3"); null before the first check.</summary>
    public LastCheck? Check => Volatile.Read(ref _lastCheck);

    /// <summary>Total time spent DOWN, up to <paramref name="nowMs"/>.</summary>
    public long DowntimeMs(long nowMs)
    {
        var since = Volatile.Read(ref _downSinceMs);
        return Volatile.Read(ref _downtimeMs) + (since > 0 ? nowMs - since : 0);
    }

    /// <summary>One check ran; <paramref name="wasUp"/> is the server's state before it.</summary>
    public void RecordCheck(CheckResult result, bool wasUp, int health, int rise, int fall)
    {
        if (!result.Passed && wasUp)
        {
            Interlocked.Increment(ref _checkFailures);
        }

        Volatile.Write(ref _lastCheck, new LastCheck(result, health, rise, fall, Environment.TickCount64));
    }

    public void RecordHealthAnalyzeFailure() => Interlocked.Increment(ref _healthAnalyzeFailures);

    /// <summary>The server went up or down (checks) or changed admin state (runtime API).</summary>
    public void RecordChange(bool nowDown)
    {
        var now = Environment.TickCount64;
        Volatile.Write(ref _lastChangeMs, now);
        if (nowDown)
        {
            Interlocked.Increment(ref _checkDowns);
            Interlocked.CompareExchange(ref _downSinceMs, now, 0);
            return;
        }

        var since = Interlocked.Exchange(ref _downSinceMs, 0);
        if (since > 0)
        {
            Interlocked.Add(ref _downtimeMs, now - since);
        }
    }

    public void RecordAdminChange() => Volatile.Write(ref _lastChangeMs, Environment.TickCount64);

    /// <summary>Dates the last change <paramref name="secondsAgo"/> back, as a server state file recorded it.</summary>
    public void RestoreLastChange(long secondsAgo) => Volatile.Write(ref _lastChangeMs, Environment.TickCount64 - (secondsAgo * 1000));

    public override void Clear(bool all)
    {
        base.Clear(all);
        if (all)
        {
            Interlocked.Exchange(ref _checkFailures, 0);
            Interlocked.Exchange(ref _checkDowns, 0);
        }
    }
}

/// <summary>A check's result as the stats show it, with the rise/fall health it left behind.</summary>
internal sealed record LastCheck(CheckResult Result, int Health, int Rise, int Fall, long AtMs);
