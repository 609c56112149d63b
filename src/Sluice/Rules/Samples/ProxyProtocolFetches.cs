using System.Globalization;
using Sluice.Protocols.ProxyProtocol;

namespace Sluice.Rules.Samples;

/// <summary>
/// `fc_rcvd_proxy`, `fc_pp_authority`, `fc_pp_unique_id`, `fc_pp_tlv(ID)`: what the PROXY header the client
/// connection began with carried. Values are the header's own bytes: nothing is copied.
/// </summary>
internal static class ProxyProtocolFetches
{
    /// <summary>The TLV names `fc_pp_tlv` takes besides a number (HAProxy's PP2_TYPE_* and PP2_SUBTYPE_SSL_* without prefix).</summary>
    private static readonly Dictionary<string, byte> TlvNames = new(StringComparer.Ordinal)
    {
        ["ALPN"] = ProxyTlvType.Alpn,
        ["AUTHORITY"] = ProxyTlvType.Authority,
        ["CRC32C"] = ProxyTlvType.Crc32c,
        ["NOOP"] = ProxyTlvType.Noop,
        ["UNIQUE_ID"] = ProxyTlvType.UniqueId,
        ["SSL"] = ProxyTlvType.Ssl,
        ["SSL_VERSION"] = ProxyTlvType.SslVersion,
        ["SSL_CN"] = ProxyTlvType.SslCommonName,
        ["SSL_CIPHER"] = ProxyTlvType.SslCipher,
        ["SSL_SIG_ALG"] = ProxyTlvType.SslSignatureAlgorithm,
        ["SSL_KEY_ALG"] = ProxyTlvType.SslKeyAlgorithm,
        ["NETNS"] = ProxyTlvType.NetworkNamespace,
    };

    public static void Register(Dictionary<string, FetchDefinition> table)
    {
        var received = new FunctionFetch(SampleType.Bool, ctx => Sample.FromBool(ctx.Proxy is not null));
        table["fc_rcvd_proxy"] = new FetchDefinition("fc_rcvd_proxy", SampleSources.Connection, 0, _ => received);
        var authority = Tlv(ProxyTlvType.Authority);
        table["fc_pp_authority"] = new FetchDefinition("fc_pp_authority", SampleSources.Connection, 0, _ => authority);
        var uniqueId = Tlv(ProxyTlvType.UniqueId);
        table["fc_pp_unique_id"] = new FetchDefinition("fc_pp_unique_id", SampleSources.Connection, 0, _ => uniqueId);
        table["fc_pp_tlv"] = new FetchDefinition("fc_pp_tlv", SampleSources.Connection, 1, a =>
        {
            var name = a.RequiredString(0);
            if (TlvNames.TryGetValue(name, out var type)
                || (byte.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out type))
                || (name.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && byte.TryParse(name.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out type)))
            {
                return Tlv(type);
            }

            a.Fail($"failed to parse '{name}' as a TLV type: expected a number from 0 to 255 or one of {string.Join(", ", TlvNames.Keys)}");
            return null;
        });
    }

    private static FunctionFetch Tlv(byte type) => new(SampleType.Str, ctx =>
        ctx.Proxy?.Find(type) is { } value ? Sample.FromString(value) : default);
}
