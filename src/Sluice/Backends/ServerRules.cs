using Sluice.Logging;
using Sluice.Rules.Acls;
using Sluice.Rules.Samples;

namespace Sluice.Backends;

/// <summary>`use-server NAME|FORMAT if|unless COND`, as written in a backend.</summary>
/// <param name="ServerName">The server of a plain name; null when <paramref name="DynamicName"/> renders it per request.</param>
internal sealed record UseServerRule(string? ServerName, LogFormat? DynamicName, Condition Condition);

/// <summary>`force-persist if|unless COND` (<paramref name="Force"/>) or `ignore-persist if|unless COND`.</summary>
internal sealed record PersistRule(bool Force, Condition? Condition);

/// <summary>What the first `force-persist`/`ignore-persist` rule that applies asks of a request.</summary>
internal enum PersistOverride : byte
{
    None,
    /// <summary>`force-persist`: a persistence cookie or a `use-server` rule may name a DOWN server.</summary>
    Force,
    /// <summary>`ignore-persist`: the persistence cookie neither picks the server nor is set in the response.</summary>
    Ignore,
}

/// <summary>
/// A backend's `use-server` and `force-persist`/`ignore-persist` rules at run time (HAProxy's server_rules and
/// persist_rules). The first `use-server` rule whose condition holds and whose server is up (or may be used
/// down: `option persist`, `force-persist`) takes the request, before any cookie, stick table or RDP cookie; a
/// dynamic name that names no server ends the rules. Allocates nothing per request.
/// </summary>
internal sealed class ServerRules
{
    private readonly (UseServerRule Rule, ServerState? Server)[] _useServer;
    private readonly PersistRule[] _persist;
    private readonly Dictionary<string, ServerState>.AlternateLookup<ReadOnlySpan<char>> _byName;

    public ServerRules(BackendState backend)
    {
        var byName = new Dictionary<string, ServerState>(StringComparer.Ordinal);
        foreach (var server in backend.Servers)
        {
            byName.TryAdd(server.Name, server);
        }

        _byName = byName.GetAlternateLookup<ReadOnlySpan<char>>();
        _useServer = [.. backend.Config.UseServerRules.Select(r => (r, r.ServerName is { } name ? byName.GetValueOrDefault(name) : null))];
        _persist = [.. backend.Config.PersistRules];
    }

    /// <summary>Whether <paramref name="backend"/> has rules of either kind.</summary>
    public static bool Needed(BackendState backend) => backend.Config.UseServerRules.Count > 0 || backend.Config.PersistRules.Count > 0;

    /// <summary>The first `force-persist` or `ignore-persist` rule whose condition holds decides; none when none does.</summary>
    public PersistOverride Persistence(SampleContext samples)
    {
        foreach (var rule in _persist)
        {
            samples.ResetScratch();
            if (rule.Condition is null || rule.Condition.Evaluate(samples))
            {
                return rule.Force ? PersistOverride.Force : PersistOverride.Ignore;
            }
        }

        return PersistOverride.None;
    }

    /// <summary>The server the `use-server` rules give the request; null when they give none.</summary>
    /// <param name="mayUseDown">`option persist` or `force-persist`: a DOWN server is taken too.</param>
    public ServerState? Choose(SampleContext samples, bool mayUseDown)
    {
        foreach (var (rule, configured) in _useServer)
        {
            samples.ResetScratch();
            if (!rule.Condition.Evaluate(samples))
            {
                continue;
            }

            var server = configured;
            if (rule.DynamicName is { } dynamicName && !dynamicName.TryFindName(samples, _byName, out server))
            {
                // HAProxy: a rendered name that names no server ends the rules; the balancer decides.
                return null;
            }

            if ((server!.IsUp && server.AdminState != ServerAdminState.Maint) || mayUseDown)
            {
                return server;
            }
        }

        return null;
    }
}
