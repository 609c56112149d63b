using Sluice.Rules.Samples;

namespace Sluice.Rules.Acls;

/// <summary>
/// Compiles the words after `if` or `unless`: ACL names (the proxy's, then the predefined ones), `!`,
/// `||`/`or`, and anonymous ACLs between `{` and `}`. Checks that the ACLs can work where the rule runs and
/// warns as HAProxy does when one never can.
/// </summary>
internal static class ConditionParser
{
    /// <summary>
    /// Parses <paramref name="words"/>[<paramref name="start"/>..] where the first word is `if` or `unless`.
    /// Errors are HAProxy's messages without the "error detected while parsing ... condition : " prefix.
    /// </summary>
    public static Condition? Parse(IReadOnlyList<string> words, int start, Func<string, Acl?> namedAcls, RuleSite site,
        List<string> warnings, out string? error)
    {
        error = null;
        var unless = words[start] == "unless";
        var groups = new List<AclTerm[]>();
        var current = new List<AclTerm>();
        var negate = false;
        var anonymousCount = 0;
        for (var i = start + 1; i < words.Count; i++)
        {
            var word = words[i];
            if (word is "||" or "or")
            {
                if (current.Count > 0)
                {
                    groups.Add([.. current]);
                    current.Clear();
                }

                continue;
            }

            // `!` negates, alone or stuck to the next word (`!name`, `!{`), as in HAProxy.
            if (word.StartsWith('!'))
            {
                negate = !negate;
                word = word[1..];
                if (word.Length == 0)
                {
                    continue;
                }
            }

            Acl? acl;
            if (word == "{")
            {
                var close = -1;
                for (var j = i + 1; j < words.Count; j++)
                {
                    if (words[j] == "}")
                    {
                        close = j;
                        break;
                    }
                }

                if (close < 0)
                {
                    error = "missing closing '}' in condition";
                    return null;
                }

                var entry = AclParser.Parse(words, i + 1, close, warnings, out error);
                if (entry is null)
                {
                    return null;
                }

                acl = new Acl($"anonymous{++anonymousCount}", anonymous: true);
                acl.Add(entry);
                i = close;
            }
            else
            {
                var name = word;
                acl = namedAcls(name) ?? PredefinedAcls.Find(name);
                if (acl is null)
                {
                    error = $"no such ACL : '{name}'";
                    return null;
                }
            }

            CheckUsable(acl, site, warnings);
            current.Add(new AclTerm(acl, negate));
            negate = false;
        }

        if (current.Count > 0)
        {
            groups.Add([.. current]);
        }

        return new Condition(unless, [.. groups], string.Join(' ', words.Skip(start)));
    }

    /// <summary>
    /// HAProxy warns about an ACL whose every line reads something the rule cannot see (a response header in a
    /// request rule): it will never match.
    /// </summary>
    private static void CheckUsable(Acl acl, RuleSite site, List<string> warnings)
    {
        string? unusable = null;
        foreach (var entry in acl.Entries)
        {
            if ((entry.Expression.Needs & site.Available) == entry.Expression.Needs)
            {
                return;
            }

            unusable ??= entry.Keyword;
        }

        if (unusable is null)
        {
            return;
        }

        var ruleSet = site.Keyword is { } keyword ? $" in '{keyword}'" : string.Empty;
        warnings.Add(acl.IsAnonymous
            ? $"anonymous acl will never match{ruleSet} because it uses keyword '{unusable}' which is incompatible with '{site.Name}'"
            : $"acl '{acl.Name}' will never match{ruleSet} because it only involves keywords that are incompatible with '{site.Name}'");
    }
}
