using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Sluice.Messages;
using Sluice.Mux.Http1;
using Sluice.Protocols.Http1;
using Sluice.Protocols.Http2;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Mux.Http2;

/// <summary>
/// One exchange with a server over a shared HTTP/2 connection: the request head leaves as HEADERS, the request
/// body as DATA within the server's windows (<see cref="IHttpBodySink"/>), the response heads arrive from the
/// connection's read loop, and the response body is fed by DATA frames into a pipe whose stream window opens again
/// only as the transaction forwards it (<see cref="IHttpBodySource"/>). The protocol state is guarded by the
/// connection's lock; the frames all leave through the connection's one writer.
/// </summary>
internal sealed class Http2BackStream : IBackStream, IHttpBodySource, IHttpBodySink, IValueTaskSource, IThreadPoolWorkItem
{
    private readonly Http2BackConnection _connection;
    private ReadOnlySequence<byte> _lastRead;
    private long _bodyBytesTaken;
    private bool _bodyRead;

    // Under _headsLock: heads decoded and not yet taken, and whether the transaction waits for one (the stream
    // itself is what it awaits: a wait costs no task).
    private readonly Queue<HttpResponseHead> _heads = new(1);
    private readonly Lock _headsLock = new();
    private ManualResetValueTaskSourceCore<bool> _headArrived;
    private bool _headWaiting;
    private ResponseHeadError _headFailure;

    private bool _connectionReused;

    // The trailers list of the exchange this stream served before (its buffers given back), for the next trailers.
    private HttpHeaderList? _spareTrailers;

    public Http2BackStream(Http2BackConnection connection, Heartbeat clock, bool reused)
    {
        _connection = connection;
        _connectionReused = reused;
        ReadWatch = new SideWatch(clock);
        WriteWatch = new SideWatch(clock);
    }

    /// <summary>The stream identifier, given when the head is sent; 0 before.</summary>
    public int Id { get; internal set; }

    /// <summary>The request left as an extended CONNECT (RFC 8441): its 2xx opens the tunnel the client asked for by `Upgrade`.</summary>
    internal bool ExtendedConnect;

    // Protocol state, under the connection's lock.
    internal Pipe? Body;
    internal HttpHeaderList? Trailers;
    internal bool RemoteEnded;
    internal bool LocalEnded;
    internal bool IsReset;
    internal bool Released;
    internal bool Recycled;
    internal bool FinalHeadSeen;
    internal long SendWindow;
    internal int ReceiveWindow;
    internal int ConsumedUnacknowledged;
    internal long BodyBytesReceived;
    internal long DeclaredLength = -1;
    internal TaskCompletionSource? WindowWaiter;

    /// <summary>True while a body write waits for the server's window (not for the socket).</summary>
    internal volatile bool WaitingForWindow;

    public SideWatch ReadWatch { get; }

    public SideWatch WriteWatch { get; }

    /// <summary>
    /// True when the connection was there before this exchange, or carried other streams before this one: like an
    /// idle HTTP/1 connection, it may have been closed by the server while the head was on its way.
    /// </summary>
    public bool IsReused => _connectionReused || Id > 1;

    public bool ResponseBytesSeen { get; private set; }

    public bool NotProcessed { get; internal set; }

    public IHttpBodySink RequestBody => this;

    public IHttpBodySource ResponseBody => this;

    /// <summary>DATA frames are forwarded as they come; the writer on the client's side already groups what is queued.</summary>
    public bool MoreDataBuffered => false;

    public ValueTask SendRequestHeadAsync(HttpRequestHead head, bool close) => _connection.SendHeadAsync(this, head);

    public System.Net.EndPoint? LocalEndPoint => _connection.LocalEndPoint;

    public Sluice.Tls.TlsConnectionInfo? Tls => _connection.Tls;

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    public async ValueTask<(ResponseHeadError Error, Http1RejectReason Reason)> ReadResponseHeadAsync(
        HttpResponseHead head, HttpRequestHead request, Http1ParserOptions options)
    {
        while (true)
        {
            short wait;
            lock (_headsLock)
            {
                if (_heads.TryDequeue(out var arrived))
                {
                    CopyHead(arrived, head);
                    _connection.ReturnHead(arrived);
                    if (ExtendedConnect && head.Status is >= 200 and < 300)
                    {
                        ToSwitchingProtocols(head, request);
                    }

                    return (ResponseHeadError.None, Http1RejectReason.None);
                }

                if (_headFailure != ResponseHeadError.None)
                {
                    return (_headFailure, Http1RejectReason.None);
                }

                _headArrived.Reset();
                _headWaiting = true;
                wait = _headArrived.Version;
            }

            ReadWatch.BeginWait();
            try
            {
                await new ValueTask(this, wait).ConfigureAwait(false);
            }
            finally
            {
                ReadWatch.EndWait();
            }
        }
    }

    /// <summary>
    /// Whether body bytes arrived that the transaction has not taken, read without the pipe (whose lock is the runtime's
    /// monitor): a hint for flushing the head, so a count that moves meanwhile only moves that flush.
    /// </summary>
    public bool HasBufferedInput() =>
        Body is not null && !_bodyRead && Volatile.Read(ref BodyBytesReceived) > _bodyBytesTaken;

    /// <summary>
    /// The next piece of the response body. Bytes already in the pipe are taken at once, without an async method and
    /// its state machine; only a read that waits runs one, bracketed for the read timeout.
    /// </summary>
    public ValueTask<BodyChunk> ReadAsync()
    {
        if (Released)
        {
            // The pipe went to another stream: a late read must not pass for the end of this body.
            return ValueTask.FromException<BodyChunk>(Aborted());
        }

        var body = Body;
        if (body is null || _bodyRead)
        {
            _bodyRead = true;
            return new ValueTask<BodyChunk>(BodyChunk.End(Trailers is { Count: > 0 } ? Trailers : null));
        }

        ReadResult result;
        try
        {
            if (!body.Reader.TryRead(out result))
            {
                return ReadWaitingAsync(body);
            }
        }
        catch (InvalidOperationException)
        {
            // The stream was released meanwhile, as below.
            return ValueTask.FromException<BodyChunk>(Aborted());
        }
        catch (Exception ex)
        {
            // What the server's side completed the pipe with (a reset, a malformed body), as the awaited read gives it.
            return ValueTask.FromException<BodyChunk>(ex);
        }

        ReadWatch.EndWait();
        try
        {
            return new ValueTask<BodyChunk>(Took(body, result));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<BodyChunk>(ex);
        }
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private async ValueTask<BodyChunk> ReadWaitingAsync(Pipe body)
    {
        ReadResult result;
        ReadWatch.BeginWait();
        try
        {
            result = await body.Reader.ReadAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // The stream was released while the read was pending.
            throw Aborted();
        }
        finally
        {
            ReadWatch.EndWait();
        }

        return Took(body, result);
    }

    private BodyChunk Took(Pipe body, ReadResult result)
    {
        if (result.IsCanceled)
        {
            throw Aborted();
        }

        if (!result.Buffer.IsEmpty)
        {
            _lastRead = result.Buffer;
            return BodyChunk.FromData(result.Buffer);
        }

        body.Reader.AdvanceTo(result.Buffer.End);
        _bodyRead = true;
        return BodyChunk.End(Trailers is { Count: > 0 } ? Trailers : null);
    }

    private static HttpBodyException Aborted() => new(BodyFailure.Aborted, clientSide: false);

    public void Advance()
    {
        var consumed = _lastRead.Length;
        _bodyBytesTaken += consumed;
        Body!.Reader.AdvanceTo(_lastRead.End);
        _lastRead = default;
        _connection.OnBodyConsumed(this, (int)consumed);
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    public async ValueTask WriteAsync(ReadOnlySequence<byte> data, bool flush = true)
    {
        while (!data.IsEmpty)
        {
            var granted = await _connection.ReserveSendWindowAsync(this, data.Length).ConfigureAwait(false);
            var last = granted == data.Length;
            await _connection.SendDataAsync(this, data.Slice(0, granted), endStream: false, flush: flush || !last).ConfigureAwait(false);
            data = data.Slice(granted);
        }
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    public async ValueTask EndAsync(HttpHeaderList? trailers)
    {
        if (trailers is { Count: > 0 })
        {
            await _connection.SendTrailersAsync(this, trailers).ConfigureAwait(false);
        }
        else
        {
            await _connection.SendDataAsync(this, default, endStream: true, flush: true).ConfigureAwait(false);
        }
    }

    /// <summary>DATA frames already carry raw bytes both ways: a tunnel needs nothing more of the stream.</summary>
    public void StartTunnel()
    {
    }

    public void CompleteExchange() => _connection.CountCompletedExchange();

    /// <summary>The connection is shared: what forbids reusing an HTTP/1 connection ends only this stream, when it is released.</summary>
    public void MarkNotReusable()
    {
    }

    /// <summary>Resets the stream (CANCEL); the connection and its other streams go on.</summary>
    public void Abort() => _connection.ResetStream(this, Http2ErrorCode.Cancel);

    /// <summary>Releases the stream: reset when unfinished, then gone from the connection.</summary>
    public void Dispose() => _connection.ReleaseStream(this);

    /// <summary>A head arrived from the read loop; under the connection's lock.</summary>
    internal void EnqueueHeadLocked(HttpResponseHead head)
    {
        bool wake;
        lock (_headsLock)
        {
            ResponseBytesSeen = true;
            _heads.Enqueue(head);
            wake = TakeHeadWaiter();
        }

        Wake(wake);
    }

    /// <summary>No final head will come; under the connection's lock. A head already queued is still read first.</summary>
    internal void FailHeadLocked(ResponseHeadError error)
    {
        bool wake;
        lock (_headsLock)
        {
            if (_headFailure == ResponseHeadError.None)
            {
                _headFailure = error;
            }

            wake = TakeHeadWaiter();
        }

        Wake(wake);
    }

    /// <summary>Whether the transaction waits for a head, which it then no longer does; under _headsLock.</summary>
    private bool TakeHeadWaiter()
    {
        var waiting = _headWaiting;
        _headWaiting = false;
        return waiting;
    }

    /// <summary>
    /// Ends the transaction's wait, outside _headsLock: the stream itself is queued (to the event loop the read
    /// loop runs on, after the events in hand, else to the thread pool), where the transaction goes on; never inline
    /// on the read loop that delivered the head, which holds the connection's lock.
    /// </summary>
    private void Wake(bool waiting)
    {
        if (waiting)
        {
            Sluice.Transport.EventLoop.Defer(this);
        }
    }

    void IThreadPoolWorkItem.Execute() => _headArrived.SetResult(true);

    void IValueTaskSource.GetResult(short token) => _headArrived.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _headArrived.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _headArrived.OnCompleted(continuation, state, token, flags);

    /// <summary>
    /// The exchange ended cleanly and the transaction holds the stream no more (its pumps are over): the stream is
    /// released, and a later exchange on this connection may be made of it.
    /// </summary>
    public void ReleaseForReuse()
    {
        Dispose();
        Recycle();
    }

    /// <summary>Offers a released stream for a later exchange; one not released yet stays out.</summary>
    internal void Recycle() => _connection.RecycleStream(this);

    /// <summary>Makes a recycled stream into a new exchange's: every field as a new stream has it. Under the connection's lock.</summary>
    internal void Reuse(bool connectionReused)
    {
        _connectionReused = connectionReused;
        _lastRead = default;
        _bodyRead = false;
        _headArrived.Reset();
        _headWaiting = false;
        _headFailure = ResponseHeadError.None;
        Id = 0;
        ExtendedConnect = false;
        Body = null;
        if (Trailers is { } used)
        {
            _spareTrailers = used;
        }

        Trailers = null;
        RemoteEnded = false;
        LocalEnded = false;
        IsReset = false;
        Released = false;
        Recycled = false;
        FinalHeadSeen = false;
        SendWindow = 0;
        ReceiveWindow = 0;
        ConsumedUnacknowledged = 0;
        BodyBytesReceived = 0;
        _bodyBytesTaken = 0;
        DeclaredLength = -1;
        WindowWaiter = null;
        WaitingForWindow = false;
        ResponseBytesSeen = false;
        NotProcessed = false;
        ReadWatch.Reset();
        WriteWatch.Reset();
    }

    /// <summary>The list the response trailers are decoded into; under the connection's lock.</summary>
    internal HttpHeaderList OpenTrailers()
    {
        if (Trailers is null)
        {
            Trailers = _spareTrailers ?? new HttpHeaderList();
            _spareTrailers = null;
        }

        return Trailers;
    }

    /// <summary>Gives back the heads nobody took, and the trailers' buffers.</summary>
    internal void DisposeHeads()
    {
        lock (_headsLock)
        {
            while (_heads.TryDequeue(out var head))
            {
                head.Dispose();
            }
        }

        Trailers?.Dispose();
    }

    /// <summary>
    /// The server's 2xx to an extended CONNECT, as the 101 an upgrade request waits for (RFC 8441 §5, as HAProxy
    /// translates it): `Upgrade` names the protocol again and, for a websocket, `Sec-WebSocket-Accept` proves the
    /// request's key, which an HTTP/2 server never answers. `Connection: upgrade` is the HTTP/1.1 writer's.
    /// </summary>
    private static void ToSwitchingProtocols(HttpResponseHead head, HttpRequestHead request)
    {
        head.Status = 101;
        head.Flags = HttpMessageFlags.Upgrade | HttpMessageFlags.NoBody;
        head.ContentLength = -1;
        head.Headers.RemoveAll("content-length"u8);
        var protocol = Http2RequestEncoder.UpgradeProtocolOf(request);
        head.Headers.Add("upgrade"u8, protocol);
        if (System.Text.Ascii.EqualsIgnoreCase(protocol, "websocket"u8)
            && request.Headers.IndexOf("sec-websocket-key"u8) is var key and >= 0
            && !head.Headers.Contains("sec-websocket-accept"u8))
        {
            Span<byte> accept = stackalloc byte[WebSocketKeys.AcceptLength];
            if (WebSocketKeys.TryWriteAccept(request.Headers.Value(key), accept))
            {
                head.Headers.Add("sec-websocket-accept"u8, accept);
            }
        }
    }

    private static void CopyHead(HttpResponseHead from, HttpResponseHead to)
    {
        to.Reset();
        to.Version = from.Version;
        to.Status = from.Status;
        to.Flags = from.Flags;
        to.ContentLength = from.ContentLength;
        to.Headers.CopyFrom(from.Headers);
    }
}
