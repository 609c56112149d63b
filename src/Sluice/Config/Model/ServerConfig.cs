namespace Sluice.Config.Model;

/// <summary>One `server` line after `default-server` was applied.</summary>
internal sealed record ServerConfig
{
    public required string Name { get; init; }
    public required string Location { get; init; }
    public required ServerAddress Address { get; init; }
    /// <summary>Position of the server in its backend, from 1, as HAProxy's `srv_id`.</summary>
    public required int Id { get; init; }
    public int Weight { get; init; } = 1;
    /// <summary>0 means no limit.</summary>
    public int MaxConn { get; init; }
    /// <summary>`maxqueue`: requests that may wait in this server's own queue; 0 means no limit.</summary>
    public int MaxQueue { get; init; }
    /// <summary>`minconn`: with `fullconn`, the limit while the backend is lightly loaded; 0 when not set.</summary>
    public int MinConn { get; init; }
    /// <summary>`cookie VALUE`: the persistence cookie value of this server; null when not set.</summary>
    public string? Cookie { get; init; }
    /// <summary>`resolvers NAME` on a server named by a host name: where its address is asked at run time; null otherwise.</summary>
    public ResolversConfig? Resolvers { get; init; }
    /// <summary>The host name asked for (the server's `srv_fqdn`).</summary>
    public string? HostName { get; init; }
    /// <summary>The SRV label whose records give the server its target, port and weight at run time (`srvrecord`); null otherwise.</summary>
    public string? SrvRecord { get; init; }
    public bool ResolvePreferIpv4 { get; init; }
    /// <summary>`resolve-opts allow-dup-ip`; by default an address another server of the backend took from the same name is passed over.</summary>
    public bool AllowDuplicateIp { get; init; }
    /// <summary>`resolve-opts ignore-weight`: SRV weights are not applied.</summary>
    public bool IgnoreSrvWeight { get; init; }
    public IReadOnlyList<(System.Net.IPAddress Network, int Prefix)> ResolveNets { get; init; } = [];
    public bool Backup { get; init; }
    public bool Disabled { get; init; }
    public SourceConfig? Source { get; init; }
    /// <summary>`pool-max-conn`: idle connections kept for reuse; -1 means no limit (HAProxy's default).</summary>
    public int PoolMaxConn { get; init; } = -1;
    /// <summary>`pool-purge-delay`: how often idle connections are closed down; 5 seconds by default.</summary>
    public TimeSpan PoolPurgeDelay { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>`max-reuse`: requests a connection may carry after its first; -1 means no limit.</summary>
    public int MaxReuse { get; init; } = -1;
    /// <summary>`proto`: the multiplexer to speak to the server (`h2`, `h1`), whatever ALPN says; null to let it decide.</summary>
    public string? Proto { get; init; }
    /// <summary>`ws auto|h1|h2`: the protocol of websocket streams to this server.</summary>
    public WebSocketProtocol WebSocket { get; init; }
    /// <summary>The PROXY header each new connection to the server begins with.</summary>
    public SendProxyConfig SendProxy { get; init; }
    /// <summary>`socks4 ADDR:PORT`: the SOCKS4 proxy the server is reached through; null for a direct connection.</summary>
    public System.Net.IPEndPoint? Socks4 { get; init; }
    /// <summary>`check` and its timing settings.</summary>
    public ServerCheckConfig Check { get; init; } = ServerCheckConfig.Default;
    /// <summary>`ssl` (or `check-ssl`) and its options, loaded: null for a cleartext server.</summary>
    public Sluice.Tls.TlsConnector? Tls { get; init; }
}

/// <summary>`ws`: how a server receives websocket streams (HAProxy 2.6).</summary>
internal enum WebSocketProtocol
{
    /// <summary>As its other requests, but by ALPN `http/1.1` alone when its `alpn` offers it.</summary>
    Auto = 0,
    /// <summary>HTTP/1.1 (ALPN `http/1.1` alone on a TLS server with `alpn`).</summary>
    H1 = 1,
    /// <summary>HTTP/2 and RFC 8441 (ALPN `h2` alone on a TLS server with `alpn`).</summary>
    H2 = 2,
}
