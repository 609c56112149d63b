using Sluice.Config.Keywords;
using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>The four proxy section kinds, as flags so that a keyword can say where it is valid.</summary>
[Flags]
internal enum ProxyKinds
{
    None = 0x0,
    /// <summary>A <c>defaults</c> section.</summary>
    Defaults = 0x1,
    /// <summary>A <c>frontend</c> section.</summary>
    Frontend = 0x2,
    /// <summary>A <c>backend</c> section.</summary>
    Backend = 0x4,
    /// <summary>A <c>listen</c> section (frontend and backend at once).</summary>
    Listen = 0x8,
    All = Defaults | Frontend | Backend | Listen,
    /// <summary>Sections that accept connections: frontend settings.</summary>
    FrontendSide = Defaults | Frontend | Listen,
    /// <summary>Sections that reach servers: backend settings.</summary>
    BackendSide = Defaults | Backend | Listen,
}

/// <summary>A <c>bind</c> line as parsed, before it becomes one <see cref="BindConfig"/> per address.</summary>
internal sealed record BindLine(Location Location, IReadOnlyList<BindAddress> Addresses, BindConfig Options);

/// <summary>
/// The settings a <c>server</c> line can carry and <c>default-server</c> sets for later server lines. Parse-time
/// only; copied into each <see cref="ServerConfig"/>.
/// </summary>
/// <summary>
/// One `init-addr` method: `last` (the server-state file's address; Sluice keeps none, so it never gives one),
/// `libc` (the resolver), `none` (no address: the server starts in maintenance) or a fixed IP address.
/// </summary>
internal sealed record InitAddrMethod(string Name, System.Net.IPAddress? Address = null);

internal sealed record ServerOptions
{
    public int Weight { get; init; } = 1;
    public int MaxConn { get; init; }
    public int MaxQueue { get; init; }
    public int MinConn { get; init; }
    /// <summary>`cookie VALUE`: the value of the persistence cookie that designates this server.</summary>
    public string? Cookie { get; init; }
    public bool Backup { get; init; }
    public bool Disabled { get; init; }
    /// <summary>`init-addr`: how a server named by a host name gets its first address, tried in order; null for HAProxy's `last,libc`.</summary>
    public IReadOnlyList<InitAddrMethod>? InitAddr { get; init; }
    /// <summary>`resolvers NAME`: the section whose name servers give the server's address at run time; null without.</summary>
    public string? Resolvers { get; init; }
    /// <summary>`resolve-prefer ipv4`: A records first; AAAA first otherwise, as in HAProxy.</summary>
    public bool ResolvePreferIpv4 { get; init; }
    /// <summary>`resolve-opts allow-dup-ip`: the server may take an address another server of the backend resolved from the same name has.</summary>
    public bool AllowDuplicateIp { get; init; }
    /// <summary>`resolve-opts ignore-weight`: an SRV record's weight leaves the server's alone.</summary>
    public bool IgnoreSrvWeight { get; init; }
    /// <summary>`resolve-net`: the networks preferred among the addresses of an answer, in order.</summary>
    public IReadOnlyList<(System.Net.IPAddress Network, int Prefix)>? ResolveNets { get; init; }
    public SourceConfig? Source { get; init; }
    public int PoolMaxConn { get; init; } = -1;
    public TimeSpan PoolPurgeDelay { get; init; } = TimeSpan.FromSeconds(5);
    public int MaxReuse { get; init; } = -1;
    public string? Proto { get; init; }
    public WebSocketProtocol WebSocket { get; init; }
    public SendProxyConfig SendProxy { get; init; }
    /// <summary>`socks4 ADDR:PORT`: the SOCKS4 proxy the server is reached through; null for a direct connection.</summary>
    public System.Net.IPEndPoint? Socks4 { get; init; }
    public ServerCheckConfig Check { get; init; } = ServerCheckConfig.Default;
    /// <summary>`ssl`, `verify`, `sni`, `alpn`... as written, from `ssl-default-server-*` on.</summary>
    public TlsSettings? Tls { get; init; }
    /// <summary>The loaded TLS side of a server line; set on server lines only, never by `default-server`.</summary>
    public Sluice.Tls.TlsConnector? TlsConnector { get; init; }
}

/// <summary>
/// A <c>use_backend NAME [if|unless COND]</c> line, resolved by the builder; <see cref="DynamicName"/> is set
/// when the name has log-format variables.
/// </summary>
internal sealed record UseBackendLine(string Name, Location Location, Sluice.Rules.Acls.Condition? Condition, Sluice.Logging.LogFormat? DynamicName);

/// <summary>A <c>server</c> line as parsed.</summary>
/// <param name="SrvRecord">The SRV label the server takes a target from (`_http._tcp.example.com`); null for an address or host name.</param>
internal sealed record ServerLine(string Name, Location Location, ServerAddress Address, ServerOptions Options, string? SrvRecord = null);

/// <summary>
/// A defaults, frontend, backend or listen section while it is being read. A proxy section starts as a
/// copy of the defaults section it inherits from (the last anonymous one, or the one named with
/// <c>from</c>), exactly as HAProxy copies its defaults proxy; the builder then turns it into the
/// immutable model.
/// </summary>
internal sealed class ProxySection
{
    public ProxySection(ProxyKinds kind, string name, Location location)
    {
        Kind = kind;
        Name = name;
        Location = location;
    }

    public ProxyKinds Kind { get; private set; }

    public string Name { get; private set; }

    public Location Location { get; private set; }

    /// <summary>A named defaults section that another section referred to with <c>from</c>.</summary>
    public bool IsReferenced { get; set; }

    /// <summary>A named defaults section that a proxy without <c>from</c> took as its parent, being the last one.</summary>
    public bool IsImplicitlyUsed { get; set; }

    public ProxyMode Mode { get; set; }

    public TimeoutsConfig Timeouts { get; set; } = TimeoutsConfig.None;

    public int MaxConn { get; set; }

    public int? Backlog { get; set; }

    public int SessionRateLimit { get; set; }

    public int Retries { get; set; } = 3;

    public int? Redispatch { get; set; }

    /// <summary><c>stick-table</c>: this proxy's table, created at parse time; never inherited.</summary>
    public Sluice.Backends.StickTable? StickTable { get; set; }

    /// <summary><c>cookie</c>: cookie persistence; null when not set.</summary>
    public CookieConfig? Cookie { get; set; }

    /// <summary><c>dynamic-cookie-key</c>: the secret of <c>cookie ... dynamic</c>; null when not set.</summary>
    public string? DynamicCookieKey { get; set; }

    /// <summary><c>persist rdp-cookie[(NAME)]</c>: the cookie that names the server of an RDP connection; null when not set.</summary>
    public string? RdpPersistCookie { get; set; }

    /// <summary><c>option persist</c>: a cookie naming a DOWN server still sends the request there.</summary>
    public bool Persist { get; set; }

    /// <summary><c>fullconn</c>; 0 when not set (a tenth of the reaching frontends' maxconn).</summary>
    public int FullConn { get; set; }

    public int HashBalanceFactor { get; set; }

    public bool AllBackups { get; set; }

    /// <summary>`option transparent` (or the older `transparent`): a request no server is chosen for goes to its destination.</summary>
    public bool Transparent { get; set; }

    /// <summary>`option clitcpka` (or `tcpka` on a frontend side).</summary>
    public bool ClientTcpKeepAlive { get; set; }

    /// <summary>`option srvtcpka` (or `tcpka` on a backend side).</summary>
    public bool ServerTcpKeepAlive { get; set; }

    public bool NoLinger { get; set; }

    /// <summary><c>option socket-stats</c>: each listener of the frontend has its own stats row.</summary>
    public bool SocketStats { get; set; }
    public SpliceMode Splice { get; set; }

    public bool LogHealthChecks { get; set; }

    public bool IdleCloseOnResponse { get; set; }

    /// <summary>`clitcpka-cnt`, `clitcpka-idle`, `clitcpka-intvl`.</summary>
    public TcpKeepAliveConfig ClientKeepAliveTuning { get; set; } = TcpKeepAliveConfig.SystemDefaults;

    /// <summary>`srvtcpka-cnt`, `srvtcpka-idle`, `srvtcpka-intvl`.</summary>
    public TcpKeepAliveConfig ServerKeepAliveTuning { get; set; } = TcpKeepAliveConfig.SystemDefaults;

    public BalanceConfig Balance { get; set; } = BalanceConfig.Default;

    /// <summary><c>hash-type</c>.</summary>
    public HashTypeConfig HashType { get; set; } = HashTypeConfig.Default;

    /// <summary><c>load-server-state-from-file</c>.</summary>
    public ServerStateSource LoadServerState { get; set; }

    /// <summary><c>server-state-file-name</c>; null for the backend's name.</summary>
    public string? ServerStateFileName { get; set; }

    public SourceConfig? Source { get; set; }

    public bool Disabled { get; set; }

    public string? Description { get; set; }

    public int? Id { get; set; }

    /// <summary><c>default_backend</c> name and where it was written.</summary>
    public (string Name, Location Location)? DefaultBackend { get; set; }

    public ServerOptions DefaultServer { get; set; } = new();

    /// <summary>The global section as read when this section opened: bind and server lines start from its TLS defaults.</summary>
    public GlobalConfig Global { get; set; } = new();

    public HttpConnectionMode HttpConnectionMode { get; set; }

    public ForwardedHeaderConfig? ForwardFor { get; set; }

    public ForwardedHeaderConfig? OriginalTo { get; set; }

    public bool HttpBufferRequest { get; set; }

    public bool AcceptInvalidHttpRequest { get; set; }
    public bool H2cUpgrade { get; set; }

    public bool HttpIgnoreProbes { get; set; }

    public bool DisableH2Upgrade { get; set; }

    public HeaderNamePolicy RestrictRequestHeaderNames { get; set; }

    public bool AcceptInvalidHttpResponse { get; set; }

    public HttpReuseMode HttpReuse { get; set; }

    public RetryOnConditions RetryOn { get; set; } = RetryOnConditions.ConnFailure;

    /// <summary><c>option httpchk</c>, <c>option tcp-check</c>, <c>option redis-check</c>, ...: which checks run, inherited from defaults.</summary>
    public CheckProtocol CheckProtocol { get; set; }

    /// <summary>The request of <c>option httpchk</c>, before <c>http-check send</c> applies.</summary>
    public HttpCheckRequest HttpCheckRequest { get; set; } = HttpCheckRequest.Default;

    /// <summary>`http-check send-state`: HTTP checks carry the server's state in a header.</summary>
    public bool HttpCheckSendState { get; set; }

    /// <summary>`http-check disable-on-404`: a 404 to a check puts the server in soft stop (NOLB).</summary>
    public bool HttpCheckDisableOn404 { get; set; }

    /// <summary>The rules a protocol check option (<c>redis-check</c>, <c>smtpchk</c>, ...) set.</summary>
    public IReadOnlyList<CheckRule> ProtocolCheckRules { get; set; } = [];

    /// <summary><c>tcp-check</c> rules in order; inherited from defaults until this section writes its own.</summary>
    public List<CheckRule> TcpCheckRules { get; set; } = [];

    /// <summary>This section wrote <see cref="TcpCheckRules"/> (an inherited list is replaced, not extended).</summary>
    public bool TcpCheckRulesHere { get; set; }

    /// <summary><c>http-check</c> rules in order; inherited from defaults until this section writes its own.</summary>
    public List<CheckRule> HttpCheckRules { get; set; } = [];

    /// <summary>This section wrote <see cref="HttpCheckRules"/>.</summary>
    public bool HttpCheckRulesHere { get; set; }

    /// <summary><c>stick</c> rules in order; never inherited (not allowed in defaults).</summary>
    public List<Sluice.Rules.Actions.StickRule> StickRules { get; private set; } = [];

    /// <summary><c>use_backend</c> lines in order; never inherited (not allowed in defaults).</summary>
    public List<UseBackendLine> UseBackends { get; private set; } = [];

    /// <summary><c>use-server</c> rules in order.</summary>
    public List<Sluice.Backends.UseServerRule> UseServers { get; private set; } = [];

    /// <summary><c>force-persist</c> and <c>ignore-persist</c> rules in order.</summary>
    public List<Sluice.Backends.PersistRule> PersistRules { get; private set; } = [];

    /// <summary><c>http-request</c> rules in order; never inherited (refused in defaults sections).</summary>
    public List<Sluice.Rules.Actions.HttpRule> HttpRequestRules { get; private set; } = [];

    /// <summary><c>http-response</c> rules in order; never inherited.</summary>
    public List<Sluice.Rules.Actions.HttpRule> HttpResponseRules { get; private set; } = [];

    /// <summary><c>tcp-request connection</c> rules in order.</summary>
    public List<Sluice.Rules.Actions.TcpRule> TcpConnectionRules { get; private set; } = [];

    /// <summary><c>tcp-request content</c> rules in order.</summary>
    public List<Sluice.Rules.Actions.TcpRule> TcpContentRules { get; private set; } = [];

    /// <summary><c>tcp-request session</c> rules in order.</summary>
    public List<Sluice.Rules.Actions.TcpRule> TcpSessionRules { get; private set; } = [];

    /// <summary><c>tcp-response content</c> rules in order.</summary>
    public List<Sluice.Rules.Actions.TcpRule> TcpResponseRules { get; private set; } = [];

    /// <summary>Capture slots (`capture ... header`, `declare capture`, `http-request capture ... len`), request side then response side.</summary>
    public List<CaptureSlot> RequestCaptures { get; private set; } = [];

    public List<CaptureSlot> ResponseCaptures { get; private set; } = [];

    /// <summary>`capture cookie`: the last line's; null without one.</summary>
    public CookieCapture? CookieCapture { get; set; }

    /// <summary>The `capture cookie` length was above 63 and cut, which HAProxy reports when it checks the proxy.</summary>
    public bool CookieCaptureTruncated { get; set; }

    /// <summary>`unique-id-format`; null without one.</summary>
    public Sluice.Logging.LogFormat? UniqueIdFormat { get; set; }

    /// <summary>`unique-id-header`: the request field that carries the unique ID to the server; null without one.</summary>
    public string? UniqueIdHeader { get; set; }

    /// <summary>Legacy <c>redirect</c> rules: run after the <c>http-request</c> rules.</summary>
    public List<Sluice.Rules.Actions.HttpRule> RedirectRules { get; private set; } = [];

    public string? MonitorUri { get; set; }

    /// <summary>The `stats` keywords of this proxy (or of the defaults it copies).</summary>
    public StatsPageConfig StatsPage { get; set; } = new();

    public Sluice.Rules.Acls.Condition? MonitorFail { get; set; }

    /// <summary><c>tcp-request inspect-delay</c>: how long content rules may wait for data; zero when not set.</summary>
    public TimeSpan InspectDelay { get; set; }

    /// <summary><c>tcp-response inspect-delay</c>: how long response content rules may wait for data; zero when not set.</summary>
    public TimeSpan ResponseInspectDelay { get; set; }

    /// <summary>The section's ACLs by name; a name declared on several lines OR's them.</summary>
    public Dictionary<string, Sluice.Rules.Acls.Acl> Acls { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The error page lines (`errorfile`, `errorfiles`, `errorloc*`, `http-error`) in order, its defaults' first:
    /// HAProxy applies them one after the other once every `http-errors` section is known.
    /// </summary>
    public List<ErrorPageEntry> ErrorPages { get; private set; } = [];

    public List<BindLine> Binds { get; private set; } = [];

    /// <summary>`log` lines (and `log global`'s copy of the global ones); an array replaced on change, so sharing it with defaults is safe.</summary>
    public Sluice.Logging.LogTarget[] LogTargets { get; set; } = [];

    public string? LogTag { get; set; }

    /// <summary>`option httplog`/`tcplog`/`httpslog` or `log-format`: the last one wins, as in HAProxy.</summary>
    public Sluice.Logging.LogFormatChoice LogFormatChoice { get; set; }

    /// <summary>Where the log format was chosen, for the fallback warning.</summary>
    public Location? LogFormatLocation { get; set; }

    /// <summary>The compiled `log-format` (or option's format); null until one is chosen.</summary>
    public Sluice.Logging.LogFormat? LogFormat { get; set; }

    public Sluice.Logging.LogFormat? LogFormatSd { get; set; }

    public Sluice.Logging.LogFormat? ErrorLogFormat { get; set; }

    public bool DontLogNull { get; set; }

    public bool DontLogNormal { get; set; }

    public bool LogAsap { get; set; }

    public bool LogSeparateErrors { get; set; }

    public List<ServerLine> Servers { get; private set; } = [];

    public bool IsFrontend => (Kind & (ProxyKinds.Frontend | ProxyKinds.Listen)) != 0;

    public bool IsBackend => (Kind & (ProxyKinds.Backend | ProxyKinds.Listen)) != 0;

    public string KindName => Kind switch
    {
        ProxyKinds.Defaults => "defaults",
        ProxyKinds.Frontend => "frontend",
        ProxyKinds.Backend => "backend",
        _ => "listen",
    };

    /// <summary>HAProxy's name for a proxy in messages: "proxy" for listen sections.</summary>
    public string MessageKind => Kind == ProxyKinds.Listen ? "proxy" : KindName;

    /// <summary>Starts a new section from these defaults: every setting is copied, binds and servers are not.</summary>
    public ProxySection CopyAs(ProxyKinds kind, string name, Location location)
    {
        var copy = (ProxySection)MemberwiseClone();
        copy.Kind = kind;
        copy.Name = name;
        copy.Location = location;
        copy.IsReferenced = false;
        copy.IsImplicitlyUsed = false;
        copy.Description = null;
        copy.Id = null;
        copy.Binds = [];
        copy.Servers = [];
        copy.UseBackends = [];
        copy.UseServers = [];
        copy.PersistRules = [];
        copy.StickRules = [];
        copy.HttpRequestRules = [];
        copy.HttpResponseRules = [];
        copy.TcpConnectionRules = [];
        copy.TcpContentRules = [];
        copy.TcpSessionRules = [];
        copy.TcpResponseRules = [];
        copy.RequestCaptures = [];
        copy.ResponseCaptures = [];
        copy.CookieCapture = null;
        copy.RedirectRules = [];
        copy.Acls = new(StringComparer.Ordinal);
        copy.TcpCheckRulesHere = false;
        copy.HttpCheckRulesHere = false;
        copy.ErrorPages = [.. ErrorPages];
        return copy;
    }
}
