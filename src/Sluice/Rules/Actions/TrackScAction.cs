using Sluice.Backends;
using Sluice.Messages;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Actions;

/// <summary>
/// `http-request track-scN KEY [table T]`: the entry of KEY in the table becomes stick counter N of the transaction,
/// and counts this request (http_req_cnt, http_req_rate) and this transaction (conn_cur, until it ends). A counter
/// already tracked stays as it is, as in HAProxy.
/// </summary>
internal sealed class TrackScAction(int index, SampleExpression key, string? tableName) : HttpAction
{
    public int Index { get; } = index;

    /// <summary>`table T`, or null for the proxy's own table; resolved once by the configuration builder.</summary>
    public string? TableName { get; } = tableName;

    /// <summary>Set once at load, before any transaction runs.</summary>
    public StickTable? Table { get; set; }

    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        if (Table is not { } table || ctx.Tracked[Index] is not null || !key.TryEvaluate(ctx, out var sample) || !table.TryMakeKey(sample, out var k))
        {
            return RuleVerdict.Continue;
        }

        var now = Environment.TickCount64;
        if (table.GetOrCreate(k, now) is { } entry && ctx.Track(Index, entry))
        {
            entry.BeginHttpTracking(now);
        }

        return RuleVerdict.Continue;
    }
}
