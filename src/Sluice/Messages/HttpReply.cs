using System.Buffers;
using System.Text;
using Sluice.Protocols.Http1;

namespace Sluice.Messages;

/// <summary>
/// A whole response made by the proxy itself: HAProxy's built-in error pages, `errorfile` contents, and
/// `http-request return`. Built once when the configuration loads and shared by every transaction; its bytes
/// are encoded once so that sending it allocates nothing.
/// </summary>
internal sealed class HttpReply
{
    /// <param name="contentLengthAt">Where the mux writes `content-length` among <paramref name="headers"/> (before the field of
    /// that index); null after them all. HAProxy writes it first in its error pages and after the `hdr` fields of a
    /// `return`, before its `content-type`.</param>
    public HttpReply(int status, string? reason, IReadOnlyList<KeyValuePair<string, string>> headers, byte[] body, int? contentLengthAt = null)
    {
        Status = status;
        ContentLengthAt = Math.Clamp(contentLengthAt ?? headers.Count, 0, headers.Count);
        Reason = reason is null ? null : Encoding.Latin1.GetBytes(reason);
        var encoded = new (byte[] Name, byte[] Value)[headers.Count];
        for (var i = 0; i < encoded.Length; i++)
        {
            encoded[i] = (Encoding.Latin1.GetBytes(headers[i].Key), Encoding.Latin1.GetBytes(headers[i].Value));
        }

        Headers = encoded;
        Body = body;
    }

    public int Status { get; }

    /// <summary>The reason phrase; null for the standard one.</summary>
    public byte[]? Reason { get; }

    /// <summary>Fields other than `Content-Length` and `Connection`, which the mux writes itself.</summary>
    public IReadOnlyList<(byte[] Name, byte[] Value)> Headers { get; }

    public byte[] Body { get; }

    /// <summary>
    /// An empty errorfile (`errorfile 408 /dev/null`): nothing is sent. HTTP/1 closes the connection, HTTP/2 resets
    /// the stream with REFUSED_STREAM, as HAProxy does.
    /// </summary>
    public bool Silent { get; init; }

    /// <summary>The index in <see cref="Headers"/> before which the mux writes `content-length`; their count for after them all.</summary>
    public int ContentLengthAt { get; }

    /// <summary>
    /// Reads a whole HTTP/1 response as errorfiles hold it (status line, fields, body) with the HTTP/1 codec.
    /// `Content-Length` and `Connection` are dropped: the mux writes its own from the body it really sends.
    /// Null when the head is invalid; <paramref name="errorOffset"/> then says where (HAProxy's "error offset").
    /// </summary>
    public static HttpReply? TryParse(byte[] content, out long errorOffset) => TryParse(content, out errorOffset, out _);

    /// <summary>
    /// <see cref="TryParse(byte[], out long)"/>, also telling what the configuration checks of an errorfile need:
    /// the announced length and coding, and the room the response takes once stored as HAProxy stores it.
    /// </summary>
    public static HttpReply? TryParse(byte[] content, out long errorOffset, out ReplyFileFacts facts)
    {
        facts = default;
        var (status, state, handler, consumed) = Parse(content);
        if (status == Http1ParseStatus.NeedMoreData)
        {
            // A cut head: what is there may already be wrong (a bad status line is at offset 0), else the error
            // is the missing end.
            var (padded, paddedState, _, _) = Parse([.. content, .. "\r\n\r\n"u8]);
            errorOffset = padded == Http1ParseStatus.Rejected ? paddedState.ErrorOffset : content.Length;
            return null;
        }

        if (status == Http1ParseStatus.Rejected)
        {
            errorOffset = state.ErrorOffset;
            return null;
        }

        errorOffset = -1;
        var bodyLength = content.Length - consumed;
        facts = new ReplyFileFacts(
            handler.Facts.ContentLength,
            handler.Facts.Chunked,
            bodyLength,
            StoredSize: HttpVersionLength + StatusCodeLength + (handler.Reason?.Length ?? 0) + handler.Facts.FieldsSize + bodyLength);
        return new HttpReply(handler.Status, handler.Reason, handler.Headers, content[consumed..]);
    }

    /// <summary>
    /// The room a stored response may take in a buffer of <paramref name="bufSize"/> bytes: HAProxy keeps an
    /// errorfile as one message in one buffer, whose own descriptors take the rest.
    /// </summary>
    public static int StoredCapacity(int bufSize) => bufSize - StoredMessageOverhead;

    private const int StoredMessageOverhead = 93;

    /// <summary>"HTTP/1.x" and a three-digit code, as the stored start line counts them.</summary>
    private const int HttpVersionLength = 8;
    private const int StatusCodeLength = 3;

    /// <summary>What each stored field costs besides its name and value (HAProxy's HTX block descriptor).</summary>
    private const int StoredFieldOverhead = 8;

    private static (Http1ParseStatus Status, Http1HeadState State, ReplyHeadHandler Handler, int Consumed) Parse(byte[] content)
    {
        var state = Http1HeadState.ForHead();
        var handler = new ReplyHeadHandler([], new FieldFacts());
        var options = new Http1ParserOptions { Flags = Http1ParserFlags.AllowBareLf };
        var status = Http1HeadParser.ParseResponseHead(ref state, new ReadOnlySequence<byte>(content), ref handler, options, out var consumed, out _);
        return (status, state, handler, (int)consumed.GetInteger());
    }

    /// <summary>What the head's fields say about the body, and their stored size.</summary>
    private sealed class FieldFacts
    {
        public long? ContentLength;
        public bool Chunked;
        public int FieldsSize;
    }

    private struct ReplyHeadHandler(List<KeyValuePair<string, string>> headers, FieldFacts facts) : IHttp1ResponseHandler
    {
        public int Status;
        public string? Reason;

        public readonly List<KeyValuePair<string, string>> Headers => headers;

        public readonly FieldFacts Facts => facts;

        public void OnStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase)
        {
            Status = statusCode;
            Reason = reasonPhrase.IsEmpty ? null : Encoding.Latin1.GetString(reasonPhrase);
        }

        public readonly void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            facts.FieldsSize += name.Length + value.Length + StoredFieldOverhead;
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8) && long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length))
            {
                facts.ContentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8) && value.IndexOf("chunked"u8) >= 0)
            {
                facts.Chunked = true;
            }

            if (!Ascii.EqualsIgnoreCase(name, "content-length"u8) && !Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                headers.Add(new(Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));
            }
        }

        public readonly void OnHeadersComplete()
        {
        }
    }
}

/// <summary>
/// What an errorfile's head announces and how much room the whole response takes once stored: HAProxy refuses a
/// file whose body does not match its `Content-Length`, a chunked one, and one that does not fit a buffer.
/// </summary>
internal readonly record struct ReplyFileFacts(long? ContentLength, bool Chunked, int BodyLength, int StoredSize);
