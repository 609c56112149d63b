using System.Net;

namespace Sluice.Config.Model;

/// <summary>
/// `option http-keep-alive` (the default), `option http-server-close` and `option httpclose`. When the frontend
/// and the backend differ, the stricter one wins, as in HAProxy.
/// </summary>
internal enum HttpConnectionMode
{
    KeepAlive = 0,
    ServerClose = 1,
    Close = 2,
}

/// <summary>`option http-restrict-req-hdr-names`: what happens to request fields whose name has characters other than letters, digits and `-`.</summary>
internal enum HeaderNamePolicy
{
    Preserve = 0,
    Delete = 1,
    /// <summary>The request is refused with 403.</summary>
    Reject = 2,
}

/// <summary>`http-reuse`: which idle server connections a request may be sent over.</summary>
internal enum HttpReuseMode
{
    /// <summary>The first request of a client connection gets its own server connection; later ones may reuse.</summary>
    Safe = 0,
    /// <summary>A server connection serves one client connection only.</summary>
    Never = 1,
    /// <summary>Like safe, but a first request may reuse a connection that was already reused once.</summary>
    Aggressive = 2,
    /// <summary>Any idle connection may carry any request.</summary>
    Always = 3,
}

/// <summary>`retry-on` keywords, as flags; the statuses are the ones HAProxy accepts.</summary>
[Flags]
internal enum RetryOnConditions
{
    None = 0,
    ConnFailure = 1 << 0,
    EmptyResponse = 1 << 1,
    JunkResponse = 1 << 2,
    ResponseTimeout = 1 << 3,
    ZeroRttRejected = 1 << 4,
    Status401 = 1 << 5,
    Status403 = 1 << 6,
    Status404 = 1 << 7,
    Status408 = 1 << 8,
    Status425 = 1 << 9,
    Status500 = 1 << 10,
    Status501 = 1 << 11,
    Status502 = 1 << 12,
    Status503 = 1 << 13,
    Status504 = 1 << 14,
    AllRetryableErrors = ConnFailure | EmptyResponse | JunkResponse | ResponseTimeout | ZeroRttRejected
        | Status500 | Status502 | Status503 | Status504,
}

/// <summary>An IPv4 or IPv6 network (`10.0.0.0/8`, `::1`), as in `option forwardfor except`.</summary>
internal sealed record NetworkMask(IPAddress Network, int PrefixLength)
{
    public required string Text { get; init; }
}

/// <summary>
/// `option forwardfor [except NET] [header NAME] [if-none]` or `option originalto [except NET] [header NAME]`.
/// </summary>
internal sealed record ForwardedHeaderConfig
{
    /// <summary>`X-Forwarded-For` or `X-Original-To` unless `header` names another.</summary>
    public required string HeaderName { get; init; }
    /// <summary>The header is not added when the client (forwardfor) or destination (originalto) is in it.</summary>
    public NetworkMask? Except { get; init; }
    /// <summary>`if-none`: only added when the request does not carry the header already.</summary>
    public bool IfNone { get; init; }
}

/// <summary>
/// `http-request return [status N] [content-type T] [string S | file F | lf-string S | errorfile F |
/// default-errorfiles] [hdr NAME VALUE]*`: the proxy answers on its own. `deny` and `tarpit` take the
/// same arguments.
/// </summary>
internal sealed record HttpReturnRule
{
    /// <summary>`file:line` of the rule, for messages.</summary>
    public required string Location { get; init; }

    public int Status { get; init; } = 200;
    /// <summary>Required by HAProxy whenever a body is given other than an error file.</summary>
    public string? ContentType { get; init; }
    /// <summary>The body; empty when none was given.</summary>
    public byte[] Body { get; init; } = [];
    /// <summary>
    /// True for `errorfile F` and `default-errorfiles`: <see cref="Body"/> holds a whole HTTP/1 response
    /// (status line and headers included) sent as it is.
    /// </summary>
    public bool BodyIsFullResponse { get; init; }
    /// <summary>`default-errorfiles`: the proxy's error response for <see cref="Status"/> is sent.</summary>
    public bool UseDefaultErrorFile { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>An `lf-string`/`lf-file` body of an `http-error` page, rendered for each answer; null for a fixed body.</summary>
    public Sluice.Logging.LogFormat? BodyFormat { get; init; }

    /// <summary>The `hdr NAME FMT` of an `http-error` page whose value has samples, rendered for each answer.</summary>
    public IReadOnlyList<(string Name, Sluice.Logging.LogFormat Value)> HeaderFormats { get; init; } = [];

    /// <summary>True when the page has parts rendered for each answer.</summary>
    public bool IsDynamic => BodyFormat is not null || HeaderFormats.Count > 0;

    /// <summary>`errorfiles NAME`: the reply is the one the `http-errors NAME` section declares for <see cref="Status"/>.</summary>
    public string? ErrorFilesName { get; init; }

    /// <summary>
    /// For <see cref="ErrorFilesName"/>: the section's reply, set once when the configuration is built (the section
    /// may come after the rule); null when the section does not declare the status, and the reply is then empty.
    /// </summary>
    public HttpReturnRule? ErrorFilesReply { get; set; }
}

/// <summary>One line that sets a proxy's error pages; the lines apply in order when the proxy is built.</summary>
internal abstract record ErrorPageEntry(string Location);

/// <summary>`errorfile`, `errorloc*` and `http-error`: the page for one status; null <paramref name="Reply"/> restores the built-in page.</summary>
internal sealed record ErrorPageReply(int Status, HttpReturnRule? Reply, string Location) : ErrorPageEntry(Location);

/// <summary>
/// `errorfiles NAME [CODE ...]` (and `http-error status CODE errorfiles NAME`): the pages of an `http-errors`
/// section, all of them or those listed in <paramref name="Statuses"/>.
/// </summary>
internal sealed record ErrorPageSectionReference(string SectionName, IReadOnlyList<int> Statuses, string Location) : ErrorPageEntry(Location);

/// <summary>`http-errors NAME`: a named set of error pages that proxies take with `errorfiles NAME`.</summary>
internal sealed class HttpErrorsSection(string name, string location)
{
    public string Name { get; } = name;

    /// <summary>`file:line` of the section's header line.</summary>
    public string Location { get; } = location;

    /// <summary>The section's `errorfile` lines by status, as full responses.</summary>
    public Dictionary<int, HttpReturnRule> Replies { get; } = [];
}

/// <summary>
/// `use_backend NAME [if|unless COND]`: the first rule whose condition holds names the backend. A name with
/// log-format variables (`be_%[req.hdr(host),lower]`) is resolved per request; when no backend has that name
/// the rule is skipped.
/// </summary>
internal sealed record UseBackendRule(BackendConfig? Backend, Sluice.Logging.LogFormat? DynamicName, Sluice.Rules.Acls.Condition? Condition, string Location);

/// <summary>
/// A capture slot of a frontend: `capture request|response header NAME len N` fills it with a header's value,
/// `declare capture request|response len N` leaves it to `http-request|http-response capture ... id N`.
/// </summary>
internal sealed record CaptureSlot(string? HeaderName, int Length)
{
    /// <summary>The header name lower-cased and encoded, for the lookup; empty for a declared slot.</summary>
    public byte[] HeaderNameBytes { get; } = HeaderName is null ? [] : System.Text.Encoding.Latin1.GetBytes(HeaderName.ToLowerInvariant());
}

/// <summary>
/// `capture cookie NAME len N`: the first cookie of the request's `Cookie` fields, and of the response's
/// `Set-Cookie` fields whose `name=value` begins with <see cref="Name"/>, kept as `name=value` for `%CC` and `%CS`.
/// </summary>
internal sealed record CookieCapture(string Name, int Length)
{
    /// <summary>HAProxy's CAPTURE_LEN less its terminating byte: a longer `len` is cut to it with a warning.</summary>
    public const int MaxLength = 63;

    public byte[] NameBytes { get; } = System.Text.Encoding.Latin1.GetBytes(Name);

    /// <summary>
    /// Finds the captured cookie in one field value. A `Cookie` field holds pairs separated by `;` (or `,`, as
    /// HAProxy reads old clients' fields); a `Set-Cookie` field one pair before its attributes. Spaces around the
    /// name and the value are not part of them; a pair without `=` is no cookie.
    /// </summary>
    public bool TryFind(ReadOnlySpan<byte> field, bool setCookie, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        while (!field.IsEmpty)
        {
            var end = setCookie ? field.IndexOf((byte)';') : field.IndexOfAny((byte)';', (byte)',');
            var pair = end < 0 ? field : field[..end];
            field = end < 0 || setCookie ? default : field[(end + 1)..];
            var equals = pair.IndexOf((byte)'=');
            if (equals < 0)
            {
                continue;
            }

            name = pair[..equals].Trim(" \t"u8);
            value = pair[(equals + 1)..].Trim(" \t"u8);
            if (BeginsWithName(name, value))
            {
                return true;
            }
        }

        name = value = default;
        return false;
    }

    /// <summary>HAProxy compares the configured name with the start of `name=value`, so `NAME=` asks for the exact name.</summary>
    private bool BeginsWithName(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var wanted = NameBytes.AsSpan();
        if (wanted.Length <= name.Length)
        {
            return name.StartsWith(wanted);
        }

        return wanted.StartsWith(name) && wanted[name.Length] == (byte)'=' && value.StartsWith(wanted[(name.Length + 1)..]);
    }
}
