using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sluice.Tls;

/// <summary>
/// A certificate's key and signature algorithms named as HAProxy names them in the PROXY v2 SSL TLV
/// (`proxy-v2-options cert-key,cert-sig`): the key as OpenSSL's type and size ("RSA2048", "EC256"), the signature
/// by OpenSSL's short name of its OID ("RSA-SHA256", "ecdsa-with-SHA256").
/// </summary>
internal static class CertificateAlgorithms
{
    private static readonly Dictionary<string, string> SignatureShortNames = new(StringComparer.Ordinal)
    {
        ["1.2.840.113549.1.1.4"] = "RSA-MD5",
        ["1.2.840.113549.1.1.5"] = "RSA-SHA1",
        ["1.2.840.113549.1.1.10"] = "RSASSA-PSS",
        ["1.2.840.113549.1.1.11"] = "RSA-SHA256",
        ["1.2.840.113549.1.1.12"] = "RSA-SHA384",
        ["1.2.840.113549.1.1.13"] = "RSA-SHA512",
        ["1.2.840.113549.1.1.14"] = "RSA-SHA224",
        ["1.2.840.10040.4.3"] = "DSA-SHA1",
        ["2.16.840.1.101.3.4.3.2"] = "dsa_with_SHA256",
        ["1.2.840.10045.4.1"] = "ecdsa-with-SHA1",
        ["1.2.840.10045.4.3.1"] = "ecdsa-with-SHA224",
        ["1.2.840.10045.4.3.2"] = "ecdsa-with-SHA256",
        ["1.2.840.10045.4.3.3"] = "ecdsa-with-SHA384",
        ["1.2.840.10045.4.3.4"] = "ecdsa-with-SHA512",
        ["1.3.101.112"] = "ED25519",
        ["1.3.101.113"] = "ED448",
    };

    /// <summary>The signature algorithm's short name; the dotted OID for one OpenSSL would not name either.</summary>
    public static string? SignatureName(X509Certificate2 certificate) =>
        certificate.SignatureAlgorithm.Value is { } oid ? SignatureShortNames.GetValueOrDefault(oid, oid) : null;

    /// <summary>"RSA" + bits, "EC" + bits or "DSA" + bits; null for other keys (HAProxy sends no TLV then).</summary>
    public static string? KeyName(X509Certificate2 certificate)
    {
        using (var rsa = certificate.GetRSAPublicKey())
        {
            if (rsa is not null)
            {
                return FormattableString.Invariant($"RSA{rsa.KeySize}");
            }
        }

        using (var ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                return FormattableString.Invariant($"EC{ec.KeySize}");
            }
        }

        using var dsa = certificate.GetDSAPublicKey();
        return dsa is null ? null : FormattableString.Invariant($"DSA{dsa.KeySize}");
    }
}
