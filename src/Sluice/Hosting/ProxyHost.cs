using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using Sluice.Backends;
using Sluice.Checks;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Listeners;
using Sluice.Timers;
using Sluice.Tls;
using Sluice.Transactions;
using Sluice.Transport;

namespace Sluice.Hosting;

/// <summary>
/// Everything that runs once a configuration is loaded: the listeners of every enabled frontend, the live
/// state of every backend, the heartbeat, and the transactions in flight.
/// </summary>
/// <remarks>
/// The global `maxconn` limits connections only when set: HAProxy derives a default from the file-descriptor
/// limit, which is not done yet.
/// </remarks>
internal sealed class ProxyHost : IAsyncDisposable
{
    private readonly SluiceConfig _config;
    private readonly Heartbeat _heartbeat;
    private readonly List<Listener> _listeners = [];

    /// <summary>The listening sockets, for tests that look at how connections spread over them.</summary>
    internal IReadOnlyList<Listener> Listeners => _listeners;
    private readonly ConcurrentDictionary<ISession, byte> _active = new(ReferenceEqualityComparer.Instance);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<BackendConfig, BackendState> _backends = new(ReferenceEqualityComparer.Instance);
    private readonly List<BackendState> _backendList = [];
    private readonly Dictionary<BackendConfig, HttpBackendContext> _httpBackends = new(ReferenceEqualityComparer.Instance);
    private int _stopping;
    private int _listenersHandedOut;
    private Task? _stopTask;
    private HealthChecks? _checks;
    private readonly Resolvers.ServerResolutions _resolutions = new(Console.Error);
    private readonly Logging.RingForwarder[] _ringForwarders;
    private RuntimeApi.CliServer? _cli;
    private readonly List<Stats.FrontendStats> _frontendStats = [];

    private ProxyHost(SluiceConfig config, TimeProvider timeProvider, ProxyHost? predecessor)
    {
        _config = config;
        // Before any log sender opens its targets: `log ring@NAME` finds its ring.
        var rings = Logging.Ring.Declare(config.Global.Rings);
        _ringForwarders = [.. rings.SelectMany(ring => ring.Config.Servers.Select(server => new Logging.RingForwarder(ring, server, newOnly: predecessor is not null)))];
        _heartbeat = new Heartbeat(timeProvider, Heartbeat.DefaultInterval);
        if (predecessor is not null)
        {
            CarryOverStickTables(config, predecessor._config);
        }

        foreach (var backend in config.Backends)
        {
            var state = new BackendState(backend);
            if (predecessor?._backendList.Find(b => b.Name == backend.Name) is { } before)
            {
                state.CarryOver(before);
            }

            _backends[backend] = state;
            _backendList.Add(state);
            _httpBackends[backend] = new HttpBackendContext(state, config.Global);
            foreach (var server in state.Servers)
            {
                _heartbeat.Register(server.Pool);
            }
        }
    }

    /// <summary>The stick tables of proxies found by name in the running configuration go on with its entries.</summary>
    private static void CarryOverStickTables(SluiceConfig config, SluiceConfig previous)
    {
        foreach (var frontend in config.Frontends)
        {
            if (frontend.StickTable is { } table && previous.Frontends.FirstOrDefault(f => f.Name == frontend.Name)?.StickTable is { } before)
            {
                table.CarryOver(before);
            }
        }

        foreach (var backend in config.Backends)
        {
            if (backend.StickTable is { } table && previous.Backends.FirstOrDefault(b => b.Name == backend.Name)?.StickTable is { } before)
            {
                table.CarryOver(before);
            }
        }
    }

    /// <summary>Completes when the host has stopped: listeners closed and every transaction finished.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The live state of each backend, in configuration order.</summary>
    public IReadOnlyList<BackendState> Backends => _backendList;

    /// <summary>What the stats page, the exporter and the runtime API read; set once the listeners are open.</summary>
    public Sluice.Stats.StatsHub? Stats { get; private set; }

    /// <summary>`grace`: how long a soft stop of this configuration waits, accepting, before it begins; null for not at all.</summary>
    public TimeSpan? Grace => _config.Global.Grace is { } grace && grace > TimeSpan.Zero ? grace : null;

    /// <summary>Client connections in flight (tcp transactions and HTTP sessions).</summary>
    public int ActiveTransactions => _active.Count;

    /// <summary>
    /// Binds every listener of every enabled frontend and starts accepting. On any bind failure adds one alert per
    /// failure, closes what it opened and returns null.
    /// </summary>
    /// <param name="debugOutput">Under `-d`: where one line per finished transaction goes; null otherwise.</param>
    /// <param name="predecessor">At a reload, the running host: binds that would open the same sockets take its
    /// sockets over, and once this host accepts, it stops accepting and lets its transactions finish on the
    /// configuration they began with (bounded by its `hard-stop-after`). Untouched when this host fails to start.</param>
    /// <param name="handedOver">Without a predecessor: listening sockets another process handed over (`-x`),
    /// taken by the binds they match; the others are closed once the host runs.</param>
    public static ProxyHost? Start(SluiceConfig config, DiagnosticBag diagnostics, TextWriter? debugOutput = null, TimeProvider? timeProvider = null, ProxyHost? predecessor = null, InheritedSockets? handedOver = null)
    {
        var host = new ProxyHost(config, timeProvider ?? TimeProvider.System, predecessor);
        var inherited = predecessor is null ? handedOver : new InheritedSockets(predecessor.ListenersSnapshot());
        if (!host.OpenListeners(diagnostics, debugOutput, inherited, predecessor) || (host._cli = RuntimeApi.CliServer.Start(host.Stats!, config.Global, diagnostics, host.HandOutListeners)) is null)
        {
            // Nothing was started: closing only disposes the sockets opened here (the inherited ones are the
            // predecessor's still), so the returned task is already complete.
            foreach (var listener in host._listeners)
            {
                if (inherited?.Taken.Contains(listener.Socket) == true)
                {
                    _ = listener.DetachAsync();
                }
            }

            _ = host.CloseListeners();
            host.DisposeResources();
            return null;
        }

        // HAProxy applies saved server states "before handling traffic".
        ServerStateFile.Load(config.Global, host._backendList, diagnostics.ConfigWarning);
        foreach (var listener in host._listeners)
        {
            listener.Start();
        }

        host._checks = HealthChecks.Start(host._backendList, host._heartbeat, Console.Error, predecessor?._checks, () => [.. host._active.Keys], config.Global);
        host._resolutions.Start(host._backendList);
        host.Stats!.Resolutions = host._resolutions;
        foreach (var forwarder in host._ringForwarders)
        {
            forwarder.Start();
        }

        Sluice.Stats.StatsHub.Current = host.Stats;
        if (predecessor is not null)
        {
            _ = predecessor.RetireAsync(inherited!.Taken);
        }

        handedOver?.CloseUntaken();

        return host;
    }

    private Listener[] ListenersSnapshot()
    {
        lock (_listeners)
        {
            return [.. _listeners];
        }
    }

    /// <summary>
    /// After a reload: stops accepting (leaving the sockets a successor took over open), then stops gracefully
    /// as with SIGUSR1.
    /// </summary>
    private Task RetireAsync(HashSet<System.Net.Sockets.Socket> handedOver)
    {
        lock (_listeners)
        {
            _stopTask ??= StopCoreAsync(_config.Global.HardStopAfter, handedOver);
            return _stopTask;
        }
    }

    /// <summary>
    /// Closes the listeners and lets transactions in flight finish. With `hard-stop-after` the remaining ones are
    /// killed when it expires.
    /// </summary>
    /// <remarks>
    /// Once another process has taken the listening sockets (`_getsocks`, for `-x`), this is its handover: the
    /// sockets stay open for it, and connections finish as at a reload, each after its next response.
    /// </remarks>
    public Task StopGracefullyAsync()
    {
        lock (_listeners)
        {
            _stopTask ??= StopCoreAsync(_config.Global.HardStopAfter, Volatile.Read(ref _listenersHandedOut) != 0 ? [.. _listeners.Select(l => l.Socket)] : null);
            return _stopTask;
        }
    }

    /// <summary>The listeners, for another process that takes their sockets over (`_getsocks`).</summary>
    private IReadOnlyList<Listener> HandOutListeners()
    {
        Volatile.Write(ref _listenersHandedOut, 1);
        return ListenersSnapshot();
    }

    /// <summary>Closes the listeners and kills every transaction at once.</summary>
    public void StopNow()
    {
        lock (_listeners)
        {
            _stopTask ??= StopCoreAsync(TimeSpan.Zero);
        }

        KillAll();
    }

    public async ValueTask DisposeAsync()
    {
        StopNow();
        await Completion.ConfigureAwait(false);
    }

    private async Task StopCoreAsync(TimeSpan? hardStopAfter, HashSet<System.Net.Sockets.Socket>? handedOver = null)
    {
        Volatile.Write(ref _stopping, 1);
        Stats?.Stopping = true;
        await CloseListeners(handedOver).ConfigureAwait(false);
        var spread = _config.Global.CloseSpreadTime;
        foreach (var pair in _active)
        {
            if (pair.Key is HttpSession http && (handedOver is not null || http.IdleCloseOnResponse))
            {
                http.RetireAfterNextResponse();
            }
            else if (spread == Timeout.InfiniteTimeSpan)
            {
                // `close-spread-time infinite`: connections end by their own timeouts, as a client or a server ends them.
            }
            else if (spread is { } window && window > TimeSpan.Zero)
            {
                var session = pair.Key;
                _ = Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * window.TotalMilliseconds), _heartbeat.TimeProvider)
                    .ContinueWith(_ => session.RequestStop(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            else
            {
                pair.Key.RequestStop();
            }
        }

        if (_active.IsEmpty)
        {
            _drained.TrySetResult();
        }

        if (hardStopAfter is { } limit)
        {
            if (limit > TimeSpan.Zero)
            {
                var expired = Task.Delay(limit, _heartbeat.TimeProvider);
                await Task.WhenAny(_drained.Task, expired).ConfigureAwait(false);
            }

            KillAll();
        }

        await _drained.Task.ConfigureAwait(false);
        DisposeResources();
        _completion.TrySetResult();
    }

    private void KillAll()
    {
        foreach (var pair in _active)
        {
            pair.Key.Kill();
        }
    }

    private bool OpenListeners(DiagnosticBag diagnostics, TextWriter? debugOutput, InheritedSockets? inherited, ProxyHost? predecessor)
    {
        var global = _config.Global;
        var globalLimit = ConnectionLimit.Create(global.MaxConn);
        // HAProxy's default `maxpipes` is a quarter of `maxconn`.
        Transport.SplicePipes.Configure(global.MaxPipes > 0 ? global.MaxPipes : global.MaxConn / 4, global.PipeSize);
        var process = new ProcessAcceptLimits(global);
        var buffers = new BufferPool(global.BufSize);
        var ok = true;
        var opened = new List<OpenedSocket>();
        foreach (var frontend in _config.Frontends)
        {
            if (frontend.Disabled)
            {
                continue;
            }

            var backend = frontend.DefaultBackend is { } be && _backends.TryGetValue(be, out var state) ? state : null;
            var context = new TransactionContext(frontend, backend, _heartbeat, buffers, OnSessionFinished, debugOutput)
            {
                Log = frontend.Log is { } log ? new Sluice.Logging.LogSender(log) : null,
                Resolutions = _resolutions,
                OnEventLoops = Transport.EventLoop.Usable(global.NoEpoll),

                // At a reload the frontend of the same name goes on counting where the running one is.
                Counters = predecessor?._frontendStats.Find(f => f.Name == frontend.Name)?.Counters ?? new(),
            };
            StartSession start = frontend.Mode == ProxyMode.Http
                ? StartHttp(new HttpFrontendContext(context, _httpBackends, global))
                : StartTcp(context);
            var frontendLimit = ConnectionLimit.Create(frontend.MaxConn);
            var frontendName = System.Text.Encoding.Latin1.GetBytes(frontend.Name);
            var frontendStats = new Sluice.Stats.FrontendStats(frontend, context.Counters, frontendLimit, globalLimit);
            _frontendStats.Add(frontendStats);
            var previousListeners = predecessor?._frontendStats.Find(f => f.Name == frontend.Name)?.Listeners;
            foreach (var bind in frontend.Binds)
            {
                opened.Clear();
                var backlog = ListenerFactory.Backlog(bind, frontend, global);
                if (!ListenerFactory.TryOpen(bind, frontend, global, backlog, opened, diagnostics, inherited))
                {
                    ok = false;
                }

                // One bind `maxconn` covers all the sockets of its line.
                var bindLimit = ConnectionLimit.Create(bind.MaxConn);
                ConnectionLimit?[] limits = [bindLimit, frontendLimit, globalLimit, bind.Tls is null ? null : process.TlsSlots];
                foreach (var socket in opened)
                {
                    var counters = context.Counters;
                    if (frontend.SocketStats)
                    {
                        // HAProxy numbers listeners from 1 in the order of their bind lines and names them `sock-N`.
                        var id = frontendStats.Listeners.Count + 1;
                        var name = bind.Name ?? $"sock-{id}";
                        var listenerStats = previousListeners?.Find(l => l.Id == id && l.Name == name && l.Address == socket.EndPointText)
                            ?? new Sluice.Stats.ListenerStats(name, id, socket.EndPointText, bind.MaxConn ?? 0, new Sluice.Stats.TrafficCounters { Parent = context.Counters });
                        frontendStats.Listeners.Add(listenerStats);
                        counters = listenerStats.Counters;
                    }

                    _listeners.Add(new Listener(
                        socket.Socket, bind, socket.EndPointText, limits, (client, listener) => Accept(context, frontendName, start, client, listener),
                        ListenerFactory.AcceptLoopsPerSocket(bind, global), socket.Key)
                    {
                        Counters = counters,
                        Gate = frontendStats.Gate,
                        Process = process,
                        SessionRateLimit = frontend.SessionRateLimit,
                    });
                }
            }
        }

        Stats = new Sluice.Stats.StatsHub(global, _frontendStats, _backendList, globalLimit)
        {
            Sessions = () => [.. _active.Keys],
            Accept = process,
            Patterns = _config.Patterns,
        };
        return ok;
    }

    /// <summary>
    /// Starts the session of an accepted connection once its handshakes are done (PROXY header, TLS) and registers
    /// it; null when `tcp-request connection` rules refused the connection (closed, slot given back).
    /// <c>counters</c> are those the connection rules tracked, which the session then owns.
    /// </summary>
    private delegate ISession? StartSession(Socket client, Listener listener, HandshakeOutcome handshake, Sluice.Backends.StickCounterSet? counters);

    private StartSession StartTcp(TransactionContext context)
    {
        var rules = new TcpFrontendContext(context, _backends);
        return (client, listener, handshake, counters) => StartTcp(context, client, listener, rules, handshake, counters);
    }

    private Transaction StartTcp(TransactionContext context, Socket client, Listener listener, TcpFrontendContext rules, HandshakeOutcome handshake, Sluice.Backends.StickCounterSet? counters)
    {
        // Runs on the accept loop (or at the end of a handshake). A stop awaits the accept loops before it looks for
        // transactions in flight, so a transaction registered here is always waited for (or killed).
        var transaction = new Transaction(context, client, listener, rules, handshake, ConnectionRulesRunAtAccept(context.Frontend, listener.Bind), counters);
        _active.TryAdd(transaction, 0);
        _ = transaction.RunAsync();
        return transaction;
    }

    /// <summary>
    /// `proto h2` on the bind line, or `h2` negotiated by ALPN (of the TLS handshake, else of the PROXY v2 header),
    /// starts HTTP/2 at once; otherwise the HTTP/1 session starts, and on cleartext without an ALPN hands the
    /// connection to HTTP/2 itself when the first bytes are the HTTP/2 preface (unless `proto h1` forbids it).
    /// </summary>
    private StartSession StartHttp(HttpFrontendContext context) => (client, listener, handshake, counters) =>
    {
        Sluice.Rules.Samples.VariableStore? sessionVariables = null;
        if (context.Frontend.TcpSessionRules.Count > 0
            && !TcpFrontendContext.RunSessionRules(context.Shared, context.FrontendNameBytes, client, listener, ref handshake, out sessionVariables, ref counters))
        {
            (listener.Counters ?? context.Shared.Counters).OnSessionDenied();
            handshake.Tls?.Dispose();
            client.Dispose();
            listener.ReleaseSlot();
            return null;
        }

        counters?.CountSessions(Environment.TickCount64);
        var proto = listener.Bind.Proto;
        if (string.Equals(proto, "h2", StringComparison.Ordinal) || (proto is null && handshake.NegotiatedH2))
        {
            var http2 = new Http2Session(context, new SocketDuplex(client, context.Shared.Memory, waitWithoutBuffer: true, context.Shared.OnEventLoops, tls: handshake.Tls, tlsInfo: handshake.TlsInfo, proxy: handshake.Proxy,
                rewritten: (handshake.ClientEndPoint, handshake.LocalEndPoint)), listener)
            {
                SessionVariables = sessionVariables,
                SessionCounters = counters,
                HandshakeMs = handshake.HandshakeMs,
            };
            _active.TryAdd(http2, 0);
            _ = http2.RunAsync();
            return http2;
        }

        var session = new HttpSession(context, client, listener, handshake, sessionVariables, counters);
        _active.TryAdd(session, 0);
        _ = session.RunAsync();
        return session;
    };

    /// <summary>
    /// True when `tcp-request connection` rules run as the connection is accepted rather than in its tcp
    /// transaction: always for HTTP frontends; for tcp frontends when a handshake (TLS, PROXY) comes first, as the
    /// rules come before it in HAProxy: a refused client costs no handshake, and they see the real addresses.
    /// </summary>
    private static bool ConnectionRulesRunAtAccept(FrontendConfig frontend, BindConfig bind) =>
        frontend.Mode == ProxyMode.Http || bind.Tls is not null || bind.AcceptProxy || frontend.ExpectsProxyHeader;

    /// <summary>
    /// An accepted connection: `tcp-request connection` rules, then the handshakes the bind line or the rules ask
    /// for, run off the accept loop, then its session.
    /// </summary>
    private void Accept(TransactionContext context, byte[] frontendName, StartSession start, Socket client, Listener listener)
    {
        if (context.Frontend.ClientKeepAlive is { } keepAlive)
        {
            Transport.SocketOptions.EnableKeepAlive(client, keepAlive);
        }

        if (context.Frontend.NoLinger)
        {
            Transport.SocketOptions.ResetOnClose(client);
        }

        var bind = listener.Bind;
        var expectProxy = bind.AcceptProxy;
        Sluice.Backends.StickCounterSet? counters = null;
        HandshakeOutcome rewritten = default;
        if (ConnectionRulesRunAtAccept(context.Frontend, bind))
        {
            var verdict = TcpFrontendContext.RunConnectionRules(context, frontendName, client, listener);
            if (!verdict.Accepted)
            {
                // HAProxy closes a connection its connection rules refuse with a reset.
                (listener.Counters ?? context.Counters).OnConnectionDenied();
                Transport.SocketOptions.ResetOnClose(client);
                client.Dispose();
                listener.ReleaseSlot();
                return;
            }

            expectProxy |= verdict.ExpectProxy;
            counters = verdict.Counters;
            rewritten = verdict.Addresses;
        }

        if (bind.Tls is null && !expectProxy)
        {
            start(client, listener, rewritten, counters);
            return;
        }

        var handshake = new HandshakeSession(client, listener, bind.Tls, expectProxy, context);
        _active.TryAdd(handshake, 0);
        _ = CompleteHandshakeAsync(handshake, client, listener, start, counters, rewritten);
    }

    /// <param name="rewritten">The addresses connection rules gave the connection; a PROXY header's replace them.</param>
    private async Task CompleteHandshakeAsync(HandshakeSession handshake, Socket client, Listener listener, StartSession start, Sluice.Backends.StickCounterSet? counters, HandshakeOutcome rewritten)
    {
        HandshakeOutcome? established = null;
        try
        {
            established = await handshake.RunAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug must end this connection, not the process.
        }

        if (established is not { } done)
        {
            counters?.Release();
            client.Dispose();
            OnSessionFinished(handshake);
            listener.ReleaseSlot();
            return;
        }

        if (done.Proxy is not { HasAddresses: true })
        {
            done = done with { ClientEndPoint = rewritten.ClientEndPoint, LocalEndPoint = rewritten.LocalEndPoint };
        }

        var session = start(client, listener, done, counters);
        if (session is not null && Volatile.Read(ref _stopping) != 0)
        {
            session.RequestStop();
        }

        OnSessionFinished(handshake);
    }

    private void OnSessionFinished(ISession session)
    {
        _active.TryRemove(session, out _);
        if (Volatile.Read(ref _stopping) != 0 && _active.IsEmpty)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>
    /// Closes every listener, but only detaches those whose socket a successor took over; the task ends when their
    /// accept loops have returned their slots.
    /// </summary>
    private Task CloseListeners(HashSet<System.Net.Sockets.Socket>? handedOver = null)
    {
        var loops = new Task[_listeners.Count];
        for (var i = 0; i < loops.Length; i++)
        {
            var listener = _listeners[i];
            loops[i] = handedOver?.Contains(listener.Socket) == true ? listener.DetachAsync() : listener.CloseAsync();
        }

        return Task.WhenAll(loops);
    }

    private void DisposeResources()
    {
        _checks?.Stop();
        _resolutions.Stop();
        foreach (var forwarder in _ringForwarders)
        {
            forwarder.Dispose();
        }

        _cli?.Stop();
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        foreach (var backend in _backendList)
        {
            foreach (var server in backend.Servers)
            {
                server.Pool.Clear();
            }
        }

        _heartbeat.Dispose();
    }
}
