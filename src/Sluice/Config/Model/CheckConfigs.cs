using System.Net;
using Sluice.Checks;

namespace Sluice.Config.Model;

/// <summary>
/// The health-check settings of one server line (`check`, `inter`, `fastinter`, `downinter`, `rise`, `fall`,
/// `port`, `addr`), with HAProxy's defaults: inter 2s, rise 2, fall 3; fastinter and downinter default to inter.
/// </summary>
internal sealed record ServerCheckConfig
{
    public static readonly TimeSpan DefaultInter = TimeSpan.FromSeconds(2);

    public static readonly ServerCheckConfig Default = new();

    /// <summary>`check`: the server is checked; without it the server is always considered up.</summary>
    public bool Enabled { get; init; }
    public TimeSpan Inter { get; init; } = DefaultInter;
    /// <summary>`fastinter`: the interval while the server is going up or down; null means <see cref="Inter"/>.</summary>
    public TimeSpan? FastInter { get; init; }
    /// <summary>`downinter`: the interval while the server is fully down; null means <see cref="Inter"/>.</summary>
    public TimeSpan? DownInter { get; init; }
    public int Rise { get; init; } = 2;
    public int Fall { get; init; } = 3;
    /// <summary>`port`: the port checks connect to; 0 means the server's own port.</summary>
    public int Port { get; init; }
    /// <summary>`addr`: the address checks connect to; null means the server's own address.</summary>
    public IPAddress? Address { get; init; }
    /// <summary>`check-send-proxy`: checks begin with a PROXY header even when `port` or `addr` send them elsewhere, or the traffic has none.</summary>
    public bool SendProxy { get; init; }
    /// <summary>`check-via-socks4`: checks go through the server's `socks4` proxy too.</summary>
    public bool ViaSocks4 { get; init; }
    /// <summary>`check-proto h1|h2`: the protocol of HTTP checks; null for the server's `proto` (or ALPN).</summary>
    public string? Proto { get; init; }
    /// <summary>`agent-check`: an agent on <see cref="AgentPort"/> reports the server's state, weight and admin state.</summary>
    public bool AgentCheck { get; init; }
    /// <summary>`agent-port`: where the agent listens; 0 when not set.</summary>
    public int AgentPort { get; init; }
    /// <summary>`agent-inter`: the interval between agent checks; null means <see cref="Inter"/>.</summary>
    public TimeSpan? AgentInter { get; init; }
    /// <summary>`agent-addr`: the agent's address; null means the check address.</summary>
    public IPAddress? AgentAddress { get; init; }
    /// <summary>`agent-send`: what is sent to the agent once connected; null for nothing.</summary>
    public string? AgentSend { get; init; }
    /// <summary>`observe`: the traffic to the server counts as checks too (HAProxy's health analysis).</summary>
    public ObserveMode Observe { get; init; }
    /// <summary>`error-limit`: consecutive errors seen in the traffic before <see cref="OnError"/> applies; 10 by default.</summary>
    public int ErrorLimit { get; init; } = 10;
    /// <summary>`on-error`: what <see cref="ErrorLimit"/> consecutive errors do; a failed check by default.</summary>
    public ObserveErrorAction OnError { get; init; } = ObserveErrorAction.FailCheck;
    /// <summary>`on-marked-down shutdown-sessions`: the server's sessions are cut when it goes down.</summary>
    public bool ShutdownSessionsOnDown { get; init; }
    /// <summary>`on-marked-up shutdown-backup-sessions`: the backup servers' sessions are cut when this one comes up.</summary>
    public bool ShutdownBackupSessionsOnUp { get; init; }
    /// <summary>`track [BACKEND/]SERVER`: the server takes the state of that one instead of being checked; null when not set.</summary>
    public string? Track { get; init; }
    /// <summary>`slowstart`: the period over which the weight grows back to its full value after the server comes up; zero for none.</summary>
    public TimeSpan SlowStart { get; init; }
}

/// <summary>`observe`: which outcomes of the traffic count (HAProxy's HANA_OBS_*).</summary>
internal enum ObserveMode
{
    /// <summary>The traffic is not observed.</summary>
    None = 0,
    /// <summary>Connections: a failed one is an error, an established one clears the count.</summary>
    Layer4 = 1,
    /// <summary>HTTP responses (a 5xx other than 501 and 505, an invalid or missing answer) and failed connections.</summary>
    Layer7 = 2,
}

/// <summary>`on-error`: HAProxy's HANA_ONERR_* actions once `error-limit` errors came in a row.</summary>
internal enum ObserveErrorAction
{
    /// <summary>Checks run at `fastinter` (which every action does).</summary>
    FastInter = 0,
    /// <summary>Counts as one failed check.</summary>
    FailCheck = 1,
    /// <summary>Leaves the server one failed check away from going down, and counts one failed check.</summary>
    SuddenDeath = 2,
    /// <summary>Takes the server down at once.</summary>
    MarkDown = 3,
}

/// <summary>What a backend's checks do: a plain TCP connect, or an HTTP request with an expected answer.</summary>
internal enum HealthCheckKind
{
    /// <summary>The default, and `option tcp-check` without rules: the connection alone decides.</summary>
    Tcp = 0,
    /// <summary>`option httpchk`.</summary>
    Http = 1,
}

/// <summary>The request an HTTP check sends: `option httpchk` arguments, overridden by `http-check send`.</summary>
internal sealed record HttpCheckRequest
{
    public static readonly HttpCheckRequest Default = new();

    public string Method { get; init; } = "OPTIONS";
    public string Uri { get; init; } = "/";
    public string Version { get; init; } = "HTTP/1.0";
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    public string? Body { get; init; }
}

/// <summary>`http-check send`: each part it names replaces that part of the `option httpchk` request.</summary>
internal sealed record HttpCheckSend(string? Method, string? Uri, string? Version, IReadOnlyList<KeyValuePair<string, string>> Headers, string? Body)
{
    public HttpCheckRequest ApplyTo(HttpCheckRequest request) => new()
    {
        Method = Method ?? request.Method,
        Uri = Uri ?? request.Uri,
        Version = Version ?? request.Version,
        Headers = Headers.Count > 0 ? Headers : request.Headers,
        Body = Body ?? request.Body,
    };
}

/// <summary>The kinds of `http-check expect` Sluice implements.</summary>
internal enum HttpCheckExpectKind
{
    Status = 0,
    RStatus = 1,
    String = 2,
    RString = 3,
}

/// <summary>
/// `http-check expect [!] status CODES|rstatus RE|string S|rstring RE`. CODES is a comma-separated list of codes
/// and ranges (`200,300-399`). Without an expect rule a 2xx or 3xx status passes.
/// </summary>
internal sealed record HttpCheckExpect(HttpCheckExpectKind Kind, string Pattern, bool Negated)
{
    /// <summary>The code ranges of a `status` rule.</summary>
    public IReadOnlyList<(int First, int Last)> Codes { get; init; } = [];
}

/// <summary>
/// The ruleset a backend's checks run, named after the option that set it: HAProxy words the results of its
/// protocol checks (`option redis-check`, ...) differently from those of a ruleset the user wrote.
/// </summary>
internal enum CheckProtocol
{
    /// <summary>The default: a connection, and nothing more.</summary>
    Connect = 0,
    /// <summary>`option tcp-check` with its `tcp-check` rules (a connection alone without rules).</summary>
    Tcp = 1,
    /// <summary>`option httpchk` with its `http-check` rules.</summary>
    Http = 2,
    /// <summary>`option redis-check`: PING, +PONG.</summary>
    Redis = 3,
    /// <summary>`option ssl-hello-chk`: an SSLv3 client hello, a TLS record back.</summary>
    SslHello = 4,
    /// <summary>`option smtpchk`: the greeting, HELO or EHLO, a 2xx answer.</summary>
    Smtp = 5,
    /// <summary>`option pgsql-check`: a startup message, an authentication request back.</summary>
    Pgsql = 6,
    /// <summary>`option mysql-check`: the server's handshake (and with `user`, an authentication and its OK).</summary>
    Mysql = 7,
    /// <summary>`option ldap-check`: an anonymous bind, a successful bind response.</summary>
    Ldap = 8,
}

/// <summary>One step of a check: `tcp-check connect|send|expect`, `http-check connect|send|expect`, or a step of a protocol check.</summary>
internal abstract record CheckRule
{
    /// <summary>`comment TEXT`, or the text of the `tcp-check comment` before it: added to the result's info on failure.</summary>
    public string? Comment { get; init; }

    /// <summary>The step number in messages ("at step N"): 1-based over the rules as written, 0 for an added connect.</summary>
    public int Step { get; init; }
}

/// <summary>
/// `connect [default] [port P] [addr A] [send-proxy] [ssl] [linger]`: opens a new connection (closing the previous one).
/// The first step of every ruleset is a connect; one is added (<see cref="Implicit"/>) when the rules do not begin so.
/// </summary>
internal sealed record CheckConnectRule : CheckRule
{
    /// <summary>The port to connect to; 0 for the server's check port.</summary>
    public int Port { get; init; }
    /// <summary>The address to connect to; null for the server's check address.</summary>
    public IPAddress? Address { get; init; }
    /// <summary>`ssl`: a TLS handshake with the server's TLS settings.</summary>
    public bool Ssl { get; init; }
    /// <summary>`send-proxy`: the connection begins with a PROXY header.</summary>
    public bool SendProxy { get; init; }
    /// <summary>`default`: the server's own check settings (`check-ssl`, `check-send-proxy`) apply.</summary>
    public bool Default { get; init; }
    /// <summary>Added because the rules did not begin with a connect: its success reports no info.</summary>
    public bool Implicit { get; init; }
}

/// <summary>`send STRING`, `send-binary HEX`, `send-lf` without a format: bytes written as they are.</summary>
internal sealed record CheckSendRule(byte[] Data) : CheckRule
{
    /// <summary>Where 4 bytes of the current Unix time (big endian) replace the data; -1 for none (`option ssl-hello-chk`).</summary>
    public int UnixTimeAt { get; init; } = -1;
}

/// <summary>`http-check send` or the request of `option httpchk`: an HTTP/1 request.</summary>
internal sealed record CheckHttpSendRule(HttpCheckRequest Request) : CheckRule;

/// <summary>`http-check expect`, or the implicit one after a last send (2xx or 3xx passes).</summary>
internal sealed record CheckHttpExpectRule(HttpCheckExpect? Expect) : CheckRule;

/// <summary>What a `tcp-check expect` looks for.</summary>
internal enum CheckExpectKind
{
    /// <summary>`string S`: S somewhere in what was received.</summary>
    String = 0,
    /// <summary>`rstring RE`: the regular expression matches what was received.</summary>
    RString = 1,
    /// <summary>`binary HEX`: the bytes somewhere in what was received.</summary>
    Binary = 2,
    /// <summary>`rbinary RE`: the regular expression matches the received bytes written as upper-case hex.</summary>
    RBinary = 3,
    /// <summary>`option mysql-check`: the server's initial handshake packet, not an error packet.</summary>
    MysqlHandshake = 4,
    /// <summary>`option mysql-check user U`: the packet after the handshake, not an error packet.</summary>
    MysqlOk = 5,
    /// <summary>`option ldap-check`: an LDAPv3 bind response with result code 0.</summary>
    LdapBindResponse = 6,
}

/// <summary>
/// Info texts the protocol checks build from the answer (HAProxy writes them as log-format expressions over
/// <c>res.payload</c>); user rules give literal texts.
/// </summary>
internal enum CheckInfoSource
{
    /// <summary>The rule's literal text, if any.</summary>
    Literal = 0,
    /// <summary><c>%[res.payload(0,0),cut_crlf]</c>: the answer up to its first CR or LF.</summary>
    FirstLine = 1,
    /// <summary><c>%[res.payload(4,0),ltrim(' '),cut_crlf]</c>: the first line after a 3-digit code and a separator.</summary>
    FirstLineAfterCode = 2,
    /// <summary><c>%[res.payload(6,0)]</c>: the answer from its 7th byte (a PostgreSQL error's fields).</summary>
    FromSeventhByte = 3,
}

/// <summary>
/// `tcp-check expect [min-recv N] [comment C] [ok-status S] [error-status S] [tout-status S] [on-success T]
/// [on-error T] [!] string|rstring|binary|rbinary PATTERN`, or a step of a protocol check.
/// </summary>
internal sealed record CheckExpectRule(CheckExpectKind Kind, string Pattern, bool Negated) : CheckRule
{
    /// <summary>The bytes of `string` and `binary`.</summary>
    public byte[] Data { get; init; } = [];
    /// <summary>`min-recv`: bytes to wait for before judging; -1 (the default) waits for a match until the end.</summary>
    public int MinRecv { get; init; } = -1;
    /// <summary>`ok-status`: the status when the ruleset ends on this rule; null for L7OK.</summary>
    public CheckStatus? OkStatus { get; init; }
    /// <summary>`error-status`: the status when this rule fails; null for L7RSP.</summary>
    public CheckStatus? ErrorStatus { get; init; }
    /// <summary>`tout-status`: the status when the answer does not come in time; null for L7TOUT.</summary>
    public CheckStatus? TimeoutStatus { get; init; }
    public string? OnSuccess { get; init; }
    public string? OnError { get; init; }
    public CheckInfoSource OnSuccessSource { get; init; }
    public CheckInfoSource OnErrorSource { get; init; }
    /// <summary>`status-code res.payload(0,3)` of `option smtpchk`: the code is the answer's first three digits.</summary>
    public bool CodeFromFirstDigits { get; init; }
}

/// <summary>The check settings of a backend.</summary>
internal sealed record BackendCheckConfig
{
    public static readonly BackendCheckConfig Default = new();

    public HealthCheckKind Kind { get; init; }
    public HttpCheckRequest Request { get; init; } = HttpCheckRequest.Default;
    public HttpCheckExpect? Expect { get; init; }
    /// <summary>Which option set the rules; decides the wording of results.</summary>
    public CheckProtocol Protocol { get; init; }
    /// <summary>The steps a check runs, beginning with a connect; empty for a plain connection check.</summary>
    public IReadOnlyList<CheckRule> Rules { get; init; } = [];
    /// <summary>`http-check send-state`: each HTTP request of a check carries `x-haproxy-server-state`.</summary>
    public bool SendState { get; init; }
    /// <summary>`http-check disable-on-404`: a 404 answer takes an up server out of the balancing (NOLB) without taking it down.</summary>
    public bool DisableOn404 { get; init; }
}
