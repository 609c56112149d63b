using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sluice.Tls;

/// <summary>
/// A certificate with its private key and the chain that goes with it, read from PEM. Start-up keeps the DER and
/// the names read from it; the .NET objects (<see cref="Leaf"/>, <see cref="Chain"/>, and the key imported by
/// <see cref="WithPrivateKey"/>) are made at their first use, the first handshake that picks the certificate:
/// making them costs milliseconds and kilobytes per certificate, which a directory of thousands would otherwise
/// spend at start-up. The key was checked against the certificate at load (<see cref="CertificateDer.KeyMatches"/>).
/// </summary>
internal sealed class LoadedCertificate
{
    private readonly byte[] _der;
    private readonly byte[][] _chainDer;
    private readonly string? _keyLabel;
    private readonly byte[]? _keyDer;
    private X509Certificate2? _leaf;
    private X509Certificate2Collection? _chain;
    private X509Certificate2? _withKey;
    private string? _keyAlgorithmName;
    private string? _signatureAlgorithmName;

    public LoadedCertificate(byte[] der, IReadOnlyList<string> names, byte[][] chainDer, string keyLabel, byte[] keyDer, string path)
    {
        _der = der;
        Names = names;
        _chainDer = chainDer;
        _keyLabel = keyLabel;
        _keyDer = keyDer;
        Path = path;
    }

    /// <summary>A certificate made in memory, its key attached (tests and benchmarks).</summary>
    public LoadedCertificate(X509Certificate2 withKey, X509Certificate2Collection chain, string path)
    {
        _der = withKey.RawData;
        _chainDer = [];
        _leaf = withKey;
        _withKey = withKey;
        _chain = chain;
        CertificateDer.TryRead(_der, out var names, out _, out _);
        Names = names;
        Path = path;
    }

    /// <summary>The path the configuration loaded it from (how the runtime API names it).</summary>
    public string Path { get; }

    /// <summary>Lower-case names the certificate answers for: its subject CNs, then its DNS subject alternative names.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The certificate's DER.</summary>
    public ReadOnlyMemory<byte> RawData => _der;

    /// <summary>The certificate without its key, for what reads it (runtime API, resumption scope).</summary>
    public X509Certificate2 Leaf => Volatile.Read(ref _leaf) ?? Publish(ref _leaf, X509CertificateLoader.LoadCertificate(_der));

    /// <summary>The key's type and size as the PROXY v2 SSL_KEY_ALG TLV gives it ("RSA2048"); empty when unnamed.</summary>
    public string KeyAlgorithmName => _keyAlgorithmName ??= CertificateAlgorithms.KeyName(Leaf) ?? string.Empty;

    /// <summary>The signature algorithm as the PROXY v2 SSL_SIG_ALG TLV gives it ("RSA-SHA256"); empty when unnamed.</summary>
    public string SignatureAlgorithmName => _signatureAlgorithmName ??= CertificateAlgorithms.SignatureName(Leaf) ?? string.Empty;

    /// <summary>The certificates after the first in the file, sent with it.</summary>
    public X509Certificate2Collection Chain => Volatile.Read(ref _chain) ?? Publish(ref _chain, LoadChain(_chainDer));

    /// <summary>
    /// The certificate with its private key attached, imported on first use; throws <see cref="CryptographicException"/>
    /// when the key, whose public half matched at load, does not import.
    /// </summary>
    public X509Certificate2 WithPrivateKey()
    {
        if (Volatile.Read(ref _withKey) is { } ready)
        {
            return ready;
        }

        var withKey = PemCertificateFile.AttachKey(X509CertificateLoader.LoadCertificate(_der), _keyLabel!, _keyDer!)
            ?? throw new CryptographicException($"unable to load the private key of '{Path}'");
        return Publish(ref _withKey, withKey);
    }

    /// <summary>Two threads may build the same object; the first one published is kept by both.</summary>
    private static T Publish<T>(ref T? field, T value)
        where T : class => Interlocked.CompareExchange(ref field, value, null) ?? value;

    private static X509Certificate2Collection LoadChain(byte[][] ders)
    {
        var chain = new X509Certificate2Collection();
        foreach (var der in ders)
        {
            chain.Add(X509CertificateLoader.LoadCertificate(der));
        }

        return chain;
    }
}

/// <summary>
/// Reads HAProxy's certificate files: PEM with the certificate first, then its chain, and the private key
/// (RSA or ECDSA, PKCS#1, SEC1 or PKCS#8) anywhere in the file, or else in FILE.key beside it. Messages are
/// HAProxy's. Runs at load only.
/// </summary>
internal static class PemCertificateFile
{
    /// <summary>The file extensions a `crt DIR` skips: HAProxy reserves them for the files that go with a certificate.</summary>
    private static readonly string[] ReservedExtensions = [".key", ".issuer", ".ocsp", ".sctl"];

    public static bool IsReservedName(string fileName)
    {
        foreach (var extension in ReservedExtensions)
        {
            if (fileName.EndsWith(extension, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Loads a certificate file; returns null and an error message (HAProxy's words) on failure.</summary>
    public static LoadedCertificate? Load(string path, out string? error)
    {
        error = null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"unable to stat SSL certificate from file '{path}' : {Describe(ex)}.";
            return null;
        }

        return Parse(text, path, out error);
    }

    /// <summary>
    /// Reads a certificate from PEM text (a file's, or a runtime API payload) known as <paramref name="path"/>;
    /// without a key in the text, the key is read from `path.key`.
    /// </summary>
    public static LoadedCertificate? Parse(string text, string path, out string? error)
    {
        error = null;
        var certificates = new List<byte[]>();
        string? keyLabel = null;
        byte[]? keyDer = null;
        var rest = text.AsSpan();
        try
        {
            while (PemEncoding.TryFind(rest, out var fields))
            {
                var label = rest[fields.Label];
                if (label.SequenceEqual("CERTIFICATE") || label.SequenceEqual("TRUSTED CERTIFICATE"))
                {
                    certificates.Add(Decode(rest, fields));
                }
                else if (label.EndsWith("PRIVATE KEY") && keyDer is null)
                {
                    keyLabel = CertificateDer.LabelText(label);
                    keyDer = Decode(rest, fields);
                }

                rest = rest[fields.Location.End.Value..];
            }
        }
        catch (FormatException)
        {
            error = $"unable to load certificate from file '{path}'.";
            return null;
        }

        if (certificates.Count == 0 || !CertificateDer.TryRead(certificates[0], out var names, out var keyAlgorithm, out var publicKey)
            || !certificates.TrueForAll(c => CertificateDer.TryRead(c, out _, out _, out _)))
        {
            error = $"unable to load certificate from file '{path}'.";
            return null;
        }

        if (keyDer is null)
        {
            var keyPath = path + ".key";
            try
            {
                var keyText = File.ReadAllText(keyPath);
                if (PemEncoding.TryFind(keyText, out var fields) && keyText.AsSpan()[fields.Label].EndsWith("PRIVATE KEY"))
                {
                    keyLabel = CertificateDer.LabelText(keyText.AsSpan()[fields.Label]);
                    keyDer = Decode(keyText, fields);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                keyDer = null;
            }

            if (keyDer is null)
            {
                error = $"No Private Key found in '{keyPath}'.";
                return null;
            }
        }

        // The public halves are compared in the DER (microseconds); only a key that does not carry its public half
        // is imported here to be compared, as the first handshake would import it anyway.
        var matches = CertificateDer.KeyMatches(keyLabel!, keyDer, keyAlgorithm, publicKey)
            ?? AttachKey(X509CertificateLoader.LoadCertificate(certificates[0]), keyLabel!, keyDer) is not null;
        if (!matches)
        {
            error = $"inconsistencies between private key and certificate loaded '{path}'.";
            return null;
        }

        return new LoadedCertificate(certificates[0], names, [.. certificates.Skip(1)], keyLabel!, keyDer, path);
    }

    /// <summary>The bytes of a PEM block, decoded straight from the text.</summary>
    private static byte[] Decode(ReadOnlySpan<char> text, PemFields fields)
    {
        var der = new byte[fields.DecodedDataLength];
        return Convert.TryFromBase64Chars(text[fields.Base64Data], der, out var written) && written == der.Length
            ? der
            : throw new FormatException("bad base64");
    }

    /// <summary>Reads every certificate of a PEM file (a `ca-file`); null when the file cannot be read or holds none.</summary>
    public static X509Certificate2Collection? LoadAll(string path)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return null;
        }

        return collection.Count == 0 ? null : collection;
    }

    /// <summary>
    /// <paramref name="leaf"/> with the key (PEM label and DER) attached, the leaf given up; null when the key does
    /// not import or is not the certificate's.
    /// </summary>
    internal static X509Certificate2? AttachKey(X509Certificate2 leaf, string keyLabel, byte[] keyDer)
    {
        using (leaf)
        {
            try
            {
                switch (leaf.GetKeyAlgorithm())
                {
                    case "1.2.840.10045.2.1":
                    {
                        using var ecdsa = ECDsa.Create();
                        switch (keyLabel)
                        {
                            case "EC PRIVATE KEY": ecdsa.ImportECPrivateKey(keyDer, out _); break;
                            case "PRIVATE KEY": ecdsa.ImportPkcs8PrivateKey(keyDer, out _); break;
                            default: return null;
                        }

                        return leaf.CopyWithPrivateKey(ecdsa);
                    }

                    default:
                    {
                        using var rsa = RSA.Create();
                        switch (keyLabel)
                        {
                            case "RSA PRIVATE KEY": rsa.ImportRSAPrivateKey(keyDer, out _); break;
                            case "PRIVATE KEY": rsa.ImportPkcs8PrivateKey(keyDer, out _); break;
                            default: return null;
                        }

                        return leaf.CopyWithPrivateKey(rsa);
                    }
                }
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                return null;
            }
        }
    }

    /// <summary>The C library's wording for the common failures, as HAProxy prints strerror().</summary>
    internal static string Describe(Exception ex) => ex switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        _ => ex.Message,
    };
}
