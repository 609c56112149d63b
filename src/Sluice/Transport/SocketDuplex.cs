using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Sluice.Protocols.ProxyProtocol;
using Sluice.Tls;

namespace Sluice.Transport;

/// <summary>
/// A connected socket seen as two pipes: <see cref="Input"/> reads from the peer, <see cref="Output"/> writes to
/// it. The pipes read and write the socket (or its TLS stream) directly, with no copy loop of their own; idle
/// connections wait with zero-byte reads and hold no buffer. <see cref="Abort"/> may be called from any thread (timeouts,
/// kills) and makes every pending operation fail at once.
/// </summary>
internal sealed class SocketDuplex : IDisposable
{
    // A read goes into a new block when less than this is left in the current one.
    private const int MinimumReadSize = 1024;

    // The least room a new output block offers.
    private const int MinimumWriteSize = 4096;

    private readonly Stream _stream;
    private readonly (EndPoint? Remote, EndPoint? Local) _rewritten;
    private int _aborted;

    /// <param name="waitWithoutBuffer">
    /// Wait for data with a zero-byte read before taking a block: right for client connections, which may idle
    /// between requests in great numbers; server connections only wait while a response is due, and save the
    /// extra system call.
    /// </param>
    /// <param name="onEventLoop">A cleartext connection's reads wait on an <see cref="EventLoop"/> rather than through the runtime's socket engine, and its writes send directly (<see cref="SocketPipeWriter"/>).</param>
    /// <param name="inputPool">Where the input's blocks come from when not <paramref name="pool"/>: larger blocks for
    /// connections that mostly receive bodies, so that each read moves more bytes.</param>
    /// <param name="tls">The TLS stream over the socket once its handshake is done; null for cleartext.</param>
    /// <param name="tlsInfo">What the handshake established.</param>
    /// <param name="proxy">The PROXY header the connection began with: its addresses stand for the peer's and ours.</param>
    /// <param name="rewritten">Addresses rules gave the connection (`set-src`, `set-dst`), which stand for all others; null parts keep them.</param>
    public SocketDuplex(Socket socket, BlockMemoryPool pool, bool waitWithoutBuffer, bool onEventLoop, BlockMemoryPool? inputPool = null, SslStream? tls = null, TlsConnectionInfo? tlsInfo = null, ProxyHeader? proxy = null,
        (EndPoint? Remote, EndPoint? Local) rewritten = default)
    {
        Socket = socket;
        Proxy = proxy;
        _rewritten = rewritten;
        _stream = tls ?? (Stream)new NetworkStream(socket, ownsSocket: false);
        Tls = tlsInfo;
        var input = inputPool ?? pool;
        Input = tls is null
            ? new SocketPipeReader(socket, input, MinimumReadSize, waitWithoutBuffer, onEventLoop)
            : PipeReader.Create(_stream, new StreamPipeReaderOptions(
                pool: input, bufferSize: input.BlockSize, minimumReadSize: MinimumReadSize, leaveOpen: true, useZeroByteReads: waitWithoutBuffer));
        Output = tls is null && onEventLoop && EventLoop.Supported
            ? new SocketPipeWriter(socket, pool, MinimumWriteSize)
            : PipeWriter.Create(_stream, new StreamPipeWriterOptions(pool: pool, minimumBufferSize: MinimumWriteSize, leaveOpen: true));
    }

    public Socket Socket { get; }

    /// <summary>The TLS facts of the connection (SNI, ALPN, version, client certificate); null for cleartext.</summary>
    public TlsConnectionInfo? Tls { get; }

    /// <summary>The PROXY header the client connection began with; null without one.</summary>
    public ProxyHeader? Proxy { get; }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    public bool IsAborted => Volatile.Read(ref _aborted) != 0;

    /// <summary>The peer's address: as rules rewrote it, else the client's as the PROXY header gives it, else the socket's.</summary>
    public EndPoint? RemoteEndPoint => _rewritten.Remote ?? (Proxy is { HasAddresses: true } proxy ? proxy.Source : SocketAddresses.Remote(Socket));

    /// <summary>Our address as the client reached it: as rules rewrote it, else the PROXY header's destination, else the socket's.</summary>
    public EndPoint? LocalEndPoint => _rewritten.Local ?? (Proxy is { HasAddresses: true } proxy ? proxy.Destination : SocketAddresses.Local(Socket));

    /// <summary>
    /// True when the peer closed the connection (or sent something) while it sat idle: a pooled connection in this
    /// state must not be reused.
    /// </summary>
    public bool IsReadableWhileIdle()
    {
        try
        {
            // A closed or reset connection polls readable. Over TLS, bytes may wait that are no answer: TLS 1.3
            // servers send session tickets after the handshake; a closed one has nothing left to read.
            return Socket.Poll(0, SelectMode.SelectRead) && (Tls is null || Socket.Available == 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>
    /// True when the peer closed or reset the connection: the socket polls readable with nothing to read. Bytes
    /// that arrived and wait (a pipelined request, a body) keep it false.
    /// </summary>
    public bool IsPeerClosed()
    {
        try
        {
            return Socket.Poll(0, SelectMode.SelectRead) && Socket.Available == 0;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>
    /// Writes bytes straight to the socket, past <see cref="Output"/>: for large bodies, which need no copy into
    /// the pipe. The caller flushes <see cref="Output"/> first so that the order of bytes is kept.
    /// </summary>
    public ValueTask WriteDirectAsync(ReadOnlyMemory<byte> bytes) => _stream.WriteAsync(bytes);

    /// <summary>Sends a FIN after everything written so far (over TLS, a close_notify alert first).</summary>
    public void ShutdownSend()
    {
        if (_stream is SslStream tls)
        {
            _ = ShutdownTlsAsync(tls);
            return;
        }

        ShutdownSocketSend();
    }

    private async Task ShutdownTlsAsync(SslStream tls)
    {
        try
        {
            await tls.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // The peer is gone already; the FIN below is all that is left to send.
        }

        ShutdownSocketSend();
    }

    private void ShutdownSocketSend()
    {
        try
        {
            Socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer is gone already.
        }
    }

    /// <summary>Shuts the socket down and closes it; pending reads and writes end with an error. Any thread.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already reset or closed.
        }

        Socket.Dispose();
        (Input as SocketPipeReader)?.WakeReceive();
    }

    /// <summary>Completes the pipes (returning their blocks) and closes the socket.</summary>
    public void Dispose()
    {
        Abort();
        try
        {
            Input.Complete();
            Output.Complete();
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // A read or a flush of another task is still in flight on the closed socket; it fails on its own.
        }

        _stream.Dispose();
    }
}
