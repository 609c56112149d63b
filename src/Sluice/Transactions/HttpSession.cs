using System.Net.Security;
using System.Net.Sockets;
using Sluice.Backends;
using Sluice.Listeners;
using Sluice.Protocols.Http1;
using Sluice.Mux.Http1;
using Sluice.Mux.Http2;
using Sluice.Timers;
using Sluice.Tls;
using Sluice.Transport;

namespace Sluice.Transactions;

/// <summary>
/// One client connection of an HTTP frontend: reads requests through the HTTP/1 mux (or hands the connection to
/// <see cref="Http2Session"/> when it starts with the HTTP/2 preface and the bind line forces no protocol), runs one
/// <see cref="HttpTransaction"/> per request, keeps the connection alive between them, and enforces the
/// timeouts of both sides on the heartbeat (`timeout http-request`, `http-keep-alive`, `client`, `server`,
/// `connect`, `tunnel`).
/// </summary>
internal sealed class HttpSession : ISession, IHeartbeatTarget, IDisposable
{
    private readonly HttpFrontendContext _context;
    private readonly Listener? _listener;
    private readonly Http1FrontConnection _front;
    private readonly HttpTransaction _transaction;
    private readonly SocketDuplex _io;
    private readonly bool _detectPreface;
    private readonly Sluice.Rules.Samples.VariableStore? _sessionVariables;
    private readonly Backends.StickCounterSet? _counters;
    private readonly long _acceptMs;

    /// <summary>The handshakes' time before this session began (PROXY header, TLS): the first request's `%Th`.</summary>
    private readonly long _handshakeMs;

    /// <summary><see cref="OnFirstByte"/> as a delegate made once: a method group converted per request allocates.</summary>
    private readonly Action _onFirstByte;
    private Http2Session? _http2;
    private int _waitingForRequest;
    private int _transactionlessCause;
    private int _stopping;
    private int _retiring;
    private int _killed;
    private long _waitStartMs;
    private long _firstByteMs = -1;

    /// <param name="handshake">What the handshakes established: the TLS stream of an `ssl` bind and its facts, the
    /// PROXY header; kept on the connection for rules and logs.</param>
    /// <param name="sessionVariables">What `tcp-request session` rules stored in session-scope variables; null when nothing.</param>
    /// <param name="counters">What `tcp-request connection|session` rules tracked; the session releases them as it ends.</param>
    public HttpSession(HttpFrontendContext context, Socket client, Listener? listener, HandshakeOutcome handshake, Sluice.Rules.Samples.VariableStore? sessionVariables = null, Backends.StickCounterSet? counters = null)
    {
        _context = context;
        _listener = listener;
        _sessionVariables = sessionVariables;
        _io = new SocketDuplex(client, context.Shared.Memory, waitWithoutBuffer: true, context.Shared.OnEventLoops, tls: handshake.Tls, tlsInfo: handshake.TlsInfo, proxy: handshake.Proxy,
            rewritten: (handshake.ClientEndPoint, handshake.LocalEndPoint));
        _front = new Http1FrontConnection(_io, context.Shared.Clock, context.RequestParser);
        _transaction = new HttpTransaction(context) { Listener = Sluice.Rules.Samples.ListenerIdentity.Of(context.Frontend, listener?.Bind), ListenerCounters = listener?.Counters };
        if (sessionVariables is not null)
        {
            _transaction.SeedSessionVariables(sessionVariables);
        }

        _counters = counters;
        if (counters is not null)
        {
            _transaction.SeedSessionCounters(counters);
        }

        _acceptMs = context.Shared.Clock.Refresh();
        _handshakeMs = handshake.HandshakeMs;
        _onFirstByte = OnFirstByte;
        // Where ALPN chose the protocol (of TLS, or of the offloader in a PROXY v2 header), the bytes do not decide
        // (ARCHITECTURE.md: the first bytes decide on cleartext only).
        _detectPreface = listener?.Bind.Proto is null && handshake.Tls is null && !handshake.HasAlpn && !context.Frontend.DisableH2Upgrade;

        // A bind line that names its protocol speaks only that one; h2c is cleartext HTTP/2 (RFC 7540 §3.2).
        _front.H2cUpgradeAllowed = _detectPreface && context.Frontend.H2cUpgrade;
    }

    public SessionInfo Info => new(_context.Frontend.Name, _transaction.BackendName, _transaction.ServerName, _front.ClientEndPoint);

    /// <summary>The TLS facts of this connection (`ssl_fc_*`, `ssl_c_*`); null for cleartext.</summary>
    public TlsConnectionInfo? Tls => _io.Tls;

    public async Task RunAsync()
    {
        var clock = _context.Shared.Clock;
        clock.Register(this);
        var linger = false;
        var handOver = false;
        byte[]? upgradeBody = null;
        _waitStartMs = _acceptMs;
        try
        {
            while (true)
            {
                var first = _front.RequestCount == 0;
                _front.ReadWatch.LimitMs = first ? _context.HttpRequestMs : _context.KeepAliveMs;
                _front.WriteWatch.LimitMs = _context.ClientMs;
                Volatile.Write(ref _waitingForRequest, 1);
                if (Volatile.Read(ref _stopping) != 0 && !first)
                {
                    break;
                }

                var preface = first && _detectPreface ? await PeekPrefaceAsync().ConfigureAwait(false) : PrefaceOutcome.Http1;
                if (preface == PrefaceOutcome.Http2)
                {
                    EmitConnectLine();
                    handOver = true;
                    break;
                }

                var outcome = preface == PrefaceOutcome.Cancelled
                    ? RequestHeadOutcome.TimedOut
                    : await _front.ReadRequestHeadAsync(_onFirstByte).ConfigureAwait(false);
                Volatile.Write(ref _waitingForRequest, 0);
                var pending = (TerminationCause)Volatile.Read(ref _transactionlessCause);
                if (outcome != RequestHeadOutcome.Ready)
                {
                    linger = await EndWithoutRequestAsync(outcome, pending, first).ConfigureAwait(false);
                    break;
                }

                if (first)
                {
                    EmitConnectLine();
                }

                _front.ReadWatch.LimitMs = _context.ClientMs;
                if (Volatile.Read(ref _stopping) != 0 || Volatile.Read(ref _retiring) != 0)
                {
                    _front.CloseAfterResponse();
                }
                else if (_front.H2cUpgradeSettings is not null && !_front.ExpectationFailed)
                {
                    // `option h2c-upgrade`: the connection goes on as HTTP/2, this request as its stream 1.
                    upgradeBody = await _front.SwitchToH2cAsync().ConfigureAwait(false);
                    handOver = true;
                    break;
                }

                _transaction.SetRequestTiming(_waitStartMs, _firstByteMs, first ? _handshakeMs : 0);
                await _transaction.RunAsync(_front, first).ConfigureAwait(false);
                _waitStartMs = clock.Refresh();
                _firstByteMs = -1;
                _context.Shared.DebugOutput?.WriteLine(_transaction.DescribeForDebug(_front));
                _transaction.ReleaseBuffers();
                _front.ReleaseBuffers();
                if (!_front.CanKeepAlive || Volatile.Read(ref _killed) != 0)
                {
                    linger = _transaction.Status >= 400;
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug must end this connection, not the process.
            linger = false;
        }
        finally
        {
            Volatile.Write(ref _waitingForRequest, 0);
            clock.Unregister(this);
        }

        if (handOver)
        {
            await RunHttp2Async(upgradeBody).ConfigureAwait(false);
            return;
        }

        try
        {
            if (Volatile.Read(ref _killed) == 0)
            {
                await _front.CloseAsync(linger).ConfigureAwait(false);
            }
        }
        finally
        {
            Dispose();
            _context.Shared.OnFinished(this);
            _listener?.ReleaseSlot();
        }
    }

    /// <summary>Looks at the first bytes (prior-knowledge HTTP/2, RFC 9113 §3.3) under `timeout http-request`.</summary>
    private async ValueTask<PrefaceOutcome> PeekPrefaceAsync()
    {
        _front.ReadWatch.BeginWait();
        try
        {
            return await Http2Preface.PeekAsync(_io.Input).ConfigureAwait(false);
        }
        catch (Exception ex) when (Http1BodyReader.IsConnectionFailure(ex))
        {
            // Let the HTTP/1 read see the failure and end the connection as it always does.
            return PrefaceOutcome.Http1;
        }
        finally
        {
            _front.ReadWatch.EndWait();
        }
    }

    /// <summary>
    /// The client spoke HTTP/2, or asked for it with `Upgrade: h2c` (<paramref name="upgradeBody"/> then holds the body
    /// of that request): the same socket goes on under an <see cref="Http2Session"/>, which finishes for this one.
    /// </summary>
    private async Task RunHttp2Async(byte[]? upgradeBody)
    {
        var http2 = new Http2Session(_context, _io, _listener, registeredAs: this) { SessionVariables = _sessionVariables, SessionCounters = _counters, HandshakeMs = _handshakeMs };
        if (upgradeBody is not null)
        {
            http2.AcceptUpgrade(_front.Request, upgradeBody, _front.H2cUpgradeSettings!);
        }

        _transaction.Dispose();
        _front.DisposeKeepingConnection();
        Volatile.Write(ref _http2, http2);
        if (Volatile.Read(ref _killed) != 0)
        {
            http2.Kill();
        }
        else if (Volatile.Read(ref _stopping) != 0)
        {
            http2.RequestStop();
        }

        await http2.RunAsync().ConfigureAwait(false);
    }

    public void Dispose()
    {
        _transaction.Dispose();
        _front.Dispose();
        _counters?.Release();
    }

    /// <summary>
    /// Ends the connection when no request could be read: answers 400/408/414/431 as HAProxy does, and logs the
    /// connection as `&lt;BADREQ&gt;` unless it was an idle keep-alive connection that simply closed.
    /// </summary>
    private async ValueTask<bool> EndWithoutRequestAsync(RequestHeadOutcome outcome, TerminationCause pending, bool first)
    {
        var status = -1;
        var code = "CR";
        if (first && _front.PartialHeadBytes == 0 && _context.Frontend.HttpIgnoreProbes
            && (outcome is RequestHeadOutcome.TimedOut or RequestHeadOutcome.ClosedIdle || pending == TerminationCause.ClientTimeout))
        {
            // A browser's pre-connection that was never used: not an error (`option http-ignore-probes`).
            return false;
        }

        if (outcome == RequestHeadOutcome.Rejected)
        {
            status = _front.RejectReason.ToStatusCode();
            code = "PR";
        }
        else if (outcome == RequestHeadOutcome.TimedOut || pending == TerminationCause.ClientTimeout)
        {
            // HAProxy answers 408 to a request that did not come in time, but not on an idle keep-alive connection.
            if (!first && _front.PartialHeadBytes == 0)
            {
                return false;
            }

            status = 408;
            code = "cR";
        }
        else if (outcome == RequestHeadOutcome.ClosedIdle && !first)
        {
            return false;
        }

        var sent = false;
        Stats.TransactionStats.RecordInvalidRequest(_listener?.Counters ?? _context.Shared.Counters, status, outcome == RequestHeadOutcome.Rejected ? _front.RejectedHead : null, _front.ClientEndPoint);
        if (status > 0)
        {
            try
            {
                await _front.SendRawResponseAsync(HttpReplies.BuiltInPageBytes(status)).ConfigureAwait(false);
                sent = true;
            }
            catch (Messages.HttpBodyException)
            {
                // The client is gone already.
            }
        }

        var cause = code[0] switch { 'P' => TerminationCause.ProxyCondition, 'c' => TerminationCause.ClientTimeout, _ => TerminationCause.ClientClosed };
        _transaction.SetRequestTiming(_waitStartMs, _firstByteMs, first ? _handshakeMs : 0);
        _transaction.LogWithoutRequest(_front, status, cause, TerminationPhase.Request,
            dataReceived: outcome != RequestHeadOutcome.ClosedIdle || _front.PartialHeadBytes > 0);

        _context.Shared.DebugOutput?.WriteLine(string.Concat(
            _front.ClientEndPoint?.ToString(), " [", _context.Frontend.Name, "] ", _context.Frontend.Name, "/<NOSRV> -1/-1/-1/-1 ",
            status.ToString(System.Globalization.CultureInfo.InvariantCulture), " 0 ", code, " retries=0 \"<BADREQ>\""));
        return sent;
    }

    /// <summary>
    /// HAProxy's `Connect from` line of a frontend without a log format: written when the connection brings its first
    /// request, as HAProxy creates its stream then (an empty connection is not logged).
    /// </summary>
    private void EmitConnectLine() => _context.Shared.Log?.EmitConnect(_front.ClientEndPoint, _front.LocalEndPoint, _context.FrontendNameBytes);

    private void OnFirstByte()
    {
        _firstByteMs = _context.Shared.Clock.Refresh();
        // Once a request has started, `timeout http-request` bounds the rest of it.
        _front.ReadWatch.LimitMs = _context.HttpRequestMs;
    }

    public void OnHeartbeat(long nowMs)
    {
        var transaction = _transaction;
        if (transaction.InTunnel)
        {
            transaction.CheckTunnelTimeout(nowMs, _front, _context.ClientMs);
            return;
        }

        if ((Volatile.Read(ref _waitingForRequest) != 0 || transaction.WaitingForBody) && _front.ReadWatch.IsExpired(nowMs))
        {
            _front.CancelRequestWait();
            return;
        }

        if (_front.ReadWatch.IsExpired(nowMs) || _front.WriteWatch.IsExpired(nowMs))
        {
            Interlocked.CompareExchange(ref _transactionlessCause, (int)TerminationCause.ClientTimeout, 0);
            transaction.SetPendingCause(TerminationCause.ClientTimeout);
            _front.Abort();
            return;
        }

        transaction.CheckServerTimeouts(nowMs);
    }

    /// <summary>Soft stop: an idle keep-alive connection closes now, a busy one after its response.</summary>
    /// <summary>`option idle-close-on-response`: at a soft stop, retire after the next response rather than close idle.</summary>
    public bool IdleCloseOnResponse => _context.Frontend.IdleCloseOnResponse;

    public void RequestStop()
    {
        Volatile.Write(ref _stopping, 1);
        if (Volatile.Read(ref _http2) is { } http2)
        {
            http2.RequestStop();
            return;
        }

        if (Volatile.Read(ref _waitingForRequest) != 0 && _front.RequestCount > 0)
        {
            _front.Abort();
        }
        else
        {
            _front.CloseAfterResponse();
        }
    }

    /// <summary>
    /// At a reload: the connection closes after the response to its next request head (`Connection: close`), and
    /// an idle one waits for that request within its keep-alive timeout rather than being closed under a client
    /// that may be sending it. A response being written keeps its keep-alive: its head may be out already, and
    /// the client may send its next request at once. No request is lost to the reload.
    /// </summary>
    public void RetireAfterNextResponse()
    {
        if (Volatile.Read(ref _http2) is { } http2)
        {
            http2.RequestStop();
            return;
        }

        Volatile.Write(ref _retiring, 1);
    }

    public void ShutdownStreamsOn(ServerState server, TerminationCause cause)
    {
        if (Volatile.Read(ref _http2) is { } http2)
        {
            http2.ShutdownStreamsOn(server, cause);
            return;
        }

        if (_transaction.Carries(server))
        {
            _transaction.Kill(cause);
            _front.Abort();
        }
    }

    public void Kill()
    {
        Volatile.Write(ref _killed, 1);
        if (Volatile.Read(ref _http2) is { } http2)
        {
            http2.Kill();
            return;
        }

        _transaction.Kill();
        _front.Abort();
    }
}
