using Sluice.Rules.Acls;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Actions;

/// <summary>What a `tcp-request` rule does when its condition holds.</summary>
internal enum TcpRuleAction : byte
{
    Accept,
    Reject,
    SetVariable,
    UnsetVariable,
    /// <summary>`expect-proxy layer4`: a PROXY header comes before the client's bytes.</summary>
    ExpectProxy,
}

/// <summary>The outcome of a `tcp-request` rule set.</summary>
internal enum TcpVerdict : byte
{
    Accept,
    Reject,
    /// <summary>A condition needs bytes that have not arrived yet; run again when more come.</summary>
    NeedMoreData,
}

/// <summary>`tcp-request connection|session|content ACTION [if|unless COND]`, compiled.</summary>
internal sealed record TcpRule(TcpRuleAction Action, Condition? Condition, string Location)
{
    public VariableName? Variable { get; init; }

    public SampleExpression? Expression { get; init; }
}

/// <summary>Runs a `tcp-request` rule set: the first accept or reject ends it; no rule deciding means accept.</summary>
internal static class TcpRuleRunner
{
    public static TcpVerdict Run(IReadOnlyList<TcpRule> rules, SampleContext ctx)
    {
        foreach (var rule in rules)
        {
            ctx.ResetScratch();
            ctx.NeedsMoreData = false;
            var matches = rule.Condition is not { } condition || condition.Evaluate(ctx);
            if (ctx.NeedsMoreData && !ctx.PayloadComplete)
            {
                return TcpVerdict.NeedMoreData;
            }

            if (!matches)
            {
                continue;
            }

            switch (rule.Action)
            {
                case TcpRuleAction.Accept:
                    return TcpVerdict.Accept;
                case TcpRuleAction.Reject:
                    return TcpVerdict.Reject;
                case TcpRuleAction.SetVariable:
                    if (rule.Expression!.TryEvaluate(ctx, out var value))
                    {
                        ctx.Variables.Set(rule.Variable!, value);
                    }

                    break;
                case TcpRuleAction.ExpectProxy:
                    ctx.ExpectsProxyHeader = true;
                    break;
                default:
                    ctx.Variables.Unset(rule.Variable!);
                    break;
            }
        }

        return TcpVerdict.Accept;
    }
}
