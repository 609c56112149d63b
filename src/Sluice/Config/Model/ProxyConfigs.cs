namespace Sluice.Config.Model;

/// <summary>A frontend (or the frontend half of a `listen` section).</summary>
internal sealed record FrontendConfig
{
    public required string Name { get; init; }
    public required string Location { get; init; }
    public required int Id { get; init; }
    public ProxyMode Mode { get; init; }
    /// <summary>`option socket-stats`: a stats row per listener.</summary>
    public bool SocketStats { get; init; }
    public required IReadOnlyList<BindConfig> Binds { get; init; }
    public TimeoutsConfig Timeouts { get; init; } = TimeoutsConfig.None;
    /// <summary>0 means the global `maxconn` applies.</summary>
    public int MaxConn { get; init; }
    public int? Backlog { get; init; }
    /// <summary>`rate-limit sessions N`: new sessions per second the frontend accepts; 0 when not limited.</summary>
    public int SessionRateLimit { get; init; }

    /// <summary>`option clitcpka`/`tcpka` with `clitcpka-*`: TCP keep-alive on client connections; null when off.</summary>
    public TcpKeepAliveConfig? ClientKeepAlive { get; init; }

    /// <summary>`option nolinger`: client connections are closed with a reset, their unsent data dropped.</summary>
    public bool NoLinger { get; init; }

    /// <summary>`option splice-*` of the frontend (none under the global `nosplice`).</summary>
    public SpliceMode Splice { get; init; }

    /// <summary>`option idle-close-on-response`: at a soft stop, an idle HTTP/1 connection waits for its next
    /// request and closes after that response instead of at once.</summary>
    public bool IdleCloseOnResponse { get; init; }
    /// <summary>Resolved `default_backend` (or the listen section's own backend), null when none.</summary>
    public BackendConfig? DefaultBackend { get; init; }
    public bool Disabled { get; init; }
    public string? Description { get; init; }
    public HttpConnectionMode HttpConnectionMode { get; init; }
    public ForwardedHeaderConfig? ForwardFor { get; init; }
    public ForwardedHeaderConfig? OriginalTo { get; init; }
    /// <summary>`option http-buffer-request`: the request body is waited for (up to the buffer) before the server is picked.</summary>
    public bool HttpBufferRequest { get; init; }
    /// <summary>`option accept-invalid-http-request`.</summary>
    public bool AcceptInvalidHttpRequest { get; init; }
    /// <summary>
    /// `option h2c-upgrade` (Sluice's own): a cleartext HTTP/1.1 request with `Upgrade: h2c` switches its connection
    /// to HTTP/2 (RFC 7540 §3.2) instead of having the token removed.
    /// </summary>
    public bool H2cUpgrade { get; init; }

    /// <summary>`option http-ignore-probes`: a first connection that times out or closes before any byte is neither
    /// answered (no 408), logged nor counted.</summary>
    public bool HttpIgnoreProbes { get; init; }

    /// <summary>`option disable-h2-upgrade`: an HTTP/1 connection is not switched to HTTP/2 by the preface.</summary>
    public bool DisableH2Upgrade { get; init; }
    /// <summary>`option http-restrict-req-hdr-names`.</summary>
    public HeaderNamePolicy RestrictRequestHeaderNames { get; init; }
    /// <summary>`use_backend` rules in order; <see cref="DefaultBackend"/> applies when none does.</summary>
    public IReadOnlyList<UseBackendRule> UseBackends { get; init; } = [];
    /// <summary>`http-request` rules of the frontend, in order.</summary>
    public IReadOnlyList<Sluice.Rules.Actions.HttpRule> HttpRequestRules { get; init; } = [];

    public IReadOnlyList<Sluice.Rules.Actions.HttpRule> HttpResponseRules { get; init; } = [];
    /// <summary>`tcp-request connection` rules, run as a connection is accepted.</summary>
    public IReadOnlyList<Sluice.Rules.Actions.TcpRule> TcpConnectionRules { get; init; } = [];
    /// <summary>True when a `tcp-request connection expect-proxy layer4` rule may ask for a PROXY header.</summary>
    public bool ExpectsProxyHeader { get; init; }
    /// <summary>`tcp-request session` rules, run once per client connection after its handshakes.</summary>
    public IReadOnlyList<Sluice.Rules.Actions.TcpRule> TcpSessionRules { get; init; } = [];
    /// <summary>
    /// `tcp-request content` rules: in mode tcp run on the first bytes within `tcp-request inspect-delay`; in mode
    /// http run on each request head, before the `http-request` rules.
    /// </summary>
    public IReadOnlyList<Sluice.Rules.Actions.TcpRule> TcpContentRules { get; init; } = [];
    public TimeSpan InspectDelay { get; init; }
    /// <summary>Capture slots for request and response values, in declaration order (their ids).</summary>
    public IReadOnlyList<CaptureSlot> RequestCaptures { get; init; } = [];
    public IReadOnlyList<CaptureSlot> ResponseCaptures { get; init; } = [];
    /// <summary>`capture cookie`: null without one.</summary>
    public CookieCapture? CookieCapture { get; init; }
    /// <summary>`unique-id-format`: the unique ID of each transaction (`unique-id`, `%ID`); null without one.</summary>
    public Sluice.Logging.LogFormat? UniqueIdFormat { get; init; }
    /// <summary>`unique-id-header`: the field name (lower-cased) that carries the unique ID to the server; null without one.</summary>
    public byte[]? UniqueIdHeader { get; init; }
    /// <summary>`monitor-uri`: requests for exactly this URI are answered by the proxy (200, or 503 with `monitor fail`).</summary>
    public string? MonitorUri { get; init; }
    public Sluice.Rules.Acls.Condition? MonitorFail { get; init; }
    /// <summary>`errorfile`, `errorfiles`, `errorloc` and `http-error`: the proxy's own error pages by status code.</summary>
    public IReadOnlyDictionary<int, HttpReturnRule> ErrorFiles { get; init; } = EmptyErrorFiles;
    /// <summary>`stick-table`: the frontend's own table; null without one.</summary>
    public Sluice.Backends.StickTable? StickTable { get; init; }
    /// <summary>The traffic log: targets, format, options; null when the frontend logs nothing.</summary>
    public Sluice.Logging.ProxyLogConfig? Log { get; init; }

    public static readonly IReadOnlyDictionary<int, HttpReturnRule> EmptyErrorFiles = new Dictionary<int, HttpReturnRule>();
}

/// <summary>A backend (or the backend half of a `listen` section).</summary>
internal sealed record BackendConfig
{
    public required string Name { get; init; }
    /// <summary>The proxy's log targets, for its events (servers going up and down); null when it logs nothing.</summary>
    public Sluice.Logging.ProxyLogConfig? Log { get; init; }
    public required string Location { get; init; }
    public required int Id { get; init; }
    public ProxyMode Mode { get; init; }
    public BalanceConfig Balance { get; init; } = BalanceConfig.Default;
    /// <summary>`hash-type`: how the hash-based algorithms map a hash to a server.</summary>
    public HashTypeConfig HashType { get; init; } = HashTypeConfig.Default;
    /// <summary>`load-server-state-from-file`: where the servers' state saved before a reload is read from.</summary>
    public ServerStateSource LoadServerState { get; init; }
    /// <summary>`server-state-file-name`: the file read with `load-server-state-from-file local`; null for the backend's name.</summary>
    public string? ServerStateFileName { get; init; }
    public required IReadOnlyList<ServerConfig> Servers { get; init; }
    public TimeoutsConfig Timeouts { get; init; } = TimeoutsConfig.None;
    /// <summary>`retries`: connection attempts after the first one. HAProxy's default is 3.</summary>
    public int Retries { get; init; } = 3;
    /// <summary>
    /// `option redispatch [N]`: null when off. A positive N redispatches on every Nth retry, a negative N on
    /// the Nth retry before the last one; the default -1 redispatches on the last retry.
    /// </summary>
    public int? Redispatch { get; init; }
    /// <summary>`fullconn`: the backend load at which servers with `minconn` reach their `maxconn`.</summary>
    public int FullConn { get; init; }

    /// <summary>
    /// `hash-balance-factor`: with `hash-type consistent`, no server takes more than this percentage of the
    /// average load (concurrent requests per unit of weight); a key whose server is over it goes on along the
    /// ring. 0 for no bound.
    /// </summary>
    public int HashBalanceFactor { get; init; }
    /// <summary>`stick-table`: the backend's own table; null without one.</summary>
    public Sluice.Backends.StickTable? StickTable { get; init; }
    /// <summary>`stick match|on|store-request|store-response` rules, their tables resolved.</summary>
    public IReadOnlyList<Sluice.Rules.Actions.StickRule> StickRules { get; init; } = [];
    /// <summary>`use-server` rules in order.</summary>
    public IReadOnlyList<Sluice.Backends.UseServerRule> UseServerRules { get; init; } = [];
    /// <summary>`force-persist` and `ignore-persist` rules in order.</summary>
    public IReadOnlyList<Sluice.Backends.PersistRule> PersistRules { get; init; } = [];
    /// <summary>`cookie`: cookie persistence (mode http only); null when not set.</summary>
    public CookieConfig? Cookie { get; init; }
    /// <summary>`option persist`.</summary>
    public bool Persist { get; init; }
    /// <summary>`persist rdp-cookie(NAME)` in mode tcp: NAME encoded once; null when not set.</summary>
    public byte[]? RdpPersistCookie { get; init; }
    public bool AllBackups { get; init; }

    /// <summary>
    /// `option transparent`: where a request goes when no server is chosen for it (by a cookie, `use-server`, a
    /// stick table): a server at `0.0.0.0`, the request's destination, that no statistics list; null without it.
    /// </summary>
    public ServerConfig? TransparentTarget { get; init; }

    /// <summary>`option srvtcpka`/`tcpka` with `srvtcpka-*`: TCP keep-alive on server connections; null when off.</summary>
    public TcpKeepAliveConfig? ServerKeepAlive { get; init; }

    /// <summary>`option log-health-checks`: every change of a check's status is logged, not only changes of state.</summary>
    public bool LogHealthChecks { get; init; }

    /// <summary>`option nolinger`: server connections are closed with a reset.</summary>
    public bool NoLinger { get; init; }

    /// <summary>`option splice-*` of the backend (none under the global `nosplice`).</summary>
    public SpliceMode Splice { get; init; }
    public SourceConfig? Source { get; init; }
    public bool Disabled { get; init; }
    public string? Description { get; init; }
    public HttpConnectionMode HttpConnectionMode { get; init; }
    public ForwardedHeaderConfig? ForwardFor { get; init; }
    public ForwardedHeaderConfig? OriginalTo { get; init; }
    public bool HttpBufferRequest { get; init; }
    /// <summary>`option accept-invalid-http-response`.</summary>
    public bool AcceptInvalidHttpResponse { get; init; }
    /// <summary>`option http-restrict-req-hdr-names`.</summary>
    public HeaderNamePolicy RestrictRequestHeaderNames { get; init; }
    public HttpReuseMode HttpReuse { get; init; }
    /// <summary>`retry-on`; HAProxy's default is `conn-failure`.</summary>
    public RetryOnConditions RetryOn { get; init; } = RetryOnConditions.ConnFailure;
    /// <summary>`http-request` rules of the backend, run after the frontend's.</summary>
    public IReadOnlyList<Sluice.Rules.Actions.HttpRule> HttpRequestRules { get; init; } = [];

    public IReadOnlyList<Sluice.Rules.Actions.HttpRule> HttpResponseRules { get; init; } = [];
    /// <summary>`tcp-request content` rules of a backend, run after the switch, before its `http-request` rules (mode http) or the server's choice (mode tcp).</summary>
    public IReadOnlyList<Sluice.Rules.Actions.TcpRule> TcpContentRules { get; init; } = [];
    /// <summary>`tcp-request inspect-delay` of a backend: how long its mode tcp content rules may wait for the client's bytes.</summary>
    public TimeSpan InspectDelay { get; init; }
    /// <summary>`tcp-response content` rules: on the response head in mode http, on the server's first bytes in mode tcp.</summary>
    public IReadOnlyList<Sluice.Rules.Actions.TcpRule> TcpResponseRules { get; init; } = [];
    /// <summary>`tcp-response inspect-delay`: how long mode tcp response rules may wait for the server's bytes.</summary>
    public TimeSpan ResponseInspectDelay { get; init; }
    public IReadOnlyDictionary<int, HttpReturnRule> ErrorFiles { get; init; } = FrontendConfig.EmptyErrorFiles;
    /// <summary>`option httpchk`, `http-check send`, `http-check expect`, `option tcp-check`.</summary>
    public BackendCheckConfig HealthCheck { get; init; } = BackendCheckConfig.Default;
    /// <summary>The backend half of a `listen` section: HAProxy calls it a "proxy" in messages.</summary>
    public bool IsListen { get; init; }
}

/// <summary>The `global` section after parsing.</summary>
internal sealed record GlobalConfig
{
    /// <summary>0 means "derived from the file-descriptor limit", as HAProxy does.</summary>
    public int MaxConn { get; init; }
    /// <summary>`maxconnrate`, `maxsessrate`, `maxsslrate`: new connections, sessions and TLS connections per
    /// second the listeners accept, process-wide; 0 when not limited.</summary>
    public int MaxConnRate { get; init; }
    public int MaxSessRate { get; init; }
    public int MaxSslRate { get; init; }
    /// <summary>`maxsslconn`: TLS client connections at once; 0 when not limited.</summary>
    public int MaxSslConn { get; init; }
    /// <summary>`nbthread N`: accept loops per listening address (one SO_REUSEPORT socket each, or one shared
    /// socket with `noreuseport`); 0 when not set, which means one.</summary>
    public int NbThread { get; init; }

    /// <summary>`cpu-map`: the CPUs the process is bound to; null when not set.</summary>
    public CpuMapConfig? CpuMap { get; init; }
    /// <summary>`noreuseport`: listening sockets do not set SO_REUSEPORT, so no other process can share their port.</summary>
    public bool NoReusePort { get; init; }
    public bool StrictLimits { get; init; }
    public TimeSpan? HardStopAfter { get; init; }

    /// <summary>
    /// `grace`: after SIGUSR1 the process reports itself stopping (the `stopping` fetch) but goes on accepting for
    /// this long before the soft stop proceeds, so that external checks see it leave first. Null when not set.
    /// </summary>
    public TimeSpan? Grace { get; init; }

    /// <summary>
    /// `close-spread-time`: at a soft stop, each connection is told to close at a random moment of this window
    /// instead of all at once; <see cref="Timeout.InfiniteTimeSpan"/> (`infinite`) tells none, and idle ones end
    /// by their timeouts. Null when not set.
    /// </summary>
    public TimeSpan? CloseSpreadTime { get; init; }
    public string? PidFile { get; init; }
    public bool Daemon { get; init; }

    /// <summary>`master-worker` (or `-W`): the master CLI (`-S`) is offered and SIGUSR2 reloads, as it does anyway.</summary>
    public bool MasterWorker { get; init; }

    /// <summary>`mworker-max-reloads N`: a configuration replaced by more than N reloads stops at once; null for no limit.</summary>
    public int? MworkerMaxReloads { get; init; }
    public string? User { get; init; }
    public string? Group { get; init; }
    public int? Uid { get; init; }
    public int? Gid { get; init; }
    public string? Chroot { get; init; }

    /// <summary>`server-state-base`: the directory of state file names that are not absolute.</summary>
    public string? ServerStateBase { get; init; }
    /// <summary>`server-state-file`: the file that `load-server-state-from-file global` reads.</summary>
    public string? ServerStateFile { get; init; }

    /// <summary>`noepoll`: cleartext connections wait through the runtime's socket engine instead of Sluice's event loops.</summary>
    public bool NoEpoll { get; init; }

    /// <summary>`nosplice`: no tunnel uses splice(2), whatever the proxies ask.</summary>
    public bool NoSplice { get; init; }

    /// <summary>`maxpipes`: pipes for splice(2) in use at once; 0 when not set (a quarter of `maxconn`).</summary>
    public int MaxPipes { get; init; }

    /// <summary>`tune.pipesize`: the size asked of the kernel for each pipe; 0 keeps the kernel's.</summary>
    public int PipeSize { get; init; }
    public int? UlimitN { get; init; }
    public int BufSize { get; init; } = 16384;
    public int MaxRewrite { get; init; } = 1024;
    public int MaxHeaders { get; init; } = 101;
    /// <summary>`tune.h2.max-concurrent-streams` (or `tune.h2.fe.max-concurrent-streams`): streams a client may open at once.</summary>
    public int H2MaxConcurrentStreams { get; init; } = 100;
    /// <summary>`tune.h2.initial-window-size`: the stream window advertised to clients and servers.</summary>
    public int H2InitialWindowSize { get; init; } = 65535;
    /// <summary>`tune.h2.fe.initial-window-size`: the stream window advertised to clients, over `tune.h2.initial-window-size`.</summary>
    public int? H2FrontInitialWindowSize { get; init; }
    /// <summary>`tune.h2.be.initial-window-size`: the stream window advertised to servers, over `tune.h2.initial-window-size`.</summary>
    public int? H2BackInitialWindowSize { get; init; }
    /// <summary>`tune.h2.be.max-concurrent-streams`: streams open at once on one connection to a server, below what it allows (0: what it allows).</summary>
    public int H2BackMaxConcurrentStreams { get; init; }
    /// <summary>`tune.h2.header-table-size`: the HPACK dynamic table the proxy keeps for a client.</summary>
    public int H2HeaderTableSize { get; init; } = 4096;
    /// <summary>`tune.h2.max-frame-size`: the largest frame the proxy accepts.</summary>
    public int H2MaxFrameSize { get; init; } = 16384;
    /// <summary>`tune.h2.fe.glitches-threshold`: protocol anomalies a client connection may commit (0: no limit).</summary>
    public int H2FrontGlitchesThreshold { get; init; } = Mux.Http2.Http2Limits.DefaultGlitchesThreshold;
    /// <summary>`tune.h2.fe.max-total-streams`: streams a client connection may open in its life (0: no limit).</summary>
    public int H2FrontMaxTotalStreams { get; init; }
    public bool ExposeExperimentalDirectives { get; init; }
    public string? Description { get; init; }
    public string? Node { get; init; }
    /// <summary>`spread-checks`: each interval between checks moves by up to this percentage either way; 0 for none.</summary>
    public int SpreadChecks { get; init; }
    /// <summary>`stats socket` lines: the runtime API's listeners.</summary>
    public IReadOnlyList<StatsSocketConfig> StatsSockets { get; init; } = [];
    /// <summary>`stats timeout`: how long an idle runtime API connection stays open.</summary>
    public TimeSpan StatsTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>`stats maxconn`: runtime API connections at once.</summary>
    public int StatsMaxConn { get; init; } = 10;
    /// <summary>`quiet` (or -q): no notices nor warnings at start-up.</summary>
    public bool Quiet { get; init; }
    /// <summary>`zero-warning` (or -dW): any warning makes the configuration fail.</summary>
    public bool ZeroWarning { get; init; }
    /// <summary>`ssl-default-bind-options`, `-ciphers`, `-ciphersuites`: where every bind line's TLS settings start.</summary>
    public TlsSettings TlsBindDefaults { get; init; } = TlsSettings.Empty;
    /// <summary>`ssl-default-server-options`, `-ciphers`, `-ciphersuites`, and `ssl-server-verify` as its `verify`.</summary>
    public TlsSettings TlsServerDefaults { get; init; } = TlsSettings.Empty;
    /// <summary>`log` lines of the global section, which `log global` refers to.</summary>
    public IReadOnlyList<Sluice.Logging.LogTarget> LogTargets { get; init; } = [];
    /// <summary>The `ring` sections, checked.</summary>
    public IReadOnlyList<RingConfig> Rings { get; init; } = [];

    /// <summary>The `resolvers` sections, by name.</summary>
    public IReadOnlyDictionary<string, ResolversConfig> Resolvers { get; init; } = new Dictionary<string, ResolversConfig>();
    public string? LogTag { get; init; }
    /// <summary>`log-send-hostname [NAME]`: the name put in syslog headers (the system's host name without NAME).</summary>
    public string? LogSendHostname { get; init; }
}

/// <summary>The whole immutable runtime model built from a configuration.</summary>
internal sealed record SluiceConfig
{
    public required GlobalConfig Global { get; init; }
    public required IReadOnlyList<FrontendConfig> Frontends { get; init; }
    public required IReadOnlyList<BackendConfig> Backends { get; init; }

    /// <summary>The map and ACL pattern references the configuration read, for the runtime API.</summary>
    public Sluice.Rules.Acls.PatternReferences Patterns { get; init; } = new();
}

/// <summary>
/// TCP keep-alive probes of one side: how many unanswered probes end the connection (TCP_KEEPCNT), the idle time
/// before the first (TCP_KEEPIDLE) and the time between probes (TCP_KEEPINTVL), in seconds; null leaves the
/// system's value.
/// </summary>
internal sealed record TcpKeepAliveConfig(int? Count, int? IdleSeconds, int? IntervalSeconds)
{
    public static readonly TcpKeepAliveConfig SystemDefaults = new(null, null, null);
}

/// <summary>The union of the CPU sets `cpu-map` lines give process 1, and whether they named threads one by one.</summary>
internal sealed record CpuMapConfig(IReadOnlyList<int> Cpus, bool PerThread);

/// <summary>`load-server-state-from-file`: which saved server states a backend applies when it starts.</summary>
internal enum ServerStateSource
{
    /// <summary>`none`, the default: servers start as configured.</summary>
    None = 0,

    /// <summary>`global`: the file of the global `server-state-file`.</summary>
    Global,

    /// <summary>`local`: the backend's own file (`server-state-file-name`, else the backend's name).</summary>
    Local,
}
