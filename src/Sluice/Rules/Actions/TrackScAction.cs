using Sluice.Backends;
using Sluice.Messages;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Actions;

/// <summary>
/// `http-request track-scN KEY [table T]`: the entry of KEY in the table becomes stick counter N of the transaction,
/// and counts this request (http_req_cnt, http_req_rate) and this transaction (conn_cur until it ends, conn_cnt,
/// conn_rate). A counter already tracked stays as it is, as in HAProxy.
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
        if (Table is not { } table || ctx.Tracked[Index] is not null)
        {
            return RuleVerdict.Continue;
        }

        var now = Environment.TickCount64;
        if (StickTracking.Lookup(table, key, ctx, now) is { } entry && ctx.Track(Index, entry))
        {
            entry.BeginHttpTracking(now);
        }

        return RuleVerdict.Continue;
    }
}

/// <summary>
/// `sc-inc-gpc0(N)`, `sc-inc-gpc1(N)`, `sc-inc-gpc(I,N)` (<paramref name="array"/>): one more on a general purpose
/// counter (and its rate) of tracked counter N, when tracked.
/// </summary>
internal sealed class IncrementGpcAction(int counter, int index, bool array) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        ctx.TrackedEntry(index)?.IncrementGpc(counter, Environment.TickCount64, array);
        return RuleVerdict.Continue;
    }
}

/// <summary>
/// `sc-set-gpt0(N) VALUE`, `sc-set-gpt(I,N) VALUE` (<paramref name="array"/>): a general purpose tag of tracked counter
/// N takes VALUE (an integer or an expression).
/// </summary>
internal sealed class SetGptAction(int index, int tag, bool array, SampleExpression value) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, HttpMessageHead message, HttpRuleResult result)
    {
        StickTracking.SetGpt(ctx, index, tag, array, value);
        return RuleVerdict.Continue;
    }
}

/// <summary>The steps the stick counter actions share: `track-scN` lookups, track IDs, `sc-set-gpt0`.</summary>
internal static class StickTracking
{
    /// <summary>
    /// The counter of `sc-inc-gpc0(N)` (`sc-inc-gpc0` alone is 0), with HAProxy's errors; <paramref name="open"/> is
    /// the position of `(` in <paramref name="action"/>, -1 without one.
    /// </summary>
    public static string? ParseTrackId(string action, int open, out int index)
    {
        index = 0;
        if (open < 0)
        {
            return null;
        }

        if (!action.EndsWith(')') || !int.TryParse(action.AsSpan(open + 1, action.Length - open - 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index))
        {
            return $"invalid stick table track ID. Expects {action}(<Track ID>)";
        }

        return index > 2 ? "invalid stick table track ID. The max allowed ID is 2" : null;
    }

    /// <summary>
    /// The ids of `sc-inc-gpc(I,N)` and `sc-set-gpt(I,N)` (<paramref name="kind"/> `gpc` or `gpt`), with HAProxy 2.6's
    /// errors (it leaves I unchecked: an I beyond the array changes nothing).
    /// </summary>
    public static string? ParseArrayIds(string action, int open, string kind, out int element, out int index)
    {
        element = 0;
        index = 0;
        var usage = $"Expects {(open < 0 ? action : action[..open])}(<{kind.ToUpperInvariant()} ID>,<Track ID>)";
        if (open < 0)
        {
            return $"invalid {kind} ID '{action}'. {usage}";
        }

        var comma = action.IndexOf(',', open);
        if (comma < 0 || !int.TryParse(action.AsSpan(open + 1, comma - open - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out element))
        {
            return $"Missing {kind} ID '{action}'. {usage}";
        }

        if (!action.EndsWith(')') || !int.TryParse(action.AsSpan(comma + 1, action.Length - comma - 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index))
        {
            return $"invalid stick table track ID '{action}'. {usage}";
        }

        return index > 2 ? $"invalid stick table track ID '{action}'. The max allowed ID is 2" : null;
    }

    /// <summary>`sc-set-gpt0(N) VALUE`, `sc-set-gpt(I,N) VALUE` in http and tcp rules: nothing when counter N is not tracked or VALUE is no integer.</summary>
    public static void SetGpt(SampleContext ctx, int index, int tag, bool array, SampleExpression value)
    {
        if (ctx.TrackedEntry(index) is { } entry && entry.Table.Config.StoresGpt(tag, array) && value.TryEvaluate(ctx, out var sample) && sample.TryGetInteger(out var number))
        {
            entry.SetGpt(tag, number, array);
        }
    }

    /// <summary>The entry of the key's value; null when the key has no value of the table's type or the table is full.</summary>
    public static StickEntry? Lookup(StickTable table, SampleExpression key, SampleContext ctx, long nowMs) =>
        key.TryEvaluate(ctx, out var sample) ? table.GetOrCreate(sample, nowMs) : null;

    /// <summary>
    /// `tcp-request connection|session|content track-scN`: connection and session rules track for the whole client
    /// connection, content rules for the transaction; the first tracking of a counter wins.
    /// </summary>
    public static void Run(TcpRule rule, SampleContext ctx)
    {
        var index = rule.TrackIndex;
        if (rule.Table is not { } table || (rule.TracksSession ? ctx.SessionCounters?.Entries[index] : ctx.Tracked[index]) is not null)
        {
            return;
        }

        var now = Environment.TickCount64;
        if (Lookup(table, rule.Expression!, ctx, now) is not { } entry)
        {
            return;
        }

        if (rule.TracksSession ? ctx.TrackSession(index, entry) : ctx.Track(index, entry))
        {
            entry.CountConnection(now);
        }
    }
}
