using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Sluice.Tls;

namespace Sluice.RuntimeApi;

/// <summary>
/// The runtime API's certificate commands (HAProxy's `set/commit/abort/new/show ssl cert` and
/// `add/del/show ssl crt-list`), with HAProxy 2.6's answers. A certificate is known by the path the configuration
/// loaded it from. `set ssl cert` opens a transaction (one at a time, as HAProxy) holding the new PEM;
/// `commit ssl cert` puts it in every bind line that uses that file: each store publishes a new SNI index, so
/// handshakes from then on get the new certificate while established connections keep theirs. Changes last
/// until the next reload, which reads the files again, as in HAProxy.
/// </summary>
internal static class SslCertCommands
{
    private static readonly Lock Gate = new();

    /// <summary>The open transaction: the file and its new certificate.</summary>
    private static (string Path, LoadedCertificate Certificate)? _transaction;

    /// <summary>Stores made by `new ssl cert`, with what was committed to them (null while empty).</summary>
    private static readonly Dictionary<string, LoadedCertificate?> CreatedStores = new(StringComparer.Ordinal);

    public static void SetCert(CliRequest request, StringBuilder output)
    {
        var path = request.Arg(3);
        if (path is null || request.Payload is null)
        {
            output.Append("'set ssl cert' expects a filename and a certificate as a payload\n");
            return;
        }

        lock (Gate)
        {
            if (_transaction is { } open && open.Path != path)
            {
                output.Append(CultureInfo.InvariantCulture, $"The ongoing transaction is about '{open.Path}' but you are trying to set '{path}'\nCan't update {path}!\n");
                return;
            }

            if (!IsKnown(request, path))
            {
                output.Append(CultureInfo.InvariantCulture, $"Can't replace a certificate which is not referenced by the configuration!\nCan't update {path}!\n");
                return;
            }

            var certificate = PemCertificateFile.Parse(request.Payload, path, out var error);
            if (certificate is null)
            {
                output.Append(error).Append("\nCan't load the payload\nCan't update ").Append(path).Append("!\n");
                return;
            }

            output.Append(_transaction is null ? "Transaction created" : "Transaction updated").Append(" for certificate ").Append(path).Append("!\n");
            _transaction = (path, certificate);
        }
    }

    public static void CommitCert(CliRequest request, StringBuilder output)
    {
        var path = request.Arg(3);
        if (path is null)
        {
            output.Append("'commit ssl cert' expects a filename\n");
            return;
        }

        lock (Gate)
        {
            if (_transaction is not { } open)
            {
                output.Append("No ongoing transaction! !\nCan't commit ").Append(path).Append("!\n");
                return;
            }

            if (open.Path != path)
            {
                output.Append(CultureInfo.InvariantCulture, $"The ongoing transaction is about '{open.Path}' but you are trying to set '{path}'\nCan't commit {path}!\n");
                return;
            }

            output.Append("Committing ").Append(path);
            foreach (var terminator in Terminators(request))
            {
                foreach (var entry in terminator.Store.Entries)
                {
                    if (entry.Certificate.Path == path && terminator.Store.Replace(entry, entry.WithCertificate(open.Certificate)))
                    {
                        output.Append('.');
                    }
                }
            }

            if (CreatedStores.ContainsKey(path))
            {
                CreatedStores[path] = open.Certificate;
            }

            _transaction = null;
            output.Append("\nSuccess!\n");
        }
    }

    public static void AbortCert(CliRequest request, StringBuilder output)
    {
        lock (Gate)
        {
            if (_transaction is not { } open || open.Path != request.Arg(3))
            {
                output.Append("No ongoing transaction!\n");
                return;
            }

            _transaction = null;
            output.Append("Transaction aborted for certificate '").Append(open.Path).Append("'!\n");
        }
    }

    public static void NewCert(CliRequest request, StringBuilder output)
    {
        var path = request.Arg(3);
        if (path is null)
        {
            output.Append("'new ssl cert' expects a filename\n");
            return;
        }

        lock (Gate)
        {
            if (IsKnown(request, path))
            {
                output.Append("Certificate '").Append(path).Append("' already exists!\n");
                return;
            }

            CreatedStores[path] = null;
            output.Append("New empty certificate store '").Append(path).Append("'!\n");
        }
    }

    public static void ShowCert(CliRequest request, StringBuilder output)
    {
        var path = request.Arg(3);
        lock (Gate)
        {
            if (path is null)
            {
                if (_transaction is { } open)
                {
                    output.Append("# transaction\n*").Append(open.Path).Append('\n');
                }

                output.Append("# filename\n");
                foreach (var known in KnownPaths(request))
                {
                    output.Append(known).Append('\n');
                }

                return;
            }

            LoadedCertificate? certificate;
            bool used;
            if (path.StartsWith('*'))
            {
                certificate = _transaction is { } open && open.Path == path[1..] ? open.Certificate : null;
                used = false;
            }
            else
            {
                certificate = CurrentCertificate(request, path, out used);
            }

            if (certificate is null && !(CreatedStores.ContainsKey(path) && !path.StartsWith('*')))
            {
                output.Append("Can't display the certificate: Not found or the certificate is a bundle!\n");
                return;
            }

            output.Append("Filename: ").Append(path).Append('\n');
            output.Append("Status: ").Append(used ? "Used" : "Unused").Append('\n');
            if (certificate is not null)
            {
                Describe(certificate, output);
            }
        }
    }

    public static void AddCrtList(CliRequest request, StringBuilder output)
    {
        var list = request.Arg(3);
        var text = request.Payload is { } payload
            ? payload.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && l[0] != '#')
            : request.Arg(4);
        if (list is null || text is null)
        {
            output.Append("'add ssl crt-list' expects a filename and a certificate name\n");
            return;
        }

        lock (Gate)
        {
            var users = ListUsers(request, list);
            if (users.Count == 0)
            {
                output.Append("Can't edit the crt-list: crt-list '").Append(list).Append("' does not exist!\n");
                return;
            }

            var errors = new StringBuilder();
            var number = 1 + users.SelectMany(t => t.Store.Entries).Where(e => e.Line?.ListPath == list).Select(e => e.Line!.Number).DefaultIfEmpty(0).Max();
            var line = CrtList.ParseLine(list, number, text, users[0].Settings, m => errors.Append(m).Append('\n'), m => errors.Append(m).Append(" is not supported yet.\n"));
            if (line is null)
            {
                output.Append("Can't edit the crt-list: ").Append(errors);
                return;
            }

            var certificate = CurrentCertificate(request, line.File, out _);
            if (certificate is null)
            {
                output.Append("Can't edit the crt-list: certificate '").Append(line.File).Append("' does not exist!\n");
                return;
            }

            var entries = new List<(TlsTerminator Terminator, CertificateEntry Entry)>();
            foreach (var terminator in users)
            {
                if (terminator.CreateEntry(new LoadedEntry(certificate, line), m => errors.Append(m).Append('\n'), m => errors.Append(m).Append('\n')) is not { } entry)
                {
                    output.Append("Can't edit the crt-list: ").Append(errors);
                    return;
                }

                entries.Add((terminator, entry));
            }

            output.Append("Inserting certificate '").Append(line.File).Append("' in crt-list '").Append(list).Append('\'');
            foreach (var (terminator, entry) in entries)
            {
                terminator.Store.Add(entry);
                output.Append('.');
            }

            output.Append("\nSuccess!\n");
        }
    }

    public static void DelCrtList(CliRequest request, StringBuilder output)
    {
        var list = request.Arg(3);
        var target = request.Arg(4);
        if (list is null || target is null)
        {
            output.Append("'del ssl crt-list' expects a filename and a certificate name\n");
            return;
        }

        var file = target;
        var number = 0;
        var colon = target.LastIndexOf(':');
        if (colon > 0 && int.TryParse(target.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            file = target[..colon];
            number = parsed;
        }

        lock (Gate)
        {
            var found = new List<(TlsTerminator Terminator, CertificateEntry Entry)>();
            foreach (var terminator in ListUsers(request, list))
            {
                foreach (var entry in terminator.Store.Entries)
                {
                    if (entry.Line is { } line && line.ListPath == list && entry.Certificate.Path == file && (number == 0 || line.Number == number))
                    {
                        found.Add((terminator, entry));
                        break;
                    }
                }
            }

            if (found.Count == 0)
            {
                output.Append("Can't delete the entry: certificate '").Append(file).Append("' can't be found in crt-list '").Append(list).Append("'!\n");
                return;
            }

            foreach (var (terminator, entry) in found)
            {
                if (ReferenceEquals(terminator.Store.Default, entry))
                {
                    output.Append("Can't delete the entry: certificate '").Append(file).Append("' is the default certificate of a bind line!\n");
                    return;
                }
            }

            foreach (var (terminator, entry) in found)
            {
                terminator.Store.Remove(entry);
            }

            output.Append("Entry '").Append(file).Append("' deleted in crtlist '").Append(list).Append("'!\n");
        }
    }

    public static void ShowCrtList(CliRequest request, StringBuilder output)
    {
        var withNumbers = request.Arg(3) == "-n";
        var list = request.Arg(withNumbers ? 4 : 3);
        lock (Gate)
        {
            if (list is null)
            {
                foreach (var path in Terminators(request).SelectMany(t => t.Settings.Certificates).Where(c => c.IsList).Select(c => c.Path).Distinct(StringComparer.Ordinal))
                {
                    output.Append(path).Append('\n');
                }

                return;
            }

            var users = ListUsers(request, list);
            if (users.Count == 0)
            {
                output.Append("didn't find the specified filename\n");
                return;
            }

            output.Append("# ").Append(list).Append('\n');
            foreach (var entry in users[0].Store.Entries.Where(e => e.Line?.ListPath == list).OrderBy(e => e.Line!.Number))
            {
                var line = entry.Line!;
                output.Append(entry.Certificate.Path);
                if (withNumbers)
                {
                    output.Append(':').Append(line.Number.ToString(CultureInfo.InvariantCulture));
                }

                if (line.Rest.Length > 0)
                {
                    output.Append(' ').Append(line.Rest);
                }

                output.Append('\n');
            }
        }
    }

    /// <summary>The TLS bind lines of the running configuration.</summary>
    private static IEnumerable<TlsTerminator> Terminators(CliRequest request)
    {
        foreach (var frontend in request.Hub.Frontends)
        {
            foreach (var bind in frontend.Config.Binds)
            {
                if (bind.Tls is { } tls)
                {
                    yield return tls;
                }
            }
        }
    }

    private static List<TlsTerminator> ListUsers(CliRequest request, string list) =>
        [.. Terminators(request).Where(t => t.Settings.Certificates.Any(c => c.IsList && c.Path == list))];

    private static SortedSet<string> KnownPaths(CliRequest request)
    {
        var paths = new SortedSet<string>(CreatedStores.Keys, StringComparer.Ordinal);
        foreach (var terminator in Terminators(request))
        {
            foreach (var entry in terminator.Store.Entries)
            {
                paths.Add(entry.Certificate.Path);
            }
        }

        return paths;
    }

    private static bool IsKnown(CliRequest request, string path) => KnownPaths(request).Contains(path);

    /// <summary>The certificate a file holds now: a bind line's, or what was committed to a store made at run time.</summary>
    private static LoadedCertificate? CurrentCertificate(CliRequest request, string path, out bool used)
    {
        foreach (var terminator in Terminators(request))
        {
            foreach (var entry in terminator.Store.Entries)
            {
                if (entry.Certificate.Path == path)
                {
                    used = true;
                    return entry.Certificate;
                }
            }
        }

        used = false;
        return CreatedStores.GetValueOrDefault(path);
    }

    /// <summary>`show ssl cert FILE`'s lines after the status, in OpenSSL's renderings as HAProxy prints them.</summary>
    private static void Describe(LoadedCertificate certificate, StringBuilder output)
    {
        var leaf = certificate.Leaf;
        output.Append("Serial: ").Append(Convert.ToHexString(leaf.SerialNumberBytes.Span)).Append('\n');
        output.Append("notBefore: ").Append(OpenSslTime(leaf.NotBefore)).Append('\n');
        output.Append("notAfter: ").Append(OpenSslTime(leaf.NotAfter)).Append('\n');
        var names = new List<string>();
        foreach (var extension in leaf.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames().Select(n => "DNS:" + n));
            }
        }

        if (names.Count > 0)
        {
            output.Append("Subject Alternative Name: ").Append(string.Join(", ", names)).Append('\n');
        }

        output.Append("Algorithm: ").Append(Algorithm(leaf)).Append('\n');
        output.Append("SHA1 FingerPrint: ").Append(Convert.ToHexString(leaf.GetCertHash(HashAlgorithmName.SHA1))).Append('\n');
        output.Append("Subject: ").Append(DistinguishedNames.Render(leaf.SubjectName, null, 1, false)).Append('\n');
        output.Append("Issuer: ").Append(DistinguishedNames.Render(leaf.IssuerName, null, 1, false)).Append('\n');
        foreach (var link in certificate.Chain)
        {
            output.Append("Chain Subject: ").Append(DistinguishedNames.Render(link.SubjectName, null, 1, false)).Append('\n');
            output.Append("Chain Issuer: ").Append(DistinguishedNames.Render(link.IssuerName, null, 1, false)).Append('\n');
        }

        output.Append("OCSP Response Key: \n");
    }

    /// <summary>OpenSSL's ASN1_TIME_print: `Dec  2 05:42:49 2026 GMT`.</summary>
    private static string OpenSslTime(DateTime local)
    {
        var utc = local.ToUniversalTime();
        return string.Create(CultureInfo.InvariantCulture, $"{utc.ToString("MMM", CultureInfo.InvariantCulture)} {utc.Day,2} {utc:HH:mm:ss} {utc.Year} GMT");
    }

    /// <summary>HAProxy's key description: `RSA2048`, `EC256`.</summary>
    private static string Algorithm(X509Certificate2 leaf)
    {
        using var ecdsa = leaf.GetECDsaPublicKey();
        if (ecdsa is not null)
        {
            return "EC" + ecdsa.KeySize.ToString(CultureInfo.InvariantCulture);
        }

        using var rsa = leaf.GetRSAPublicKey();
        return rsa is not null ? "RSA" + rsa.KeySize.ToString(CultureInfo.InvariantCulture) : "Unknown";
    }
}
