using Sluice.Messages;
using Sluice.Rules.Acls;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Actions;

/// <summary>What a rule decided about the transaction.</summary>
internal enum RuleVerdict : byte
{
    /// <summary>Go on with the next rule.</summary>
    Continue,
    /// <summary>`allow`: stop evaluating this rule set and let the message through.</summary>
    Allow,
    /// <summary>The proxy answers by itself (`deny`, `return`, `redirect`, `auth`): see <see cref="HttpRuleResult"/>.</summary>
    Reply,
    /// <summary>`tarpit`: hold the client until `timeout tarpit`, then answer with an error.</summary>
    Tarpit,
    /// <summary>`reject` (and `silent-drop`): close the client connection without an answer.</summary>
    Reject,
    /// <summary>`wait-for-body`: the transaction buffers the body, then runs the rules again from the next one.</summary>
    WaitForBody,
    /// <summary>`early-hint`: the transaction sends <see cref="HttpRuleResult.EarlyHints"/> as a 103, then runs the rules again from the next one.</summary>
    SendEarlyHints,
    /// <summary>`do-resolve`: the transaction resolves <see cref="HttpRuleResult.ResolveName"/>, then runs the rules again from the next one.</summary>
    Resolve,
}

/// <summary>
/// The answer a final rule chose: a reply built now, one fixed at load, or an error status to answer with the
/// proxy's page for it (<see cref="Status"/>); and whether it counts as a denial for logs and stats. One per
/// session, reset before each rule set runs.
/// </summary>
internal sealed class HttpRuleResult
{
    /// <summary>A reply built for this request (redirects, replies with log-format parts).</summary>
    public HttpReply? Reply { get; set; }

    /// <summary>A reply fixed at load: the proxy's reply table holds its built form.</summary>
    public Config.Model.HttpReturnRule? ReturnSpec { get; set; }

    /// <summary>`auth`: the realm of the Basic challenge added to the proxy's 401 or 407 page.</summary>
    public string? AuthRealm { get; set; }

    public int Status { get; set; }

    /// <summary>True for `deny`, `tarpit` and `auth`: logged with the `PR` termination state.</summary>
    public bool IsDenial { get; set; }

    /// <summary>The fields of the 103 response `early-hint` rules are filling; kept for the session, emptied once sent.</summary>
    public Messages.HttpResponseHead EarlyHints => _earlyHints ??= new Messages.HttpResponseHead();

    /// <summary>True while an `early-hint` rule added a field that was not sent yet.</summary>
    public bool EarlyHintsPending { get; set; }

    /// <summary>`wait-for-body time T`: how long to wait, in milliseconds; 0 means `timeout http-request`.</summary>
    public long WaitForBodyMs { get; set; }

    /// <summary>`wait-for-body ... at-least N`: the payload bytes that end the wait early; 0 waits for all of it.</summary>
    public long WaitForBodyAtLeast { get; set; }

    /// <summary>`do-resolve`: the rule that asks, and the name it asks for.</summary>
    public DoResolveAction? Resolve { get; set; }

    public string? ResolveName { get; set; }

    private Messages.HttpResponseHead? _earlyHints;

    public void Reset()
    {
        Reply = null;
        ReturnSpec = null;
        AuthRealm = null;
        Status = 0;
        IsDenial = false;
        EarlyHintsPending = false;
        WaitForBodyMs = 0;
        WaitForBodyAtLeast = 0;
        Resolve = null;
        ResolveName = null;
    }
}

/// <summary>An action of an `http-request` or `http-response` rule.</summary>
internal abstract class HttpAction
{
    /// <summary>True when the action ends rule evaluation: later rules without a condition never run.</summary>
    public virtual bool IsFinal => false;

    public abstract RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result);
}

/// <summary>`ACTION ... [if|unless COND]` as one compiled rule.</summary>
internal sealed record HttpRule(HttpAction Action, Condition? Condition, string Location)
{
    public string? Keyword { get; init; }
}

/// <summary>Runs a rule set in order until a rule ends it.</summary>
internal static class HttpRuleRunner
{
    /// <summary>
    /// Runs <paramref name="rules"/> from <paramref name="start"/>; returns the verdict and, in
    /// <paramref name="next"/>, where to resume after a <see cref="RuleVerdict.WaitForBody"/>.
    /// </summary>
    public static RuleVerdict Run(IReadOnlyList<HttpRule> rules, int start, SampleContext ctx, HttpMessageHead message, HttpRuleResult result, out int next)
    {
        for (var i = start; i < rules.Count; i++)
        {
            var rule = rules[i];
            ctx.ResetScratch();
            if (rule.Condition is { } condition && !condition.Evaluate(ctx))
            {
                continue;
            }

            ctx.ResetScratch();
            var verdict = rule.Action.Execute(ctx, message, result);
            if (verdict == RuleVerdict.Continue && result.EarlyHintsPending
                && (i + 1 == rules.Count || rules[i + 1].Action is not EarlyHintAction || rules[i + 1].Condition is not null))
            {
                // HAProxy groups consecutive `early-hint` rules into one 103; a condition or another action ends the group.
                verdict = RuleVerdict.SendEarlyHints;
            }

            if (verdict != RuleVerdict.Continue)
            {
                next = i + 1;
                return verdict;
            }
        }

        next = rules.Count;
        return RuleVerdict.Continue;
    }
}
