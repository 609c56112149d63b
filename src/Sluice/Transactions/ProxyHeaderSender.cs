using System.Net;
using System.Text;
using Sluice.Config.Model;
using Sluice.Protocols.ProxyProtocol;
using Sluice.Rules.Samples;
using Sluice.Tls;

namespace Sluice.Transactions;

/// <summary>
/// The client connection a server connection is made for, as a PROXY header describes it: its addresses (already
/// those of a PROXY header it came with), its TLS facts, the header it came with.
/// </summary>
/// <remarks><paramref name="Samples"/> renders the transaction's unique ID for `proxy-v2-options unique-id`.</remarks>
internal readonly record struct ProxyOrigin(EndPoint? Client, EndPoint? Local, TlsConnectionInfo? Tls, ProxyHeader? Received, SampleContext? Samples = null);

/// <summary>
/// Builds the PROXY header a server connection begins with (`send-proxy`, `send-proxy-v2[-ssl[-cn]]`,
/// `proxy-v2-options`), with the TLVs HAProxy sends in its order: CRC32C, ALPN, AUTHORITY, UNIQUE_ID, SSL (its
/// sub-TLVs VERSION, CN, KEY_ALG, SIG_ALG, CIPHER).
/// </summary>
internal static class ProxyHeaderSender
{
    /// <summary>The header for a connection made for <paramref name="origin"/>.</summary>
    public static byte[] Build(SendProxyConfig config, in ProxyOrigin origin)
    {
        if (!config.V2)
        {
            return ProxyHeaderWriter.WriteV1(origin.Client, origin.Local);
        }

        var tlvs = new List<ProxyTlv>(3);
        if (Alpn(origin) is { Length: > 0 } alpn)
        {
            tlvs.Add(new ProxyTlv(ProxyTlvType.Alpn, alpn));
        }

        if ((config.Options & ProxyV2Options.Authority) != 0 && Authority(origin) is { Length: > 0 } authority)
        {
            tlvs.Add(new ProxyTlv(ProxyTlvType.Authority, authority));
        }

        if ((config.Options & ProxyV2Options.UniqueId) != 0)
        {
            // HAProxy sends the TLV empty when the frontend has no `unique-id-format`.
            tlvs.Add(new ProxyTlv(ProxyTlvType.UniqueId, origin.Samples is { } samples && samples.TryGetUniqueId(out var id) ? id.Bytes.ToArray() : []));
        }

        if ((config.Options & ProxyV2Options.Ssl) != 0)
        {
            tlvs.Add(new ProxyTlv(ProxyTlvType.Ssl, SslValue(config.Options, origin.Tls)));
        }

        return ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, origin.Client, origin.Local, tlvs, (config.Options & ProxyV2Options.Crc32c) != 0);
    }

    /// <summary>
    /// The header of a health check: the check's connection is the proxy's own, so v1 says UNKNOWN and v2 is a
    /// LOCAL command without addresses, as HAProxy sends them.
    /// </summary>
    public static byte[] BuildForCheck(SendProxyConfig config) =>
        config.V2
            ? ProxyHeaderWriter.WriteV2(ProxyCommand.Local, null, null, [], (config.Options & ProxyV2Options.Crc32c) != 0)
            : ProxyHeaderWriter.WriteV1(null, null);

    /// <summary>The client's ALPN: its TLS handshake's, else (beyond HAProxy, for chains of offloaders) the one its own PROXY header carried.</summary>
    private static byte[]? Alpn(in ProxyOrigin origin) =>
        origin.Tls is { } tls ? (tls.Alpn.Protocol.IsEmpty ? null : tls.Alpn.Protocol.ToArray()) : origin.Received?.Find(ProxyTlvType.Alpn);

    /// <summary>The SNI the client sent, else the authority of the PROXY header it came with.</summary>
    private static byte[]? Authority(in ProxyOrigin origin) =>
        origin.Tls?.ServerName is { Length: > 0 } sni ? Encoding.ASCII.GetBytes(sni) : origin.Received?.Find(ProxyTlvType.Authority);

    private static byte[] SslValue(ProxyV2Options options, TlsConnectionInfo? tls)
    {
        if (tls is null)
        {
            return ProxyHeaderWriter.SslValue(ProxySslClientFlags.None, 0, []);
        }

        var client = ProxySslClientFlags.Ssl;
        uint verify = 0;
        var sub = new List<ProxyTlv>(5) { new(ProxyTlvType.SslVersion, Encoding.ASCII.GetBytes(tls.ProtocolText)) };
        if (tls.ClientCertificateUsed)
        {
            client |= ProxySslClientFlags.CertificateInSession | ProxySslClientFlags.CertificateOnConnection;
            verify = (uint)tls.VerifyResult;
        }

        if ((options & ProxyV2Options.CertCn) != 0 && tls.ClientSubject("CN") is { Length: > 0 } cn)
        {
            sub.Add(new ProxyTlv(ProxyTlvType.SslCommonName, Encoding.UTF8.GetBytes(cn)));
        }

        if ((options & ProxyV2Options.CertKey) != 0 && tls.Entry?.Certificate.KeyAlgorithmName is { Length: > 0 } key)
        {
            sub.Add(new ProxyTlv(ProxyTlvType.SslKeyAlgorithm, Encoding.ASCII.GetBytes(key)));
        }

        if ((options & ProxyV2Options.CertSig) != 0 && tls.Entry?.Certificate.SignatureAlgorithmName is { Length: > 0 } signature)
        {
            sub.Add(new ProxyTlv(ProxyTlvType.SslSignatureAlgorithm, Encoding.ASCII.GetBytes(signature)));
        }

        if ((options & ProxyV2Options.SslCipher) != 0)
        {
            sub.Add(new ProxyTlv(ProxyTlvType.SslCipher, Encoding.ASCII.GetBytes(tls.CipherText)));
        }

        return ProxyHeaderWriter.SslValue(client, verify, sub);
    }
}
