using System.Net;
using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Config.Parsing;

namespace Sluice.Config.Sections;

/// <summary>
/// `source ADDR[:PORT[-PORT]] [usesrc ADDR[:PORT]|client|clientip] [interface NAME]`, shared by the `source`
/// keyword of backends and defaults and the `source` option of server lines (HAProxy's messages).
/// </summary>
internal static class SourceKeywordParser
{
    /// <summary>
    /// Reads the address at argument <paramref name="index"/> and the `usesrc` and `interface` words after it,
    /// leaving <paramref name="index"/> on the last word read. A word that is neither stops the reading: on a
    /// server line it is the next server option.
    /// </summary>
    public static string? Parse(KeywordContext ctx, ref int index, out SourceConfig? source)
    {
        source = null;
        var text = ctx.Argument(index);
        if (text is null)
        {
            return "'source' expects <addr>[:<port>] as argument.";
        }

        var error = AddressParser.ParseSource(text, out var parsed);
        if (error is not null)
        {
            return $"'source' : {error}";
        }

        while (ctx.Argument(index + 1) is "usesrc" or "interface")
        {
            var option = ctx.Argument(index + 1)!;
            var value = ctx.Argument(index + 2);
            if (option == "interface")
            {
                if (string.IsNullOrEmpty(value))
                {
                    return "'interface' : missing interface name.";
                }

                parsed = parsed! with { Interface = value };
            }
            else
            {
                error = ParseUseSource(value, ref parsed!);
                if (error is not null)
                {
                    return error;
                }
            }

            index += 2;
        }

        source = parsed;
        return null;
    }

    private static string? ParseUseSource(string? value, ref SourceConfig source)
    {
        switch (value)
        {
            case null or "":
                return "'usesrc' expects <addr>[:<port>], 'client', or 'clientip' as argument.";
            case "client":
                source = source with { UseSource = UseSource.Client };
                return null;
            case "clientip":
                source = source with { UseSource = UseSource.ClientIp };
                return null;
        }

        if (value.StartsWith("hdr_ip(", StringComparison.Ordinal))
        {
            return "'usesrc hdr_ip(...)' is not supported yet.";
        }

        var error = AddressParser.ParseSource(value, out var address);
        if (error is not null)
        {
            return $"'usesrc {value}' : {error}";
        }

        source = source with { UseSource = UseSource.Address, UseSourceAddress = new IPEndPoint(address!.Address, address.FirstPort) };
        return null;
    }
}
