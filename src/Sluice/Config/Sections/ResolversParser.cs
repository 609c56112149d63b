using System.Globalization;
using System.Net;
using Sluice.Config.Keywords;
using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>The lines of a `resolvers` section, with HAProxy's messages.</summary>
internal static class ResolversParser
{
    public static ResolversConfig Parse(KeywordContext ctx, ResolversConfig resolvers)
    {
        var keyword = ctx.Words[0];
        switch (keyword)
        {
            case "nameserver":
                return ParseNameserver(ctx, resolvers);
            case "parse-resolv-conf":
                return ParseResolvConf(ctx, resolvers);
            case "resolve_retries":
                if (!ValueParsers.TryParseInt(ctx.Argument(0), out var retries) || retries < 1)
                {
                    ctx.Alert($"'{keyword}' expects <nb> as argument.");
                    return resolvers;
                }

                return resolvers with { ResolveRetries = retries };
            case "accepted_payload_size":
                if (!ValueParsers.TryParseInt(ctx.Argument(0), out var size) || size is < 512 or > 65535)
                {
                    ctx.Alert($"'{keyword}' expects <nb> as argument, between 512 and 65535.");
                    return resolvers;
                }

                return resolvers with { AcceptedPayloadSize = size };
            case "timeout":
                return ParseTime(ctx, resolvers, ctx.Argument(0), ctx.Argument(1), "'timeout' supports 'resolve' and 'retry' as arguments (got '{0}').",
                    (r, t, what) => what switch { "resolve" => r with { Resolve = t }, "retry" => r with { Retry = t }, _ => null });
            case "hold":
                return ParseTime(ctx, resolvers, ctx.Argument(0), ctx.Argument(1), "'hold' supports 'nx', 'other', 'refused', 'valid', 'timeout' and 'obsolete' as arguments (got '{0}').",
                    (r, t, what) => what switch
                    {
                        "nx" => r with { HoldNx = t },
                        "refused" => r with { HoldRefused = t },
                        "timeout" => r with { HoldTimeout = t },
                        "other" => r with { HoldOther = t },
                        "valid" => r with { HoldValid = t },
                        "obsolete" => r with { HoldObsolete = t },
                        _ => null,
                    });
            default:
                ctx.Alert($"unknown keyword '{keyword}' in 'resolvers' section");
                return resolvers;
        }
    }

    private static ResolversConfig ParseTime(KeywordContext ctx, ResolversConfig resolvers, string? what, string? value, string unknown, Func<ResolversConfig, TimeSpan, string, ResolversConfig?> set)
    {
        if (what is null)
        {
            ctx.Alert($"'{ctx.Words[0]}' expects 'event' and <time> as arguments.");
            return resolvers;
        }

        if (set(resolvers, TimeSpan.Zero, what) is null)
        {
            ctx.Alert(string.Format(CultureInfo.InvariantCulture, unknown, what));
            return resolvers;
        }

        if (value is null || ValueParsers.ParseTime(value, out var time) is not null)
        {
            ctx.Alert($"'{ctx.Words[0]} {what}' expects <time> as argument (got '{value}').");
            return resolvers;
        }

        return set(resolvers, time, what)!;
    }

    private static ResolversConfig ParseNameserver(KeywordContext ctx, ResolversConfig resolvers)
    {
        var name = ctx.Argument(0);
        var address = ctx.Argument(1);
        if (name is null || address is null)
        {
            ctx.Alert("'nameserver' expects <name> and <addr>[:<port>] as arguments.");
            return resolvers;
        }

        if (resolvers.Nameservers.Any(n => n.Name == name))
        {
            ctx.Alert($"nameserver '{name}' already exists in resolvers section '{resolvers.Name}'.");
            return resolvers;
        }

        var text = address;
        var tcp = false;
        var at = text.IndexOf('@', StringComparison.Ordinal);
        switch (at < 0 ? string.Empty : text[..(at + 1)])
        {
            case "":
                break;
            case "udp@" or "udp4@" or "udp6@" or "ipv4@" or "ipv6@":
                text = text[(at + 1)..];
                break;
            case "tcp@" or "tcp4@" or "tcp6@":
                tcp = true;
                text = text[(at + 1)..];
                break;
            default:
                ctx.Alert($"'nameserver {name}' : '{address}' : only UDP and TCP name servers are supported yet.");
                return resolvers;
        }

        if (Parse(text) is not { } endPoint)
        {
            ctx.Alert($"'nameserver {name}' : invalid address '{address}'.");
            return resolvers;
        }

        if (ctx.ArgumentCount > 2)
        {
            ctx.Alert($"'nameserver {name}' : '{ctx.Argument(2)}' is not supported yet.");
            return resolvers;
        }

        return resolvers with { Nameservers = [.. resolvers.Nameservers, new NameserverConfig(name, endPoint, tcp)] };
    }

    /// <summary>`IP[:PORT]` or `[IPv6][:PORT]`, port 53 by default.</summary>
    private static IPEndPoint? Parse(string text)
    {
        if (IPAddress.TryParse(text.Trim('[', ']'), out var bare))
        {
            return new IPEndPoint(bare, 53);
        }

        var colon = text.LastIndexOf(':');
        return colon > 0 && IPAddress.TryParse(text[..colon].Trim('[', ']'), out var ip)
            && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? new IPEndPoint(ip, port)
            : null;
    }

    /// <summary>`parse-resolv-conf`: the `nameserver` lines of /etc/resolv.conf, named after their place in it.</summary>
    private static ResolversConfig ParseResolvConf(KeywordContext ctx, ResolversConfig resolvers)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/etc/resolv.conf");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            ctx.Alert($"failed to open /etc/resolv.conf ({ex.Message}).");
            return resolvers;
        }

        var found = new List<NameserverConfig>();
        foreach (var line in lines)
        {
            var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words is ["nameserver", var server, ..] && IPAddress.TryParse(server, out var ip))
            {
                found.Add(new NameserverConfig($"resolv.conf.{(resolvers.Nameservers.Count + found.Count + 1).ToString(CultureInfo.InvariantCulture)}", new IPEndPoint(ip, 53)));
            }
        }

        return resolvers with { Nameservers = [.. resolvers.Nameservers, .. found] };
    }
}
