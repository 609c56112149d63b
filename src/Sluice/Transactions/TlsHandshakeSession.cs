using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using Sluice.Listeners;
using Sluice.Timers;
using Sluice.Tls;

namespace Sluice.Transactions;

/// <summary>
/// A client connection of a `bind ... ssl` line while its TLS handshake runs, before any session exists. The
/// handshake is bounded by `timeout client-hs` (else `timeout client`, as in HAProxy) on the heartbeat: when it
/// expires the socket is closed and the handshake fails. A failed handshake is counted by the terminator and, under
/// `-d`, printed as HAProxy logs it.
/// </summary>
internal sealed class TlsHandshakeSession : ISession, IHeartbeatTarget
{
    private readonly Socket _client;
    private readonly TlsTerminator _terminator;
    private readonly TransactionContext _context;
    private readonly Listener _listener;
    private long _deadlineMs = TransactionContext.Infinite;
    private int _closed;

    public TlsHandshakeSession(Socket client, Listener listener, TlsTerminator terminator, TransactionContext context)
    {
        _client = client;
        _listener = listener;
        _terminator = terminator;
        _context = context;
    }

    /// <summary>The handshake's outcome: the stream and what it established, or null when it failed or was cut.</summary>
    public async Task<(SslStream Stream, TlsConnectionInfo Info)?> RunAsync()
    {
        var limit = _context.Frontend.Timeouts.ClientHandshake ?? _context.Frontend.Timeouts.Client;
        var limitMs = TransactionContext.ToMs(limit);
        var clock = _context.Clock;
        Volatile.Write(ref _deadlineMs, limitMs == TransactionContext.Infinite ? limitMs : clock.Refresh() + limitMs);
        clock.Register(this);
        (SslStream, TlsConnectionInfo)? result;
        try
        {
            result = await _terminator.AuthenticateAsync(_client).ConfigureAwait(false);
        }
        finally
        {
            clock.Unregister(this);
        }

        if (result is null && _context.DebugOutput is { } output)
        {
            // HAProxy's log line for a failed handshake: `client [date] frontend/bind: SSL handshake failure`.
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{SafeRemote()} [{_context.Frontend.Name}] {_context.Frontend.Name}/{_listener.Bind.Name ?? _listener.EndPointText}: SSL handshake failure"));
        }

        return result;
    }

    public void OnHeartbeat(long nowMs)
    {
        if (nowMs >= Volatile.Read(ref _deadlineMs))
        {
            Close();
        }
    }

    /// <summary>A handshake in progress finishes; the session it starts is told to stop by the host.</summary>
    public void RequestStop()
    {
    }

    public void Kill() => Close();

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

    private string SafeRemote()
    {
        try
        {
            return _client.RemoteEndPoint?.ToString() ?? "-";
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return "-";
        }
    }
}
