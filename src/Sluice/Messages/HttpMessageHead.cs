namespace Sluice.Messages;

/// <summary>The protocol version a message arrived with.</summary>
internal enum HttpVersion
{
    Http10 = 0x10,
    Http11 = 0x11,
    Http20 = 0x20,
}

/// <summary>Facts about a message head that the muxes set and the transaction reads.</summary>
[Flags]
internal enum HttpMessageFlags
{
    None = 0,
    /// <summary>No body follows the head: the head is the whole message.</summary>
    NoBody = 1 << 0,
    /// <summary><see cref="HttpMessageHead.ContentLength"/> is known.</summary>
    ContentLengthKnown = 1 << 1,
    /// <summary>The sender asked for the connection to close after this message (`Connection: close`, HTTP/1.0 without keep-alive).</summary>
    ConnectionClose = 1 << 2,
    /// <summary>The message asks to switch protocols (`Connection: upgrade` with `Upgrade`).</summary>
    Upgrade = 1 << 3,
    /// <summary>The request carries `Expect: 100-continue`.</summary>
    Expect100Continue = 1 << 4,
    /// <summary>The body was framed in a way that forbids reusing the connection (TE with CL, read until close).</summary>
    MustClose = 1 << 5,
    /// <summary>The body is delimited by the end of the connection (HTTP/1 response without length).</summary>
    BodyUntilClose = 1 << 6,
    /// <summary>The proxy made this request's `Sec-WebSocket-Key` (an HTTP/2 extended CONNECT): it checks the server's `Sec-WebSocket-Accept`, which the client never sees.</summary>
    ProxyWebSocketKey = 1 << 7,
}

/// <summary>
/// What requests and responses share in the neutral message model: version, flags, body length and the header
/// fields. Muxes fill it from the wire and write it back out; rules and the transaction only ever see this.
/// </summary>
internal abstract class HttpMessageHead : IDisposable
{
    public HttpHeaderList Headers { get; } = new();

    public HttpVersion Version { get; set; } = HttpVersion.Http11;

    public HttpMessageFlags Flags { get; set; }

    /// <summary>The body length when <see cref="HttpMessageFlags.ContentLengthKnown"/>; -1 otherwise.</summary>
    public long ContentLength { get; set; } = -1;

    public bool HasBody => (Flags & HttpMessageFlags.NoBody) == 0;

    public bool Has(HttpMessageFlags flag) => (Flags & flag) != 0;

    public void Set(HttpMessageFlags flag) => Flags |= flag;

    public void Unset(HttpMessageFlags flag) => Flags &= ~flag;

    public virtual void Reset()
    {
        Headers.Clear();
        Version = HttpVersion.Http11;
        Flags = HttpMessageFlags.None;
        ContentLength = -1;
    }

    public void Dispose() => Headers.Dispose();
}
