using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// Certificates made for one test in a temporary directory: a CA, server and client certificates signed by it
/// (ECDSA P-256 unless RSA is asked for), intermediate CAs signed by it, written as HAProxy reads them (PEM:
/// certificate, chain, key), and CRLs.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private long _serial = 1000;

    public TestCertificates(string caName = "Sluice Test CA")
    {
        Directory = Ports.TempDirectory();
        Ca = CreateCa(caName);
        CaFile = Path.Combine(Directory, "ca.crt");
        File.WriteAllText(CaFile, Ca.ExportCertificatePem() + "\n");
    }

    public string Directory { get; }

    public X509Certificate2 Ca { get; }

    /// <summary>The CA certificate alone, as `ca-file` takes it.</summary>
    public string CaFile { get; }

    public static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=Sluice, C=FR", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
    }

    /// <summary>An intermediate CA signed by <see cref="Ca"/>, with its key so that it can issue, valid from <paramref name="notBefore"/> to <paramref name="notAfter"/> (by default, as long as the root).</summary>
    public X509Certificate2 Intermediate(string name, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, O=Sluice, C=FR", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var caKey = Ca.GetECDsaPrivateKey()!;
        using var certificate = request.Create(Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore ?? Ca.NotBefore, notAfter ?? Ca.NotAfter, NextSerial());
        return certificate.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// A server certificate for <paramref name="cn"/> and the DNS names given (or the CN), written to <paramref name="file"/>
    /// with its key; an <paramref name="issuer"/> other than the root is written after the certificate, as its chain.
    /// </summary>
    public string Server(string file, string cn, string[]? dnsNames = null, bool rsa = false, bool keyApart = false, X509Certificate2? issuer = null)
    {
        var (certificate, key) = Issue($"CN={cn}", dnsNames ?? [cn], clientAuth: false, rsa, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), issuer ?? Ca);
        var path = Path.Combine(Directory, file);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var chain = issuer is null || issuer.SubjectName.RawData.AsSpan().SequenceEqual(issuer.IssuerName.RawData) ? "" : issuer.ExportCertificatePem() + "\n";
        if (keyApart)
        {
            File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + chain);
            File.WriteAllText(path + ".key", key);
        }
        else
        {
            File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + chain + key);
        }

        return path;
    }

    /// <summary>A client certificate with the subject given (e.g. `CN=client, O=Acme, C=FR`); returns the certificate and key files.</summary>
    public (string Certificate, string Key, X509Certificate2 Issued) Client(string name, string subject, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, X509Certificate2? issuer = null)
    {
        var (certificate, key) = Issue(subject, [], clientAuth: true, rsa: false, notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(30), issuer ?? Ca);
        var certificatePath = Path.Combine(Directory, name + ".crt");
        var keyPath = Path.Combine(Directory, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem() + "\n");
        File.WriteAllText(keyPath, key);
        return (certificatePath, keyPath, certificate);
    }

    /// <summary>A CRL of <see cref="Ca"/> revoking the given certificates.</summary>
    public string Crl(string file, params X509Certificate2[] revoked)
    {
        var builder = new CertificateRevocationListBuilder();
        foreach (var certificate in revoked)
        {
            builder.AddEntry(certificate, DateTimeOffset.UtcNow.AddMinutes(-5));
        }

        var der = builder.Build(Ca, BigInteger.One, DateTimeOffset.UtcNow.AddDays(7), HashAlgorithmName.SHA256);
        var path = Path.Combine(Directory, file);
        File.WriteAllText(path, PemEncoding.WriteString("X509 CRL", der) + "\n");
        return path;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private (X509Certificate2 Certificate, string KeyPem) Issue(string subject, string[] dnsNames, bool clientAuth, bool rsa, DateTimeOffset notBefore, DateTimeOffset notAfter, X509Certificate2 issuer)
    {
        using var ecdsa = rsa ? null : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsaKey = rsa ? RSA.Create(2048) : null;
        var request = rsa
            ? new CertificateRequest(subject, rsaKey!, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, ecdsa!, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(clientAuth ? "1.3.6.1.5.5.7.3.2" : "1.3.6.1.5.5.7.3.1")], false));
        if (dnsNames.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
            {
                san.AddDnsName(name);
            }

            request.CertificateExtensions.Add(san.Build());
        }

        var serial = NextSerial();
        // The CA's key is ECDSA: an RSA request is signed through a generator for the CA's key.
        using var issuerKey = issuer.GetECDsaPrivateKey()!;
        using var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter, serial);
        var keyPem = rsa ? rsaKey!.ExportPkcs8PrivateKeyPem() : ecdsa!.ExportECPrivateKeyPem();
        return (X509CertificateLoader.LoadCertificate(certificate.RawData), keyPem + "\n");
    }

    private byte[] NextSerial()
    {
        var serial = BitConverter.GetBytes(Interlocked.Increment(ref _serial));
        Array.Reverse(serial);
        return serial;
    }
}
