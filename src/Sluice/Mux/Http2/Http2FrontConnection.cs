using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Sluice.Messages;
using Sluice.Protocols.Hpack;
using Sluice.Protocols.Http2;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Mux.Http2;

/// <summary>How the read loop of an HTTP/2 connection ended.</summary>
internal enum Http2ConnectionEnd
{
    /// <summary>We ended it with GOAWAY(NO_ERROR) (stop, idle timeout) or the client said GOAWAY, and the streams are done.</summary>
    Graceful = 0,
    /// <summary>The client closed or reset the socket.</summary>
    Closed = 1,
    /// <summary>The client broke the protocol: a GOAWAY with the error went out.</summary>
    ProtocolError = 2,
}

/// <summary>
/// The HTTP/2 multiplexer on the client side (RFC 9113): one read loop turns frames into streams, each offered to
/// a transaction as an <see cref="Http2Stream"/>; every frame leaves through one serialized writer (an async lock
/// around the output pipe) so that HPACK blocks reach the client in the order they were encoded. Flow control:
/// the connection window we advertise is credited as soon as DATA arrives (the stream windows bound what each
/// stream may buffer), a stream window only as its transaction consumes the body.
/// </summary>
internal sealed class Http2FrontConnection : IDisposable
{

    /// <summary>The connection window we advertise: large, since the stream windows bound the memory.</summary>
    private const int ConnectionReceiveWindow = 16 * 1024 * 1024;

    private const int MaxHeaderListSize = Http2Limits.MaxHeaderListSize;

    private const int RecentlyResetCapacity = 64;

    private readonly SocketDuplex _io;
    private readonly Heartbeat _clock;
    private readonly int _maxConcurrentStreams;
    private readonly int _maxFrameSize;
    private readonly int _glitchesThreshold;
    private readonly int _maxTotalStreams;
    private readonly Lock _sync = new();
    private readonly Dictionary<int, Http2Stream> _streams = [];
    private readonly List<Http2Stream> _windowWaiters = [];
    private readonly Http2Frame _frame = new();
    private readonly HpackDecoder _decoder;
    private readonly HpackEncoder _encoder = new();
    private readonly Http2RequestHeadBuilder _builder = new();

    // Every frame leaves through it; the control frames it queues are guarded by _sync.
    private readonly Http2FrameOutput _out;

    // Under the write lock.
    private byte[] _headerBlock = new byte[4096];
    private int _pendingPeerTableSize = -1;

    // Under _sync.
    private int _peerInitialWindow = Http2Protocol.DefaultInitialWindowSize;
    private long _connectionSendWindow = Http2Protocol.DefaultInitialWindowSize;
    private long _connectionReceiveWindow = ConnectionReceiveWindow;
    private int _connectionCredit;
    private int _openStreams;
    private int _activeStreams;
    private bool _closing;
    private int _goAwayLastStreamId = int.MaxValue;

    // The last streams we reset, whose client may have frames in flight still (§5.4.2); a ring, under _sync.
    private readonly int[] _recentlyReset = new int[RecentlyResetCapacity];
    private int _recentlyResetNext;

    // The last streams the client reset: a frame on one of them is a stream error (§5.1, "closed"), where a frame on
    // a stream that ended both ways is a connection error. A ring, under _sync.
    private readonly int[] _resetByClient = new int[RecentlyResetCapacity];
    private int _resetByClientNext;

    // Abuse accounting (docs/internals/http.md, "HTTP/2 abuse"). Glitches: any thread, Interlocked. Control frames
    // earned: added to by the writers, Interlocked; read by the read loop.
    private int _glitches;
    private long _controlFramesEarned = Http2Limits.ControlFramesAllowance;

    // Read loop only.
    private int _peerMaxFrameSize = Http2Protocol.MinMaxFrameSize;
    private int _lastStreamId;
    private long _controlFramesReceived;
    private int _blockBytes;
    private bool _glitchShutdownStarted;
    private bool _settingsReceived;
    private int _blockStreamId;
    private BlockKind _blockKind;
    private Http2Stream? _blockStream;

    // Released streams the session is done with, made into later streams (a stream is a few hundred bytes of
    // objects, and a busy connection opens thousands a second); under _sync.
    private readonly Stack<Http2Stream> _spareStreams = new();
    private bool _blockEndStream;
    private Http2ErrorCode? _blockResetCode;
    private IHttp2StreamHandler? _handler;
    private Http2Stream? _upgradedStream;
    private byte[]? _upgradeSettings;

    public Http2FrontConnection(SocketDuplex io, Heartbeat clock, Http2Limits limits)
    {
        _io = io;
        _clock = clock;
        _maxConcurrentStreams = limits.MaxConcurrentStreams;
        _maxFrameSize = limits.MaxFrameSize;
        _glitchesThreshold = limits.GlitchesThreshold;
        _maxTotalStreams = limits.MaxTotalStreams;
        StreamReceiveWindow = limits.InitialWindowSize;
        _decoder = new HpackDecoder(headerTableSizeLimit: limits.HeaderTableSize, maxHeaderListSize: MaxHeaderListSize);
        WriteWatch = new SideWatch(clock);
        _out = new Http2FrameOutput(io.Output, _sync, WriteWatch, peerIsClient: true);
        ClientEndPoint = io.RemoteEndPoint;
        LocalEndPoint = io.LocalEndPoint;

        // §3.4: our SETTINGS are the first frame we send, ahead of anything else queued. Values equal to the
        // protocol's defaults are left out, as RFC 9113 §6.5.2 allows.
        Span<Http2Setting> settings = stackalloc Http2Setting[6];
        var count = 0;
        settings[count++] = new(Http2SettingsParameter.MaxConcurrentStreams, (uint)limits.MaxConcurrentStreams);

        // RFC 8441 §3: extended CONNECT (`:protocol`), which carries websockets over a stream.
        settings[count++] = new(Http2SettingsParameter.EnableConnectProtocol, 1);
        settings[count++] = new(Http2SettingsParameter.InitialWindowSize, (uint)limits.InitialWindowSize);
        settings[count++] = new(Http2SettingsParameter.MaxHeaderListSize, MaxHeaderListSize);
        if (limits.HeaderTableSize != 4096)
        {
            settings[count++] = new(Http2SettingsParameter.HeaderTableSize, (uint)limits.HeaderTableSize);
        }

        if (limits.MaxFrameSize != Http2Protocol.MinMaxFrameSize)
        {
            settings[count++] = new(Http2SettingsParameter.MaxFrameSize, (uint)limits.MaxFrameSize);
        }

        Http2FrameWriter.WriteSettings(_out.Control, settings[..count]);
        Http2FrameWriter.WriteWindowUpdate(_out.Control, 0, ConnectionReceiveWindow - Http2Protocol.DefaultInitialWindowSize);
    }

    /// <summary>The stream window we advertise (`tune.h2.initial-window-size`; the protocol's 65535 by default, as HAProxy).</summary>
    public int StreamReceiveWindow { get; }

    private enum BlockKind : byte
    {
        Request = 0,
        Trailers,
        Discard,
    }

    public EndPoint? ClientEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    /// <summary>What the connection's TLS handshake established; null on cleartext.</summary>
    public Sluice.Tls.TlsConnectionInfo? Tls => _io.Tls;

    public Sluice.Protocols.ProxyProtocol.ProxyHeader? Proxy => _io.Proxy;

    /// <summary>Waits for the client to take our bytes (socket-level back-pressure).</summary>
    public SideWatch WriteWatch { get; }

    /// <summary>Streams handed to transactions and not yet released.</summary>
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

    /// <summary>Streams opened so far.</summary>
    public int StreamCount { get; private set; }

    /// <summary>Protocol anomalies the client committed so far (HAProxy's `fc_glitches`).</summary>
    public int Glitches => Volatile.Read(ref _glitches);

    /// <summary>
    /// RFC 7540 §3.2: the connection began as HTTP/1.1 and its request asked for `Upgrade: h2c`; the 101 went out.
    /// That request becomes stream 1, half-closed (remote) with its whole body, and the client's SETTINGS are the
    /// payload of its HTTP2-Settings field (the 101 acknowledges them, so no ACK). Both take effect in
    /// <see cref="RunAsync"/>, right after our SETTINGS. Copies <paramref name="request"/>, which the caller may then
    /// release.
    /// </summary>
    public void AcceptUpgrade(IHttp2StreamHandler handler, HttpRequestHead request, byte[] body, byte[] settings)
    {
        _handler = handler;
        var stream = new Http2Stream(this, 1, _clock, handler);
        var head = stream.Request;
        head.Headers.CopyFrom(request.Headers);
        head.SetMethod(request.MethodBytes);
        head.SetTarget(request.Target);
        head.SetScheme(request.Scheme);
        head.SetAuthority(request.Authority);
        head.Version = request.Version;
        head.ContentLength = request.ContentLength;

        // The connection-level flags of HTTP/1.1 mean nothing on a stream.
        head.Flags = request.Flags & (HttpMessageFlags.NoBody | HttpMessageFlags.ContentLengthKnown);
        if (request.HasBody)
        {
            stream.OpenBody();
            stream.Body!.Writer.Write(body);
            stream.Body.Writer.Complete();
            stream.BodyBytesReceived = body.Length;
        }

        stream.RemoteEnded = true;
        _upgradedStream = stream;
        _upgradeSettings = settings;
    }

    /// <summary>
    /// Sends our SETTINGS, reads the preface and then frames until the connection ends. New streams go to
    /// <paramref name="handler"/> through the event loop (else the thread pool), after the frames in hand.
    /// </summary>
    public async Task<Http2ConnectionEnd> RunAsync(IHttp2StreamHandler handler)
    {
        _handler = handler;
        var input = _io.Input;
        try
        {
            await _out.FlushControlAsync().ConfigureAwait(false);
            if (_upgradedStream is not null)
            {
                var upgradeError = StartUpgradedStream();
                if (upgradeError != Http2ErrorCode.NoError)
                {
                    await GoAwayAsync(upgradeError).ConfigureAwait(false);
                    return Http2ConnectionEnd.ProtocolError;
                }
            }

            var preface = await ReadPrefaceAsync(input).ConfigureAwait(false);
            if (preface != Http2ConnectionEnd.Graceful)
            {
                return preface;
            }

            // §9.2.2: a TLS 1.2 suite of Appendix A (or a version below 1.2) may be refused as INADEQUATE_SECURITY.
            if (_io.Tls is { } tls && Http2TlsProfile.IsInadequate(tls.Protocol, tls.CipherSuite))
            {
                await GoAwayAsync(Http2ErrorCode.InadequateSecurity).ConfigureAwait(false);
                return Http2ConnectionEnd.ProtocolError;
            }

            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                var error = Http2ErrorCode.NoError;
                while (Http2FrameReader.TryReadFrame(ref buffer, _frame, _maxFrameSize, out var frameError))
                {
                    error = frameError.Scope switch
                    {
                        Http2ErrorScope.Connection => frameError.Code,
                        Http2ErrorScope.Stream when _frame.Type == Http2FrameType.Headers => Http2ErrorCode.ProtocolError,
                        Http2ErrorScope.Stream => ResetFromReadLoop(frameError.StreamId, frameError.Code),
                        _ => ProcessFrame(),
                    };
                    if (error == Http2ErrorCode.NoError)
                    {
                        error = CheckGlitches();
                    }

                    if (error != Http2ErrorCode.NoError)
                    {
                        break;
                    }
                }

                if (error != Http2ErrorCode.NoError)
                {
                    input.AdvanceTo(result.Buffer.End);
                    await GoAwayAsync(error).ConfigureAwait(false);
                    return Http2ConnectionEnd.ProtocolError;
                }

                input.AdvanceTo(buffer.Start, result.Buffer.End);
                if (_out.HasControlFrames())
                {
                    await _out.FlushControlAsync().ConfigureAwait(false);
                }

                // A shutdown wakes the loop by cancelling the read; a GOAWAY of the client sets it off from here. The
                // flag is read without the lock first: it only ever goes from false to true.
                if (Volatile.Read(ref _closing) && IsDone())
                {
                    return Http2ConnectionEnd.Graceful;
                }

                if (result.IsCompleted)
                {
                    return Http2ConnectionEnd.Closed;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException or HttpBodyException)
        {
            return Http2ConnectionEnd.Closed;
        }
    }

    /// <summary>
    /// Starts a graceful end (stop, idle timeout): GOAWAY(NO_ERROR) with the last stream we took, then the read loop
    /// ends once the streams in progress are done. Any thread.
    /// </summary>
    public void BeginShutdown()
    {
        bool done;
        lock (_sync)
        {
            if (!_closing)
            {
                _closing = true;
                _goAwayLastStreamId = Volatile.Read(ref _lastStreamId);
                WriteGoAwayLocked(_goAwayLastStreamId, Http2ErrorCode.NoError);
            }

            done = _activeStreams == 0;
        }

        _out.ScheduleControlFlush();
        if (done)
        {
            _io.Input.CancelPendingRead();
        }
    }

    /// <summary>Cuts the connection at once. Any thread.</summary>
    public void Abort() => _io.Abort();

    /// <summary>Fails every stream still in progress (the connection is gone).</summary>
    public void FailAllStreams()
    {
        lock (_sync)
        {
            foreach (var stream in _streams.Values)
            {
                stream.IsReset = true;
                stream.FailLocked();
            }

            foreach (var stream in _windowWaiters)
            {
                stream.WindowWaiter?.TrySetResult();
                stream.WindowWaiter = null;
            }

            _windowWaiters.Clear();
        }
    }

    /// <summary>Flushes what is pending and sends a FIN.</summary>
    public async ValueTask CloseAsync()
    {
        try
        {
            await _out.FlushControlAsync().ConfigureAwait(false);
        }
        catch (HttpBodyException)
        {
            return;
        }

        _io.ShutdownSend();
    }

    /// <summary>The transaction of <paramref name="stream"/> is done: the stream ends (reset if its exchange did not complete) and leaves.</summary>
    public void ReleaseStream(Http2Stream stream)
    {
        bool wakeReadLoop;
        lock (_sync)
        {
            if (stream.Released)
            {
                return;
            }

            stream.Released = true;
            if (!stream.IsReset)
            {
                if (!stream.LocalEnded)
                {
                    WriteRstStreamLocked(stream.Id, Http2ErrorCode.InternalError);
                }
                else if (!stream.RemoteEnded)
                {
                    // RFC 9113 §8.1: the response is complete; the client may stop sending the request body.
                    WriteRstStreamLocked(stream.Id, Http2ErrorCode.NoError);
                }
            }

            CloseStreamLocked(stream);
            if (stream.Body is { } body)
            {
                body.Writer.Complete();
                body.Reader.Complete();
            }

            _activeStreams--;
            wakeReadLoop = _closing && _activeStreams == 0;
        }

        _out.ScheduleControlFlush();
        if (wakeReadLoop)
        {
            _io.Input.CancelPendingRead();
        }
    }

    /// <summary>
    /// The session is done with a released stream (nothing of it refers to the stream any more): a later stream of
    /// this connection may be made of it. Any thread.
    /// </summary>
    public void RecycleStream(Http2Stream stream)
    {
        lock (_sync)
        {
            if (!stream.Released)
            {
                return;
            }

            // A spare stream keeps its head buffers for the next stream (no more spares than streams at once), until
            // the connection idles (ReleaseSpareBuffers).
            if (_spareStreams.Count < _maxConcurrentStreams)
            {
                _spareStreams.Push(stream);
            }
            else
            {
                stream.Dispose();
            }
        }
    }

    /// <summary>The spare streams give their head buffers back: for a connection that has no stream. Any thread.</summary>
    public void ReleaseSpareBuffers()
    {
        lock (_sync)
        {
            foreach (var spare in _spareStreams)
            {
                spare.Dispose();
            }
        }
    }

    /// <summary>A stream for a new request: a recycled one, or new. Read loop.</summary>
    private Http2Stream TakeStream(int id)
    {
        Http2Stream? spare;
        lock (_sync)
        {
            _spareStreams.TryPop(out spare);
        }

        if (spare is null)
        {
            return new Http2Stream(this, id, _clock, _handler!);
        }

        spare.Reuse(id);
        return spare;
    }

    /// <summary>Resets a stream from our side (timeouts, failures). Any thread.</summary>
    public void ResetStream(Http2Stream stream, Http2ErrorCode code)
    {
        lock (_sync)
        {
            if (stream.IsReset || (stream.LocalEnded && stream.RemoteEnded))
            {
                return;
            }

            stream.IsReset = true;
            WriteRstStreamLocked(stream.Id, code);
            stream.FailLocked();
            CloseStreamLocked(stream);
        }

        _out.ScheduleControlFlush();
    }

    public void Dispose()
    {
        ReleaseSpareBuffers();
        _decoder.Dispose();
        _io.Dispose();
    }

    /// <summary>The transaction forwarded <paramref name="consumed"/> bytes of the request body: the client may send as many again.</summary>
    internal void OnBodyConsumed(Http2Stream stream, int consumed)
    {
        lock (_sync)
        {
            if (stream.RemoteEnded || stream.IsReset)
            {
                return;
            }

            stream.ConsumedUnacknowledged += consumed;

            // Batched: the client keeps at least three quarters of the window meanwhile.
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
    /// Takes up to <paramref name="wanted"/> bytes of both windows: at once when they have room (no async method),
    /// else once they do.
    /// </summary>
    internal ValueTask<int> ReserveSendWindowAsync(Http2Stream stream, long wanted)
    {
        lock (_sync)
        {
            if (!stream.IsReset && TryTakeSendWindow(stream, wanted, out var granted))
            {
                return new ValueTask<int>(granted);
            }
        }

        return ReserveSendWindowWaitingAsync(stream, wanted);
    }

    /// <summary>Takes up to <paramref name="wanted"/> bytes (at most 1 MiB) of both windows; false when one is spent. Under the connection's lock.</summary>
    private bool TryTakeSendWindow(Http2Stream stream, long wanted, out int granted)
    {
        var available = Math.Min(stream.SendWindow, _connectionSendWindow);
        if (available <= 0)
        {
            granted = 0;
            return false;
        }

        granted = (int)Math.Min(Math.Min(available, wanted), 1 << 20);
        stream.SendWindow -= granted;
        _connectionSendWindow -= granted;
        return true;
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private async ValueTask<int> ReserveSendWindowWaitingAsync(Http2Stream stream, long wanted)
    {
        while (true)
        {
            TaskCompletionSource waiter;
            lock (_sync)
            {
                if (stream.IsReset)
                {
                    throw new HttpBodyException(BodyFailure.Closed, clientSide: true);
                }

                if (TryTakeSendWindow(stream, wanted, out var granted))
                {
                    return granted;
                }

                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                stream.WindowWaiter = waiter;
                _windowWaiters.Add(stream);
            }

            stream.WriteWatch.BeginWait();
            try
            {
                await waiter.Task.ConfigureAwait(false);
            }
            finally
            {
                stream.WriteWatch.EndWait();
            }
        }
    }

    /// <param name="tunnelEstablished">The head opens a tunnel (a 101 to an extended CONNECT, a 2xx to CONNECT): it leaves as a 200 (RFC 8441 §5, RFC 9113 §8.5).</param>
    internal ValueTask SendHeadAsync(Http2Stream stream, HttpResponseHead head, bool endStream, bool flush, bool tunnelEstablished = false) =>
        _out.WriteAsync(new HeadWrite(this, stream, head, endStream, flush, tunnelEstablished));

    internal ValueTask SendReplyHeadAsync(Http2Stream stream, HttpReply reply, bool endStream) =>
        _out.WriteAsync(new ReplyHeadWrite(this, stream, reply, endStream));

    internal ValueTask SendTrailersAsync(Http2Stream stream, HttpHeaderList trailers) =>
        _out.WriteAsync(new TrailersWrite(this, stream, trailers));

    /// <summary>Sends DATA frames (the window was reserved by the caller), or an empty one with END_STREAM.</summary>
    internal ValueTask SendDataAsync(Http2Stream stream, ReadOnlySequence<byte> data, bool endStream) =>
        _out.WriteAsync(new DataWrite(this, stream, data, endStream));

    private readonly struct HeadWrite(Http2FrontConnection connection, Http2Stream stream, HttpResponseHead head, bool endStream, bool flush, bool tunnelEstablished)
        : Http2FrameOutput.IFrameWrite
    {
        public bool Write(out bool complete)
        {
            // A writer before us may have left its flush to us: that one cannot wait for our body.
            var inherited = connection._out.FlushOwed;
            var open = connection.TryBeginStreamWrite(stream, endStream);
            if (open)
            {
                var length = tunnelEstablished ? connection.EncodeTunnelHead(head) : connection.EncodeResponseHead(head);
                connection.WriteFieldBlock(stream.Id, length, endStream);
            }

            // Without flush, the body's first write follows and sends both.
            complete = flush || !open || inherited;
            return open;
        }
    }

    private readonly struct ReplyHeadWrite(Http2FrontConnection connection, Http2Stream stream, HttpReply reply, bool endStream) : Http2FrameOutput.IFrameWrite
    {
        public bool Write(out bool complete)
        {
            complete = true;
            var open = connection.TryBeginStreamWrite(stream, endStream);
            if (open)
            {
                var length = connection.EncodeReplyHead(reply);
                connection.WriteFieldBlock(stream.Id, length, endStream);
            }

            return open;
        }
    }

    private readonly struct TrailersWrite(Http2FrontConnection connection, Http2Stream stream, HttpHeaderList trailers) : Http2FrameOutput.IFrameWrite
    {
        public bool Write(out bool complete)
        {
            complete = true;
            var open = connection.TryBeginStreamWrite(stream, endStream: true);
            if (open)
            {
                var position = connection.BeginBlock();
                position = connection.EncodeFields(trailers, position, dropContentLength: true);
                connection.WriteFieldBlock(stream.Id, position, endStream: true);
            }

            return open;
        }
    }

    private readonly struct DataWrite(Http2FrontConnection connection, Http2Stream stream, ReadOnlySequence<byte> data, bool endStream) : Http2FrameOutput.IFrameWrite
    {
        public bool Write(out bool complete)
        {
            complete = true;
            var open = connection.TryBeginStreamWrite(stream, endStream);
            if (open)
            {
                connection.WriteDataFrames(stream.Id, data, endStream);
            }

            return open;
        }
    }

    /// <summary>DATA frames of at most the peer's frame size; under the write lock.</summary>
    private void WriteDataFrames(int streamId, ReadOnlySequence<byte> data, bool endStream)
    {
        var frames = _out.WriteDataFrames(streamId, data, endStream, _peerMaxFrameSize);
        Interlocked.Add(ref _controlFramesEarned, frames * Http2Limits.ControlFramesPerDataFrameSent);
    }

    private async ValueTask<Http2ConnectionEnd> ReadPrefaceAsync(PipeReader input)
    {
        while (true)
        {
            var result = await input.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            var outcome = Http2Preface.Classify(buffer);
            if (outcome == PrefaceOutcome.Http2)
            {
                input.AdvanceTo(buffer.GetPosition(Http2Protocol.ClientPreface.Length));
                return Http2ConnectionEnd.Graceful;
            }

            if (outcome == PrefaceOutcome.Http1)
            {
                // §3.4: "Clients and servers MUST treat an invalid connection preface as a connection error of type PROTOCOL_ERROR."
                input.AdvanceTo(buffer.End);
                await GoAwayAsync(Http2ErrorCode.ProtocolError).ConfigureAwait(false);
                return Http2ConnectionEnd.ProtocolError;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCanceled)
            {
                return Http2ConnectionEnd.Graceful;
            }

            if (result.IsCompleted)
            {
                return Http2ConnectionEnd.Closed;
            }
        }
    }

    /// <summary>Applies the settings of an `Upgrade: h2c` request as a SETTINGS frame of the client, then starts its stream 1.</summary>
    private Http2ErrorCode StartUpgradedStream()
    {
        var settings = _upgradeSettings!;
        var frameBytes = new byte[Http2Protocol.FrameHeaderLength + settings.Length];
        Http2FrameWriter.TryWriteFrameHeader(frameBytes, settings.Length, Http2FrameType.Settings, Http2FrameFlags.None, 0);
        settings.CopyTo(frameBytes, Http2Protocol.FrameHeaderLength);
        var sequence = new ReadOnlySequence<byte>(frameBytes);
        if (!Http2FrameReader.TryReadFrame(ref sequence, _frame, _maxFrameSize, out var frameError) || frameError.Scope != Http2ErrorScope.None)
        {
            return frameError.Scope == Http2ErrorScope.None ? Http2ErrorCode.ProtocolError : frameError.Code;
        }

        var error = OnSettings(_frame, acknowledge: false);
        if (error != Http2ErrorCode.NoError)
        {
            return error;
        }

        // §3.4 still holds: the client's preface that follows ends with a SETTINGS frame of its own.
        _settingsReceived = false;
        var stream = _upgradedStream!;
        _upgradedStream = null;
        Volatile.Write(ref _lastStreamId, 1);
        lock (_sync)
        {
            stream.SendWindow = _peerInitialWindow;
            stream.ReceiveWindow = StreamReceiveWindow;
            RegisterStreamLocked(stream);
        }

        StartStream(stream);
        return Http2ErrorCode.NoError;
    }

    private bool IsDone()
    {
        lock (_sync)
        {
            return _closing && _activeStreams == 0;
        }
    }

    private Http2ErrorCode ProcessFrame()
    {
        var frame = _frame;

        // §6.10: a field block is a contiguous sequence of frames: nothing else may come in between.
        if (_blockStreamId != 0 && (frame.Type != Http2FrameType.Continuation || frame.StreamId != _blockStreamId))
        {
            return Http2ErrorCode.ProtocolError;
        }

        // §3.4: the preface ends with a SETTINGS frame.
        if (!_settingsReceived && (frame.Type != Http2FrameType.Settings || frame.IsAck))
        {
            return Http2ErrorCode.ProtocolError;
        }

        if (frame.Type is Http2FrameType.Settings or Http2FrameType.Ping or Http2FrameType.Priority or Http2FrameType.WindowUpdate
            && !ChargeControlFrame())
        {
            return Http2ErrorCode.EnhanceYourCalm;
        }

        return frame.Type switch
        {
            Http2FrameType.Data => OnData(frame),
            Http2FrameType.Headers => OnHeaders(frame),
            Http2FrameType.Continuation => OnContinuation(frame),
            Http2FrameType.RstStream => OnRstStream(frame),
            Http2FrameType.Settings => OnSettings(frame),
            Http2FrameType.Ping => OnPing(frame),
            Http2FrameType.GoAway => OnGoAway(),
            Http2FrameType.WindowUpdate => OnWindowUpdate(frame),

            // §8.4: a client cannot push.
            Http2FrameType.PushPromise => Http2ErrorCode.ProtocolError,
            _ => Http2ErrorCode.NoError,
        };
    }

    private bool IsIdleStream(int streamId) => streamId > _lastStreamId;

    private Http2ErrorCode OnData(Http2Frame frame)
    {
        var length = frame.PayloadLength;
        lock (_sync)
        {
            // §6.9: the whole payload, padding included, counts against both windows.
            if (length > _connectionReceiveWindow)
            {
                return Http2ErrorCode.FlowControlError;
            }

            _connectionReceiveWindow -= length;
            _connectionCredit += length;
            if (_connectionCredit >= ConnectionReceiveWindow / 4)
            {
                Http2FrameWriter.WriteWindowUpdate(_out.Control, 0, _connectionCredit);
                _connectionReceiveWindow += _connectionCredit;
                _connectionCredit = 0;
            }

            if (!_streams.TryGetValue(frame.StreamId, out var stream))
            {
                // §5.1: DATA on an idle stream is a connection error. On a stream we reset it is dropped: the rest
                // of a body in flight (§5.4.2); so is DATA of a stream opened after our GOAWAY. On a stream the
                // client reset it is a stream error STREAM_CLOSED, answered once (the reset joins those we sent).
                // Counted as a control frame either way.
                if (IsIdleStream(frame.StreamId))
                {
                    return Http2ErrorCode.ProtocolError;
                }

                if (!ChargeControlFrame())
                {
                    return Http2ErrorCode.EnhanceYourCalm;
                }

                if (WasRecentlyResetLocked(frame.StreamId) || (_closing && frame.StreamId > _goAwayLastStreamId))
                {
                    return Http2ErrorCode.NoError;
                }

                // §5.1: after the client's RST_STREAM, "any frame other than PRIORITY" is a stream error
                // STREAM_CLOSED; on a stream closed both ways we take the option of a connection error.
                if (Array.IndexOf(_resetByClient, frame.StreamId) < 0)
                {
                    return Http2ErrorCode.StreamClosed;
                }

                WriteRstStreamLocked(frame.StreamId, Http2ErrorCode.StreamClosed);
                return Http2ErrorCode.NoError;
            }

            if (stream.RemoteEnded)
            {
                ResetForClientFaultLocked(stream, Http2ErrorCode.StreamClosed);
                return Http2ErrorCode.NoError;
            }

            if (length > stream.ReceiveWindow)
            {
                ResetForClientFaultLocked(stream, Http2ErrorCode.FlowControlError);
                return Http2ErrorCode.NoError;
            }

            var content = frame.Content;
            if (content.IsEmpty && !frame.EndStream)
            {
                // CVE-2019-9518: a frame that carries nothing costs us work for nothing.
                Glitch();
            }
            else
            {
                Interlocked.Add(ref _controlFramesEarned, Http2Limits.ControlFramesPerDataFrameReceived);
            }

            stream.ReceiveWindow -= length;

            // Padding is never consumed by the transaction: give it back at once.
            stream.ConsumedUnacknowledged += length - (int)content.Length;
            stream.BodyBytesReceived += content.Length;
            var declared = stream.Request.Has(HttpMessageFlags.ContentLengthKnown) ? stream.Request.ContentLength : -1;
            if (declared >= 0 && (stream.BodyBytesReceived > declared || (frame.EndStream && stream.BodyBytesReceived != declared)))
            {
                // §8.1.1: a body that does not match its content-length makes the request malformed.
                ResetForClientFaultLocked(stream, Http2ErrorCode.ProtocolError);
                return Http2ErrorCode.NoError;
            }

            var writer = stream.Body!.Writer;
            foreach (var segment in content)
            {
                writer.Write(segment.Span);
            }

            if (frame.EndStream)
            {
                stream.RemoteEnded = true;
                writer.Complete();
                if (stream.LocalEnded)
                {
                    CloseStreamLocked(stream);
                }
            }
            else if (!content.IsEmpty)
            {
                // Completes at once: the pipe has no pause threshold, the stream window bounds it.
                var flush = writer.FlushAsync();
                if (!flush.IsCompleted)
                {
                    _ = flush.AsTask();
                }
            }
        }

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnHeaders(Http2Frame frame)
    {
        var id = frame.StreamId;
        _blockEndStream = frame.EndStream;
        _blockResetCode = null;
        _blockStream = null;
        _blockBytes = 0;
        Http2Stream? existing;
        lock (_sync)
        {
            _streams.TryGetValue(id, out existing);
        }

        if (existing is not null)
        {
            // Trailers (§8.1): they end the stream.
            if (existing.RemoteEnded || !frame.EndStream)
            {
                _blockKind = BlockKind.Discard;
                _blockStream = existing;
                _blockResetCode = existing.RemoteEnded ? Http2ErrorCode.StreamClosed : Http2ErrorCode.ProtocolError;
                _builder.BeginDiscard();
            }
            else
            {
                _blockKind = BlockKind.Trailers;
                _blockStream = existing;
                existing.Trailers ??= new HttpHeaderList();
                _builder.BeginTrailers(existing.Trailers);
            }
        }
        else if ((id & 1) == 0)
        {
            // §5.1.1: client streams are odd.
            return Http2ErrorCode.ProtocolError;
        }
        else if (id <= _lastStreamId)
        {
            // §5.1.1: "An endpoint that receives an unexpected stream identifier MUST respond with a connection
            // error of type PROTOCOL_ERROR": a stream id going backward, or a stream closed long ago. Trailers in
            // flight after we reset the stream are expected (§5.4.2: ignored); the block is still decoded, to keep
            // HPACK in step, and counted as a control frame.
            if (!WasRecentlyReset(id))
            {
                return Http2ErrorCode.ProtocolError;
            }

            if (!ChargeControlFrame())
            {
                return Http2ErrorCode.EnhanceYourCalm;
            }

            _blockKind = BlockKind.Discard;
            _builder.BeginDiscard();
        }
        else
        {
            Volatile.Write(ref _lastStreamId, id);
            bool refuse;
            bool ignore;
            lock (_sync)
            {
                ignore = _closing && id > _goAwayLastStreamId;
                refuse = _openStreams >= _maxConcurrentStreams;
            }

            if (ignore || refuse)
            {
                // Past the limit or after our GOAWAY: neither is what a client that reads our frames does.
                Glitch();

                // §5.1.2: beyond the limit, REFUSED_STREAM; the block is still decoded to keep HPACK in step.
                _blockKind = BlockKind.Discard;
                _blockResetCode = refuse && !ignore ? Http2ErrorCode.RefusedStream : null;
                _builder.BeginDiscard();
            }
            else
            {
                _blockKind = BlockKind.Request;
                _blockStream = TakeStream(id);
                _builder.BeginRequest(_blockStream.Request);
            }
        }

        _blockStreamId = id;
        return DecodeBlockFragment(frame);
    }

    private Http2ErrorCode OnContinuation(Http2Frame frame)
    {
        // §6.10: a CONTINUATION must follow HEADERS without END_HEADERS.
        return _blockStreamId == 0 ? Http2ErrorCode.ProtocolError : DecodeBlockFragment(frame);
    }

    private Http2ErrorCode DecodeBlockFragment(Http2Frame frame)
    {
        // CVE-2024-27316: a block is bounded in wire bytes, and tiny or empty fragments count as 1 KiB each.
        _blockBytes += Math.Max(frame.PayloadLength, Http2Limits.MinFieldBlockFragmentCharge);
        if (_blockBytes > Http2Limits.MaxFieldBlockBytes)
        {
            return Http2ErrorCode.EnhanceYourCalm;
        }

        var handler = new Http2FieldHandler(_builder);
        var status = _decoder.Decode(frame.Content, frame.EndHeaders, ref handler);
        if (status is not HpackDecodeStatus.Ok and not HpackDecodeStatus.HeaderListTooLarge)
        {
            // §4.3: the decoding context is lost.
            return Http2ErrorCode.CompressionError;
        }

        if (!frame.EndHeaders)
        {
            return Http2ErrorCode.NoError;
        }

        _blockStreamId = 0;
        var stream = _blockStream;
        _blockStream = null;
        switch (_blockKind)
        {
            case BlockKind.Request:
                OpenStream(stream!, status == HpackDecodeStatus.HeaderListTooLarge);
                break;

            case BlockKind.Trailers:
                lock (_sync)
                {
                    if (status != HpackDecodeStatus.Ok || !_builder.Complete(endStream: true))
                    {
                        ResetForClientFaultLocked(stream!, Http2ErrorCode.ProtocolError);
                    }
                    else if (!stream!.IsReset)
                    {
                        stream.RemoteEnded = true;
                        stream.Body?.Writer.Complete();
                        if (stream.LocalEnded)
                        {
                            CloseStreamLocked(stream);
                        }
                    }
                }

                break;

            default:
                if (_blockResetCode is { } code)
                {
                    lock (_sync)
                    {
                        if (stream is not null)
                        {
                            ResetForClientFaultLocked(stream, code);
                        }
                        else
                        {
                            WriteRstStreamLocked(frame.StreamId, code);
                        }
                    }
                }

                break;
        }

        return Http2ErrorCode.NoError;
    }

    private void OpenStream(Http2Stream stream, bool headerListTooLarge)
    {
        var valid = _builder.Complete(_blockEndStream);
        if (headerListTooLarge || !valid)
        {
            Glitch();
        }

        if (!headerListTooLarge && !valid)
        {
            lock (_sync)
            {
                WriteRstStreamLocked(stream.Id, Http2ErrorCode.ProtocolError);
            }

            stream.Dispose();
            return;
        }

        lock (_sync)
        {
            stream.SendWindow = _peerInitialWindow;
            stream.ReceiveWindow = StreamReceiveWindow;
            stream.RemoteEnded = _blockEndStream;
            if (headerListTooLarge)
            {
                // RFC 9113 §10.5.1: answered 431 rather than reset, so the client learns why.
                stream.RejectStatus = 431;
            }

            if (!_blockEndStream)
            {
                stream.OpenBody();
            }

            RegisterStreamLocked(stream);
        }

        StartStream(stream);
    }


    private void RegisterStreamLocked(Http2Stream stream)
    {
        _streams.Add(stream.Id, stream);
        stream.InOpenCount = true;
        _openStreams++;
        _activeStreams++;
    }

    /// <summary>Hands a registered stream to its transaction; read loop.</summary>
    private void StartStream(Http2Stream stream)
    {
        StreamCount++;
        Interlocked.Add(ref _controlFramesEarned, Http2Limits.ControlFramesPerStream);
        Sluice.Transport.EventLoop.Defer(stream);
        if (StreamCount == _maxTotalStreams)
        {
            // `tune.h2.fe.max-total-streams`: this one is the last; it and those in progress finish.
            BeginShutdown();
        }
    }

    private Http2ErrorCode OnRstStream(Http2Frame frame)
    {
        lock (_sync)
        {
            if (!_streams.TryGetValue(frame.StreamId, out var stream))
            {
                // §6.4: RST_STREAM on an idle stream is a connection error.
                if (IsIdleStream(frame.StreamId))
                {
                    return Http2ErrorCode.ProtocolError;
                }

                return ChargeControlFrame() ? Http2ErrorCode.NoError : Http2ErrorCode.EnhanceYourCalm;
            }

            if (!stream.LocalEnded)
            {
                // CVE-2023-44487: a stream reset before its answer made us work for nothing.
                Glitch();
            }

            stream.IsReset = true;
            stream.FailLocked();
            CloseStreamLocked(stream);
            _resetByClient[_resetByClientNext] = stream.Id;
            _resetByClientNext = (_resetByClientNext + 1) % RecentlyResetCapacity;
        }

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnSettings(Http2Frame frame, bool acknowledge = true)
    {
        _settingsReceived = true;
        if (frame.IsAck)
        {
            return Http2ErrorCode.NoError;
        }

        lock (_sync)
        {
            for (var i = 0; i < frame.SettingsCount; i++)
            {
                var (parameter, value) = frame.GetSetting(i);
                switch (parameter)
                {
                    case Http2SettingsParameter.HeaderTableSize:
                        // Applied by the writer, which owns the encoder, before its next block.
                        Volatile.Write(ref _pendingPeerTableSize, (int)Math.Min(value, int.MaxValue));
                        break;

                    case Http2SettingsParameter.InitialWindowSize:
                        // §6.9.2: the change applies to every open stream's window.
                        var delta = (long)value - _peerInitialWindow;
                        _peerInitialWindow = (int)value;
                        foreach (var stream in _streams.Values)
                        {
                            stream.SendWindow += delta;
                            if (stream.SendWindow > Http2Protocol.MaxWindowSize)
                            {
                                return Http2ErrorCode.FlowControlError;
                            }
                        }

                        if (delta > 0)
                        {
                            WakeAllWaitersLocked();
                        }

                        break;

                    case Http2SettingsParameter.MaxFrameSize:
                        _peerMaxFrameSize = (int)value;
                        break;

                    default:
                        break;
                }
            }

            // §6.5.3: acknowledged once applied.
            if (acknowledge)
            {
                Http2FrameWriter.WriteSettingsAck(_out.Control);
            }
        }

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnPing(Http2Frame frame)
    {
        if (!frame.IsAck)
        {
            lock (_sync)
            {
                Http2FrameWriter.WritePing(_out.Control, frame.PingData, ack: true);
            }
        }

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnGoAway()
    {
        // The client takes no new stream: end once the streams in progress are done.
        lock (_sync)
        {
            _closing = true;
            if (_goAwayLastStreamId == int.MaxValue)
            {
                _goAwayLastStreamId = _lastStreamId;
            }
        }

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode OnWindowUpdate(Http2Frame frame)
    {
        var increment = frame.WindowSizeIncrement;
        lock (_sync)
        {
            if (frame.StreamId == 0)
            {
                // §6.9.1: a window above 2^31-1 is a FLOW_CONTROL_ERROR.
                _connectionSendWindow += increment;
                if (_connectionSendWindow > Http2Protocol.MaxWindowSize)
                {
                    return Http2ErrorCode.FlowControlError;
                }

                WakeAllWaitersLocked();
                return Http2ErrorCode.NoError;
            }

            if (!_streams.TryGetValue(frame.StreamId, out var stream))
            {
                return IsIdleStream(frame.StreamId) ? Http2ErrorCode.ProtocolError : Http2ErrorCode.NoError;
            }

            stream.SendWindow += increment;
            if (stream.SendWindow > Http2Protocol.MaxWindowSize)
            {
                ResetForClientFaultLocked(stream, Http2ErrorCode.FlowControlError);
                return Http2ErrorCode.NoError;
            }

            if (stream.WindowWaiter is { } waiter)
            {
                stream.WindowWaiter = null;
                _windowWaiters.Remove(stream);
                waiter.TrySetResult();
            }
        }

        return Http2ErrorCode.NoError;
    }

    private Http2ErrorCode ResetFromReadLoop(int streamId, Http2ErrorCode code)
    {
        Glitch();
        lock (_sync)
        {
            if (_streams.TryGetValue(streamId, out var stream))
            {
                ResetLocked(stream, code);
            }
            else
            {
                WriteRstStreamLocked(streamId, code);
            }
        }

        return Http2ErrorCode.NoError;
    }

    /// <summary>
    /// A reset the client made us send (CVE-2025-8671, "MadeYouReset"): counted as a glitch like the resets it sends
    /// itself, or it could make us do the work of a stream and reset it as often as it likes.
    /// </summary>
    private void ResetForClientFaultLocked(Http2Stream stream, Http2ErrorCode code)
    {
        Glitch();
        ResetLocked(stream, code);
    }

    private void Glitch() => Interlocked.Increment(ref _glitches);

    /// <summary>Read loop: GOAWAY(NO_ERROR) at three quarters of the glitch threshold, ENHANCE_YOUR_CALM at it.</summary>
    private Http2ErrorCode CheckGlitches()
    {
        if (_glitchesThreshold == 0)
        {
            return Http2ErrorCode.NoError;
        }

        var glitches = Volatile.Read(ref _glitches);
        if (glitches >= _glitchesThreshold)
        {
            return Http2ErrorCode.EnhanceYourCalm;
        }

        if (!_glitchShutdownStarted && glitches >= _glitchesThreshold - (_glitchesThreshold / 4))
        {
            _glitchShutdownStarted = true;
            BeginShutdown();
        }

        return Http2ErrorCode.NoError;
    }

    /// <summary>Read loop: one more frame that carries no request; false once the client sent more than it earned.</summary>
    private bool ChargeControlFrame() => ++_controlFramesReceived <= Interlocked.Read(ref _controlFramesEarned);

    private void ResetLocked(Http2Stream stream, Http2ErrorCode code)
    {
        if (stream.IsReset)
        {
            return;
        }

        stream.IsReset = true;
        WriteRstStreamLocked(stream.Id, code);
        stream.FailLocked();
        CloseStreamLocked(stream);
    }

    private void CloseStreamLocked(Http2Stream stream)
    {
        if (!stream.InOpenCount)
        {
            return;
        }

        stream.InOpenCount = false;
        _streams.Remove(stream.Id);
        _openStreams--;
        if (stream.WindowWaiter is { } waiter)
        {
            stream.WindowWaiter = null;
            _windowWaiters.Remove(stream);
            waiter.TrySetResult();
        }
    }

    private void WakeAllWaitersLocked()
    {
        foreach (var stream in _windowWaiters)
        {
            stream.WindowWaiter?.TrySetResult();
            stream.WindowWaiter = null;
        }

        _windowWaiters.Clear();
    }

    private void WriteRstStreamLocked(int streamId, Http2ErrorCode code)
    {
        Http2FrameWriter.WriteRstStream(_out.Control, streamId, code);
        _recentlyReset[_recentlyResetNext] = streamId;
        _recentlyResetNext = (_recentlyResetNext + 1) % RecentlyResetCapacity;
    }

    private bool WasRecentlyReset(int streamId)
    {
        lock (_sync)
        {
            return WasRecentlyResetLocked(streamId);
        }
    }

    private bool WasRecentlyResetLocked(int streamId) => Array.IndexOf(_recentlyReset, streamId) >= 0;

    private void WriteGoAwayLocked(int lastStreamId, Http2ErrorCode code) => Http2FrameWriter.WriteGoAway(_out.Control, lastStreamId, code, default);

    private async ValueTask GoAwayAsync(Http2ErrorCode code)
    {
        lock (_sync)
        {
            _closing = true;

            // §6.8: a later GOAWAY never raises the last stream id of an earlier one.
            _goAwayLastStreamId = Math.Min(_goAwayLastStreamId, _lastStreamId);
            WriteGoAwayLocked(_goAwayLastStreamId, code);
        }

        await _out.FlushControlAsync().ConfigureAwait(false);
    }

    /// <summary>Checks that the stream may still send and marks its end; under the write lock. False when it is closed.</summary>
    private bool TryBeginStreamWrite(Http2Stream stream, bool endStream)
    {
        _out.DrainControl();
        _out.FlushOwed = true;
        lock (_sync)
        {
            if (stream.IsReset || stream.LocalEnded)
            {
                return false;
            }

            if (endStream)
            {
                stream.LocalEnded = true;
                if (stream.RemoteEnded)
                {
                    CloseStreamLocked(stream);
                }
            }
        }

        return true;
    }

    /// <summary>Writes HEADERS (and CONTINUATION frames beyond the peer's frame size) for the block in <see cref="_headerBlock"/>.</summary>
    private void WriteFieldBlock(int streamId, int length, bool endStream)
    {
        var output = _out.Output;
        var block = _headerBlock.AsSpan(0, length);
        var first = Math.Min(length, _peerMaxFrameSize);
        Http2FrameWriter.WriteHeaders(output, streamId, block[..first], endStream, endHeaders: first == length);
        block = block[first..];
        while (!block.IsEmpty)
        {
            var piece = Math.Min(block.Length, _peerMaxFrameSize);
            Http2FrameWriter.WriteContinuation(output, streamId, block[..piece], endHeaders: piece == block.Length);
            block = block[piece..];
        }
    }

    private int BeginBlock()
    {
        var tableSize = Interlocked.Exchange(ref _pendingPeerTableSize, -1);
        if (tableSize >= 0)
        {
            _encoder.SetPeerHeaderTableSize(tableSize);
        }

        int written;
        while (!_encoder.TryBeginBlock(_headerBlock, out written))
        {
            GrowHeaderBlock();
        }

        return written;
    }

    private int EncodeResponseHead(HttpResponseHead head)
    {
        var position = EncodeStatus(head.Status, BeginBlock());
        var lengthKnown = head.Has(HttpMessageFlags.ContentLengthKnown) && !head.IsInterim;
        position = EncodeFields(head.Headers, position, dropContentLength: lengthKnown);
        return lengthKnown ? EncodeContentLength(head.ContentLength, position) : position;
    }

    /// <summary>
    /// `:status 200` and the fields of the server's answer, without length nor `sec-websocket-accept`: over HTTP/2 the
    /// websocket handshake has no key (RFC 8441 §5), the proxy checked the server's proof itself.
    /// </summary>
    private int EncodeTunnelHead(HttpResponseHead head)
    {
        var position = EncodeStatus(200, BeginBlock());
        var fields = head.Headers;
        for (var slot = 0; slot < fields.SlotCount; slot++)
        {
            if (!fields.IsRemoved(slot) && !System.Text.Ascii.EqualsIgnoreCase(fields.Name(slot), "sec-websocket-accept"u8))
            {
                position = EncodeField(fields.Name(slot), fields.Value(slot), position, dropContentLength: true);
            }
        }

        return position;
    }

    private int EncodeReplyHead(HttpReply reply)
    {
        var position = EncodeStatus(reply.Status, BeginBlock());
        var headers = reply.Headers;
        for (var i = 0; i <= headers.Count; i++)
        {
            if (i == reply.ContentLengthAt)
            {
                position = EncodeContentLength(reply.Body.Length, position);
            }

            if (i < headers.Count)
            {
                position = EncodeField(headers[i].Name, headers[i].Value, position, dropContentLength: true);
            }
        }

        return position;
    }

    /// <param name="dropContentLength">True when the length is written from the message's number instead, or must not appear.</param>
    private int EncodeFields(HttpHeaderList fields, int position, bool dropContentLength)
    {
        for (var slot = 0; slot < fields.SlotCount; slot++)
        {
            if (!fields.IsRemoved(slot))
            {
                position = EncodeField(fields.Name(slot), fields.Value(slot), position, dropContentLength);
            }
        }

        return position;
    }

    /// <summary>One field with its name in lowercase (RFC 9113 §8.2.1); connection-specific fields are dropped (§8.2.2).</summary>
    private int EncodeField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int position, bool dropContentLength)
    {
        byte[]? rented = null;
        var lower = name.Length <= 128 ? stackalloc byte[128] : (rented = ArrayPool<byte>.Shared.Rent(name.Length));
        lower = lower[..name.Length];
        System.Text.Ascii.ToLower(name, lower, out _);
        if (!IsConnectionSpecific(lower) && !(dropContentLength && lower.SequenceEqual("content-length"u8)))
        {
            position = Encode(lower, value, position);
        }

        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return position;
    }

    private static bool IsConnectionSpecific(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("connection"u8)
        || name.SequenceEqual("keep-alive"u8)
        || name.SequenceEqual("proxy-connection"u8)
        || name.SequenceEqual("transfer-encoding"u8)
        || name.SequenceEqual("upgrade"u8);

    private int Encode(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int position)
    {
        int written;
        while (!_encoder.TryEncode(name, value, _headerBlock.AsSpan(position), out written))
        {
            GrowHeaderBlock();
        }

        return position + written;
    }

    private int EncodeStatus(int status, int position)
    {
        int written;
        while (!_encoder.TryEncodeStatus(status, _headerBlock.AsSpan(position), out written))
        {
            GrowHeaderBlock();
        }

        return position + written;
    }

    private int EncodeContentLength(long length, int position)
    {
        int written;
        while (!_encoder.TryEncodeContentLength(length, _headerBlock.AsSpan(position), out written))
        {
            GrowHeaderBlock();
        }

        return position + written;
    }

    private void GrowHeaderBlock() => Array.Resize(ref _headerBlock, _headerBlock.Length * 2);
}
