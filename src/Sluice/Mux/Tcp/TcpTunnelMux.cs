using System.Net.Security;
using System.Net.Sockets;
using Sluice.Config.Model;
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
    /// <summary>A `tcp-response content reject` rule refused the server's first bytes: nothing of them reached the client.</summary>
    Rejected = 4,
    /// <summary>A `tcp-response content close` rule cut the server connection once its bytes were forwarded.</summary>
    ClosedByRule = 5,
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
/// <item>Splice: with `option splice-*` and no TLS on either side, a direction moves its bytes socket → pipe →
/// socket with splice(2), never through user memory; when the receiving socket is full, what waits in the pipe is
/// read out and sent the ordinary way, which waits for room. `splice-auto` copies until a read fills the buffer
/// (bulk traffic), then splices. No pipe left (`maxpipes`) means copying.</item>
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
    private readonly SpliceMode _splice;

    // Written by the copy loops, read by the heartbeat: plain longs published with Volatile.
    private long _bytesFromClient;
    private long _bytesFromServer;
    private long _lastActivityMs;
    private int _halfClosed;
    private int _aborted;

    public TcpTunnelMux(Socket client, Socket server, Heartbeat clock, BufferPool buffers, SslStream? clientTls = null, SslStream? serverTls = null, SpliceMode splice = SpliceMode.None)
    {
        _splice = clientTls is null && serverTls is null ? splice : SpliceMode.None;
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
    /// from the client (while rules inspected them); they go to the server first. An <paramref name="inspector"/>
    /// sees the server's first bytes before the client does.
    /// </summary>
    public async Task<TunnelEnd> RunAsync(ReadOnlyMemory<byte> clientData = default, IResponseInspector? inspector = null)
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
        var downstream = inspector is null ? CopyAsync(_server, _client, fromClient: false) : InspectThenCopyAsync(inspector);
        var first = await Task.WhenAny(upstream, downstream).ConfigureAwait(false);
        var firstEnd = await first.ConfigureAwait(false);
        if (firstEnd != TunnelEnd.Normal)
        {
            // One side failed, or a rule ended the tunnel: HAProxy closes both; the other loop ends on the closed
            // sockets. A server cut by a rule gets a reset, as HAProxy's nolinger close.
            if (firstEnd == TunnelEnd.ClosedByRule)
            {
                SocketOptions.ResetOnClose(_server);
            }

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

    /// <summary>
    /// The server-to-client direction when rules read the server's first bytes: they are held back, read for up
    /// to the inspector's delay while no rule decides (or until the buffer is full or the server ends its side),
    /// then forwarded or dropped as the rules say; the copy goes on after that.
    /// </summary>
    private async Task<TunnelEnd> InspectThenCopyAsync(IResponseInspector inspector)
    {
        var buffer = _buffers.Rent();
        var length = 0;
        var serverDone = false;
        try
        {
            var verdict = ResponseVerdict.NeedMoreData;
            var final = inspector.DelayMs <= 0;
            var deadline = _clock.Refresh() + inspector.DelayMs;
            while ((verdict = inspector.Inspect(new System.Buffers.ReadOnlySequence<byte>(buffer, 0, length), final)) == ResponseVerdict.NeedMoreData)
            {
                var remaining = deadline - _clock.Refresh();
                if (final || remaining <= 0 || length == buffer.Length)
                {
                    final = true;
                    continue;
                }

                int read;
                try
                {
                    read = await TimedReceive.WithinAsync(_server, _serverTls, buffer.AsMemory(length), remaining).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsSocketFailure(ex))
                {
                    return TunnelEnd.ServerError;
                }

                if (read <= 0)
                {
                    // The delay ran out, or the server ended its side: the rules decide on what came.
                    serverDone = read == 0;
                    final = true;
                    continue;
                }

                length += read;
                Volatile.Write(ref _lastActivityMs, _clock.NowMs);
                Interlocked.Add(ref _bytesFromServer, read);
            }

            if (verdict == ResponseVerdict.Reject)
            {
                return TunnelEnd.Rejected;
            }

            try
            {
                await SendAsync(_client, buffer.AsMemory(0, length)).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsSocketFailure(ex))
            {
                return TunnelEnd.ClientError;
            }

            Volatile.Write(ref _lastActivityMs, _clock.NowMs);
            if (verdict == ResponseVerdict.CloseServer)
            {
                return TunnelEnd.ClosedByRule;
            }
        }
        finally
        {
            BufferPool.Return(buffer);
        }

        return serverDone ? await PassOnEndAsync(_client, TunnelEnd.ClientError).ConfigureAwait(false) : await CopyAsync(_server, _client, fromClient: false).ConfigureAwait(false);
    }

    private async Task<TunnelEnd> CopyAsync(Socket from, Socket to, bool fromClient)
    {
        var readError = fromClient ? TunnelEnd.ClientError : TunnelEnd.ServerError;
        var writeError = fromClient ? TunnelEnd.ServerError : TunnelEnd.ClientError;
        var spliceAtOnce = (_splice & (fromClient ? SpliceMode.Request : SpliceMode.Response)) != 0;
        if (spliceAtOnce && await TrySpliceAsync(from, to, fromClient).ConfigureAwait(false) is { } spliced)
        {
            return spliced;
        }

        var spliceOnBulk = !spliceAtOnce && (_splice & SpliceMode.Auto) != 0;
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
            var bulk = false;
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
                        return await PassOnEndAsync(to, writeError).ConfigureAwait(false);
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

                    if (spliceOnBulk)
                    {
                        // A full buffer: bulk traffic, which splice(2) moves without copying.
                        bulk = true;
                        break;
                    }
                }
            }
            finally
            {
                BufferPool.Return(buffer);
            }

            if (bulk && await TrySpliceAsync(from, to, fromClient).ConfigureAwait(false) is { } splicedLater)
            {
                return splicedLater;
            }
        }
    }

    /// <summary>
    /// Runs one direction with splice(2) until it ends; null when no pipe is to be had, and the caller copies.
    /// </summary>
    private async Task<TunnelEnd?> TrySpliceAsync(Socket from, Socket to, bool fromClient)
    {
        if (SplicePipes.Rent() is not { } pipe)
        {
            return null;
        }

        var readError = fromClient ? TunnelEnd.ClientError : TunnelEnd.ServerError;
        var writeError = fromClient ? TunnelEnd.ServerError : TunnelEnd.ClientError;
        try
        {
            // splice(2) must find both sockets non-blocking: .NET keeps a socket's descriptor blocking until its
            // first asynchronous operation, and async operations go on working the same after this.
            from.Blocking = false;
            to.Blocking = false;
        }
        catch (Exception ex) when (IsSocketFailure(ex))
        {
            SplicePipes.Return(pipe, empty: true);
            return readError;
        }

        var inPipe = 0;
        var chunk = SplicePipes.ChunkSize;
        try
        {
            while (true)
            {
                int moved;
                try
                {
                    moved = pipe.Fill(from, chunk);
                    if (moved == SplicePipe.WouldBlock)
                    {
                        await ReceiveAsync(from, Memory<byte>.Empty).ConfigureAwait(false);
                        continue;
                    }
                }
                catch (Exception ex) when (IsSocketFailure(ex))
                {
                    return readError;
                }

                if (moved == 0)
                {
                    return await PassOnEndAsync(to, writeError).ConfigureAwait(false);
                }

                inPipe = moved;
                Volatile.Write(ref _lastActivityMs, _clock.NowMs);
                Interlocked.Add(ref fromClient ? ref _bytesFromClient : ref _bytesFromServer, moved);
                try
                {
                    await EmptyPipeAsync(pipe, to, inPipe).ConfigureAwait(false);
                    inPipe = 0;
                }
                catch (Exception ex) when (IsSocketFailure(ex))
                {
                    return writeError;
                }

                Volatile.Write(ref _lastActivityMs, _clock.NowMs);
            }
        }
        finally
        {
            SplicePipes.Return(pipe, empty: inPipe == 0);
        }
    }

    /// <summary>
    /// Sends what the pipe holds; where the socket has no room, the rest is read out into a buffer and sent the
    /// ordinary way, which waits for room. A failure leaves bytes in the pipe, which then is not reused.
    /// </summary>
    private async ValueTask EmptyPipeAsync(SplicePipe pipe, Socket to, int inPipe)
    {
        while (inPipe > 0)
        {
            var sent = pipe.Drain(to, inPipe);
            if (sent > 0)
            {
                inPipe -= sent;
                continue;
            }

            var buffer = _buffers.Rent();
            try
            {
                while (inPipe > 0)
                {
                    var read = pipe.ReadInto(buffer.AsSpan(0, Math.Min(buffer.Length, inPipe)));
                    await SendAsync(to, buffer.AsMemory(0, read)).ConfigureAwait(false);
                    inPipe -= read;
                }
            }
            finally
            {
                BufferPool.Return(buffer);
            }
        }
    }

    /// <summary>The sending side ended its stream: the FIN goes on to the other side, and this direction is done.</summary>
    private async ValueTask<TunnelEnd> PassOnEndAsync(Socket to, TunnelEnd writeError)
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
