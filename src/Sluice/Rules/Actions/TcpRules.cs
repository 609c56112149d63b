using Sluice.Rules.Acls;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Actions;

/// <summary>What a `tcp-request` rule does when its condition holds.</summary>
internal enum TcpRuleAction : byte
{
    Accept,
    Reject,
    SetVariable,
    /// <summary>`set-var-fmt(NAME) FORMAT`: the variable gets the rendered text.</summary>
    SetVariableFormat,
    UnsetVariable,
    /// <summary>`tcp-request content capture EXPR len N`: the value goes to the request capture slot.</summary>
    Capture,
    /// <summary>`tcp-response content close`: the server connection is closed once what it sent is forwarded.</summary>
    Close,
    /// <summary>`expect-proxy layer4`: a PROXY header comes before the client's bytes.</summary>
    ExpectProxy,
    /// <summary>`set-src`, `set-src-port`, `set-dst`, `set-dst-port` (content rules of an HTTP proxy).</summary>
    SetAddress,
    /// <summary>`track-scN KEY [table T]`: the key's stick table entry becomes counter N.</summary>
    TrackSc,
    /// <summary>`sc-inc-gpc0(N)`, `sc-inc-gpc1(N)`, `sc-inc-gpc(I,N)`: one more on a general purpose counter of tracked counter N.</summary>
    IncrementGpc,
    /// <summary>`sc-set-gpt0(N) VALUE`, `sc-set-gpt(I,N) VALUE`: a general purpose tag of tracked counter N.</summary>
    SetGpt,
    /// <summary>`do-resolve(VAR,RESOLVERS[,ipv4|ipv6]) EXPR` (content rules): the rules wait for the name's address.</summary>
    DoResolve,
}

/// <summary>The outcome of a `tcp-request` rule set.</summary>
internal enum TcpVerdict : byte
{
    Accept,
    Reject,
    /// <summary>`tcp-request content capture EXPR len N`: the value goes to the request capture slot.</summary>
    Capture,
    /// <summary>`tcp-response content close` applied: accepted, and the server connection does not stay open.</summary>
    Close,
    /// <summary>A condition needs bytes that have not arrived yet; run again when more come.</summary>
    NeedMoreData,
    /// <summary>A `do-resolve` rule asks for a name: resolve it, then go on after that rule.</summary>
    Resolve,
}

/// <summary>`tcp-request connection|session|content` or `tcp-response content ACTION [if|unless COND]`, compiled.</summary>
internal sealed record TcpRule(TcpRuleAction Action, Condition? Condition, string Location)
{
    public VariableName? Variable { get; init; }

    public SampleExpression? Expression { get; init; }

    /// <summary>The request capture slot of `capture`.</summary>
    public int CaptureSlot { get; init; }

    /// <summary>The text of `set-var-fmt`.</summary>
    public Logging.LogFormat? Format { get; init; }

    /// <summary>What `set-src` and its siblings replace.</summary>
    public AddressPart Address { get; init; }

    /// <summary>N of `track-scN`.</summary>
    public int TrackIndex { get; init; }

    /// <summary>`table T` of `track-scN`, or null for the proxy's own table.</summary>
    public string? TableName { get; init; }

    /// <summary>`sc-inc-gpcN`, `sc-inc-gpc(I,N)`, `sc-set-gpt(I,N)`: which general purpose counter or tag.</summary>
    public int Counter { get; init; }

    /// <summary>The `gpc`/`gpt` array forms, which reach only the arrays (HAProxy's rule).</summary>
    public bool ArrayElement { get; init; }

    /// <summary>True for connection and session rules: the counter follows the client connection, not one transaction.</summary>
    public bool TracksSession { get; init; }

    /// <summary>The table `track-scN` uses; set once at load, before any connection.</summary>
    public Backends.StickTable? Table { get; set; }

    /// <summary>What `do-resolve` asks: the variable, the resolvers section, the family, the name's expression.</summary>
    public DoResolveAction? Resolve { get; init; }
}

/// <summary>Runs a `tcp-request` or `tcp-response` rule set: the first accept, reject or close ends it; no rule deciding means accept.</summary>
internal static class TcpRuleRunner
{
    public static TcpVerdict Run(IReadOnlyList<TcpRule> rules, SampleContext ctx) => Run(rules, ctx, 0, out _, out _);

    /// <summary>
    /// Runs the rules from <paramref name="start"/>. A <see cref="TcpVerdict.Resolve"/> stops at the `do-resolve`
    /// rule <paramref name="stoppedAt"/> with the <paramref name="name"/> to resolve; the caller runs on after it.
    /// </summary>
    public static TcpVerdict Run(IReadOnlyList<TcpRule> rules, SampleContext ctx, int start, out int stoppedAt, out string? name)
    {
        stoppedAt = -1;
        name = null;

        // An index, not foreach: the interface's enumerator would be boxed on every run.
        for (var i = start; i < rules.Count; i++)
        {
            var rule = rules[i];
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
                case TcpRuleAction.Close:
                    return TcpVerdict.Close;
                case TcpRuleAction.Capture:
                    if (rule.Expression!.TryEvaluate(ctx, out var captured) && SampleCasts.TryCast(ctx, ref captured, SampleType.Str))
                    {
                        ctx.Captures.Set(response: false, rule.CaptureSlot, captured.Bytes);
                    }

                    break;
                case TcpRuleAction.SetVariableFormat:
                    VariableFormat.Set(ctx, rule.Variable!, rule.Format!);
                    break;
                case TcpRuleAction.SetVariable:
                    if (rule.Expression!.TryEvaluate(ctx, out var value))
                    {
                        ctx.Variables.Set(rule.Variable!, value);
                    }

                    break;
                case TcpRuleAction.ExpectProxy:
                    ctx.ExpectsProxyHeader = true;
                    break;
                case TcpRuleAction.SetAddress:
                    AddressRewrite.Apply(ctx, rule.Address, rule.Expression!);
                    break;
                case TcpRuleAction.TrackSc:
                    StickTracking.Run(rule, ctx);
                    break;
                case TcpRuleAction.IncrementGpc:
                    ctx.TrackedEntry(rule.TrackIndex)?.IncrementGpc(rule.Counter, Environment.TickCount64, rule.ArrayElement);
                    break;
                case TcpRuleAction.SetGpt:
                    StickTracking.SetGpt(ctx, rule.TrackIndex, rule.Counter, rule.ArrayElement, rule.Expression!);
                    break;
                case TcpRuleAction.DoResolve:
                    if (rule.Resolve!.TryName(ctx, out name))
                    {
                        stoppedAt = i;
                        return TcpVerdict.Resolve;
                    }

                    break;
                default:
                    ctx.Variables.Unset(rule.Variable!);
                    break;
            }
        }

        return TcpVerdict.Accept;
    }
}
