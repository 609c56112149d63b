using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sluice.Tls;

/// <summary>
/// The revoked certificates of a `crl-file` (PEM or DER CRLs, RFC 5280 §5), by issuer and serial number. Each CRL
/// must be signed by a CA of the `ca-file`; SslStream takes no CRL of its own on Linux, so the lists are read here.
/// </summary>
internal sealed class RevocationList
{
    private readonly HashSet<string> _revoked = new(StringComparer.Ordinal);

    private RevocationList()
    {
    }

    public int Count => _revoked.Count;

    public bool IsRevoked(X509Certificate2 certificate) =>
        _revoked.Contains(Key(certificate.IssuerName.RawData, certificate.SerialNumberBytes.Span));

    /// <summary>Reads a CRL file; null with a reason when a list cannot be read or is not signed by one of <paramref name="authorities"/>.</summary>
    public static RevocationList? Load(string path, X509Certificate2Collection authorities, out string? error)
    {
        error = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = PemCertificateFile.Describe(ex);
            return null;
        }

        var lists = new List<byte[]>();
        var text = System.Text.Encoding.ASCII.GetString(bytes).AsSpan();
        while (PemEncoding.TryFind(text, out var fields))
        {
            if (text[fields.Label].SequenceEqual("X509 CRL"))
            {
                lists.Add(Convert.FromBase64String(text[fields.Base64Data].ToString()));
            }

            text = text[fields.Location.End.Value..];
        }

        if (lists.Count == 0)
        {
            lists.Add(bytes);
        }

        var result = new RevocationList();
        foreach (var der in lists)
        {
            try
            {
                if (!result.Add(der, authorities))
                {
                    error = "CRL not signed by a CA of the ca-file";
                    return null;
                }
            }
            catch (Exception ex) when (ex is AsnContentException or CryptographicException)
            {
                error = "invalid CRL";
                return null;
            }
        }

        return result;
    }

    private bool Add(byte[] der, X509Certificate2Collection authorities)
    {
        var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        var tbsBytes = outer.ReadEncodedValue();
        var algorithm = outer.ReadSequence().ReadObjectIdentifier();
        var signature = outer.ReadBitString(out _);

        var tbs = new AsnReader(tbsBytes, AsnEncodingRules.DER).ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
        {
            tbs.ReadInteger();
        }

        tbs.ReadSequence();
        var issuer = tbs.ReadEncodedValue().ToArray();
        tbs.ReadEncodedValue();
        if (tbs.HasData && (tbs.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime) || tbs.PeekTag().HasSameClassAndValue(Asn1Tag.GeneralizedTime)))
        {
            tbs.ReadEncodedValue();
        }

        var serials = new List<string>();
        if (tbs.HasData && tbs.PeekTag().HasSameClassAndValue(Asn1Tag.Sequence))
        {
            var entries = tbs.ReadSequence();
            while (entries.HasData)
            {
                var entry = entries.ReadSequence();
                serials.Add(Key(issuer, entry.ReadIntegerBytes().Span));
            }
        }

        foreach (var authority in authorities)
        {
            if (authority.SubjectName.RawData.AsSpan().SequenceEqual(issuer) && SignatureValid(authority, algorithm, tbsBytes.Span, signature))
            {
                _revoked.UnionWith(serials);
                return true;
            }
        }

        return false;
    }

    private static bool SignatureValid(X509Certificate2 authority, string algorithm, ReadOnlySpan<byte> data, byte[] signature)
    {
        var hash = algorithm switch
        {
            "1.2.840.113549.1.1.5" or "1.2.840.10045.4.1" => HashAlgorithmName.SHA1,
            "1.2.840.113549.1.1.12" or "1.2.840.10045.4.3.3" => HashAlgorithmName.SHA384,
            "1.2.840.113549.1.1.13" or "1.2.840.10045.4.3.4" => HashAlgorithmName.SHA512,
            _ => HashAlgorithmName.SHA256,
        };
        using var rsa = authority.GetRSAPublicKey();
        if (rsa is not null)
        {
            return rsa.VerifyData(data, signature, hash, RSASignaturePadding.Pkcs1);
        }

        using var ecdsa = authority.GetECDsaPublicKey();
        return ecdsa is not null && ecdsa.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    private static string Key(ReadOnlySpan<byte> issuer, ReadOnlySpan<byte> serial)
    {
        // DER integers may carry a leading zero that the certificate's serial bytes do not.
        while (serial.Length > 1 && serial[0] == 0)
        {
            serial = serial[1..];
        }

        return Convert.ToHexString(issuer) + ":" + Convert.ToHexString(serial);
    }
}
