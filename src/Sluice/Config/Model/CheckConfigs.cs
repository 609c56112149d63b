using System.Net;

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

/// <summary>The check settings of a backend.</summary>
internal sealed record BackendCheckConfig
{
    public static readonly BackendCheckConfig Default = new();

    public HealthCheckKind Kind { get; init; }
    public HttpCheckRequest Request { get; init; } = HttpCheckRequest.Default;
    public HttpCheckExpect? Expect { get; init; }
}
