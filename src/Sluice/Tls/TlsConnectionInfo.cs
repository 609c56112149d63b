using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sluice.Tls;

/// <summary>
/// What a TLS handshake established for one connection, kept by the session for rules and logs, with the
/// values formatted as HAProxy's `ssl_fc_*` and `ssl_c_*` fetches return them. Built once per connection,
/// after the handshake; the formatted strings are made only when asked for.
/// </summary>
internal sealed class TlsConnectionInfo
{
    public TlsConnectionInfo(string? serverName, SslApplicationProtocol alpn, SslProtocols protocol, TlsCipherSuite cipherSuite, X509Certificate2? clientCertificate, int verifyResult)
    {
        ServerName = serverName;
        Alpn = alpn;
        Protocol = protocol;
        CipherSuite = cipherSuite;
        ClientCertificate = clientCertificate;
        VerifyResult = verifyResult;
    }

    /// <summary>`ssl_fc_sni`: the name the client asked for, null when it sent none.</summary>
    public string? ServerName { get; }

    /// <summary>The negotiated application protocol; default when none was.</summary>
    public SslApplicationProtocol Alpn { get; }

    public SslProtocols Protocol { get; }

    public TlsCipherSuite CipherSuite { get; }

    /// <summary>`ssl_c_used`: the client presented a certificate.</summary>
    public X509Certificate2? ClientCertificate { get; }

    /// <summary>
    /// `ssl_c_verify`: OpenSSL's X509_V_ERR code of the client certificate's verification, 0 when it passed or
    /// none was presented (HAProxy's values: 10 expired, 20 unknown issuer, 23 revoked...).
    /// </summary>
    public int VerifyResult { get; }

    /// <summary>The certificate the handshake picked by SNI (null for connections made by Sluice to servers).</summary>
    public CertificateEntry? Entry { get; init; }

    /// <summary>`ssl_c_err`: the first verification error of the client certificate itself (0: none), kept when `crt-ignore-err` let it pass.</summary>
    public int LeafVerifyError { get; init; }

    /// <summary>`ssl_c_ca_err`: the first verification error above the client certificate (0: none), kept when `ca-ignore-err` let it pass.</summary>
    public int CaVerifyError { get; init; }

    /// <summary>`ssl_fc_is_resumed`: the handshake resumed a session (ticket or session cache).</summary>
    public bool IsResumed { get; init; }

    /// <summary>The certificates of the bind line that accepted the connection.</summary>
    public CertificateStore? Store { get; init; }

    /// <summary>
    /// RFC 9110 §7.4 and §15.5.20: true when a request's authority (`Host`, `:authority`) names a certificate
    /// of this bind line other than the one the handshake picked, and that one is another certificate or holds
    /// clients to another client-certificate policy: the connection was not made for that origin, and a client
    /// reusing it (RFC 9113 §9.1.1 coalescing) must be told to open a new one (421). Without SNI only a policy
    /// difference counts: such a client asked for no name, and HAProxy serves it the default certificate. An
    /// authority that matches no certificate, or an IP literal, is left to the rules. Allocates nothing.
    /// </summary>
    public bool IsMisdirected(ReadOnlySpan<byte> authority)
    {
        if (Entry is not { } picked || Store is not { } store || authority.IsEmpty || authority[0] == (byte)'[')
        {
            return false;
        }

        var colon = authority.LastIndexOf((byte)':');
        var host = colon >= 0 ? authority[..colon] : authority;
        const int MaxDnsName = 255;
        if (host.IsEmpty || host.Length > MaxDnsName)
        {
            return false;
        }

        Span<char> name = stackalloc char[host.Length];
        for (var i = 0; i < host.Length; i++)
        {
            name[i] = (char)host[i];
        }

        if (store.Match(name) is not { } named || ReferenceEquals(named.Slot, picked.Slot))
        {
            return false;
        }

        var otherPolicy = !string.Equals(named.Policy.ResumptionScope, picked.Policy.ResumptionScope, StringComparison.Ordinal);
        var otherCertificate = !named.Certificate.RawData.Span.SequenceEqual(picked.Certificate.RawData.Span);
        return otherPolicy || (ServerName is not null && otherCertificate);
    }

    /// <summary>True when the negotiated protocol is HTTP/2 (`h2`), which selects the HTTP/2 mux.</summary>
    public bool IsH2 => Alpn == SslApplicationProtocol.Http2;

    /// <summary>`ssl_fc_alpn`: the negotiated protocol's name, empty when none.</summary>
    public string AlpnText => Alpn.Protocol.IsEmpty ? string.Empty : Encoding.ASCII.GetString(Alpn.Protocol.Span);

    /// <summary>`ssl_fc_protocol`: "TLSv1.3", "TLSv1.2"...</summary>
    public string ProtocolText => ProtocolName(Protocol);

    /// <summary>`ssl_fc_cipher`: OpenSSL's name of the suite.</summary>
    public string CipherText => TlsCipherNames.OpenSslName(CipherSuite);

    public bool ClientCertificateUsed => ClientCertificate is not null;

    /// <summary>`ssl_c_s_dn`, `ssl_c_s_dn(entry[,occurrence])`; null without a client certificate or without that entry.</summary>
    public string? ClientSubject(string? entry = null, int occurrence = 1, bool rfc2253 = false) =>
        ClientCertificate is { } c ? DistinguishedNames.Render(c.SubjectName, entry, occurrence, rfc2253) : null;

    /// <summary>`ssl_c_i_dn`, `ssl_c_i_dn(entry[,occurrence])`.</summary>
    public string? ClientIssuer(string? entry = null, int occurrence = 1, bool rfc2253 = false) =>
        ClientCertificate is { } c ? DistinguishedNames.Render(c.IssuerName, entry, occurrence, rfc2253) : null;

    /// <summary>`ssl_c_notbefore`: "YYMMDDhhmmssZ" as the certificate's ASN.1 time.</summary>
    public string? ClientNotBefore => ClientCertificate is { } c ? Asn1Time(c.NotBefore) : null;

    /// <summary>`ssl_c_notafter`.</summary>
    public string? ClientNotAfter => ClientCertificate is { } c ? Asn1Time(c.NotAfter) : null;

    /// <summary>`ssl_c_serial`: the serial number's bytes, most significant first (rendered as upper-case hex).</summary>
    public byte[]? ClientSerial => ClientCertificate?.SerialNumberBytes.ToArray();

    /// <summary>`ssl_c_sha1`: the SHA-1 of the certificate's DER form.</summary>
    public byte[]? ClientSha1 => ClientCertificate?.GetCertHash();

    public static string ProtocolName(SslProtocols protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        (SslProtocols)0x300 => "TLSv1.1",
        (SslProtocols)0xC0 => "TLSv1",
        _ => protocol.ToString(),
    };

    /// <summary>
    /// The certificate's time as OpenSSL prints an ASN.1 UTCTime (YYMMDDhhmmssZ), or GeneralizedTime from 2050
    /// (RFC 5280 §4.1.2.5).
    /// </summary>
    public static string Asn1Time(DateTime local)
    {
        var utc = local.ToUniversalTime();
        return utc.Year >= 2050
            ? utc.ToString("yyyyMMddHHmmss'Z'", CultureInfo.InvariantCulture)
            : utc.ToString("yyMMddHHmmss'Z'", CultureInfo.InvariantCulture);
    }
}
