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
    private readonly ConcurrentDictionary<ISession, byte> _active = new(ReferenceEqualityComparer.Instance);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<BackendConfig, BackendState> _backends = new(ReferenceEqualityComparer.Instance);
    private readonly List<BackendState> _backendList = [];
    private readonly Dictionary<BackendConfig, HttpBackendContext> _httpBackends = new(ReferenceEqualityComparer.Instance);
    private int _stopping;
    private Task? _stopTask;
    private HealthChecks? _checks;

    private ProxyHost(SluiceConfig config, TimeProvider timeProvider)
    {
        _config = config;
        _heartbeat = new Heartbeat(timeProvider, Heartbeat.DefaultInterval);
        foreach (var backend in config.Backends)
        {
            var state = new BackendState(backend);
            _backends[backend] = state;
            _backendList.Add(state);
            _httpBackends[backend] = new HttpBackendContext(state, config.Global);
            foreach (var server in state.Servers)
            {
                _heartbeat.Register(server.Pool);
            }
        }
    }

    /// <summary>Completes when the host has stopped: listeners closed and every transaction finished.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The live state of each backend, in configuration order.</summary>
    public IReadOnlyList<BackendState> Backends => _backendList;

    /// <summary>Client connections in flight (tcp transactions and HTTP sessions).</summary>
    public int ActiveTransactions => _active.Count;

    /// <summary>
    /// Binds every listener of every enabled frontend and starts accepting. On any bind failure adds one alert per
    /// failure, closes what it opened and returns null.
    /// </summary>
    /// <param name="debugOutput">Under `-d`: where one line per finished transaction goes; null otherwise.</param>
    public static ProxyHost? Start(SluiceConfig config, DiagnosticBag diagnostics, TextWriter? debugOutput = null, TimeProvider? timeProvider = null)
    {
        var host = new ProxyHost(config, timeProvider ?? TimeProvider.System);
        if (!host.OpenListeners(diagnostics, debugOutput))
        {
            // Nothing was started: closing only disposes the sockets, so the returned task is already complete.
            _ = host.CloseListeners();
            host.DisposeResources();
            return null;
        }

        foreach (var listener in host._listeners)
        {
            listener.Start();
        }

        host._checks = HealthChecks.Start(host._backendList, host._heartbeat, Console.Error);
        return host;
    }

    /// <summary>
    /// Closes the listeners and lets transactions in flight finish. With `hard-stop-after` the remaining ones are
    /// killed when it expires.
    /// </summary>
    public Task StopGracefullyAsync()
    {
        lock (_listeners)
        {
            _stopTask ??= StopCoreAsync(_config.Global.HardStopAfter);
            return _stopTask;
        }
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

    private async Task StopCoreAsync(TimeSpan? hardStopAfter)
    {
        Volatile.Write(ref _stopping, 1);
        await CloseListeners().ConfigureAwait(false);
        foreach (var pair in _active)
        {
            pair.Key.RequestStop();
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

    private bool OpenListeners(DiagnosticBag diagnostics, TextWriter? debugOutput)
    {
        var global = _config.Global;
        var globalLimit = ConnectionLimit.Create(global.MaxConn);
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
            };
            StartSession start = frontend.Mode == ProxyMode.Http
                ? StartHttp(new HttpFrontendContext(context, _httpBackends, global))
                : StartTcp(context);
            var frontendLimit = ConnectionLimit.Create(frontend.MaxConn);
            foreach (var bind in frontend.Binds)
            {
                opened.Clear();
                var backlog = ListenerFactory.Backlog(bind, frontend, global);
                if (!ListenerFactory.TryOpen(bind, frontend, backlog, opened, diagnostics))
                {
                    ok = false;
                }

                // One bind `maxconn` covers all the sockets of its line.
                var bindLimit = ConnectionLimit.Create(bind.MaxConn);
                ConnectionLimit?[] limits = [bindLimit, frontendLimit, globalLimit];
                foreach (var socket in opened)
                {
                    _listeners.Add(new Listener(socket.Socket, bind, socket.EndPointText, limits, bind.Tls is { } terminator
                        ? (client, listener) => AcceptTls(context, terminator, client, listener, start)
                        : (client, listener) => start(client, listener, null, null))
                    {
                        FrontendConnections = context.FrontendConnections,
                    });
                }
            }
        }

        return ok;
    }

    /// <summary>
    /// Starts the session of an accepted connection (after its TLS handshake on an `ssl` bind) and registers it;
    /// null when `tcp-request connection` rules refused the connection (closed, slot given back).
    /// </summary>
    private delegate ISession? StartSession(Socket client, Listener listener, SslStream? tls, TlsConnectionInfo? tlsInfo);

    private StartSession StartTcp(TransactionContext context)
    {
        var rules = new TcpFrontendContext(context, _backends);
        return (client, listener, tls, _) => StartTcp(context, client, listener, rules, tls);
    }

    private Transaction StartTcp(TransactionContext context, Socket client, Listener listener, TcpFrontendContext rules, SslStream? tls)
    {
        // Runs on the accept loop (or at the end of a handshake). A stop awaits the accept loops before it looks for
        // transactions in flight, so a transaction registered here is always waited for (or killed).
        var transaction = new Transaction(context, client, listener, rules, tls);
        _active.TryAdd(transaction, 0);
        _ = transaction.RunAsync();
        return transaction;
    }

    /// <summary>
    /// `proto h2` on the bind line, or `h2` negotiated by ALPN, starts HTTP/2 at once; otherwise the HTTP/1 session
    /// starts, and on cleartext hands the connection to HTTP/2 itself when the first bytes are the HTTP/2 preface
    /// (unless `proto h1` forbids it).
    /// </summary>
    private StartSession StartHttp(HttpFrontendContext context) => (client, listener, tls, tlsInfo) =>
    {
        if (tls is null && !TcpFrontendContext.AcceptsConnection(context.Frontend, context.FrontendNameBytes, client))
        {
            client.Dispose();
            listener.ReleaseSlot();
            return null;
        }

        var proto = listener.Bind.Proto;
        if (string.Equals(proto, "h2", StringComparison.Ordinal) || (proto is null && tlsInfo is { IsH2: true }))
        {
            var http2 = new Http2Session(context, new SocketDuplex(client, context.Shared.Memory, waitWithoutBuffer: true, tls: tls, tlsInfo: tlsInfo), listener);
            _active.TryAdd(http2, 0);
            _ = http2.RunAsync();
            return http2;
        }

        var session = new HttpSession(context, client, listener, tls, tlsInfo);
        _active.TryAdd(session, 0);
        _ = session.RunAsync();
        return session;
    };

    /// <summary>
    /// Runs the TLS handshake of an accepted connection off the accept loop, then starts its session. The handshake
    /// counts as a session of its own for stops; the session it starts is registered before it leaves.
    /// </summary>
    private void AcceptTls(TransactionContext context, TlsTerminator terminator, Socket client, Listener listener, StartSession start)
    {
        // `tcp-request connection` rules come before the handshake, as in HAProxy: a refused client costs no TLS work.
        if (!TcpFrontendContext.AcceptsConnection(context.Frontend, context.FrontendNameBytes, client))
        {
            client.Dispose();
            listener.ReleaseSlot();
            return;
        }

        var handshake = new TlsHandshakeSession(client, listener, terminator, context);
        _active.TryAdd(handshake, 0);
        _ = CompleteHandshakeAsync(handshake, client, listener, start);
    }

    private async Task CompleteHandshakeAsync(TlsHandshakeSession handshake, Socket client, Listener listener, StartSession start)
    {
        (SslStream Stream, TlsConnectionInfo Info)? established = null;
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
            client.Dispose();
            OnSessionFinished(handshake);
            listener.ReleaseSlot();
            return;
        }

        var session = start(client, listener, done.Stream, done.Info);
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

    /// <summary>Closes every listener; the task ends when their accept loops have returned their slots.</summary>
    private Task CloseListeners()
    {
        var loops = new Task[_listeners.Count];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = _listeners[i].CloseAsync();
        }

        return Task.WhenAll(loops);
    }

    private void DisposeResources()
    {
        _checks?.Stop();
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
