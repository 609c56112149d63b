using Sluice.Config.Model;
using Sluice.Mux.Http2;

namespace Sluice.Backends;

/// <summary>
/// The HTTP/2 connections of one server (`proto h2`), shared by the transactions that `http-reuse` allows: a new
/// exchange takes a stream on the most recent connection that has room under the server's
/// SETTINGS_MAX_CONCURRENT_STREAMS, and the caller opens another connection when none has. `http-reuse` applies as
/// to HTTP/1 connections: `never` keeps a connection to the transaction that opened it (never here), `safe` never
/// sends the first request of a client connection on a shared one, `aggressive` only on one that already carried
/// several exchanges, `always` on any. A connection without streams for `pool-purge-delay` is closed on the
/// heartbeat, at once with `pool-max-conn 0`; `max-reuse` bounds the streams one connection carries.
/// </summary>
/// <remarks>One short lock per server guards the list.</remarks>
internal sealed class Http2ConnectionSet : IHttp2BackConnectionOwner
{
    private readonly List<Http2BackConnection> _connections = [];
    private readonly Lock _connectionsLock = new();
    private readonly int _maxIdle;
    private readonly long _purgeDelayMs;
    private readonly int _maxReuse;
    private int _count;
    private int _maxConcurrentStreams = DefaultMaxConcurrentStreams;

    /// <summary>RFC 9113 §6.5.2: servers are advised to allow at least 100 streams.</summary>
    private const int DefaultMaxConcurrentStreams = 100;

    public Http2ConnectionSet(ServerConfig config)
    {
        _maxIdle = config.PoolMaxConn;
        _purgeDelayMs = Math.Max(1, (long)config.PoolPurgeDelay.TotalMilliseconds);
        _maxReuse = config.MaxReuse;
    }

    /// <summary>The server's SETTINGS_MAX_CONCURRENT_STREAMS as its last connection said, for a new one until its own SETTINGS come.</summary>
    public int MaxConcurrentStreams => Volatile.Read(ref _maxConcurrentStreams);

    /// <summary>Connections open to the server.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>A stream on a shared connection that <paramref name="mode"/> allows for this request, or null.</summary>
    /// <param name="firstRequest">The request is the first of its client connection.</param>
    public Http2BackStream? TryOpenStream(HttpReuseMode mode, bool firstRequest)
    {
        if (mode == HttpReuseMode.Never || (firstRequest && mode == HttpReuseMode.Safe) || Volatile.Read(ref _count) == 0)
        {
            return null;
        }

        lock (_connectionsLock)
        {
            for (var i = _connections.Count - 1; i >= 0; i--)
            {
                var connection = _connections[i];
                if (connection.IsClosing)
                {
                    continue;
                }

                if ((firstRequest && mode == HttpReuseMode.Aggressive && connection.CompletedExchanges < 2)
                    || (_maxReuse >= 0 && connection.StreamsOpened > _maxReuse))
                {
                    continue;
                }

                if (connection.TryOpenStream(reused: true) is { } stream)
                {
                    return stream;
                }
            }
        }

        return null;
    }

    /// <summary>Shares a connection a transaction has just opened.</summary>
    public void Add(Http2BackConnection connection)
    {
        connection.Owner = this;
        lock (_connectionsLock)
        {
            _connections.Add(connection);
            _count = _connections.Count;
        }
    }

    /// <summary>A connection's last stream was released, or it ended: it leaves when over, or when no idle one may be kept.</summary>
    public void OnIdle(Http2BackConnection connection)
    {
        var shutdown = false;
        lock (_connectionsLock)
        {
            if (connection.IsClosing || (_maxReuse >= 0 && connection.StreamsOpened > _maxReuse))
            {
                shutdown = Remove(connection);
            }
            else if (_maxIdle >= 0 && IdleCountLocked() > _maxIdle)
            {
                shutdown = Remove(connection);
            }
        }

        if (shutdown)
        {
            connection.Shutdown();
        }
    }

    public void OnMaxConcurrentStreams(int value) => Volatile.Write(ref _maxConcurrentStreams, Math.Max(1, value));

    public void OnHeartbeat(long nowMs)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        List<Http2BackConnection>? expired = null;
        lock (_connectionsLock)
        {
            for (var i = _connections.Count - 1; i >= 0; i--)
            {
                var connection = _connections[i];
                if (connection.IsClosing || connection.IsIdleFor(nowMs, _purgeDelayMs))
                {
                    (expired ??= []).Add(connection);
                    _connections.RemoveAt(i);
                }
            }

            _count = _connections.Count;
        }

        if (expired is not null)
        {
            foreach (var connection in expired)
            {
                connection.Shutdown();
            }
        }
    }

    /// <summary>Closes every connection (stop).</summary>
    public void Clear()
    {
        Http2BackConnection[] all;
        lock (_connectionsLock)
        {
            all = [.. _connections];
            _connections.Clear();
            _count = 0;
        }

        foreach (var connection in all)
        {
            connection.Shutdown();
        }
    }

    private bool Remove(Http2BackConnection connection)
    {
        var removed = _connections.Remove(connection);
        _count = _connections.Count;
        return removed;
    }

    private int IdleCountLocked()
    {
        var idle = 0;
        foreach (var connection in _connections)
        {
            if (connection.ActiveStreams == 0)
            {
                idle++;
            }
        }

        return idle;
    }
}
