using System.Text;
using Sluice.Config.Keywords;
using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>
/// Reads <c>http-request ACTION ...</c>. Only <c>return</c> is implemented; every other action HAProxy knows
/// is refused as not supported yet, and an unknown one gets HAProxy's list of actions.
/// </summary>
internal static class HttpRequestParser
{
    /// <summary>HAProxy's <c>http-request</c> actions, in the order of its "expects" message.</summary>
    public static readonly string[] Actions =
    [
        "wait-for-handshake", "ot-group", "set-log-level", "set-nice", "use-service", "sc-add-gpc(*)", "sc-inc-gpc(*)",
        "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group", "do-resolve(*)",
        "cache-use", "add-acl(*)", "add-header", "allow", "auth", "capture", "del-acl(*)", "del-header", "del-map(*)",
        "deny", "disable-l7-retry", "early-hint", "normalize-uri", "redirect", "reject", "replace-header",
        "replace-path", "replace-pathq", "replace-uri", "replace-value", "return", "set-header", "set-map(*)",
        "set-method", "set-path", "set-pathq", "set-query", "set-uri", "strict-mode", "tarpit", "track-sc(*)",
        "set-timeout", "wait-for-body", "set-var-fmt(*)", "set-var(*)", "unset-var(*)", "set-dst", "set-dst-port",
        "set-mark", "set-src", "set-src-port", "set-tos", "silent-drop", "set-priority-class", "set-priority-offset",
        "set-bandwidth-limit", "set-retries", "do-log", "set-fc-mark", "set-fc-tos",
    ];

    public static void Parse(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert(section.Name.Length == 0
                ? "'http-request' not allowed in anonymous 'defaults' section."
                : "'http-request' in a 'defaults' section is not supported yet.");
            return;
        }

        if (section.HttpRequestRules.Count > 0 && section.HttpRequestRules[^1] is HttpReturnRule)
        {
            ctx.Warning("previous 'http-request' action is final and has no condition attached, further entries are NOOP.");
        }

        var action = ctx.Argument(0) ?? string.Empty;
        if (action == "return")
        {
            var rule = ParseReturn(ctx, section);
            if (rule is not null)
            {
                section.HttpRequestRules.Add(rule);
                if (section.UseBackends.Count > 0)
                {
                    ctx.Warning("a 'http-request' rule placed after a 'use_backend' rule will still be processed before.");
                }
            }

            return;
        }

        var open = action.IndexOf('(', StringComparison.Ordinal);
        var name = open < 0 ? action : action[..open] + "(*)";
        if (action.Length > 0 && Array.IndexOf(Actions, name) >= 0)
        {
            ctx.Alert($"'http-request {(open < 0 ? action : action[..open])}' is not supported yet.");
            return;
        }

        var got = action.Length == 0 ? "'' (missing argument)" : $"'{action}'";
        ctx.Alert($"'http-request' expects {string.Join(", ", Actions.Select(a => $"'{a}'"))}, but got {got}.");
    }

    private static HttpReturnRule? ParseReturn(KeywordContext ctx, ProxySection section)
    {
        var prefix = $"error detected in {section.MessageKind} '{section.Name}' while parsing 'http-request return' rule : ";
        var status = 200;
        string? contentType = null;
        string? bodyKind = null;
        byte[] body = [];
        var headers = new List<KeyValuePair<string, string>>();
        var i = 1;
        for (; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i)!;
            var value = ctx.Argument(i + 1);
            if (word is "string" or "file" or "lf-string" or "lf-file" or "errorfile" or "default-errorfiles" or "errorfiles" && bodyKind is not null)
            {
                ctx.Alert($"{prefix}unexpected '{word}' argument, '{bodyKind}' already defined.");
                return null;
            }

            switch (word)
            {
                case "status":
                    if (string.IsNullOrEmpty(value))
                    {
                        ctx.Alert($"{prefix}'status' expects <status_code> as argument.");
                        return null;
                    }

                    if (!ValueParsers.TryParseInt(value, out status) || status < 200 || status > 599)
                    {
                        ctx.Alert($"{prefix}Unexpected status code '{value}'.");
                        return null;
                    }

                    i++;
                    break;
                case "content-type":
                    if (string.IsNullOrEmpty(value))
                    {
                        ctx.Alert($"{prefix}'content-type' expects <ctype> as argument.");
                        return null;
                    }

                    contentType = value;
                    i++;
                    break;
                case "string" or "lf-string":
                    if (string.IsNullOrEmpty(value))
                    {
                        ctx.Alert($"{prefix}'{word}' expects {(word == "string" ? "<str>" : "<fmt>")} as argument.");
                        return null;
                    }

                    if (word == "lf-string" && !TryLiteral(value, out value))
                    {
                        ctx.Alert("'http-request return' : log-format variables in 'lf-string' are not supported yet.");
                        return null;
                    }

                    body = Encoding.UTF8.GetBytes(value);
                    bodyKind = word;
                    i++;
                    break;
                case "file" or "lf-file" or "errorfile":
                    if (string.IsNullOrEmpty(value))
                    {
                        ctx.Alert($"{prefix}'{word}' expects {(word == "errorfile" ? "<fmt>" : "<file>")} as argument.");
                        return null;
                    }

                    if (word == "errorfile")
                    {
                        if (HttpKeywordParsers.LoadErrorFile(value, out var response) is { } error)
                        {
                            ctx.Alert($"{prefix}{error}");
                            return null;
                        }

                        body = response!;
                    }
                    else
                    {
                        try
                        {
                            body = File.ReadAllBytes(value);
                        }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                        {
                            ctx.Alert($"{prefix}error opening file '{value}'.");
                            return null;
                        }

                        if (word == "lf-file")
                        {
                            if (!TryLiteral(Encoding.UTF8.GetString(body), out var literal))
                            {
                                ctx.Alert("'http-request return' : log-format variables in 'lf-file' are not supported yet.");
                                return null;
                            }

                            body = Encoding.UTF8.GetBytes(literal);
                        }
                    }

                    bodyKind = word;
                    i++;
                    break;
                case "default-errorfiles":
                    bodyKind = word;
                    break;
                case "errorfiles":
                    ctx.Alert("'http-request return' : 'errorfiles' is not supported yet.");
                    return null;
                case "hdr":
                    if (string.IsNullOrEmpty(value) || string.IsNullOrEmpty(ctx.Argument(i + 2)))
                    {
                        ctx.Alert($"{prefix}'hdr' expects <name> and <value> as arguments.");
                        return null;
                    }

                    if (value.Equals("content-length", StringComparison.OrdinalIgnoreCase)
                        || value.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)
                        || value.Equals("content-type", StringComparison.OrdinalIgnoreCase))
                    {
                        ctx.Warning($"header '{value}' always ignored by the http reply.");
                    }
                    else if (!TryLiteral(ctx.Argument(i + 2)!, out var headerValue))
                    {
                        ctx.Alert("'http-request return' : log-format variables in 'hdr' values are not supported yet.");
                        return null;
                    }
                    else
                    {
                        headers.Add(new(value, headerValue));
                    }

                    i += 2;
                    break;
                default:
                    goto EndOfArguments;
            }
        }

    EndOfArguments:
        if (i < ctx.ArgumentCount)
        {
            var word = ctx.Argument(i)!;
            ctx.Alert(word is "if" or "unless"
                ? $"'http-request return' : '{word}' is not supported yet."
                : $"'http-request return' expects either 'if' or 'unless' followed by a condition but found '{word}'.");
            return null;
        }

        var fullResponse = bodyKind is "errorfile" or "default-errorfiles";
        if (bodyKind is null)
        {
            if (contentType is not null)
            {
                ctx.Warning($"content-type '{contentType}' ignored by the http reply because neither errorfile nor payload defined.");
                contentType = null;
            }
        }
        else if (fullResponse)
        {
            if (bodyKind == "default-errorfiles" && Array.IndexOf(HttpKeywordParsers.ErrorStatuses, status) < 0)
            {
                ctx.Alert($"{prefix}status code '{status}' not handled by default with 'default-errorfiles' argument.");
                return null;
            }

            if (contentType is not null)
            {
                // HAProxy's own spelling.
                ctx.Warning($"content-type '{contentType}' ignored by the http reply when used with an erorrfile.");
                contentType = null;
            }

            if (headers.Count > 0)
            {
                ctx.Warning("hdr parameters ignored by the http reply when used with an erorrfile.");
                headers.Clear();
            }
        }
        else
        {
            var logFormat = bodyKind is "lf-string" or "lf-file";
            if ((status is 204 or 304) && (logFormat || body.Length > 0))
            {
                ctx.Alert($"{prefix}No body expected for {status} responses.");
                return null;
            }

            if (contentType is null && (logFormat || body.Length > 0))
            {
                ctx.Alert(logFormat
                    ? $"{prefix}a content type must be defined with a log-format payload."
                    : $"{prefix}a content type must be defined when non-empty payload is configured.");
                return null;
            }

            if (!logFormat && contentType is not null && body.Length == 0)
            {
                ctx.Warning($"content-type '{contentType}' ignored by the http reply when used with an empty payload.");
                contentType = null;
            }
        }

        return new HttpReturnRule
        {
            Location = ctx.Location.ToString(),
            Status = status,
            ContentType = contentType,
            Body = body,
            BodyIsFullResponse = fullResponse,
            UseDefaultErrorFile = bodyKind == "default-errorfiles",
            Headers = headers,
        };
    }

    /// <summary>
    /// A log-format string without any variable is a literal once <c>%%</c> is read as <c>%</c>; anything else
    /// needs the log-format compiler, which comes with the logging work.
    /// </summary>
    private static bool TryLiteral(string text, out string literal)
    {
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            literal = text;
            return true;
        }

        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                sb.Append(text[i]);
            }
            else if (i + 1 < text.Length && text[i + 1] == '%')
            {
                sb.Append('%');
                i++;
            }
            else
            {
                literal = text;
                return false;
            }
        }

        literal = sb.ToString();
        return true;
    }
}
