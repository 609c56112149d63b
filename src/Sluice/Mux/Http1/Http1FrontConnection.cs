using System.Runtime.CompilerServices;
using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using HttpVersion = Sluice.Messages.HttpVersion;
using Sluice.Messages;
using Sluice.Protocols.Http1;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Mux.Http1;

/// <summary>What waiting for the next request head gave.</summary>
internal enum RequestHeadOutcome
{
    /// <summary>A valid head: <see cref="Http1FrontConnection.Request"/> holds it.</summary>
    Ready = 0,
    /// <summary>The client closed (or reset) between requests, having sent nothing of a new one.</summary>
    ClosedIdle = 1,
    /// <summary>The client closed in the middle of a head.</summary>
    ClosedPartial = 2,
    /// <summary>The head is invalid: <see cref="Http1FrontConnection.RejectReason"/> says why.</summary>
    Rejected = 3,
    /// <summary>The wait was cancelled by <see cref="Http1FrontConnection.CancelRequestWait"/> (a timeout).</summary>
    TimedOut = 4,
}

/// <summary>
/// The HTTP/1 multiplexer on the client side. Requests are read one after the other from the connection's
/// input; pipelined requests simply wait in the pipe until the previous response has been sent, so responses
/// go out in order. Each request is offered to the transaction as an <see cref="IFrontStream"/>.
/// </summary>
internal sealed class Http1FrontConnection : IFrontStream, IBufferedRequestBody, IDisposable
{
    private readonly SocketDuplex _io;
    private readonly HttpRequestHead _request = new();
    private readonly Http1BodyReader _requestBody;
    private readonly Http1BodyWriter _responseBody;
    private readonly Http1ParserOptions _options;
    private Http1HeadState _headState;
    private Http1Heads.RequestHandler _requestHandler;
    private bool _closeAfterResponse;
    private bool _tunnel;

    public Http1FrontConnection(SocketDuplex io, Heartbeat clock, Http1ParserOptions options)
    {
        _io = io;
        _options = options;
        ReadWatch = new SideWatch(clock);
        WriteWatch = new SideWatch(clock);
        _requestBody = new Http1BodyReader(io.Input, ReadWatch, clientSide: true);
        _responseBody = new Http1BodyWriter(io, WriteWatch, clientSide: true);
        ClientEndPoint = io.RemoteEndPoint;
        LocalEndPoint = io.LocalEndPoint;
    }

    public HttpRequestHead Request => _request;

    public IHttpBodySource RequestBody => _requestBody;

    public int CopyBufferedBody(Span<byte> destination) => _request.HasBody ? _requestBody.CopyBuffered(destination) : 0;

    public bool RequestBodyComplete => _requestBody.IsComplete;

    public long RequestBodyBytes => _requestBody.BytesRead;

    public int RequestBodyErrorStatus => _requestBody.RejectReason == Http1RejectReason.None ? 400 : _requestBody.RejectReason.ToStatusCode();

    public long ResponseBodyBytes => _responseBody.BytesWritten;

    public EndPoint? ClientEndPoint { get; }

    public EndPoint? LocalEndPoint { get; }

    public Sluice.Tls.TlsConnectionInfo? Tls => _io.Tls;

    public Sluice.Protocols.ProxyProtocol.ProxyHeader? Proxy => _io.Proxy;

    public SideWatch ReadWatch { get; }

    public SideWatch WriteWatch { get; }

    public bool AcceptsInterimResponses => _request.Version != HttpVersion.Http10;

    public SocketDuplex Io => _io;

    /// <summary>Requests read on this connection so far.</summary>
    public int RequestCount { get; private set; }

    /// <summary>Why the last head was rejected.</summary>
    public Http1RejectReason RejectReason { get; private set; }

    /// <summary>Bytes of the head being read when it was rejected or cut, for logs.</summary>
    public long PartialHeadBytes { get; private set; }

    /// <summary>The start of the last rejected head (up to a buffer) and the offset of the error, for `show errors`.</summary>
    public (byte[] Head, long ErrorOffset)? RejectedHead { get; private set; }

    /// <summary>True when the connection may carry another request once the current response is sent.</summary>
    public bool CanKeepAlive => !_closeAfterResponse && !_tunnel && _requestBody.IsComplete && !_io.IsAborted;

    /// <summary>Reads the next request head. <see cref="ReadWatch"/> bounds the wait (`timeout http-request` and friends).</summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    public async ValueTask<RequestHeadOutcome> ReadRequestHeadAsync(Action? onFirstByte = null)
    {
        _request.Reset();
        _headState = Http1HeadState.ForHead();
        _closeAfterResponse = false;
        PartialHeadBytes = 0;
        RejectedHead = null;
        ExpectationFailed = false;
        RejectReason = Http1RejectReason.None;
        _requestHandler.Begin(_request, _options);
        var input = _io.Input;
        var sawBytes = false;
        ReadWatch.BeginWait();
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    result = await input.ReadAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (Http1BodyReader.IsConnectionFailure(ex))
                {
                    return sawBytes ? RequestHeadOutcome.ClosedPartial : RequestHeadOutcome.ClosedIdle;
                }

                var buffer = result.Buffer;
                if (!sawBytes && !buffer.IsEmpty)
                {
                    sawBytes = true;
                    onFirstByte?.Invoke();
                }

                var status = Http1HeadParser.ParseRequestHead(ref _headState, buffer, ref _requestHandler, _options, out var consumed, out var examined);
                if (status == Http1ParseStatus.Complete)
                {
                    input.AdvanceTo(consumed);
                    return CompleteHead(ref _requestHandler);
                }

                PartialHeadBytes = buffer.Length;
                input.AdvanceTo(consumed, examined);
                if (status == Http1ParseStatus.Rejected)
                {
                    RejectReason = _headState.RejectReason;
                    RejectedHead = (buffer.Slice(0, Math.Min(buffer.Length, 16384)).ToArray(), _headState.ErrorOffset); // Allocates: rejected heads only.
                    return RequestHeadOutcome.Rejected;
                }

                if (result.IsCanceled)
                {
                    return RequestHeadOutcome.TimedOut;
                }

                if (result.IsCompleted)
                {
                    return sawBytes ? RequestHeadOutcome.ClosedPartial : RequestHeadOutcome.ClosedIdle;
                }
            }
        }
        finally
        {
            ReadWatch.EndWait();
        }
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    public async ValueTask SendInterimAsync(HttpResponseHead head)
    {
        Http1Heads.WriteResponseHead(_io.Output, head, Http1BodyMode.None, close: false, clientIsHttp10: false);
        await _responseBody.FlushAsync().ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    public async ValueTask<IHttpBodySink> SendResponseHeadAsync(HttpResponseHead head, bool closeAfter, bool flush)
    {
        var clientIsHttp10 = _request.Version == HttpVersion.Http10;
        var switching = head.SwitchesProtocols(_request);
        var mode = switching ? Http1BodyMode.UntilClose
            : _request.Method == Messages.HttpMethod.Head ? Http1BodyMode.None
            : Http1Heads.OutgoingMode(head, peerSpeaksChunked: !clientIsHttp10);
        if (mode == Http1BodyMode.UntilClose && !switching)
        {
            _closeAfterResponse = true;
        }

        if (closeAfter || (_request.Has(HttpMessageFlags.Upgrade) && !switching))
        {
            // An upgrade the server refused: bytes the client sent after its request may belong to the other
            // protocol and must not be read as a request (RELIABILITY UPG-05).
            _closeAfterResponse = true;
        }

        _responseBody.Start(mode);
        Http1Heads.WriteResponseHead(_io.Output, head, mode, _closeAfterResponse, clientIsHttp10);
        if (flush || mode == Http1BodyMode.None)
        {
            await _responseBody.FlushAsync().ConfigureAwait(false);
        }

        return _responseBody;
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    public async ValueTask SendReplyAsync(HttpReply reply, bool closeAfter)
    {
        if (closeAfter || reply.Silent)
        {
            _closeAfterResponse = true;
        }

        if (reply.Silent)
        {
            return;
        }

        var output = _io.Output;
        Http1HeadWriter.WriteStatusLine(output, Http1Version.Http11, reply.Status, reply.Reason ?? ReasonPhrases.For(reply.Status));
        Span<byte> digits = stackalloc byte[12];
        reply.Body.Length.TryFormat(digits, out var length, default, System.Globalization.CultureInfo.InvariantCulture);
        var headers = reply.Headers;
        for (var i = 0; i <= headers.Count; i++)
        {
            if (i == reply.ContentLengthAt)
            {
                Http1HeadWriter.WriteHeader(output, "content-length"u8, digits[..length]);
            }

            if (i < headers.Count)
            {
                Http1HeadWriter.WriteHeader(output, headers[i].Name, headers[i].Value);
            }
        }

        if (_closeAfterResponse || !_requestBody.IsComplete)
        {
            _closeAfterResponse = true;
            Http1HeadWriter.WriteHeader(output, "connection"u8, "close"u8);
        }
        else if (_request.Version == HttpVersion.Http10)
        {
            Http1HeadWriter.WriteHeader(output, "connection"u8, "keep-alive"u8);
        }

        Http1HeadWriter.WriteEndOfHeaders(output);
        _responseBody.Start(Http1BodyMode.Length);
        if (_request.Method != Messages.HttpMethod.Head && reply.Body.Length > 0)
        {
            await _responseBody.WriteAsync(new System.Buffers.ReadOnlySequence<byte>(reply.Body)).ConfigureAwait(false);
        }
        else
        {
            await _responseBody.FlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends a whole response as it is (the mux's own error pages) and closes the connection after it; fails with
    /// <see cref="Messages.HttpBodyException"/> when the client is gone, as any response write.
    /// </summary>
    public ValueTask SendRawResponseAsync(byte[] response)
    {
        _closeAfterResponse = true;
        System.Buffers.BuffersExtensions.Write(_io.Output, response);
        return _responseBody.FlushAsync();
    }

    public ValueTask<bool> BufferRequestBodyAsync(long limit, long atLeast) => _requestBody.BufferAsync(limit, atLeast);

    public void StartTunnel()
    {
        _tunnel = true;
        _requestBody.Start(Http1BodyMode.UntilClose, -1, _options);
        _responseBody.Start(Http1BodyMode.UntilClose);
    }

    public void CloseAfterResponse() => _closeAfterResponse = true;

    /// <summary>Gives the head's buffers back while the connection waits for its next request.</summary>
    public void ReleaseBuffers()
    {
        _request.Headers.ReleaseBuffers();
        _requestBody.ReleaseBuffers();
    }

    public void Abort() => _io.Abort();

    /// <summary>Ends the wait for a request head without closing the connection, so that a 408 can still be sent. Any thread.</summary>
    public void CancelRequestWait() => _io.Input.CancelPendingRead();

    /// <summary>
    /// Ends the connection politely: what was written is flushed, a FIN is sent, and what the client still sends
    /// is read and dropped for a moment so that a reset does not destroy the response in flight.
    /// </summary>
    public async ValueTask CloseAsync(bool linger)
    {
        try
        {
            await _io.Output.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (Http1BodyReader.IsConnectionFailure(ex))
        {
            return;
        }

        _io.ShutdownSend();
        if (!linger)
        {
            return;
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            while (true)
            {
                var result = await _io.Input.ReadAsync(cts.Token).ConfigureAwait(false);
                _io.Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (Http1BodyReader.IsConnectionFailure(ex))
        {
            // Gone or slow: closing now is all that is left.
        }
    }

    public void Dispose()
    {
        DisposeKeepingConnection();
        _io.Dispose();
    }

    /// <summary>Gives back what this mux holds but not the connection, which another mux takes over.</summary>
    public void DisposeKeepingConnection()
    {
        _requestBody.Dispose();
        _request.Dispose();
    }

    private RequestHeadOutcome CompleteHead(ref Http1Heads.RequestHandler handler)
    {
        RequestCount++;
        if (handler.Reject != Http1RejectReason.None)
        {
            RejectReason = handler.Reject;
            return RequestHeadOutcome.Rejected;
        }

        var absoluteAuthority = handler.Form == Http1TargetForm.Absolute ? _request.Authority : default;
        var reject = handler.Framing.CompleteRequest(_request.MethodBytes, absoluteAuthority, out var framing);
        if (reject != Http1RejectReason.None)
        {
            RejectReason = reject;
            return RequestHeadOutcome.Rejected;
        }

        var mode = Http1Heads.ApplyFraming(_request, framing);
        if (mode == Http1BodyMode.None)
        {
            _request.Set(HttpMessageFlags.NoBody);
        }

        var expect = _request.Headers.IndexOf("expect"u8);
        if (expect >= 0 && _request.Version != HttpVersion.Http10)
        {
            if (!Ascii.EqualsIgnoreCase(HeaderTokens.Trim(_request.Headers.Value(expect)), "100-continue"u8))
            {
                RejectReason = Http1RejectReason.None;
                ExpectationFailed = true;
            }
            else
            {
                _request.Set(HttpMessageFlags.Expect100Continue);
            }
        }

        H2cUpgradeSettings = H2cUpgradeAllowed ? Http1Heads.FindH2cUpgrade(_request) : null;
        Http1Heads.RemoveHopByHopFields(_request, isRequest: true, keepForRules: true);
        if (_request.Has(HttpMessageFlags.ConnectionClose) || _request.Has(HttpMessageFlags.MustClose))
        {
            _closeAfterResponse = true;
        }

        _tunnel = false;
        _requestBody.Start(mode, framing.ContentLength, _options);
        return RequestHeadOutcome.Ready;
    }

    /// <summary>`option h2c-upgrade` on a connection that may switch to HTTP/2.</summary>
    public bool H2cUpgradeAllowed { get; set; }

    /// <summary>The client's SETTINGS payload when the last request asked to switch to HTTP/2 in a way we accept, else null.</summary>
    public byte[]? H2cUpgradeSettings { get; private set; }

    /// <summary>
    /// Reads the whole request body (at most <see cref="Http1Heads.MaxH2cUpgradeBody"/> bytes, known in advance)
    /// ahead of a switch to HTTP/2, then answers 101 (RFC 7540 §3.2). Allocates the body: once per upgrade.
    /// </summary>
    public async ValueTask<byte[]> SwitchToH2cAsync()
    {
        var body = new byte[_request.HasBody ? _request.ContentLength : 0];
        var filled = 0;
        while (true)
        {
            var chunk = await _requestBody.ReadAsync().ConfigureAwait(false);
            if (chunk.IsEnd)
            {
                break;
            }

            chunk.Data.CopyTo(body.AsSpan(filled));
            filled += (int)chunk.Data.Length;
            _requestBody.Advance();
        }

        _io.Output.Write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"u8);
        await _responseBody.FlushAsync().ConfigureAwait(false);
        return body;
    }

    /// <summary>The request carried an `Expect` other than `100-continue`: it must be answered 417.</summary>
    public bool ExpectationFailed { get; private set; }
}
