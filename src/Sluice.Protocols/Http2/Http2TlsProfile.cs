using System.Net.Security;
using System.Security.Authentication;

namespace Sluice.Protocols.Http2;

/// <summary>
/// RFC 9113 §9.2: HTTP/2 over TLS needs TLS 1.2 or later, and over TLS 1.2 none of the cipher suites of Appendix A:
/// those without an ephemeral key exchange and those whose cipher is null, a stream or a block cipher. What
/// remains is (EC)DHE, plain or with PSK, with an AEAD cipher: GCM, CCM or ChaCha20-Poly1305.
/// </summary>
public static class Http2TlsProfile
{
    /// <summary>True when a connection of <paramref name="protocol"/> and <paramref name="suite"/> is not fit for HTTP/2.</summary>
    public static bool IsInadequate(SslProtocols protocol, TlsCipherSuite suite)
    {
        if (protocol == SslProtocols.Tls13)
        {
            return false;
        }

        if (protocol != SslProtocols.Tls12)
        {
            return true;
        }

        var name = suite.ToString();
        var ephemeral = name.StartsWith("TLS_ECDHE_", StringComparison.Ordinal) || name.StartsWith("TLS_DHE_", StringComparison.Ordinal);
        var aead = name.Contains("_GCM_", StringComparison.Ordinal)
            || name.Contains("_CCM", StringComparison.Ordinal)
            || name.Contains("_CHACHA20_POLY1305_", StringComparison.Ordinal);
        return !(ephemeral && aead);
    }
}
