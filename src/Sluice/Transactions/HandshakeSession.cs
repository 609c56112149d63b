using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using Sluice.Listeners;
using Sluice.Protocols.ProxyProtocol;
using Sluice.Timers;
using Sluice.Tls;
using Sluice.Transport;

namespace Sluice.Transactions;

/// <summary>What the handshakes of an accepted connection established; each part is null when not asked for.</summary>
internal readonly record struct HandshakeOutcome(ProxyHeader? Proxy, SslStream? Tls, TlsConnectionInfo? TlsInfo)
{
    /// <summary>From the accept to the end of the handshakes, in ms: the first request's `%Th` (HAProxy's t_handshake).</summary>
    public long HandshakeMs { get; init; }

    /// <summary>
    /// True when ALPN chose a protocol: the TLS handshake on an `ssl` bind, else the PROXY v2 header (the TLS
    /// offloader's choice).
    /// </summary>
    public bool HasAlpn => TlsInfo is { } tls ? !tls.Alpn.Protocol.IsEmpty : Proxy?.Find(ProxyTlvType.Alpn) is { Length: > 0 };

    /// <summary>True when ALPN chose HTTP/2.</summary>
    public bool NegotiatedH2 => TlsInfo is { } tls ? tls.IsH2 : Proxy?.Find(ProxyTlvType.Alpn) is { } alpn && alpn.AsSpan().SequenceEqual("h2"u8);

    /// <summary>
    /// The client's address as `set-src` rules rewrote it (connection rules, then session rules); null when none
    /// did. It stands for the PROXY header's and the socket's; a PROXY header read after the connection rules
    /// replaces theirs, as in HAProxy.
    /// </summary>
    public System.Net.EndPoint? ClientEndPoint { get; init; }

    /// <summary>Our address as `set-dst` rules rewrote it; null when none did.</summary>
    public System.Net.EndPoint? LocalEndPoint { get; init; }

    /// <summary>The client's address: the rewritten one, else the PROXY header's, else the socket's (null once it is closed).</summary>
    public System.Net.EndPoint? ClientOf(Socket socket) => ClientEndPoint ?? (Proxy is { HasAddresses: true } proxy ? proxy.Source : SocketAddresses.Remote(socket));

    /// <summary>Our address as the client reached it: the rewritten one, else the PROXY header's destination, else the socket's.</summary>
    public System.Net.EndPoint? LocalOf(Socket socket) => LocalEndPoint ?? (Proxy is { HasAddresses: true } proxy ? proxy.Destination : SocketAddresses.Local(socket));
}

/// <summary>
/// A client connection while its handshakes run, before any session exists: first the PROXY protocol header
/// (`accept-proxy`, `tcp-request connection expect-proxy`), then the TLS handshake of an `ssl` bind. Both are
/// bounded together by `timeout client-hs` (else `timeout client`, as in HAProxy) on the heartbeat: when it
/// expires the socket is closed and the handshake fails. A failure is printed under `-d` with HAProxy's words.
/// </summary>
internal sealed class HandshakeSession : ISession, IHeartbeatTarget
{
    private readonly Socket _client;
    private readonly TlsTerminator? _terminator;
    private readonly bool _expectProxy;
    private readonly TransactionContext _context;
    private readonly Listener _listener;
    private long _deadlineMs = TransactionContext.Infinite;
    private int _closed;
    private int _timedOut;
    private readonly DateTime _acceptedAtUtc = DateTime.UtcNow;

    public HandshakeSession(Socket client, Listener listener, TlsTerminator? terminator, bool expectProxy, TransactionContext context)
    {
        _client = client;
        _listener = listener;
        _terminator = terminator;
        _expectProxy = expectProxy;
        _context = context;
    }

    /// <summary>The handshakes' outcome, or null when one failed or was cut.</summary>
    public async Task<HandshakeOutcome?> RunAsync()
    {
        var limit = _context.Frontend.Timeouts.ClientHandshake ?? _context.Frontend.Timeouts.Client;
        var limitMs = TransactionContext.ToMs(limit);
        var clock = _context.Clock;
        Volatile.Write(ref _deadlineMs, limitMs == TransactionContext.Infinite ? limitMs : clock.Refresh() + limitMs);
        clock.Register(this);
        try
        {
            ProxyHeader? proxy = null;
            if (_expectProxy)
            {
                (proxy, var error) = await ProxyHeaderReceiver.ReceiveAsync(_client, _context.Buffers.BufferSize).ConfigureAwait(false);
                if (proxy is null)
                {
                    Report(Volatile.Read(ref _timedOut) != 0 ? ProxyHeaderReceiver.TimedOut : error!);
                    return null;
                }
            }

            if (_terminator is null)
            {
                return new HandshakeOutcome(proxy, null, null) { HandshakeMs = ElapsedSinceAcceptMs() };
            }

            var (stream, info, failure) = await _terminator.AuthenticateAsync(_client).ConfigureAwait(false);
            if (stream is null || info is null)
            {
                _listener.Counters?.OnTlsHandshakeFailed();
                ReportHandshakeFailure(Volatile.Read(ref _timedOut) != 0 ? "Timeout during SSL handshake" : failure ?? TlsTerminator.HandshakeFailure);
                return null;
            }

            _listener.Counters?.OnTlsHandshake(info.IsResumed);

            return new HandshakeOutcome(proxy, stream, info) { HandshakeMs = ElapsedSinceAcceptMs() };
        }
        finally
        {
            clock.Unregister(this);
        }
    }

    public void OnHeartbeat(long nowMs)
    {
        if (nowMs >= Volatile.Read(ref _deadlineMs))
        {
            Volatile.Write(ref _timedOut, 1);
            Close();
        }
    }

    /// <summary>A handshake in progress finishes; the session it starts is told to stop by the host.</summary>
    public void RequestStop()
    {
    }

    public void Kill() => Close();

    /// <summary>
    /// A failed TLS handshake, logged to the frontend's log targets as HAProxy logs a connection that never became
    /// a session: `client:port [accept date] frontend/listener: reason` at info (err with `log-separate-errors`);
    /// a client that closed before its first byte is not logged under `option dontlognull`.
    /// </summary>
    private void ReportHandshakeFailure(string reason)
    {
        Report(reason);
        if (_context.Log is not { } log || (log.Config.DontLogNull && reason == TlsTerminator.ClosedDuringHandshake))
        {
            return;
        }

        var listener = Rules.Samples.ListenerIdentity.Of(_context.Frontend, _listener.Bind);
        if (log.Config.ErrorFormat is not null)
        {
            log.EmitError((Session: this, Listener: listener), static (state, samples, fields) => state.Session.FillErrorLine(state.Listener, samples, fields));
            return;
        }

        var name = listener.Name is { } bytes ? System.Text.Encoding.Latin1.GetString(bytes) : listener.Id.ToString(CultureInfo.InvariantCulture);
        log.EmitText(log.Config.SeparateErrors ? Logging.LogSender.LevelErr : Logging.LogSender.LevelInfo, string.Create(CultureInfo.InvariantCulture,
            $"{SocketAddresses.Remote(_client)?.ToString() ?? "-"} [{_acceptedAtUtc.ToLocalTime():dd/MMM/yyyy:HH:mm:ss.fff}] {_context.Frontend.Name}/{name}: {reason}"));
    }

    /// <summary>
    /// What an `error-log-format` line of a failed handshake sees, as HAProxy 2.6 logs a session without a stream:
    /// no request (`&lt;BADREQ&gt;`), no backend nor server, the handshake's time as `Th` and `Tt`, status 0,
    /// termination state `PR`.
    /// </summary>
    private void FillErrorLine(Rules.Samples.ListenerIdentity listener, Rules.Samples.SampleContext samples, Logging.LogFields fields)
    {
        samples.ClientEndPoint = SocketAddresses.Remote(_client);
        samples.LocalEndPoint = SocketAddresses.Local(_client);
        samples.FrontendName = _context.FrontendNameBytes;
        samples.FrontendId = _context.Frontend.Id;
        samples.Listener = listener;
        samples.TlsBind = true;
        var handshakeMs = ElapsedSinceAcceptMs();
        fields.AcceptUnixMs = new DateTimeOffset(_acceptedAtUtc).ToUnixTimeMilliseconds();
        fields.Th = handshakeMs;
        fields.Ti = 0;
        fields.Tt = handshakeMs;
        fields.Status = 0;
        fields.Cause = TerminationCause.ProxyCondition;
        fields.Phase = TerminationPhase.Request;
        fields.ActConn = ConnectionCounter.Process.Value;
        fields.FeConn = _context.Counters.CurrentSessions;
    }

    private long ElapsedSinceAcceptMs() => (long)(DateTime.UtcNow - _acceptedAtUtc).TotalMilliseconds;

    /// <summary>HAProxy's log line for a connection that failed before its session: `client [frontend] frontend/bind: reason`.</summary>
    private void Report(string reason)
    {
        if (_context.DebugOutput is { } output)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{SocketAddresses.Remote(_client)?.ToString() ?? "-"} [{_context.Frontend.Name}] {_context.Frontend.Name}/{_listener.Bind.Name ?? _listener.EndPointText}: {reason}"));
        }
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            _client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer.
        }

        _client.Dispose();
    }
}
