using System.Globalization;
using System.Text;
using Sluice.Rules.Acls;
using Sluice.Rules.Samples;

namespace Sluice.RuntimeApi;

/// <summary>
/// The map and ACL commands of the runtime API (`show|get|add|set|del|clear|prepare|commit map|acl`), with HAProxy
/// 2.6's answers. A map or ACL is named by its file or by `#ID` (the id `show map`/`show acl` list); `@VER` names
/// a version prepared for an atomic replacement. Changes go to memory only, as in HAProxy: a reload reads the files
/// again. HAProxy 2.6 asks no level for any of them, so neither does Sluice.
/// </summary>
internal static class PatternCommands
{
    public static void Show(CliRequest request, StringBuilder output, bool map)
    {
        var references = request.Hub.Patterns;
        var next = 2;
        var version = ReadVersion(request, ref next);

        lock (references.Lock)
        {
            if (request.Arg(next) is not { } name)
            {
                output.Append("# id (file) description\n");
                foreach (var reference in references.All.Where(r => map ? r.IsMap : r.IsAcl).OrderBy(r => r.Id))
                {
                    output.Append(CultureInfo.InvariantCulture, $"{reference.Id} ({reference.File}) {reference.Description}. curr_ver={reference.CurrentVersion} next_ver={reference.NextVersion} entry_cnt={reference.EntryCount}\n");
                }

                return;
            }

            if (Find(references, name, map, output) is not { } found)
            {
                return;
            }

            foreach (var entry in found.OfVersion(version ?? found.CurrentVersion))
            {
                output.Append(entry.HandleText).Append(' ').Append(entry.Key);
                if (map)
                {
                    output.Append(' ').Append(entry.Value);
                }

                output.Append('\n');
            }
        }
    }

    /// <summary>`get map|acl NAME VALUE`: what each of its matching methods finds for the value.</summary>
    public static void Get(CliRequest request, StringBuilder output, bool map)
    {
        if (request.Arg(2) is not { } name || request.Arg(3) is not { } value)
        {
            output.Append(map ? "Missing map identifier and/or key.\n" : "Missing ACL identifier and/or key.\n");
            return;
        }

        var references = request.Hub.Patterns;
        lock (references.Lock)
        {
            if (Find(references, name, map, output) is not { } reference)
            {
                return;
            }

            var current = reference.Current.ToList();
            using var context = new SampleContext(256);
            foreach (var (method, ignoreCase, kind) in reference.Expressions)
            {
                var patterns = new PatternSet(method, ignoreCase) { LongestMatch = map && method == MatchMethod.Beg };
                foreach (var candidate in current)
                {
                    patterns.Add(candidate.Key);
                }

                var sample = Sample.FromString(Encoding.Latin1.GetBytes(value));
                var index = patterns.Match(context, sample);
                output.Append(CultureInfo.InvariantCulture, $"type={MethodName(method)}, case={(ignoreCase ? "insensitive" : "sensitive")}, {(map ? "found" : "match")}=");
                if (index < 0 || method is MatchMethod.Found or MatchMethod.Bool)
                {
                    output.Append("no\n");
                    continue;
                }

                var entry = current[index];
                output.Append(CultureInfo.InvariantCulture, $"yes, idx={(IsTreeIndexed(method) ? "tree" : "list")}, ");
                output.Append(map
                    ? $"key=\"{entry.Key}\", value=\"{entry.Value}\", type=\"{TypeName(kind)}\"\n"
                    : $"pattern=\"{entry.Key}\"\n");
            }
        }
    }

    /// <summary>`add map [@VER] NAME KEY VALUE` (or a payload of `KEY VALUE` lines), `add acl [@VER] NAME PATTERN`.</summary>
    public static void Add(CliRequest request, StringBuilder output, bool map)
    {
        var next = 2;
        var version = ReadVersion(request, ref next);

        var name = request.Arg(next);
        var lines = new List<(string Key, string? Value)>();
        if (map && request.Payload is { } payload && request.Arg(next + 1) is null)
        {
            foreach (var line in payload.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var split = line.IndexOfAny([' ', '\t']);
                lines.Add(split < 0 ? (line, string.Empty) : (line[..split], line[split..].Trim()));
            }
        }
        else if (map ? request.Arg(next + 2) is { } value && request.Arg(next + 3) is null : request.Arg(next + 1) is not null && request.Arg(next + 2) is null)
        {
            lines.Add((request.Arg(next + 1)!, map ? request.Arg(next + 2) : null));
        }

        if (name is null || lines.Count == 0)
        {
            output.Append(map
                ? "'add map' expects three parameters (map identifier, key and value) or one parameter (map identifier) and a payload\n"
                : "'add acl' expects two parameters: ACL identifier and pattern.\n");
            return;
        }

        var references = request.Hub.Patterns;
        lock (references.Lock)
        {
            if (Find(references, name, map, output) is not { } reference)
            {
                return;
            }

            var target = version ?? reference.CurrentVersion;
            if (target - reference.NextVersion > 0)
            {
                output.Append(map
                    ? "Version number in the future, please use 'prepare map' before.\n"
                    : "Version number in the future, please use 'prepare acl' before.\n");
                return;
            }

            foreach (var (key, value) in lines)
            {
                if (reference.Check(key, value) is { } problem)
                {
                    output.Append(problem).Append(".\n");
                    return;
                }
            }

            foreach (var (key, value) in lines)
            {
                reference.Add(key, value, target);
            }
        }
    }

    /// <summary>`set map NAME KEY|#REF VALUE`: every entry of the current version with that key takes the value.</summary>
    public static void Set(CliRequest request, StringBuilder output)
    {
        if (request.Arg(2) is not { } name || request.Arg(3) is not { } key || request.Arg(4) is not { } value)
        {
            output.Append("'set map' expects three parameters: map identifier, key and value.\n");
            return;
        }

        var references = request.Hub.Patterns;
        lock (references.Lock)
        {
            if (Find(references, name, map: true, output) is not { } reference)
            {
                return;
            }

            var entries = reference.Find(key);
            if (entries.Count == 0)
            {
                output.Append("entry not found.\n");
                return;
            }

            if (reference.Check(entries[0].Key, value) is { } problem)
            {
                output.Append(problem).Append(".\n");
                return;
            }

            reference.SetValues(entries, value);
        }
    }

    /// <summary>`del map|acl NAME KEY|#REF`: the entries of the current version with that key go.</summary>
    public static void Delete(CliRequest request, StringBuilder output, bool map)
    {
        if (request.Arg(2) is not { } name || request.Arg(3) is not { } key)
        {
            output.Append(map
                ? "This command expects two parameters: map identifier and key.\n"
                : "This command expects two parameters: ACL identifier and key.\n");
            return;
        }

        var references = request.Hub.Patterns;
        lock (references.Lock)
        {
            if (Find(references, name, map, output) is not { } reference)
            {
                return;
            }

            var entries = reference.Find(key);
            if (entries.Count == 0)
            {
                output.Append("Key not found.\n");
                return;
            }

            reference.Remove(entries);
        }
    }

    /// <summary>`clear map|acl [@VER] NAME`: the entries of that version (the current one by default) go.</summary>
    public static void Clear(CliRequest request, StringBuilder output, bool map)
    {
        var next = 2;
        var version = ReadVersion(request, ref next);

        if (request.Arg(next) is not { } name)
        {
            output.Append(map ? "Missing map identifier.\n" : "Missing ACL identifier.\n");
            return;
        }

        var references = request.Hub.Patterns;
        lock (references.Lock)
        {
            if (Find(references, name, map, output) is { } reference)
            {
                reference.Clear(version ?? reference.CurrentVersion);
            }
        }
    }

    /// <summary>`prepare map|acl NAME`: a new empty version to fill with `add @VER`.</summary>
    public static void Prepare(CliRequest request, StringBuilder output, bool map)
    {
        var references = request.Hub.Patterns;
        lock (references.Lock)
        {
            if (Find(references, request.Arg(2) ?? string.Empty, map, output) is { } reference)
            {
                output.Append(CultureInfo.InvariantCulture, $"New version created: {reference.Prepare()}\n");
            }
        }
    }

    /// <summary>`commit map|acl @VER NAME`: that version becomes the one matched, the older ones go.</summary>
    public static void Commit(CliRequest request, StringBuilder output, bool map)
    {
        var next = 2;
        var version = ReadVersion(request, ref next);
        if (version is null)
        {
            output.Append("Missing version number.\n");
            return;
        }

        if (request.Arg(next) is not { } name)
        {
            output.Append(map ? "Missing map identifier.\n" : "Missing ACL identifier.\n");
            return;
        }

        var references = request.Hub.Patterns;
        lock (references.Lock)
        {
            if (Find(references, name, map, output) is not { } reference)
            {
                return;
            }

            // Only a version prepared since the current one can become current.
            if (version.Value == reference.CurrentVersion || !reference.IsOpenVersion(version.Value))
            {
                output.Append("Version number out of range.\n");
                return;
            }

            reference.Commit(version.Value);
        }
    }

    private static PatternReference? Find(PatternReferences references, string name, bool map, StringBuilder output)
    {
        if (references.Find(name, map) is { } reference)
        {
            return reference;
        }

        output.Append(map ? "Unknown map identifier. Please use #<id> or <file>.\n" : "Unknown ACL identifier. Please use #<id> or <file>.\n");
        return null;
    }

    /// <summary>
    /// `@VER` at <paramref name="next"/>, if there; <paramref name="next"/> moves past it. As HAProxy reads it, the
    /// digits that start VER are the number (`@x` is version 0).
    /// </summary>
    private static int? ReadVersion(CliRequest request, ref int next)
    {
        if (request.Arg(next) is not { } word || !word.StartsWith('@'))
        {
            return null;
        }

        next++;
        var digits = word.AsSpan(1);
        var length = 0;
        while (length < digits.Length && char.IsAsciiDigit(digits[length]))
        {
            length++;
        }

        return length == 0 ? 0 : (int)Math.Min(int.MaxValue, ulong.Parse(digits[..length], NumberStyles.None, CultureInfo.InvariantCulture));
    }

    private static bool IsTreeIndexed(MatchMethod method) => method is MatchMethod.Str or MatchMethod.Beg or MatchMethod.Ip;

    private static string MethodName(MatchMethod method) => method switch
    {
        MatchMethod.Found => "found",
        MatchMethod.Bool => "bool",
        MatchMethod.Int => "int",
        MatchMethod.Ip => "ip",
        MatchMethod.Bin => "bin",
        MatchMethod.Len => "len",
        MatchMethod.Str => "str",
        MatchMethod.Sub => "sub",
        MatchMethod.Reg => "reg",
        MatchMethod.Beg => "beg",
        MatchMethod.End => "end",
        MatchMethod.Dir => "dir",
        MatchMethod.Dom => "dom",
        _ => "meth",
    };

    private static string TypeName(SampleType type) => type switch
    {
        SampleType.Int => "int",
        SampleType.Address => "ip",
        _ => "str",
    };
}
