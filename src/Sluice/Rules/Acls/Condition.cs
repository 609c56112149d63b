using Sluice.Rules.Samples;

namespace Sluice.Rules.Acls;

/// <summary>An ACL in a condition, possibly negated with `!`.</summary>
internal readonly record struct AclTerm(Acl Acl, bool Negated)
{
    public bool Evaluate(SampleContext ctx) => Acl.Evaluate(ctx) != Negated;
}

/// <summary>
/// `if|unless TERM [TERM...] [|| TERM...]`: groups of terms AND'ed, groups OR'ed, the whole inverted by
/// `unless`. Compiled once at load.
/// </summary>
internal sealed class Condition
{
    private readonly AclTerm[][] _groups;

    public Condition(bool unless, AclTerm[][] groups, string text)
    {
        Unless = unless;
        _groups = groups;
        Text = text;
    }

    public bool Unless { get; }

    /// <summary>The condition as written, for messages and the debug output.</summary>
    public string Text { get; }

    public IEnumerable<Acl> Acls => _groups.SelectMany(g => g.Select(t => t.Acl));

    /// <summary>Every source the condition's fetches read (for load-time checks).</summary>
    public SampleSources Needs => Acls.SelectMany(a => a.Entries).Aggregate(SampleSources.None, (needs, e) => needs | e.Expression.Needs);

    public bool Evaluate(SampleContext ctx)
    {
        var result = false;
        foreach (var group in _groups)
        {
            var all = true;
            foreach (var term in group)
            {
                if (!term.Evaluate(ctx))
                {
                    all = false;
                    break;
                }
            }

            if (all)
            {
                result = true;
                break;
            }
        }

        return result != Unless;
    }

    public override string ToString() => Text;
}
