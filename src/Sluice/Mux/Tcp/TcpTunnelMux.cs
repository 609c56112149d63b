using System.Net.Security;
using System.Net.Sockets;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Mux.Tcp;

/// <summary>How a tunnel ended.</summary>
internal enum TunnelEnd
{
    /// <summary>Both directions ended with a FIN that was passed on.</summary>
    Normal = 0,
    /// <summary>Reading from or writing to the client failed (reset, error).</summary>
    ClientError = 1,
    /// <summary>Reading from or writing to the server failed.</summary>
    ServerError = 2,
    /// <summary>The owner aborted the tunnel (timeout, kill); the owner knows why.</summary>
    Aborted = 3,
}

/// <summary>
/// The pass-through multiplexer of mode tcp: two copy loops, client to server and server to client.
/// <list type="bullet">
/// <item>Back-pressure: a loop reads into one buffer and does not read again until the other side has accepted
/// all of it, so each direction holds at most one buffer.</item>
/// <item>Idle connections hold no buffer: a loop waits with a zero-byte receive and rents only when data is
/// there; it keeps the buffer while reads fill it.</item>
/// <item>Half-close: a FIN read on one side becomes shutdown(SEND) on the other, and the other direction goes on.</item>
/// <item>TLS: a side that speaks TLS (offload on the client side, `ssl` on the server side) is read and written
/// through its SslStream, so the other side sees the decrypted bytes; its half-close is a close_notify alert
/// followed by the FIN.</item>
/// <item>Timeouts are the owner's business: it reads <see cref="LastActivityMs"/> and <see cref="IsHalfClosed"/>
/// on the heartbeat and calls <see cref="Abort"/>.</item>
/// </list>
/// </summary>
internal sealed class TcpTunnelMux
{
    private readonly Socket _client;
    private readonly SslStream? _clientTls;
    private readonly Socket _server;
    private readonly SslStream? _serverTls;
    private readonly Heartbeat _clock;
    private readonly BufferPool _buffers;

    // Written by the copy loops, read by the heartbeat: plain longs published with Volatile.
    private long _bytesFromClient;
    private long _bytesFromServer;
    private long _lastActivityMs;
    private int _halfClosed;
    private int _aborted;

    public TcpTunnelMux(Socket client, Socket server, Heartbeat clock, BufferPool buffers, SslStream? clientTls = null, SslStream? serverTls = null)
    {
        _client = client;
        _clientTls = clientTls;
        _serverTls = serverTls;
        _server = server;
        _clock = clock;
        _buffers = buffers;
        _lastActivityMs = clock.NowMs;
    }

    public long BytesFromClient => Interlocked.Read(ref _bytesFromClient);

    public long BytesFromServer => Interlocked.Read(ref _bytesFromServer);

    /// <summary>The clock's time of the last byte moved in either direction.</summary>
    public long LastActivityMs => Volatile.Read(ref _lastActivityMs);

    /// <summary>True once either side sent its FIN: from then on the `-fin` timeouts apply.</summary>
    public bool IsHalfClosed => Volatile.Read(ref _halfClosed) != 0;

    /// <summary>
    /// Moves bytes both ways until both sides are done. <paramref name="clientData"/> holds bytes already read
    /// from the client (while rules inspected them); they go to the server first.
    /// </summary>
    public async Task<TunnelEnd> RunAsync(ReadOnlyMemory<byte> clientData = default)
    {
        if (!clientData.IsEmpty)
        {
            try
            {
                await SendAsync(_server, clientData).ConfigureAwait(false);
                Interlocked.Add(ref _bytesFromClient, clientData.Length);
            }
            catch (Exception ex) when (IsSocketFailure(ex))
            {
                CloseBoth();
                return Volatile.Read(ref _aborted) != 0 ? TunnelEnd.Aborted : TunnelEnd.ServerError;
            }
        }

        var upstream = CopyAsync(_client, _server, fromClient: true);
        var downstream = CopyAsync(_server, _client, fromClient: false);
        var first = await Task.WhenAny(upstream, downstream).ConfigureAwait(false);
        var firstEnd = await first.ConfigureAwait(false);
        if (firstEnd != TunnelEnd.Normal)
        {
            // One side failed: HAProxy closes both; the other loop ends on the closed sockets.
            CloseBoth();
            await (first == upstream ? downstream : upstream).ConfigureAwait(false);
            return Volatile.Read(ref _aborted) != 0 ? TunnelEnd.Aborted : firstEnd;
        }

        var secondEnd = await (first == upstream ? downstream : upstream).ConfigureAwait(false);
        if (Volatile.Read(ref _aborted) != 0)
        {
            return TunnelEnd.Aborted;
        }

        return secondEnd;
    }

    /// <summary>Closes both sockets; the copy loops end at once. Safe from any thread, more than once.</summary>
    public void Abort()
    {
        Volatile.Write(ref _aborted, 1);
        CloseBoth();
    }

    /// <summary>
    /// Shuts both sockets down before closing them: shutdown wakes the pending receives and sends a FIN, where a
    /// bare close with operations in flight would reset the peer. HAProxy ends timed-out tunnels with a FIN too.
    /// </summary>
    private void CloseBoth()
    {
        ShutdownAndClose(_client);
        ShutdownAndClose(_server);
    }

    private static void ShutdownAndClose(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (IsSocketFailure(ex))
        {
            // Already reset or closed: closing is all that is left.
        }

        socket.Dispose();
    }

    private async Task<TunnelEnd> CopyAsync(Socket from, Socket to, bool fromClient)
    {
        var readError = fromClient ? TunnelEnd.ClientError : TunnelEnd.ServerError;
        var writeError = fromClient ? TunnelEnd.ServerError : TunnelEnd.ClientError;
        while (true)
        {
            try
            {
                await ReceiveAsync(from, Memory<byte>.Empty).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsSocketFailure(ex))
            {
                return readError;
            }

            var buffer = _buffers.Rent();
            try
            {
                while (true)
                {
                    int read;
                    try
                    {
                        read = await ReceiveAsync(from, buffer.AsMemory()).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsSocketFailure(ex))
                    {
                        return readError;
                    }

                    if (read == 0)
                    {
                        Volatile.Write(ref _halfClosed, 1);
                        try
                        {
                            await ShutdownSendAsync(to).ConfigureAwait(false);
                        }
                        catch (Exception ex) when (IsSocketFailure(ex))
                        {
                            return writeError;
                        }

                        return TunnelEnd.Normal;
                    }

                    Volatile.Write(ref _lastActivityMs, _clock.NowMs);
                    Interlocked.Add(ref fromClient ? ref _bytesFromClient : ref _bytesFromServer, read);
                    try
                    {
                        await SendAsync(to, buffer.AsMemory(0, read)).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsSocketFailure(ex))
                    {
                        return writeError;
                    }

                    Volatile.Write(ref _lastActivityMs, _clock.NowMs);
                    if (read < buffer.Length)
                    {
                        // Drained for now: give the buffer back and wait for more without one.
                        break;
                    }
                }
            }
            finally
            {
                BufferPool.Return(buffer);
            }
        }
    }

    /// <summary>The TLS stream of a side, when that side speaks TLS.</summary>
    private SslStream? TlsOf(Socket side) => side == _client ? _clientTls : _serverTls;

    private ValueTask<int> ReceiveAsync(Socket from, Memory<byte> buffer) =>
        TlsOf(from) is { } tls ? tls.ReadAsync(buffer) : from.ReceiveAsync(buffer, SocketFlags.None);

    private async ValueTask SendAsync(Socket to, ReadOnlyMemory<byte> bytes)
    {
        if (TlsOf(to) is { } tls)
        {
            await tls.WriteAsync(bytes).ConfigureAwait(false);
            return;
        }

        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await to.SendAsync(bytes[sent..], SocketFlags.None).ConfigureAwait(false);
        }
    }

    private async ValueTask ShutdownSendAsync(Socket to)
    {
        if (TlsOf(to) is { } tls)
        {
            await tls.ShutdownAsync().ConfigureAwait(false);
        }

        to.Shutdown(SocketShutdown.Send);
    }

    private static bool IsSocketFailure(Exception ex) =>
        ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException or InvalidOperationException or NotSupportedException;
}
