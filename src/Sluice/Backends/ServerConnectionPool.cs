using Sluice.Config.Model;
using Sluice.Mux.Http1;
using Sluice.Timers;

namespace Sluice.Backends;

/// <summary>
/// The idle HTTP/1 connections of one server, kept for reuse (`http-reuse`). A connection goes back here when
/// its exchange ended cleanly and may carry another; it is taken out by the next request that the reuse mode
/// allows. Connections idle longer than `pool-purge-delay` are closed on the heartbeat, and one that the server
/// closed while idle is noticed and dropped when taken.
/// </summary>
/// <remarks>One short lock per server guards the list: taking and giving back are a few instructions.</remarks>
internal sealed class ServerConnectionPool : IHeartbeatTarget
{
    /// <summary>
    /// How long a connection may sit idle and still be taken without a poll(2) for a close the server sent: under
    /// load connections come back and leave within this, and a server that closes a kept connection so soon after
    /// its response without saying `Connection: close` is not one to cater for (a replayable request that meets such
    /// a close goes again on a new connection anyway). HAProxy asks nothing either; it hears of closes from epoll.
    /// </summary>
    private const long FreshIdleMs = 50;

    private readonly List<Entry> _idle = [];
    private readonly Lock _idleLock = new();
    private readonly int _maxIdle;
    private readonly long _purgeDelayMs;
    private int _count;

    public ServerConnectionPool(ServerConfig config)
    {
        _maxIdle = config.PoolMaxConn;
        _purgeDelayMs = Math.Max(1, (long)config.PoolPurgeDelay.TotalMilliseconds);
        MaxReuse = config.MaxReuse;
        Multiplexed = new Http2ConnectionSet(config);
    }

    /// <summary>The server's HTTP/2 connections (`proto h2`), shared stream by stream.</summary>
    public Http2ConnectionSet Multiplexed { get; }

    /// <summary>`max-reuse`: requests a connection may carry after its first; -1 for no limit.</summary>
    public int MaxReuse { get; }

    public int IdleCount => Volatile.Read(ref _count);

    /// <summary>
    /// Takes the most recently used idle connection that <paramref name="mode"/> allows for this request, or null.
    /// </summary>
    /// <param name="firstRequest">The request is the first of its client connection.</param>
    /// <param name="nowMs">The heartbeat's time: a connection given back within <see cref="FreshIdleMs"/> of it is
    /// taken without asking the kernel whether the server closed it.</param>
    /// <param name="serverName">
    /// With `sni EXPR`: the name this request's connection must have been made with (HAProxy does not reuse a
    /// connection for another SNI); null when the server's SNI does not vary.
    /// </param>
    public Http1BackConnection? TryTake(HttpReuseMode mode, bool firstRequest, long nowMs, string? serverName = null)
    {
        if (mode == HttpReuseMode.Never || Volatile.Read(ref _count) == 0)
        {
            return null;
        }

        if (firstRequest && mode == HttpReuseMode.Safe)
        {
            return null;
        }

        List<Http1BackConnection>? stale = null;
        Http1BackConnection? found = null;
        lock (_idleLock)
        {
            for (var i = _idle.Count - 1; i >= 0; i--)
            {
                var (connection, idleSinceMs) = _idle[i];
                if (firstRequest && mode == HttpReuseMode.Aggressive && connection.Exchanges < 2)
                {
                    continue;
                }

                if (serverName is not null && !SniMatches(connection, serverName))
                {
                    continue;
                }

                _idle.RemoveAt(i);
                _count = _idle.Count;
                if (nowMs - idleSinceMs > FreshIdleMs && connection.Io.IsReadableWhileIdle())
                {
                    (stale ??= []).Add(connection);
                    continue;
                }

                found = connection;
                break;
            }
        }

        if (stale is not null)
        {
            foreach (var connection in stale)
            {
                connection.Dispose();
            }
        }

        return found;
    }

    /// <summary>True when <paramref name="connection"/> was made with the SNI <paramref name="serverName"/> ("" for none).</summary>
    public static bool SniMatches(Http1BackConnection connection, string serverName) =>
        string.Equals(connection.Io.Tls?.ServerName ?? string.Empty, serverName, StringComparison.OrdinalIgnoreCase);

    /// <summary>Keeps a connection for reuse; closes it instead when the pool is full or it may not be reused.</summary>
    public void Return(Http1BackConnection connection, long nowMs)
    {
        var keep = connection.IsReusable
            && (MaxReuse < 0 || connection.Exchanges <= MaxReuse)
            && _maxIdle != 0;
        if (keep)
        {
            lock (_idleLock)
            {
                if (_maxIdle < 0 || _idle.Count < _maxIdle)
                {
                    _idle.Add(new Entry(connection, nowMs));
                    _count = _idle.Count;
                    return;
                }
            }
        }

        connection.Dispose();
    }

    public void OnHeartbeat(long nowMs)
    {
        Multiplexed.OnHeartbeat(nowMs);
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        List<Http1BackConnection>? expired = null;
        lock (_idleLock)
        {
            for (var i = _idle.Count - 1; i >= 0; i--)
            {
                if (nowMs - _idle[i].IdleSinceMs >= _purgeDelayMs)
                {
                    (expired ??= []).Add(_idle[i].Connection);
                    _idle.RemoveAt(i);
                }
            }

            _count = _idle.Count;
        }

        if (expired is not null)
        {
            foreach (var connection in expired)
            {
                connection.Dispose();
            }
        }
    }

    /// <summary>Closes every idle connection (stop).</summary>
    public void Clear()
    {
        Multiplexed.Clear();
        Entry[] entries;
        lock (_idleLock)
        {
            entries = [.. _idle];
            _idle.Clear();
            _count = 0;
        }

        foreach (var entry in entries)
        {
            entry.Connection.Dispose();
        }
    }

    private readonly record struct Entry(Http1BackConnection Connection, long IdleSinceMs);
}
