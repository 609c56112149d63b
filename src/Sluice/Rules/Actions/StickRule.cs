using Sluice.Backends;
using Sluice.Rules.Acls;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Actions;

/// <summary>
/// What a `stick` line does: `match` reads the table, `store-request` writes it with a key of the request, `on` does
/// both, `store-response` writes it with a key of the response.
/// </summary>
[Flags]
internal enum StickRuleKind
{
    Match = 1,
    Store = 2,
    On = Match | Store,
    StoreResponse = 4,
}

/// <summary>
/// `stick match|on|store-request|store-response PATTERN [table T] [if|unless COND]` of a backend: the key is the
/// request's (or the response's) PATTERN, the value the server that takes the request (HAProxy's sticking rules).
/// </summary>
internal sealed class StickRule(StickRuleKind kind, SampleExpression key, string? tableName, Condition? condition)
{
    public StickRuleKind Kind { get; } = kind;

    public SampleExpression Key { get; } = key;

    /// <summary>`table T`, or null for the backend's own table; resolved once by the configuration builder.</summary>
    public string? TableName { get; } = tableName;

    public Condition? Condition { get; } = condition;

    /// <summary>Set once at load, before any transaction runs.</summary>
    public StickTable? Table { get; set; }

    /// <summary>The rule applies to this request: its condition holds (or it has none).</summary>
    public bool Applies(SampleContext samples) => Condition?.Evaluate(samples) ?? true;

    /// <summary>The entry of this request's PATTERN when the table has one.</summary>
    public StickEntry? Find(SampleContext samples) =>
        Table is { } table && Key.TryEvaluate(samples, out var sample) ? table.Find(sample) : null;

    /// <summary>The entry of this request's PATTERN, created when missing; null when it has no key or the table is full.</summary>
    public StickEntry? GetOrCreate(SampleContext samples, long nowMs) =>
        Table is { } table && Key.TryEvaluate(samples, out var sample) ? table.GetOrCreate(sample, nowMs) : null;
}
