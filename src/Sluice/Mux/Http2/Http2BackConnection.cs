using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Sluice.Messages;
using Sluice.Protocols.Hpack;
using Sluice.Protocols.Http2;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Mux.Http2;

/// <summary>Told when a multiplexed server connection has no stream left, or has ended.</summary>
internal interface IHttp2BackConnectionOwner
{
    /// <summary>The last stream in progress was released. Any thread.</summary>
    void OnIdle(Http2BackConnection connection);

    /// <summary>The server's SETTINGS gave its SETTINGS_MAX_CONCURRENT_STREAMS: the next connections may start from it.</summary>
    void OnMaxConcurrentStreams(int value);
}

/// <summary>
/// The HTTP/2 multiplexer towards a server (RFC 9113, prior knowledge over cleartext: `server ... proto h2`). Many
/// exchanges, from any transactions, share one connection as <see cref="Http2BackStream"/>s. One read loop applies
/// the server's frames (SETTINGS, PING, GOAWAY, RST_STREAM, WINDOW_UPDATE, response HEADERS and DATA); every frame
/// leaves through one serialized writer (an async lock around the output pipe), so that stream identifiers and HPACK
/// blocks reach the server in the order they were made. Flow control both ways: a stream sends DATA only within the
/// server's windows, and a response stream's window opens again only as its transaction forwards the body, which is
/// the back-pressure towards the server; the connection window we advertise is large and credited on arrival.
/// </summary>
/// <remarks>
/// Threading: <see cref="_sync"/> guards the protocol state shared by the read loop and the streams' transactions;
/// the write lock guards the output pipe, the encoder and <see cref="_nextStreamId"/>. Only the read loop decodes.
/// </remarks>
internal sealed partial class Http2BackConnection : IDisposable
{
    /// <summary>The connection window we advertise: large, since the stream windows bound the memory.</summary>
    private const int ConnectionReceiveWindow = 16 * 1024 * 1024;

    private const int MaxHeaderListSize = 65536;

    private readonly SocketDuplex _io;
    private System.Net.EndPoint? _localEndPoint;
    private readonly Heartbeat _clock;
    private readonly Lock _sync = new();
    private readonly Dictionary<int, Http2BackStream> _streams = [];
    private readonly List<Http2BackStream> _windowWaiters = [];
    private readonly Http2Frame _frame = new();
    private readonly HpackDecoder _decoder;
    private readonly Http2RequestEncoder _encoder = new();
    private readonly Http2ResponseHeadBuilder _builder = new();

    // Every frame leaves through it; the control frames it queues are guarded by _sync.
    private readonly Http2FrameOutput _out;

    // Under the write lock.
    private int _nextStreamId = 1;

    // Response heads the read loop decodes into, given back once their transaction copied them: a stream costs no
    // head of its own. A spare head keeps no arrays (they go back to the array pool), so keeping as many as streams
    // may be in flight costs little; at most SpareHeadsCapacity are kept; any thread, under _spareHeadsLock.
    private const int SpareHeadsCapacity = 128;
    private readonly Stack<HttpResponseHead> _spareHeads = new();
    private readonly Lock _spareHeadsLock = new();
    private bool _spareHeadsClosed;

    // Released streams their transactions are done with, for later exchanges (not the connection's first stream, which
    // the connection remembers); under _sync.
    private const int SpareStreamsCapacity = 128;
    private readonly Stack<Http2BackStream> _spareStreams = new();

    // Response body pipes of released streams, emptied, for later responses; under _sync.
    private const int SparePipesCapacity = 128;
    private readonly Stack<Pipe> _sparePipes = new();

    // `tune.h2.be.max-concurrent-streams`: the streams we open at once stay below it whatever the server allows.
    private readonly int _streamCap;

    // Under _sync. The server's SETTINGS_MAX_CONCURRENT_STREAMS, capped by _streamCap.
    private int _peerMaxConcurrentStreams;
    private int _peerInitialWindow = Http2Protocol.DefaultInitialWindowSize;
    private long _connectionSendWindow = Http2Protocol.DefaultInitialWindowSize;
    private long _connectionReceiveWindow = ConnectionReceiveWindow;
    private int _connectionCredit;
    private int _activeStreams;
    private int _streamsOpened;
    private bool _goAwayReceived;
    private int _goAwayLastStreamId = int.MaxValue;
    private bool _ended;
    private bool _shuttingDown;
    private long _idleSinceMs;

    // Read loop only (the frame size is read by writers too).
    private int _peerMaxFrameSize = Http2Protocol.MinMaxFrameSize;
    private int _highestStreamId;
    private bool _settingsReceived;

    // The server's SETTINGS_ENABLE_CONNECT_PROTOCOL was 1 (RFC 8441 §3); read by writers once its SETTINGS came.
    private volatile bool _peerAcceptsExtendedConnect;
    private int _blockStreamId;
    private BlockKind _blockKind;
    private Http2BackStream? _blockStream;
    private HttpResponseHead? _blockHead;
    private bool _blockEndStream;

    private int _completedExchanges;

    // Set once the server's first SETTINGS came (or the connection ended): heads wait for it, so that the server's
    // SETTINGS_MAX_CONCURRENT_STREAMS is known before streams open.
    private readonly TaskCompletionSource _peerSettings = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // The stream of the transaction that opened the connection leaves first (stream 1): it came for a connection of
    // its own, and a server that limits the streams per connection must not refuse it. The others wait for it.
    private readonly TaskCompletionSource _openerSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Http2BackStream? _opener;

    /// <param name="assumedMaxConcurrentStreams">
    /// What to assume of the server's SETTINGS_MAX_CONCURRENT_STREAMS until its SETTINGS come: what its last
    /// connection said, else 100 (the least RFC 9113 §6.5.2 recommends servers allow).
    /// </param>
    public Http2BackConnection(SocketDuplex io, Heartbeat clock, Http2Limits limits, int assumedMaxConcurrentStreams)
    {
        _streamCap = limits.MaxConcurrentStreams > 0 ? limits.MaxConcurrentStreams : int.MaxValue;
        _peerMaxConcurrentStreams = Math.Min(assumedMaxConcurrentStreams, _streamCap);
        _io = io;
        _out = new Http2FrameOutput(io.Output, _sync, watch: null, peerIsClient: false);
        _clock = clock;
        StreamReceiveWindow = limits.InitialWindowSize;
        _decoder = new HpackDecoder(headerTableSizeLimit: limits.HeaderTableSize, maxHeaderListSize: MaxHeaderListSize);
        _idleSinceMs = clock.NowMs;

        // §3.4: the client preface is the 24-byte string then our SETTINGS. Server push is refused (§8.4).
        _out.Control.Write(Http2Protocol.ClientPreface);
        Span<Http2Setting> settings = stackalloc Http2Setting[4];
        var count = 0;
        settings[count++] = new(Http2SettingsParameter.EnablePush, 0);
        settings[count++] = new(Http2SettingsParameter.InitialWindowSize, (uint)limits.InitialWindowSize);
        settings[count++] = new(Http2SettingsParameter.MaxHeaderListSize, MaxHeaderListSize);
        if (limits.HeaderTableSize != 4096)
        {
            settings[count++] = new(Http2SettingsParameter.HeaderTableSize, (uint)limits.HeaderTableSize);
        }

        Http2FrameWriter.WriteSettings(_out.Control, settings[..count]);
        Http2FrameWriter.WriteWindowUpdate(_out.Control, 0, ConnectionReceiveWindow - Http2Protocol.DefaultInitialWindowSize);
    }

    private enum BlockKind : byte
    {
        Head = 0,
        Trailers,
        Discard,
    }

    /// <summary>The stream window we advertise (`tune.h2.initial-window-size`).</summary>
    public int StreamReceiveWindow { get; }

    /// <summary>Told when the connection has no stream left.</summary>
    public IHttp2BackConnectionOwner? Owner { get; set; }

    /// <summary>Exchanges that ended cleanly on this connection.</summary>
    public int CompletedExchanges => Volatile.Read(ref _completedExchanges);

    /// <summary>Streams opened so far.</summary>
    public int StreamsOpened
    {
        get
        {
            lock (_sync)
            {
                return _streamsOpened;
            }
        }
    }

    /// <summary>Streams opened and not yet released.</summary>
    public int ActiveStreams
    {
        get
        {
            lock (_sync)
            {
                return _activeStreams;
            }
        }
    }

    /// <summary>True once the connection can carry no new stream (ended, GOAWAY received, being closed).</summary>
    public bool IsClosing
    {
        get
        {
            lock (_sync)
            {
                return _ended || _goAwayReceived || _shuttingDown;
            }
        }
    }

    /// <summary>Sends the preface and runs the read loop until the connection ends; the streams in progress then fail.</summary>
    public Task StartAsync() => RunAsync();

    /// <summary>
    /// Takes a stream for a new exchange when the server's SETTINGS_MAX_CONCURRENT_STREAMS leaves room, or null
    /// (the caller then opens another connection). The stream gets its identifier when its head is sent.
    /// </summary>
    /// <param name="reused">The caller did not open this connection: a failure before any answer may be a connection the server closed.</param>
    public Http2BackStream? TryOpenStream(bool reused)
    {
        lock (_sync)
        {
            if (_ended || _goAwayReceived || _shuttingDown || _activeStreams >= _peerMaxConcurrentStreams)
            {
                return null;
            }

            _activeStreams++;
            _streamsOpened++;
            Http2BackStream stream;
            if (_spareStreams.TryPop(out var spare))
            {
                spare.Reuse(reused);
                stream = spare;
            }
            else
            {
                stream = new Http2BackStream(this, _clock, reused);
            }

            if (_streamsOpened == 1)
            {
                _opener = stream;
            }

            return stream;
        }
    }

    /// <summary>True when no stream is in progress since at least <paramref name="delayMs"/>.</summary>
    public bool IsIdleFor(long nowMs, long delayMs)
    {
        lock (_sync)
        {
            return _activeStreams == 0 && nowMs - _idleSinceMs >= delayMs;
        }
    }

    /// <summary>
    /// Ends the connection gracefully when it has no stream in progress (GOAWAY(NO_ERROR), then close); otherwise it
    /// takes no new stream and closes after the last one. Any thread.
    /// </summary>
    public void Shutdown()
    {
        bool now;
        lock (_sync)
        {
            _shuttingDown = true;
            now = _activeStreams == 0 && !_ended;
            if (now)
            {
                Http2FrameWriter.WriteGoAway(_out.Control, 0, Http2ErrorCode.NoError, default);
            }
        }

        if (now)
        {
            _ = CloseAfterFlushAsync();
        }
    }

    /// <summary>Cuts the connection at once: every stream in progress fails. Any thread.</summary>
    public void Abort() => _io.Abort();

    /// <summary>Our address on the server connection, which its streams share: read once, it does not change while the connection lives.</summary>
    public System.Net.EndPoint? LocalEndPoint => _localEndPoint ??= _io.LocalEndPoint;

    public Sluice.Tls.TlsConnectionInfo? Tls => _io.Tls;

    public void Dispose() => _io.Abort();

    /// <summary>A released stream its transaction no longer holds: a later exchange may be made of it. Any thread.</summary>
    internal void RecycleStream(Http2BackStream stream)
    {
        lock (_sync)
        {
            // Twice among the spares, one stream would serve two exchanges at once.
            if (stream.Released && !stream.Recycled && stream != _opener && _spareStreams.Count < SpareStreamsCapacity)
            {
                stream.Recycled = true;
                _spareStreams.Push(stream);
            }
        }
    }

    /// <summary>A head for the read loop to decode into: a spare one when there is one.</summary>
    internal HttpResponseHead RentHead()
    {
        lock (_spareHeadsLock)
        {
            if (_spareHeads.TryPop(out var head))
            {
                return head;
            }
        }

        return new HttpResponseHead();
    }

    /// <summary>A head nobody reads any more, kept for a later stream without its field arrays. Any thread.</summary>
    internal void ReturnHead(HttpResponseHead head)
    {
        head.Headers.ReleaseBuffers();
        lock (_spareHeadsLock)
        {
            if (_spareHeads.Count < SpareHeadsCapacity && !_spareHeadsClosed)
            {
                _spareHeads.Push(head);
                return;
            }
        }

        head.Dispose();
    }

    internal void CountCompletedExchange() => Interlocked.Increment(ref _completedExchanges);

    /// <summary>
    /// Gives the stream an identifier and sends its request head: HEADERS (END_STREAM when the request has no body)
    /// and CONTINUATION frames beyond the server's frame size. Identifiers rise in the order heads leave (§5.1.1).
    /// Once the server's settings came and the connection's first head left, no async method runs unless the
    /// write waits.
    /// </summary>
    internal ValueTask SendHeadAsync(Http2BackStream stream, HttpRequestHead head)
    {
        // A tunnel (CONNECT, or an upgrade sent as extended CONNECT) keeps its stream open for the bytes after the 2xx.
        stream.ExtendedConnect = !Http2RequestEncoder.UpgradeProtocolOf(head).IsEmpty;
        var endStream = !head.HasBody && !stream.ExtendedConnect && head.Method != Messages.HttpMethod.Connect;
        if (stream.ExtendedConnect || !_peerSettings.Task.IsCompleted || (stream != _opener && !_openerSent.Task.IsCompleted))
        {
            return SendHeadAfterSettingsAsync(stream, head, endStream);
        }

        return WriteWatchedAsync(stream, new RequestHeadWrite(this, stream, head, endStream));
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private async ValueTask SendHeadAfterSettingsAsync(Http2BackStream stream, HttpRequestHead head, bool endStream)
    {
        stream.WriteWatch.BeginWait();
        try
        {
            if (!_peerSettings.Task.IsCompleted)
            {
                await _peerSettings.Task.ConfigureAwait(false);
            }

            if (stream.ExtendedConnect && !_peerAcceptsExtendedConnect)
            {
                // RFC 8441 §3: no extended CONNECT unless the server's SETTINGS_ENABLE_CONNECT_PROTOCOL said 1. HAProxy
                // answers such a request 502 (SH) without the server seeing it.
                stream.IsReset = true;
                if (stream == _opener)
                {
                    _openerSent.TrySetResult();
                }

                throw new HttpBodyException(BodyFailure.Closed, clientSide: false);
            }

            if (stream != _opener && !_openerSent.Task.IsCompleted)
            {
                await _openerSent.Task.ConfigureAwait(false);
            }

            await _out.WriteAsync(new RequestHeadWrite(this, stream, head, endStream)).ConfigureAwait(false);
        }
        finally
        {
            stream.WriteWatch.EndWait();
        }
    }

    /// <summary>A write of the stream's frames, with the time it waits (for the write turn, for the socket) counted as the server's.</summary>
    private ValueTask WriteWatchedAsync<TWrite>(Http2BackStream stream, TWrite write)
        where TWrite : struct, Http2FrameOutput.IFrameWrite
    {
        stream.WriteWatch.BeginWait();
        var written = _out.WriteAsync(write);
        if (written.IsCompleted)
        {
            stream.WriteWatch.EndWait();
            return written;
        }

        return EndWaitAfterAsync(stream, written);
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private static async ValueTask EndWaitAfterAsync(Http2BackStream stream, ValueTask written)
    {
        try
        {
            await written.ConfigureAwait(false);
        }
        finally
        {
            stream.WriteWatch.EndWait();
        }
    }

    private readonly struct RequestHeadWrite(Http2BackConnection connection, Http2BackStream stream, HttpRequestHead head, bool endStream) : Http2FrameOutput.IFrameWrite
    {
        public bool Write(out bool complete)
        {
            complete = true;
            var open = false;
            try
            {
                connection._out.DrainControl();
                open = connection.Register(stream, endStream);
            }
            finally
            {
                if (!open)
                {
                    // The head never left: the request was not processed, and may go on another connection.
                    stream.NotProcessed = true;
                }

                if (stream == connection._opener)
                {
                    connection._openerSent.TrySetResult();
                }
            }

            if (open)
            {
                connection._encoder.EncodeRequest(head);
                connection.WriteHeaderBlock(stream, endStream);
            }

            return open;
        }
    }

    /// <summary>Waits until both of the server's windows allow sending, then takes up to <paramref name="wanted"/> bytes of them.</summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    internal async ValueTask<int> ReserveSendWindowAsync(Http2BackStream stream, long wanted)
    {
        while (true)
        {
            TaskCompletionSource waiter;
            lock (_sync)
            {
                if (stream.IsReset || stream.LocalEnded)
                {
                    throw new HttpBodyException(BodyFailure.Closed, clientSide: false);
                }

                var available = Math.Min(stream.SendWindow, _connectionSendWindow);
                if (available > 0)
                {
                    var granted = (int)Math.Min(Math.Min(available, wanted), 1 << 20);
                    stream.SendWindow -= granted;
                    _connectionSendWindow -= granted;
                    return granted;
                }

                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                stream.WindowWaiter = waiter;
                _windowWaiters.Add(stream);
            }

            stream.WaitingForWindow = true;
            stream.WriteWatch.BeginWait();
            try
            {
                await waiter.Task.ConfigureAwait(false);
            }
            finally
            {
                stream.WriteWatch.EndWait();
                stream.WaitingForWindow = false;
            }
        }
    }

    /// <summary>The block just encoded, as HEADERS and CONTINUATION frames within the server's frame size; under the write turn.</summary>
    private void WriteHeaderBlock(Http2BackStream stream, bool endStream)
    {
        _encoder.WriteBlock(_out.Output, stream.Id, endStream, Volatile.Read(ref _peerMaxFrameSize));
        _out.FlushOwed = true;
    }

    /// <summary>Sends DATA frames within the window the caller reserved, or an empty one with END_STREAM.</summary>
    internal ValueTask SendDataAsync(Http2BackStream stream, ReadOnlySequence<byte> data, bool endStream, bool flush) =>
        WriteWatchedAsync(stream, new DataWrite(this, stream, data, endStream, flush));

    private readonly struct DataWrite(Http2BackConnection connection, Http2BackStream stream, ReadOnlySequence<byte> data, bool endStream, bool flush) : Http2FrameOutput.IFrameWrite
    {
        public bool Write(out bool complete)
        {
            complete = flush || endStream;
            connection._out.DrainControl();
            var open = connection.TryBeginStreamWrite(stream, endStream);
            if (open)
            {
                connection._out.WriteDataFrames(stream.Id, data, endStream, Volatile.Read(ref connection._peerMaxFrameSize));
            }

            return open;
        }
    }

    /// <summary>Sends the request's trailers as a final HEADERS frame with END_STREAM (RFC 9113 §8.1).</summary>
    internal ValueTask SendTrailersAsync(Http2BackStream stream, HttpHeaderList trailers) =>
        WriteWatchedAsync(stream, new TrailersWrite(this, stream, trailers));

    private readonly struct TrailersWrite(Http2BackConnection connection, Http2BackStream stream, HttpHeaderList trailers) : Http2FrameOutput.IFrameWrite
    {
        public bool Write(out bool complete)
        {
            complete = true;
            connection._out.DrainControl();
            var open = connection.TryBeginStreamWrite(stream, endStream: true);
            if (open)
            {
                connection._encoder.EncodeTrailers(trailers);
                connection.WriteHeaderBlock(stream, endStream: true);
            }

            return open;
        }
    }

    /// <summary>The transaction forwarded <paramref name="consumed"/> bytes of the response body: the server may send as many again.</summary>
    internal void OnBodyConsumed(Http2BackStream stream, int consumed)
    {
        lock (_sync)
        {
            if (stream.RemoteEnded || stream.IsReset)
            {
                return;
            }

            stream.ConsumedUnacknowledged += consumed;

            // Batched: the server keeps at least three quarters of the window meanwhile.
            if (stream.ConsumedUnacknowledged < StreamReceiveWindow / 4)
            {
                return;
            }

            stream.ReceiveWindow += stream.ConsumedUnacknowledged;
            Http2FrameWriter.WriteWindowUpdate(_out.Control, stream.Id, stream.ConsumedUnacknowledged);
            stream.ConsumedUnacknowledged = 0;
        }

        _out.ScheduleControlFlush();
    }

    /// <summary>
    /// Resets a stream from our side (timeouts, kill, a transaction that gives up). A stream stuck behind a server
    /// that reads nothing cannot be reset by a frame that would wait behind it: the connection is cut then. Any thread.
    /// </summary>
    internal void ResetStream(Http2BackStream stream, Http2ErrorCode code)
    {
        var cut = stream.WriteWatch.IsWaiting && !stream.WaitingForWindow;
        lock (_sync)
        {
            if (!stream.IsReset && !(stream.LocalEnded && stream.RemoteEnded))
            {
                if (stream.Id != 0)
                {
                    Http2FrameWriter.WriteRstStream(_out.Control, stream.Id, code);
                }

                stream.IsReset = true;
                FailLocked(stream, ResponseHeadError.Closed, BodyFailure.Aborted);
            }
        }

        if (cut)
        {
            _io.Abort();
            return;
        }

        _out.ScheduleControlFlush();
    }

    /// <summary>The transaction is done with the stream: it is reset if unfinished, and leaves.</summary>
    internal void ReleaseStream(Http2BackStream stream)
    {
        bool idle;
        bool close;
        lock (_sync)
        {
            if (stream.Released)
            {
                return;
            }

            stream.Released = true;
            if (stream == _opener && stream.Id == 0)
            {
                _openerSent.TrySetResult();
            }

            if (stream.Id != 0 && !stream.IsReset && !(stream.LocalEnded && stream.RemoteEnded))
            {
                // §8.1: an exchange we abandon is cancelled; the server stops working on it.
                Http2FrameWriter.WriteRstStream(_out.Control, stream.Id, stream.RemoteEnded ? Http2ErrorCode.NoError : Http2ErrorCode.Cancel);
                stream.IsReset = true;
            }

            if (stream.Id != 0)
            {
                _streams.Remove(stream.Id);
            }

            if (stream.WindowWaiter is { } waiter)
            {
                stream.WindowWaiter = null;
                _windowWaiters.Remove(stream);
                waiter.TrySetResult();
            }

            if (stream.Body is { } body)
            {
                body.Writer.Complete();
                body.Reader.Complete();

                // The transaction releases its stream once it has read the response (a pump of its own that fails
                // resets the stream instead): nobody reads the pipe any more, and the stream forgets it, so that
                // nothing done to the stream later reaches the pipe's next user.
                stream.Body = null;
                body.Reset();
                if (_sparePipes.Count < SparePipesCapacity)
                {
                    _sparePipes.Push(body);
                }
            }

            _activeStreams--;
            idle = _activeStreams == 0;
            if (idle)
            {
                _idleSinceMs = _clock.NowMs;
            }

            close = idle && (_shuttingDown || _goAwayReceived) && !_ended;
            if (close)
            {
                Http2FrameWriter.WriteGoAway(_out.Control, 0, Http2ErrorCode.NoError, default);
            }
        }

        stream.DisposeHeads();
        if (close)
        {
            _ = CloseAfterFlushAsync();
            return;
        }

        _out.ScheduleControlFlush();
        if (idle)
        {
            Owner?.OnIdle(this);
        }
    }

    private async Task RunAsync()
    {
        var input = _io.Input;
        var error = Http2ErrorCode.NoError;
        try
        {
            await _out.FlushControlAsync().ConfigureAwait(false);
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                while (Http2FrameReader.TryReadFrame(ref buffer, _frame, ReceiveMaxFrameSize, out var frameError))
                {
                    error = frameError.Scope switch
                    {
                        Http2ErrorScope.Connection => frameError.Code,
                        Http2ErrorScope.Stream when _frame.Type == Http2FrameType.Headers => Http2ErrorCode.ProtocolError,
                        Http2ErrorScope.Stream => ResetFromReadLoop(frameError.StreamId, frameError.Code),
                        _ => ProcessFrame(),
                    };
                    if (error != Http2ErrorCode.NoError)
                    {
                        break;
                    }
                }

                if (error != Http2ErrorCode.NoError)
                {
                    input.AdvanceTo(result.Buffer.End);
                    lock (_sync)
                    {
                        Http2FrameWriter.WriteGoAway(_out.Control, _highestStreamId, error, default);
                    }

                    await _out.FlushControlAsync().ConfigureAwait(false);
                    break;
                }

                input.AdvanceTo(buffer.Start, result.Buffer.End);
                if (_out.HasControlFrames())
                {
                    await _out.FlushControlAsync().ConfigureAwait(false);
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or HttpBodyException)
        {
            // The server closed or reset the connection, or it was aborted: the streams below learn it.
        }
        finally
        {
            await EndAsync().ConfigureAwait(false);
        }
    }

    /// <summary>We never raise SETTINGS_MAX_FRAME_SIZE: the server's frames stay within the protocol's minimum.</summary>
    private static int ReceiveMaxFrameSize => Http2Protocol.MinMaxFrameSize;

    /// <summary>The connection is over: every stream still in progress fails, and the socket closes.</summary>
    private async Task EndAsync()
    {
        _io.Abort();
        _peerSettings.TrySetResult();
        _openerSent.TrySetResult();
        lock (_sync)
        {
            _ended = true;
            foreach (var stream in _streams.Values)
            {
                if (!stream.IsReset && !(stream.RemoteEnded && stream.LocalEnded))
                {
                    stream.IsReset = true;
                    FailLocked(stream, ResponseHeadError.Closed, BodyFailure.Closed);
                }
            }

            WakeAllWaitersLocked();
        }

        _decoder.Dispose();
        lock (_spareHeadsLock)
        {
            _spareHeadsClosed = true;
            while (_spareHeads.TryPop(out var spare))
            {
                spare.Dispose();
            }
        }

        // Writers in line fail once they get the lock; the pipes give their blocks back.
        await _out.AcquireAsync().ConfigureAwait(false);
        try
        {
            _out.Closed = true;
            _io.Dispose();
        }
        finally
        {
            _out.Release();
        }

        Owner?.OnIdle(this);
    }

    private async Task CloseAfterFlushAsync()
    {
        try
        {
            await _out.FlushControlAsync().ConfigureAwait(false);
        }
        catch (HttpBodyException)
        {
            // Gone already.
        }

        _io.Abort();
    }

    /// <summary>Registers the stream under a new identifier; under the write lock. False when the connection takes no new stream.</summary>
    private bool Register(Http2BackStream stream, bool endStream)
    {
        lock (_sync)
        {
            if (_ended || stream.IsReset || _nextStreamId > int.MaxValue - 2)
            {
                stream.IsReset = true;
                return false;
            }

            if (_goAwayReceived || _streams.Count >= _peerMaxConcurrentStreams)
            {
                // §6.8: the server takes no stream above its last one; beyond its SETTINGS_MAX_CONCURRENT_STREAMS it
                // would refuse it (§5.1.2). Either way the request never reached it and may go elsewhere.
                stream.IsReset = true;
                stream.NotProcessed = true;
                return false;
            }

            stream.Id = _nextStreamId;
            _nextStreamId += 2;
            Volatile.Write(ref _highestStreamId, stream.Id);
            stream.SendWindow = _peerInitialWindow;
            stream.ReceiveWindow = StreamReceiveWindow;
            stream.LocalEnded = endStream;
            _streams.Add(stream.Id, stream);
            return true;
        }
    }

    /// <summary>Checks that the stream may still send and marks its end; under the write lock. False when it is closed.</summary>
    private bool TryBeginStreamWrite(Http2BackStream stream, bool endStream)
    {
        lock (_sync)
        {
            if (stream.IsReset || stream.LocalEnded || stream.Id == 0)
            {
                return false;
            }

            if (endStream)
            {
                stream.LocalEnded = true;
            }
        }

        return true;
    }

}
