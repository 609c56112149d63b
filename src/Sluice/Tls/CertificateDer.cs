using System.Formats.Asn1;

namespace Sluice.Tls;

/// <summary>
/// What start-up needs from a certificate and its private key, read from their DER without building .NET's
/// X509Certificate2 or key objects (about 1 to 3 ms each, the cost of loading thousands of certificates): the
/// names a certificate answers for, and whether a private key holds the certificate's public key. Runs at load only.
/// </summary>
internal static class CertificateDer
{
    private const string CommonNameOid = "2.5.4.3";
    private const string SubjectAltNameOid = "2.5.29.17";
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";

    private static readonly Asn1Tag ExtensionsTag = new(TagClass.ContextSpecific, 3, isConstructed: true);
    private static readonly Asn1Tag VersionTag = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag DnsNameTag = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag EcPublicKeyTag = new(TagClass.ContextSpecific, 1, isConstructed: true);

    /// <summary>
    /// Reads a certificate (RFC 5280 §4.1): its subject CNs and DNS subject alternative names, lower-case and
    /// without repeats, and its SubjectPublicKeyInfo's algorithm and key bits. False when the DER is not a certificate.
    /// </summary>
    public static bool TryRead(ReadOnlyMemory<byte> der, out List<string> names, out string keyAlgorithm, out ReadOnlyMemory<byte> publicKey)
    {
        names = [];
        keyAlgorithm = string.Empty;
        publicKey = default;
        try
        {
            var certificate = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var tbs = certificate.ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(VersionTag))
            {
                tbs.ReadEncodedValue();
            }

            tbs.ReadEncodedValue(); // serialNumber
            tbs.ReadEncodedValue(); // signature
            tbs.ReadEncodedValue(); // issuer
            tbs.ReadEncodedValue(); // validity
            ReadCommonNames(tbs.ReadSequence(), names);
            var spki = tbs.ReadSequence();
            keyAlgorithm = spki.ReadSequence().ReadObjectIdentifier();
            publicKey = spki.ReadBitString(out _);
            while (tbs.HasData)
            {
                var tag = tbs.PeekTag();
                if (!tag.HasSameClassAndValue(ExtensionsTag))
                {
                    tbs.ReadEncodedValue();
                    continue;
                }

                ReadDnsNames(tbs.ReadSequence(ExtensionsTag).ReadSequence(), names);
            }

            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>
    /// True when the private key (PEM label and DER: `EC PRIVATE KEY` RFC 5915, `RSA PRIVATE KEY` RFC 8017,
    /// `PRIVATE KEY` RFC 5958) carries the public key <paramref name="publicKey"/> of algorithm
    /// <paramref name="keyAlgorithm"/>, which is OpenSSL's X509_check_private_key, HAProxy's test. Null when the
    /// DER does not say (an EC key without its public point, an encrypted key): the caller imports the key to know.
    /// </summary>
    public static bool? KeyMatches(string label, ReadOnlyMemory<byte> key, string keyAlgorithm, ReadOnlyMemory<byte> publicKey)
    {
        try
        {
            switch (label)
            {
                case "EC PRIVATE KEY":
                    return keyAlgorithm == EcPublicKeyOid ? EcKeyMatches(key, publicKey) : false;
                case "RSA PRIVATE KEY":
                    return keyAlgorithm == RsaEncryptionOid ? RsaKeyMatches(key, publicKey) : false;
                case "PRIVATE KEY":
                    var info = new AsnReader(key, AsnEncodingRules.BER).ReadSequence();
                    info.ReadInteger();
                    var algorithm = info.ReadSequence().ReadObjectIdentifier();
                    if (algorithm != keyAlgorithm)
                    {
                        return false;
                    }

                    var inner = info.ReadOctetString();
                    return algorithm switch
                    {
                        EcPublicKeyOid => EcKeyMatches(inner, publicKey),
                        RsaEncryptionOid => RsaKeyMatches(inner, publicKey),
                        _ => null,
                    };
                default:
                    return null;
            }
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    /// <summary>RFC 5915 ECPrivateKey: version 1, the private scalar, then optionally the curve and the public point.</summary>
    private static bool? EcKeyMatches(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> publicKey)
    {
        var sequence = new AsnReader(key, AsnEncodingRules.BER).ReadSequence();
        sequence.ReadInteger();
        if (sequence.ReadOctetString().Length == 0)
        {
            return false;
        }

        while (sequence.HasData)
        {
            if (sequence.PeekTag().HasSameClassAndValue(EcPublicKeyTag))
            {
                var point = sequence.ReadSequence(EcPublicKeyTag).ReadBitString(out _);
                // SEC 1 §2.3.3: uncompressed points (0x04, X, Y) compare as bytes; a point written another way
                // (compressed) does not tell, and the caller imports the key to decide.
                return point is [0x04, ..] && publicKey.Span is [0x04, ..] ? point.AsSpan().SequenceEqual(publicKey.Span) : null;
            }

            sequence.ReadEncodedValue();
        }

        return null;
    }

    /// <summary>RFC 8017 RSAPrivateKey against the certificate's RSAPublicKey: the same modulus and exponent.</summary>
    private static bool RsaKeyMatches(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> publicKey)
    {
        var priv = new AsnReader(key, AsnEncodingRules.BER).ReadSequence();
        priv.ReadInteger();
        var modulus = priv.ReadIntegerBytes();
        var exponent = priv.ReadIntegerBytes();
        var pub = new AsnReader(publicKey, AsnEncodingRules.DER).ReadSequence();
        return pub.ReadIntegerBytes().Span.SequenceEqual(modulus.Span) && pub.ReadIntegerBytes().Span.SequenceEqual(exponent.Span);
    }

    private static void ReadCommonNames(AsnReader subject, List<string> names)
    {
        while (subject.HasData)
        {
            var rdn = subject.ReadSetOf();
            var attribute = rdn.ReadSequence();
            if (rdn.HasData)
            {
                // A multi-valued RDN names no host.
                continue;
            }

            if (attribute.ReadObjectIdentifier() == CommonNameOid && ReadDirectoryString(attribute) is { Length: > 0 } cn)
            {
                AddName(names, cn);
            }
        }
    }

    private static string? ReadDirectoryString(AsnReader attribute)
    {
        var tag = attribute.PeekTag();
        if (tag.TagClass != TagClass.Universal)
        {
            return null;
        }

        return (UniversalTagNumber)tag.TagValue switch
        {
            UniversalTagNumber.UTF8String or UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String
                or UniversalTagNumber.T61String or UniversalTagNumber.BMPString or UniversalTagNumber.UniversalString
                => attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue),
            _ => null,
        };
    }

    private static void ReadDnsNames(AsnReader extensions, List<string> names)
    {
        while (extensions.HasData)
        {
            var extension = extensions.ReadSequence();
            if (extension.ReadObjectIdentifier() != SubjectAltNameOid)
            {
                continue;
            }

            if (extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
            {
                extension.ReadBoolean();
            }

            var generalNames = new AsnReader(extension.ReadOctetString(), AsnEncodingRules.DER).ReadSequence();
            while (generalNames.HasData)
            {
                if (generalNames.PeekTag().HasSameClassAndValue(DnsNameTag))
                {
                    AddName(names, generalNames.ReadCharacterString(UniversalTagNumber.IA5String, DnsNameTag));
                }
                else
                {
                    generalNames.ReadEncodedValue();
                }
            }
        }
    }

    private static void AddName(List<string> names, string name)
    {
        var lower = name.ToLowerInvariant();
        if (!names.Contains(lower))
        {
            names.Add(lower);
        }
    }

    /// <summary>The PEM label of a key block as text, for <see cref="KeyMatches"/>.</summary>
    public static string LabelText(ReadOnlySpan<char> label) => label.SequenceEqual("EC PRIVATE KEY") ? "EC PRIVATE KEY"
        : label.SequenceEqual("RSA PRIVATE KEY") ? "RSA PRIVATE KEY"
        : label.SequenceEqual("PRIVATE KEY") ? "PRIVATE KEY"
        : new string(label);
}
