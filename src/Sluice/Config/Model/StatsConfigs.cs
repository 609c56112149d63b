using System.Net;
using Sluice.Rules.Acls;
using Sluice.Rules.Auth;

namespace Sluice.Config.Model;

/// <summary>The runtime API's permission levels (HAProxy's ACCESS_LVL_*), lowest first.</summary>
internal enum CliLevel
{
    User = 1,
    Operator = 2,
    Admin = 3,
}

/// <summary>
/// `stats socket ADDRESS [mode OCTAL] [level LEVEL] [user U] [group G]`: a unix socket path (or `unix@PATH`), or
/// `ipv4@`/`ipv6@`/bare `IP:PORT` for TCP.
/// </summary>
internal sealed record StatsSocketConfig
{
    public required string Text { get; init; }

    /// <summary>The unix socket path; null for TCP.</summary>
    public string? Path { get; init; }

    /// <summary>The TCP endpoint; null for a unix socket.</summary>
    public IPEndPoint? EndPoint { get; init; }

    /// <summary>`mode`: the unix socket file's permissions; null to leave them to the umask.</summary>
    public int? Mode { get; init; }

    /// <summary>`expose-fd listeners`: `_getsocks` hands the listening sockets to a new process (`-x`).</summary>
    public bool ExposeListeners { get; init; }

    /// <summary>`level`: what commands may do; HAProxy's default is operator.</summary>
    public CliLevel Level { get; init; } = CliLevel.Operator;

    public string? User { get; init; }

    public string? Group { get; init; }

    public required string Location { get; init; }
}

/// <summary>
/// A proxy's stats page: `stats enable`, `uri`, `realm`, `auth`, `refresh`, `hide-version`, `show-legends`,
/// `show-node`, `show-desc`, `admin if COND`, `scope`. Built while the section is read; a `defaults` section's
/// settings are copied into the proxies that follow it.
/// </summary>
internal sealed record StatsPageConfig
{
    public const string DefaultUri = "/haproxy?stats";

    public bool Enabled { get; init; }

    public string Uri { get; init; } = DefaultUri;

    public string Realm { get; init; } = DefaultRealm;

    public const string DefaultRealm = "HAProxy Statistics";

    /// <summary>`stats auth USER:PASSWORD` lines; null when no authentication is asked.</summary>
    public Userlist? Users { get; init; }

    public TimeSpan? Refresh { get; init; }

    public bool HideVersion { get; init; }

    public bool ShowLegends { get; init; }

    /// <summary>`stats show-node [NAME]`: null when not shown; empty for the global `node` (or host name).</summary>
    public string? ShowNode { get; init; }

    /// <summary>`stats show-desc [DESC]`: null when not shown; empty for the global `description`.</summary>
    public string? ShowDesc { get; init; }

    /// <summary>`stats admin if|unless COND`: when it holds, the page offers and accepts server actions.</summary>
    public Condition? Admin { get; init; }

    /// <summary>
    /// `stats http-request allow|deny|auth [realm R] [if|unless COND]`: run in order on a request for the page; the
    /// first that applies decides (allow: the page; deny: 403; auth: 401). They replace `stats auth`.
    /// </summary>
    public IReadOnlyList<Sluice.Rules.Actions.HttpRule> HttpRequestRules { get; init; } = [];

    /// <summary>`stats scope NAME`: the proxies shown; empty for all. `.` means the proxy itself.</summary>
    public IReadOnlyList<string> Scope { get; init; } = [];
}
