using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using Sluice.Messages;
using Sluice.Protocols.Http2;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Mux.Http2;

/// <summary>Runs the transaction of a new stream; implemented by the session that owns the connection.</summary>
internal interface IHttp2StreamHandler
{
    /// <summary>Called on a thread-pool thread for every stream whose request head is complete.</summary>
    void RunStream(Http2Stream stream);
}

/// <summary>
/// One HTTP/2 stream as the transaction sees it: the request head decoded from HPACK, the request body fed by DATA
/// frames (the stream window opens again only as the transaction consumes them, which is the back-pressure), and
/// the way back as HEADERS and DATA frames within the peer's windows. The protocol state (ends, windows) is
/// guarded by the connection's lock; the frames all leave through the connection's one writer.
/// </summary>
internal sealed class Http2Stream : IFrontStream, IBufferedRequestBody, IHttpBodySource, IHttpBodySink, IThreadPoolWorkItem, IDisposable
{
    private readonly Http2FrontConnection _connection;
    private readonly IHttp2StreamHandler _handler;
    private readonly HttpRequestHead _request = new();
    private ReadOnlySequence<byte> _lastRead;
    private bool _bodyEnded;
    private bool _responseStarted;

    // After a 101 to an extended CONNECT or a 2xx to CONNECT: DATA frames both ways carry the tunnel's bytes.
    private bool _tunnel;

    // The declared length of the response body, or -1: the DATA frame that completes it carries END_STREAM, so that
    // a client that stops reading at the declared length never sees the stream end later, in a frame of its own.
    private long _responseLength = -1;

    public Http2Stream(Http2FrontConnection connection, int id, Heartbeat clock, IHttp2StreamHandler handler)
    {
        _connection = connection;
        _handler = handler;
        Id = id;
        ReadWatch = new SideWatch(clock);
        WriteWatch = new SideWatch(clock);
    }

    public int Id { get; private set; }

    /// <summary>Whatever the session attaches to this stream (its transaction, for the heartbeat).</summary>
    public object? Owner { get; set; }

    // The request body pipe of the stream this object was before, emptied, for the next stream with a body.
    private Pipe? _sparePipe;

    // Protocol state, under the connection's lock.
    internal Pipe? Body;
    internal HttpHeaderList? Trailers;
    internal bool RemoteEnded;
    internal bool LocalEnded;
    internal bool IsReset;
    internal bool Released;
    internal bool InOpenCount;
    internal long SendWindow;
    internal int ReceiveWindow;
    internal int ConsumedUnacknowledged;
    internal long BodyBytesReceived;
    internal TaskCompletionSource? WindowWaiter;

    /// <summary>Non-zero when the head cannot be processed and must be answered with this status (431).</summary>
    public int RejectStatus { get; internal set; }

    /// <summary>True when the response was ended, so that the stream needs no reset when released.</summary>
    public bool ResponseComplete => Volatile.Read(ref LocalEnded);

    public HttpRequestHead Request => _request;

    public IHttpBodySource RequestBody => this;

    /// <summary>A CONNECT request has no body of its own (the builder says so): its DATA frames wait for the tunnel.</summary>
    public bool RequestBodyComplete => _bodyEnded || (!_tunnel && !_request.HasBody);

    public long RequestBodyBytes { get; private set; }

    public int RequestBodyErrorStatus => 400;

    public long ResponseBodyBytes { get; private set; }

    public EndPoint? ClientEndPoint => _connection.ClientEndPoint;

    public EndPoint? LocalEndPoint => _connection.LocalEndPoint;

    public Sluice.Tls.TlsConnectionInfo? Tls => _connection.Tls;

    public Sluice.Protocols.ProxyProtocol.ProxyHeader? Proxy => _connection.Proxy;

    public SideWatch ReadWatch { get; }

    public SideWatch WriteWatch { get; }

    public bool AcceptsInterimResponses => true;

    void IThreadPoolWorkItem.Execute() => _handler.RunStream(this);

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    public async ValueTask<BodyChunk> ReadAsync()
    {
        if (RequestBodyComplete)
        {
            _bodyEnded = true;
            return BodyChunk.End(Trailers is { Count: > 0 } ? Trailers : null);
        }

        var reader = Body!.Reader;
        ReadResult result;
        ReadWatch.BeginWait();
        try
        {
            result = await reader.ReadAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // The stream was released while the read was pending.
            throw new HttpBodyException(BodyFailure.Aborted, clientSide: true);
        }
        finally
        {
            ReadWatch.EndWait();
        }

        if (result.IsCanceled)
        {
            throw new HttpBodyException(BodyFailure.Aborted, clientSide: true);
        }

        if (!result.Buffer.IsEmpty)
        {
            _lastRead = result.Buffer;
            return BodyChunk.FromData(result.Buffer);
        }

        reader.AdvanceTo(result.Buffer.End);
        _bodyEnded = true;
        return BodyChunk.End(Trailers is { Count: > 0 } ? Trailers : null);
    }

    public void Advance()
    {
        var consumed = _lastRead.Length;
        Body!.Reader.AdvanceTo(_lastRead.End);
        _lastRead = default;
        RequestBodyBytes += consumed;
        _connection.OnBodyConsumed(this, (int)consumed);
    }

    public async ValueTask<bool> BufferRequestBodyAsync(long limit, long atLeast)
    {
        if (RequestBodyComplete)
        {
            return true;
        }

        // DATA frames carry the payload as it is: the bytes waiting are the bytes `at-least` counts.
        if (atLeast > 0)
        {
            limit = Math.Min(limit, atLeast);
        }

        // The client cannot send more than the stream window before we consume: never wait for more than that.
        limit = Math.Min(limit, _connection.StreamReceiveWindow);
        var reader = Body!.Reader;
        while (true)
        {
            var result = await reader.ReadAsync().ConfigureAwait(false);
            if (result.Buffer.Length >= limit || result.IsCompleted || result.IsCanceled)
            {
                reader.AdvanceTo(result.Buffer.Start);
                return !result.IsCanceled;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    public void CancelRequestWait() => Body?.Reader.CancelPendingRead();

    public int CopyBufferedBody(Span<byte> destination)
    {
        if (Body is not { } body || !body.Reader.TryRead(out var result))
        {
            return 0;
        }

        var take = (int)Math.Min(result.Buffer.Length, destination.Length);
        result.Buffer.Slice(0, take).CopyTo(destination);
        body.Reader.AdvanceTo(result.Buffer.Start);
        return take;
    }

    /// <summary>DATA frames are forwarded as they come; the connection's writer already groups what is queued.</summary>
    public bool MoreDataBuffered => false;

    public ValueTask SendInterimAsync(HttpResponseHead head) =>
        _connection.SendHeadAsync(this, head, endStream: false, flush: true);

    public ValueTask<IHttpBodySink> SendResponseHeadAsync(HttpResponseHead head, bool closeAfter, bool flush)
    {
        _responseStarted = true;
        ValueTask send;
        if (head.SwitchesProtocols(_request))
        {
            _responseLength = -1;
            send = _connection.SendHeadAsync(this, head, endStream: false, flush: true, tunnelEstablished: true);
        }
        else
        {
            var noBody = _request.Method == Messages.HttpMethod.Head || head.Status is 204 or 304 || !head.HasBody
                || (head.Has(HttpMessageFlags.ContentLengthKnown) && head.ContentLength == 0);
            _responseLength = head.Has(HttpMessageFlags.ContentLengthKnown) ? head.ContentLength : -1;
            send = _connection.SendHeadAsync(this, head, endStream: noBody, flush: flush || noBody);
        }

        if (!send.IsCompletedSuccessfully)
        {
            return AsSinkAsync(send);
        }

        send.GetAwaiter().GetResult();
        return new ValueTask<IHttpBodySink>(this);
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private async ValueTask<IHttpBodySink> AsSinkAsync(ValueTask headSent)
    {
        await headSent.ConfigureAwait(false);
        return this;
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    public async ValueTask SendReplyAsync(HttpReply reply, bool closeAfter)
    {
        if (reply.Silent)
        {
            _connection.ResetStream(this, Http2ErrorCode.RefusedStream);
            return;
        }

        _responseStarted = true;
        var withBody = reply.Body.Length > 0 && _request.Method != Messages.HttpMethod.Head;
        _responseLength = reply.Body.Length;
        await _connection.SendReplyHeadAsync(this, reply, endStream: !withBody).ConfigureAwait(false);
        if (withBody)
        {
            await WriteAsync(new ReadOnlySequence<byte>(reply.Body)).ConfigureAwait(false);
            await EndAsync(null).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends a piece of the response body as DATA frames within the flow-control windows. A piece the windows take
    /// whole and whose frames are written at once needs no async method.
    /// </summary>
    public ValueTask WriteAsync(ReadOnlySequence<byte> data, bool flush = true)
    {
        if (Volatile.Read(ref LocalEnded) || data.IsEmpty)
        {
            // A response without a body (HEAD, 204, 304) ended with its head.
            return default;
        }

        var reserve = _connection.ReserveSendWindowAsync(this, data.Length);
        if (!reserve.IsCompletedSuccessfully)
        {
            return WriteWithinWindowsAsync(data, reserve);
        }

        var granted = reserve.Result;
        if (granted < data.Length)
        {
            return WriteWithinWindowsAsync(data, new ValueTask<int>(granted));
        }

        var send = _connection.SendDataAsync(this, data, endStream: IsLastData(granted));
        if (!send.IsCompletedSuccessfully)
        {
            return CountWhenSentAsync(send, granted);
        }

        send.GetAwaiter().GetResult();
        ResponseBodyBytes += granted;
        return default;
    }

    /// <summary>These bytes reach the response's declared length: their last frame ends the stream.</summary>
    private bool IsLastData(int granted) => _responseLength >= 0 && ResponseBodyBytes + granted >= _responseLength;

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private async ValueTask WriteWithinWindowsAsync(ReadOnlySequence<byte> data, ValueTask<int> reserve)
    {
        while (true)
        {
            var granted = await reserve.ConfigureAwait(false);
            var last = IsLastData(granted);
            await _connection.SendDataAsync(this, data.Slice(0, granted), endStream: last).ConfigureAwait(false);
            ResponseBodyBytes += granted;
            data = data.Slice(granted);
            if (last || data.IsEmpty)
            {
                // Whatever a server sends beyond its declared length goes nowhere.
                return;
            }

            reserve = _connection.ReserveSendWindowAsync(this, data.Length);
        }
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private async ValueTask CountWhenSentAsync(ValueTask send, int granted)
    {
        await send.ConfigureAwait(false);
        ResponseBodyBytes += granted;
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    public async ValueTask EndAsync(HttpHeaderList? trailers)
    {
        if (Volatile.Read(ref LocalEnded))
        {
            return;
        }

        if (trailers is { Count: > 0 })
        {
            await _connection.SendTrailersAsync(this, trailers).ConfigureAwait(false);
        }
        else
        {
            await _connection.SendDataAsync(this, default, endStream: true).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// From now on the request body is every DATA byte the client sends until END_STREAM (the stream window still
    /// bounds what waits), and the response sink sends bytes as DATA frames until the tunnel ends.
    /// </summary>
    public void StartTunnel()
    {
        _tunnel = true;

        // A CONNECT whose HEADERS ended the stream has nothing to send.
        _bodyEnded = Body is null;
    }

    /// <summary>Nothing to do for the connection: the stream itself ends with its response.</summary>
    public void CloseAfterResponse()
    {
    }

    /// <summary>Resets this stream (CANCEL, or INTERNAL_ERROR once the response has started); the connection goes on.</summary>
    public void Abort() => _connection.ResetStream(this, _responseStarted ? Http2ErrorCode.InternalError : Http2ErrorCode.Cancel);

    /// <summary>The connection's reset or failure: pending and later reads and writes fail. Under the connection's lock.</summary>
    internal void FailLocked()
    {
        Body?.Writer.Complete(new HttpBodyException(BodyFailure.Closed, clientSide: true));
        WindowWaiter?.TrySetResult();
        WindowWaiter = null;
    }

    /// <summary>
    /// Makes a released stream (its head buffers kept, or given back by <see cref="Dispose"/> while the connection idled) the new stream <paramref name="id"/>
    /// of the same connection; on the read loop, which alone opens streams.
    /// </summary>
    internal void Reuse(int id)
    {
        Id = id;
        Owner = null;
        if (Body is { } used)
        {
            // Both ends were completed when the stream was released, and the transaction that read it is over.
            used.Reset();
            _sparePipe = used;
        }

        Body = null;
        Trailers?.Dispose();
        Trailers = null;
        RemoteEnded = false;
        LocalEnded = false;
        IsReset = false;
        Released = false;
        InOpenCount = false;
        SendWindow = 0;
        ReceiveWindow = 0;
        ConsumedUnacknowledged = 0;
        BodyBytesReceived = 0;
        WindowWaiter = null;
        RejectStatus = 0;
        RequestBodyBytes = 0;
        ResponseBodyBytes = 0;
        _request.Reset();
        _lastRead = default;
        _bodyEnded = false;
        _responseStarted = false;
        _tunnel = false;
        _responseLength = -1;
        ReadWatch.Reset();
        WriteWatch.Reset();
    }

    /// <summary>Gives the stream a pipe for its request body: the one an earlier stream of this object used, or a new one.</summary>
    internal void OpenBody()
    {
        Body = _sparePipe ?? Http2FrameOutput.NewBodyPipe();
        _sparePipe = null;
    }

    /// <summary>Gives the head's buffers back: for a released stream whose connection has gone idle or is closing.</summary>
    public void Dispose()
    {
        _request.Dispose();
        Trailers?.Dispose();
    }
}
