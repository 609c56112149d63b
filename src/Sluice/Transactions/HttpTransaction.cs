using System.Runtime.CompilerServices;
using System.Globalization;
using System.Net;
using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Config.Parsing;
using Sluice.Messages;
using Sluice.Mux;
using Sluice.Mux.Http1;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;
using Sluice.Mux.Http2;
using Sluice.Transport;

namespace Sluice.Transactions;

/// <summary>
/// One HTTP request and its response (HAProxy's "stream" in HTTP mode): runs the request rules, picks the
/// backend and the server, gets a server connection (idle or new), forwards the request head and streams its
/// body while it waits for the response, then streams the response back. Upgrades (101) and CONNECT become a
/// byte tunnel. It records how it ended for the logs. One per client connection, reused for each request.
/// </summary>
/// <remarks>
/// Threading: <see cref="RunAsync"/> runs on the session's task; the heartbeat reads <see cref="Server"/>
/// (the current server connection) and <see cref="Dialer"/> to enforce timeouts, and aborts them.
/// </remarks>
internal sealed class HttpTransaction : IDisposable
{
    private readonly HttpFrontendContext _front;
    private readonly HttpResponseHead _response = new();
    private readonly ServerDialer _dialer = new();
    private readonly QueueWaiter _waiter = new();
    private IFrontStream? _queuedFront;
    private IBackStream? _server;

    // Taken by whatever acts on the server exchange from another thread (the heartbeat's timeouts, a kill) and by
    // the transaction letting the exchange go: once it is let go (a pooled connection, a reused HTTP/2 stream), no
    // late abort or timeout can reach whoever has it next.
    private readonly Lock _serverGate = new();
    private HttpBackendContext? _backend;
    private ServerState? _serverState;
    private int _pendingCause;
    private long _startMs;
    private Task? _requestPump;

    // The request body as it goes to an HTTP/2 server, kept (up to tune.bufsize) for a replay after REFUSED_STREAM.
    private readonly ReplayableRequestBody _replayableBody = new();
    private bool _replayableBodyInUse;
    private int _waitingForBody;
    private (Http1BackConnection Connection, ServerState Server)? _privateConnection;

    // The destination the private connections were made for: a server at `0.0.0.0` or port 0 goes where each
    // request's destination says, so they carry only the requests that go there too.
    private IPEndPoint? _privateDestination;
    private readonly SampleContext _samples = new();
    private readonly HttpRuleResult _ruleResult = new();
    private (Http2BackConnection Connection, ServerState Server)? _privateHttp2;
    private readonly Sluice.Logging.LogFields _log = new();
    private long _waitStartMs;

    /// <summary>The connection's handshake time, given to its first request only (`%Th`); 0 for the others.</summary>
    private long _handshakeMs;

    /// <summary>Our address on the last server connection the request went to (`%bi:%bp`); null before one.</summary>
    private EndPoint? _backendLocalEndPoint;
    private long _firstByteMs = -1;
    private long _headBytesOut;
    private bool _logged;
    /// <summary>A frontend `tcp-request content` rule rejected the request before HTTP processing: logged as `&lt;BADREQ&gt;`, as HAProxy.</summary>
    private bool _rejectedBeforeHttp;
    /// <summary>A rule rejected the request: HAProxy never stamps it as received, so `TR` is -1.</summary>
    private bool _rejected;

    /// <summary>How many times a request an HTTP/2 server did not process is sent again before the failure is the client's answer.</summary>
    private const int MaxNotProcessedReplays = 3;

    public HttpTransaction(HttpFrontendContext front)
    {
        _front = front;
    }

    public void Dispose()
    {
        ReleaseServer();
        _privateConnection?.Connection.Dispose();
        _privateConnection = null;
        _privateHttp2?.Connection.Shutdown();
        _privateHttp2 = null;
        _response.Dispose();
        _samples.Dispose();
    }

    /// <summary>The listening socket of the connection, for `so_id` and `so_name`; set by the session.</summary>
    public ListenerIdentity Listener { get; set; }

    /// <summary>The counters of the listener the client came through (its own with `option socket-stats`); null for the frontend's.</summary>
    public Stats.TrafficCounters? ListenerCounters { get; set; }

    /// <summary>Starts the session scope with what `tcp-request session` rules stored; once, before the first request.</summary>
    public void SeedSessionVariables(VariableStore sessionVariables) => _samples.Variables.CopySessionFrom(sessionVariables);

    /// <summary>The counters the connection tracks (`tcp-request connection|session track-scN`), which its requests count and `scN_*` read.</summary>
    public void SeedSessionCounters(Backends.StickCounterSet counters) => _samples.SessionCounters = counters;

    /// <summary>Gives the response head's and the rules' buffers back between two requests.</summary>
    public void ReleaseBuffers()
    {
        _response.Headers.ReleaseBuffers();
        _samples.ReleaseBuffers();
    }

    /// <summary>
    /// When the wait for this request began (the end of the handshakes, or of the previous request), when its first
    /// byte came (-1 when unknown), and how long the connection's handshakes took before (the first request only):
    /// the log's accept date, `Th`, `Ti` and `TR`. Called by the session before <see cref="RunAsync"/>.
    /// </summary>
    public void SetRequestTiming(long waitStartMs, long firstByteMs, long handshakeMs)
    {
        _waitStartMs = waitStartMs;
        _firstByteMs = firstByteMs;
        _handshakeMs = handshakeMs;
    }

    public string BackendName => _backend?.Config.Name ?? _front.Frontend.Name;

    public string ServerName { get; private set; } = "<NOSRV>";

    public int Status { get; private set; }

    public TerminationCause Cause { get; private set; }

    public TerminationPhase Phase { get; private set; }

    public int Retries { get; private set; }

    /// <summary>Milliseconds spent in a queue (0 when a slot was free at once; -1 when no server was looked for).</summary>
    public long Tw { get; private set; }

    /// <summary>Requests ahead of this one in the server's queue when it entered it (log `srv_queue`); 0 when not queued there.</summary>
    public int ServerQueuePosition { get; private set; }

    /// <summary>Requests ahead of this one in the backend's queue when it entered it (log `backend_queue`); 0 when not queued there.</summary>
    public int BackendQueuePosition { get; private set; }

    /// <summary>
    /// The third character of HAProxy's termination state, the persistence cookie the request carried: `N` none,
    /// `I` invalid, `D` a server that is down, `V` valid; `-` without `cookie` in the backend.
    /// </summary>
    public char PersistenceCookieState { get; private set; } = '-';

    /// <summary>
    /// The fourth character, the cookie of the response: `N` none, `I` inserted, `P` the server's kept (`preserve`),
    /// `R` rewritten (`rewrite`, `prefix`), `D` the server's deleted; `-` without `cookie` in the backend.
    /// </summary>
    public char SetCookieState { get; private set; } = '-';

    public long Tc { get; private set; }

    public long Tr { get; private set; }

    /// <summary>A `tcp-response content reject` rule refused the server's answer (counted as a denied response).</summary>
    public bool ResponseDenied { get; private set; }

    public long Ta { get; private set; }

    public long BytesToClient { get; private set; }

    /// <summary>True while bytes flow both ways after an upgrade; timeouts then follow `timeout tunnel`.</summary>
    public bool InTunnel { get; private set; }

    /// <summary>
    /// A tunnel counts the inactivity of both sides against `timeout tunnel` (else the smaller of the client and
    /// server timeouts) and cuts both once it expires. <paramref name="front"/> is the client side: the connection
    /// (HTTP/1) or the stream (HTTP/2).
    /// </summary>
    public void CheckTunnelTimeout(long nowMs, IFrontStream front, long clientMs)
    {
        bool expired;
        lock (_serverGate)
        {
            var server = _server;
            var last = Math.Max(front.ReadWatch.LastActivityMs, front.WriteWatch.LastActivityMs);
            if (server is not null)
            {
                last = Math.Max(last, Math.Max(server.ReadWatch.LastActivityMs, server.WriteWatch.LastActivityMs));
            }

            var limit = TunnelMs != TransactionContext.Infinite
                ? TunnelMs
                : Math.Min(clientMs, server?.ReadWatch.LimitMs ?? TransactionContext.Infinite);
            expired = limit != TransactionContext.Infinite && nowMs - last >= limit;
            if (expired)
            {
                SetPendingCause(TerminationCause.ClientTimeout);
                server?.Abort();
            }
        }

        if (expired)
        {
            front.Abort();
        }
    }

    /// <summary>
    /// The server side's timeouts, on the heartbeat: `timeout connect` while dialing, `timeout server` while
    /// waiting on the server connection.
    /// </summary>
    public void CheckServerTimeouts(long nowMs)
    {
        if (_waiter.IsQueued)
        {
            CheckQueueWait(nowMs);
            return;
        }

        _dialer.OnHeartbeat(nowMs);
        lock (_serverGate)
        {
            if (_server is { } server && (server.ReadWatch.IsExpired(nowMs) || server.WriteWatch.IsExpired(nowMs)))
            {
                SetPendingCause(TerminationCause.ServerTimeout);
                server.Abort();
            }
        }
    }

    /// <summary>True while the transaction holds a slot of <paramref name="server"/>.</summary>
    public bool Carries(ServerState server) => Volatile.Read(ref _serverState) == server;

    /// <summary>Hard stop of the server side: the outcome is <paramref name="cause"/> (`K` by default). The session cuts the client side.</summary>
    public void Kill(TerminationCause cause = TerminationCause.Killed)
    {
        SetPendingCause(cause);
        _dialer.Kill();
        lock (_serverGate)
        {
            _server?.Abort();
        }
    }

    /// <summary>Records why the heartbeat or a kill aborted the transaction; the first reason wins.</summary>
    public void SetPendingCause(TerminationCause cause)
    {
        Interlocked.CompareExchange(ref _pendingCause, (int)cause, 0);
        if (_waiter.IsQueued)
        {
            _waiter.Owner?.Cancel(_waiter, QueueOutcome.Aborted);
        }
    }

    /// <summary>
    /// A queued request leaves its queue when `timeout queue` expires, or when its client is gone: a cleartext
    /// HTTP/1 client that closed its connection, or an HTTP/2 client that reset its stream (the request never reached
    /// a server). Over TLS, HTTP/1 clients are seen leaving only through `timeout client`.
    /// </summary>
    private void CheckQueueWait(long nowMs)
    {
        if (nowMs >= _waiter.DeadlineMs)
        {
            _waiter.Owner?.Cancel(_waiter, QueueOutcome.TimedOut);
            return;
        }

        var front = Volatile.Read(ref _queuedFront);
        if ((front is Http1FrontConnection { Io: { Tls: null } io } && io.IsPeerClosed())
            || (front is Http2Stream stream && Volatile.Read(ref stream.IsReset)))
        {
            SetPendingCause(TerminationCause.ClientClosed);
        }
    }

    public long TunnelMs => _backend?.TunnelMs ?? TransactionContext.Infinite;

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    public async ValueTask RunAsync(IFrontStream front, bool firstRequest)
    {
        Reset();
        _startMs = _front.Shared.Clock.Refresh();
        if (_waitStartMs == 0 || _waitStartMs > _startMs)
        {
            _waitStartMs = _startMs;
        }

        // The transaction's steps are one method, not a method and its caller: one resumption less per request.
        try
        {
            var request = front.Request;
            request.KeepReceivedLine();
            var frontend = _front.Frontend;
            if (front is Http1FrontConnection { ExpectationFailed: true })
            {
                await ReplyAsync(front, _front.Replies.ForStatus(417, _samples), TerminationCause.ProxyCondition, TerminationPhase.Request, close: true).ConfigureAwait(false);
                return;
            }

            if (request.Has(HttpMessageFlags.Upgrade) && IsWebSocketUpgrade(request) && request.Headers.CountOf("sec-websocket-key"u8) != 1)
            {
                // RFC 6455 §4.1: a websocket handshake carries exactly one key (RELIABILITY UPG-02).
                await ReplyAsync(front, _front.Replies.ForStatus(400, _samples), TerminationCause.ProxyCondition, TerminationPhase.Request, close: true).ConfigureAwait(false);
                return;
            }

            if (!ApplyHeaderNamePolicy(request, frontend.RestrictRequestHeaderNames))
            {
                await ReplyAsync(front, _front.Replies.ForStatus(403, _samples), TerminationCause.ProxyCondition, TerminationPhase.Request, close: false).ConfigureAwait(false);
                return;
            }

            if (front.Tls is { } tls && tls.IsMisdirected(RequestAuthority(request)))
            {
                // RELIABILITY TLS-04: the request names an origin this TLS connection was not made for; nothing is forwarded.
                await ReplyAsync(front, _front.Replies.ForStatus(421, _samples), TerminationCause.ProxyCondition, TerminationPhase.Request, close: false).ConfigureAwait(false);
                return;
            }

            PrepareSamples(front, firstRequest);
            if (await RejectedByContentRulesAsync(front, frontend.TcpContentRules, frontend.InspectDelay > TimeSpan.Zero, frontendSide: true).ConfigureAwait(false))
            {
                return;
            }

            // The counters tracked so far (by the connection, or by the content rules) count this request, as HAProxy
            // counts a request once it is parsed; `http-request track-scN` counts it as it tracks.
            _samples.CountHttpRequest(Environment.TickCount64);

            if (frontend.HttpBufferRequest && request.HasBody && !await BufferRequestBodyAsync(front).ConfigureAwait(false))
            {
                return;
            }

            if (_front.MonitorUri is { } monitorUri && request.Target.SequenceEqual(monitorUri))
            {
                // HAProxy answers its monitor URI itself and does not log it.
                var failing = frontend.MonitorFail is { } fail && fail.Evaluate(_samples);
                await ReplyAsync(front, _front.Replies.ForStatus(failing ? 503 : 200, _samples), TerminationCause.None, TerminationPhase.None, close: false).ConfigureAwait(false);
                return;
            }

            CaptureHeaders(request.Headers, frontend.RequestCaptures, response: false);
            if (await RunRequestRulesAsync(front, frontend.HttpRequestRules, _front.Replies).ConfigureAwait(false))
            {
                return;
            }

            var backend = ChooseBackend();
            if (backend is null)
            {
                await ReplyAsync(front, _front.Replies.ForStatus(503, _samples), TerminationCause.ProxyCondition, TerminationPhase.Request, close: false).ConfigureAwait(false);
                return;
            }

            _backend = backend;
            _samples.Backend = backend.State;
            if (await RejectedByContentRulesAsync(front, backend.Config.TcpContentRules, backend.Config.InspectDelay > TimeSpan.Zero, frontendSide: false).ConfigureAwait(false))
            {
                return;
            }

            if (!ReferenceEquals(backend.Config.HttpRequestRules, frontend.HttpRequestRules)
                && await RunRequestRulesAsync(front, backend.Config.HttpRequestRules, backend.Replies).ConfigureAwait(false))
            {
                return;
            }

            if (!ApplyHeaderNamePolicy(request, backend.Config.RestrictRequestHeaderNames))
            {
                await ReplyAsync(front, ErrorReply(403), TerminationCause.ProxyCondition, TerminationPhase.Request, close: false).ConfigureAwait(false);
                return;
            }

            if (backend.Config.HttpBufferRequest && !frontend.HttpBufferRequest && request.HasBody && !await BufferRequestBodyAsync(front).ConfigureAwait(false))
            {
                return;
            }

            if (frontend.CookieCapture is { } cookieCapture)
            {
                CaptureCookie(request.Headers, cookieCapture, response: false);
            }

            // HAProxy adds the unique ID after the rules, before X-Forwarded-For.
            if (frontend.UniqueIdHeader is { } uniqueIdHeader && _samples.TryGetUniqueId(out var uniqueId))
            {
                request.Headers.Add(uniqueIdHeader, uniqueId.Bytes);
            }

            // The rules saw the request's hop-by-hop fields as the client sent them; the server must not, but it
            // gets the proxy's own X-Forwarded-For even when the client's Connection named that field.
            Http1Heads.RemoveHopByHopFields(request, isRequest: true);
            AddForwardedHeaders(front, backend.Config);
            var connectionMode = (HttpConnectionMode)Math.Max((int)frontend.HttpConnectionMode, (int)backend.Config.HttpConnectionMode);
            if (connectionMode == HttpConnectionMode.Close)
            {
                front.CloseAfterResponse();
            }

            var state = backend.State;
            state.CountTransaction();
            // The addresses as `set-src`/`set-dst` left them (for this transaction only, as haproxy 2.6).
            var clientAddress = (_samples.ClientEndPoint as IPEndPoint)?.Address;
            // `use-server` rules first (with `force-persist` they may name a DOWN server), then the persistence cookie,
            // which `ignore-persist` or a server already chosen leaves unused, as HAProxy's analysers run.
            var persistOverride = state.ServerRules?.Persistence(_samples) ?? PersistOverride.None;
            var mayUseDown = backend.Config.Persist || persistOverride == PersistOverride.Force;
            var pinned = state.ServerRules?.Choose(_samples, mayUseDown);
            var cookieDates = default(CookieDates);
            if (state.Cookie is { } cookie)
            {
                var byCookie = cookie.ReadRequest(request.Headers, mayUseDown, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), out var cookieState, out cookieDates,
                    selects: pinned is null && persistOverride != PersistOverride.Ignore);
                pinned ??= byCookie;
                PersistenceCookieState = cookieState;
                // Until a response sets it otherwise: HAProxy logs `N` for a cookie backend that got no response.
                SetCookieState = 'N';
            }

            // `url_param NAME check_post`: the parameter may be in the body, which the server choice then waits for.
            if (!frontend.HttpBufferRequest && !backend.Config.HttpBufferRequest && Balancing.RequestHash.NeedsPostBody(backend.Config.Balance, request)
                && !await BufferRequestBodyAsync(front).ConfigureAwait(false))
            {
                return;
            }

            // `stick match|on`: after cookie persistence, which wins (HAProxy runs the sticking rules on an unassigned request).
            var stuck = pinned is null && state.Stick is { } sticking ? sticking.Match(_samples) : null;
            var server = await AssignServerAsync(front, backend, clientAddress, pinned ?? stuck).ConfigureAwait(false);
            if (server is null)
            {
                return;
            }

            _serverState = server;
            _samples.Server = server;
            ServerName = server.Name;
            var closeServer = connectionMode != HttpConnectionMode.KeepAlive;
            var canReplay = !request.HasBody;
            var connection = await GetConnectionAsync(backend, firstRequest, clientAddress, front).ConfigureAwait(false);
            if (connection is null)
            {
                return;
            }

            // An origin-form request has no scheme of its own: it is the client connection's (RFC 9110 §4.2.2), which an
            // HTTP/2 server reads in :scheme.
            if (request.Scheme.IsEmpty && front.Tls is not null)
            {
                request.SetScheme("https"u8);
            }

            Task? requestPump = null;
            var responseStartMs = _front.Shared.Clock.Refresh();
            var freshRetryUsed = false;
            var notProcessedReplays = 0;
            while (true)
            {
                var reused = connection.IsReused;
                var sent = false;
                _backendLocalEndPoint = connection.LocalEndPoint;
                _samples.ServerConnected = true;
                _samples.ServerTls = connection.Tls;
                try
                {
                    await connection.SendRequestHeadAsync(request, closeServer).ConfigureAwait(false);
                    sent = true;
                }
                catch (HttpBodyException) when (PendingCause == TerminationCause.None
                    && ((canReplay && reused && !freshRetryUsed) || (connection.NotProcessed && notProcessedReplays < MaxNotProcessedReplays)))
                {
                    // The idle connection was closed by the server, or an HTTP/2 head could not leave (no room under the
                    // server's SETTINGS_MAX_CONCURRENT_STREAMS, GOAWAY): send again on another one. In the second case
                    // nothing left at all, so even a request with a body can go again: its body was not read yet.
                }
                catch (HttpBodyException ex) when (!ex.ClientSide)
                {
                    // The server's side failed before the head left (an HTTP/2 connection that broke its protocol, a
                    // socket already gone): nothing was sent, the client hears it as an unanswered request.
                    await FailResponseHeadAsync(front, ResponseHeadError.Closed, null).ConfigureAwait(false);
                    return;
                }

                var retry = !sent;
                var notProcessed = connection.NotProcessed;
                if (sent)
                {
                    requestPump = request.HasBody ? PumpRequestAsync(RequestBodyFor(front, connection), connection) : null;
                    _requestPump = requestPump;

                    // Response heads until a final one or a switch of protocols; 1xx go to the client as they come. The
                    // loop is here rather than in a method of its own: one resumption less per response.
                    Phase = TerminationPhase.Headers;
                    ResponseHeadError error;
                    while (true)
                    {
                        (error, _) = await connection.ReadResponseHeadAsync(_response, request, backend.ResponseParser).ConfigureAwait(false);
                        if (error != ResponseHeadError.None || _response.Status == 101 || !_response.IsInterim)
                        {
                            break;
                        }

                        if (front.AcceptsInterimResponses)
                        {
                            await front.SendInterimAsync(_response).ConfigureAwait(false);
                        }
                    }

                    if (error == ResponseHeadError.None && _response.Status == 101 && !IsAcceptedSwitch(request))
                    {
                        error = ResponseHeadError.Invalid;
                    }

                    _serverState?.Observer?.Observe(error switch
                    {
                        ResponseHeadError.None => Checks.ObservedOutcomes.ForStatus(_response.Status),
                        ResponseHeadError.Invalid => Checks.ObservedOutcome.InvalidResponse,
                        _ => PendingCause == TerminationCause.ServerTimeout ? Checks.ObservedOutcome.ReadTimeout : Checks.ObservedOutcome.ClosedByServer,
                    });
                    if (error == ResponseHeadError.None && !ShouldRetryStatus(backend, canReplay))
                    {
                        break;
                    }

                    notProcessed = connection.NotProcessed;
                    if (error == ResponseHeadError.Closed && !connection.ResponseBytesSeen && canReplay && PendingCause == TerminationCause.None
                        && ((reused && !freshRetryUsed) || (notProcessed && notProcessedReplays < MaxNotProcessedReplays)))
                    {
                        // A reused connection the server had closed, or a stream it did not process (HTTP/2 GOAWAY or
                        // REFUSED_STREAM): nothing of the response came and the request can be replayed, so it goes
                        // again on a fresh connection without counting as a retry.
                        retry = true;
                    }
                    else if (error == ResponseHeadError.Closed && notProcessed && notProcessedReplays < MaxNotProcessedReplays
                        && PendingCause == TerminationCause.None && await RewindRequestBodyAsync(requestPump).ConfigureAwait(false))
                    {
                        // RFC 9113 §8.7: a request the server did not process goes again, body included, when all of the
                        // body read so far was kept (FT-09).
                        requestPump = null;
                        _requestPump = null;
                        retry = true;
                    }
                    else if (error == ResponseHeadError.None || ShouldRetryFailure(backend, error, canReplay, connection.ResponseBytesSeen))
                    {
                        if (!await PrepareLayer7RetryAsync(backend, clientAddress).ConfigureAwait(false))
                        {
                            await FailResponseHeadAsync(front, error, requestPump).ConfigureAwait(false);
                            return;
                        }

                        connection = await GetConnectionAsync(backend, firstRequest, clientAddress, front).ConfigureAwait(false);
                        if (connection is null)
                        {
                            return;
                        }

                        continue;
                    }
                    else
                    {
                        await FailResponseHeadAsync(front, error, requestPump).ConfigureAwait(false);
                        return;
                    }
                }

                if (retry)
                {
                    DropServerConnection();
                    if (notProcessed)
                    {
                        // HTTP/2 (RFC 9113 §8.7): the server did not take the stream; another shared connection may. The
                        // last replay takes a connection of its own, whose first stream no limit of the server refuses.
                        notProcessedReplays++;
                        connection = notProcessedReplays < MaxNotProcessedReplays
                            ? await GetConnectionAsync(backend, firstRequest, clientAddress, front).ConfigureAwait(false)
                            : await DialNewAsync(backend, clientAddress, front).ConfigureAwait(false);
                    }
                    else
                    {
                        freshRetryUsed = true;
                        connection = await DialNewAsync(backend, clientAddress, front).ConfigureAwait(false);
                    }

                    if (connection is null)
                    {
                        return;
                    }
                }
            }

            Tr = _front.Shared.Clock.Refresh() - responseStartMs;
            Status = _response.Status;
            // HAProxy counts the head as the server sent it: what response rules and cookie insertion add is not in %B.
            _headBytesOut = Sluice.Logging.LogSizes.Response(_response);
            if (state.Stick is { } stick && _serverState is { } taken)
            {
                // HAProxy stores the sticking keys once the server's response head is in, before the response rules.
                if (stick.HasResponseRules)
                {
                    _samples.Response = _response;
                }

                stick.Store(_samples, taken, Environment.TickCount64);
            }

            if (_response.SwitchesProtocols(request))
            {
                await RunTunnelAsync(front, connection, requestPump).ConfigureAwait(false);
                return;
            }

            CaptureHeaders(_response.Headers, _front.Frontend.ResponseCaptures, response: true);
            if (_front.Frontend.CookieCapture is { } setCookieCapture)
            {
                CaptureCookie(_response.Headers, setCookieCapture, response: true);
            }

            if (backend.Config.TcpResponseRules.Count > 0)
            {
                // Without `tcp-response inspect-delay` HAProxy runs these rules as soon as the server connection is
                // up, before any of the response: they see none of it (checked with haproxy 2.6).
                _samples.Response = backend.Config.ResponseInspectDelay > TimeSpan.Zero ? _response : null;
                var verdict = TcpRuleRunner.Run(backend.Config.TcpResponseRules, _samples);
                if (verdict == TcpVerdict.Reject)
                {
                    // HAProxy logs the server's status with no response time, `PD`; the client gets nothing.
                    Tr = -1;
                    ResponseDenied = true;
                    End(TerminationCause.ProxyCondition, TerminationPhase.Data);
                    connection.MarkNotReusable();
                    DropServerConnection();
                    front.Abort();
                    return;
                }

                // `close`: the response goes on, the server connection ends with it.
                closeServer |= verdict == TcpVerdict.Close;
            }

            if (await RunResponseRulesAsync(front, backend).ConfigureAwait(false))
            {
                connection.MarkNotReusable();
                DropServerConnection();
                if (requestPump is not null)
                {
                    front.CloseAfterResponse();
                }

                return;
            }

            if (Status is >= 400 and < 500)
            {
                // Tracked stick counters count the server's 4xx answers (http_err_cnt, http_err_rate).
                _samples.CountHttpError(Environment.TickCount64);
            }
            else if (Status is >= 500 and < 600 and not 501 and not 505)
            {
                // ...and its 5xx as failures, but for the two a client's request causes (http_fail_cnt, http_fail_rate).
                _samples.CountHttpFailure(Environment.TickCount64);
            }

            if (state.Cookie is { } persistence && _serverState is { } answered)
            {
                SetCookieState = persistence.WriteResponse(_response, answered, direct: pinned == answered, post: request.Method == Messages.HttpMethod.Post, cookieDates, DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                    mayInsert: persistOverride != PersistOverride.Ignore);
            }

            // The head waits for the first piece of body when that is already here: one write instead of two.
            var sink = await front.SendResponseHeadAsync(_response, closeAfter: false, flush: !connection.HasBufferedInput()).ConfigureAwait(false);
            Phase = TerminationPhase.Data;
            if (_front.Shared.Log is { LogAsap: true } asap)
            {
                // `option logasap`: the line goes now, its byte and time counters prefixed with `+`.
                Log(asap, front, _front.Shared.Clock.Refresh(), early: true, withRequest: true);
            }

            await PumpResponseAsync(connection.ResponseBody, sink).ConfigureAwait(false);
            if (requestPump is not null)
            {
                if (!requestPump.IsCompleted)
                {
                    // The server answered before the whole request body came: the rest cannot be framed any more,
                    // so both connections close once the response is out (HAProxy does the same).
                    front.CloseAfterResponse();
                    connection.MarkNotReusable();
                    DropServerConnection();
                }

                try
                {
                    await requestPump.ConfigureAwait(false);
                }
                catch (HttpBodyException)
                {
                    // The response is complete; what the request body did no longer matters to the client.
                }
            }

            End(TerminationCause.None, TerminationPhase.None);
            FinishServerConnection(closeServer);
        }
        catch (HttpBodyException ex)
        {
            EndWithBodyFailure(ex, front);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug must end this transaction and its connection, not the process.
            End(TerminationCause.Internal, Phase == TerminationPhase.None ? TerminationPhase.Data : Phase);
            front.CloseAfterResponse();
            DropServerConnection();
        }
        finally
        {
            await EndRequestPumpAsync(front).ConfigureAwait(false);
            if (_replayableBodyInUse)
            {
                _replayableBody.Release();
                _replayableBodyInUse = false;
            }

            var endMs = _front.Shared.Clock.Refresh();
            Ta = endMs - _startMs;
            BytesToClient = front.ResponseBodyBytes;
            Stats.TransactionStats.RecordHttp(ListenerCounters ?? _front.Shared.Counters, _backend?.State, _serverState, this, front, Ta);
            // The line comes once the server is let go, so that its counts no longer hold this transaction, as in HAProxy.
            ReleaseServer();
            if (!_rejectedBeforeHttp && _samples.TracksAny)
            {
                _samples.CountBytes(BytesInWithHead(front), BytesOutWithHead(front), Environment.TickCount64);
            }

            _samples.EndTracking();
            if (_front.Shared.Log is { } log && !_logged)
            {
                Log(log, front, endMs, early: false, withRequest: !_rejectedBeforeHttp);
            }

            _waitStartMs = 0;
            _handshakeMs = 0;
            _firstByteMs = -1;
        }
    }

    /// <summary>
    /// Fills the log fields from what the transaction recorded and renders its line (at the end, or at the
    /// response head with `option logasap`).
    /// </summary>
    private void Log(Sluice.Logging.LogSender log, IFrontStream front, long nowMs, bool early, bool withRequest)
    {
        var fields = _log;
        fields.Reset();
        // Without a first byte the whole wait was idle time (a connection that closed without sending anything).
        var firstByte = _firstByteMs >= _waitStartMs && _firstByteMs <= _startMs ? _firstByteMs : withRequest ? _waitStartMs : _startMs;
        // As HAProxy, the first request of a connection dates from the accept: its handshakes count as `Th` and in `Tt`.
        fields.AcceptMs = _waitStartMs - _handshakeMs;
        fields.AcceptUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - (_front.Shared.Clock.Refresh() - fields.AcceptMs);
        fields.Th = _handshakeMs;
        fields.Ti = firstByte - _waitStartMs;
        fields.TR = withRequest && !_rejected ? _startMs - firstByte : -1;
        fields.Tw = Tw;
        fields.Tc = Tc;
        fields.Tr = Tr;
        fields.Tt = nowMs - fields.AcceptMs;
        fields.Status = Status == 0 ? -1 : Status;
        // HAProxy counts nothing for the error it answers to a request it could not read.
        fields.BytesOut = withRequest ? BytesOutWithHead(front) : 0;
        fields.BytesIn = withRequest ? BytesInWithHead(front) : 0;
        fields.Cause = early ? TerminationCause.None : Cause;
        fields.Phase = early ? TerminationPhase.None : Phase;
        fields.Retries = Retries;
        fields.Redispatched = _dialer.Redispatched;
        fields.BackendLocalEndPoint = _backendLocalEndPoint;
        fields.ActConn = Sluice.Listeners.ConnectionCounter.Process.Value;
        fields.FeConn = _front.Shared.Counters.CurrentSessions;
        fields.BeConn = _backend?.State.CurrentConnections ?? 0;
        fields.SrvConn = _samples.Server?.CurrentConnections ?? 0;
        fields.SrvQueue = ServerQueuePosition;
        fields.BackendQueue = BackendQueuePosition;
        fields.PersistenceCookie = PersistenceCookieState;
        fields.SetCookie = SetCookieState;
        fields.Early = log.LogAsap;
        _samples.Backend = _backend?.State;
        _samples.Response = Status != 0 && withRequest ? _response : null;
        log.Emit(_samples, fields, _samples.FormatOutput);
        _logged = true;
    }

    /// <summary>
    /// The line of a connection whose request never came whole (HAProxy's `&lt;BADREQ&gt;`): an invalid head
    /// (`PR`), a timeout (`cR`), a client that left (`CR`). With `option dontlognull` a connection that sent
    /// nothing at all is not logged.
    /// </summary>
    public void LogWithoutRequest(IFrontStream front, int status, TerminationCause cause, TerminationPhase phase, bool dataReceived)
    {
        if (_front.Shared.Log is not { } log || (!dataReceived && log.Config.DontLogNull))
        {
            return;
        }

        Reset();
        var now = _front.Shared.Clock.Refresh();
        _startMs = now;
        if (_waitStartMs == 0 || _waitStartMs > now)
        {
            _waitStartMs = now;
        }

        var samples = _samples;
        samples.ResetTransaction();
        samples.Request = null;
        samples.Response = null;
        samples.ClientEndPoint = front.ClientEndPoint;
        samples.LocalEndPoint = front.LocalEndPoint;
        samples.Tls = front.Tls;
        samples.FrontendName = _front.FrontendNameBytes;
        samples.FrontendId = _front.Frontend.Id;
        samples.UniqueIdFormat = _front.Frontend.UniqueIdFormat;
        samples.Backend = null;
        samples.Server = null;
        // A connection closed before its request is logged as HAProxy does: a 400 that was never sent.
        Status = status < 0 ? 400 : status;
        _headBytesOut = 0;
        End(cause, phase);
        Log(log, front, now, early: false, withRequest: false);
        _waitStartMs = 0;
        _handshakeMs = 0;
    }

    private void Reset()
    {
        _backend = null;
        _samples.ResetTransaction();
        _serverState = null;
        ServerName = "<NOSRV>";
        Status = 0;
        Cause = TerminationCause.None;
        Phase = TerminationPhase.None;
        Retries = 0;
        Tw = -1;
        ServerQueuePosition = 0;
        BackendQueuePosition = 0;
        PersistenceCookieState = '-';
        SetCookieState = '-';
        _backendLocalEndPoint = null;
        Tc = -1;
        Tr = -1;
        Ta = -1;
        BytesToClient = 0;
        InTunnel = false;
        _headBytesOut = 0;
        _logged = false;
        _rejectedBeforeHttp = false;
        _rejected = false;
        Volatile.Write(ref _pendingCause, 0);
    }

    /// <summary>
    /// `option http-buffer-request`: the body (up to a buffer) is waited for before the server is picked, within
    /// `timeout http-request` (408 after it, as HAProxy). A client that waits for `100 Continue` gets it from
    /// the proxy, and the server does not see the expectation. `wait-for-body` gives its own time (instead of
    /// `timeout http-request`) and payload size that ends the wait. False when the transaction ended here.
    /// </summary>
    private async ValueTask<bool> BufferRequestBodyAsync(IFrontStream front, long waitMs = 0, long atLeast = 0)
    {
        var request = front.Request;
        if (request.Has(HttpMessageFlags.Expect100Continue))
        {
            request.Unset(HttpMessageFlags.Expect100Continue);
            request.Headers.RemoveAll("expect"u8);
            if (front.AcceptsInterimResponses)
            {
                _response.Reset();
                _response.Status = 100;
                await front.SendInterimAsync(_response).ConfigureAwait(false);
            }
        }

        var previousLimit = front.ReadWatch.LimitMs;
        front.ReadWatch.LimitMs = waitMs > 0 ? waitMs : _front.HttpRequestMs;
        Volatile.Write(ref _waitingForBody, 1);
        bool complete;
        try
        {
            complete = await front.BufferRequestBodyAsync(_front.Shared.Buffers.BufferSize, atLeast).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _waitingForBody, 0);
            front.ReadWatch.LimitMs = previousLimit;
        }

        if (!complete)
        {
            await ReplyAsync(front, _front.Replies.ForStatus(408, _samples), TerminationCause.ClientTimeout, TerminationPhase.Request, close: true).ConfigureAwait(false);
        }

        return complete;
    }

    /// <summary>True while the transaction waits for a request body to buffer: a timeout then cancels the wait, so that 408 can be sent.</summary>
    public bool WaitingForBody => Volatile.Read(ref _waitingForBody) != 0;

    /// <summary>
    /// `option http-restrict-req-hdr-names`: fields whose name has a character other than a letter, a digit or
    /// `-` (`X_Forwarded_For`, which some servers read as `X-Forwarded-For`) are kept, deleted, or make the
    /// request refused. False when the request must be refused.
    /// </summary>
    private static bool ApplyHeaderNamePolicy(HttpRequestHead request, HeaderNamePolicy policy)
    {
        if (policy == HeaderNamePolicy.Preserve)
        {
            return true;
        }

        var headers = request.Headers;
        for (var i = 0; i < headers.SlotCount; i++)
        {
            if (!headers.IsRemoved(i) && headers.Name(i).ContainsAnyExcept(RestrictedNameCharacters))
            {
                if (policy == HeaderNamePolicy.Reject)
                {
                    return false;
                }

                headers.Remove(i);
            }
        }

        return true;
    }

    private static readonly System.Buffers.SearchValues<byte> RestrictedNameCharacters =
        System.Buffers.SearchValues.Create("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>
    /// Takes a server slot for the request: at once, or after a wait in a queue (`maxconn`). Null when the request
    /// ended here with a 503: no server (`SC`), the bound server's queue full (`SQ`), `timeout queue` (`sQ`), or the
    /// client gone while it waited (`CQ`).
    /// </summary>
    private ValueTask<ServerState?> AssignServerAsync(IFrontStream front, HttpBackendContext backend, IPAddress? clientAddress, ServerState? pinned)
    {
        Tw = 0;
        if (backend.Config.Disabled)
        {
            return AwaitAssignmentAsync(front, AssignStatus.NoServer, null, pinned);
        }

        uint? hash = null;
        var balance = backend.Config.Balance;
        if (balance.IsHashBased && balance.Algorithm != BalanceAlgorithm.Source
            && Balancing.RequestHash.TryCompute(balance, backend.Config.HashType, front.Request, _samples, out var key))
        {
            hash = key;
        }

        // The queue's deadline needs no precise time; the time in the queue is measured from the moment it starts.
        var status = ServerAssignment.Assign(backend.State, clientAddress, pinned, backend.Config.Redispatch is not null, _waiter,
            ServerAssignment.QueueDeadline(backend.Config.Timeouts, _front.Shared.Clock.NowMs), out var server, hash);
        return status == AssignStatus.Assigned ? new ValueTask<ServerState?>(server) : AwaitAssignmentAsync(front, status, server, pinned);
    }

    /// <summary>The assignments that end in an answer of the proxy (no server, a full queue), or wait in a queue.</summary>
    private async ValueTask<ServerState?> AwaitAssignmentAsync(IFrontStream front, AssignStatus status, ServerState? server, ServerState? pinned)
    {
        switch (status)
        {
            case AssignStatus.NoServer:
                await ReplyAsync(front, ErrorReply(503), TerminationCause.ServerClosed, TerminationPhase.Connect, close: false).ConfigureAwait(false);
                return null;
            case AssignStatus.QueueFull:
                ServerName = server!.Name;
                server.CountConnectFailure();
                await ReplyAsync(front, ErrorReply(503), TerminationCause.ServerClosed, TerminationPhase.Queue, close: false).ConfigureAwait(false);
                return null;
        }

        var clock = _front.Shared.Clock;
        var queuedMs = clock.Refresh();
        Volatile.Write(ref _queuedFront, front);
        if (PendingCause != TerminationCause.None)
        {
            _waiter.Owner?.Cancel(_waiter, QueueOutcome.Aborted);
        }

        var outcome = await _waiter.WaitAsync().ConfigureAwait(false);
        Volatile.Write(ref _queuedFront, null);
        Tw = clock.Refresh() - queuedMs;
        ServerQueuePosition = _waiter.ServerQueuePosition;
        BackendQueuePosition = _waiter.BackendQueuePosition;
        if (outcome == QueueOutcome.Served)
        {
            return _waiter.Server;
        }

        if (pinned is not null)
        {
            ServerName = pinned.Name;
        }

        if (outcome == QueueOutcome.TimedOut)
        {
            await ReplyAsync(front, ErrorReply(503), TerminationCause.ServerTimeout, TerminationPhase.Queue, close: false).ConfigureAwait(false);
            return null;
        }

        var cause = PendingCause == TerminationCause.None ? TerminationCause.ClientClosed : PendingCause;
        await ReplyAsync(front, ErrorReply(503), cause, TerminationPhase.Queue, close: true).ConfigureAwait(false);
        return null;
    }

    /// <summary>`retry-on` with a status: a replayable request whose answer has one of the listed statuses goes again.</summary>
    private bool ShouldRetryStatus(HttpBackendContext backend, bool canReplay)
    {
        var retryOn = backend.Config.RetryOn;
        const RetryOnConditions statuses = RetryOnConditions.Status401 | RetryOnConditions.Status403 | RetryOnConditions.Status404
            | RetryOnConditions.Status408 | RetryOnConditions.Status425 | RetryOnConditions.Status500 | RetryOnConditions.Status501
            | RetryOnConditions.Status502 | RetryOnConditions.Status503 | RetryOnConditions.Status504;
        if (!canReplay || Retries >= backend.Config.Retries || (retryOn & statuses) == 0)
        {
            return false;
        }

        var flag = _response.Status switch
        {
            401 => RetryOnConditions.Status401,
            403 => RetryOnConditions.Status403,
            404 => RetryOnConditions.Status404,
            408 => RetryOnConditions.Status408,
            425 => RetryOnConditions.Status425,
            500 => RetryOnConditions.Status500,
            501 => RetryOnConditions.Status501,
            502 => RetryOnConditions.Status502,
            503 => RetryOnConditions.Status503,
            504 => RetryOnConditions.Status504,
            _ => RetryOnConditions.None,
        };
        return flag != RetryOnConditions.None && (retryOn & flag) != 0;
    }

    /// <summary>`retry-on empty-response`, `junk-response`, `response-timeout` for a request that can be replayed.</summary>
    private bool ShouldRetryFailure(HttpBackendContext backend, ResponseHeadError error, bool canReplay, bool bytesSeen)
    {
        if (!canReplay || Retries >= backend.Config.Retries)
        {
            return false;
        }

        var retryOn = backend.Config.RetryOn;
        if (PendingCause == TerminationCause.ServerTimeout)
        {
            return (retryOn & RetryOnConditions.ResponseTimeout) != 0;
        }

        if (PendingCause != TerminationCause.None)
        {
            return false;
        }

        return error switch
        {
            ResponseHeadError.Closed when !bytesSeen => (retryOn & RetryOnConditions.EmptyResponse) != 0,
            ResponseHeadError.Closed or ResponseHeadError.Invalid => (retryOn & RetryOnConditions.JunkResponse) != 0,
            _ => false,
        };
    }

    /// <summary>
    /// Gets ready to send the request again after a layer 7 failure: the server connection is closed, the retry
    /// counted, and the server kept or changed as `option redispatch` says. False when no server is left.
    /// </summary>
    private async ValueTask<bool> PrepareLayer7RetryAsync(HttpBackendContext backend, IPAddress? clientAddress)
    {
        DropServerConnection();
        Volatile.Write(ref _pendingCause, 0);
        var server = _serverState!;
        var state = backend.State;
        var decision = RetryPolicy.Decide(backend.Config, Retries, server.IsUsable, state.UsableActiveServers);
        Retries++;
        _serverState = null;
        var (next, _) = await ServerDialer.MoveOnAsync(decision, state, server, clientAddress, backend.ConnectTimeout, timedOut: false, _front.Shared.Clock, _waiter).ConfigureAwait(false);
        if (next is null)
        {
            return false;
        }

        _serverState = next;
        ServerName = next.Name;
        _samples.Server = next;
        return true;
    }

    /// <summary>
    /// The source of the request body for <paramref name="connection"/>: toward an HTTP/2 server (which may refuse the
    /// stream) a copy is kept for a replay; a replay reads that copy again before the rest.
    /// </summary>
    private IHttpBodySource RequestBodyFor(IFrontStream front, IBackStream connection)
    {
        if (_replayableBodyInUse)
        {
            return _replayableBody;
        }

        if (connection is not Mux.Http2.Http2BackStream)
        {
            return front.RequestBody;
        }

        _replayableBodyInUse = true;
        return _replayableBody.Begin(front.RequestBody, _front.Shared.Buffers.BufferSize);
    }

    /// <summary>
    /// After a stream the server did not process: waits for the pump of its body to stop (its writes fail once the
    /// stream is gone) and rewinds the kept copy. False when the body cannot go again: nothing was kept, the client's
    /// side failed, or the body outgrew the copy.
    /// </summary>
    private async ValueTask<bool> RewindRequestBodyAsync(Task? pump)
    {
        if (!_replayableBodyInUse)
        {
            return false;
        }

        if (pump is not null)
        {
            try
            {
                await pump.ConfigureAwait(false);
            }
            catch (HttpBodyException ex) when (!ex.ClientSide)
            {
                // The refused stream would not take the rest: expected.
            }
            catch (HttpBodyException)
            {
                return false;
            }
        }

        if (!_replayableBody.CanReplay)
        {
            return false;
        }

        _replayableBody.Rewind();
        return true;
    }

    /// <summary>
    /// Makes sure the request body pump is over before the connection reads its next request: a pump still
    /// waiting for the client's bytes can only mean the connection is being closed, so it is cut short.
    /// </summary>
    private ValueTask EndRequestPumpAsync(IFrontStream front) => _requestPump is { } pump ? EndRequestPumpAsync(front, pump) : default;

    private async ValueTask EndRequestPumpAsync(IFrontStream front, Task pump)
    {
        _requestPump = null;
        if (!pump.IsCompleted)
        {
            front.CloseAfterResponse();
            DropServerConnection();
            if (!pump.IsCompleted)
            {
                front.Abort();
            }
        }

        try
        {
            await pump.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Already accounted for by the path that ended the transaction.
        }
    }

    /// <summary>What fetches read about this request: the connection, the frontend, the request head.</summary>
    private void PrepareSamples(IFrontStream front, bool firstRequest)
    {
        var samples = _samples;
        samples.Request = front.Request;
        samples.ClientEndPoint = front.ClientEndPoint;
        samples.LocalEndPoint = front.LocalEndPoint;
        samples.Tls = front.Tls;
        samples.Proxy = front.Proxy;
        samples.RequestBody = front as IBufferedRequestBody;
        samples.FrontendName = _front.FrontendNameBytes;
        samples.FrontendId = _front.Frontend.Id;
        samples.FrontendCounters = _front.Shared.Counters;
        samples.Listener = Listener;
        samples.FirstRequest = firstRequest;
        samples.FindBackend ??= name => _front.FindBackend(name)?.State;
        samples.StickTables ??= _front.StickTables;
        samples.FrontendStickTable ??= _front.Frontend.StickTable;
        if (_front.RequestCaptureSizes.Length + _front.ResponseCaptureSizes.Length > 0)
        {
            samples.Captures.Prepare(_front.RequestCaptureSizes, _front.ResponseCaptureSizes);
        }

        if (_front.Frontend.CookieCapture is { } cookieCapture)
        {
            samples.Captures.PrepareCookies(cookieCapture.Length);
        }

        samples.UniqueIdFormat = _front.Frontend.UniqueIdFormat;
    }

    /// <summary>`capture request|response header NAME len N`: the last occurrence's value, cut to its length.</summary>
    private void CaptureHeaders(HttpHeaderList headers, IReadOnlyList<CaptureSlot> slots, bool response)
    {
        for (var i = 0; i < slots.Count; i++)
        {
            var name = slots[i].HeaderNameBytes;
            if (name.Length == 0)
            {
                continue;
            }

            var last = -1;
            for (var slot = headers.IndexOf(name); slot >= 0; slot = headers.IndexOf(name, slot + 1))
            {
                last = slot;
            }

            if (last >= 0)
            {
                _samples.Captures.Set(response, i, headers.Value(last));
            }
        }
    }

    private static readonly byte[] CookieField = "cookie"u8.ToArray();
    private static readonly byte[] SetCookieField = "set-cookie"u8.ToArray();

    /// <summary>`capture cookie`: the first matching cookie of the request's `Cookie` or the response's `Set-Cookie` fields.</summary>
    private void CaptureCookie(HttpHeaderList headers, CookieCapture capture, bool response)
    {
        var field = response ? SetCookieField : CookieField;
        for (var slot = headers.IndexOf(field); slot >= 0 && !_samples.Captures.HasCookie(response); slot = headers.IndexOf(field, slot + 1))
        {
            if (capture.TryFind(headers.Value(slot), response, out var name, out var value))
            {
                _samples.Captures.SetCookie(response, name, value);
            }
        }
    }

    /// <summary>
    /// `tcp-request content` rules of an HTTP proxy: they run on the request head (HAProxy's HTX message), the
    /// frontend's before its `http-request` rules, the backend's after the switch. True when one rejected: the
    /// connection closes without an answer, logged `PR` (without the request line for the frontend's, as HAProxy).
    /// </summary>
    /// <param name="mayWait">The rules' `tcp-request inspect-delay` is set: only then does a `do-resolve` rule wait
    /// for its answer; without it HAProxy cannot wait, and the rule does nothing.</param>
    private ValueTask<bool> RejectedByContentRulesAsync(IFrontStream front, IReadOnlyList<TcpRule> rules, bool mayWait, bool frontendSide) =>
        rules.Count == 0 ? new ValueTask<bool>(false) : RunContentRulesAsync(front, rules, mayWait, frontendSide);

    private async ValueTask<bool> RunContentRulesAsync(IFrontStream front, IReadOnlyList<TcpRule> rules, bool mayWait, bool frontendSide)
    {
        _samples.PayloadComplete = true;
        if (await RuleResolution.RunContentRulesAsync(rules, _samples, _front.Shared.Resolutions, mayWait).ConfigureAwait(false) != TcpVerdict.Reject)
        {
            return false;
        }

        if (frontendSide)
        {
            _rejectedBeforeHttp = true;
            _samples.Request = null;
        }

        _rejected = true;
        End(TerminationCause.ProxyCondition, TerminationPhase.Request);
        front.Abort();
        return true;
    }

    /// <summary>
    /// Runs a proxy's `http-request` rules. True when a rule ended the transaction (an answer by the proxy, a
    /// tarpit, a rejection); false when the request goes on.
    /// </summary>
    private ValueTask<bool> RunRequestRulesAsync(IFrontStream front, IReadOnlyList<HttpRule> rules, HttpReplies replies) =>
        rules.Count == 0 ? new ValueTask<bool>(false) : RunRequestRuleSetAsync(front, rules, replies);

    private async ValueTask<bool> RunRequestRuleSetAsync(IFrontStream front, IReadOnlyList<HttpRule> rules, HttpReplies replies)
    {
        var next = 0;
        while (next < rules.Count)
        {
            _ruleResult.Reset();
            var verdict = HttpRuleRunner.Run(rules, next, _samples, front.Request, _ruleResult, out next);
            switch (verdict)
            {
                case RuleVerdict.Allow when Stats.StatsServices.FirstStatsRule(rules, next) is var stats and >= 0:
                    next = stats;
                    continue;
                case RuleVerdict.Continue or RuleVerdict.Allow:
                    return false;
                case RuleVerdict.WaitForBody:
                    if (front.Request.HasBody && !await BufferRequestBodyAsync(front, _ruleResult.WaitForBodyMs, _ruleResult.WaitForBodyAtLeast).ConfigureAwait(false))
                    {
                        return true;
                    }

                    continue;
                case RuleVerdict.Resolve:
                    await RuleResolution.RunAsync(_front.Shared.Resolutions, _ruleResult.Resolve!, _ruleResult.ResolveName!, _samples).ConfigureAwait(false);
                    continue;
                case RuleVerdict.SendEarlyHints:
                    _ruleResult.EarlyHintsPending = false;
                    if (front.AcceptsInterimResponses)
                    {
                        await front.SendInterimAsync(_ruleResult.EarlyHints).ConfigureAwait(false);
                    }

                    continue;
                case RuleVerdict.Reject:
                    _rejected = true;
                    End(TerminationCause.ProxyCondition, TerminationPhase.Request);
                    front.Abort();
                    return true;
                case RuleVerdict.Tarpit:
                    await TarpitAsync(front, replies.Resolve(_ruleResult, _samples)).ConfigureAwait(false);
                    return true;
                default:
                    // An answer by a rule is logged `PR` for denials, `LR` for the proxy's own answers (return, redirect), as HAProxy.
                    await ReplyAsync(front, replies.Resolve(_ruleResult, _samples), _ruleResult.IsDenial ? TerminationCause.ProxyCondition : TerminationCause.Local,
                        TerminationPhase.Request, close: false).ConfigureAwait(false);
                    return true;
            }
        }

        return false;
    }


    /// <summary>
    /// `http-request tarpit`: the client waits `timeout tarpit` (else `timeout connect`) for nothing, then gets
    /// the error; the connection closes after it. Logged `PT`.
    /// </summary>
    private async ValueTask TarpitAsync(IFrontStream front, HttpReply reply)
    {
        var timeouts = _front.Frontend.Timeouts;
        var delay = timeouts.Tarpit ?? _backend?.Config.Timeouts.Tarpit ?? timeouts.Connect ?? _backend?.ConnectTimeout ?? TimeSpan.Zero;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay).ConfigureAwait(false);
        }

        await ReplyAsync(front, reply, TerminationCause.ProxyCondition, TerminationPhase.Tarpit, close: true).ConfigureAwait(false);
    }

    /// <summary>The first `use_backend` rule whose condition holds, else `default_backend`.</summary>
    private HttpBackendContext? ChooseBackend()
    {
        var rules = _front.UseBackends;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            _samples.ResetScratch();
            if (rule.Condition is { } condition && !condition.Evaluate(_samples))
            {
                continue;
            }

            if (rule.Backend is { } backend)
            {
                return backend;
            }

            var name = _samples.FormatOutput;
            name.ResetWrittenCount();
            rule.DynamicName!.Render(_samples, name);
            if (_front.FindBackend(name.WrittenSpan) is { } found && found.Config.Mode == _front.Frontend.Mode)
            {
                return found;
            }
        }

        return _front.DefaultBackend;
    }

    private RuleVerdict RunResponseRuleSet(IReadOnlyList<HttpRule> rules)
    {
        _ruleResult.Reset();
        return HttpRuleRunner.Run(rules, 0, _samples, _response, _ruleResult, out _);
    }

    /// <summary>
    /// Runs the `http-response` rules, the backend's then the frontend's, on the response head before it goes
    /// to the client. True when a rule replaced the response with an answer of the proxy.
    /// </summary>
    private ValueTask<bool> RunResponseRulesAsync(IFrontStream front, HttpBackendContext backend) =>
        backend.Config.HttpResponseRules.Count == 0 && _front.Frontend.HttpResponseRules.Count == 0
            ? new ValueTask<bool>(false)
            : RunResponseRuleSetsAsync(front, backend);

    private async ValueTask<bool> RunResponseRuleSetsAsync(IFrontStream front, HttpBackendContext backend)
    {
        var backendRules = backend.Config.HttpResponseRules;
        var frontendRules = _front.Frontend.HttpResponseRules;
        _samples.Response = _response;
        _samples.Variables.ClearRequest();
        var verdict = backendRules.Count > 0 ? RunResponseRuleSet(backendRules) : RuleVerdict.Continue;
        var replies = backend.Replies;
        if (verdict == RuleVerdict.Continue && frontendRules.Count > 0)
        {
            verdict = RunResponseRuleSet(frontendRules);
            replies = _front.Replies;
        }

        switch (verdict)
        {
            case RuleVerdict.Reject:
                End(TerminationCause.ProxyCondition, TerminationPhase.Headers);
                front.Abort();
                return true;
            case RuleVerdict.Reply or RuleVerdict.Tarpit:
                await ReplyAsync(front, replies.Resolve(_ruleResult, _samples), _ruleResult.IsDenial ? TerminationCause.ProxyCondition : TerminationCause.None,
                    _ruleResult.IsDenial ? TerminationPhase.Headers : TerminationPhase.None, close: false).ConfigureAwait(false);
                return true;
        }

        Status = _response.Status;
        return false;
    }

    private ValueTask<IBackStream?> GetConnectionAsync(HttpBackendContext backend, bool firstRequest, IPAddress? clientAddress, IFrontStream front)
    {
        var server = _serverState!;
        var serverName = server.Config.Tls is { Settings.SniExpression: { } sni } ? ServerNameFor(sni) : null;
        _dialer.ServerNameIndication = serverName;
        if (front.Request.Has(HttpMessageFlags.Upgrade) && BackMux.WebSocketsNeedOwnConnection(server.Config) && IsWebSocketUpgrade(front.Request))
        {
            // `ws` gives websocket streams another protocol or ALPN offer than the server's other requests: a
            // connection of their own, as HAProxy skips its idle connections for them.
            _dialer.ForWebSocket = true;
            return new ValueTask<IBackStream?>(DialNewAsync(backend, clientAddress, front));
        }

        _dialer.ForWebSocket = false;
        var reuse = ReuseMode(backend, server);
        IBackStream? pooled = null;
        var protocol = BackMux.Choose(server.Config, alpn: null);
        // A TLS server offering h2 by ALPN may have given either protocol: its idle connections can be of both kinds.
        var mayBeHttp2 = protocol == BackProtocol.Http2 || (server.Config.Proto is null && server.Config.Tls is { OffersH2: true });
        if (mayBeHttp2)
        {
            pooled = reuse == HttpReuseMode.Never ? TakePrivateHttp2Stream(server) : server.Pool.Multiplexed.TryOpenStream(reuse, firstRequest);
            if (pooled is not null)
            {
                pooled.ReadWatch.LimitMs = backend.ServerMs;
                pooled.WriteWatch.LimitMs = backend.ServerMs;
            }
        }

        if (pooled is null && protocol != BackProtocol.Http2)
        {
            pooled = reuse == HttpReuseMode.Never ? TakePrivateConnection(server, serverName) : server.Pool.TryTake(reuse, firstRequest, _front.Shared.Clock.NowMs, serverName);
        }

        if (pooled is not null)
        {
            Tc = 0;
            Volatile.Write(ref _server, pooled);
            return new ValueTask<IBackStream?>(pooled);
        }

        return new ValueTask<IBackStream?>(DialNewAsync(backend, clientAddress, front));
    }

    private string ServerNameFor(Rules.Samples.SampleExpression sni) => ServerDialer.ServerNameOf(sni, _samples);

    /// <summary>
    /// The backend's `http-reuse`, except where a connection names its client: one whose PROXY header, or whose
    /// source address (`usesrc client|clientip`), is one client's, or whose server address is the client's
    /// destination (`0.0.0.0`, port 0), must carry that client's requests only, so it stays private as with
    /// `http-reuse never` (as in HAProxy).
    /// </summary>
    private static HttpReuseMode ReuseMode(HttpBackendContext backend, ServerState server) =>
        server.Config.SendProxy.Enabled || server.Source is { UseSource: Config.Model.UseSource.Client or Config.Model.UseSource.ClientIp }
            || ServerConnector.FollowsDestination(server.Address)
            ? HttpReuseMode.Never
            : backend.Config.HttpReuse;

    private bool GoesToSameDestination(ServerState server) =>
        !ServerConnector.FollowsDestination(server.Address) || Equals(_privateDestination, _samples.LocalEndPoint);

    /// <summary>This client connection's own idle server connection, when it goes to the same server and is still usable.</summary>
    private Http1BackConnection? TakePrivateConnection(ServerState server, string? serverName)
    {
        if (_privateConnection is not var (connection, owner))
        {
            return null;
        }

        _privateConnection = null;
        if (owner == server && GoesToSameDestination(server) && !connection.Io.IsReadableWhileIdle() && (serverName is null || ServerConnectionPool.SniMatches(connection, serverName)))
        {
            return connection;
        }

        connection.Dispose();
        return null;
    }

    /// <summary>A stream on this transaction's own HTTP/2 connection (`http-reuse never`), when it goes to the same server and has room.</summary>
    private Http2BackStream? TakePrivateHttp2Stream(ServerState server)
    {
        if (_privateHttp2 is not var (connection, owner))
        {
            return null;
        }

        if (owner == server && GoesToSameDestination(server) && connection.TryOpenStream(reused: true) is { } stream)
        {
            return stream;
        }

        _privateHttp2 = null;
        connection.Shutdown();
        return null;
    }

    /// <summary>A new connection to the transaction's server; for a websocket stream that `ws` sets apart (<see cref="ServerDialer.ForWebSocket"/>) in the protocol `ws` asks for.</summary>
    private async Task<IBackStream?> DialNewAsync(HttpBackendContext backend, IPAddress? clientAddress, IFrontStream front)
    {
        var webSocket = _dialer.ForWebSocket;
        var connectStart = _front.Shared.Clock.Refresh();
        var retryConnections = (backend.Config.RetryOn & RetryOnConditions.ConnFailure) != 0;
        _dialer.Origin = new ProxyOrigin(_samples.ClientEndPoint, _samples.LocalEndPoint, front.Tls, front.Proxy, _samples);
        _dialer.OnEventLoops = _front.Shared.OnEventLoops;
        var dial = await _dialer.DialAsync(backend.State, _serverState!, clientAddress, _samples.LocalEndPoint as IPEndPoint, backend.ConnectMs, backend.ConnectTimeout, _front.Shared.Clock, _waiter, retryConnections).ConfigureAwait(false);
        Retries += _dialer.Retries;
        _dialer.ReturnSourcePort();
        ServerName = dial.Server?.Name ?? ServerName;
        _samples.Server = dial.Server ?? _samples.Server;
        if (!dial.Connected)
        {
            // The dialer gave the slot back.
            _samples.ServerTlsFailure = _dialer.TlsFailureOf(dial.Server);
            if (_dialer.LastTlsFailure is { } tlsFailure)
            {
                _front.Shared.DebugOutput?.WriteLine($"[{backend.Config.Name}/{ServerName}] {tlsFailure.Message}");
            }

            _serverState = null;
            var cause = PendingCause != TerminationCause.None ? PendingCause : dial.Cause;
            await ReplyAsync(front, ErrorReply(503), cause, TerminationPhase.Connect, close: false).ConfigureAwait(false);
            return null;
        }

        _serverState = dial.Server;
        Tc = _front.Shared.Clock.Refresh() - connectStart;
        var io = new SocketDuplex(dial.Socket!, _front.Shared.Memory, waitWithoutBuffer: false, _front.Shared.OnEventLoops, _front.Shared.ServerInputMemory, dial.Tls, dial.TlsInfo);
        var protocol = webSocket ? BackMux.ChooseForWebSocket(dial.Server!.Config, dial.TlsInfo?.AlpnText) : BackMux.Choose(dial.Server!.Config, dial.TlsInfo?.AlpnText);
        IBackStream connection = protocol == BackProtocol.Http2
            ? OpenHttp2Connection(io, dial.Server, backend, shared: !webSocket)
            : new Http1BackConnection(io, _front.Shared.Clock);
        connection.ReadWatch.LimitMs = backend.ServerMs;
        connection.WriteWatch.LimitMs = backend.ServerMs;
        Volatile.Write(ref _server, connection);
        return connection;
    }

    /// <summary>
    /// Starts an HTTP/2 connection on a new socket and takes its first stream. The connection is shared with the
    /// transactions `http-reuse` allows, or kept to this one with `http-reuse never` or when opened for a websocket
    /// stream by `ws` (<paramref name="shared"/> false).
    /// </summary>
    private Http2BackStream OpenHttp2Connection(SocketDuplex io, ServerState server, HttpBackendContext backend, bool shared)
    {
        var multiplexed = server.Pool.Multiplexed;
        var connection = new Http2BackConnection(io, _front.Shared.Clock, _front.Http2Servers, multiplexed.MaxConcurrentStreams);
        var stream = connection.TryOpenStream(reused: false)!;
        if (!shared || ReuseMode(backend, server) == HttpReuseMode.Never)
        {
            _privateHttp2?.Connection.Shutdown();
            _privateHttp2 = (connection, server);
            _privateDestination = _samples.LocalEndPoint as IPEndPoint;
        }
        else
        {
            multiplexed.Add(connection);
        }

        _ = connection.StartAsync();
        return stream;
    }

    /// <summary>
    /// A 101 answer switches protocols only when the request asked for it, and a websocket handshake only with its
    /// proof (RELIABILITY UPG-03); the proof of a key we made is checked here, since the HTTP/2 client never sees it.
    /// </summary>
    private bool IsAcceptedSwitch(HttpRequestHead request) =>
        request.Has(HttpMessageFlags.Upgrade)
        && (!IsWebSocketUpgrade(request) || _response.Headers.Contains("sec-websocket-accept"u8))
        && (!request.Has(HttpMessageFlags.ProxyWebSocketKey) || ProvesOurKey(request, _response));

    /// <summary>The request's bytes as HAProxy counts them for `%U` and the stats' `bin`: head and body.</summary>
    internal static long BytesInWithHead(IFrontStream front) => Sluice.Logging.LogSizes.Request(front.Request) + front.RequestBodyBytes;

    /// <summary>The response's bytes as HAProxy counts them for `%B` and `bout`: the head as the server sent it
    /// (or the proxy's own answer), and the body.</summary>
    internal long BytesOutWithHead(IFrontStream front) => _headBytesOut + front.ResponseBodyBytes;

    private async Task FailResponseHeadAsync(IFrontStream front, ResponseHeadError error, Task? requestPump)
    {
        var pending = PendingCause;
        if (error == ResponseHeadError.Invalid && _server?.RejectedResponseHead is { } rejected && _backend is { } backend)
        {
            Stats.TransactionStats.RecordInvalidResponse(backend.State.Counters, rejected, (_front.Frontend.Name, _front.Frontend.Id),
                _serverState is { } server ? (server.Config.Name, server.Config.Id) : null, front.ClientEndPoint);
        }

        DropServerConnection();
        if (requestPump is not null)
        {
            try
            {
                await requestPump.ConfigureAwait(false);
            }
            catch (HttpBodyException ex) when (ex.ClientSide && ex.Failure == BodyFailure.Invalid)
            {
                // The request body broke its framing: the client hears why, the server connection is gone.
                await ReplyAsync(front, _front.Replies.ForStatus(front.RequestBodyErrorStatus, _samples), TerminationCause.ProxyCondition, TerminationPhase.Data, close: true).ConfigureAwait(false);
                return;
            }
            catch (HttpBodyException ex) when (ex.ClientSide && pending != TerminationCause.ServerTimeout)
            {
                End(pending != TerminationCause.None ? pending : TerminationCause.ClientClosed, TerminationPhase.Data);
                front.CloseAfterResponse();
                return;
            }
            catch (HttpBodyException)
            {
                // The server side failed, or `timeout server` struck while the client's body was cut short: HAProxy
                // answers 504 then whatever became of the client, and so does the answer below.
            }
        }

        front.CloseAfterResponse();
        if (error == ResponseHeadError.Invalid || pending is TerminationCause.None or TerminationCause.ServerTimeout or TerminationCause.ServerClosed)
        {
            // The server's broken, missing or late answer counts as its failure (http_fail_cnt, http_fail_rate).
            _samples.CountHttpFailure(Environment.TickCount64);
        }

        if (pending == TerminationCause.ServerTimeout)
        {
            await ReplyAsync(front, ErrorReply(504), TerminationCause.ServerTimeout, TerminationPhase.Headers, close: true).ConfigureAwait(false);
        }
        else if (error == ResponseHeadError.Invalid)
        {
            await ReplyAsync(front, ErrorReply(502), TerminationCause.ProxyCondition, TerminationPhase.Headers, close: true).ConfigureAwait(false);
        }
        else
        {
            await ReplyAsync(front, ErrorReply(502), pending != TerminationCause.None ? pending : TerminationCause.ServerClosed, TerminationPhase.Headers, close: true).ConfigureAwait(false);
        }
    }

    private async Task RunTunnelAsync(IFrontStream front, IBackStream connection, Task? requestPump)
    {
        if (requestPump is not null)
        {
            await requestPump.ConfigureAwait(false);
        }

        _headBytesOut = Sluice.Logging.LogSizes.Response(_response);
        var sink = await front.SendResponseHeadAsync(_response, closeAfter: false, flush: true).ConfigureAwait(false);
        front.StartTunnel();
        connection.StartTunnel();
        InTunnel = true;
        Phase = TerminationPhase.Data;
        var upstream = PumpAsync(front.RequestBody, connection.RequestBody);
        var downstream = PumpAsync(connection.ResponseBody, sink);
        var first = await Task.WhenAny(upstream, downstream).ConfigureAwait(false);
        if (first.IsFaulted)
        {
            // One side failed: HAProxy closes both.
            connection.Abort();
            front.CloseAfterResponse();
        }

        try
        {
            await Task.WhenAll(upstream, downstream).ConfigureAwait(false);
            End(TerminationCause.None, TerminationPhase.None);
        }
        catch (HttpBodyException ex)
        {
            EndWithBodyFailure(ex, front);
        }
        finally
        {
            front.CloseAfterResponse();
            DropServerConnection();
        }
    }

    /// <summary>
    /// Moves a body from a source to a sink until its end. Awaited on the transaction's own flow for responses
    /// (a pooled state machine, no task); wrapped in a task by <see cref="PumpAsync"/> where it runs alongside.
    /// </summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private static async ValueTask PumpResponseAsync(IHttpBodySource source, IHttpBodySink sink)
    {
        while (true)
        {
            var chunk = await source.ReadAsync().ConfigureAwait(false);
            if (chunk.IsEnd)
            {
                await sink.EndAsync(chunk.Trailers).ConfigureAwait(false);
                return;
            }

            await sink.WriteAsync(chunk.Data, flush: !source.MoreDataBuffered).ConfigureAwait(false);
            source.Advance();
        }
    }

    /// <summary>
    /// The request body, moved while the transaction waits for the response. When the client side fails (an
    /// invalid chunk, a client that goes away) the server connection is cut at once: the server would otherwise
    /// wait for the rest of a body that will never come, and the transaction with it.
    /// </summary>
    private static async Task PumpRequestAsync(IHttpBodySource source, IBackStream connection)
    {
        try
        {
            await PumpAsync(source, connection.RequestBody).ConfigureAwait(false);
        }
        catch (HttpBodyException ex) when (ex.ClientSide)
        {
            connection.Abort();
            throw;
        }
    }

    /// <summary>A body moved concurrently with the rest of the transaction (request bodies, tunnels).</summary>
    private static Task PumpAsync(IHttpBodySource source, IHttpBodySink sink) => PumpResponseAsync(source, sink).AsTask();

    private void EndWithBodyFailure(HttpBodyException ex, IFrontStream front)
    {
        var pending = PendingCause;
        TerminationCause cause;
        if (pending != TerminationCause.None)
        {
            cause = pending;
        }
        else if (ex.Failure == BodyFailure.Invalid)
        {
            cause = TerminationCause.ProxyCondition;
        }
        else
        {
            cause = ex.ClientSide ? TerminationCause.ClientClosed : TerminationCause.ServerClosed;
        }

        if (!ex.ClientSide)
        {
            _samples.CountHttpFailure(Environment.TickCount64);
        }

        End(cause, Phase == TerminationPhase.None ? TerminationPhase.Data : Phase);
        front.CloseAfterResponse();
        DropServerConnection();
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private async ValueTask ReplyAsync(IFrontStream front, HttpReply reply, TerminationCause cause, TerminationPhase phase, bool close)
    {
        Status = reply.Status;
        _headBytesOut = Sluice.Logging.LogSizes.Reply(reply);
        End(cause, phase);
        await front.SendReplyAsync(reply, close).ConfigureAwait(false);
    }

    /// <summary>The origin a request names: H2's `:authority` or an absolute-form target's, else its Host field.</summary>
    private static ReadOnlySpan<byte> RequestAuthority(HttpRequestHead request)
    {
        var authority = request.Authority;
        if (authority.IsEmpty && request.Headers.IndexOf("host"u8) is var host and >= 0)
        {
            authority = request.Headers.Value(host);
        }

        return authority;
    }

    private HttpReply ErrorReply(int status) => _backend is { } be && be.Config.ErrorFiles.ContainsKey(status)
        ? be.Replies.ForStatus(status, _samples)
        : _front.Replies.ForStatus(status, _samples);

    private void AddForwardedHeaders(IFrontStream front, BackendConfig backend)
    {
        var frontend = _front.Frontend;
        if ((backend.ForwardFor ?? frontend.ForwardFor) is { } forwardFor
            && _samples.ClientEndPoint is IPEndPoint client
            && !IsExcepted(frontend.ForwardFor, client.Address) && !IsExcepted(backend.ForwardFor, client.Address))
        {
            var headers = front.Request.Headers;
            var name = _front.HeaderNameBytes(forwardFor.HeaderName);
            if (!forwardFor.IfNone || !headers.Contains(name))
            {
                AddAddressHeader(headers, name, client.Address);
            }
        }

        if ((backend.OriginalTo ?? frontend.OriginalTo) is { } originalTo
            && _samples.LocalEndPoint is IPEndPoint local
            && !IsExcepted(frontend.OriginalTo, local.Address) && !IsExcepted(backend.OriginalTo, local.Address))
        {
            AddAddressHeader(front.Request.Headers, _front.HeaderNameBytes(originalTo.HeaderName), local.Address);
        }
    }

    private static void AddAddressHeader(HttpHeaderList headers, ReadOnlySpan<byte> name, IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> text = stackalloc byte[64];
        if (address.TryFormat(text, out var written))
        {
            headers.Add(name, text[..written]);
        }
    }

    private static bool IsExcepted(ForwardedHeaderConfig? config, IPAddress address) =>
        config?.Except is { } except && NetworkParser.Contains(except, address);

    private static bool ProvesOurKey(HttpRequestHead request, HttpResponseHead response)
    {
        var key = request.Headers.IndexOf("sec-websocket-key"u8);
        var accept = response.Headers.IndexOf("sec-websocket-accept"u8);
        return key >= 0 && accept >= 0 && WebSocketKeys.AcceptMatches(request.Headers.Value(key), response.Headers.Value(accept));
    }

    private static bool IsWebSocketUpgrade(HttpRequestHead request)
    {
        var upgrade = request.Headers.IndexOf("upgrade"u8);
        return upgrade >= 0 && HeaderTokens.Contains(request.Headers.Value(upgrade), "websocket"u8);
    }

    private TerminationCause PendingCause => (TerminationCause)Volatile.Read(ref _pendingCause);

    private void End(TerminationCause cause, TerminationPhase phase)
    {
        Cause = cause;
        Phase = phase;
    }

    /// <summary>The exchange ended cleanly: the server connection goes back to the pool or is closed.</summary>
    private void FinishServerConnection(bool close)
    {
        if (LetGoOfServer() is not { } connection)
        {
            return;
        }

        connection.CompleteExchange();
        if (connection is Mux.Http2.Http2BackStream stream)
        {
            // An HTTP/2 stream ends here; its connection stays with the server's others. The request body was sent
            // whole (the pump is over) and the response read: nothing of this transaction uses the stream any more.
            stream.ReleaseForReuse();
            return;
        }

        var http1 = (Http1BackConnection)connection;

        if (close || _serverState is null)
        {
            connection.Dispose();
            return;
        }

        if (_backend is { } reusing && ReuseMode(reusing, _serverState) == HttpReuseMode.Never)
        {
            // `http-reuse never`: the connection stays private to this client connection, for its next requests.
            if (http1.IsReusable)
            {
                _privateConnection?.Connection.Dispose();
                _privateConnection = (http1, _serverState);
                _privateDestination = _samples.LocalEndPoint as IPEndPoint;
            }
            else
            {
                connection.Dispose();
            }

            return;
        }

        _serverState.Pool.Return(http1, _front.Shared.Clock.NowMs);
    }

    private void DropServerConnection() => LetGoOfServer()?.Dispose();

    /// <summary>The server exchange leaves the transaction: from here on, the heartbeat and kills no longer see it.</summary>
    private IBackStream? LetGoOfServer()
    {
        lock (_serverGate)
        {
            var connection = _server;
            _server = null;
            return connection;
        }
    }

    private void ReleaseServer()
    {
        DropServerConnection();
        if (_serverState is { } server)
        {
            server.Release();
            _serverState = null;
        }
    }

    /// <summary>One line per request for `-d`; the real log formats come with the log layer.</summary>
    public string DescribeForDebug(IFrontStream front) => string.Create(
        CultureInfo.InvariantCulture,
        $"{front.ClientEndPoint} [{_front.Frontend.Name}] {BackendName}/{ServerName} {Tw}/{Tc}/{Tr}/{Ta} {Status} {BytesToClient} {TerminationCodes.Render(Cause, Phase)} retries={Retries} \"{front.Request.Describe()}\"");
}
