using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Config.Parsing;

namespace Sluice.Config.Sections;

/// <summary>A proxy keyword that Sluice implements: where it is valid and how it is read.</summary>
internal sealed record ProxyKeyword(string Name, ProxyKinds Where, Action<KeywordContext, ProxySection> Parse);

/// <summary>
/// The keywords of defaults, frontend, backend and listen sections. Keyword strings appear here once,
/// spelled as HAProxy spells them; <see cref="HAProxyKeywords"/> lists those that exist but are not here.
/// </summary>
internal static class ProxyKeywordTable
{
    public static readonly Dictionary<string, ProxyKeyword> Keywords = Build(
    [
        new("mode", ProxyKinds.All, ParseMode),
        new("bind", ProxyKinds.Frontend | ProxyKinds.Listen, BindLineParser.Parse),
        new("server", ProxyKinds.Backend | ProxyKinds.Listen, ServerLineParser.ParseServer),
        new("default-server", ProxyKinds.BackendSide, ServerLineParser.ParseDefaultServer),
        new("balance", ProxyKinds.BackendSide, ParseBalance),
        new("default_backend", ProxyKinds.FrontendSide, ParseDefaultBackend),
        new("maxconn", ProxyKinds.FrontendSide, ParseMaxConn),
        new("backlog", ProxyKinds.FrontendSide, ParseBacklog),
        new("retries", ProxyKinds.BackendSide, ParseRetries),
        new("source", ProxyKinds.BackendSide, ParseSource),
        new("disabled", ProxyKinds.All, (ctx, s) => SetFlag(ctx, () => s.Disabled = true)),
        new("enabled", ProxyKinds.All, (ctx, s) => SetFlag(ctx, () => s.Disabled = false)),
        new("description", ProxyKinds.Frontend | ProxyKinds.Backend | ProxyKinds.Listen, ParseDescription),
        new("id", ProxyKinds.Frontend | ProxyKinds.Backend | ProxyKinds.Listen, ParseId),
        new("log", ProxyKinds.All, LogKeywordParsers.ParseLog),
        new("log-format", ProxyKinds.FrontendSide, LogKeywordParsers.ParseLogFormat),
        new("log-format-sd", ProxyKinds.FrontendSide, LogKeywordParsers.ParseLogFormatSd),
        new("error-log-format", ProxyKinds.FrontendSide, LogKeywordParsers.ParseErrorLogFormat),
        new("log-tag", ProxyKinds.All, LogKeywordParsers.ParseLogTag),
        new("http-reuse", ProxyKinds.BackendSide, HttpKeywordParsers.ParseHttpReuse),
        new("retry-on", ProxyKinds.BackendSide, HttpKeywordParsers.ParseRetryOn),
        new("use_backend", ProxyKinds.FrontendSide, RuleKeywordParsers.ParseUseBackend),
        new("acl", ProxyKinds.All, RuleKeywordParsers.ParseAcl),
        new("tcp-request", ProxyKinds.All, TcpRuleParser.Parse),
        new("capture", ProxyKinds.FrontendSide, RuleKeywordParsers.ParseCapture),
        new("declare", ProxyKinds.FrontendSide, RuleKeywordParsers.ParseDeclare),
        new("monitor-uri", ProxyKinds.FrontendSide, RuleKeywordParsers.ParseMonitorUri),
        new("monitor", ProxyKinds.FrontendSide, RuleKeywordParsers.ParseMonitor),
        new("redirect", ProxyKinds.All, HttpRuleParser.ParseLegacyRedirect),
        new("errorfile", ProxyKinds.All, HttpKeywordParsers.ParseErrorFile),
        new("http-request", ProxyKinds.All, HttpRuleParser.ParseRequest),
        new("http-response", ProxyKinds.All, HttpRuleParser.ParseResponse),
        new("http-check", ProxyKinds.BackendSide, CheckKeywordParsers.ParseHttpCheck),
    ]);

    /// <summary>The <c>option</c> keywords Sluice implements, with <c>no option</c> handled by each parser.</summary>
    public static readonly Dictionary<string, ProxyKeyword> Options = Build(
    [
        new("redispatch", ProxyKinds.BackendSide, ParseRedispatch),
        new("allbackups", ProxyKinds.BackendSide, (ctx, s) => SetFlag(ctx, () => s.AllBackups = !ctx.Negated)),
        new("tcplog", ProxyKinds.FrontendSide, LogKeywordParsers.ParseTcpLog),
        new("httplog", ProxyKinds.FrontendSide, LogKeywordParsers.ParseHttpLog),
        new("dontlognull", ProxyKinds.FrontendSide, HttpKeywordParsers.Flag((s, on) => s.DontLogNull = on)),
        new("dontlog-normal", ProxyKinds.FrontendSide, HttpKeywordParsers.Flag((s, on) => s.DontLogNormal = on)),
        new("logasap", ProxyKinds.FrontendSide, HttpKeywordParsers.Flag((s, on) => s.LogAsap = on)),
        new("log-separate-errors", ProxyKinds.FrontendSide, HttpKeywordParsers.Flag((s, on) => s.LogSeparateErrors = on)),
        new("http-keep-alive", ProxyKinds.All, HttpKeywordParsers.ConnectionMode(HttpConnectionMode.KeepAlive)),
        new("http-server-close", ProxyKinds.All, HttpKeywordParsers.ConnectionMode(HttpConnectionMode.ServerClose)),
        new("httpclose", ProxyKinds.All, HttpKeywordParsers.ConnectionMode(HttpConnectionMode.Close)),
        new("forwardfor", ProxyKinds.All, HttpKeywordParsers.ParseForwardFor),
        new("originalto", ProxyKinds.All, HttpKeywordParsers.ParseOriginalTo),
        new("http-buffer-request", ProxyKinds.All, HttpKeywordParsers.Flag((s, on) => s.HttpBufferRequest = on)),
        new("h2c-upgrade", ProxyKinds.FrontendSide, HttpKeywordParsers.Flag((s, on) => s.H2cUpgrade = on)),
        new("accept-invalid-http-request", ProxyKinds.FrontendSide, HttpKeywordParsers.Flag((s, on) => s.AcceptInvalidHttpRequest = on)),
        new("http-restrict-req-hdr-names", ProxyKinds.All, HttpKeywordParsers.ParseRestrictRequestHeaderNames),
        new("accept-invalid-http-response", ProxyKinds.BackendSide, HttpKeywordParsers.Flag((s, on) => s.AcceptInvalidHttpResponse = on)),
        new("httpchk", ProxyKinds.BackendSide, CheckKeywordParsers.ParseHttpChk),
        new("tcp-check", ProxyKinds.BackendSide, CheckKeywordParsers.ParseTcpCheck),
        new("http-use-htx", ProxyKinds.All, (ctx, _) => ctx.Warning("option 'http-use-htx' is deprecated and ignored. The HTX mode is now the only supported mode.")),
    ]);

    /// <summary>The <c>timeout</c> names Sluice honours, each with the setter of its field.</summary>
    public static readonly Dictionary<string, (ProxyKinds Where, Func<TimeoutsConfig, TimeSpan, TimeoutsConfig> Set)> Timeouts = new(StringComparer.Ordinal)
    {
        ["client"] = (ProxyKinds.FrontendSide, (t, v) => t with { Client = v }),
        ["client-fin"] = (ProxyKinds.FrontendSide, (t, v) => t with { ClientFin = v }),
        ["server"] = (ProxyKinds.BackendSide, (t, v) => t with { Server = v }),
        ["server-fin"] = (ProxyKinds.BackendSide, (t, v) => t with { ServerFin = v }),
        ["connect"] = (ProxyKinds.BackendSide, (t, v) => t with { Connect = v }),
        ["tunnel"] = (ProxyKinds.BackendSide, (t, v) => t with { Tunnel = v }),
        ["queue"] = (ProxyKinds.BackendSide, (t, v) => t with { Queue = v }),
        ["check"] = (ProxyKinds.BackendSide, (t, v) => t with { Check = v }),
        ["http-request"] = (ProxyKinds.FrontendSide, (t, v) => t with { HttpRequest = v }),
        ["http-keep-alive"] = (ProxyKinds.All, (t, v) => t with { HttpKeepAlive = v }),
        ["tarpit"] = (ProxyKinds.All, (t, v) => t with { Tarpit = v }),
        ["client-hs"] = (ProxyKinds.FrontendSide, (t, v) => t with { ClientHandshake = v }),
    };

    private static Dictionary<string, ProxyKeyword> Build(ProxyKeyword[] keywords)
    {
        var table = new Dictionary<string, ProxyKeyword>(StringComparer.Ordinal);
        foreach (var keyword in keywords)
        {
            table.Add(keyword.Name, keyword);
        }

        return table;
    }

    private static void SetFlag(KeywordContext ctx, Action set)
    {
        if (ctx.ArgumentCount > 0)
        {
            ctx.Alert($"'{ctx.Keyword}' cannot handle unexpected argument '{ctx.Argument(0)}'.");
            return;
        }

        set();
    }

    private static void ParseMode(KeywordContext ctx, ProxySection section)
    {
        if (!ctx.ExpectArguments(1, "one argument"))
        {
            return;
        }

        switch (ctx.Argument(0))
        {
            case "tcp":
                section.Mode = ProxyMode.Tcp;
                break;
            case "http":
                section.Mode = ProxyMode.Http;
                break;
            case "log" or "spop":
                ctx.Alert($"'mode {ctx.Argument(0)}' is not supported yet.");
                break;
            default:
                ctx.Alert($"unknown proxy mode '{ctx.Argument(0)}'.");
                break;
        }
    }

    private static void ParseBalance(KeywordContext ctx, ProxySection section)
    {
        var algorithm = ctx.Argument(0);
        if (algorithm is null)
        {
            ctx.Alert("'balance' requires an algorithm.");
            return;
        }

        var open = algorithm.IndexOf('(', StringComparison.Ordinal);
        var name = open < 0 ? algorithm : algorithm[..open];
        BalanceConfig? parsed = name switch
        {
            "roundrobin" => new(BalanceAlgorithm.RoundRobin),
            "static-rr" => new(BalanceAlgorithm.StaticRoundRobin),
            "leastconn" => new(BalanceAlgorithm.LeastConn),
            "first" => new(BalanceAlgorithm.First),
            "source" => new(BalanceAlgorithm.Source),
            "random" => ParseRandom(ctx, algorithm, open),
            _ => null,
        };

        if (parsed is null)
        {
            if (name is "uri" or "url_param" or "hdr" or "rdp-cookie" or "hash" or "log-hash" or "sticky")
            {
                ctx.Alert($"'balance {name}' is not supported yet.");
            }
            else if (name != "random")
            {
                ctx.Alert("balance only supports 'roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'random', 'uri', 'url_param', 'hdr(name)', 'rdp-cookie(name)' and 'hash' options.");
            }

            return;
        }

        if (open < 0 && ctx.ArgumentCount > 1)
        {
            ctx.Alert($"'balance {name}' cannot handle unexpected argument '{ctx.Argument(1)}'.");
            return;
        }

        section.Balance = parsed;
    }

    private static BalanceConfig? ParseRandom(KeywordContext ctx, string text, int open)
    {
        if (open < 0)
        {
            return new(BalanceAlgorithm.Random);
        }

        if (!text.EndsWith(')') || !ValueParsers.TryParseInt(text[(open + 1)..^1], out var draws) || draws < 1)
        {
            ctx.Alert($"'balance random' : invalid number of draws in '{text}'.");
            return null;
        }

        return new(BalanceAlgorithm.Random, draws);
    }

    private static void ParseDefaultBackend(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ExpectArguments(1, "a backend name"))
        {
            section.DefaultBackend = (ctx.Argument(0)!, ctx.Location);
        }
    }

    private static void ParseMaxConn(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ExpectArguments(1, "an integer argument") && ParseNonNegative(ctx, out var value))
        {
            section.MaxConn = value;
        }
    }

    private static void ParseBacklog(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ExpectArguments(1, "an integer argument") && ParseNonNegative(ctx, out var value))
        {
            section.Backlog = value;
        }
    }

    private static void ParseRetries(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ExpectArguments(1, "an integer argument") && ParseNonNegative(ctx, out var value))
        {
            section.Retries = value;
        }
    }

    private static bool ParseNonNegative(KeywordContext ctx, out int value)
    {
        if (ValueParsers.TryParseInt(ctx.Argument(0), out value))
        {
            return true;
        }

        ctx.Alert($"'{ctx.Keyword}' expects an integer argument (got '{ctx.Argument(0)}').");
        return false;
    }

    private static void ParseRedispatch(KeywordContext ctx, ProxySection section)
    {
        if (ctx.Negated)
        {
            section.Redispatch = null;
            return;
        }

        if (ctx.ArgumentCount == 0)
        {
            section.Redispatch = -1;
            return;
        }

        if (ctx.ArgumentCount > 1 || !ValueParsers.TryParseSignedInt(ctx.Argument(0), out var interval))
        {
            ctx.Alert($"'option redispatch' expects an optional integer interval (got '{ctx.Argument(0)}').");
            return;
        }

        // HAProxy: an interval of 0 disables redispatching.
        section.Redispatch = interval == 0 ? null : interval;
    }

    private static void ParseSource(KeywordContext ctx, ProxySection section)
    {
        var text = ctx.Argument(0);
        if (text is null)
        {
            ctx.Alert("'source' expects <addr>[:<port>] as argument.");
            return;
        }

        if (ctx.ArgumentCount > 1)
        {
            var option = ctx.Argument(1);
            ctx.Alert(option is "usesrc" or "interface"
                ? $"'source' : '{option}' is not supported yet."
                : $"'source' : unknown keyword '{option}'.");
            return;
        }

        var error = AddressParser.ParseSource(text, out var source);
        if (error is not null)
        {
            ctx.Alert($"'source' : {error}");
            return;
        }

        section.Source = source;
    }

    private static void ParseDescription(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount == 0)
        {
            ctx.Alert("'description' expects a string argument.");
            return;
        }

        section.Description = string.Join(' ', ctx.Words.Skip(ctx.ArgumentIndex));
    }

    private static void ParseId(KeywordContext ctx, ProxySection section)
    {
        if (!ctx.ExpectArguments(1, "an integer argument"))
        {
            return;
        }

        if (!ValueParsers.TryParseInt(ctx.Argument(0), out var id) || id < 1)
        {
            ctx.Alert($"'id' : custom id has to be > 0 (got '{ctx.Argument(0)}').");
            return;
        }

        section.Id = id;
    }
}
