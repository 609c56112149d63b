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
        CaFile = CaFile is null ? bind.CaFile : bind.UnderCaBase(CaFile),
        CrlFile = CrlFile is null ? bind.CrlFile : bind.UnderCaBase(CrlFile),
        Alpn = Alpn ?? bind.Alpn,
    };
}

/// <summary>
/// A line of a crt-list: the list's path, the line's number, its certificate file and what follows the file as
/// written (options and names, for `show ssl crt-list`), its SNI filters (null: the certificate's own names),
/// exclusions and options.
/// </summary>
internal sealed record CrtListLine(string ListPath, int Number, string File, string Rest, IReadOnlyList<string>? Filters, IReadOnlySet<string> Excluded, CrtListLineOptions? Options);

/// <summary>A certificate a bind line loaded, with the crt-list line that named it (null for `crt`).</summary>
internal sealed record LoadedEntry(LoadedCertificate Certificate, CrtListLine? Line)
{
    public IReadOnlyList<string>? Filters => Line?.Filters;

    public IReadOnlySet<string> Excluded => Line?.Excluded ?? CrtList.NoNames;

    public CrtListLineOptions? Options => Line?.Options;
}

/// <summary>
/// Reads a `crt-list` file: one certificate per line, `FILE [ssl options] [[!]name ...]`. The names after the
/// file replace the certificate's own for SNI; a `!name` excludes that name from the certificate. Blank lines and
/// `#` comments are skipped. Of the per-line ssl options, `verify`, `ca-file`, `crl-file` and `alpn` are read;
/// the others are not supported yet.
/// </summary>
internal static class CrtList
{
    /// <summary>Loads the list at <paramref name="path"/> (taken as written); relative certificate paths in it are under <paramref name="bind"/>'s `crt-base`.</summary>
    public static bool Load(string path, TlsSettings bind, List<LoadedEntry> loaded, Action<string> lineAlert, Action<string> notSupported)
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

            var parsed = ParseLine(path, number + 1, line, bind, lineAlert, notSupported);
            if (parsed is null)
            {
                ok = false;
                continue;
            }

            ok &= TlsTerminator.LoadFile(parsed, loaded, message => lineAlert("'crt-list' : " + message));
        }

        return ok;
    }

    public static readonly IReadOnlySet<string> NoNames = new HashSet<string>();

    /// <summary>Reads one line (not blank, not a comment) of the list at <paramref name="path"/>; null when its options are wrong.</summary>
    public static CrtListLine? ParseLine(string path, int number, string line, TlsSettings bind, Action<string> lineAlert, Action<string> notSupported)
    {
        var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var file = bind.UnderCrtBase(words[0]);
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

            if (written.Count > 0 && !TryParseOptions(written, $"{path}:{number}", out options, lineAlert, notSupported))
            {
                return null;
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
        return new CrtListLine(path, number, file, string.Join(' ', words.Skip(1)), filters, excluded ?? NoNames, options);
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
