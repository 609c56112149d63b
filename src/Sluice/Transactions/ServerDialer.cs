using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Sluice.Backends;
using Sluice.Timers;
using Sluice.Tls;
using Sluice.Transport;

namespace Sluice.Transactions;

/// <summary>How dialing a server ended; <see cref="Tls"/> is the TLS stream over the socket for `ssl` servers.</summary>
internal readonly record struct DialOutcome(Socket? Socket, ServerState? Server, TerminationCause Cause, SslStream? Tls = null, TlsConnectionInfo? TlsInfo = null)
{
    public bool Connected => Socket is not null;
}

/// <summary>
/// Connects a transaction to a server: one attempt after the other as `retries` allows, each bounded by
/// `timeout connect` through the heartbeat, moving to another server when `option redispatch` says so.
/// Shared by the tcp and HTTP transactions; one per transaction, reused for each of its connections.
/// </summary>
/// <remarks>
/// Threading: the transaction's task runs <see cref="DialAsync"/>; the heartbeat thread calls
/// <see cref="OnHeartbeat"/> and any thread may call <see cref="Kill"/>. The fields they share are read and
/// written with <see cref="Volatile"/>.
/// </remarks>
internal sealed class ServerDialer
{
    private Socket? _connecting;

    // The wait of a connection in progress on an event loop, which does not see the socket closed by a timeout or a kill.
    private readonly ReadinessWaiter _connectWait = new();
    private long _connectDeadline = TransactionContext.Infinite;
    private int _connectTimedOut;
    private int _killed;
    private int _sourcePort;
    private ServerState? _portOwner;

    /// <summary>Connect on an event loop rather than through the runtime's socket engine (the context's choice).</summary>
    public bool OnEventLoops { get; set; }

    /// <summary>Attempts after the first one in the last <see cref="DialAsync"/>, redispatches included.</summary>
    public int Retries { get; private set; }

    public bool Redispatched { get; private set; }

    public bool IsKilled => Volatile.Read(ref _killed) != 0;

    public bool IsConnecting => Volatile.Read(ref _connecting) is not null;

    /// <summary>The client connection the next connections are for: what a `send-proxy` server's PROXY header tells.</summary>
    public ProxyOrigin Origin { get; set; }

    /// <summary>For a server with `sni EXPR`: the name the next connections send, evaluated for the request.</summary>
    public string? ServerNameIndication { get; set; }

    /// <summary>The next connection carries a websocket stream: its TLS handshake offers the ALPN `ws` asks for.</summary>
    public bool ForWebSocket { get; set; }

    /// <summary>
    /// A server's `sni EXPR` evaluated in <paramref name="samples"/>; "" when the expression gives nothing (no SNI is
    /// sent then, as in HAProxy). Allocates: the name, only on servers whose SNI is an expression.
    /// </summary>
    public static string ServerNameOf(Rules.Samples.SampleExpression sni, Rules.Samples.SampleContext samples) =>
        sni.TryEvaluate(samples, out var sample) && sample.IsText ? System.Text.Encoding.Latin1.GetString(sample.Bytes) : string.Empty;

    /// <summary>Why the last TLS handshake with a server failed (`bc_err`, `ssl_bc_err`); null when none did.</summary>
    public Sluice.Tls.TlsServerFailure? LastTlsFailure { get; private set; }

    /// <summary>
    /// After a failed dial, what the `ssl_bc*` and `bc_err*` fetches read: the handshake's failure, or for a TLS
    /// server whose connection failed before it, a failure without a handshake; null for a cleartext server.
    /// </summary>
    public Sluice.Tls.TlsServerFailure? TlsFailureOf(ServerState? server) =>
        LastTlsFailure ?? (server?.Config.Tls is { Settings.Enabled: true } connector ? Sluice.Tls.TlsServerFailure.BeforeHandshake(connector.OfferedProtocol) : null);

    /// <summary>
    /// Connects to <paramref name="server"/>, whose slot the caller has taken, retrying and redispatching as the
    /// backend says. On success the returned server holds the slot (it may differ after a redispatch); on
    /// failure no slot is held and <see cref="DialOutcome.Server"/> is the last one tried, for the logs.
    /// </summary>
    /// <param name="waiter">The transaction's queue place, for a redispatch that finds every server at its `maxconn`.</param>
    /// <param name="retry">False for `retry-on` without `conn-failure`: a failed connection is not tried again.</param>
    public async Task<DialOutcome> DialAsync(BackendState backend, ServerState server, IPAddress? clientAddress, IPEndPoint? destination, long connectMs, TimeSpan? connectTimeout, Heartbeat clock, QueueWaiter waiter, bool retry = true)
    {
        Retries = 0;
        Redispatched = false;
        LastTlsFailure = null;
        while (true)
        {
            var (socket, error, timedOut, tls, tlsInfo) = await ConnectOnceAsync(server, destination, connectMs, clock).ConfigureAwait(false);
            if (socket is not null)
            {
                server.Observer?.Observe(Checks.ObservedOutcome.ConnectionMade);
                return new DialOutcome(socket, server, TerminationCause.None, tls, tlsInfo);
            }

            if (IsKilled)
            {
                server.Release();
                return new DialOutcome(null, server, TerminationCause.Killed);
            }

            server.Observer?.Observe(Checks.ObservedOutcome.ConnectionFailed);

            var decision = error == ConnectError.Resource || !retry
                ? RetryDecision.GiveUp
                : RetryPolicy.Decide(backend.Config, Retries, server.IsUsable, backend.UsableActiveServers);
            if (decision == RetryDecision.GiveUp)
            {
                server.CountConnectFailure();
                server.Release();
                var cause = error == ConnectError.Resource ? TerminationCause.Resource
                    : timedOut ? TerminationCause.ServerTimeout : TerminationCause.ServerClosed;
                return new DialOutcome(null, server, cause);
            }

            Retries++;
            var (next, moved) = await MoveOnAsync(decision, backend, server, clientAddress, connectTimeout, timedOut, clock, waiter).ConfigureAwait(false);
            if (next is null)
            {
                return new DialOutcome(null, server, TerminationCause.ServerClosed);
            }

            Redispatched |= moved;
            server = next;
        }
    }

    /// <summary>
    /// Carries out a retry decision after a failed attempt, at layer 4 (a connection) or layer 7 (a response):
    /// the same server again after the turn-around delay, or its slot given back and the balancer asked for
    /// another (`option redispatch`). Returns the server to try next, holding its slot, or null when none is
    /// left (and no slot is held); <c>Redispatched</c> says whether the server changed.
    /// A redispatched request that finds every other server at its `maxconn` is assigned again like a new one
    /// (HAProxy sends it back to assign_server_and_queue): it may get the server it left, or wait in the backend's
    /// queue behind the requests already there, within `timeout queue`.
    /// </summary>
    public static async ValueTask<(ServerState? Next, bool Redispatched)> MoveOnAsync(
        RetryDecision decision, BackendState backend, ServerState server, IPAddress? clientAddress, TimeSpan? connectTimeout, bool timedOut, Heartbeat clock, QueueWaiter waiter)
    {
        if (decision == RetryDecision.Redispatch)
        {
            server.Release();
            var next = backend.Balancer.Pick(clientAddress, avoid: server) ?? await AssignAgainAsync(backend, clientAddress, clock, waiter).ConfigureAwait(false);
            if (next is null)
            {
                return (null, false);
            }

            if (next != server)
            {
                next.CountRedispatch();
                return (next, true);
            }

            next.CountRetry();
            return (next, false);
        }

        server.CountRetry();
        var delay = RetryPolicy.TurnAroundDelay(connectTimeout, timedOut);
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, clock.TimeProvider).ConfigureAwait(false);
        }

        return (server, false);
    }

    /// <summary>The request goes through server assignment again, queueing when every server is full; null when it gets none.</summary>
    private static async ValueTask<ServerState?> AssignAgainAsync(BackendState backend, IPAddress? clientAddress, Heartbeat clock, QueueWaiter waiter)
    {
        var deadline = ServerAssignment.QueueDeadline(backend.Config.Timeouts, clock.Refresh());
        switch (ServerAssignment.Assign(backend, clientAddress, pinned: null, mayLeavePinned: true, waiter, deadline, out var server))
        {
            case AssignStatus.Assigned:
                return server;
            case AssignStatus.Queued:
                return await waiter.WaitAsync().ConfigureAwait(false) == QueueOutcome.Served ? waiter.Server : null;
            default:
                return null;
        }
    }

    /// <summary>Gives back the source port taken for the last connection, once that connection is closed.</summary>
    public void ReturnSourcePort()
    {
        if (_sourcePort != 0)
        {
            _portOwner?.SourcePorts?.Return(_sourcePort);
            _sourcePort = 0;
            _portOwner = null;
        }
    }

    public void OnHeartbeat(long nowMs)
    {
        if (Volatile.Read(ref _connecting) is { } socket && nowMs >= Volatile.Read(ref _connectDeadline))
        {
            Volatile.Write(ref _connectTimedOut, 1);
            socket.Dispose();
            _connectWait.Signal();
        }
    }

    public void Kill()
    {
        Volatile.Write(ref _killed, 1);
        Volatile.Read(ref _connecting)?.Dispose();
        _connectWait.Signal();
    }

    /// <summary>
    /// The ssl module's counters of the server and its backend. Whether the server resumed a session is not known
    /// on this side: every handshake that succeeds counts as a new session.
    /// </summary>
    private static void CountHandshake(ServerState server, bool succeeded)
    {
        if (succeeded)
        {
            server.Counters.OnTlsHandshake(resumed: false);
            server.Backend.Counters.OnTlsHandshake(resumed: false);
        }
        else
        {
            server.Counters.OnTlsHandshakeFailed();
            server.Backend.Counters.OnTlsHandshakeFailed();
        }
    }

    private async Task<(Socket? Socket, ConnectError Error, bool TimedOut, SslStream? Tls, TlsConnectionInfo? TlsInfo)> ConnectOnceAsync(ServerState server, IPEndPoint? destination, long connectMs, Heartbeat clock)
    {
        var endPoint = ServerConnector.ResolveEndPoint(server.Address, destination);
        // `socks4`: the connection goes to the proxy, which is then asked for the server.
        var socks4 = server.Config.Socks4;
        Socket socket;
        try
        {
            socket = ServerConnector.CreateSocket(socks4 ?? endPoint);
        }
        catch (SocketException)
        {
            return (null, ConnectError.Resource, false, null, null);
        }

        if (server.KeepAlive is { } keepAlive)
        {
            SocketOptions.EnableKeepAlive(socket, keepAlive);
        }

        if (server.NoLinger)
        {
            SocketOptions.ResetOnClose(socket);
        }

        if (server.Source is { } source)
        {
            var bindError = ServerConnector.BindSource(socket, source, server.SourcePorts, Origin.Client, out _sourcePort);
            if (bindError != ConnectError.None)
            {
                socket.Dispose();
                return (null, bindError, false, null, null);
            }

            _portOwner = server;
        }

        Volatile.Write(ref _connectTimedOut, 0);
        Volatile.Write(
            ref _connectDeadline,
            connectMs == TransactionContext.Infinite ? TransactionContext.Infinite : clock.Refresh() + connectMs);
        Volatile.Write(ref _connecting, socket);
        var connected = false;
        SslStream? tls = null;
        TlsConnectionInfo? tlsInfo = null;
        try
        {
            if (!IsKilled)
            {
                if (OnEventLoops)
                {
                    await EventLoop.ConnectAsync(socket, socks4 ?? endPoint, _connectWait).ConfigureAwait(false);
                }
                else
                {
                    await socket.ConnectAsync(socks4 ?? endPoint).ConfigureAwait(false);
                }

                connected = !IsKilled && Volatile.Read(ref _connectTimedOut) == 0;
                if (connected && socks4 is not null)
                {
                    // The SOCKS4 exchange is part of the connection, under `timeout connect`, as in HAProxy.
                    connected = await ServerConnector.ConnectThroughSocks4Async(socket, endPoint).ConfigureAwait(false)
                        && !IsKilled && Volatile.Read(ref _connectTimedOut) == 0;
                }

                if (connected && server.Config.SendProxy.Enabled)
                {
                    // The PROXY header comes first, before any TLS record, still under `timeout connect`.
                    await socket.SendAsync(ProxyHeaderSender.Build(server.Config.SendProxy, Origin), SocketFlags.None).ConfigureAwait(false);
                    connected = !IsKilled && Volatile.Read(ref _connectTimedOut) == 0;
                }

                if (connected && server.Config.Tls is { Settings.Enabled: true } lineConnector)
                {
                    var connector = ForWebSocket ? lineConnector.ForWebSockets : lineConnector;
                    // The handshake is part of the connection, under `timeout connect`, as in HAProxy.
                    (tls, tlsInfo, var tlsFailure) = await connector.AuthenticateAsync(socket, ServerNameIndication).ConfigureAwait(false);
                    connected = tls is not null && !IsKilled && Volatile.Read(ref _connectTimedOut) == 0;
                    LastTlsFailure = tlsFailure;
                    CountHandshake(server, tls is not null);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            connected = false;
        }
        finally
        {
            Volatile.Write(ref _connecting, null);
        }

        if (connected)
        {
            return (socket, ConnectError.None, false, tls, tlsInfo);
        }

        tls?.Dispose();
        socket.Dispose();
        ReturnSourcePort();
        return (null, ConnectError.Refused, Volatile.Read(ref _connectTimedOut) != 0, null, null);
    }
}
