using System.Collections.Concurrent;
using System.Text;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Acls;

/// <summary>
/// A map file (`key value` per line, `#` comments) or a pattern file for `acl -f`, read once per load and
/// shared by every rule that names it with the same matching method.
/// </summary>
internal sealed class MapFile
{
    private static readonly ConcurrentDictionary<(string Path, MapMatch Match), MapFile> Loaded = new();

    private MapFile(PatternSet patterns, byte[][] values, Sample[] integers, int[] lines)
    {
        Patterns = patterns;
        Values = values;
        IntegerValues = integers;
        Lines = lines;
    }

    public PatternSet Patterns { get; }

    public byte[][] Values { get; }

    public Sample[] IntegerValues { get; }

    /// <summary>The line of the file each entry comes from, for messages.</summary>
    public int[] Lines { get; }

    public static MapFile? Load(string path, MapMatch match, out string? error)
    {
        error = null;
        if (Loaded.TryGetValue((path, match), out var map))
        {
            return map;
        }

        string[] lines;
        try
        {
            lines = File.ReadAllLines(path, Encoding.Latin1);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"failed to open map file '{path}' : {ex.Message}";
            return null;
        }

        var patterns = new PatternSet(ToMethod(match), ignoreCase: false) { LongestMatch = match == MapMatch.Beg };
        var values = new List<byte[]>();
        var integers = new List<Sample>();
        var lineNumbers = new List<int>();
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var split = line.IndexOfAny([' ', '\t']);
            var key = split < 0 ? line : line[..split];
            var value = split < 0 ? string.Empty : line[split..].Trim();
            if (patterns.Add(key) is { } problem)
            {
                error = $"file '{path}' line {n + 1} : {problem}";
                return null;
            }

            values.Add(Encoding.Latin1.GetBytes(value));
            lineNumbers.Add(n + 1);
            integers.Add(long.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number)
                ? Sample.FromInt(number)
                : default);
        }

        map = new MapFile(patterns, [.. values], [.. integers], [.. lineNumbers]);
        return Loaded.GetOrAdd((path, match), map);
    }

    /// <summary>Forgets the files read by an earlier load so that a reload reads them again.</summary>
    public static void ForgetLoaded() => Loaded.Clear();

    /// <summary>The lines of a pattern file for `acl -f`: one pattern per line, blank lines and `#` comments skipped.</summary>
    public static IEnumerable<string>? ReadPatterns(string path, out string? error)
    {
        error = null;
        try
        {
            return File.ReadAllLines(path, Encoding.Latin1)
                .Select(l => l.Trim())
                .Where(l => l.Length > 0 && l[0] != '#')
                .ToArray();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"failed to open pattern file <{path}>";
            return null;
        }
    }

    private static MatchMethod ToMethod(MapMatch match) => match switch
    {
        MapMatch.Beg => MatchMethod.Beg,
        MapMatch.End => MatchMethod.End,
        MapMatch.Sub => MatchMethod.Sub,
        MapMatch.Dir => MatchMethod.Dir,
        MapMatch.Dom => MatchMethod.Dom,
        MapMatch.Reg => MatchMethod.Reg,
        MapMatch.Ip => MatchMethod.Ip,
        MapMatch.Int => MatchMethod.Int,
        _ => MatchMethod.Str,
    };
}
