using System.Globalization;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Acls;

/// <summary>One key (an ACL pattern or a map key) and, in a map, its value, in one version of its reference.</summary>
internal sealed class PatternEntry(long handle, string key, string? value, int version, int line = 0)
{
    /// <summary>The line of the file it was read from, for messages; 0 when the runtime API added it.</summary>
    public int Line { get; } = line;

    /// <summary>What `show map` prints first and `#&lt;ref&gt;` names: HAProxy prints the entry's address.</summary>
    public long Handle { get; } = handle;

    public string Key { get; } = key;

    public string? Value { get; set; } = value;

    public int Version { get; } = version;

    public string HandleText => "0x" + Handle.ToString("x", CultureInfo.InvariantCulture);
}

/// <summary>
/// Something compiled from the current version of pattern references (a map for one matching method, an ACL line),
/// built again when one of them changes at run time.
/// </summary>
internal interface IPatternUser
{
    void Rebuild();

    /// <summary>Only values changed, not keys: a map takes the new values without compiling its keys again.</summary>
    void ValuesChanged();
}

/// <summary>
/// HAProxy's pattern reference (`pat_ref`): the entries of a map or pattern file, or of the patterns written on an
/// ACL line, which the runtime API lists, reads and changes (`show|get|add|set|del|clear|prepare|commit map|acl`).
/// Entries belong to a version: matching sees the current one; `prepare` opens the next, filled with `add @VER`
/// and made current at once by `commit`. Every change of the current version rebuilds the users' compiled sets,
/// which requests read without a lock.
/// </summary>
internal sealed class PatternReference
{
    private readonly List<PatternEntry> _entries = [];
    private readonly List<IPatternUser> _users = [];
    private readonly List<string> _usedBy = [];
    private readonly List<(MatchMethod Method, bool IgnoreCase, SampleType Output)> _expressions = [];
    private readonly PatternReferences _owner;

    public PatternReference(PatternReferences owner, int id, string? file, bool isMap, string? inlineDescription)
    {
        _owner = owner;
        Id = id;
        File = file;
        IsMap = isMap;
        InlineDescription = inlineDescription;
    }

    /// <summary>The unique id (`#ID`); -1 until the end of the load for a map's, which HAProxy numbers after the ACLs.</summary>
    public int Id { get; set; }

    /// <summary>The file the entries came from; null for the patterns of an ACL line.</summary>
    public string? File { get; }

    public bool IsMap { get; }

    /// <summary>Whether an ACL uses it (a pattern file can serve ACLs and maps alike).</summary>
    public bool IsAcl { get; private set; }

    /// <summary>`acl 'src' file 'F' line N` for the patterns of an ACL line.</summary>
    public string? InlineDescription { get; }

    public int CurrentVersion { get; private set; }

    public int NextVersion { get; private set; }

    /// <summary>The entries of every version, in the order they were added.</summary>
    public int EntryCount => _entries.Count;

    /// <summary>HAProxy's `show map` description: where it comes from and which rules use it.</summary>
    public string Description => File is null
        ? InlineDescription!
        : $"pattern loaded from file '{File}' used by {string.Join(", by ", _usedBy)}";

    /// <summary>The matching methods of its users, once each, in the order they were declared (`get map` reports each).</summary>
    public IReadOnlyList<(MatchMethod Method, bool IgnoreCase, SampleType Output)> Expressions => _expressions;

    /// <summary>Entries of the current version, in order; what users compile.</summary>
    public IEnumerable<PatternEntry> Current => _entries.Where(e => e.Version == CurrentVersion);

    public IEnumerable<PatternEntry> OfVersion(int version) => _entries.Where(e => e.Version == version);

    /// <summary>Adds an entry read from the configuration (<paramref name="line"/> of its file, if any).</summary>
    public void Append(string key, string? value, int line = 0) => _entries.Add(new PatternEntry(_owner.NextHandle(), key, value, CurrentVersion, line));

    /// <summary>Records a rule that uses the reference: `map at file 'F' line N` or `acl at ...`.</summary>
    public void AddUse(string kind, string location, MatchMethod method, bool ignoreCase, SampleType output)
    {
        IsAcl |= kind == "acl";
        _usedBy.Add($"{kind} at {location}");
        if (!_expressions.Contains((method, ignoreCase, output)))
        {
            _expressions.Add((method, ignoreCase, output));
        }
    }

    public void Subscribe(IPatternUser user) => _users.Add(user);

    /// <summary>
    /// Why a key (and a map value) cannot go in, in HAProxy's words without the final period; null when every user
    /// can read it: the key by its matching method, the value by the type its map converter returns.
    /// </summary>
    public string? Check(string key, string? value)
    {
        foreach (var (method, _, kind) in _expressions)
        {
            if (method is not (MatchMethod.Found or MatchMethod.Bool) && MapFile.CheckKey(method, key) is { } problem)
            {
                return problem;
            }

            if (kind == SampleType.Int && !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            {
                return $"'{value}' is not a number";
            }

            if (kind == SampleType.Address && !PatternSet.TryParseNetwork(value ?? string.Empty, out _, out _))
            {
                return $"'{value}' is not a valid IPv4 or IPv6 address";
            }
        }

        return null;
    }

    /// <summary>
    /// `set-map`: every entry of the current version with the key takes the value, or, without one, a new entry
    /// holds it. Nothing happens when the key or value does not fit (HAProxy drops the change).
    /// </summary>
    public void SetOrAdd(string key, string value)
    {
        var entries = Find(key);
        if (Check(key, value) is not null)
        {
            return;
        }

        if (entries.Count > 0)
        {
            SetValues(entries, value);
        }
        else
        {
            Add(key, value, CurrentVersion);
        }
    }

    /// <summary>`add-acl`: a new entry unless the key is there already.</summary>
    public void AddIfAbsent(string key)
    {
        if (Find(key).Count == 0 && Check(key, null) is null)
        {
            Add(key, null, CurrentVersion);
        }
    }

    /// <summary>`del-map`, `del-acl`: the entries of the current version with the key go.</summary>
    public void DeleteKey(string key)
    {
        var entries = Find(key);
        if (entries.Count > 0)
        {
            Remove(entries);
        }
    }

    /// <summary>Whether <paramref name="version"/> may be written: the current one or one prepared since.</summary>
    public bool IsOpenVersion(int version) => version - CurrentVersion >= 0 && version - CurrentVersion <= NextVersion - CurrentVersion;

    public void Add(string key, string? value, int version)
    {
        _entries.Add(new PatternEntry(_owner.NextHandle(), key, value, version));
        if (version == CurrentVersion)
        {
            RebuildUsers();
        }
    }

    /// <summary>Entries of the current version that `#HANDLE` or the key names.</summary>
    public List<PatternEntry> Find(string keyOrHandle)
    {
        if (keyOrHandle.StartsWith('#'))
        {
            var text = keyOrHandle.AsSpan(1);
            var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
            return long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var handle)
                ? [.. _entries.Where(e => e.Handle == handle && e.Version == CurrentVersion)]
                : [];
        }

        return [.. Current.Where(e => e.Key == keyOrHandle)];
    }

    public void SetValues(List<PatternEntry> entries, string value)
    {
        foreach (var entry in entries)
        {
            entry.Value = value;
        }

        foreach (var user in _users)
        {
            user.ValuesChanged();
        }
    }

    public void Remove(List<PatternEntry> entries)
    {
        _entries.RemoveAll(entries.Contains);
        RebuildUsers();
    }

    /// <summary>`clear map [@VER]`: the entries of one version go.</summary>
    public void Clear(int version)
    {
        _entries.RemoveAll(e => e.Version == version);
        if (version == CurrentVersion)
        {
            RebuildUsers();
        }
    }

    /// <summary>`prepare map`: a new, empty version after the last one prepared.</summary>
    public int Prepare() => ++NextVersion;

    /// <summary>`commit map @VER`: that version becomes the current one and the older ones go.</summary>
    public void Commit(int version)
    {
        _entries.RemoveAll(e => version - e.Version > 0);
        CurrentVersion = version;
        RebuildUsers();
    }

    private void RebuildUsers()
    {
        foreach (var user in _users)
        {
            user.Rebuild();
        }
    }
}

/// <summary>
/// The pattern references of one loaded configuration, with the unique ids HAProxy gives them (`#ID`). A
/// configuration load makes its own, so a reload reads map and pattern files again; the runtime API finds them here.
/// Changes are made under <see cref="Lock"/>; requests read what the changes compiled.
/// </summary>
internal sealed class PatternReferences
{
    [ThreadStatic]
    private static PatternReferences? t_loading;

    private readonly List<PatternReference> _all = [];
    private readonly List<MapFile> _maps = [];
    private readonly HashSet<int> _ids = [];
    private int _lowestFree;
    private long _nextHandle = 0x55d0_0000_0000;

    public Lock Lock { get; } = new();

    /// <summary>Where the configuration line being read is (`file 'F' line N`), for descriptions.</summary>
    public string Location { get; set; } = "file '' line 0";

    public IReadOnlyList<PatternReference> All => _all;

    /// <summary>The references of the configuration being loaded on this thread; outside a load, a throwaway set.</summary>
    public static PatternReferences Loading => t_loading ?? new PatternReferences();

    /// <summary>Makes <paramref name="references"/> the one that configuration parsing on this thread fills, until disposed.</summary>
    public static IDisposable BeginLoad(PatternReferences references)
    {
        var previous = t_loading;
        t_loading = references;
        return new Restore(previous);
    }

    public long NextHandle() => _nextHandle += 0x60;

    /// <summary>The reference of a map or pattern file, read once per load whatever its users.</summary>
    public PatternReference? FindFile(string file, bool isMap) => _all.Find(r => r.File == file && r.IsMap == isMap);

    public MapFile? FindMap(PatternReference reference, Samples.MapMatch match) => _maps.Find(m => m.Reference == reference && m.Match == match);

    public void AddMap(MapFile map) => _maps.Add(map);

    /// <summary>
    /// A new reference. An ACL's is numbered at once (<paramref name="uniqueId"/> from `-u`, or the lowest id not
    /// taken); a map's when the load ends (<see cref="NumberMaps"/>), as HAProxy resolves map arguments after parsing.
    /// </summary>
    public PatternReference Create(string? file, bool isMap, string? inlineDescription, int? uniqueId = null)
    {
        var reference = new PatternReference(this, isMap ? -1 : uniqueId ?? LowestFreeId(), file, isMap, inlineDescription);
        _ids.Add(reference.Id);
        _all.Add(reference);
        return reference;
    }

    /// <summary>Gives the maps read by this load their ids, in the order they were read.</summary>
    public void NumberMaps()
    {
        foreach (var reference in _all.Where(r => r.Id < 0))
        {
            reference.Id = LowestFreeId();
            _ids.Add(reference.Id);
        }
    }

    private int LowestFreeId()
    {
        while (_ids.Contains(_lowestFree))
        {
            _lowestFree++;
        }

        return _lowestFree;
    }

    /// <summary>The reference a runtime command names: `#ID` or a file name.</summary>
    public PatternReference? Find(string name, bool map)
    {
        if (name.StartsWith('#'))
        {
            return int.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? _all.Find(r => r.Id == id && (map ? r.IsMap : r.IsAcl))
                : null;
        }

        return _all.Find(r => r.File == name && (map ? r.IsMap : r.IsAcl));
    }

    private sealed class Restore(PatternReferences? previous) : IDisposable
    {
        public void Dispose() => t_loading = previous;
    }
}
