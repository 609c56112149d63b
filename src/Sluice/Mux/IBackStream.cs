using Sluice.Messages;
using Sluice.Protocols.Http1;
using Sluice.Timers;

namespace Sluice.Mux;

/// <summary>Why reading a response head failed.</summary>
internal enum ResponseHeadError
{
    None = 0,
    /// <summary>The server closed (or reset) before sending a complete head; no byte came when <see cref="IBackStream.ResponseBytesSeen"/> is false.</summary>
    Closed = 1,
    /// <summary>The head is not valid (bad status line, bad framing fields, a malformed HTTP/2 field block): 502.</summary>
    Invalid = 2,
}

/// <summary>
/// One exchange with a server as a back multiplexer offers it to a transaction: the request head goes out, its body
/// streams through <see cref="RequestBody"/> (each write waits for the server's side to take it), response heads
/// come back (interim ones first), then the response body and trailers through <see cref="ResponseBody"/>. The
/// HTTP/1 mux carries one exchange at a time per connection; the HTTP/2 mux one per stream, many per connection.
/// Disposing ends the exchange: an HTTP/1 connection closes, an HTTP/2 stream is released (reset if unfinished).
/// </summary>
internal interface IBackStream : IDisposable
{
    /// <summary>Waits for the server's bytes (`timeout server`, per exchange: an inactivity timeout).</summary>
    SideWatch ReadWatch { get; }

    /// <summary>Waits for the server to take our bytes (`timeout server`).</summary>
    SideWatch WriteWatch { get; }

    /// <summary>Our address on the server connection (`%bi`, `%bp`); null when unknown.</summary>
    System.Net.EndPoint? LocalEndPoint => null;

    /// <summary>What the connection's TLS handshake established (`ssl_bc_*`); null on cleartext.</summary>
    Sluice.Tls.TlsConnectionInfo? Tls => null;

    /// <summary>True when the connection carried exchanges before this one: a failure before any answer may mean the server had closed it.</summary>
    bool IsReused { get; }

    /// <summary>True once a byte of the current response arrived: before that a failed reused connection may be retried.</summary>
    bool ResponseBytesSeen { get; }

    /// <summary>After <see cref="ResponseHeadError.Invalid"/> from the parser: the bytes of the rejected head and
    /// where the fault lies, for `show errors`; null when there is no such copy (HTTP/2 field blocks).</summary>
    (byte[] Head, long ErrorOffset)? RejectedResponseHead => null;

    /// <summary>
    /// True when the server said it did not process the request (HTTP/2 REFUSED_STREAM, or a GOAWAY whose last
    /// stream is below this one, RFC 9113 §8.7): it can be sent again on another connection.
    /// </summary>
    bool NotProcessed { get; }

    IHttpBodySink RequestBody { get; }

    IHttpBodySource ResponseBody { get; }

    /// <summary>Sends the request head; the body, if any, follows through <see cref="RequestBody"/>.</summary>
    /// <param name="close">The connection must not carry another exchange (HTTP/1 `Connection: close`).</param>
    ValueTask SendRequestHeadAsync(HttpRequestHead head, bool close);

    /// <summary>
    /// Reads one response head into <paramref name="head"/> (interim ones included: the caller loops until a final
    /// one) and prepares the body source for it.
    /// </summary>
    ValueTask<(ResponseHeadError Error, Http1RejectReason Reason)> ReadResponseHeadAsync(
        HttpResponseHead head, HttpRequestHead request, Http1ParserOptions options);

    /// <summary>True when bytes of the response body are already waiting, so the head may leave with them.</summary>
    bool HasBufferedInput();

    /// <summary>After a 101 or a 2xx to CONNECT: both bodies carry raw bytes until either side ends.</summary>
    void StartTunnel();

    /// <summary>The exchange ended cleanly: both bodies were read to their end.</summary>
    void CompleteExchange();

    /// <summary>What happened forbids carrying another exchange on this connection.</summary>
    void MarkNotReusable();

    /// <summary>Cuts the exchange at once (timeouts, kill): pending reads and writes fail. Any thread.</summary>
    void Abort();
}
