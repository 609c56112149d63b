using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Config.Parsing;

namespace Sluice.Config.Sections;

/// <summary>
/// The HTTP keywords and options of proxy sections: connection modes, <c>forwardfor</c>/<c>originalto</c>,
/// <c>http-reuse</c>, <c>retry-on</c>, <c>use_backend</c> and <c>errorfile</c>. Messages are HAProxy's.
/// </summary>
internal static class HttpKeywordParsers
{
    /// <summary>The statuses HAProxy has an error response for (<c>http_err_codes</c>).</summary>
    public static readonly int[] ErrorStatuses = [200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504];

    /// <summary>
    /// <c>option http-keep-alive</c>, <c>http-server-close</c>, <c>httpclose</c>. As in HAProxy, <c>no option X</c>
    /// returns to the default (keep-alive) only when X is the mode in force.
    /// </summary>
    public static Action<KeywordContext, ProxySection> ConnectionMode(HttpConnectionMode mode) => (ctx, section) =>
    {
        if (ctx.ArgumentCount > 0)
        {
            ctx.Alert($"'{ctx.Keyword}' cannot handle unexpected argument '{ctx.Argument(0)}'.");
            return;
        }

        if (!ctx.Negated)
        {
            section.HttpConnectionMode = mode;
        }
        else if (section.HttpConnectionMode == mode)
        {
            section.HttpConnectionMode = HttpConnectionMode.KeepAlive;
        }
    };

    /// <summary><c>option forwardfor [except NET] [header NAME] [if-none]</c>.</summary>
    public static void ParseForwardFor(KeywordContext ctx, ProxySection section)
    {
        if (ParseForwarded(ctx, "forwardfor", "X-Forwarded-For", allowIfNone: true) is { } config)
        {
            section.ForwardFor = config;
        }
    }

    /// <summary><c>option originalto [except NET] [header NAME]</c>.</summary>
    public static void ParseOriginalTo(KeywordContext ctx, ProxySection section)
    {
        if (ParseForwarded(ctx, "originalto", "X-Original-To", allowIfNone: false) is { } config)
        {
            section.OriginalTo = config;
        }
    }

    private static ForwardedHeaderConfig? ParseForwarded(KeywordContext ctx, string option, string defaultHeader, bool allowIfNone)
    {
        if (ctx.Negated)
        {
            ctx.Alert($"negation/default is not supported for option '{option}'.");
            return null;
        }

        var config = new ForwardedHeaderConfig { HeaderName = defaultHeader };
        NetworkMask? network = null;
        for (var i = 0; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i);
            var value = ctx.Argument(i + 1);
            switch (word)
            {
                case "except":
                    var error = value is null ? "missing" : NetworkParser.Parse(value, out network);
                    if (error is not null)
                    {
                        var detail = error.Contains("not supported", StringComparison.Ordinal) ? $" ({error})" : string.Empty;
                        ctx.Alert($"'option {option} except' expects <address>[/mask] as argument.{detail}");
                        return null;
                    }

                    config = config with { Except = network };
                    i++;
                    break;
                case "header":
                    if (string.IsNullOrEmpty(value))
                    {
                        ctx.Alert($"'option {option} header' expects <header_name> as argument.");
                        return null;
                    }

                    config = config with { HeaderName = value };
                    i++;
                    break;
                case "if-none" when allowIfNone:
                    config = config with { IfNone = true };
                    break;
                default:
                    ctx.Alert(allowIfNone
                        ? $"'option {option}' only supports optional values: 'except', 'header' and 'if-none'."
                        : $"'option {option}' only supports optional values: 'except' and 'header'.");
                    return null;
            }
        }

        return config;
    }

    /// <summary>Options that are a plain on/off flag and take no argument; <c>no option X</c> turns them off.</summary>
    public static Action<KeywordContext, ProxySection> Flag(Action<ProxySection, bool> set) => (ctx, section) =>
    {
        if (ctx.ArgumentCount > 0)
        {
            ctx.Alert($"'{ctx.Keyword}' cannot handle unexpected argument '{ctx.Argument(0)}'.");
            return;
        }

        set(section, !ctx.Negated);
    };

    /// <summary>`option http-restrict-req-hdr-names preserve|delete|reject`, with HAProxy's messages.</summary>
    public static void ParseRestrictRequestHeaderNames(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount == 0)
        {
            ctx.Alert("missing parameter. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.");
            return;
        }

        if (ctx.ArgumentCount > 1)
        {
            ctx.Alert($"'option http-restrict-req-hdr-names' cannot handle unexpected argument '{ctx.Argument(1)}'.");
            return;
        }

        switch (ctx.Argument(0))
        {
            case "preserve":
                section.RestrictRequestHeaderNames = HeaderNamePolicy.Preserve;
                break;
            case "delete":
                section.RestrictRequestHeaderNames = HeaderNamePolicy.Delete;
                break;
            case "reject":
                section.RestrictRequestHeaderNames = HeaderNamePolicy.Reject;
                break;
            default:
                ctx.Alert($"invalid parameter '{ctx.Argument(0)}'. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.");
                break;
        }
    }

    public static void ParseHttpReuse(KeywordContext ctx, ProxySection section)
    {
        HttpReuseMode? mode = ctx.Argument(0) switch
        {
            "never" => HttpReuseMode.Never,
            "safe" => HttpReuseMode.Safe,
            "aggressive" => HttpReuseMode.Aggressive,
            "always" => HttpReuseMode.Always,
            _ => null,
        };

        if (mode is null)
        {
            ctx.Alert("'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.");
            return;
        }

        if (ctx.ArgumentCount > 1)
        {
            ctx.Alert($"'http-reuse {ctx.Argument(0)}' cannot handle unexpected argument '{ctx.Argument(1)}'.");
            return;
        }

        section.HttpReuse = mode.Value;
    }

    public static void ParseRetryOn(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount == 0)
        {
            ctx.Alert("'retry-on' needs at least one keyword to specify when to retry");
            return;
        }

        var conditions = RetryOnConditions.None;
        for (var i = 0; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i)!;
            RetryOnConditions? flag = word switch
            {
                "none" => RetryOnConditions.None,
                "conn-failure" => RetryOnConditions.ConnFailure,
                "empty-response" => RetryOnConditions.EmptyResponse,
                "junk-response" => RetryOnConditions.JunkResponse,
                "response-timeout" => RetryOnConditions.ResponseTimeout,
                "0rtt-rejected" => RetryOnConditions.ZeroRttRejected,
                "all-retryable-errors" => RetryOnConditions.AllRetryableErrors,
                "401" => RetryOnConditions.Status401,
                "403" => RetryOnConditions.Status403,
                "404" => RetryOnConditions.Status404,
                "408" => RetryOnConditions.Status408,
                "425" => RetryOnConditions.Status425,
                "500" => RetryOnConditions.Status500,
                "501" => RetryOnConditions.Status501,
                "502" => RetryOnConditions.Status502,
                "503" => RetryOnConditions.Status503,
                "504" => RetryOnConditions.Status504,
                _ => null,
            };

            if (flag is null)
            {
                ctx.Alert($"'retry-on': unknown keyword '{word}'");
                return;
            }

            if (word == "none" && ctx.ArgumentCount > 1)
            {
                // HAProxy's own spelling.
                ctx.Alert("'retry-on' 'none' keyworld only usable alone");
                return;
            }

            conditions |= flag.Value;
        }

        section.RetryOn = conditions;
    }

    public static void ParseErrorFile(KeywordContext ctx, ProxySection section)
    {
        if (ParseErrorFileLine(ctx, section.Global.BufSize, "errorfile : ") is { } page)
        {
            section.ErrorPages.Add(page);
        }
    }

    /// <summary>
    /// `errorfile CODE FILE` in a proxy or an `http-errors` section (HAProxy words the usage message of each a
    /// little differently, hence <paramref name="usagePrefix"/>). Null after an alert.
    /// </summary>
    public static ErrorPageReply? ParseErrorFileLine(KeywordContext ctx, int bufSize, string usagePrefix)
    {
        var statusText = ctx.Argument(0);
        var path = ctx.Argument(1);
        if (string.IsNullOrEmpty(statusText) || string.IsNullOrEmpty(path))
        {
            ctx.Alert($"{usagePrefix}expects <status_code> and <file> as arguments.");
            return null;
        }

        if (!ValueParsers.TryParseInt(statusText, out var status) || Array.IndexOf(ErrorStatuses, status) < 0)
        {
            ctx.Alert($"errorfile : status code '{statusText}' not handled.");
            return null;
        }

        var error = LoadErrorFile(ctx, path, bufSize, out var content);
        if (error is not null)
        {
            ctx.Alert($"errorfile : {error}");
            return null;
        }

        return new ErrorPageReply(status, FullResponse(status, content!, ctx.Location.ToString()), ctx.Location.ToString());
    }

    /// <summary>A reply sent as the whole HTTP/1 response <paramref name="content"/> holds.</summary>
    public static HttpReturnRule FullResponse(int status, byte[] content, string location) =>
        new() { Location = location, Status = status, Body = content, BodyIsFullResponse = true };

    /// <summary>
    /// `errorfiles NAME [CODE ...]`: the pages of `http-errors NAME`, all of them or those of the listed codes. The
    /// section may be declared later; the proxy's build resolves the name.
    /// </summary>
    public static void ParseErrorFiles(KeywordContext ctx, ProxySection section)
    {
        var name = ctx.Argument(0);
        if (string.IsNullOrEmpty(name))
        {
            ctx.Alert("errorfiles : expects <name> as argument.");
            return;
        }

        var statuses = new List<int>();
        for (var i = 1; i < ctx.ArgumentCount; i++)
        {
            var text = ctx.Argument(i)!;
            if (!ValueParsers.TryParseInt(text, out var status) || Array.IndexOf(ErrorStatuses, status) < 0)
            {
                ctx.Alert($"errorfiles : status code '{text}' not handled.");
                return;
            }

            statuses.Add(status);
        }

        section.ErrorPages.Add(new ErrorPageSectionReference(name, statuses, ctx.Location.ToString()));
    }

    /// <summary>
    /// `errorloc`/`errorloc302 CODE URL` (302 Found) and `errorloc303 CODE URL` (303 See Other): the error for CODE
    /// becomes a redirect to URL, the response HAProxy builds for it. Words after the URL are ignored, as in HAProxy.
    /// </summary>
    public static void ParseErrorLoc(KeywordContext ctx, ProxySection section)
    {
        var statusText = ctx.Argument(0);
        var url = ctx.Argument(1);
        if (string.IsNullOrEmpty(statusText) || string.IsNullOrEmpty(url))
        {
            ctx.Alert($"{ctx.Keyword} : expects <status_code> and <url> as arguments.");
            return;
        }

        if (!ValueParsers.TryParseInt(statusText, out var status) || Array.IndexOf(ErrorStatuses, status) < 0)
        {
            ctx.Alert($"{ctx.Keyword} : status code '{statusText}' not handled.");
            return;
        }

        var statusLine = ctx.Keyword == "errorloc303" ? "303 See Other" : "302 Found";
        var content = System.Text.Encoding.Latin1.GetBytes($"HTTP/1.1 {statusLine}\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: {url}\r\n\r\n");
        var location = ctx.Location.ToString();
        section.ErrorPages.Add(new ErrorPageReply(status, FullResponse(status, content, location), location));
    }

    /// <summary>
    /// Reads a file holding a whole HTTP/1 response (status line, headers, empty line, body) as HAProxy's
    /// <c>errorfile</c> does: a file larger than a buffer is cut (with a warning), and the response must parse,
    /// match its `Content-Length`, not be chunked, and fit a buffer. Returns null or HAProxy's complaint.
    /// </summary>
    public static string? LoadErrorFile(KeywordContext ctx, string path, int bufSize, out byte[]? content)
    {
        content = null;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"error opening file '{path}'.";
        }

        if (content.Length == 0)
        {
            // HAProxy's way to answer nothing and close (`errorfile 408 /dev/null` against browsers' pre-connections).
            return null;
        }

        if (content.Length > bufSize)
        {
            ctx.Diagnostics.ConfigWarning($"custom error message file '{path}' larger than {bufSize} bytes. Truncating.");
            content = content[..bufSize];
        }

        var reply = Messages.HttpReply.TryParse(content, out var offset, out var facts);
        var error = reply is null ? $"'{path}': unable to parse headers (error offset: {offset})"
            : facts.Chunked ? $"'{path}': chunk-encoded payload not supported"
            : facts.ContentLength is { } length && length != facts.BodyLength ? $"'{path}': payload size does not match the announced content-length ({facts.BodyLength} != {length})"
            : facts.StoredSize > Messages.HttpReply.StoredCapacity(bufSize) ? $"'{path}': unable to add payload into the HTX message"
            : null;
        if (error is not null)
        {
            content = null;
        }

        return error;
    }
}
