using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sluice.Tls;

/// <summary>A certificate with its private key and the chain that goes with it, read from PEM.</summary>
internal sealed record LoadedCertificate(X509Certificate2 Leaf, X509Certificate2Collection Chain, string Path);

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
        var certificates = new X509Certificate2Collection();
        string? keyPem = null;
        var rest = text.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            var whole = rest[fields.Location];
            if (label.SequenceEqual("CERTIFICATE") || label.SequenceEqual("TRUSTED CERTIFICATE"))
            {
                try
                {
                    certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(rest[fields.Base64Data].ToString())));
                }
                catch (Exception ex) when (ex is CryptographicException or FormatException)
                {
                    error = $"unable to load certificate from file '{path}'.";
                    return null;
                }
            }
            else if (label.EndsWith("PRIVATE KEY") && keyPem is null)
            {
                keyPem = whole.ToString();
            }

            rest = rest[fields.Location.End.Value..];
        }

        if (certificates.Count == 0)
        {
            error = $"unable to load certificate from file '{path}'.";
            return null;
        }

        if (keyPem is null)
        {
            var keyPath = path + ".key";
            try
            {
                keyPem = File.ReadAllText(keyPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = $"No Private Key found in '{keyPath}'.";
                return null;
            }
        }

        var leaf = certificates[0];
        var withKey = AttachKey(leaf, keyPem);
        if (withKey is null)
        {
            error = $"inconsistencies between private key and certificate loaded '{path}'.";
            return null;
        }

        var chain = new X509Certificate2Collection();
        for (var i = 1; i < certificates.Count; i++)
        {
            chain.Add(certificates[i]);
        }

        leaf.Dispose();
        return new LoadedCertificate(withKey, chain, path);
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

    private static X509Certificate2? AttachKey(X509Certificate2 leaf, string keyPem)
    {
        try
        {
            switch (leaf.GetKeyAlgorithm())
            {
                case "1.2.840.10045.2.1":
                {
                    using var ecdsa = ECDsa.Create();
                    ecdsa.ImportFromPem(keyPem);
                    return leaf.CopyWithPrivateKey(ecdsa);
                }

                default:
                {
                    using var rsa = RSA.Create();
                    rsa.ImportFromPem(keyPem);
                    return leaf.CopyWithPrivateKey(rsa);
                }
            }
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            return null;
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
