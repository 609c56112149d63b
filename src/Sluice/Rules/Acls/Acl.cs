using Sluice.Rules.Samples;

namespace Sluice.Rules.Acls;

/// <summary>One `acl` line or anonymous ACL: an expression and the patterns its values are matched against.</summary>
internal sealed class AclEntry
{
    public AclEntry(SampleExpression expression, PatternSet patterns, string keyword)
    {
        Expression = expression;
        Patterns = patterns;
        Keyword = keyword;
    }

    public SampleExpression Expression { get; }

    public PatternSet Patterns { get; }

    /// <summary>The fetch or ACL keyword as written (`hdr_beg`), for messages.</summary>
    public string Keyword { get; }

    /// <summary>True when one of the expression's values matches one of the patterns.</summary>
    public bool Evaluate(SampleContext ctx)
    {
        long state = 0;
        ctx.ValueMayChange = false;
        while (Expression.TryNext(ctx, ref state, out var sample))
        {
            if (Patterns.Match(ctx, sample) >= 0)
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
