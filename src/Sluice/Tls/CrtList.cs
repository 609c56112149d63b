using Sluice.Config.Model;

namespace Sluice.Tls;

/// <summary>
/// The client-certificate and ALPN options a `crt-list` line sets for its certificate (`[verify required
/// ca-file ca.pem alpn h2]`), on top of the bind line's. Null members keep the bind line's value.
/// </summary>
internal sealed record CrtListLineOptions(TlsVerify? Verify, string? CaFile, string? CrlFile, IReadOnlyList<string>? Alpn)
{
    /// <summary>The bind line's settings with this line's options applied.</summary>
    public TlsSettings Apply(TlsSettings bind) => bind with
    {
        Verify = Verify ?? bind.Verify,
        CaFile = CaFile ?? bind.CaFile,
        CrlFile = CrlFile ?? bind.CrlFile,
        Alpn = Alpn ?? bind.Alpn,
    };
}

/// <summary>A certificate a bind line loaded, with the names and options its crt-list line gave (none for `crt`).</summary>
internal sealed record LoadedEntry(LoadedCertificate Certificate, IReadOnlyList<string>? Filters, IReadOnlySet<string> Excluded, CrtListLineOptions? Options);

/// <summary>
/// Reads a `crt-list` file: one certificate per line, `FILE [ssl options] [[!]name ...]`. The names after the
/// file replace the certificate's own for SNI; a `!name` excludes that name from the certificate. Blank lines and
/// `#` comments are skipped. Of the per-line ssl options, `verify`, `ca-file`, `crl-file` and `alpn` are read;
/// the others are not supported yet.
/// </summary>
internal static class CrtList
{
    public static bool Load(string path, List<LoadedEntry> loaded, Action<string> lineAlert, Action<string> notSupported)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            lineAlert($"'crt-list' : cannot open file '{path}' : {PemCertificateFile.Describe(ex)}");
            return false;
        }

        var ok = true;
        for (var number = 0; number < lines.Length; number++)
        {
            var line = lines[number].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var file = words[0];
            var next = 1;
            CrtListLineOptions? options = null;
            if (next < words.Length && words[next].StartsWith('['))
            {
                var written = new List<string>();
                for (; next < words.Length; next++)
                {
                    var word = words[next].Trim('[', ']');
                    if (word.Length > 0)
                    {
                        written.Add(word);
                    }

                    if (words[next].EndsWith(']'))
                    {
                        next++;
                        break;
                    }
                }

                var where = $"{path}:{number + 1}";
                if (written.Count > 0 && !TryParseOptions(written, where, out options, lineAlert, notSupported))
                {
                    ok = false;
                    continue;
                }
            }

            List<string>? filters = null;
            HashSet<string>? excluded = null;
            for (; next < words.Length; next++)
            {
                var word = words[next].ToLowerInvariant();
                if (word[0] == '!')
                {
                    (excluded ??= new HashSet<string>(StringComparer.Ordinal)).Add(word[1..]);
                }
                else
                {
                    (filters ??= []).Add(word);
                }
            }

            // Exclusions alone keep the certificate's own names.
            ok &= TlsTerminator.LoadFile(file, filters, loaded, message => lineAlert("'crt-list' : " + message), excluded, options);
        }

        return ok;
    }

    private static bool TryParseOptions(List<string> words, string where, out CrtListLineOptions? options, Action<string> lineAlert, Action<string> notSupported)
    {
        options = null;
        TlsVerify? verify = null;
        string? caFile = null;
        string? crlFile = null;
        IReadOnlyList<string>? alpn = null;
        for (var i = 0; i < words.Count; i++)
        {
            var keyword = words[i];
            var argument = i + 1 < words.Count ? words[i + 1] : null;
            switch (keyword)
            {
                case "verify" or "ca-file" or "crl-file" or "alpn" when argument is null:
                    lineAlert($"'crt-list' : '{keyword}' : missing argument at {where}");
                    return false;
                case "verify":
                    verify = argument switch
                    {
                        "none" => TlsVerify.None,
                        "optional" => TlsVerify.Optional,
                        "required" => TlsVerify.Required,
                        _ => null,
                    };
                    if (verify is null)
                    {
                        lineAlert($"'crt-list' : 'verify' : unknown verify method '{argument}', only 'none', 'optional', and 'required' are supported at {where}");
                        return false;
                    }

                    break;
                case "ca-file":
                    caFile = argument;
                    break;
                case "crl-file":
                    crlFile = argument;
                    break;
                case "alpn":
                    alpn = argument!.Split(',');
                    break;
                default:
                    notSupported($"'crt-list' : ssl option '{keyword}' on a line (at {where})");
                    return false;
            }

            i++;
        }

        options = new CrtListLineOptions(verify, caFile, crlFile, alpn);
        return true;
    }
}
