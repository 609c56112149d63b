using System.Globalization;
using System.Net;
using Sluice.Config.Diagnostics;
using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Rules.Auth;
using Sluice.Rules.Samples;

namespace Sluice.Config.Sections;

/// <summary>
/// The `stats` keywords: `stats socket`, `timeout` and `maxconn` of the global section (the runtime API), and the
/// stats page keywords of proxies (configuration.txt §4.2 "stats ...").
/// </summary>
internal static class StatsKeywordParsers
{
    /// <summary>HAProxy's `stats` sub-keywords of proxies that Sluice does not implement yet.</summary>
    private static readonly string[] ProxyNotSupported = ["bind-process"];

    public static GlobalConfig? ParseGlobal(KeywordContext ctx, GlobalConfig global)
    {
        var sub = ctx.Argument(0);
        switch (sub)
        {
            case "socket":
                return ParseSocket(ctx, global);
            case "timeout":
                {
                    if (ctx.Argument(1) is not { } text)
                    {
                        ctx.Alert("'stats timeout' expects a timeout argument.");
                        return null;
                    }

                    var error = ValueParsers.ParseTime(text, out var value);
                    if (error is not null || value <= TimeSpan.Zero)
                    {
                        ctx.Alert($"'stats timeout' expects a positive delay in milliseconds (got '{text}').");
                        return null;
                    }

                    return global with { StatsTimeout = value };
                }

            case "maxconn":
                if (!ValueParsers.TryParseInt(ctx.Argument(1), out var max) || max < 1)
                {
                    ctx.Alert($"'stats maxconn' expects a positive numeric value (got '{ctx.Argument(1)}').");
                    return null;
                }

                return global with { StatsMaxConn = max };
            case "bind-process":
                ctx.Warning("'stats bind-process' is deprecated and ignored: Sluice runs one process.");
                return global;
            case null:
                ctx.Alert("'stats' expects 'socket', 'maxconn', 'timeout' or 'bind-process'.");
                return null;
            default:
                ctx.Alert($"'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '{sub}').");
                return null;
        }
    }

    private static GlobalConfig? ParseSocket(KeywordContext ctx, GlobalConfig global)
    {
        var address = ctx.Argument(1);
        if (string.IsNullOrEmpty(address))
        {
            ctx.Alert("'stats socket' requires a path or an address.");
            return null;
        }

        var socket = ParseAddress(address, ctx.Location.ToString());
        if (socket is null)
        {
            ctx.Alert($"'stats socket' : invalid address '{address}'.");
            return null;
        }

        return ParseSocketOptions(socket, ctx.Words.Skip(ctx.ArgumentIndex + 2).ToList(), masterCli: false, ctx.Alert) is { } parsed
            ? global with { StatsSockets = [.. global.StatsSockets, parsed] }
            : null;
    }

    /// <summary>
    /// `-S ADDRESS[,OPTION,VALUE...]`: a master CLI socket, whose options are bind options separated by commas;
    /// admin level unless `level` says otherwise, as HAProxy. Null after an alert.
    /// </summary>
    internal static StatsSocketConfig? ParseMasterCli(string spec, DiagnosticBag diagnostics)
    {
        var words = spec.Split(',');
        var socket = ParseAddress(words[0], "-S");
        if (socket is null)
        {
            diagnostics.ConfigAlert($"Cannot create the listener of the master CLI: invalid address '{words[0]}'.");
        }
        else
        {
            socket = ParseSocketOptions(socket with { Level = CliLevel.Admin }, words[1..], masterCli: true, diagnostics.ConfigAlert);
        }

        if (socket is null)
        {
            diagnostics.ConfigAlert("Can't create the master's CLI.");
        }

        return socket;
    }

    /// <summary>The options after a `stats socket` address, or after the address of `-S` (which has no `expose-fd`).</summary>
    private static StatsSocketConfig? ParseSocketOptions(StatsSocketConfig socket, IReadOnlyList<string> options, bool masterCli, Action<string> alert)
    {
        for (var i = 0; i < options.Count; i++)
        {
            var option = options[i];
            var value = i + 1 < options.Count ? options[i + 1] : null;
            switch (option)
            {
                case "mode" when value is not null && TryParseOctal(value, out var mode):
                    socket = socket with { Mode = mode };
                    i++;
                    break;
                case "level" when value is "user" or "operator" or "admin":
                    socket = socket with { Level = value switch { "user" => CliLevel.User, "operator" => CliLevel.Operator, _ => CliLevel.Admin } };
                    i++;
                    break;
                case "level":
                    alert($"'{Keyword(socket, masterCli)}' : 'level' only supports 'user', 'operator', and 'admin'.");
                    return null;
                case "user" or "group" or "uid" or "gid" when value is not null:
                    socket = option is "user" or "uid" ? socket with { User = value } : socket with { Group = value };
                    i++;
                    break;
                case "expose-fd" when value == "listeners" && !masterCli:
                    socket = socket with { ExposeListeners = true };
                    i++;
                    break;
                case "process" or "thread" when value is not null && !masterCli:
                    i++;
                    break;
                default:
                    alert(!masterCli ? $"'stats socket' : unknown or incomplete option '{option}'."
                        : Array.IndexOf(HAProxyKeywords.BindOptions, option) >= 0 ? $"'{socket.Text} {option}' : '{option}' is not supported yet on the master CLI."
                        : $"'{socket.Text} {option}' : unknown keyword '{option}'.");
                    return null;
            }
        }

        return socket;
    }

    private static string Keyword(StatsSocketConfig socket, bool masterCli) => masterCli ? socket.Text : "stats socket";

    /// <summary>A unix path (`/run/x.sock`, `unix@...`) or a TCP address (`ipv4@IP:PORT`, `ipv6@...`, `IP:PORT`).</summary>
    internal static StatsSocketConfig? ParseAddress(string text, string location)
    {
        var rest = text;
        string? family = null;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        if (at > 0)
        {
            family = text[..at];
            rest = text[(at + 1)..];
        }

        if (family is null or "unix" && (rest.StartsWith('/') || rest.StartsWith('.') || family == "unix"))
        {
            return rest.Length == 0 ? null : new StatsSocketConfig { Text = text, Path = rest, Location = location };
        }

        if (family is not (null or "ipv4" or "ipv6" or "tcp" or "tcp4" or "tcp6"))
        {
            return null;
        }

        var colon = rest.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(rest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return null;
        }

        var host = rest[..colon].Trim('[', ']');
        IPAddress? ip = host is "" or "*" ? (family is "ipv6" or "tcp6" ? IPAddress.IPv6Any : IPAddress.Any) : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        return ip is null ? null : new StatsSocketConfig { Text = text, EndPoint = new IPEndPoint(ip, port), Location = location };
    }

    private static bool TryParseOctal(string text, out int value)
    {
        value = 0;
        foreach (var ch in text)
        {
            if (ch is < '0' or > '7')
            {
                return false;
            }

            value = (value * 8) + (ch - '0');
        }

        return text.Length > 0;
    }

    public static void ParseProxy(KeywordContext ctx, ProxySection section)
    {
        var sub = ctx.Argument(0);
        var page = section.StatsPage;
        switch (sub)
        {
            case "enable" when ctx.ArgumentCount == 1:
                section.StatsPage = page with { Enabled = true };
                return;
            case "uri" when ctx.ArgumentCount == 2:
                section.StatsPage = page with { Enabled = true, Uri = ctx.Argument(1)! };
                return;
            case "realm" when ctx.ArgumentCount == 2:
                section.StatsPage = page with { Enabled = true, Realm = ctx.Argument(1)! };
                return;
            case "refresh" when ctx.ArgumentCount == 2:
                {
                    var error = ValueParsers.ParseTime(ctx.Argument(1)!, out var value);
                    if (error is not null)
                    {
                        ctx.Alert($"'stats refresh' : {error} in argument '{ctx.Argument(1)}'.");
                        return;
                    }

                    section.StatsPage = page with { Enabled = true, Refresh = value };
                    return;
                }

            case "auth" when ctx.ArgumentCount == 2:
                {
                    var credentials = ctx.Argument(1)!;
                    var colon = credentials.IndexOf(':', StringComparison.Ordinal);
                    if (colon <= 0)
                    {
                        ctx.Alert("'stats auth' : missing user in 'user:password'.");
                        return;
                    }

                    // Each proxy gets its own list: one copied from defaults must not receive this proxy's users.
                    var users = new Userlist("stats auth");
                    if (page.Users is { } previous)
                    {
                        foreach (var user in previous.Users)
                        {
                            users.AddUser(user);
                        }
                    }

                    users.AddUser(new UserEntry(credentials[..colon], null, System.Text.Encoding.Latin1.GetBytes(credentials[(colon + 1)..]), []));
                    section.StatsPage = page with { Enabled = true, Users = users };
                    return;
                }

            case "hide-version" when ctx.ArgumentCount == 1:
                section.StatsPage = page with { Enabled = true, HideVersion = true };
                return;
            case "show-legends" when ctx.ArgumentCount == 1:
                section.StatsPage = page with { Enabled = true, ShowLegends = true };
                return;
            case "show-node" when ctx.ArgumentCount <= 2:
                section.StatsPage = page with { Enabled = true, ShowNode = ctx.Argument(1) ?? string.Empty };
                return;
            case "show-desc":
                section.StatsPage = page with { Enabled = true, ShowDesc = string.Join(' ', ctx.Words.Skip(ctx.ArgumentIndex + 1)) };
                return;
            case "scope" when ctx.ArgumentCount == 2:
                section.StatsPage = page with { Enabled = true, Scope = [.. page.Scope, ctx.Argument(1)!] };
                return;
            case "admin":
                {
                    if (section.Kind == ProxyKinds.Defaults)
                    {
                        ctx.Alert("'stats admin' not allowed in 'defaults' section.");
                        return;
                    }

                    if (ctx.Argument(1) is not ("if" or "unless"))
                    {
                        ctx.Alert("'stats admin' requires either 'if' or 'unless' followed by a condition.");
                        return;
                    }

                    var condition = HttpRuleParser.ParseCondition(ctx, section, ctx.ArgumentIndex + 1, "error detected while parsing a 'stats admin' rule", RuleSite.HttpRequest(backend: !section.IsFrontend));
                    if (condition is not null)
                    {
                        section.StatsPage = page with { Enabled = true, Admin = condition };
                    }

                    return;
                }
        }

        if (sub == "http-request")
        {
            ParseHttpRequestRule(ctx, section);
            return;
        }

        if (sub is not null && Array.IndexOf(ProxyNotSupported, sub) >= 0)
        {
            ctx.Alert($"'stats {sub}' is not supported yet.");
            return;
        }

        ctx.Alert(sub is "enable" or "uri" or "realm" or "refresh" or "auth" or "hide-version" or "show-legends" or "show-node" or "scope"
            ? $"'stats {sub}' : wrong number of arguments."
            : "'stats' expects 'admin', 'auth', 'enable', 'hide-version', 'http-request', 'realm', 'refresh', 'scope', 'show-desc', 'show-legends', 'show-node' or 'uri'.");
    }

    /// <summary>`stats http-request ACTION [if|unless COND]`: read as an `http-request` rule; allow, deny and auth only.</summary>
    private static void ParseHttpRequestRule(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert("'stats http-request' not allowed in 'defaults' section.");
            return;
        }

        var action = ctx.Argument(1);
        if (action is not ("allow" or "deny" or "auth"))
        {
            ctx.Alert(action is null
                ? "'stats http-request' expects 'allow', 'deny' or 'auth'."
                : $"'stats http-request {action}' is not supported yet.");
            return;
        }

        // The words after "stats" are those of an http-request rule.
        var shifted = new KeywordContext(ctx.File, ctx.Line, ctx.Words, ctx.ArgumentIndex + 1, ctx.Negated, ctx.Diagnostics);
        if (HttpRuleParser.ParseRule(shifted, section, response: false) is { } rule)
        {
            var page = section.StatsPage;
            section.StatsPage = page with { Enabled = true, HttpRequestRules = [.. page.HttpRequestRules, rule] };
        }
    }
}
