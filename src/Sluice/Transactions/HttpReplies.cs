using System.Text;
using Sluice.Config.Model;
using Sluice.Messages;
using Sluice.Rules.Actions;

namespace Sluice.Transactions;

/// <summary>
/// The responses the proxy makes itself for one proxy section: HAProxy's built-in error pages (same status
/// lines, fields and bodies), replaced by the section's `errorfile`s, and the bodies of `http-request return`.
/// Built once per configuration; transactions only look replies up.
/// </summary>
internal sealed class HttpReplies
{
    private static readonly Dictionary<int, HttpReply> BuiltIn = BuildBuiltIn();

    private readonly Dictionary<int, HttpReply> _byStatus = new(BuiltIn);

    /// <summary>The `http-error` pages with log-format parts, rendered for each answer.</summary>
    private readonly Dictionary<int, HttpReturnRule> _rendered = [];
    private readonly Dictionary<HttpReturnRule, HttpReply> _returns = new(ReferenceEqualityComparer.Instance);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Status, string Realm), HttpReply> _challenges = new();

    public HttpReplies(IReadOnlyDictionary<int, HttpReturnRule> errorPages, IEnumerable<HttpRule> rules)
    {
        foreach (var (status, page) in errorPages)
        {
            _byStatus[status] = BuildReturn(page);
            if (page.IsDynamic)
            {
                _rendered[status] = page;
            }
        }

        foreach (var rule in rules)
        {
            if (rule.Action is ReplyAction reply)
            {
                _returns[reply.Spec] = BuildReturn(reply.Spec);
            }
        }
    }

    /// <summary>The reply a final rule chose; an error page with log-format parts is rendered with <paramref name="samples"/>.</summary>
    public HttpReply Resolve(HttpRuleResult result, Rules.Samples.SampleContext? samples = null)
    {
        if (result.Reply is { } built)
        {
            return built;
        }

        if (result.ReturnSpec is { } spec)
        {
            // A `deny` without a payload answers with the proxy's page for its status, which may be rendered.
            if (spec.UseDefaultErrorFile && samples is not null)
            {
                return ForStatus(spec.Status, samples);
            }

            return _returns.TryGetValue(spec, out var reply) ? reply : BuildReturn(spec);
        }

        if (result.AuthRealm is { } realm)
        {
            return _challenges.GetOrAdd((result.Status, realm), static (key, page) => WithChallenge(page, key.Status, key.Realm), ForStatus(result.Status));
        }

        return samples is null ? ForStatus(result.Status) : ForStatus(result.Status, samples);
    }

    private static HttpReply WithChallenge(HttpReply page, int status, string realm)
    {
        var headers = page.Headers
            .Select(h => new KeyValuePair<string, string>(Encoding.Latin1.GetString(h.Name), Encoding.Latin1.GetString(h.Value)))
            .Append(new(status == 407 ? "proxy-authenticate" : "www-authenticate", $"Basic realm=\"{realm}\""))
            .ToList();
        return new HttpReply(page.Status, page.Reason is null ? null : Encoding.Latin1.GetString(page.Reason), headers, page.Body, page.ContentLengthAt);
    }

    /// <summary>
    /// The built-in page whatever the proxy configured, as whole bytes: HAProxy 2.6's HTTP/1 mux answers a request it
    /// cannot read (400, 408, 414, 431, 501) before any stream exists, with its own pages, not the proxy's error
    /// pages, and sends them as its error messages are written: `Content-length` first, the fields' own case, and
    /// `Connection: close` before `Content-Type`.
    /// </summary>
    public static byte[] BuiltInPageBytes(int status) => RawPages.GetOrAdd(status, static s =>
    {
        var page = BuiltIn.TryGetValue(s, out var reply) ? reply : Generic(s);
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(s.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(' ')
            .Append(Encoding.Latin1.GetString(page.Reason ?? Mux.Http1.ReasonPhrases.For(s))).Append("\r\n")
            .Append("Content-length: ").Append(page.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Cache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. page.Body];
    });

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte[]> RawPages = new();

    /// <summary>The reply for an error status: the errorfile if one was given, else the built-in page.</summary>
    public HttpReply ForStatus(int status) =>
        _byStatus.TryGetValue(status, out var reply) ? reply : Generic(status);

    /// <summary>The reply for an error status in a transaction: an `http-error` page with log-format parts is rendered with its samples.</summary>
    public HttpReply ForStatus(int status, Rules.Samples.SampleContext samples) =>
        _rendered.TryGetValue(status, out var page) ? ReplyAction.Render(page, page.BodyFormat, page.HeaderFormats, samples) : ForStatus(status);

    public HttpReply ForReturn(HttpReturnRule rule) => _returns[rule];

    private HttpReply BuildReturn(HttpReturnRule rule)
    {
        if (rule.ErrorFilesName is not null)
        {
            // A status the section does not declare is answered with the bare status, as HAProxy does.
            return rule.ErrorFilesReply is { } page ? BuildReturn(page) : new HttpReply(rule.Status, null, [], []);
        }

        if (rule.UseDefaultErrorFile)
        {
            return ForStatus(rule.Status);
        }

        if (rule.BodyIsFullResponse)
        {
            return ParseFullResponse(rule.Body, rule.Status);
        }

        // As HAProxy writes a reply: the `hdr` fields, `content-length`, then `content-type`.
        var headers = new List<KeyValuePair<string, string>>(rule.Headers);
        if (rule.ContentType is { } type && rule.Body.Length > 0)
        {
            headers.Add(new("content-type", type));
        }

        return new HttpReply(rule.Status, null, headers, rule.Body, rule.Headers.Count);
    }

    /// <summary>An errorfile's response; the configuration checked it at load, so it parses, or it is empty and says nothing.</summary>
    private static HttpReply ParseFullResponse(byte[] content, int fallbackStatus) =>
        content.Length == 0
            ? new HttpReply(fallbackStatus, null, [], []) { Silent = true }
            : HttpReply.TryParse(content, out _) ?? new HttpReply(fallbackStatus, null, [], content);

    private static HttpReply Generic(int status)
    {
        var reason = Encoding.Latin1.GetString(Mux.Http1.ReasonPhrases.For(status));
        return Page(status, reason, "The request could not be processed.");
    }

    private static HttpReply Page(int status, string reason, string message)
    {
        var body = Encoding.Latin1.GetBytes(string.Concat(
            "<html><body><h1>", status.ToString(System.Globalization.CultureInfo.InvariantCulture), " ", reason, "</h1>\n", message, "\n</body></html>\n"));
        // HAProxy's pages begin with their length.
        return new HttpReply(status, reason, [new("cache-control", "no-cache"), new("content-type", "text/html")], body, contentLengthAt: 0);
    }

    private static Dictionary<int, HttpReply> BuildBuiltIn()
    {
        // HAProxy's built-in pages: same reason phrases and messages, so clients and tests see the same bytes.
        (int Status, string Reason, string Message)[] pages =
        [
            (200, "OK", "Service ready."),
            (400, "Bad request", "Your browser sent an invalid request."),
            (401, "Unauthorized", "You need a valid user and password to access this content."),
            (403, "Forbidden", "Request forbidden by administrative rules."),
            (404, "Not Found", "The resource could not be found."),
            (405, "Method Not Allowed", "A request was made of a resource using a request method not supported by that resource"),
            (407, "Unauthorized", "You need a valid user and password to access this content."),
            (408, "Request Time-out", "Your browser didn't send a complete request in time."),
            (410, "Gone", "The resource is no longer available and will not be available again."),
            (413, "Payload Too Large", "The request entity exceeds the maximum allowed."),
            (414, "Request-URI Too Long", "The request URI is too long."),
            (417, "Expectation Failed", "The expectation given in the request cannot be met."),
            (422, "Unprocessable Content", "The request could not be processed."),
            (425, "Too Early", "Your browser sent early data."),
            (429, "Too Many Requests", "You have sent too many requests in a given amount of time."),
            (431, "Request Header Fields Too Large", "The request header fields are too large."),
            (500, "Internal Server Error", "An internal server error occurred."),
            (501, "Not Implemented", "The server does not support the functionality required to fulfill the request."),
            (502, "Bad Gateway", "The server returned an invalid or incomplete response."),
            (503, "Service Unavailable", "No server is available to handle this request."),
            (504, "Gateway Time-out", "The server didn't respond in time."),
        ];
        var table = new Dictionary<int, HttpReply>();
        foreach (var (status, reason, message) in pages)
        {
            table[status] = Page(status, reason, message);
        }

        return table;
    }
}
