namespace Sluice.Protocols.Http1;

/// <summary>Relaxations of the strict HTTP/1.x rules. Strict is <see cref="None"/>.</summary>
[Flags]
public enum Http1ParserFlags
{
    /// <summary>Strict RFC 9112 parsing.</summary>
    None = 0,

    /// <summary>Accept LF alone as line terminator in the start line and field sections (RFC 9112 §2.2 MAY; HAProxy does). Never in chunk framing.</summary>
    AllowBareLf = 0x01,

    /// <summary>Replace each obs-fold by SP instead of rejecting it (RFC 9112 §5.2; HAProxy does). A fold in Content-Length, Transfer-Encoding or Host is still rejected.</summary>
    ReplaceObsFold = 0x02,

    /// <summary>Accept bytes 0x80-0xFF in the request-target (HAProxy accept-unsafe-violations-in-http-request). CTLs, SP and "#" stay rejected.</summary>
    AllowObsTextInTarget = 0x04,

    /// <summary>Request with Transfer-Encoding and Content-Length: drop Content-Length, frame by chunked, close after the response (HAProxy) instead of 400.</summary>
    TransferEncodingOverridesContentLength = 0x08,

    /// <summary>HTTP/1.0 request with Transfer-Encoding: frame by it and close after the response (HAProxy) instead of 400.</summary>
    AllowTransferEncodingInHttp10 = 0x10,

    /// <summary>Answer an unknown request transfer coding with 501 (RFC 9112 §6.1) instead of HAProxy's 422.</summary>
    UnknownCodingNotImplemented = 0x20,
}

/// <summary>Limits and relaxations for the HTTP/1.x parsers. Immutable; build once per config load.</summary>
public readonly record struct Http1ParserOptions
{
    /// <summary>HAProxy's tune.bufsize minus tune.maxrewrite (16384 - 1024).</summary>
    public const int DefaultMaxHeaderSectionSize = 15360;

    /// <summary>RFC 9112 §3 recommends at least 8000 octets of request line.</summary>
    public const int DefaultMaxStartLineLength = 8192;

    /// <summary>HAProxy tune.http.maxhdr default.</summary>
    public const int DefaultMaxHeaderCount = 101;

    /// <summary>Bound on the chunk extensions of one chunk size line.</summary>
    public const int DefaultMaxChunkExtensionLength = 4096;

    public Http1ParserOptions()
    {
    }

    /// <summary>Strict parsing with HAProxy's default limits.</summary>
    public static Http1ParserOptions Strict { get; } = new();

    /// <summary>HAProxy's own tolerances: bare LF, obs-fold replaced, TE overrides CL, TE accepted in HTTP/1.0.</summary>
    public static Http1ParserOptions HaproxyCompatible { get; } = new()
    {
        Flags = Http1ParserFlags.AllowBareLf | Http1ParserFlags.ReplaceObsFold
            | Http1ParserFlags.TransferEncodingOverridesContentLength | Http1ParserFlags.AllowTransferEncodingInHttp10,
    };

    /// <summary>Relaxations; <see cref="Http1ParserFlags.None"/> is strict.</summary>
    public Http1ParserFlags Flags { get; init; }

    /// <summary>Longest request or status line, CRLF excluded; above it a request gets 414.</summary>
    public int MaxStartLineLength { get; init; } = DefaultMaxStartLineLength;

    /// <summary>Longest field section (field lines and the final empty line, start line excluded); above it 431.</summary>
    public int MaxHeaderSectionSize { get; init; } = DefaultMaxHeaderSectionSize;

    /// <summary>
    /// Longest whole head, start line included (HAProxy's room for a head in its buffer); fields that would make it
    /// longer give 431. No limit of its own by default.
    /// </summary>
    public long MaxHeadSize { get; init; } = long.MaxValue;

    /// <summary>
    /// HAProxy's tune.http.maxhdr: header slots of one section, the last of which holds the end of the section, so
    /// a section has at most <c>MaxHeaderCount - 1</c> field lines; one more gives 400 (HAProxy).
    /// </summary>
    public int MaxHeaderCount { get; init; } = DefaultMaxHeaderCount;

    /// <summary>Longest chunk-ext part of a chunk size line (from the first ";" to CRLF); above it 413.</summary>
    public int MaxChunkExtensionLength { get; init; } = DefaultMaxChunkExtensionLength;

    internal bool Has(Http1ParserFlags flag) => (Flags & flag) != 0;
}
