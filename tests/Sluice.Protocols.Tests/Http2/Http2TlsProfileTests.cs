using System.Net.Security;
using System.Security.Authentication;
using Sluice.Protocols.Http2;

namespace Sluice.Protocols.Tests.Http2;

/// <summary>RFC 9113 §9.2 and Appendix A: which TLS versions and TLS 1.2 suites HTTP/2 refuses.</summary>
public sealed class Http2TlsProfileTests
{
    [Theory]
    [InlineData(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256)]
    [InlineData(TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256)]
    [InlineData(TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_CCM)]
    [InlineData(TlsCipherSuite.TLS_DHE_PSK_WITH_AES_128_GCM_SHA256)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256)]
    public void Tls12_EphemeralAead_Adequate(TlsCipherSuite suite) =>
        Assert.False(Http2TlsProfile.IsInadequate(SslProtocols.Tls12, suite));

    [Theory]
    [InlineData(TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256)]
    [InlineData(TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384)]
    [InlineData(TlsCipherSuite.TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_RSA_WITH_RC4_128_SHA)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_NULL_SHA)]
    [InlineData(TlsCipherSuite.TLS_PSK_WITH_AES_128_GCM_SHA256)]
    [InlineData(TlsCipherSuite.TLS_DH_RSA_WITH_AES_128_GCM_SHA256)]
    [InlineData(TlsCipherSuite.TLS_RSA_WITH_AES_128_CCM)]
    public void Tls12_AppendixASuites_Inadequate(TlsCipherSuite suite) =>
        Assert.True(Http2TlsProfile.IsInadequate(SslProtocols.Tls12, suite));

    [Fact]
    public void Versions_BelowTls12Inadequate_Tls13Adequate()
    {
        Assert.False(Http2TlsProfile.IsInadequate(SslProtocols.Tls13, TlsCipherSuite.TLS_AES_128_GCM_SHA256));
        // TLS 1.1, written as its number: the name is obsolete.
        Assert.True(Http2TlsProfile.IsInadequate((SslProtocols)0x300, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256));
    }
}
