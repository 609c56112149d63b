using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Config.Parsing;
using Sluice.Hosting;
using Sluice.Tls;

namespace Sluice.Config.Sections;

/// <summary>
/// Reads <c>server NAME ADDR [options]</c> and <c>default-server [options]</c>. Messages start with
/// <c>'server BACKEND/NAME'</c> as HAProxy's do.
/// </summary>
internal static class ServerLineParser
{
    /// <summary>Known server options that take no argument; every other known option takes one.</summary>
    private static readonly HashSet<string> FlagOptions = new(StringComparer.Ordinal)
    {
        "agent-check", "allow-0rtt", "backup", "check", "check-send-proxy", "check-ssl", "check-via-socks4",
        "disabled", "enabled", "force-sslv3", "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13",
        "no-agent-check", "no-backup", "no-check", "no-check-ssl", "no-send-proxy", "no-send-proxy-v2",
        "no-send-proxy-v2-ssl", "no-send-proxy-v2-ssl-cn", "no-ssl", "no-ssl-reuse", "no-sslv3", "no-tfo",
        "no-tls-tickets", "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "no-verifyhost", "non-stick",
        "send-proxy", "send-proxy-v2", "send-proxy-v2-ssl", "send-proxy-v2-ssl-cn", "ssl", "ssl-reuse", "stick",
        "strict-maxconn", "tfo",
    };

    public static void ParseServer(KeywordContext ctx, ProxySection section)
    {
        var name = ctx.Argument(0);
        var addressText = ctx.Argument(1);
        if (name is null || addressText is null)
        {
            ctx.Alert($"'server' expects <name> and <addr>[:<port>] as arguments.");
            return;
        }

        AddServers(ctx, section, [name], addressText);
    }

    /// <summary>
    /// `server-template PREFIX N|LOW-HIGH ADDR [options]`: servers PREFIX1..PREFIXN (or PREFIXLOW..PREFIXHIGH), each
    /// as a `server` line with these options; the numbers are read as HAProxy reads them (atoi).
    /// </summary>
    public static void ParseServerTemplate(KeywordContext ctx, ProxySection section)
    {
        var prefix = ctx.Argument(0);
        var range = ctx.Argument(1);
        var addressText = ctx.Argument(2);
        if (prefix is null || range is null || addressText is null)
        {
            ctx.Alert("'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.");
            return;
        }

        var dash = range.IndexOf('-', StringComparison.Ordinal);
        var low = ValueParsers.ParseLeadingInt(range);
        var high = dash < 0 ? low : ValueParsers.ParseLeadingInt(range[(dash + 1)..]);
        if (dash < 0)
        {
            low = 1;
        }

        if (low < 0 || high < low)
        {
            ctx.Alert($"Wrong server-template number or range arg '{range}'.");
            return;
        }

        var names = new string[high - low + 1];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = prefix + (low + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        AddServers(ctx, section, names, addressText, optionsStart: 3);
    }

    /// <summary>
    /// Adds a server named by each of <paramref name="names"/> at <paramref name="addressText"/>, with the options
    /// from argument <paramref name="optionsStart"/> on (read once). An address beginning with `_` is an SRV label:
    /// with `resolvers`, its servers wait in maintenance until the name servers give them a target.
    /// </summary>
    private static void AddServers(KeywordContext ctx, ProxySection section, string[] names, string addressText, int optionsStart = 2)
    {
        var ok = ParseOptions(ctx, optionsStart, $"'server {section.Name}/{names[0]}'", section.DefaultServer, section.Global, out var parsedOptions);
        foreach (var name in names)
        {
            if (AddServer(ctx, section, name, addressText, ok, parsedOptions) is false)
            {
                return;
            }
        }
    }

    /// <returns>False when the line is refused.</returns>
    private static bool AddServer(KeywordContext ctx, ProxySection section, string name, string addressText, bool ok, ServerOptions options)
    {
        var prefix = $"'server {section.Name}/{name}'";
        string? error;
        ServerAddress? address;
        string? srvRecord = null;
        if (addressText.StartsWith('_'))
        {
            error = AddressParser.ParseServiceLabel(addressText, out srvRecord, out address);
            if (error is null && options.Resolvers is null)
            {
                error = $"no method found to resolve address '{srvRecord}'.";
            }

            // No address until the records come: the server starts in resolution maintenance, as HAProxy's.
            options = options with { Disabled = true };
            if (error is not null)
            {
                ctx.Alert($"{prefix} : {error}");
                return false;
            }
        }
        else
        {
            error = AddressParser.ParseServer(addressText, out address);
            var hostName = (address as InetServerAddress)?.Fqdn;
            if (error is not null && hostName is null)
            {
                ctx.Alert($"{prefix} : {error}");
            }

            // With `resolvers`, a name the system cannot resolve waits for the name servers, its server in maintenance.
            IReadOnlyList<InitAddrMethod>? resolverDefault = options.Resolvers is not null ? [new InitAddrMethod("libc"), new InitAddrMethod("none")] : null;
            if (hostName is not null && (options.InitAddr ?? resolverDefault) is { } methods && ok)
            {
                error = ApplyInitAddr(ctx, prefix, hostName, resolved: error is null, methods, ref address, ref options);
            }

            if (error is not null && hostName is not null)
            {
                ctx.Alert($"{prefix} : {error}");
            }
        }

        if (error is not null || !ok)
        {
            return false;
        }

        if (options.Tls is { } tls && (tls.Enabled || tls.CheckSsl == true))
        {
            var connector = TlsConnector.Create(
                tls with { Verify = tls.Verify == TlsVerify.Default ? TlsVerify.Required : tls.Verify },
                message => ctx.Diagnostics.ConfigAlert($"[{ctx.Location}] : {prefix} : {message}"),
                message => ctx.Alert($"{prefix} : {message} is not supported yet."));
            if (connector is null)
            {
                return false;
            }

            if (tls.SniExpression is not null && (connector.OffersH2 || options.Proto == "h2"))
            {
                // The HTTP/2 connections of a server are shared by every stream; they are not told apart by SNI yet.
                ctx.Alert($"{prefix} : 'sni' with a sample expression on an HTTP/2 server is not supported yet.");
                return false;
            }

            connector.PrepareWebSockets(options.WebSocket);
            options = options with { TlsConnector = connector };
        }

        if (options.Check.Track is not null && options.Check.Enabled)
        {
            ctx.Alert($"{prefix} : unable to enable checks and tracking at the same time!");
            return false;
        }

        if (options.Check.Observe == ObserveMode.Layer7 && section.Mode != ProxyMode.Http)
        {
            ctx.Alert($"{prefix} : 'layer7' can only be used in http proxies.");
            return false;
        }

        if (options.Check.AgentCheck && options.Check.AgentPort == 0)
        {
            ctx.Alert($"{prefix} : server {name} does not have agent port. Agent check has been disabled.");
            return false;
        }

        foreach (var existing in section.Servers)
        {
            if (existing.Name == name)
            {
                ctx.Alert($"{section.KindName} '{section.Name}', another server named '{name}' was already defined at line {existing.Location.Line}, please use distinct names.");
                return false;
            }
        }

        section.Servers.Add(new ServerLine(name, ctx.Location, address!, options, srvRecord));
        return true;
    }

    /// <summary>
    /// `init-addr`: tries the methods in order for a server named by <paramref name="hostName"/> (HAProxy's
    /// srv_iterate_initaddr). `libc` keeps the resolved address, `none` leaves the server without one and in
    /// maintenance, an IP address replaces the name's; `last` gives nothing here: the server-state file, read after the
    /// configuration, sets the saved address at start-up (<see cref="Backends.ServerStateFile"/>). A fallback after a
    /// failed resolution is a warning; no method left is the returned error.
    /// </summary>
    private static string? ApplyInitAddr(KeywordContext ctx, string prefix, string hostName, bool resolved, IReadOnlyList<InitAddrMethod> methods, ref ServerAddress? address, ref ServerOptions options)
    {
        var inet = (InetServerAddress)address!;
        var resolveFailed = false;
        foreach (var method in methods)
        {
            switch (method.Name)
            {
                case "libc" when resolved:
                    return null;
                case "libc":
                    resolveFailed = true;
                    break;
                case "none":
                    if (resolveFailed)
                    {
                        ctx.Diagnostics.ConfigWarning($"[{ctx.Location}] : {prefix} : could not resolve address '{hostName}', disabling server.");
                    }

                    address = inet with { Address = inet.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? System.Net.IPAddress.IPv6Any : System.Net.IPAddress.Any };
                    options = options with { Disabled = true };
                    return null;
                case "ip":
                    if (resolveFailed)
                    {
                        ctx.Diagnostics.ConfigWarning($"[{ctx.Location}] : {prefix} : could not resolve address '{hostName}', falling back to configured address.");
                    }

                    address = inet with { Address = method.Address! };
                    return null;
            }
        }

        return $"could not resolve address '{hostName}'.";
    }

    /// <summary>`resolve-net NET[,NET...]`: the networks whose addresses a resolution prefers, in order.</summary>
    private static string? ParseResolveNets(string argument, out IReadOnlyList<(System.Net.IPAddress Network, int Prefix)>? nets)
    {
        var parsed = new List<(System.Net.IPAddress, int)>();
        nets = null;
        foreach (var text in argument.Split(','))
        {
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            if (!System.Net.IPAddress.TryParse(slash < 0 ? text : text[..slash], out var network))
            {
                return $"'resolve-net' : invalid network '{text}'.";
            }

            var max = network.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
            var prefix = max;
            if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix) || prefix > max))
            {
                return $"'resolve-net' : invalid network '{text}'.";
            }

            parsed.Add((network, prefix));
        }

        nets = parsed;
        return null;
    }

    public static void ParseDefaultServer(KeywordContext ctx, ProxySection section)
    {
        if (ParseOptions(ctx, 0, "'default-server'", section.DefaultServer, section.Global, out var options))
        {
            section.DefaultServer = options;
        }
    }

    /// <summary>`init-addr METHOD[,METHOD]...`: `last`, `libc`, `none` or an IP address; null or HAProxy's complaint.</summary>
    private static string? ParseInitAddr(string argument, out IReadOnlyList<InitAddrMethod>? methods)
    {
        methods = null;
        var parsed = new List<InitAddrMethod>();
        foreach (var word in argument.Split(','))
        {
            if (word is "last" or "libc" or "none")
            {
                parsed.Add(new InitAddrMethod(word));
            }
            else if ((word.Contains('.', StringComparison.Ordinal) || word.Contains(':', StringComparison.Ordinal)) && System.Net.IPAddress.TryParse(word, out var ip))
            {
                parsed.Add(new InitAddrMethod("ip", ip));
            }
            else
            {
                return $"'init-addr' : unknown init-addr method '{word}', supported methods are 'libc', 'last', 'none'..";
            }
        }

        methods = parsed;
        return null;
    }

    private static bool ParseOptions(KeywordContext ctx, int first, string prefix, ServerOptions defaults, GlobalConfig global, out ServerOptions options)
    {
        options = defaults;
        var ok = true;
        for (var i = first; i < ctx.ArgumentCount; i++)
        {
            var keyword = ctx.Argument(i)!;
            var tls = options.Tls ?? global.TlsServerDefaults;
            if (TlsKeywordParsers.TryParse(ctx, ref i, server: true, ref tls, out var tlsError))
            {
                if (tlsError is not null)
                {
                    ctx.Alert($"{prefix} : {tlsError}");
                    ok = false;
                }

                options = options with { Tls = tls };
                continue;
            }

            var sendProxy = options.SendProxy;
            if (ProxyProtocolKeywordParsers.TryParseServerOption(ctx, ref i, ref sendProxy, out var proxyError))
            {
                if (proxyError is not null)
                {
                    ctx.Alert($"{prefix} : {proxyError}");
                    ok = false;
                }

                options = options with { SendProxy = sendProxy };
                continue;
            }

            var takesArgument = !FlagOptions.Contains(keyword);
            var argument = takesArgument ? ctx.Argument(i + 1) : null;
            if (takesArgument && argument is null && (Array.IndexOf(HAProxyKeywords.ServerOptions, keyword) >= 0))
            {
                ctx.Alert(keyword switch
                {
                    "pool-max-conn" or "pool-purge-delay" or "max-reuse" => $"{prefix} : '{keyword}' expects <value> as argument.",
                    "proto" => $"{prefix} : 'proto' : missing value.",
                    "agent-send" => $"{prefix} : 'agent-send' expects a string as argument..",
                    "error-limit" => $"{prefix} : 'error-limit' expects an integer argument..",
                    "socks4" => $"{prefix} : 'socks4' expects <addr>:<port> as argument..",
                    _ => $"{prefix} : '{keyword}' expects an argument.",
                });
                return false;
            }

            string? error = null;
            switch (keyword)
            {
                case "weight":
                    if (!ValueParsers.TryParseInt(argument, out var weight) || weight > 256)
                    {
                        error = $"'weight' : invalid weight '{argument}', expects an integer between 0 and 256.";
                    }
                    else
                    {
                        options = options with { Weight = weight };
                    }

                    break;
                case "maxconn":
                    if (!ValueParsers.TryParseInt(argument, out var maxConn))
                    {
                        error = $"'maxconn' : invalid value '{argument}', expects a non-negative integer.";
                    }
                    else
                    {
                        options = options with { MaxConn = maxConn };
                    }

                    break;
                case "maxqueue" or "minconn":
                    if (!ValueParsers.TryParseSignedInt(argument, out var limit))
                    {
                        error = $"'{keyword}' : invalid value '{argument}', expects an integer.";
                    }
                    else
                    {
                        // HAProxy reads a negative limit as no limit.
                        limit = Math.Max(limit, 0);
                        options = keyword == "maxqueue" ? options with { MaxQueue = limit } : options with { MinConn = limit };
                    }

                    break;
                case "cookie":
                    options = options with { Cookie = argument };
                    break;
                case "socks4":
                    error = ParseSocks4(argument!, out var socks4);
                    options = options with { Socks4 = socks4 };
                    break;
                case "init-addr":
                    error = ParseInitAddr(argument!, out var initAddr);
                    options = options with { InitAddr = initAddr };
                    break;
                case "resolvers":
                    options = options with { Resolvers = argument };
                    break;
                case "resolve-prefer" when argument is "ipv4" or "ipv6":
                    options = options with { ResolvePreferIpv4 = argument == "ipv4" };
                    break;
                case "resolve-prefer":
                    error = $"'resolve-prefer' expects 'ipv4' or 'ipv6', got '{argument}'.";
                    break;
                case "resolve-net":
                    error = ParseResolveNets(argument!, out var nets);
                    options = options with { ResolveNets = nets };
                    break;
                case "resolve-opts":
                    foreach (var opt in argument!.Split(','))
                    {
                        switch (opt)
                        {
                            case "allow-dup-ip" or "prevent-dup-ip":
                                options = options with { AllowDuplicateIp = opt == "allow-dup-ip" };
                                break;
                            case "ignore-weight":
                                options = options with { IgnoreSrvWeight = true };
                                break;
                            default:
                                error = $"'resolve-opts' : unknown option '{opt}'. Supported options are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'.";
                                break;
                        }
                    }

                    break;
                case "pool-max-conn":
                    if (!ValueParsers.TryParseSignedInt(argument, out var poolMaxConn))
                    {
                        error = $"'pool-max-conn' : invalid value '{argument}', expects an integer.";
                    }
                    else if (poolMaxConn < -1)
                    {
                        error = "'pool-max-conn' must be >= -1.";
                    }
                    else
                    {
                        options = options with { PoolMaxConn = poolMaxConn };
                    }

                    break;
                case "pool-purge-delay":
                    var timeError = ValueParsers.ParseTime(argument!, out var purgeDelay);
                    if (timeError is not null)
                    {
                        error = timeError.StartsWith("unexpected character", StringComparison.Ordinal)
                            ? $"{timeError} in argument to <pool-purge-delay>."
                            : $"'pool-purge-delay' : {timeError} in argument '{argument}'.";
                    }
                    else
                    {
                        options = options with { PoolPurgeDelay = purgeDelay };
                    }

                    break;
                case "max-reuse":
                    if (!ValueParsers.TryParseSignedInt(argument, out var maxReuse))
                    {
                        error = $"'max-reuse' : invalid value '{argument}', expects an integer.";
                    }
                    else
                    {
                        // HAProxy treats any negative value as "no limit".
                        options = options with { MaxReuse = Math.Max(maxReuse, -1) };
                    }

                    break;
                case "proto":
                    error = MuxProtocolError(argument!, "'proto' : ");
                    options = error is null ? options with { Proto = argument } : options;
                    break;
                case "check-proto":
                    // HAProxy 2.6 words this one with two spaces after the colon.
                    error = MuxProtocolError(argument!, "'check-proto' :  ");
                    options = error is null ? options with { Check = options.Check with { Proto = argument } } : options;
                    break;
                case "ws":
                    WebSocketProtocol? ws = argument switch
                    {
                        "auto" => WebSocketProtocol.Auto,
                        "h1" => WebSocketProtocol.H1,
                        "h2" => WebSocketProtocol.H2,
                        _ => null,
                    };
                    if (ws is null)
                    {
                        error = "'ws' has to be 'auto', 'h1' or 'h2'.";
                    }
                    else
                    {
                        options = options with { WebSocket = ws.Value };
                    }

                    break;
                case "check-send-proxy":
                    options = options with { Check = options.Check with { SendProxy = true } };
                    break;
                case "check-via-socks4":
                    options = options with { Check = options.Check with { ViaSocks4 = true } };
                    break;
                case "check":
                    options = options with { Check = options.Check with { Enabled = true } };
                    break;
                case "no-check":
                    options = options with { Check = options.Check with { Enabled = false } };
                    break;
                case "inter" or "fastinter" or "downinter":
                    error = ParseCheckDelay(keyword, argument!, prefix, out var delay);
                    if (error is null)
                    {
                        options = options with
                        {
                            Check = keyword switch
                            {
                                "inter" => options.Check with { Inter = delay },
                                "fastinter" => options.Check with { FastInter = delay },
                                _ => options.Check with { DownInter = delay },
                            },
                        };
                    }

                    break;
                case "rise" or "fall":
                    if (!ValueParsers.TryParseSignedInt(argument, out var count))
                    {
                        error = $"'{keyword}' expects an integer argument.";
                    }
                    else if (count <= 0)
                    {
                        error = $"'{keyword}' has to be > 0.";
                    }
                    else
                    {
                        options = options with { Check = keyword == "rise" ? options.Check with { Rise = count } : options.Check with { Fall = count } };
                    }

                    break;
                case "port":
                    if (!ValueParsers.TryParseInt(argument, out var port) || port < 1 || port > 65535)
                    {
                        error = $"'port' : invalid port '{argument}', expects an integer between 1 and 65535.";
                    }
                    else
                    {
                        options = options with { Check = options.Check with { Port = port } };
                    }

                    break;
                case "addr":
                    if (!System.Net.IPAddress.TryParse(argument, out var checkAddress))
                    {
                        error = $"'addr' expects <ipv4|ipv6> as argument (got '{argument}').";
                    }
                    else
                    {
                        options = options with { Check = options.Check with { Address = checkAddress } };
                    }

                    break;
                case "agent-check" or "no-agent-check":
                    options = options with { Check = options.Check with { AgentCheck = keyword == "agent-check" } };
                    break;
                case "agent-port":
                    // HAProxy reads a bad number as no port; the line is then refused for having none.
                    options = options with { Check = options.Check with { AgentPort = ValueParsers.TryParseInt(argument, out var agentPort) && agentPort is > 0 and < 65536 ? agentPort : 0 } };
                    break;
                case "agent-inter":
                    error = ParseCheckDelay(keyword, argument!, prefix, out var agentInter);
                    if (error is null)
                    {
                        options = options with { Check = options.Check with { AgentInter = agentInter } };
                    }

                    break;
                case "agent-addr":
                    if (!System.Net.IPAddress.TryParse(argument, out var agentAddress))
                    {
                        error = $"parsing agent-addr failed. Check if '{argument}' is correct address..";
                    }
                    else
                    {
                        options = options with { Check = options.Check with { AgentAddress = agentAddress } };
                    }

                    break;
                case "agent-send":
                    options = options with { Check = options.Check with { AgentSend = argument } };
                    break;
                case "observe":
                    if (argument is not ("none" or "layer4" or "layer7"))
                    {
                        error = $"'observe' expects one of 'none', 'layer4', 'layer7' but got '{argument}'.";
                    }
                    else
                    {
                        options = options with { Check = options.Check with { Observe = argument switch { "layer4" => ObserveMode.Layer4, "layer7" => ObserveMode.Layer7, _ => ObserveMode.None } } };
                    }

                    break;
                case "error-limit":
                    // HAProxy reads a word as 0 and refuses it as such.
                    if (!ValueParsers.TryParseSignedInt(argument, out var errorLimit) || errorLimit <= 0)
                    {
                        error = "error-limit has to be > 0..";
                    }
                    else
                    {
                        options = options with { Check = options.Check with { ErrorLimit = errorLimit } };
                    }

                    break;
                case "on-error":
                    if (argument is not ("fastinter" or "fail-check" or "sudden-death" or "mark-down"))
                    {
                        error = $"'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '{argument}'.";
                    }
                    else
                    {
                        options = options with
                        {
                            Check = options.Check with
                            {
                                OnError = argument switch
                                {
                                    "fastinter" => ObserveErrorAction.FastInter,
                                    "sudden-death" => ObserveErrorAction.SuddenDeath,
                                    "mark-down" => ObserveErrorAction.MarkDown,
                                    _ => ObserveErrorAction.FailCheck,
                                },
                            },
                        };
                    }

                    break;
                case "on-marked-down":
                    if (argument != "shutdown-sessions")
                    {
                        error = $"'on-marked-down' expects 'shutdown-sessions' but got '{argument}'.";
                    }
                    else
                    {
                        options = options with { Check = options.Check with { ShutdownSessionsOnDown = true } };
                    }

                    break;
                case "on-marked-up":
                    if (argument != "shutdown-backup-sessions")
                    {
                        error = $"'on-marked-up' expects 'shutdown-backup-sessions' but got '{argument}'.";
                    }
                    else
                    {
                        options = options with { Check = options.Check with { ShutdownBackupSessionsOnUp = true } };
                    }

                    break;
                case "track":
                    options = options with { Check = options.Check with { Track = argument } };
                    break;
                case "slowstart":
                    var slowStartError = ValueParsers.ParseTime(argument!, out var slowStart);
                    if (slowStartError is not null)
                    {
                        error = slowStartError.StartsWith("unexpected character", StringComparison.Ordinal)
                            ? $"{slowStartError} in 'slowstart' argument of server {prefix[(prefix.IndexOf('/', StringComparison.Ordinal) + 1)..^1]}.."
                            : $"'slowstart' : {slowStartError} in argument '{argument}'.";
                    }
                    else
                    {
                        options = options with { Check = options.Check with { SlowStart = slowStart } };
                    }

                    break;
                case "backup":
                    options = options with { Backup = true };
                    break;
                case "no-backup":
                    options = options with { Backup = false };
                    break;
                case "disabled":
                    options = options with { Disabled = true };
                    break;
                case "enabled":
                    options = options with { Disabled = false };
                    break;
                case "source":
                    var sourceIndex = i + 1;
                    error = SourceKeywordParser.Parse(ctx, ref sourceIndex, out var source);
                    if (error is null)
                    {
                        options = options with { Source = source };
                    }

                    // The words after the address were read here; the loop steps over the address itself.
                    i = sourceIndex - 1;
                    break;
                default:
                    if (Array.IndexOf(HAProxyKeywords.ServerOptions, keyword) >= 0)
                    {
                        error = $"'{keyword}' is not supported yet.";
                        break;
                    }

                    ctx.Alert($"{prefix} : unknown keyword '{keyword}'{KeywordSuggestions.Suffix(keyword, HAProxyKeywords.ServerOptions)}");
                    return false;
            }

            if (error is not null)
            {
                ctx.Alert($"{prefix} : {error}");
                ok = false;
            }

            if (takesArgument)
            {
                i++;
            }
        }

        return ok;
    }

    /// <summary>`proto NAME`: a multiplexer of HAProxy's table that works towards servers (HAProxy's messages).</summary>
    /// <summary>Why <paramref name="argument"/> is no server-side multiplexer Sluice has, after <paramref name="prefix"/>; null when it is one.</summary>
    private static string? MuxProtocolError(string argument, string prefix)
    {
        var mux = MuxProtocols.Find(argument);
        if (argument == "fcgi")
        {
            // HAProxy's FastCGI multiplexer, which needs an `fcgi-app` section.
            return prefix + "MUX protocol 'fcgi' is not supported yet.";
        }

        if (mux is null || !mux.Sides.Contains("BE", StringComparison.Ordinal))
        {
            return $"{prefix}unknown MUX protocol '{argument}'.";
        }

        return mux.Available ? null : $"{prefix}MUX protocol '{argument}' is not supported yet.";
    }

    /// <summary>`inter`, `fastinter`, `downinter`: a positive time, milliseconds by default (HAProxy's messages).</summary>
    private static string? ParseCheckDelay(string keyword, string argument, string prefix, out TimeSpan delay)
    {
        var error = ValueParsers.ParseTime(argument, out delay);
        if (error == "timer overflow")
        {
            return $"timer overflow in argument <{argument}> to <{keyword}> of {prefix[1..^1]}, maximum value is 2147483647 ms (~24.8 days).";
        }

        if (error is not null)
        {
            return $"{error} in '{keyword}' argument.";
        }

        if (delay < TimeSpan.FromMilliseconds(1))
        {
            return $"invalid value {(long)delay.TotalMilliseconds} for argument '{keyword}'.";
        }

        return null;
    }

    /// <summary>`socks4 ADDR:PORT`: the SOCKS4 proxy the server is reached through.</summary>
    private static string? ParseSocks4(string text, out System.Net.IPEndPoint? proxy)
    {
        proxy = null;
        if (!text.Contains(':', StringComparison.Ordinal))
        {
            return $"'socks4 {text}' : missing port specification in '{text}'.";
        }

        if (AddressParser.ParseServer(text, out var address) is { } error)
        {
            return $"'socks4 {text}' : {error}.";
        }

        if (address is not InetServerAddress { Fqdn: null, PortIsOffset: false } inet || inet.Port == 0)
        {
            return address is InetServerAddress ? $"'socks4 {text}' : missing port specification in '{text}'." : $"'socks4 {text}' : expects <addr>:<port> as argument.";
        }

        proxy = new System.Net.IPEndPoint(inet.Address, inet.Port);
        return null;
    }
}
