using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Rules.Acls;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;

namespace Sluice.Transactions;

/// <summary>
/// The rules of a tcp frontend: `tcp-request connection` and `content` rules and the `use_backend` rules,
/// with one transaction context per backend they can choose. Built once per configuration load.
/// </summary>
internal sealed class TcpFrontendContext
{
    private readonly (TransactionContext? Context, Logging.LogFormat? DynamicName, Condition? Condition)[] _switching;
    private readonly Dictionary<string, TransactionContext> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TransactionContext>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public TcpFrontendContext(TransactionContext defaultContext, IReadOnlyDictionary<BackendConfig, BackendState> backends)
    {
        Default = defaultContext;
        var frontend = defaultContext.Frontend;
        foreach (var (config, state) in backends)
        {
            if (config.Mode == ProxyMode.Tcp)
            {
                _byName[config.Name] = ReferenceEquals(state, defaultContext.Backend) ? defaultContext : defaultContext.WithBackend(state);
            }
        }

        _lookup = _byName.GetAlternateLookup<ReadOnlySpan<char>>();
        _switching = [.. frontend.UseBackends.Select(r => (r.Backend is { } b ? _byName.GetValueOrDefault(b.Name) : null, r.DynamicName, r.Condition))];
        InspectDelayMs = (long)frontend.InspectDelay.TotalMilliseconds;
        FrontendName = System.Text.Encoding.Latin1.GetBytes(frontend.Name);
    }

    public TransactionContext Default { get; }

    public IReadOnlyList<TcpRule> ConnectionRules => Default.Frontend.TcpConnectionRules;

    public IReadOnlyList<TcpRule> SessionRules => Default.Frontend.TcpSessionRules;

    public IReadOnlyList<TcpRule> ContentRules => Default.Frontend.TcpContentRules;

    public long InspectDelayMs { get; }

    public byte[] FrontendName { get; }

    /// <summary>True when something must be decided before the first server is picked.</summary>
    public bool HasRules => ConnectionRules.Count > 0 || SessionRules.Count > 0 || ContentRules.Count > 0 || _switching.Length > 0
        || Default.Backend?.Config.TcpContentRules.Count > 0;

    public BackendState? FindBackend(string name) => _byName.GetValueOrDefault(name)?.Backend;

    /// <summary>What `tcp-request connection` rules decided for an accepted connection.</summary>
    /// <param name="Accepted">False when a rule rejected it.</param>
    /// <param name="ExpectProxy">True when an `expect-proxy layer4` rule applied.</param>
    /// <param name="Counters">What `track-scN` rules tracked, which the connection then owns (null when nothing).</param>
    /// <param name="Addresses">The connection with the addresses `set-src`/`set-dst` rules gave it (none when no rule did).</param>
    public readonly record struct ConnectionVerdict(bool Accepted, bool ExpectProxy, StickCounterSet? Counters, HandshakeOutcome Addresses);

    /// <summary>
    /// `tcp-request connection` rules run as the connection is accepted, before any byte is read and before any
    /// PROXY header, so they see the connection's real addresses (as in HAProxy).
    /// </summary>
    public static ConnectionVerdict RunConnectionRules(TransactionContext context, byte[] frontendName, System.Net.Sockets.Socket client, Listeners.Listener listener)
    {
        var frontend = context.Frontend;
        if (frontend.TcpConnectionRules.Count == 0)
        {
            return new ConnectionVerdict(true, false, null, default);
        }

        using var samples = new SampleContext
        {
            FrontendName = frontendName,
            FrontendId = frontend.Id,
            FrontendCounters = context.Counters,
            Listener = ListenerIdentity.Of(frontend, listener.Bind),
            PayloadComplete = true,
        };
        var (socketClient, socketLocal) = (Transport.SocketAddresses.Remote(client), Transport.SocketAddresses.Local(client));
        if (socketClient is null)
        {
            // Closed already.
            return new ConnectionVerdict(false, false, null, default);
        }

        (samples.ClientEndPoint, samples.LocalEndPoint) = (socketClient, socketLocal);
        var accepted = TcpRuleRunner.Run(frontend.TcpConnectionRules, samples) != TcpVerdict.Reject;
        var counters = samples.SessionCounters;
        if (!accepted)
        {
            counters?.Release();
            counters = null;
        }

        return new ConnectionVerdict(accepted, samples.ExpectsProxyHeader, counters, Rewritten(default, socketClient, socketLocal, samples));
    }

    /// <summary><paramref name="connection"/> with the addresses rules set, where they differ from those the rules began with.</summary>
    private static HandshakeOutcome Rewritten(HandshakeOutcome connection, System.Net.EndPoint? client, System.Net.EndPoint? local, SampleContext samples) =>
        ReferenceEquals(samples.ClientEndPoint, client) && ReferenceEquals(samples.LocalEndPoint, local)
            ? connection
            : connection with { ClientEndPoint = samples.ClientEndPoint, LocalEndPoint = samples.LocalEndPoint };

    /// <summary>
    /// `tcp-request session` rules of an HTTP frontend, run once per client connection after its handshakes (TLS,
    /// PROXY header) and before its first request, with the addresses the PROXY header gives. False when a rule
    /// rejects: the connection closes without a log line, as in HAProxy. <paramref name="sessionVariables"/> holds the
    /// session-scope variables the rules set, for the connection's transactions; null when none.
    /// <paramref name="counters"/> holds the connection's tracked counters, those of the connection rules and those
    /// the session rules add; a rejected connection releases them. <paramref name="handshake"/> comes back with the
    /// addresses `set-src`/`set-dst` rules gave the connection.
    /// </summary>
    public static bool RunSessionRules(TransactionContext context, byte[] frontendName, System.Net.Sockets.Socket client, Listeners.Listener listener, ref HandshakeOutcome handshake, out VariableStore? sessionVariables, ref StickCounterSet? counters)
    {
        sessionVariables = null;
        var frontend = context.Frontend;
        using var samples = new SampleContext
        {
            FrontendName = frontendName,
            FrontendId = frontend.Id,
            FrontendCounters = context.Counters,
            Listener = ListenerIdentity.Of(frontend, listener.Bind),
            PayloadComplete = true,
            Proxy = handshake.Proxy,
            Tls = handshake.TlsInfo,
            SessionCounters = counters,
        };
        var (clientBefore, localBefore) = (handshake.ClientOf(client), handshake.LocalOf(client));
        if (clientBefore is null)
        {
            // Closed already.
            counters?.Release();
            return false;
        }

        (samples.ClientEndPoint, samples.LocalEndPoint) = (clientBefore, localBefore);
        var accepted = TcpRuleRunner.Run(frontend.TcpSessionRules, samples) != TcpVerdict.Reject;
        handshake = Rewritten(handshake, clientBefore, localBefore, samples);
        counters = samples.SessionCounters;
        if (!accepted)
        {
            counters?.Release();
            return false;
        }

        if (samples.Variables.HasSessionValues)
        {
            // Allocates: once per connection, only when session rules set variables.
            sessionVariables = new VariableStore();
            sessionVariables.CopySessionFrom(samples.Variables);
        }

        return true;
    }

    /// <summary>The context of the first `use_backend` rule that applies, else the default backend's.</summary>
    public TransactionContext Choose(SampleContext samples)
    {
        foreach (var (context, dynamicName, condition) in _switching)
        {
            samples.ResetScratch();
            if (condition is not null && !condition.Evaluate(samples))
            {
                continue;
            }

            if (context is not null)
            {
                return context;
            }

            if (dynamicName!.TryFindName(samples, _lookup, out var found))
            {
                return found!;
            }
        }

        return Default;
    }
}
