namespace Sluice.Config.Model;

/// <summary>`proxy-v2-options`: what a v2 header carries besides the addresses and the ALPN.</summary>
[Flags]
internal enum ProxyV2Options
{
    None = 0,
    /// <summary>`ssl`: the SSL TLV, with the TLS version when the client used TLS.</summary>
    Ssl = 1 << 0,
    /// <summary>`cert-cn`: the client certificate's CN in the SSL TLV.</summary>
    CertCn = 1 << 1,
    /// <summary>`ssl-cipher`: the cipher in the SSL TLV.</summary>
    SslCipher = 1 << 2,
    /// <summary>`authority`: the SNI the client sent (or the authority of the header it came with).</summary>
    Authority = 1 << 3,
    /// <summary>`crc32c`: a checksum of the header.</summary>
    Crc32c = 1 << 4,
    /// <summary>`cert-sig`: the signature algorithm of the certificate the client was served, in the SSL TLV.</summary>
    CertSig = 1 << 5,
    /// <summary>`cert-key`: the key algorithm and size of the certificate the client was served, in the SSL TLV.</summary>
    CertKey = 1 << 6,
    /// <summary>`unique-id`: the transaction's unique ID (`unique-id-format`; empty without one).</summary>
    UniqueId = 1 << 7,
}

/// <summary>
/// `send-proxy`, `send-proxy-v2`, `send-proxy-v2-ssl`, `send-proxy-v2-ssl-cn` and `proxy-v2-options` of a server
/// line: the PROXY header each new connection to the server begins with. v2 wins when both are set, as in HAProxy.
/// </summary>
internal readonly record struct SendProxyConfig(bool V1, bool V2, ProxyV2Options Options)
{
    public bool Enabled => V1 || V2;
}
