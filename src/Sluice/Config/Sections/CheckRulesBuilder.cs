using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>
/// Turns a section's check settings into the steps a check runs, as HAProxy completes a ruleset at start-up:
/// the `option httpchk` request merges into the first `http-check send` (or becomes the first send), a last send
/// gets an expect (2xx or 3xx), a comment names the rule after it, and a connect is added in front when the
/// rules do not begin with one.
/// </summary>
internal static class CheckRulesBuilder
{
    /// <summary>The rules of the section's check; empty for a plain connection check.</summary>
    public static IReadOnlyList<CheckRule> Build(ProxySection section)
    {
        IReadOnlyList<CheckRule> written = section.CheckProtocol switch
        {
            CheckProtocol.Connect => [],
            // `option tcp-check` without rules still names its connect step in messages.
            CheckProtocol.Tcp when section.TcpCheckRules.Count == 0 => [new CheckConnectRule { Default = true, Implicit = true, Step = 0 }],
            CheckProtocol.Tcp => section.TcpCheckRules,
            CheckProtocol.Http => Http(section),
            _ => section.ProtocolCheckRules,
        };

        if (written.Count == 0)
        {
            return [];
        }

        var rules = new List<CheckRule>();
        string? comment = null;
        foreach (var rule in written)
        {
            if (rule is CheckCommentRule)
            {
                comment = rule.Comment;
                continue;
            }

            rules.Add(rule.Comment is null && comment is not null ? rule with { Comment = comment } : rule);
            comment = null;
        }

        if (rules.Count == 0 || rules[0] is not CheckConnectRule)
        {
            rules.Insert(0, new CheckConnectRule { Default = true, Implicit = true, Step = 0 });
        }

        if (section.CheckProtocol == CheckProtocol.Http && rules[^1] is CheckHttpSendRule)
        {
            rules.Add(new CheckHttpExpectRule(null) { Step = rules[^1].Step + 1 });
        }

        return rules;
    }

    private static List<CheckRule> Http(ProxySection section)
    {
        var rules = new List<CheckRule>();
        var merged = false;
        foreach (var rule in section.HttpCheckRules)
        {
            if (rule is PendingHttpSendRule pending)
            {
                var request = pending.Send.ApplyTo(merged ? HttpCheckRequest.Default : section.HttpCheckRequest);
                merged = true;
                rules.Add(new CheckHttpSendRule(request) { Comment = pending.Comment, Step = pending.Step });
                continue;
            }

            rules.Add(rule);
        }

        if (!merged)
        {
            var at = 0;
            while (at < rules.Count && rules[at] is CheckCommentRule)
            {
                at++;
            }

            at += at < rules.Count && rules[at] is CheckConnectRule ? 1 : 0;
            rules.Insert(at, new CheckHttpSendRule(section.HttpCheckRequest) { Step = at + 1 });
        }

        return rules;
    }

    /// <summary>The request of the first send: what the single-request view of the configuration shows.</summary>
    public static HttpCheckRequest? FirstRequest(IReadOnlyList<CheckRule> rules)
    {
        foreach (var rule in rules)
        {
            if (rule is CheckHttpSendRule send)
            {
                return send.Request;
            }
        }

        return null;
    }

    /// <summary>The first HTTP expect rule written (null for the default rule, or none).</summary>
    public static HttpCheckExpect? FirstExpect(IReadOnlyList<CheckRule> rules)
    {
        foreach (var rule in rules)
        {
            if (rule is CheckHttpExpectRule expect)
            {
                return expect.Expect;
            }
        }

        return null;
    }
}
