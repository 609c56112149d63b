using System.Runtime.CompilerServices;
using System.Buffers;
using System.IO.Pipelines;
using Sluice.Messages;
using Sluice.Protocols.Http1;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Mux.Http1;

/// <summary>
/// The HTTP/1 multiplexer towards a server: one connection carries one exchange at a time (no pipelining
/// towards servers, as HAProxy). It writes request heads and bodies, reads response heads and bodies, and
/// says whether the connection may be reused when the exchange is over.
/// </summary>
internal sealed class Http1BackConnection : IBackStream
{
    private readonly SocketDuplex _io;
    private System.Net.EndPoint? _localEndPoint;
    private readonly Http1BodyReader _responseBody;
    private readonly Http1BodyWriter _requestBody;
    private Http1HeadState _headState;
    private Http1Heads.ResponseHandler _responseHandler;
    private bool _reusable = true;

    public Http1BackConnection(SocketDuplex io, Heartbeat clock)
    {
        _io = io;
        ReadWatch = new SideWatch(clock);
        WriteWatch = new SideWatch(clock);
        _responseBody = new Http1BodyReader(io.Input, ReadWatch, clientSide: false);
        _requestBody = new Http1BodyWriter(io, WriteWatch, clientSide: false);
    }

    public SocketDuplex Io => _io;

    /// <summary>Our address on the connection: read once, it does not change while the connection lives.</summary>
    public System.Net.EndPoint? LocalEndPoint => _localEndPoint ??= _io.LocalEndPoint;

    public Sluice.Tls.TlsConnectionInfo? Tls => _io.Tls;

    /// <summary>Waits for the server's bytes (`timeout server`).</summary>
    public SideWatch ReadWatch { get; }

    /// <summary>Waits for the server to take our bytes (`timeout server`).</summary>
    public SideWatch WriteWatch { get; }

    /// <summary>Exchanges completed on this connection.</summary>
    public int Exchanges { get; private set; }

    public bool IsReused => Exchanges > 0;

    /// <summary>HTTP/1 has no way to say a request was not processed (RFC 9112 §9.3.1 leaves it to idempotence).</summary>
    public bool NotProcessed => false;

    /// <summary>True once a byte of the current response arrived: before that a failed reused connection may be retried.</summary>
    public bool ResponseBytesSeen { get; private set; }

    /// <summary>How much of a rejected head is kept for `show errors`.</summary>
    private const int MaxRejectedHead = 16384;

    public (byte[] Head, long ErrorOffset)? RejectedResponseHead { get; private set; }

    /// <summary>The server's or the protocol's word on reuse after the current exchange.</summary>
    public bool IsReusable => _reusable && !_io.IsAborted;

    public IHttpBodySource ResponseBody => _responseBody;

    public IHttpBodySink RequestBody => _requestBody;

    public long ResponseBodyBytes => _responseBody.BytesRead;

    public bool ResponseBodyComplete => _responseBody.IsComplete;

    public bool RequestBodyEnded => _requestBody.Ended;

    public Http1RejectReason ResponseBodyRejectReason => _responseBody.RejectReason;

    /// <summary>Sends the request head; the body follows through <see cref="RequestBody"/>.</summary>
    public ValueTask SendRequestHeadAsync(HttpRequestHead head, bool close)
    {
        ResponseBytesSeen = false;
        var mode = Http1Heads.OutgoingMode(head, peerSpeaksChunked: true);
        _requestBody.Start(mode);
        if (close)
        {
            _reusable = false;
        }

        Http1Heads.WriteRequestHead(_io.Output, head, mode, close);
        return _requestBody.FlushAsync();
    }

    /// <summary>
    /// Reads one response head (interim ones included: the caller loops until a final one) and prepares the
    /// body reader for it.
    /// </summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    public async ValueTask<(ResponseHeadError Error, Http1RejectReason Reason)> ReadResponseHeadAsync(
        HttpResponseHead head, HttpRequestHead request, Http1ParserOptions options)
    {
        head.Reset();
        RejectedResponseHead = null;
        _headState = Http1HeadState.ForHead();
        _responseHandler.Begin(head, options);
        var input = _io.Input;
        while (true)
        {
            ReadResult result;
            ReadWatch.BeginWait();
            try
            {
                result = await input.ReadAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (Http1BodyReader.IsConnectionFailure(ex))
            {
                _reusable = false;
                return (ResponseHeadError.Closed, Http1RejectReason.None);
            }
            finally
            {
                ReadWatch.EndWait();
            }

            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                ResponseBytesSeen = true;
            }

            var status = Http1HeadParser.ParseResponseHead(ref _headState, buffer, ref _responseHandler, options, out var consumed, out var examined);
            if (status == Http1ParseStatus.Complete)
            {
                var reject = _responseHandler.Reject;
                var framing = default(Http1BodyFraming);
                if (reject == Http1RejectReason.None)
                {
                    reject = _responseHandler.Framing.CompleteResponse(
                        head.Status, request.Method == Messages.HttpMethod.Head, request.Method == Messages.HttpMethod.Connect, out framing);
                }

                if (reject != Http1RejectReason.None)
                {
                    // A complete head with a fault in its fields or framing: HAProxy points at the head's start.
                    RejectedResponseHead = (buffer.Slice(0, Math.Min(buffer.Slice(0, consumed).Length, MaxRejectedHead)).ToArray(), 0); // Allocates: rejected heads only.
                    input.AdvanceTo(consumed);
                    _reusable = false;
                    return (ResponseHeadError.Invalid, reject);
                }

                input.AdvanceTo(consumed);

                var mode = Http1Heads.ApplyFraming(head, framing);
                Http1Heads.RemoveHopByHopFields(head, isRequest: false);
                if (head.Has(HttpMessageFlags.ConnectionClose) || head.Has(HttpMessageFlags.MustClose))
                {
                    _reusable = false;
                }

                if (framing.Kind == Http1BodyKind.Tunnel || head.Status == 101)
                {
                    _reusable = false;
                    mode = Http1BodyMode.UntilClose;
                    head.Unset(HttpMessageFlags.NoBody);
                }

                _responseBody.Start(head.IsInterim && head.Status != 101 ? Http1BodyMode.None : mode, framing.ContentLength, options);
                return (ResponseHeadError.None, Http1RejectReason.None);
            }

            if (status == Http1ParseStatus.Rejected)
            {
                RejectedResponseHead = (buffer.Slice(0, Math.Min(buffer.Length, MaxRejectedHead)).ToArray(), _headState.ErrorOffset); // Allocates: rejected heads only.
                input.AdvanceTo(consumed, examined);
                _reusable = false;
                return (ResponseHeadError.Invalid, _headState.RejectReason);
            }

            input.AdvanceTo(consumed, examined);
            if (result.IsCompleted || result.IsCanceled)
            {
                _reusable = false;
                return (ResponseHeadError.Closed, Http1RejectReason.None);
            }
        }
    }

    /// <summary>Called when an exchange ended cleanly: the body was read to its end on both sides.</summary>
    public void CompleteExchange()
    {
        Exchanges++;
        _responseBody.ReleaseBuffers();
        if (!_responseBody.IsComplete || !_requestBody.Ended || HasBufferedInput())
        {
            // Bytes past the end of the response (a body sent with a HEAD answer, junk) would be read as the
            // next response: such a connection is closed, never reused.
            _reusable = false;
        }
    }

    public void MarkNotReusable() => _reusable = false;

    /// <summary>Counts an exchange without running one, for the pool's tests.</summary>
    internal void CompleteExchangeForTests() => Exchanges++;

    /// <summary>True when bytes from the server are already waiting in the input pipe.</summary>
    public bool HasBufferedInput()
    {
        if (!_io.Input.TryRead(out var result))
        {
            return false;
        }

        var any = !result.Buffer.IsEmpty;
        _io.Input.AdvanceTo(result.Buffer.Start);
        return any;
    }

    /// <summary>After a 101 or a 2xx to CONNECT: the request side now carries raw bytes until the client closes.</summary>
    public void StartTunnel()
    {
        _reusable = false;
        _requestBody.Start(Http1BodyMode.UntilClose);
    }

    public void Abort()
    {
        _reusable = false;
        _io.Abort();
    }

    public void Dispose()
    {
        _reusable = false;
        _responseBody.Dispose();
        _io.Dispose();
    }
}
