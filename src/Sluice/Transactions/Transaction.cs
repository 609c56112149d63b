using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Sluice.Backends;
using Sluice.Listeners;
using Sluice.Mux.Tcp;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Transactions;

/// <summary>
/// One mode tcp transaction (HAProxy's "stream"): picks a server, connects with retries and redispatch, runs the
/// tunnel, and records how it ended (<see cref="Cause"/>, <see cref="Phase"/>), its timers (Tw, Tc, Tt in
/// milliseconds, -1 when the step was not reached) and its byte counts, for the log layer to render.
/// </summary>
/// <remarks>
/// Threading: <see cref="RunAsync"/> owns every field except the few the heartbeat thread and
/// <see cref="Kill"/> touch: <c>_state</c>, <c>_tunnel</c> and <c>_pendingCause</c>, read and written with
/// <see cref="Volatile"/>, and the dialer, which guards its own.
/// </remarks>
internal sealed class Transaction : ISession, IHeartbeatTarget
{
    private const int StateIdle = 0;
    private const int StateConnecting = 1;
    private const int StateTunnel = 2;
    private const int StateDone = 3;
    private const int StateQueued = 4;

    private TransactionContext _context;
    private readonly TcpFrontendContext? _rules;
    private readonly Socket _client;
    private readonly SslStream? _clientTls;
    private readonly Sluice.Tls.TlsConnectionInfo? _clientTlsInfo;
    private readonly Listener? _listener;
    private readonly long _acceptMs;
    private readonly long _handshakeMs;
    private readonly bool _connectionRulesDone;

    /// <summary>The counters the rules track (`track-scN`), held until the connection ends; null when none.</summary>
    private Backends.StickCounterSet? _counters;
    private Rules.Samples.SampleContext? _ruleSamples;

    private readonly ServerDialer _dialer = new();
    private readonly QueueWaiter _waiter = new();
    private int _state;
    private TcpTunnelMux? _tunnel;
    private int _pendingCause;

    private ServerState? _server;

    /// <param name="handshake">What the handshakes established: the client's TLS stream on an `ssl` bind (TLS
    /// offload), whose decrypted bytes rules and the tunnel see, and the PROXY header, whose addresses stand for the
    /// connection's.</param>
    /// <param name="connectionRulesDone">The `tcp-request connection` rules already ran as the connection was accepted.</param>
    /// <param name="counters">What those rules tracked; the transaction releases them as it ends.</param>
    public Transaction(TransactionContext context, Socket client, Listener? listener, TcpFrontendContext? rules = null, HandshakeOutcome handshake = default, bool connectionRulesDone = false, Backends.StickCounterSet? counters = null)
    {
        _counters = counters;
        _context = context;
        _rules = rules is { HasRules: true } ? rules : null;
        _client = client;
        _clientTls = handshake.Tls;
        _clientTlsInfo = handshake.TlsInfo;
        _listener = listener;
        _connectionRulesDone = connectionRulesDone;
        // The connection dates from its accept: its handshakes (TLS, PROXY) took `Th` before this.
        _handshakeMs = handshake.HandshakeMs;
        _acceptMs = context.Clock.Refresh() - _handshakeMs;
        Proxy = handshake.Proxy;
        ClientEndPoint = handshake.ClientOf(client);
        LocalEndPoint = handshake.LocalOf(client);
    }

    /// <summary>The PROXY header the client connection began with; null without one.</summary>
    public Sluice.Protocols.ProxyProtocol.ProxyHeader? Proxy { get; }

    /// <summary>Our address as the client reached it (the PROXY header's destination when there is one).</summary>
    public EndPoint? LocalEndPoint { get; private set; }

    public string FrontendName => _context.Frontend.Name;

    public SessionInfo Info => new(FrontendName, BackendName, ServerName, ClientEndPoint);

    public string BackendName => _context.Backend?.Name ?? "<NOSRV>";

    /// <summary>The server that carried the transaction, or `&lt;NOSRV&gt;` when none was reached.</summary>
    public string ServerName { get; private set; } = "<NOSRV>";

    public EndPoint? ClientEndPoint { get; private set; }

    public TerminationCause Cause { get; private set; }

    public TerminationPhase Phase { get; private set; }

    public string TerminationCode => TerminationCodes.Render(Cause, Phase);

    /// <summary>
    /// Time from the accept until a server slot was taken (handshakes, content inspection and queues, as HAProxy's
    /// tcp `Tw`), -1 when no server was looked for.
    /// </summary>
    public long Tw { get; private set; } = -1;

    /// <summary>Connections ahead of this one in the server's queue when it entered it (log `srv_queue`).</summary>
    public int ServerQueuePosition { get; private set; }

    /// <summary>Connections ahead of this one in the backend's queue when it entered it (log `backend_queue`).</summary>
    public int BackendQueuePosition { get; private set; }

    /// <summary>Time to establish the server connection, retries included; -1 when never established.</summary>
    public long Tc { get; private set; } = -1;

    /// <summary>Total time from accept to the end.</summary>
    public long Tt { get; private set; } = -1;

    /// <summary>Bytes read from the client and sent to the server.</summary>
    public long BytesFromClient { get; private set; }

    /// <summary>Bytes read from the server and sent to the client (HAProxy's `bytes_read` in the log).</summary>
    public long BytesFromServer { get; private set; }

    /// <summary>Connection attempts after the first one, redispatches included.</summary>
    public int Retries { get; private set; }

    /// <summary>A `tcp-response content reject` rule refused the server's answer (counted as a denied response).</summary>
    public bool ResponseDenied { get; private set; }

    /// <summary>A `tcp-request session` rule refused the session: counted as a denied session and not logged.</summary>
    public bool SessionDenied { get; private set; }

    public bool Redispatched { get; private set; }

    public async Task RunAsync()
    {
        _context.Log?.EmitConnect(ClientEndPoint, LocalEndPoint, _context.FrontendNameBytes);
        _context.Clock.Register(this);
        try
        {
            await RunCoreAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug must end this transaction, not the process.
            SetEnd(TerminationCause.Internal, Phase == TerminationPhase.None ? TerminationPhase.Data : Phase);
        }
        finally
        {
            Volatile.Write(ref _state, StateDone);
            _context.Clock.Unregister(this);
            Finish();
        }
    }

    /// <summary>A tunnel runs until one side ends it; a soft stop lets it.</summary>
    public void RequestStop()
    {
    }

    /// <summary>Ends the transaction at once (hard stop): the outcome is `K` in the current phase.</summary>
    public void ShutdownStreamsOn(ServerState server, TerminationCause cause)
    {
        if (Volatile.Read(ref _server) == server)
        {
            Kill(cause);
        }
    }

    public void Kill() => Kill(TerminationCause.Killed);

    private void Kill(TerminationCause cause)
    {
        Interlocked.CompareExchange(ref _pendingCause, (int)cause, 0);
        _waiter.Owner?.Cancel(_waiter, QueueOutcome.Aborted);
        _dialer.Kill();
        Volatile.Read(ref _tunnel)?.Abort();
        _client.Dispose();
    }

    public void OnHeartbeat(long nowMs)
    {
        switch (Volatile.Read(ref _state))
        {
            case StateConnecting:
                // A redispatched connection may wait in the queue again (every other server full): `timeout queue`.
                CheckQueueWait(nowMs);
                _dialer.OnHeartbeat(nowMs);
                break;

            case StateQueued:
                CheckQueueWait(nowMs);
                break;

            case StateTunnel:
                if (Volatile.Read(ref _tunnel) is not { } tunnel)
                {
                    break;
                }

                var idle = nowMs - tunnel.LastActivityMs;
                var halfClosed = tunnel.IsHalfClosed;
                var clientLimit = halfClosed ? _context.ClientFinMs : _context.ClientMs;
                var serverLimit = halfClosed ? _context.ServerFinMs : _context.ServerMs;
                if (clientLimit != TransactionContext.Infinite && idle >= clientLimit)
                {
                    Interlocked.CompareExchange(ref _pendingCause, (int)TerminationCause.ClientTimeout, 0);
                    tunnel.Abort();
                }
                else if (serverLimit != TransactionContext.Infinite && idle >= serverLimit)
                {
                    Interlocked.CompareExchange(ref _pendingCause, (int)TerminationCause.ServerTimeout, 0);
                    tunnel.Abort();
                }

                break;
        }
    }

    private async Task RunCoreAsync()
    {
        byte[]? inspected = null;
        var inspectedLength = 0;
        try
        {
            if (_rules is { } rules)
            {
                (var accepted, inspected, inspectedLength) = await ApplyRulesAsync(rules).ConfigureAwait(false);
                if (!accepted)
                {
                    return;
                }
            }

            await ConnectAndTunnelAsync(inspected.AsMemory(0, inspectedLength)).ConfigureAwait(false);
        }
        finally
        {
            if (inspected is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(inspected);
            }
        }
    }

    /// <summary>
    /// `tcp-request connection` rules, then `tcp-request content` rules on the first bytes (read for up to
    /// `tcp-request inspect-delay` while a rule needs more), then the `use_backend` rules. Returns whether the
    /// connection goes on, and the bytes read, which go to the server first.
    /// </summary>
    private async Task<(bool Accepted, byte[]? Buffer, int Length)> ApplyRulesAsync(TcpFrontendContext rules)
    {
        // Kept until the transaction ends: in a tunnel the counters the rules track (`track-scN`) last as long as it.
        var samples = new Rules.Samples.SampleContext
        {
            ClientEndPoint = ClientEndPoint,
            LocalEndPoint = LocalEndPoint,
            Proxy = Proxy,
            FrontendName = rules.FrontendName,
            FrontendId = _context.Frontend.Id,
            FrontendCounters = _context.Counters,
            Listener = Rules.Samples.ListenerIdentity.Of(_context.Frontend, _listener?.Bind),
            FindBackend = rules.FindBackend,
            PayloadComplete = true,
            SessionCounters = _counters,
        };
        _ruleSamples = samples;
        try
        {
            return await ApplyRulesAsync(rules, samples).ConfigureAwait(false);
        }
        finally
        {
            // `set-src`, `set-dst` and their port forms: the tunnel's addresses from now on (log, `balance source`,
            // the PROXY header and `usesrc` towards the server), as in haproxy.
            ClientEndPoint = samples.ClientEndPoint;
            LocalEndPoint = samples.LocalEndPoint;
            _counters = samples.SessionCounters;
            samples.ReleaseBuffers();
        }
    }

    private async Task<(bool Accepted, byte[]? Buffer, int Length)> ApplyRulesAsync(TcpFrontendContext rules, Rules.Samples.SampleContext samples)
    {
        // Before a handshake (TLS, PROXY) the connection rules already ran as the connection was accepted.
        if (!_connectionRulesDone && Rules.Actions.TcpRuleRunner.Run(rules.ConnectionRules, samples) == Rules.Actions.TcpVerdict.Reject)
        {
            SetEnd(TerminationCause.ProxyCondition, TerminationPhase.Request);
            return (false, null, 0);
        }

        // `tcp-request session` rules: after the handshakes, before any content is read. A refused session is a
        // denied session (`dses`), not logged, as in HAProxy.
        samples.Tls = _clientTlsInfo;
        if (Rules.Actions.TcpRuleRunner.Run(rules.SessionRules, samples) == Rules.Actions.TcpVerdict.Reject)
        {
            SessionDenied = true;
            SetEnd(TerminationCause.ProxyCondition, TerminationPhase.Request);
            return (false, null, 0);
        }

        samples.SessionCounters?.CountSessions(Environment.TickCount64);

        var (accepted, buffer, length) = await InspectAsync(rules.ContentRules, rules.InspectDelayMs, samples, null, 0).ConfigureAwait(false);
        if (!accepted)
        {
            return (false, buffer, 0);
        }

        samples.PayloadComplete = true;
        _context = rules.Choose(samples);

        // The chosen backend's `tcp-request content` rules, within its own `tcp-request inspect-delay`, on the bytes
        // read so far and what more they wait for.
        if (_context.Backend is { Config.TcpContentRules: { Count: > 0 } backendRules } backend)
        {
            samples.Backend = backend;
            (accepted, buffer, length) = await InspectAsync(backendRules, (long)backend.Config.InspectDelay.TotalMilliseconds, samples, buffer, length).ConfigureAwait(false);
            if (!accepted)
            {
                return (false, buffer, 0);
            }

            samples.PayloadComplete = true;
        }

        return (true, buffer, length);
    }

    /// <summary>
    /// `tcp-request content` rules on the client's first bytes: run again as bytes come, for up to
    /// <paramref name="delayMs"/> while no rule decides. Returns whether the connection goes on, with the buffer of
    /// what was read (rented here when <paramref name="buffer"/> is null and rules need one).
    /// </summary>
    private async Task<(bool Accepted, byte[]? Buffer, int Length)> InspectAsync(IReadOnlyList<Rules.Actions.TcpRule> rules, long delayMs, Rules.Samples.SampleContext samples, byte[]? buffer, int length)
    {
        if (rules.Count == 0)
        {
            return (true, buffer, length);
        }

        buffer ??= System.Buffers.ArrayPool<byte>.Shared.Rent(_context.Buffers.BufferSize);
        var deadline = _context.Clock.Refresh() + delayMs;
        samples.PayloadComplete = delayMs <= 0;
        while (true)
        {
            samples.RequestPayload = new System.Buffers.ReadOnlySequence<byte>(buffer, 0, length);
            samples.PayloadCapacity = buffer.Length;

            // Later bytes run the rules all again, `do-resolve` ones included.
            var verdict = await RuleResolution.RunContentRulesAsync(rules, samples, _context.Resolutions, mayWait: delayMs > 0).ConfigureAwait(false);
            if (verdict == Rules.Actions.TcpVerdict.Reject)
            {
                SetEnd(TerminationCause.ProxyCondition, TerminationPhase.Request);
                return (false, buffer, length);
            }

            if (verdict == Rules.Actions.TcpVerdict.Accept)
            {
                return (true, buffer, length);
            }

            var remaining = deadline - _context.Clock.Refresh();
            if (remaining <= 0 || length == buffer.Length)
            {
                samples.PayloadComplete = true;
                continue;
            }

            var read = await ReceiveWithinAsync(buffer.AsMemory(length), remaining).ConfigureAwait(false);
            if (read < 0 && IsKilled)
            {
                SetEnd(TerminationCause.Killed, TerminationPhase.Request);
                return (false, buffer, length);
            }

            if (read <= 0)
            {
                // The delay ran out, or the client will send nothing more: the rules decide on what came.
                samples.PayloadComplete = true;
            }
            else
            {
                length += read;
            }
        }
    }

    /// <summary>A server's `sni EXPR` for this tunnel, from what the connection knows (addresses, PROXY header, TLS: `ssl_fc_sni`).</summary>
    private string ServerNameOf(Rules.Samples.SampleExpression sni)
    {
        using var samples = new Rules.Samples.SampleContext
        {
            ClientEndPoint = ClientEndPoint,
            LocalEndPoint = LocalEndPoint,
            Proxy = Proxy,
            Tls = _clientTlsInfo,
        };
        return ServerDialer.ServerNameOf(sni, samples);
    }

    /// <summary>Reads what the client sends within <paramref name="timeoutMs"/>: the count, 0 at its end, -1 when the time ran out or the socket failed.</summary>
    private async Task<int> ReceiveWithinAsync(Memory<byte> buffer, long timeoutMs)
    {
        try
        {
            return await TimedReceive.WithinAsync(_client, _clientTls, buffer, timeoutMs).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
            return -1;
        }
    }

    private async Task ConnectAndTunnelAsync(ReadOnlyMemory<byte> clientData)
    {
        var backend = _context.Backend;
        if (backend is null)
        {
            // No backend to send the connection to: the proxy ends it on its own.
            SetEnd(TerminationCause.ProxyCondition, TerminationPhase.Request);
            return;
        }

        backend.CountTransaction();
        var clientAddress = (ClientEndPoint as IPEndPoint)?.Address;
        var server = await AssignServerAsync(backend, clientAddress).ConfigureAwait(false);
        if (server is null)
        {
            return;
        }

        SetServer(server);
        var connectStart = _context.Clock.Refresh();
        Volatile.Write(ref _state, StateConnecting);
        _dialer.Origin = new ProxyOrigin(ClientEndPoint, LocalEndPoint, _clientTlsInfo, Proxy, UniqueIdSamples(backend));
        _dialer.ServerNameIndication = server.Config.Tls is { Settings.SniExpression: { } sni } ? ServerNameOf(sni) : null;
        _dialer.OnEventLoops = _context.OnEventLoops;
        var dial = await _dialer.DialAsync(backend, server, clientAddress, LocalEndPoint as IPEndPoint, _context.ConnectMs, _context.ConnectTimeout, _context.Clock, _waiter).ConfigureAwait(false);
        Volatile.Write(ref _state, StateIdle);
        Retries = _dialer.Retries;
        Redispatched = _dialer.Redispatched;
        ServerName = dial.Server?.Name ?? ServerName;
        if (!dial.Connected)
        {
            _serverTlsFailure = _dialer.TlsFailureOf(dial.Server);
            if (_dialer.LastTlsFailure is { } tlsFailure)
            {
                _context.DebugOutput?.WriteLine($"[{BackendName}/{ServerName}] {tlsFailure.Message}");
            }

            _server = null;
            SetEnd(dial.Cause, TerminationPhase.Connect);
            return;
        }

        _server = dial.Server;
        _serverConnected = true;
        _serverTls = dial.TlsInfo;
        TcpResponseInspection? inspection = null;
        if (TcpResponseInspection.Needed(backend))
        {
            // The response rules and the stores after them run on the server's first bytes.
            var samples = StickSamples();
            samples.Backend = backend;
            samples.Server = dial.Server;
            inspection = new TcpResponseInspection(backend, dial.Server!, samples, _context.Buffers.BufferSize);
        }
        else
        {
            // In mode tcp HAProxy stores the sticking keys once the server connection is up.
            backend.Stick?.Store(StickSamples(), dial.Server!, Environment.TickCount64);
        }

        var serverSocket = dial.Socket!;
        _backendLocalEndPoint = serverSocket.LocalEndPoint;
        Tc = _context.Clock.Refresh() - connectStart;
        if (_context.Log is { LogAsap: true } asap)
        {
            // `option logasap` in mode tcp: the line goes as soon as the server connection is up, its total time
            // and bytes prefixed with `+`.
            Tt = _context.Clock.Refresh() - _acceptMs;
            Log(asap);
            _logged = true;
        }

        var tunnel = new TcpTunnelMux(_client, serverSocket, _context.Clock, _context.Buffers, _clientTls, dial.Tls,
            _context.Frontend.Splice | (backend?.Config.Splice ?? Config.Model.SpliceMode.None));
        Volatile.Write(ref _tunnel, tunnel);
        Volatile.Write(ref _state, StateTunnel);
        if (IsKilled)
        {
            tunnel.Abort();
        }

        var end = await tunnel.RunAsync(clientData, inspection).ConfigureAwait(false);
        BytesFromClient = tunnel.BytesFromClient;
        BytesFromServer = tunnel.BytesFromServer;
        dial.Tls?.Dispose();
        serverSocket.Dispose();
        var pending = (TerminationCause)Volatile.Read(ref _pendingCause);
        if (pending != TerminationCause.None)
        {
            SetEnd(pending, TerminationPhase.Data);
            return;
        }

        switch (end)
        {
            case TunnelEnd.Normal or TunnelEnd.ClosedByRule:
                SetEnd(TerminationCause.None, TerminationPhase.None);
                break;
            case TunnelEnd.Rejected:
                // `tcp-response content reject`: `PD`, as HAProxy logs it.
                ResponseDenied = true;
                SetEnd(TerminationCause.ProxyCondition, TerminationPhase.Data);
                break;
            case TunnelEnd.ClientError:
                SetEnd(TerminationCause.ClientClosed, TerminationPhase.Data);
                break;
            case TunnelEnd.ServerError:
                SetEnd(TerminationCause.ServerClosed, TerminationPhase.Data);
                break;
            default:
                SetEnd(TerminationCause.Killed, TerminationPhase.Data);
                break;
        }
    }

    /// <summary>
    /// Takes a server slot: at once, or after a wait in the backend's queue (`maxconn`). Null when the connection
    /// ends here: no server (`SC`, mode tcp has no 503 to send), `timeout queue` (`sQ`), client gone (`CQ`).
    /// </summary>
    private async ValueTask<ServerState?> AssignServerAsync(BackendState backend, IPAddress? clientAddress)
    {
        Tw = 0;
        if (backend.Config.Disabled)
        {
            SetEnd(TerminationCause.ServerClosed, TerminationPhase.Connect);
            return null;
        }

        var now = _context.Clock.Refresh();
        ServerState? pinned = null;
        uint? hash = null;
        var balance = backend.Config.Balance.Algorithm;
        if (backend.ServerRules is not null || backend.Config.RdpPersistCookie is not null || backend.Stick is not null || balance is Config.Model.BalanceAlgorithm.Hash or Config.Model.BalanceAlgorithm.RdpCookie)
        {
            // As HAProxy's analysers run: `use-server` rules first, then the RDP cookie's server, then the stick
            // rules', then the balancer.
            var samples = StickSamples();
            samples.Backend = backend;
            if (backend.ServerRules is { } rules)
            {
                pinned = rules.Choose(samples, mayUseDown: backend.Config.Persist || rules.Persistence(samples) == PersistOverride.Force);
            }

            pinned ??= RdpPersistence.Find(backend, samples) ?? backend.Stick?.Match(samples);
            if (Balancing.RequestHash.TryComputeForTunnel(backend.Config.Balance, backend.Config.HashType, samples, out var key))
            {
                hash = key;
            }
        }

        var status = ServerAssignment.Assign(backend, clientAddress, pinned, mayLeavePinned: backend.Config.Redispatch is not null, _waiter, ServerAssignment.QueueDeadline(backend.Config.Timeouts, now), out var server, hash);
        if (status == AssignStatus.Assigned)
        {
            // As HAProxy's tcp logs: `Tw` runs from the accept, so it holds the handshakes and the content inspection.
            Tw = now - _acceptMs;
            return server;
        }

        if (status != AssignStatus.Queued)
        {
            SetEnd(TerminationCause.ServerClosed, TerminationPhase.Connect);
            return null;
        }

        Volatile.Write(ref _state, StateQueued);
        if (Volatile.Read(ref _pendingCause) != 0)
        {
            _waiter.Owner?.Cancel(_waiter, QueueOutcome.Aborted);
        }

        var outcome = await _waiter.WaitAsync().ConfigureAwait(false);
        Volatile.Write(ref _state, StateIdle);
        Tw = _context.Clock.Refresh() - _acceptMs;
        ServerQueuePosition = _waiter.ServerQueuePosition;
        BackendQueuePosition = _waiter.BackendQueuePosition;
        switch (outcome)
        {
            case QueueOutcome.Served:
                return _waiter.Server;
            case QueueOutcome.TimedOut:
                SetEnd(TerminationCause.ServerTimeout, TerminationPhase.Queue);
                return null;
            default:
                var pending = (TerminationCause)Volatile.Read(ref _pendingCause);
                SetEnd(pending == TerminationCause.None ? TerminationCause.ClientClosed : pending, TerminationPhase.Queue);
                return null;
        }
    }

    /// <summary>On the heartbeat while queued: `timeout queue`, or a client that closed its connection (cleartext).</summary>
    private void CheckQueueWait(long nowMs)
    {
        if (!_waiter.IsQueued)
        {
            return;
        }

        if (nowMs >= _waiter.DeadlineMs)
        {
            _waiter.Owner?.Cancel(_waiter, QueueOutcome.TimedOut);
            return;
        }

        if (_clientTls is null && ClientClosed(_client))
        {
            Interlocked.CompareExchange(ref _pendingCause, (int)TerminationCause.ClientClosed, 0);
            _waiter.Owner?.Cancel(_waiter, QueueOutcome.Aborted);
        }
    }

    private static bool ClientClosed(Socket client)
    {
        try
        {
            return client.Poll(0, SelectMode.SelectRead) && client.Available == 0;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    private bool IsKilled => _dialer.IsKilled;

    private void SetServer(ServerState server)
    {
        _server = server;
        _loggedServer = server;
        ServerName = server.Name;
    }

    /// <summary>The server last tried, for the log line (it stays named when the connection failed).</summary>
    private ServerState? _loggedServer;

    /// <summary>What the server connection gives `bc_err` and `ssl_bc_*` in the log line.</summary>
    private bool _serverConnected;

    private Sluice.Tls.TlsConnectionInfo? _serverTls;

    private Sluice.Tls.TlsServerFailure? _serverTlsFailure;

    /// <summary>
    /// The samples read before the log line (a unique ID rendered for a PROXY header, the keys of `stick` rules), kept
    /// until the log line takes them so that both see the same values; null otherwise.
    /// </summary>
    private Sluice.Logging.LogSender.LogScratch? _samplesScratch;

    private bool _logged;

    /// <summary>Our address on the server connection (`%bi:%bp`); null before it is up.</summary>
    private System.Net.EndPoint? _backendLocalEndPoint;

    /// <summary>The tcplog line (or the line of the frontend's own format) of the finished connection.</summary>
    private void Log(Sluice.Logging.LogSender log)
    {
        if (log.Config.DontLogNull && BytesFromClient == 0 && !log.LogAsap)
        {
            return;
        }

        var scratch = _samplesScratch ?? Sluice.Logging.LogSender.LogScratch.Rent();
        _samplesScratch = null;
        try
        {
            var fields = scratch.Fields;
            fields.Reset();
            var now = _context.Clock.Refresh();
            fields.Tcp = true;
            fields.AcceptMs = _acceptMs;
            fields.AcceptUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (now - _acceptMs);
            fields.Th = _handshakeMs;
            fields.TR = -1;
            fields.Tw = Tw;
            fields.Tc = Tc;
            fields.Tt = Tt >= 0 ? Tt : now - _acceptMs;
            fields.BytesOut = BytesFromServer;
            fields.BytesIn = BytesFromClient;
            fields.Cause = Cause;
            fields.Phase = Phase;
            fields.Retries = Retries;
            fields.Redispatched = Redispatched;
            fields.ActConn = ConnectionCounter.Process.Value;
            fields.FeConn = _context.Counters.CurrentSessions;
            fields.BeConn = _context.Backend?.CurrentConnections ?? 0;
            fields.SrvConn = _loggedServer?.CurrentConnections ?? 0;
            fields.SrvQueue = ServerQueuePosition;
            fields.BackendQueue = BackendQueuePosition;
            fields.Early = log.LogAsap;
            fields.BackendLocalEndPoint = _backendLocalEndPoint;
            var samples = scratch.Samples;
            PrepareLogSamples(samples);
            log.Emit(samples, fields, samples.FormatOutput);
        }
        finally
        {
            Sluice.Logging.LogSender.LogScratch.Return(scratch);
        }
    }

    private void PrepareLogSamples(Rules.Samples.SampleContext samples)
    {
        samples.ClientEndPoint = ClientEndPoint;
        samples.LocalEndPoint = LocalEndPoint;
        samples.Tls = _clientTlsInfo;
        samples.FrontendName = _context.FrontendNameBytes;
        samples.FrontendId = _context.Frontend.Id;
        samples.UniqueIdFormat = _context.Frontend.UniqueIdFormat;
        samples.Backend = _context.Backend;
        samples.Server = _loggedServer;
        samples.ServerConnected = _serverConnected;
        samples.ServerTls = _serverTls;
        samples.ServerTlsFailure = _serverTlsFailure;
    }

    /// <summary>
    /// The context that renders the unique ID when a server of <paramref name="backend"/> sends it in its PROXY header
    /// (`proxy-v2-options unique-id`); the log line is later written from the same context, so both give the same
    /// ID and request number. Null when there is no such server or the frontend has no `unique-id-format`.
    /// </summary>
    private Rules.Samples.SampleContext? UniqueIdSamples(BackendState backend) =>
        _context.Frontend.UniqueIdFormat is null || !backend.SendsUniqueId ? null : ScratchSamples();

    /// <summary>What the backend's `stick` rules read: the context of the frontend's tcp rules, or the log's.</summary>
    private Rules.Samples.SampleContext StickSamples() => _ruleSamples ?? ScratchSamples();

    private Rules.Samples.SampleContext ScratchSamples()
    {
        _samplesScratch ??= Sluice.Logging.LogSender.LogScratch.Rent();
        PrepareLogSamples(_samplesScratch.Samples);
        return _samplesScratch.Samples;
    }

    private void ReleaseServer()
    {
        _dialer.ReturnSourcePort();
        if (_server is { } server)
        {
            server.Release();
            _server = null;
        }
    }

    private void SetEnd(TerminationCause cause, TerminationPhase phase)
    {
        Cause = cause;
        Phase = phase;
    }

    private void Finish()
    {
        // Every counter the connection tracked counts the tunnel's bytes (bytes_in_*, bytes_out_*).
        if (_ruleSamples is { } tracked)
        {
            tracked.CountBytes(BytesFromClient, BytesFromServer, Environment.TickCount64);
        }
        else
        {
            _counters?.CountBytes(BytesFromClient, BytesFromServer, Environment.TickCount64);
        }

        _ruleSamples?.Dispose();
        _counters?.Release();
        _clientTls?.Dispose();
        _client.Dispose();
        Volatile.Read(ref _tunnel)?.Abort();
        Tt = _context.Clock.Refresh() - _acceptMs;
        Stats.TransactionStats.RecordTcp(_listener?.Counters ?? _context.Counters, _context.Backend, _server, this);
        ReleaseServer();
        if (_context.Log is { } log && !_logged && !SessionDenied)
        {
            Log(log);
        }

        if (_samplesScratch is { } unused)
        {
            _samplesScratch = null;
            Sluice.Logging.LogSender.LogScratch.Return(unused);
        }

        if (_context.DebugOutput is { } output)
        {
            output.WriteLine(DescribeForDebug());
        }

        // The host forgets the transaction before its slot is given back, so that the host never counts more
        // transactions than the limits allow.
        _context.OnFinished(this);
        _listener?.ReleaseSlot();
    }

    /// <summary>One line per transaction for `-d`; the real log formats come with the log layer.</summary>
    internal string DescribeForDebug() => string.Create(
        CultureInfo.InvariantCulture,
        $"{ClientEndPoint} [{FrontendName}] {BackendName}/{ServerName} {Tw}/{Tc}/{Tt} {BytesFromServer} {TerminationCode} retries={Retries}");
}
