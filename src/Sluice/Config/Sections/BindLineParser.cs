using System.Globalization;
using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Config.Parsing;
using Sluice.Hosting;
using Sluice.Tls;

namespace Sluice.Config.Sections;

/// <summary>
/// Reads <c>bind ADDR[,ADDR...] [options]</c>. Messages start with <c>'bind ADDR'</c> as HAProxy's do, e.g.
/// <c>'bind *:8084' : 'proto' : unknown MUX protocol 'h2,http/1.1'</c>.
/// </summary>
internal static class BindLineParser
{
    /// <summary>Known bind options that take no argument; every other known option takes one.</summary>
    private static readonly HashSet<string> FlagOptions = new(StringComparer.Ordinal)
    {
        "accept-proxy", "allow-0rtt", "defer-accept", "force-sslv3", "force-tlsv10", "force-tlsv11", "force-tlsv12",
        "force-tlsv13", "generate-certificates", "ktls", "no-alpn", "no-ca-names", "no-sslv3", "no-tls-tickets",
        "no-tlsv10", "no-tlsv11", "no-tlsv12", "no-tlsv13", "prefer-client-ciphers", "quic-force-retry", "ssl",
        "strict-sni", "tfo", "transparent", "v4v6", "v6only",
    };

    private delegate string? OptionParser(string? argument, ref BindConfig options);

    private static readonly Dictionary<string, OptionParser> Implemented = new(StringComparer.Ordinal)
    {
        ["name"] = (string? a, ref BindConfig o) => { o = o with { Name = a }; return null; },
        ["maxconn"] = (string? a, ref BindConfig o) => ParseCount(a, out var v) ?? Set(ref o, o with { MaxConn = v }),
        ["backlog"] = (string? a, ref BindConfig o) => ParseCount(a, out var v) ?? Set(ref o, o with { Backlog = v }),
        ["v4v6"] = (string? _, ref BindConfig o) => Set(ref o, o with { V4V6 = true }),
        ["v6only"] = (string? _, ref BindConfig o) => Set(ref o, o with { V6Only = true }),
        ["mode"] = ParseUnixMode,
        ["user"] = (string? a, ref BindConfig o) => Set(ref o, o with { UnixUser = a }),
        ["uid"] = (string? a, ref BindConfig o) => Set(ref o, o with { UnixUser = a }),
        ["group"] = (string? a, ref BindConfig o) => Set(ref o, o with { UnixGroup = a }),
        ["gid"] = (string? a, ref BindConfig o) => Set(ref o, o with { UnixGroup = a }),
        ["proto"] = ParseProto,
        ["accept-proxy"] = (string? _, ref BindConfig o) => Set(ref o, o with { AcceptProxy = true }),
        ["interface"] = (string? a, ref BindConfig o) => Set(ref o, o with { Interface = a }),
        ["namespace"] = (string? a, ref BindConfig o) => Set(ref o, o with { Namespace = a }),
        ["transparent"] = (string? _, ref BindConfig o) => Set(ref o, o with { Transparent = true }),
        ["tfo"] = (string? _, ref BindConfig o) => Set(ref o, o with { FastOpen = true }),
        ["defer-accept"] = (string? _, ref BindConfig o) => Set(ref o, o with { DeferAccept = true }),
        ["mss"] = ParseMss,
        ["shards"] = ParseShards,
        ["thread"] = ParseThreads,
    };

    /// <summary>HAProxy's limit of threads (MAX_THREADS), and so of shards.</summary>
    internal const int MaxThreads = 64;

    private static string? ParseShards(string? text, ref BindConfig options)
    {
        if (text == "by-thread")
        {
            return Set(ref options, options with { Shards = BindConfig.ShardsByThread });
        }

        var value = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        return value is < 1 or > MaxThreads
            ? $"invalid value {value}, allowed range is 1..{MaxThreads} or 'by-thread'"
            : Set(ref options, options with { Shards = value });
    }

    /// <summary>`thread [1/]all|odd|even|N[-[M]]`: threads are counted in the only thread group there is, as in HAProxy 2.6.</summary>
    private static string? ParseThreads(string? text, ref BindConfig options)
    {
        var set = text!;
        var slash = set.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            var group = int.TryParse(set.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var g) ? g : 0;
            if (group != 1)
            {
                return $"'{set}' thread-group number must be between 1 and 1 (was {group})";
            }

            set = set[(slash + 1)..];
        }

        ulong mask;
        switch (set)
        {
            case "all":
                mask = ulong.MaxValue;
                break;
            case "odd":
                mask = 0x5555_5555_5555_5555UL;
                break;
            case "even":
                mask = 0xAAAA_AAAA_AAAA_AAAAUL;
                break;
            default:
                var dash = set.IndexOf('-', StringComparison.Ordinal);
                var first = int.TryParse(dash < 0 ? set : set[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var low) ? low : 0;
                var last = dash < 0 ? first : dash == set.Length - 1 ? MaxThreads : int.TryParse(set.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var high) ? high : 0;
                if (first is < 1 or > MaxThreads || last < first || last > MaxThreads)
                {
                    return $"'{set}' is not a valid number/range. It supports numbers from 1 to {MaxThreads}.";
                }

                mask = (last == MaxThreads ? ulong.MaxValue : (1UL << last) - 1) & ~((1UL << (first - 1)) - 1);
                break;
        }

        return Set(ref options, options with { Threads = options.Threads | mask });
    }

    public static void Parse(KeywordContext ctx, ProxySection section)
    {
        var addressList = ctx.Argument(0);
        if (addressList is null)
        {
            ctx.Alert("'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.");
            return;
        }

        var prefix = $"'bind {addressList}'";
        var addresses = new List<BindAddress>();
        var ok = true;
        foreach (var text in AddressParser.SplitList(addressList))
        {
            var error = AddressParser.ParseBind(text, out var address);
            if (error is not null)
            {
                ctx.Alert($"'bind' : {error}");
                ok = false;
                continue;
            }

            addresses.Add(address!);
        }

        var options = new BindConfig { Location = ctx.Location.ToString(), Address = addresses.Count > 0 ? addresses[0] : new FdBindAddress { Text = string.Empty, Fd = -1 } };
        var tls = section.Global.TlsBindDefaults;
        for (var i = 1; i < ctx.ArgumentCount; i++)
        {
            var keyword = ctx.Argument(i)!;
            if (TlsKeywordParsers.TryParse(ctx, ref i, server: false, ref tls, out var tlsError))
            {
                if (tlsError is not null)
                {
                    ctx.Alert($"{prefix} : {tlsError}");
                    ok = false;
                }

                continue;
            }

            var takesArgument = !FlagOptions.Contains(keyword);
            if (keyword == "process" && ctx.Argument(i + 1) is { } processes)
            {
                // One process always: HAProxy 2.6 only warns that the keyword is going away.
                ctx.Warning($"{prefix} : 'process {processes}' on 'bind' lines is deprecated and will be removed in 2.7.");
                i++;
                continue;
            }

            if (Implemented.TryGetValue(keyword, out var parser))
            {
                string? argument = null;
                if (takesArgument && keyword is not ("v4v6" or "v6only"))
                {
                    argument = ctx.Argument(i + 1);
                    if (argument is null)
                    {
                        ctx.Alert($"{prefix} : '{keyword}' : missing value.");
                        ok = false;
                        break;
                    }

                    i++;
                }

                var error = parser(argument, ref options);
                if (error is not null)
                {
                    ctx.Alert($"{prefix} : '{keyword}' : {error}");
                    ok = false;
                }

                continue;
            }

            if (Array.IndexOf(HAProxyKeywords.BindOptions, keyword) >= 0)
            {
                ctx.Alert($"{prefix} : '{keyword}' is not supported yet.");
                ok = false;
                if (takesArgument)
                {
                    i++;
                }

                continue;
            }

            ctx.Alert($"{prefix} : unknown keyword '{keyword}'{KeywordSuggestions.Suffix(keyword, HAProxyKeywords.BindOptions)}");
            ok = false;
            break;
        }

        if (ok && tls.Enabled)
        {
            if (Sluice.Tls.TlsVersionRange.LowersBindMinimum(tls))
            {
                var max = Sluice.Tls.TlsVersionRange.HighestName(tls.MaxVersion!.Value);
                ctx.Diagnostics.ConfigWarning($"Proxy '{section.Name}': Ambiguous configuration for bind '{addressList}' at [{ctx.Location}]: the ssl-min-ver value is not configured and the ssl-max-ver value is lower than the default ssl-min-ver value (TLSv1.2). Setting the ssl-min-ver to {max}. Use 'ssl-min-ver' to fix this.");
            }

            var terminator = TlsTerminator.Create(
                tls,
                message => ctx.Alert($"{prefix} : {message}"),
                message => ctx.Diagnostics.ConfigAlert($"Proxy '{section.Name}': {message} for bind '{addressList}' at [{ctx.Location}]{(message.StartsWith("no SSL", StringComparison.Ordinal) ? " (use 'crt')" : string.Empty)}."),
                message => ctx.Alert($"{prefix} : {message} is not supported yet."));
            ok = terminator is not null;
            options = options with { Tls = terminator };
        }

        if (ok && addresses.Count > 0)
        {
            section.Binds.Add(new BindLine(ctx.Location, addresses, options));
        }
    }

    private static string? Set(ref BindConfig target, BindConfig value)
    {
        target = value;
        return null;
    }

    private static string? ParseCount(string? text, out int value) =>
        ValueParsers.TryParseInt(text, out value) && value > 0 ? null : $"invalid value '{text}', expects a positive integer.";

    /// <summary>`mss N`: 1 to 65535, or its negative to lower what the client advertises (HAProxy's message).</summary>
    private static string? ParseMss(string? text, ref BindConfig options)
    {
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var mss) || mss == 0 || Math.Abs(mss) > 65535)
        {
            return "'mss' : expects an MSS with and absolute value between 1 and 65535";
        }

        options = options with { Mss = mss };
        return null;
    }

    private static string? ParseUnixMode(string? text, ref BindConfig options)
    {
        if (text is null || text.Length == 0 || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _) || text.Any(c => c > '7'))
        {
            return $"invalid mode '{text}', expects an octal value.";
        }

        options = options with { UnixMode = Convert.ToInt32(text, 8) };
        return null;
    }

    private static string? ParseProto(string? text, ref BindConfig options)
    {
        var mux = MuxProtocols.Find(text!);
        if (mux is null)
        {
            return $"unknown MUX protocol '{text}'";
        }

        if (!mux.Available)
        {
            return $"MUX protocol '{text}' is not supported yet";
        }

        options = options with { Proto = text };
        return null;
    }
}
