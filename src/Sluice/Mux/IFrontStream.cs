using System.Net;
using Sluice.Messages;
using Sluice.Timers;

namespace Sluice.Mux;

/// <summary>
/// One request as a front multiplexer offers it to a transaction, and the way back for its response. The HTTP/1
/// mux offers one at a time per connection; the HTTP/2 mux one per stream.
/// </summary>
internal interface IFrontStream
{
    HttpRequestHead Request { get; }

    /// <summary>The request body; ends at once when the request has none.</summary>
    IHttpBodySource RequestBody { get; }

    bool RequestBodyComplete { get; }

    long RequestBodyBytes { get; }

    /// <summary>The status that answers a request body whose framing was invalid (400, 413 for an oversized chunk extension).</summary>
    int RequestBodyErrorStatus { get; }

    /// <summary>Bytes of the response body sent so far.</summary>
    long ResponseBodyBytes { get; }

    EndPoint? ClientEndPoint { get; }

    EndPoint? LocalEndPoint { get; }

    /// <summary>The PROXY header the client connection began with; null without one.</summary>
    Sluice.Protocols.ProxyProtocol.ProxyHeader? Proxy { get; }

    /// <summary>What the TLS handshake of the client connection established; null on cleartext.</summary>
    Sluice.Tls.TlsConnectionInfo? Tls { get; }

    /// <summary>Waits for the client's bytes.</summary>
    SideWatch ReadWatch { get; }

    /// <summary>Waits for the client to take our bytes.</summary>
    SideWatch WriteWatch { get; }

    /// <summary>True when the client's protocol can carry 1xx responses.</summary>
    bool AcceptsInterimResponses { get; }

    /// <summary>
    /// Waits until the request body has arrived, or <paramref name="limit"/> bytes of it
    /// (`option http-buffer-request`), or <paramref name="atLeast"/> bytes of its payload when that is above 0
    /// (`wait-for-body ... at-least`), without consuming it. False when the wait was cancelled by
    /// <see cref="CancelRequestWait"/> (`timeout http-request`, the `wait-for-body` time).
    /// </summary>
    ValueTask<bool> BufferRequestBodyAsync(long limit, long atLeast);

    /// <summary>Ends a wait for the client's request (head or buffered body) without closing the connection. Any thread.</summary>
    void CancelRequestWait();

    /// <summary>Sends a 1xx response.</summary>
    ValueTask SendInterimAsync(HttpResponseHead head);

    /// <summary>
    /// Sends the final response head; its body then goes through the returned sink. Without
    /// <paramref name="flush"/> the head may wait for the body's first write, which then sends both.
    /// </summary>
    ValueTask<IHttpBodySink> SendResponseHeadAsync(HttpResponseHead head, bool closeAfter, bool flush);

    /// <summary>Sends a whole response made by the proxy (errors, `http-request return`).</summary>
    ValueTask SendReplyAsync(HttpReply reply, bool closeAfter);

    /// <summary>
    /// After a 101 or a 2xx to CONNECT: from now on the request body reads every byte the client sends until it
    /// closes, and the response sink writes bytes as they are.
    /// </summary>
    void StartTunnel();

    /// <summary>The connection must close once this response is sent.</summary>
    void CloseAfterResponse();

    /// <summary>Cuts the client's connection at once: pending reads and writes fail. Any thread.</summary>
    void Abort();
}
