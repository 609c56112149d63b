using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Tls;

namespace Sluice.Tests.Tls;

public sealed class CertificateDerTests
{
    private static X509Certificate2 SelfSigned(AsymmetricAlgorithm key, string subject, params string[] dnsNames)
    {
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        if (dnsNames.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                san.AddDnsName(name);
            }

            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build(critical: true));
        }

        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    [Fact]
    public void TryRead_CommonNamesThenDnsNames_LowerCaseWithoutRepeats()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = SelfSigned(key, "CN=Site.Test, O=Acme, CN=second.test", "site.test", "*.Site.test", "other.test");

        Assert.True(CertificateDer.TryRead(certificate.RawData, out var names, out var algorithm, out var publicKey));
        // The CNs in the order of the DER (.NET writes the subject's last RDN first), then the DNS names.
        Assert.Equal(["second.test", "site.test", "*.site.test", "other.test"], names);
        Assert.Equal("1.2.840.10045.2.1", algorithm);
        Assert.Equal(key.ExportSubjectPublicKeyInfo().AsSpan()[^65..].ToArray(), publicKey.ToArray());
    }

    [Fact]
    public void TryRead_NotACertificate_False()
    {
        Assert.False(CertificateDer.TryRead(new byte[] { 0x30, 0x03, 0x02, 0x01, 0x01 }, out _, out _, out _));
        Assert.False(CertificateDer.TryRead(new byte[] { 0x04, 0x00 }, out _, out _, out _));
    }

    [Fact]
    public void KeyMatches_EcKeys_OwnTrueOtherFalseWithoutPointUnknown()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = SelfSigned(key, "CN=a.test");
        CertificateDer.TryRead(certificate.RawData, out _, out var algorithm, out var publicKey);

        Assert.True(CertificateDer.KeyMatches("EC PRIVATE KEY", key.ExportECPrivateKey(), algorithm, publicKey));
        Assert.True(CertificateDer.KeyMatches("PRIVATE KEY", key.ExportPkcs8PrivateKey(), algorithm, publicKey));
        Assert.False(CertificateDer.KeyMatches("EC PRIVATE KEY", other.ExportECPrivateKey(), algorithm, publicKey));
        Assert.False(CertificateDer.KeyMatches("PRIVATE KEY", other.ExportPkcs8PrivateKey(), algorithm, publicKey));
        Assert.Null(CertificateDer.KeyMatches("EC PRIVATE KEY", WithoutPublicPoint(key.ExportECPrivateKey()), algorithm, publicKey));
        Assert.Null(CertificateDer.KeyMatches("ENCRYPTED PRIVATE KEY", new byte[] { 0x30, 0x00 }, algorithm, publicKey));
    }

    [Fact]
    public void KeyMatches_RsaKeys_OwnTrueOtherOrWrongKindFalse()
    {
        using var key = RSA.Create(2048);
        using var other = RSA.Create(2048);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = SelfSigned(key, "CN=r.test");
        CertificateDer.TryRead(certificate.RawData, out _, out var algorithm, out var publicKey);

        Assert.True(CertificateDer.KeyMatches("RSA PRIVATE KEY", key.ExportRSAPrivateKey(), algorithm, publicKey));
        Assert.True(CertificateDer.KeyMatches("PRIVATE KEY", key.ExportPkcs8PrivateKey(), algorithm, publicKey));
        Assert.False(CertificateDer.KeyMatches("RSA PRIVATE KEY", other.ExportRSAPrivateKey(), algorithm, publicKey));
        Assert.False(CertificateDer.KeyMatches("PRIVATE KEY", ec.ExportPkcs8PrivateKey(), algorithm, publicKey));
        Assert.False(CertificateDer.KeyMatches("EC PRIVATE KEY", ec.ExportECPrivateKey(), algorithm, publicKey));
    }

    /// <summary>An RFC 5915 ECPrivateKey with its optional public point left out (`openssl ec -no_public`).</summary>
    private static byte[] WithoutPublicPoint(byte[] sec1)
    {
        var sequence = new AsnReader(sec1, AsnEncodingRules.DER).ReadSequence();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(sequence.ReadInteger());
            writer.WriteOctetString(sequence.ReadOctetString());
            writer.WriteEncodedValue(sequence.ReadEncodedValue().Span);
        }

        return writer.Encode();
    }
}
