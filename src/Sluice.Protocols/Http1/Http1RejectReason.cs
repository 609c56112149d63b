namespace Sluice.Protocols.Http1;

/// <summary>
/// Why the HTTP/1.x codec refused a message. <see cref="Http1RejectReasonExtensions.ToStatusCode"/> gives the
/// status a server answers to a request; a proxy that reads a faulty response answers 502 whatever the reason.
/// </summary>
public enum Http1RejectReason
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>Request line is not method SP request-target SP HTTP-version (RFC 9112 §3). 400.</summary>
    InvalidRequestLine,

    /// <summary>Method is empty or not a token (RFC 9112 §3.1). 400.</summary>
    InvalidMethod,

    /// <summary>Request-target has a forbidden byte, a fragment, or a form the method does not allow (RFC 9112 §3.2). 400.</summary>
    InvalidRequestTarget,

    /// <summary>HTTP-version is not exactly HTTP/1.0 or HTTP/1.1 (RFC 9112 §2.3); 400, as HAProxy, not 505.</summary>
    InvalidVersion,

    /// <summary>Status line is not HTTP-version SP 3DIGIT SP reason-phrase (RFC 9112 §4). 400 (502 at a proxy).</summary>
    InvalidStatusLine,

    /// <summary>Request line longer than the configured limit (RFC 9112 §3). 414.</summary>
    RequestLineTooLong,

    /// <summary>A line ends with LF alone while bare LF is not accepted, or a CR is not followed by LF (RFC 9112 §2.2). 400.</summary>
    InvalidLineTerminator,

    /// <summary>A field line starts with whitespace right after the start line (RFC 9112 §2.2). 400.</summary>
    WhitespaceAfterStartLine,

    /// <summary>Line folding (obs-fold) while it is not accepted, or folding of a framing field (RFC 9112 §5.2). 400.</summary>
    ObsFold,

    /// <summary>Field line without a colon (RFC 9112 §5). 400.</summary>
    MissingColon,

    /// <summary>Field name is empty (RFC 9110 §5.1; HAProxy CVE-2023-25725). 400.</summary>
    EmptyHeaderName,

    /// <summary>Field name holds a byte that is not a tchar (RFC 9110 §5.1). 400.</summary>
    InvalidHeaderName,

    /// <summary>Whitespace between the field name and the colon (RFC 9112 §5.1). 400.</summary>
    WhitespaceBeforeColon,

    /// <summary>Field value holds NUL, CR, LF or another CTL except HTAB (RFC 9110 §5.5). 400.</summary>
    InvalidHeaderValue,

    /// <summary>Header or trailer section longer than the configured limit (RFC 6585 §5). 431.</summary>
    HeaderSectionTooLarge,

    /// <summary>More field lines than the configured limit (tune.http.maxhdr - 1, HAProxy answers 400). 400.</summary>
    TooManyHeaders,

    /// <summary>Content-Length is not a list of identical decimal values, is empty, or overflows (RFC 9112 §6.3 rule 5). 400.</summary>
    InvalidContentLength,

    /// <summary>Transfer-Encoding is empty, has an empty element, a parameter on chunked, or is not a token list (RFC 9112 §6.1). 400.</summary>
    InvalidTransferEncoding,

    /// <summary>Request Transfer-Encoding whose final coding is not chunked, or chunked more than once (RFC 9112 §6.3 rule 4). 400.</summary>
    ChunkedNotFinal,

    /// <summary>Request transfer coding other than chunked; HAProxy answers 422. 422.</summary>
    UnknownTransferCoding,

    /// <summary>Same as <see cref="UnknownTransferCoding"/> when the RFC status is chosen (RFC 9112 §6.1 "SHOULD respond with 501"). 501.</summary>
    TransferCodingNotImplemented,

    /// <summary>Request carries both Transfer-Encoding and Content-Length (RFC 9112 §6.3 rule 3, "ought to be handled as an error"). 400.</summary>
    ContentLengthWithTransferEncoding,

    /// <summary>Transfer-Encoding in an HTTP/1.0 message (RFC 9112 §6.1, "faulty framing"). 400.</summary>
    TransferEncodingInHttp10,

    /// <summary>HTTP/1.1 request without Host (RFC 9112 §3.2). 400.</summary>
    MissingHost,

    /// <summary>Several Host fields with different values, or a Host list (RFC 9112 §3.2). 400.</summary>
    MultipleHost,

    /// <summary>Host value is not uri-host [":" port] (RFC 9112 §3.2, RFC 3986 §3.2.2). 400.</summary>
    InvalidHost,

    /// <summary>Absolute-form authority differs from Host (RFC 9112 §3.2.2; HAProxy h1_validate_mismatch_authority). 400.</summary>
    HostMismatch,

    /// <summary>HTTP/1.0 GET, HEAD or DELETE with a body (HAProxy e136bd12a). 413.</summary>
    BodyNotAllowed,

    /// <summary>Chunk size is not 1 to 13 HEXDIG (RFC 9112 §7.1; HAProxy caps at 2^52). 400.</summary>
    InvalidChunkSize,

    /// <summary>Chunk extension is malformed: empty name, CTL, unbalanced quotes, stray backslash (RFC 9112 §7.1.1). 400.</summary>
    InvalidChunkExtension,

    /// <summary>Chunk extensions longer than the configured limit (RFC 9112 §7.1.1, "respond with an appropriate 4xx"). 413.</summary>
    ChunkExtensionTooLong,

    /// <summary>Chunk size line or chunk data not followed by CRLF; bare LF is never accepted here (RFC 9112 §7.1, erratum 7633). 400.</summary>
    InvalidChunkTerminator,
}

/// <summary>Maps <see cref="Http1RejectReason"/> to the status code sent to a client.</summary>
public static class Http1RejectReasonExtensions
{
    /// <summary>Status code for a rejected request; 0 for <see cref="Http1RejectReason.None"/>.</summary>
    public static int ToStatusCode(this Http1RejectReason reason) => reason switch
    {
        Http1RejectReason.None => 0,
        Http1RejectReason.RequestLineTooLong => 414,
        Http1RejectReason.HeaderSectionTooLarge => 431,
        Http1RejectReason.UnknownTransferCoding => 422,
        Http1RejectReason.TransferCodingNotImplemented => 501,
        Http1RejectReason.BodyNotAllowed => 413,
        Http1RejectReason.ChunkExtensionTooLong => 413,
        _ => 400,
    };
}
