namespace Sluice.Rules.Samples;

/// <summary>
/// Where the data a fetch reads comes from, in the order it becomes available during a transaction. A rule
/// set declares which sources it can see; a fetch that needs another one cannot work there.
/// </summary>
[Flags]
internal enum SampleSources
{
    None = 0,
    /// <summary>Constants, the process and the configuration.</summary>
    Internal = 1 << 0,
    /// <summary>The frontend and the client's addresses: known as soon as the connection is accepted.</summary>
    Connection = 1 << 1,
    /// <summary>Bytes received from the client before a mux reads them (tcp-request content).</summary>
    RequestBuffer = 1 << 2,
    HttpRequest = 1 << 3,
    HttpRequestBody = 1 << 4,
    Backend = 1 << 5,
    Server = 1 << 6,
    HttpResponse = 1 << 7,
    /// <summary>Bytes received from the server in mode tcp before they are forwarded (tcp-response content).</summary>
    ResponseBuffer = 1 << 8,
}

/// <summary>The rule sets, each with the sources its rules can see and its name in HAProxy's messages.</summary>
internal sealed record RuleSite(string Name, SampleSources Available)
{
    private const SampleSources L4 = SampleSources.Internal | SampleSources.Connection;
    private const SampleSources L7Request = L4 | SampleSources.RequestBuffer | SampleSources.HttpRequest | SampleSources.HttpRequestBody;

    /// <summary>The rule set's keyword, which HAProxy names in its "will never match in '...'" warnings of tcp rules; null for the others.</summary>
    public string? Keyword { get; init; }

    public static RuleSite TcpRequestConnection(bool backend) => new($"{Side(backend)} tcp-request connection rule", L4) { Keyword = "tcp-request connection" };

    public static readonly RuleSite TcpRequestSession = new("frontend tcp-request session rule", L4) { Keyword = "tcp-request session" };

    /// <summary>In an HTTP proxy the content rules run on the parsed request (HAProxy's HTX), so they see its head.</summary>
    public static RuleSite TcpRequestContent(bool backend, bool http = false) => new($"{Side(backend)} tcp-request content rule",
        L4 | SampleSources.RequestBuffer | (http ? SampleSources.HttpRequest : 0) | (backend ? SampleSources.Backend : 0)) { Keyword = "tcp-request content" };

    /// <summary>The response's status and headers, the server, but no longer the request (HAProxy's `path` "will never match" there).</summary>
    public static readonly RuleSite TcpResponseContent = new("backend tcp-response content rule",
        L4 | SampleSources.Backend | SampleSources.Server | SampleSources.HttpResponse | SampleSources.ResponseBuffer) { Keyword = "tcp-response content" };

    public static RuleSite HttpRequest(bool backend) => new($"{Side(backend)} http-request header rule",
        L7Request | (backend ? SampleSources.Backend : 0));

    /// <summary>HAProxy lets these rules name the response buffer too; in an HTTP proxy its fetches find nothing (and it warns).</summary>
    public static RuleSite HttpResponse(bool backend) => new($"{Side(backend)} http-response header rule",
        L7Request | SampleSources.Backend | SampleSources.Server | SampleSources.HttpResponse | SampleSources.ResponseBuffer);

    public static readonly RuleSite SwitchingRule = new("frontend use-backend rule", L7Request);

    /// <summary>`use-server`, `stick` and persistence rules run when the backend picks a server: the request, not yet the server or the response.</summary>
    public static readonly RuleSite ServerChoiceRule = new("backend use-server, balance or stick-match rule", L7Request | SampleSources.Backend);

    /// <summary>`stick store-response` rules run on the response head: the server is known, the request is not seen any more.</summary>
    public static readonly RuleSite StickResponseRule = new("backend stick store-response rule",
        L4 | SampleSources.Backend | SampleSources.Server | SampleSources.HttpResponse | SampleSources.ResponseBuffer);

    public static readonly RuleSite TcpSwitchingRule = new("frontend use-backend rule", L4 | SampleSources.RequestBuffer);

    /// <summary>Logs are written at the end, when everything is known.</summary>
    public static readonly RuleSite Log = new("log-format", SampleSources.Internal | SampleSources.Connection | SampleSources.RequestBuffer
        | SampleSources.HttpRequest | SampleSources.HttpRequestBody | SampleSources.Backend | SampleSources.Server | SampleSources.HttpResponse
        | SampleSources.ResponseBuffer);

    private static string Side(bool backend) => backend ? "backend" : "frontend";

    /// <summary>The words for the earliest of <paramref name="missing"/>, the source HAProxy names when several are missing.</summary>
    public static string DescribeFirst(SampleSources missing) => Describe((SampleSources)((int)missing & -(int)missing));

    /// <summary>HAProxy's words for a source, as in "needs 'HTTP response headers' which is not available here".</summary>
    public static string Describe(SampleSources source) => source switch
    {
        SampleSources.Connection => "client address",
        SampleSources.RequestBuffer => "request buffer",
        SampleSources.HttpRequest => "HTTP request headers",
        SampleSources.HttpRequestBody => "HTTP request body",
        SampleSources.Backend => "backend",
        SampleSources.Server => "server",
        SampleSources.HttpResponse => "HTTP response headers",
        SampleSources.ResponseBuffer => "response buffer",
        _ => "internal",
    };
}

/// <summary>
/// A fetch compiled from the configuration with its arguments: it reads one value, or several one after the
/// other (header occurrences for ACLs), from a <see cref="SampleContext"/>.
/// </summary>
internal abstract class SampleFetch
{
    /// <summary>The type of the values it returns.</summary>
    public abstract SampleType OutputType { get; }

    /// <summary>
    /// Reads the next value. <paramref name="state"/> is 0 on the first call; fetches with several values keep
    /// their position in it and are called again until they return false.
    /// </summary>
    public abstract bool Fetch(SampleContext ctx, ref long state, out Sample sample);
}

/// <summary>A fetch that returns at most one value.</summary>
internal abstract class SingleValueFetch : SampleFetch
{
    public sealed override bool Fetch(SampleContext ctx, ref long state, out Sample sample)
    {
        if (state != 0)
        {
            sample = default;
            return false;
        }

        state = 1;
        sample = FetchOne(ctx);
        return sample.Type != SampleType.None;
    }

    protected abstract Sample FetchOne(SampleContext ctx);
}

/// <summary>A single-value fetch given as a function, for the many fetches that are one line.</summary>
internal sealed class FunctionFetch(SampleType type, Func<SampleContext, Sample> read) : SingleValueFetch
{
    public override SampleType OutputType => type;

    protected override Sample FetchOne(SampleContext ctx) => read(ctx);
}

/// <summary>A constant: `str(...)`, `int(...)`, `bool(...)`, `always_true`.</summary>
internal sealed class ConstantFetch(Sample value) : SingleValueFetch
{
    public override SampleType OutputType => value.Type;

    protected override Sample FetchOne(SampleContext ctx) => value;
}
