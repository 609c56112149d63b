namespace Sluice.Tls;

/// <summary>
/// Reads a `crt-list` file: one certificate per line, `FILE [ssl options] [[!]name ...]`. The names after the
/// file replace the certificate's own for SNI; a `!name` excludes that name from the certificate. Blank lines and
/// `#` comments are skipped. Per-line ssl options (`[alpn h2 verify required]`) are not supported yet.
/// </summary>
internal static class CrtList
{
    public static bool Load(
        string path,
        List<(LoadedCertificate, IReadOnlyList<string>?, IReadOnlySet<string>)> loaded,
        Action<string> lineAlert,
        Action<string> notSupported)
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
            if (next < words.Length && words[next].StartsWith('['))
            {
                var options = new List<string>();
                for (; next < words.Length; next++)
                {
                    options.Add(words[next].Trim('[', ']'));
                    if (words[next].EndsWith(']'))
                    {
                        next++;
                        break;
                    }
                }

                if (options.Exists(o => o.Length > 0))
                {
                    notSupported($"'crt-list' : ssl options on a line ('{string.Join(' ', options).Trim()}' at {path}:{number + 1})");
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
            ok &= TlsTerminator.LoadFile(file, filters, loaded, message => lineAlert("'crt-list' : " + message), excluded);
        }

        return ok;
    }
}
