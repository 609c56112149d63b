using System.Collections.Concurrent;
using Sluice.Transport;

namespace Sluice.Timers;

/// <summary>Something with inactivity deadlines that the heartbeat checks on every tick.</summary>
internal interface IHeartbeatTarget
{
    /// <summary>Called from the heartbeat thread; must be quick and must not block.</summary>
    void OnHeartbeat(long nowMs);
}

/// <summary>
/// The one coarse clock of the process. Every inactivity timeout (connect, client, server, tunnel, fin) is a
/// deadline in milliseconds compared with <see cref="NowMs"/> on each tick, so a connection costs no timer.
/// Deadlines therefore fire up to one tick late, never early: on the system clock <see cref="NowMs"/> reads the
/// kernel's coarse monotonic clock (a few nanoseconds, no system call), so a time stamped while the ticks are held
/// up (a starved thread pool, a long collection) is still the real time and cannot make a late tick see a
/// connection as idle for longer than it was. On an event loop's thread the time is that of the loop's last wake
/// (HAProxy's date of the poller's turn): behind the real time by at most what the loop has run since.
/// </summary>
internal sealed class Heartbeat : IDisposable
{
    /// <summary>HAProxy's timeouts are in milliseconds; a tenth of a second is precise enough for them.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    private readonly TimeProvider _timeProvider;
    private readonly long _startTimestamp;
    private readonly ConcurrentDictionary<IHeartbeatTarget, byte> _targets = new(ReferenceEqualityComparer.Instance);
    private readonly ITimer _timer;
    private readonly bool _readsCoarseClock;
    private readonly long _coarseOriginMs;
    private readonly long _stopwatchTicksPerMs = 1;
    private long _nowMs;
    private int _ticking;

    public Heartbeat(TimeProvider timeProvider, TimeSpan interval)
    {
        _timeProvider = timeProvider;
        _startTimestamp = timeProvider.GetTimestamp();
        if (timeProvider == TimeProvider.System && System.Diagnostics.Stopwatch.Frequency % 1000 == 0)
        {
            // Environment.TickCount64 is the coarse reading of the clock Stopwatch reads precisely (on Linux
            // CLOCK_MONOTONIC_COARSE and CLOCK_MONOTONIC), so it never runs ahead of Refresh; the origin is rounded
            // up so that rounding cannot put it a millisecond ahead either. Where the two clocks do not share an
            // origin, the published time alone is used.
            var ticksPerMs = System.Diagnostics.Stopwatch.Frequency / 1000;
            _stopwatchTicksPerMs = ticksPerMs;
            _coarseOriginMs = (_startTimestamp + ticksPerMs - 1) / ticksPerMs;
            _readsCoarseClock = Math.Abs(Environment.TickCount64 - _coarseOriginMs) < 1000;
        }

        _timer = timeProvider.CreateTimer(static state => ((Heartbeat)state!).Tick(), this, interval, interval);
    }

    /// <summary>
    /// Milliseconds since the heartbeat started: on the system clock the kernel's coarse time (behind the precise
    /// one by at most its resolution, a few milliseconds), or on an event loop's thread the loop's last wake, and
    /// never less than the last <see cref="Refresh"/>; on another time provider (tests) the time of the last tick or
    /// <see cref="Refresh"/>.
    /// </summary>
    public long NowMs
    {
        get
        {
            if (!_readsCoarseClock)
            {
                return Volatile.Read(ref _nowMs);
            }

            var wake = EventLoop.WakeTimestamp;
            var now = wake >= _startTimestamp
                ? (wake - _startTimestamp) / _stopwatchTicksPerMs
                : Environment.TickCount64 - _coarseOriginMs;
            return Math.Max(now, Volatile.Read(ref _nowMs));
        }
    }

    public TimeProvider TimeProvider => _timeProvider;

    /// <summary>
    /// Reads the precise time and publishes it; used where an event starts (accept, connect). On an event loop's
    /// thread the time is the loop's last wake (<see cref="EventLoop.WakeTimestamp"/>), as HAProxy's timers read the
    /// date of the poller's turn.
    /// </summary>
    public long Refresh()
    {
        if (!_readsCoarseClock)
        {
            var elapsed = (long)_timeProvider.GetElapsedTime(_startTimestamp).TotalMilliseconds;
            Volatile.Write(ref _nowMs, elapsed);
            return elapsed;
        }

        // On the system clock the reading is the static one, in whole ticks: no virtual call, no floating point.
        var timestamp = EventLoop.WakeTimestamp;
        if (timestamp < _startTimestamp)
        {
            timestamp = System.Diagnostics.Stopwatch.GetTimestamp();
        }

        var now = (timestamp - _startTimestamp) / _stopwatchTicksPerMs;

        // Published only when it moves on: the loops would otherwise write this line on every request.
        if (now > Volatile.Read(ref _nowMs))
        {
            Volatile.Write(ref _nowMs, now);
        }

        return now;
    }

    public void Register(IHeartbeatTarget target) => _targets.TryAdd(target, 0);

    public void Unregister(IHeartbeatTarget target) => _targets.TryRemove(target, out _);

    public int TargetCount => _targets.Count;

    /// <summary>Runs one tick at once; the timer calls it, and tests with a manual clock may too.</summary>
    public void Tick()
    {
        // A slow tick must not overlap the next one: targets expect to be checked from one thread at a time.
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return;
        }

        try
        {
            var now = Refresh();
            foreach (var pair in _targets)
            {
                pair.Key.OnHeartbeat(now);
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    public void Dispose() => _timer.Dispose();
}
