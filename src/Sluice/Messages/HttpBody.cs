using System.Buffers;

namespace Sluice.Messages;

/// <summary>One step of a body read: data to forward, or the end of the body with its trailers.</summary>
internal readonly struct BodyChunk
{
    private BodyChunk(ReadOnlySequence<byte> data, bool isEnd, HttpHeaderList? trailers)
    {
        Data = data;
        IsEnd = isEnd;
        Trailers = trailers;
    }

    /// <summary>Bytes of the body; valid until the next read on the source. Empty at the end.</summary>
    public ReadOnlySequence<byte> Data { get; }

    public bool IsEnd { get; }

    /// <summary>Trailer fields that came with the end, or null.</summary>
    public HttpHeaderList? Trailers { get; }

    public static BodyChunk FromData(ReadOnlySequence<byte> data) => new(data, false, null);

    public static BodyChunk End(HttpHeaderList? trailers) => new(default, true, trailers);
}

/// <summary>
/// The body of a message as it arrives, decoded from its wire framing (chunked, length, HTTP/2 DATA frames).
/// Read, forward the data, then <see cref="Advance"/>; nothing more is read from the wire until then, which is
/// how back-pressure reaches the far socket.
/// </summary>
internal interface IHttpBodySource
{
    /// <summary>Waits for more of the body. Throws <see cref="HttpBodyException"/> when the body cannot be completed.</summary>
    ValueTask<BodyChunk> ReadAsync();

    /// <summary>The data of the last read has been forwarded.</summary>
    void Advance();

    /// <summary>
    /// True when the last read left more of the body already received, so the next read returns at once: the
    /// sink may then hold its bytes back and send them together (a body of many tiny chunks, one send).
    /// </summary>
    bool MoreDataBuffered { get; }
}

/// <summary>
/// A request body the front mux holds without having forwarded any of it (after `option http-buffer-request`
/// or `wait-for-body`), for `req.body`.
/// </summary>
internal interface IBufferedRequestBody
{
    /// <summary>
    /// Copies the start of the body received so far into <paramref name="destination"/>; the bytes stay in
    /// place for forwarding; a chunked body comes de-chunked. Returns the count, or -1 when the body cannot be read
    /// this way (a body delimited by the connection's close, or one whose forwarding has begun).
    /// </summary>
    int CopyBufferedBody(Span<byte> destination);
}

/// <summary>The body of a message as it leaves, framed for the wire by the mux.</summary>
internal interface IHttpBodySink
{
    /// <summary>
    /// Writes data and waits until the peer's side has room for more. With <paramref name="flush"/> false the
    /// bytes may wait (a bounded amount) for the next write or the end.
    /// </summary>
    ValueTask WriteAsync(ReadOnlySequence<byte> data, bool flush = true);

    /// <summary>Ends the body, with trailers where the protocol carries them.</summary>
    ValueTask EndAsync(HttpHeaderList? trailers);
}

/// <summary>Which side made a body fail.</summary>
internal enum BodyFailure
{
    /// <summary>The peer closed or reset the connection before the end of the body.</summary>
    Closed = 1,
    /// <summary>The framing of the body is invalid (bad chunk size, ...).</summary>
    Invalid = 2,
    /// <summary>The inactivity timeout expired.</summary>
    Timeout = 3,
    /// <summary>The transaction was aborted from outside (stop, kill).</summary>
    Aborted = 4,
}

/// <summary>A body could not be read or written to its end.</summary>
internal sealed class HttpBodyException(BodyFailure failure, bool clientSide)
    : Exception(clientSide ? "client side body failure: " + failure : "server side body failure: " + failure)
{
    public BodyFailure Failure { get; } = failure;

    /// <summary>True when the client's connection failed, false for the server's.</summary>
    public bool ClientSide { get; } = clientSide;
}
