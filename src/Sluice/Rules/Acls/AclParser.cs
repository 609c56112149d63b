using Sluice.Rules.Samples;

namespace Sluice.Rules.Acls;

/// <summary>
/// Reads the words of an ACL after its name: `FETCH[,CONVERTER...] [-i] [-f FILE] [-m METHOD] [-n] [-u] [--]
/// [OPERATOR] VALUE...`, and the ACL keywords that imply a method (`hdr_beg` is `hdr -m beg`).
/// </summary>
internal static class AclParser
{
    /// <summary>ACL keywords that are a fetch with a matching method (configuration.txt §7.3, "ACL derivatives").</summary>
    private static readonly Dictionary<string, (string Fetch, MatchMethod Method)> Derived = BuildDerived();

    /// <summary>Parses one ACL; <paramref name="warnings"/> receives HAProxy's warnings. Returns null with an error.</summary>
    public static AclEntry? Parse(IReadOnlyList<string> words, int start, int end, List<string> warnings, out string? error)
    {
        error = null;
        if (start >= end || words[start].Length == 0)
        {
            error = "missing fetch method in ACL expression ''";
            return null;
        }

        var criterion = words[start];
        var nameEnd = 0;
        while (nameEnd < criterion.Length && (char.IsAsciiLetterOrDigit(criterion[nameEnd]) || criterion[nameEnd] is '_' or '.' or '-'))
        {
            nameEnd++;
        }

        var keyword = criterion[..nameEnd];
        MatchMethod? method = null;
        var expressionText = criterion;
        if (Derived.TryGetValue(keyword, out var derived))
        {
            method = derived.Method;
            expressionText = derived.Fetch + criterion[nameEnd..];
        }
        else if (SampleFetchTable.Find(keyword) is null)
        {
            error = HAProxySampleKeywords.Fetches.Contains(keyword) || HAProxySampleKeywords.AclKeywords.Contains(keyword)
                ? $"fetch method '{keyword}' is not supported yet"
                : $"unknown fetch method '{keyword}' in ACL expression '{criterion}'";
            return null;
        }

        var expression = SampleExpressionParser.Parse(expressionText, forAcl: true, out var expressionError);
        if (expression is null)
        {
            error = $"ACL keyword '{keyword}' : {StripFetchPrefix(expressionError!)}";
            return null;
        }

        var ignoreCase = false;
        int? uniqueId = null;
        var files = new List<string>();
        var i = start + 1;
        for (; i < end; i++)
        {
            var word = words[i];
            if (word.Length < 2 || word[0] != '-')
            {
                break;
            }

            if (word == "--")
            {
                i++;
                break;
            }

            switch (word)
            {
                case "-i":
                    ignoreCase = true;
                    break;
                case "-n":
                    break;
                case "-u":
                    if (i + 1 >= end || !int.TryParse(words[i + 1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
                    {
                        error = "the argument of -u must be an integer";
                        return null;
                    }

                    uniqueId = id;
                    i++;
                    break;
                case "-f" or "-M" when i + 1 < end:
                    files.Add(words[++i]);
                    break;
                case "-m":
                    var name = i + 1 < end ? words[++i] : string.Empty;
                    if (ParseMethod(name) is not { } parsed)
                    {
                        error = $"unknown matching method '{name}' when parsing ACL expression";
                        return null;
                    }

                    method = parsed;
                    break;
                default:
                    if (word is "-f" or "-M")
                    {
                        error = $"missing argument after '{word}' when parsing ACL expression";
                        return null;
                    }

                    error = $"'{word}' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'";
                    return null;
            }
        }

        // A bare `method` fetch matches as HAProxy's method enum does, unless `-m` says otherwise.
        method ??= keyword == "method" && !expression.HasConverters ? MatchMethod.Meth : null;
        var matchMethod = method ?? DefaultMethod(expression.OutputType);
        string? op = null;
        if (matchMethod is MatchMethod.Int or MatchMethod.Len && i < end && words[i] is "eq" or "ge" or "gt" or "le" or "lt")
        {
            op = words[i++];
        }

        // Each file is a pattern reference of its own, read once per load; the patterns on the line are another.
        var references = PatternReferences.Loading;
        var location = references.Location;
        var sources = new List<(PatternReference Reference, string? File)>();
        foreach (var file in files)
        {
            var fileReference = references.FindFile(file, isMap: false);
            if (fileReference is null)
            {
                var lines = MapFile.ReadPatterns(file, out var fileError);
                if (lines is null)
                {
                    error = fileError;
                    return null;
                }

                fileReference = references.Create(file, isMap: false, inlineDescription: null);
                foreach (var line in lines)
                {
                    fileReference.Append(line, null);
                }
            }

            sources.Add((fileReference, file));
        }

        var inline = references.Create(null, isMap: false, $"acl '{keyword}' {location}", uniqueId);
        sources.Add((inline, null));
        foreach (var (reference, _) in sources)
        {
            reference.AddUse("acl", location, matchMethod, ignoreCase, SampleType.None);
        }

        List<string> fixedPatterns = [];
        if (expression.Fetch is AuthFetch { ReturnsUser: true } auth)
        {
            // `http_auth_group(L) G1 G2`: the groups' members are the patterns the user name is matched against.
            var groups = new List<string>();
            for (; i < end; i++)
            {
                if (!auth.List.HasGroup(words[i]))
                {
                    error = $"group '{words[i]}' not found in userlist '{auth.List.Name}'";
                    return null;
                }

                groups.Add(words[i]);
            }

            fixedPatterns.AddRange(auth.List.MembersOf(groups));
        }

        for (; i < end; i++)
        {
            inline.Append(words[i], null);
        }

        // As HAProxy, only a criterion with nothing after it is suspicious: any flag or `--` says it is meant.
        if (end == start + 1 && matchMethod is not (MatchMethod.Found or MatchMethod.Bool))
        {
            warnings.Add($"parsing acl keyword '{criterion}' :\n"
                + "  no pattern to match against were provided, so this ACL will never match.\n"
                + "  If this is what you intended, please add '--' to get rid of this warning.\n"
                + "  If you intended to match only for existence, please use '-m found'.\n"
                + "  If you wanted to force an int to match as a bool, please use '-m bool'.\n");
        }

        return AclEntry.Create(expression, keyword, matchMethod, ignoreCase, op, sources, fixedPatterns, out error);
    }

    public static MatchMethod? ParseMethod(string name) => name switch
    {
        "found" => MatchMethod.Found,
        "bool" => MatchMethod.Bool,
        "int" => MatchMethod.Int,
        "ip" => MatchMethod.Ip,
        "bin" => MatchMethod.Bin,
        "len" => MatchMethod.Len,
        "str" => MatchMethod.Str,
        "sub" => MatchMethod.Sub,
        "reg" => MatchMethod.Reg,
        "beg" => MatchMethod.Beg,
        "end" => MatchMethod.End,
        "dir" => MatchMethod.Dir,
        "dom" => MatchMethod.Dom,
        _ => null,
    };

    /// <summary>Without `-m`, the method follows the type the fetch returns.</summary>
    private static MatchMethod DefaultMethod(SampleType type) => type switch
    {
        SampleType.Bool => MatchMethod.Bool,
        SampleType.Int => MatchMethod.Int,
        SampleType.Address => MatchMethod.Ip,
        SampleType.Bin => MatchMethod.Bin,
        _ => MatchMethod.Str,
    };

    private static string StripFetchPrefix(string error)
    {
        var marker = error.IndexOf("' : ", StringComparison.Ordinal);
        return error.StartsWith("fetch method '", StringComparison.Ordinal) && marker > 0 ? error[(marker + 4)..] : error;
    }

    private static Dictionary<string, (string, MatchMethod)> BuildDerived()
    {
        var table = new Dictionary<string, (string, MatchMethod)>(StringComparer.Ordinal);
        var suffixes = new (string Suffix, MatchMethod Method)[]
        {
            ("beg", MatchMethod.Beg), ("end", MatchMethod.End), ("sub", MatchMethod.Sub), ("reg", MatchMethod.Reg),
            ("dir", MatchMethod.Dir), ("dom", MatchMethod.Dom), ("len", MatchMethod.Len),
        };
        foreach (var fetch in new[] { "base", "cook", "hdr", "path", "url", "urlp", "shdr", "scook", "req.cook", "res.cook", "req.hdr", "res.hdr", "req.fhdr", "res.fhdr" })
        {
            foreach (var (suffix, method) in suffixes)
            {
                table[$"{fetch}_{suffix}"] = (fetch, method);
            }
        }

        foreach (var fetch in new[] { "cook", "hdr", "urlp", "shdr", "scook", "req.cook", "res.cook", "req.hdr", "res.hdr" })
        {
            table[$"{fetch}_val"] = (fetch, MatchMethod.Int);
        }

        foreach (var fetch in new[] { "hdr", "urlp", "shdr", "req.hdr", "res.hdr" })
        {
            table[$"{fetch}_ip"] = (fetch, MatchMethod.Ip);
        }

        return table;
    }
}
