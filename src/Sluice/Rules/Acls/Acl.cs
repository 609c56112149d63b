using Sluice.Rules.Samples;

namespace Sluice.Rules.Acls;

/// <summary>
/// One `acl` line or anonymous ACL: an expression and the patterns its values are matched against, compiled from
/// its pattern references (its files and the patterns written on the line) and compiled again when the runtime
/// API changes one of them.
/// </summary>
internal sealed class AclEntry : IPatternUser
{
    private readonly IReadOnlyList<(PatternReference Reference, string? File)> _sources;
    private readonly IReadOnlyList<string> _fixedPatterns;
    private readonly string? _intOperator;
    private PatternSet _patterns;

    private AclEntry(SampleExpression expression, PatternSet patterns, string keyword, IReadOnlyList<(PatternReference, string?)> sources, IReadOnlyList<string> fixedPatterns, string? intOperator)
    {
        Expression = expression;
        _patterns = patterns;
        Keyword = keyword;
        _sources = sources;
        _fixedPatterns = fixedPatterns;
        _intOperator = intOperator;
    }

    public SampleExpression Expression { get; }

    public PatternSet Patterns => Volatile.Read(ref _patterns);

    /// <summary>The fetch or ACL keyword as written (`hdr_beg`), for messages.</summary>
    public string Keyword { get; }

    /// <summary>
    /// Compiles the current entries of <paramref name="sources"/> (a file name with the references read from files,
    /// for messages) and <paramref name="fixedPatterns"/> for one matching method; null with HAProxy's error.
    /// </summary>
    public static AclEntry? Create(SampleExpression expression, string keyword, MatchMethod method, bool ignoreCase, string? intOperator,
        IReadOnlyList<(PatternReference Reference, string? File)> sources, IReadOnlyList<string> fixedPatterns, out string? error)
    {
        var patterns = Compile(method, ignoreCase, intOperator, sources, fixedPatterns, out error);
        if (patterns is null)
        {
            return null;
        }

        var entry = new AclEntry(expression, patterns, keyword, sources, fixedPatterns, intOperator);
        foreach (var (reference, _) in sources)
        {
            reference.Subscribe(entry);
        }

        return entry;
    }

    public void ValuesChanged()
    {
    }

    public void Rebuild()
    {
        var current = Patterns;
        if (Compile(current.Method, current.IgnoreCase, _intOperator, _sources, _fixedPatterns, out _) is { } rebuilt)
        {
            Volatile.Write(ref _patterns, rebuilt);
        }
    }

    private static PatternSet? Compile(MatchMethod method, bool ignoreCase, string? intOperator, IReadOnlyList<(PatternReference Reference, string? File)> sources, IReadOnlyList<string> fixedPatterns, out string? error)
    {
        error = null;
        var patterns = new PatternSet(method, ignoreCase);
        if (method is MatchMethod.Found or MatchMethod.Bool)
        {
            // HAProxy accepts and ignores patterns for methods that take none.
            return patterns;
        }

        foreach (var (reference, file) in sources)
        {
            foreach (var entry in reference.Current)
            {
                if (patterns.Add(entry.Key, intOperator) is { } problem)
                {
                    error = file is null ? problem : $"{problem} in pattern file <{file}>";
                    return null;
                }
            }
        }

        foreach (var pattern in fixedPatterns)
        {
            patterns.Add(pattern);
        }

        return patterns;
    }

    /// <summary>True when one of the expression's values matches one of the patterns.</summary>
    public bool Evaluate(SampleContext ctx)
    {
        long state = 0;
        ctx.ValueMayChange = false;
        var patterns = Patterns;
        while (Expression.TryNext(ctx, ref state, out var sample))
        {
            if (patterns.Match(ctx, sample) >= 0)
            {
                return true;
            }
        }

        if (ctx.ValueMayChange)
        {
            ctx.NeedsMoreData |= !ctx.PayloadComplete;
        }

        return false;
    }
}

/// <summary>A named ACL: every line with its name, OR'ed in order; or an anonymous one between braces.</summary>
internal sealed class Acl
{
    private readonly List<AclEntry> _entries = [];

    public Acl(string name, bool anonymous = false)
    {
        Name = name;
        IsAnonymous = anonymous;
    }

    public string Name { get; }

    public bool IsAnonymous { get; }

    public IReadOnlyList<AclEntry> Entries => _entries;

    public void Add(AclEntry entry) => _entries.Add(entry);

    public bool Evaluate(SampleContext ctx)
    {
        foreach (var entry in _entries)
        {
            if (entry.Evaluate(ctx))
            {
                return true;
            }
        }

        return false;
    }
}
