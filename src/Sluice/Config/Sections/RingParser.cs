using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Logging;

namespace Sluice.Config.Sections;

/// <summary>The lines of a `ring` section, with HAProxy's messages.</summary>
internal static class RingParser
{
    public static RingConfig Parse(KeywordContext ctx, RingConfig ring)
    {
        var keyword = ctx.Words[0];
        switch (keyword)
        {
            case "description":
                if (ctx.ArgumentCount < 1)
                {
                    ctx.Alert("missing ring description text.");
                    return ring;
                }

                return ring with { Description = string.Join(' ', ctx.Words.Skip(1)) };
            case "size" or "maxlen":
                if (ctx.Argument(0) is not { } text || ValueParsers.ParseSize(text, out var size) is not null || size <= 0 || size > int.MaxValue)
                {
                    ctx.Alert($"invalid size '{ctx.Argument(0)}' for new sink buffer.");
                    return ring;
                }

                if (keyword == "maxlen")
                {
                    return ring with { MaxLength = (int)size };
                }

                if (size < ring.Size)
                {
                    ctx.Warning($"ignoring new size '{size}' that is smaller than current size '{ring.Size}' for ring '{ring.Name}'.");
                    return ring;
                }

                return ring with { Size = (int)size };
            case "format":
                if (LogTarget.ParseFormat(ctx.Argument(0) ?? string.Empty) is not { } format)
                {
                    ctx.Alert($"unknown format '{ctx.Argument(0)}'.");
                    return ring;
                }

                return ring with { Format = format };
            case "timeout":
                return ParseTimeout(ctx, ring);
            case "server":
                return ParseServer(ctx, ring);
            case "backing-file":
                ctx.Alert("'backing-file' is not supported yet.");
                return ring;
            default:
                ctx.Alert($"unknown statement '{keyword}'.");
                return ring;
        }
    }

    private static RingConfig ParseTimeout(KeywordContext ctx, RingConfig ring)
    {
        var which = ctx.Argument(0);
        if (which is not ("connect" or "server") || ctx.Argument(1) is not { } text || ValueParsers.ParseTime(text, out var timeout) is not null)
        {
            ctx.Alert($"unable to set timeout '{which}'.");
            return ring;
        }

        return which == "connect" ? ring with { ConnectTimeout = timeout } : ring with { ServerTimeout = timeout };
    }

    /// <summary>`server NAME ADDR [log-proto legacy|octet-count]`: the only server setting a ring's forwarding uses.</summary>
    private static RingConfig ParseServer(KeywordContext ctx, RingConfig ring)
    {
        var name = ctx.Argument(0);
        var addressText = ctx.Argument(1);
        if (name is null || addressText is null)
        {
            ctx.Alert($"unable to create server '{name}'.");
            return ring;
        }

        var prefix = $"'server {ring.Name}/{name}'";
        if (Parsing.AddressParser.ParseServer(addressText, out var address) is { } addressError)
        {
            ctx.Alert($"{prefix} : {addressError}");
            return ring;
        }

        if (address is not InetServerAddress { Fqdn: null, PortIsOffset: false, Port: > 0 } inet)
        {
            ctx.Alert($"{prefix} : a ring forwards to a TCP address with a port; '{addressText}' is not supported yet.");
            return ring;
        }

        var octetCount = false;
        for (var i = 2; i < ctx.ArgumentCount; i++)
        {
            var option = ctx.Argument(i)!;
            if (option != "log-proto")
            {
                ctx.Alert($"{prefix} : '{option}' in a ring section is not supported yet.");
                return ring;
            }

            var proto = ctx.Argument(++i);
            if (proto is not ("legacy" or "octet-count"))
            {
                ctx.Alert($"{prefix} : 'log-proto' expects one of 'legacy' or 'octet-count' but got '{proto}'.");
                return ring;
            }

            octetCount = proto == "octet-count";
        }

        var server = new RingServerConfig(name, new System.Net.IPEndPoint(inet.Address, inet.Port), octetCount);
        return ring with { Servers = [.. ring.Servers, server] };
    }
}
