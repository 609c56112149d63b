using System.Text;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Acls;

/// <summary>What a map's lookups read: its keys compiled for one matching method, and the value of each.</summary>
internal sealed class MapIndex(PatternSet patterns, byte[][] values, Sample[] integers)
{
    public PatternSet Patterns { get; } = patterns;

    public byte[][] Values { get; } = values;

    /// <summary>Each value read as an integer, or an empty sample where it is not one.</summary>
    public Sample[] IntegerValues { get; } = integers;
}

/// <summary>
/// A map file (`key value` per line, `#` comments) compiled for one matching method: the map converters that name
/// it with that method share it. Its entries are a pattern reference, which the runtime API may change; every
/// change compiles a new <see cref="MapIndex"/> that lookups pick up without a lock.
/// </summary>
internal sealed class MapFile : IPatternUser
{
    private MapIndex _index;

    private MapFile(PatternReference reference, MapMatch match, MapIndex index)
    {
        Reference = reference;
        Match = match;
        _index = index;
    }

    public PatternReference Reference { get; }

    public MapMatch Match { get; }

    public MapIndex Current => Volatile.Read(ref _index);

    /// <summary>
    /// The map of <paramref name="path"/> for <paramref name="match"/>, read once per configuration load, used by a
    /// converter returning <paramref name="output"/> (recorded for `show map` and `get map`).
    /// </summary>
    public static MapFile? Load(string path, MapMatch match, SampleType output, out string? error)
    {
        error = null;
        var references = PatternReferences.Loading;
        var method = ToMethod(match);
        var reference = references.FindFile(path, isMap: true);
        if (reference is null)
        {
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

            reference = references.Create(path, isMap: true, inlineDescription: null);
            for (var n = 0; n < lines.Length; n++)
            {
                var line = lines[n].Trim();
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                var split = line.IndexOfAny([' ', '\t']);
                reference.Append(split < 0 ? line : line[..split], split < 0 ? string.Empty : line[split..].Trim(), n + 1);
            }
        }

        reference.AddUse("map", references.Location, method, ignoreCase: false, output);
        if (references.FindMap(reference, match) is { } shared)
        {
            return shared;
        }

        var index = Compile(reference, match, out var problem);
        if (index is null)
        {
            error = $"file '{path}' line {problem.Line} : {problem.Text}";
            return null;
        }

        var map = new MapFile(reference, match, index);
        reference.Subscribe(map);
        references.AddMap(map);
        return map;
    }

    public void Rebuild()
    {
        if (Compile(Reference, Match, out _) is { } index)
        {
            Volatile.Write(ref _index, index);
        }
    }

    public void ValuesChanged()
    {
        var (values, integers) = ReadValues(Reference);
        Volatile.Write(ref _index, new MapIndex(Current.Patterns, values, integers));
    }

    /// <summary>The values of the current entries in their order, as text and as integers.</summary>
    private static (byte[][] Values, Sample[] Integers) ReadValues(PatternReference reference)
    {
        var values = new List<byte[]>();
        var integers = new List<Sample>();
        foreach (var entry in reference.Current)
        {
            var value = entry.Value ?? string.Empty;
            values.Add(Encoding.Latin1.GetBytes(value));
            integers.Add(long.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number)
                ? Sample.FromInt(number)
                : default);
        }

        return ([.. values], [.. integers]);
    }

    /// <summary>A key that is not valid for <paramref name="method"/> in HAProxy's words; null when it is.</summary>
    public static string? CheckKey(MatchMethod method, string key) => new PatternSet(method, ignoreCase: false).Add(key);

    private static MapIndex? Compile(PatternReference reference, MapMatch match, out (int Line, string Text) problem)
    {
        problem = default;
        var patterns = new PatternSet(ToMethod(match), ignoreCase: false) { LongestMatch = match == MapMatch.Beg };
        foreach (var entry in reference.Current)
        {
            if (patterns.Add(entry.Key) is { } error)
            {
                problem = (entry.Line, error);
                return null;
            }
        }

        var (values, integers) = ReadValues(reference);
        return new MapIndex(patterns, values, integers);
    }

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

    public static MatchMethod ToMethod(MapMatch match) => match switch
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
