namespace Sluice.Timers;

/// <summary>
/// The inactivity timeout of one direction of one connection (reading from the client, writing to the server,
/// ...): the I/O code brackets every wait with <see cref="BeginWait"/> and <see cref="EndWait"/>, and the
/// heartbeat asks <see cref="IsExpired"/>. A timeout thus counts only while the proxy actually waits on that
/// side, as HAProxy's read and write timeouts do, and costs two volatile writes per wait.
/// </summary>
internal sealed class SideWatch(Heartbeat clock)
{
    private const long NotWaiting = -1;

    private long _waitingSince = NotWaiting;
    private long _lastActivity = clock.NowMs;
    private long _limitMs = long.MaxValue;

    /// <summary>The timeout in milliseconds that applies now; <see cref="long.MaxValue"/> for none.</summary>
    public long LimitMs
    {
        get => Volatile.Read(ref _limitMs);
        set => Volatile.Write(ref _limitMs, value);
    }

    /// <summary>The clock's time when a wait last ended (bytes moved).</summary>
    public long LastActivityMs => Volatile.Read(ref _lastActivity);

    public bool IsWaiting => Volatile.Read(ref _waitingSince) != NotWaiting;

    public void BeginWait() => Volatile.Write(ref _waitingSince, clock.NowMs);

    public void EndWait()
    {
        Volatile.Write(ref _waitingSince, NotWaiting);
        Volatile.Write(ref _lastActivity, clock.NowMs);
    }

    /// <summary>Back to a new watch's state, for an object that is reused (an HTTP/2 stream of a later request).</summary>
    public void Reset()
    {
        Volatile.Write(ref _waitingSince, NotWaiting);
        Volatile.Write(ref _lastActivity, clock.NowMs);
        Volatile.Write(ref _limitMs, long.MaxValue);
    }

    /// <summary>Restarts the current wait's count, e.g. when the timeout that applies changes.</summary>
    public void Restart()
    {
        if (Volatile.Read(ref _waitingSince) != NotWaiting)
        {
            Volatile.Write(ref _waitingSince, clock.NowMs);
        }
    }

    public bool IsExpired(long nowMs)
    {
        var since = Volatile.Read(ref _waitingSince);
        var limit = Volatile.Read(ref _limitMs);
        return since != NotWaiting && limit != long.MaxValue && nowMs - since >= limit;
    }
}
