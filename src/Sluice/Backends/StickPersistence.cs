using Sluice.Rules.Actions;
using Sluice.Rules.Samples;

namespace Sluice.Backends;

/// <summary>
/// A backend's `stick` rules at run time (HAProxy's process_sticking_rules and process_store_rules). Before a server
/// is chosen, the first `match`/`on` rule whose key has an entry naming a server of the backend sends the request
/// there, unless that server is in maintenance, or down while `option persist` is off. Once a server took the request, each
/// `on`/`store-request` rule, then each `store-response` rule, writes the server's id and name into its key's entry, at
/// most one rule per table.
/// Allocates only the entries of new keys, bounded by each table's `size`.
/// </summary>
internal sealed class StickPersistence
{
    /// <summary>HAProxy keeps at most this many stores per request.</summary>
    private const int MaxStores = 8;

    private readonly StickRule[] _rules;
    private readonly Dictionary<int, ServerState> _serversById;
    private readonly bool _persist;

    public StickPersistence(IReadOnlyList<StickRule> rules, BackendState backend, bool persist)
    {
        _rules = [.. rules];
        _serversById = backend.Servers.ToDictionary(s => s.Config.Id);
        _persist = persist;
        HasResponseRules = _rules.Any(r => r.Kind == StickRuleKind.StoreResponse);
    }

    /// <summary>The server the request sticks to; null when no rule finds one that may take it.</summary>
    public ServerState? Match(SampleContext samples)
    {
        foreach (var rule in _rules)
        {
            if ((rule.Kind & StickRuleKind.Match) == 0 || !rule.Applies(samples) || rule.Find(samples) is not { } entry)
            {
                continue;
            }

            // A drained server still takes its sticky clients; one in maintenance takes no traffic at all.
            if (_serversById.TryGetValue(Volatile.Read(ref entry.ServerId), out var server) && server.AdminState != ServerAdminState.Maint
                && (server.IsUp || _persist))
            {
                return server;
            }
        }

        return null;
    }

    /// <summary>`stick store-response` rules: their keys come from the response head, which must be in the samples.</summary>
    public bool HasResponseRules { get; }

    /// <summary>
    /// Records that <paramref name="server"/> took the request, for each store rule that applies: the request's rules,
    /// then the response's (with its head in <paramref name="samples"/>), as HAProxy collects them.
    /// </summary>
    public void Store(SampleContext samples, ServerState server, long nowMs)
    {
        Span<int> stored = stackalloc int[MaxStores];
        var count = 0;
        foreach (var kind in (ReadOnlySpan<StickRuleKind>)[StickRuleKind.Store, StickRuleKind.StoreResponse])
        {
            for (var i = 0; i < _rules.Length && count < MaxStores; i++)
            {
                var rule = _rules[i];
                if ((rule.Kind & kind) == 0 || StoredAlready(rule.Table!, stored[..count]) || !rule.Applies(samples)
                    || rule.GetOrCreate(samples, nowMs) is not { } entry)
                {
                    continue;
                }

                stored[count++] = i;
                entry.StickTo(server.Config.Id, server.Name);
            }
        }
    }

    /// <summary>Only the first store rule of a table that applies writes it, as in HAProxy.</summary>
    private bool StoredAlready(StickTable table, ReadOnlySpan<int> stored)
    {
        foreach (var index in stored)
        {
            if (_rules[index].Table == table)
            {
                return true;
            }
        }

        return false;
    }
}
