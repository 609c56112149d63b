using System.Text.RegularExpressions;
using Sluice.Config.Keywords;
using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>
/// The proxy keywords of HTTP health checks: <c>option httpchk</c>, <c>option tcp-check</c> and <c>http-check</c>
/// rules (their connect and expect steps are read by <see cref="TcpCheckKeywordParsers"/>). What HAProxy has beyond
/// these (other expect kinds, log-format arguments, variables) is refused as not supported yet.
/// </summary>
internal static class CheckKeywordParsers
{
    private const string HiddenHeadersWarning =
        "'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.";

    /// <summary><c>option httpchk [URI] | [METHOD URI [VERSION]]</c>; <c>no option httpchk</c> returns to TCP checks.</summary>
    public static void ParseHttpChk(KeywordContext ctx, ProxySection section)
    {
        if (ctx.Negated)
        {
            section.CheckProtocol = CheckProtocol.Connect;
            return;
        }

        if (ctx.ArgumentCount > 3)
        {
            ctx.Alert($"'option httpchk' cannot handle unexpected argument '{ctx.Argument(3)}'.");
            return;
        }

        var request = HttpCheckRequest.Default;
        switch (ctx.ArgumentCount)
        {
            case 1:
                request = request with { Uri = ctx.Argument(0)! };
                break;
            case 2:
                request = request with { Method = ctx.Argument(0)!, Uri = ctx.Argument(1)! };
                break;
            case 3:
                var parsed = ParseLegacyVersion(ctx.Argument(2)!, out var version, out var headers, out var body, out var hidden);
                if (parsed is not null)
                {
                    ctx.Alert($"'option httpchk' : {parsed}");
                    return;
                }

                if (hidden)
                {
                    ctx.Warning(HiddenHeadersWarning);
                }

                request = request with { Method = ctx.Argument(0)!, Uri = ctx.Argument(1)!, Version = version, Headers = headers, Body = body };
                break;
        }

        section.CheckProtocol = CheckProtocol.Http;
        section.HttpCheckRequest = request;
    }

    /// <summary>
    /// Splits the VERSION argument of the legacy form, where headers and a body hide after the version:
    /// <c>HTTP/1.1\r\nHost:\ www\r\n\r\nbody</c> (the lexer has already turned <c>\r\n</c> into CR LF).
    /// Returns an error message or null.
    /// </summary>
    internal static string? ParseLegacyVersion(string text, out string version, out IReadOnlyList<KeyValuePair<string, string>> headers, out string? body, out bool hidden)
    {
        headers = [];
        body = null;
        var bodyAt = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headersAt = text.IndexOf("\r\n", StringComparison.Ordinal);
        hidden = headersAt >= 0;
        if (bodyAt >= 0)
        {
            body = text[(bodyAt + 4)..];
            text = text[..bodyAt];
        }

        if (headersAt < 0 || headersAt == bodyAt)
        {
            version = text;
            return null;
        }

        version = text[..headersAt];
        var list = new List<KeyValuePair<string, string>>();
        foreach (var line in text[(headersAt + 2)..].Split("\r\n"))
        {
            if (line.Length == 0)
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return $"invalid header '{line}' at the end of the version string.";
            }

            list.Add(new(line[..colon].Trim(), line[(colon + 1)..].Trim(' ', '\t')));
        }

        headers = list;
        return null;
    }

    /// <summary><c>option tcp-check</c>: without <c>tcp-check</c> rules, a check is a plain connection.</summary>
    public static void ParseTcpCheck(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount > 0)
        {
            ctx.Alert($"'option tcp-check' cannot handle unexpected argument '{ctx.Argument(0)}'.");
            return;
        }

        section.CheckProtocol = CheckProtocol.Tcp;
    }

    /// <summary>
    /// <c>http-check connect|send|expect|comment</c>, appended to the section's http-check rules in HAProxy's order:
    /// a send needs a connect before it (unless it is the first rule), an expect a send or an expect, a connect an
    /// expect. The other actions are not supported yet.
    /// </summary>
    public static void ParseHttpCheck(KeywordContext ctx, ProxySection section)
    {
        var action = ctx.Argument(0);
        var rules = section.HttpCheckRulesHere ? section.HttpCheckRules : [];
        CheckRule? last = null;
        foreach (var rule in rules)
        {
            last = rule is CheckCommentRule ? last : rule;
        }

        var step = rules.Count + 1;
        CheckRule? added;
        switch (action)
        {
            case "send":
                if (last is not null and not CheckConnectRule)
                {
                    ctx.Alert($"'http-check send' : unable to add http-check send rule at step {step} (missing connect rule).");
                    return;
                }

                added = ParseSend(ctx);
                break;
            case "expect":
                if (last is not null and not PendingHttpSendRule and not CheckHttpExpectRule)
                {
                    ctx.Alert($"'http-check expect' : unable to add http-check expect rule at step {step} (missing send rule).");
                    return;
                }

                added = TcpCheckKeywordParsers.ParseExpect(ctx, "http-check", http: true);
                break;
            case "connect":
                if (!TcpCheckKeywordParsers.FirstConnectAllowed(rules, out var error))
                {
                    ctx.Alert($"'http-check connect' : {error}.");
                    return;
                }

                if (last is not null and not CheckHttpExpectRule)
                {
                    ctx.Alert($"'http-check connect' : unable to add http-check connect rule at step {step} (missing expect rule).");
                    return;
                }

                added = TcpCheckKeywordParsers.ParseConnect(ctx, "http-check");
                break;
            case "comment":
                if (ctx.Argument(1) is not { } text)
                {
                    ctx.Alert("'http-check comment' : expects a string as argument.");
                    return;
                }

                added = new CheckCommentRule { Comment = text };
                break;
            case "send-state":
                section.HttpCheckSendState = true;
                return;
            case "disable-on-404":
                section.HttpCheckDisableOn404 = true;
                return;
            case "set-var" or "set-var-fmt" or "unset-var":
                ctx.Alert($"'http-check {action}' is not supported yet.");
                return;
            default:
                ctx.Alert($"'http-check' only supports 'comment', 'connect', 'disable-on-404', 'expect', 'send', 'send-state', 'set-var' and 'unset-var' (got '{action}').");
                return;
        }

        if (added is null)
        {
            return;
        }

        if (!section.HttpCheckRulesHere)
        {
            section.HttpCheckRules = [];
            section.HttpCheckRulesHere = true;
        }

        section.HttpCheckRules.Add(added with { Step = step });
    }

    private static PendingHttpSendRule? ParseSend(KeywordContext ctx)
    {
        string? method = null, uri = null, version = null, body = null, comment = null;
        var headers = new List<KeyValuePair<string, string>>();
        for (var i = 1; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i)!;
            var value = ctx.Argument(i + 1);
            switch (word)
            {
                case "meth" or "uri" or "ver" or "body":
                    if (value is null)
                    {
                        var what = word switch { "meth" => "a method", "uri" => "a URI", "ver" => "a version string", _ => "a string" };
                        ctx.Alert($"'http-check send' : '{word}' expects {what} as argument.");
                        return null;
                    }

                    switch (word)
                    {
                        case "meth":
                            method = value;
                            break;
                        case "uri":
                            uri = value;
                            break;
                        case "ver":
                            version = value;
                            break;
                        default:
                            body = value;
                            break;
                    }

                    i++;
                    break;
                case "hdr":
                    var headerValue = ctx.Argument(i + 2);
                    if (value is null || headerValue is null)
                    {
                        ctx.Alert("'http-check send' : 'hdr' expects <name> and <value> as arguments.");
                        return null;
                    }

                    headers.Add(new(value, headerValue));
                    i += 2;
                    break;
                case "comment":
                    if (value is null)
                    {
                        ctx.Alert("'http-check send' : 'comment' expects a string as argument.");
                        return null;
                    }

                    comment = value;
                    i++;
                    break;
                case "uri-lf" or "body-lf":
                    ctx.Alert($"'http-check send' : '{word}' is not supported yet.");
                    return null;
                default:
                    ctx.Alert($"'http-check send' expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '{word}' as argument.");
                    return null;
            }
        }

        return new PendingHttpSendRule(new HttpCheckSend(method, uri, version, headers, body), FromOption: false) { Comment = comment };
    }

    /// <summary><c>200</c>, <c>200,302</c>, <c>200-399</c>: codes and ranges of codes; null when malformed.</summary>
    internal static List<(int First, int Last)>? ParseStatusCodes(string text)
    {
        var codes = new List<(int, int)>();
        foreach (var part in text.Split(','))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var first = dash < 0 ? part : part[..dash];
            var last = dash < 0 ? part : part[(dash + 1)..];
            if (!ValueParsers.TryParseInt(first, out var low) || !ValueParsers.TryParseInt(last, out var high) || low > high || high > 999)
            {
                return null;
            }

            codes.Add((low, high));
        }

        return codes;
    }
}
