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
        new("server-template", ProxyKinds.Backend | ProxyKinds.Listen, ServerLineParser.ParseServerTemplate),
        new("default-server", ProxyKinds.BackendSide, ServerLineParser.ParseDefaultServer),
        new("balance", ProxyKinds.BackendSide, ParseBalance),
        new("grace", ProxyKinds.All, (ctx, _) => ctx.Alert("the 'grace' keyword is not supported any more since HAProxy version 2.5.")),
        new("transparent", ProxyKinds.BackendSide, (ctx, s) => SetFlag(ctx, () => s.Transparent = true)),
        new("default_backend", ProxyKinds.FrontendSide, ParseDefaultBackend),
        new("maxconn", ProxyKinds.FrontendSide, ParseMaxConn),
        new("backlog", ProxyKinds.FrontendSide, ParseBacklog),
        new("rate-limit", ProxyKinds.All, ParseRateLimit),
        new("retries", ProxyKinds.BackendSide, ParseRetries),
        new("clitcpka-cnt", ProxyKinds.FrontendSide, (ctx, s) => SocketKeywordParsers.ParseKeepAliveCount(ctx, s, client: true)),
        new("clitcpka-idle", ProxyKinds.FrontendSide, (ctx, s) => SocketKeywordParsers.ParseKeepAliveTime(ctx, s, client: true, idle: true)),
        new("clitcpka-intvl", ProxyKinds.FrontendSide, (ctx, s) => SocketKeywordParsers.ParseKeepAliveTime(ctx, s, client: true, idle: false)),
        new("srvtcpka-cnt", ProxyKinds.BackendSide, (ctx, s) => SocketKeywordParsers.ParseKeepAliveCount(ctx, s, client: false)),
        new("srvtcpka-idle", ProxyKinds.BackendSide, (ctx, s) => SocketKeywordParsers.ParseKeepAliveTime(ctx, s, client: false, idle: true)),
        new("srvtcpka-intvl", ProxyKinds.BackendSide, (ctx, s) => SocketKeywordParsers.ParseKeepAliveTime(ctx, s, client: false, idle: false)),
        new("fullconn", ProxyKinds.BackendSide, ParseFullConn),
        new("cookie", ProxyKinds.BackendSide, PersistenceKeywordParsers.ParseCookie),
        new("dynamic-cookie-key", ProxyKinds.BackendSide, PersistenceKeywordParsers.ParseDynamicCookieKey),
        new("hash-type", ProxyKinds.BackendSide, ParseHashType),
        // HAProxy takes it in a frontend too, without a word, and it does nothing there.
        new("hash-balance-factor", ProxyKinds.All, ParseHashBalanceFactor),
        new("persist", ProxyKinds.BackendSide, PersistenceKeywordParsers.ParsePersist),
        new("load-server-state-from-file", ProxyKinds.BackendSide, ParseLoadServerState),
        new("server-state-file-name", ProxyKinds.BackendSide, ParseServerStateFileName),
        new("stick-table", ProxyKinds.All, StickTableParser.Parse),
        new("stick", ProxyKinds.BackendSide, RuleKeywordParsers.ParseStick),
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
        new("unique-id-format", ProxyKinds.All, LogKeywordParsers.ParseUniqueIdFormat),
        new("unique-id-header", ProxyKinds.All, LogKeywordParsers.ParseUniqueIdHeader),
        new("http-reuse", ProxyKinds.BackendSide, HttpKeywordParsers.ParseHttpReuse),
        new("retry-on", ProxyKinds.BackendSide, HttpKeywordParsers.ParseRetryOn),
        new("use_backend", ProxyKinds.FrontendSide, RuleKeywordParsers.ParseUseBackend),
        new("use-server", ProxyKinds.BackendSide, RuleKeywordParsers.ParseUseServer),
        new("force-persist", ProxyKinds.BackendSide, RuleKeywordParsers.ParsePersistRule),
        new("ignore-persist", ProxyKinds.BackendSide, RuleKeywordParsers.ParsePersistRule),
        new("acl", ProxyKinds.All, RuleKeywordParsers.ParseAcl),
        new("tcp-request", ProxyKinds.All, TcpRuleParser.ParseRequest),
        new("tcp-response", ProxyKinds.All, TcpRuleParser.ParseResponse),
        new("capture", ProxyKinds.FrontendSide, RuleKeywordParsers.ParseCapture),
        new("declare", ProxyKinds.FrontendSide, RuleKeywordParsers.ParseDeclare),
        new("monitor-uri", ProxyKinds.FrontendSide, RuleKeywordParsers.ParseMonitorUri),
        new("monitor", ProxyKinds.FrontendSide, RuleKeywordParsers.ParseMonitor),
        new("redirect", ProxyKinds.All, HttpRuleParser.ParseLegacyRedirect),
        new("errorfile", ProxyKinds.All, HttpKeywordParsers.ParseErrorFile),
        new("errorfiles", ProxyKinds.All, HttpKeywordParsers.ParseErrorFiles),
        new("http-error", ProxyKinds.All, HttpRuleParser.ParseHttpError),
        new("errorloc", ProxyKinds.All, HttpKeywordParsers.ParseErrorLoc),
        new("errorloc302", ProxyKinds.All, HttpKeywordParsers.ParseErrorLoc),
        new("errorloc303", ProxyKinds.All, HttpKeywordParsers.ParseErrorLoc),
        new("http-request", ProxyKinds.All, HttpRuleParser.ParseRequest),
        new("http-response", ProxyKinds.All, HttpRuleParser.ParseResponse),
        new("http-check", ProxyKinds.BackendSide, CheckKeywordParsers.ParseHttpCheck),
        new("tcp-check", ProxyKinds.BackendSide, TcpCheckKeywordParsers.ParseTcpCheck),
        new("stats", ProxyKinds.All, StatsKeywordParsers.ParseProxy),
    ]);

    /// <summary>The <c>option</c> keywords Sluice implements, with <c>no option</c> handled by each parser.</summary>
    public static readonly Dictionary<string, ProxyKeyword> Options = Build(
    [
        new("redispatch", ProxyKinds.BackendSide, ParseRedispatch),
        new("persist", ProxyKinds.BackendSide, (ctx, s) => SetFlag(ctx, () => s.Persist = !ctx.Negated)),
        new("allbackups", ProxyKinds.BackendSide, (ctx, s) => SetFlag(ctx, () => s.AllBackups = !ctx.Negated)),
        new("transparent", ProxyKinds.BackendSide, (ctx, s) => SetFlag(ctx, () => s.Transparent = !ctx.Negated)),
        new("tcpka", ProxyKinds.All, (ctx, s) => SetFlag(ctx, () => SocketKeywordParsers.SetTcpKeepAlive(ctx, s, client: true, server: true))),
        new("clitcpka", ProxyKinds.FrontendSide, (ctx, s) => SetFlag(ctx, () => SocketKeywordParsers.SetTcpKeepAlive(ctx, s, client: true, server: false))),
        new("srvtcpka", ProxyKinds.BackendSide, (ctx, s) => SetFlag(ctx, () => SocketKeywordParsers.SetTcpKeepAlive(ctx, s, client: false, server: true))),
        new("tcplog", ProxyKinds.FrontendSide, LogKeywordParsers.ParseTcpLog),
        new("httplog", ProxyKinds.FrontendSide, LogKeywordParsers.ParseHttpLog),
        new("httpslog", ProxyKinds.FrontendSide, LogKeywordParsers.ParseHttpsLog),
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
        new("http-ignore-probes", ProxyKinds.FrontendSide, HttpKeywordParsers.Flag((s, on) => s.HttpIgnoreProbes = on)),
        new("disable-h2-upgrade", ProxyKinds.FrontendSide, HttpKeywordParsers.Flag((s, on) => s.DisableH2Upgrade = on)),
        new("accept-invalid-http-request", ProxyKinds.FrontendSide, HttpKeywordParsers.Flag((s, on) => s.AcceptInvalidHttpRequest = on)),
        new("http-restrict-req-hdr-names", ProxyKinds.All, HttpKeywordParsers.ParseRestrictRequestHeaderNames),
        new("accept-invalid-http-response", ProxyKinds.BackendSide, HttpKeywordParsers.Flag((s, on) => s.AcceptInvalidHttpResponse = on)),
        new("httpchk", ProxyKinds.BackendSide, CheckKeywordParsers.ParseHttpChk),
        new("tcp-check", ProxyKinds.BackendSide, CheckKeywordParsers.ParseTcpCheck),
        new("abortonclose", ProxyKinds.BackendSide, (ctx, _) => SetFlag(ctx, () => { })),
        new("log-health-checks", ProxyKinds.BackendSide, (ctx, s) => SetFlag(ctx, () => s.LogHealthChecks = !ctx.Negated)),
        new("nolinger", ProxyKinds.All, (ctx, s) => SetFlag(ctx, () => s.NoLinger = !ctx.Negated)),
        new("idle-close-on-response", ProxyKinds.FrontendSide, HttpKeywordParsers.Flag((s, on) => s.IdleCloseOnResponse = on)),
        new("http-no-delay", ProxyKinds.All, (ctx, _) => SetFlag(ctx, () => { })),
        new("splice-auto", ProxyKinds.All, (ctx, s) => SetFlag(ctx, () => s.Splice = ctx.Negated ? s.Splice & ~SpliceMode.Auto : s.Splice | SpliceMode.Auto)),
        new("splice-request", ProxyKinds.All, (ctx, s) => SetFlag(ctx, () => s.Splice = ctx.Negated ? s.Splice & ~SpliceMode.Request : s.Splice | SpliceMode.Request)),
        new("splice-response", ProxyKinds.All, (ctx, s) => SetFlag(ctx, () => s.Splice = ctx.Negated ? s.Splice & ~SpliceMode.Response : s.Splice | SpliceMode.Response)),
        new("tcp-smart-accept", ProxyKinds.FrontendSide, (ctx, _) => NoEffectYet(ctx, "the kernel acknowledges new connections at once")),
        new("tcp-smart-connect", ProxyKinds.BackendSide, (ctx, _) => NoEffectYet(ctx, "the kernel acknowledges the server's handshake at once")),
        new("socket-stats", ProxyKinds.FrontendSide, (ctx, s) => SetFlag(ctx, () => s.SocketStats = !ctx.Negated)),
        new("independent-streams", ProxyKinds.All, (ctx, _) => NoEffectYet(ctx, "reading and writing already keep their own timeouts")),
        new("redis-check", ProxyKinds.BackendSide, TcpCheckKeywordParsers.ParseRedisCheck),
        new("ssl-hello-chk", ProxyKinds.BackendSide, TcpCheckKeywordParsers.ParseSslHelloCheck),
        new("smtpchk", ProxyKinds.BackendSide, TcpCheckKeywordParsers.ParseSmtpCheck),
        new("pgsql-check", ProxyKinds.BackendSide, TcpCheckKeywordParsers.ParsePgsqlCheck),
        new("mysql-check", ProxyKinds.BackendSide, TcpCheckKeywordParsers.ParseMysqlCheck),
        new("ldap-check", ProxyKinds.BackendSide, TcpCheckKeywordParsers.ParseLdapCheck),
        new("contstats", ProxyKinds.FrontendSide, (ctx, _) => ctx.Warning("'option contstats' is accepted but not honoured yet: byte counters are updated when a transaction ends.")),
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

    /// <summary>An option that loads but changes nothing yet: said once, with why, as HAProxy words such warnings.</summary>
    private static void NoEffectYet(KeywordContext ctx, string why)
    {
        if (!ctx.Negated)
        {
            ctx.Warning($"'{ctx.Keyword}' is accepted but has no effect yet: {why}.");
        }
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
        // HAProxy knows rdp-cookie by its first ten characters: `rdp-cookiefoo` is a missing cookie name.
        var name = algorithm.StartsWith("rdp-cookie", StringComparison.Ordinal) ? "rdp-cookie" : open < 0 ? algorithm : algorithm[..open];
        BalanceConfig? parsed = name switch
        {
            "roundrobin" => new(BalanceAlgorithm.RoundRobin),
            "static-rr" => new(BalanceAlgorithm.StaticRoundRobin),
            "leastconn" => new(BalanceAlgorithm.LeastConn),
            "first" => new(BalanceAlgorithm.First),
            "source" => new(BalanceAlgorithm.Source),
            "random" => ParseRandom(ctx, algorithm, open),
            "uri" => ParseUriOptions(ctx),
            "url_param" => ParseUrlParam(ctx),
            "hdr" when open > 0 && algorithm.EndsWith(')') && open + 2 < algorithm.Length => ParseHeaderOptions(ctx, algorithm[(open + 1)..^1], algorithm),
            "hash" => ParseHashExpression(ctx),
            "rdp-cookie" => ParseRdpCookie(ctx, algorithm),
            _ => null,
        };

        if (parsed is null)
        {
            if (name is "log-hash" or "sticky")
            {
                ctx.Alert($"'balance {name}' is not supported yet.");
            }
            else if (name is not ("random" or "uri" or "url_param" or "hash" or "rdp-cookie") && !(name == "hdr" && open > 0))
            {
                ctx.Alert("balance only supports 'roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'random', 'uri', 'url_param', 'hdr(name)', 'rdp-cookie(name)' and 'hash' options.");
            }

            return;
        }

        if (open < 0 && ctx.ArgumentCount > 1 && !parsed.IsHashBased)
        {
            ctx.Alert($"'balance {name}' cannot handle unexpected argument '{ctx.Argument(1)}'.");
            return;
        }

        if (name == "source" && ctx.ArgumentCount > 1)
        {
            ctx.Alert($"'balance {name}' cannot handle unexpected argument '{ctx.Argument(1)}'.");
            return;
        }

        section.Balance = parsed;
    }

    /// <summary>`balance uri [len N] [depth N] [whole] [path-only]` (HAProxy's messages).</summary>
    private static BalanceConfig? ParseUriOptions(KeywordContext ctx)
    {
        var config = new BalanceConfig(BalanceAlgorithm.Uri);
        for (var i = 1; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i)!;
            switch (word)
            {
                case "whole":
                    config = config with { UriWhole = true };
                    break;
                case "path-only":
                    config = config with { UriPathOnly = true };
                    break;
                case "len" or "depth":
                    var text = ctx.Argument(i + 1);
                    if (!ValueParsers.TryParseInt(text, out var value) || value < 1)
                    {
                        ctx.Alert($"balance uri : '{word}' expects a positive integer (got '{text}').");
                        return null;
                    }

                    config = word == "len" ? config with { UriLength = value } : config with { UriDepth = value };
                    i++;
                    break;
                default:
                    ctx.Alert($"balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got '{word}').");
                    return null;
            }
        }

        return config;
    }

    /// <summary>`balance url_param NAME [check_post [max_wait]]`; HAProxy ignores max_wait, and so does Sluice.</summary>
    private static BalanceConfig? ParseUrlParam(KeywordContext ctx)
    {
        var name = ctx.Argument(1);
        if (string.IsNullOrEmpty(name))
        {
            ctx.Alert("balance url_param requires an URL parameter name.");
            return null;
        }

        var modifier = ctx.Argument(2);
        if (modifier is not null && modifier != "check_post")
        {
            ctx.Alert($"balance url_param only accepts 'check_post' modifier (got '{modifier}').");
            return null;
        }

        return new BalanceConfig(BalanceAlgorithm.UrlParam) { Name = name, NameBytes = System.Text.Encoding.Latin1.GetBytes(name), CheckPost = modifier is not null };
    }

    /// <summary>`balance hdr(NAME) [use_domain_only]`.</summary>
    private static BalanceConfig? ParseHeaderOptions(KeywordContext ctx, string header, string written)
    {
        var useDomainOnly = false;
        if (ctx.Argument(1) is { } modifier)
        {
            if (modifier != "use_domain_only" || ctx.ArgumentCount > 2)
            {
                ctx.Alert($"balance {written} only accepts 'use_domain_only' modifier (got '{(modifier != "use_domain_only" ? modifier : ctx.Argument(2))}').");
                return null;
            }

            useDomainOnly = true;
        }

        return new BalanceConfig(BalanceAlgorithm.Header) { Name = header, NameBytes = System.Text.Encoding.Latin1.GetBytes(header), UseDomainOnly = useDomainOnly };
    }

    /// <summary>`balance rdp-cookie[(NAME)]`, `mstshash` by default; what follows the closing parenthesis is ignored, as HAProxy does.</summary>
    private static BalanceConfig? ParseRdpCookie(KeywordContext ctx, string algorithm)
    {
        if (PersistenceKeywordParsers.RdpCookieName(algorithm, "mstshash") is not { } name)
        {
            ctx.Alert("balance rdp-cookie : missing cookie name.");
            return null;
        }

        return new BalanceConfig(BalanceAlgorithm.RdpCookie) { Name = name, NameBytes = System.Text.Encoding.Latin1.GetBytes(name) };
    }

    /// <summary>`balance hash EXPR`: a sample expression, compiled once.</summary>
    private static BalanceConfig? ParseHashExpression(KeywordContext ctx)
    {
        var text = ctx.Argument(1);
        if (string.IsNullOrEmpty(text))
        {
            ctx.Alert("balance hash requires a sample expression.");
            return null;
        }

        var expression = Sluice.Rules.Samples.SampleExpressionParser.Parse(text, forAcl: false, out var error);
        if (expression is null)
        {
            ctx.Alert($"failed to parse 'balance hash' expression '{text}' : {error}.");
            return null;
        }

        return new BalanceConfig(BalanceAlgorithm.Hash) { Expression = expression };
    }

    /// <summary>`hash-type map-based|consistent [sdbm|djb2|wt6|crc32] [avalanche]` (HAProxy 2.6's messages).</summary>
    private static void ParseHashType(KeywordContext ctx, ProxySection section)
    {
        var consistent = ctx.Argument(0) switch
        {
            "consistent" => true,
            "map-based" => false,
            _ => (bool?)null,
        };
        if (consistent is null)
        {
            ctx.Alert("'hash-type' only supports 'consistent' and 'map-based'.");
            return;
        }

        var function = HashFunction.Sdbm;
        if (ctx.Argument(1) is { } name)
        {
            HashFunction? parsed = name switch
            {
                "sdbm" => HashFunction.Sdbm,
                "djb2" => HashFunction.Djb2,
                "wt6" => HashFunction.Wt6,
                "crc32" => HashFunction.Crc32,
                _ => null,
            };
            if (parsed is null)
            {
                ctx.Alert("'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.");
                return;
            }

            function = parsed.Value;
        }

        var avalanche = false;
        if (ctx.Argument(2) is { } modifier)
        {
            if (modifier != "avalanche" || ctx.ArgumentCount > 3)
            {
                ctx.Alert("'hash-type' only supports 'avalanche' as a modifier for hash functions.");
                return;
            }

            avalanche = true;
        }

        section.HashType = new HashTypeConfig(consistent.Value, function, avalanche);
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

    /// <summary>
    /// `rate-limit sessions N`. Valid everywhere, as in HAProxy, which only warns in a backend; the only kind of
    /// rate limit is `sessions`.
    /// </summary>
    private static void ParseRateLimit(KeywordContext ctx, ProxySection section)
    {
        if (ctx.Argument(0) != "sessions")
        {
            ctx.Alert($"'rate-limit' only supports 'sessions' (got '{ctx.Argument(0)}')");
            return;
        }

        if (ctx.ArgumentCount < 2)
        {
            ctx.Alert("'rate-limit sessions' expects expects an integer value (in sessions/second)");
            return;
        }

        if (!ValueParsers.TryParseInt(ctx.Argument(1), out var value))
        {
            ctx.Alert($"'rate-limit sessions' expects a non-negative integer (got '{ctx.Argument(1)}').");
            return;
        }

        if (section.Kind == ProxyKinds.Backend)
        {
            ctx.Warning($"rate-limit sessions will be ignored because backend '{section.Name}' has no frontend capability");
            return;
        }

        section.SessionRateLimit = value;
    }

    private static void ParseBacklog(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ExpectArguments(1, "an integer argument") && ParseNonNegative(ctx, out var value))
        {
            section.Backlog = value;
        }
    }

    private static void ParseFullConn(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ExpectArguments(1, "an integer argument") && ParseNonNegative(ctx, out var value))
        {
            section.FullConn = value;
        }
    }

    /// <summary>`hash-balance-factor N`: read as HAProxy's atol reads it; 0 turns it off, else it must pass 100.</summary>
    private static void ParseHashBalanceFactor(KeywordContext ctx, ProxySection section)
    {
        if (!ctx.ExpectArguments(1, "an integer argument"))
        {
            return;
        }

        var factor = ValueParsers.ParseLeadingInt(ctx.Argument(0)!);
        if (factor != 0 && factor <= 100)
        {
            ctx.Alert("'hash-balance-factor' must be 0 or greater than 100.");
            return;
        }

        section.HashBalanceFactor = factor;
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
        var index = 0;
        var error = SourceKeywordParser.Parse(ctx, ref index, out var source);
        if (error is null && source!.LastPort != source.FirstPort)
        {
            // Only a server's `source` manages a range of ports.
            error = $"'source {source.Text}' : port range not permitted here in '{source.Text}'";
        }
        else if (error is null && index + 1 < ctx.ArgumentCount)
        {
            error = "'source' only supports optional keywords 'interface' and 'usesrc'.";
        }

        if (error is not null)
        {
            ctx.Alert(error);
            return;
        }

        section.Source = source;
    }

    private static void ParseLoadServerState(KeywordContext ctx, ProxySection section)
    {
        var source = ctx.Argument(0) switch
        {
            "global" => ServerStateSource.Global,
            "local" => ServerStateSource.Local,
            "none" => ServerStateSource.None,
            _ => (ServerStateSource?)null,
        };
        if (source is null)
        {
            ctx.Alert("'load-server-state-from-file' expects 'global', 'local' or 'none'. Got '" + (ctx.Argument(0) ?? string.Empty) + "'");
            return;
        }

        section.LoadServerState = source.Value;
    }

    private static void ParseServerStateFileName(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount > 1)
        {
            ctx.Alert($"'{ctx.Keyword}' cannot handle unexpected argument '{ctx.Argument(1)}'.");
            return;
        }

        section.ServerStateFileName = ctx.Argument(0) is null or "use-backend-name" ? null : ctx.Argument(0);
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
