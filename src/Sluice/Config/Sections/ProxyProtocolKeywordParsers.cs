using Sluice.Config.Keywords;
using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>The server options of the PROXY protocol (HAProxy's words in the messages).</summary>
internal static class ProxyProtocolKeywordParsers
{
    private static readonly Dictionary<string, ProxyV2Options> V2Options = new(StringComparer.Ordinal)
    {
        ["ssl"] = ProxyV2Options.Ssl,
        ["cert-cn"] = ProxyV2Options.CertCn,
        ["ssl-cipher"] = ProxyV2Options.SslCipher,
        ["authority"] = ProxyV2Options.Authority,
        ["crc32c"] = ProxyV2Options.Crc32c,
        ["cert-sig"] = ProxyV2Options.CertSig,
        ["cert-key"] = ProxyV2Options.CertKey,
        ["unique-id"] = ProxyV2Options.UniqueId,
    };

    /// <summary>
    /// Reads the option at <paramref name="index"/> when it is one of these; false when it is not. An argument,
    /// when taken, moves <paramref name="index"/>.
    /// </summary>
    public static bool TryParseServerOption(KeywordContext ctx, ref int index, ref SendProxyConfig config, out string? error)
    {
        error = null;
        var options = config.Options;
        switch (ctx.Argument(index))
        {
            case "send-proxy":
                config = config with { V1 = true };
                return true;
            case "no-send-proxy":
                config = config with { V1 = false };
                return true;
            case "send-proxy-v2":
                config = config with { V2 = true };
                return true;
            case "no-send-proxy-v2":
                config = config with { V2 = false };
                return true;
            case "send-proxy-v2-ssl":
                config = new SendProxyConfig(config.V1, true, options | ProxyV2Options.Ssl);
                return true;
            case "no-send-proxy-v2-ssl":
                config = config with { Options = options & ~ProxyV2Options.Ssl };
                return true;
            case "send-proxy-v2-ssl-cn":
                config = new SendProxyConfig(config.V1, true, options | ProxyV2Options.Ssl | ProxyV2Options.CertCn);
                return true;
            case "no-send-proxy-v2-ssl-cn":
                config = config with { Options = options & ~ProxyV2Options.CertCn };
                return true;
            case "proxy-v2-options":
                var list = ctx.Argument(index + 1) ?? string.Empty;
                index++;
                foreach (var name in list.Split(','))
                {
                    if (V2Options.TryGetValue(name, out var option))
                    {
                        options |= option;
                    }
                    else
                    {
                        error ??= $"'{name}' : proxy v2 option not implemented.";
                    }
                }

                config = config with { Options = options };
                return true;
            default:
                return false;
        }
    }
}
