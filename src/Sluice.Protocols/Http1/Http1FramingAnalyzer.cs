using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace Sluice.Protocols.Http1;

/// <summary>How the body of a message is delimited (RFC 9112 §6.3).</summary>
public enum Http1BodyKind
{
    /// <summary>No body (request without CL/TE, HEAD response, 1xx, 204, 304).</summary>
    None = 1,

    /// <summary>Exactly <see cref="Http1BodyFraming.ContentLength"/> bytes.</summary>
    ContentLength,

    /// <summary>Chunked transfer coding, read with <see cref="Http1ChunkedDecoder"/>.</summary>
    Chunked,

    /// <summary>Response read until the server closes (RFC 9112 §6.3 rule 8).</summary>
    UntilClose,

    /// <summary>2xx answer to CONNECT: the connection becomes a tunnel (RFC 9112 §6.3 rule 2).</summary>
    Tunnel,
}

/// <summary>Framing decision for one message.</summary>
public readonly record struct Http1BodyFraming
{
    /// <summary>How the body is delimited.</summary>
    public Http1BodyKind Kind { get; init; }

    /// <summary>Body length for <see cref="Http1BodyKind.ContentLength"/>; else -1.</summary>
    public long ContentLength { get; init; }

    /// <summary>The connection must close after this exchange (RFC 9112 §6.1, §6.3 rule 3).</summary>
    public bool MustClose { get; init; }

    /// <summary>Content-Length must not be forwarded: Transfer-Encoding overrides it (RFC 9112 §6.3 rule 3).</summary>
    public bool DropContentLength { get; init; }
}

/// <summary>
/// Reads the framing fields of one message as the header handler sees them (Content-Length, Transfer-Encoding,
/// Host) and decides the body framing. Warning: mutable struct; one per message, created with the constructor
/// (<c>default</c> is not a valid analyzer). Allocation free: the first Host value is kept in an inline buffer.
/// </summary>
/// <remarks>
/// Contract: call <see cref="OnHeader"/> for every field in order; the first non-None result is final and the
/// message must be rejected. Then call <see cref="CompleteRequest"/> or <see cref="CompleteResponse"/> once.
/// </remarks>
public struct Http1FramingAnalyzer
{
    /// <summary>Longest Host value kept for comparison; a longer Host is refused (a DNS name is at most 253 bytes).</summary>
    public const int MaxHostLength = 288;

    private Http1ParserFlags _flags;
    private bool _isRequest;
    private Http1Version _version;
    private Http1TransferCodings _codings;
    private long _contentLength;
    private int _hostLength;
    private HostBuffer _host;

    /// <summary>Starts the analysis of one message.</summary>
    public Http1FramingAnalyzer(bool isRequest, Http1Version version, Http1ParserOptions options)
    {
        Restart(isRequest, version, options);
    }

    /// <summary>
    /// Starts the analysis of another message in place, as the constructor does but without clearing the Host
    /// buffer (a few hundred bytes): only the kept length makes its bytes readable.
    /// </summary>
    public void Restart(bool isRequest, Http1Version version, Http1ParserOptions options)
    {
        _flags = options.Flags;
        _isRequest = isRequest;
        _version = version;
        _codings = default;
        _contentLength = -1;
        _hostLength = -1;
    }

    /// <summary>True once a Host field was seen.</summary>
    public readonly bool HasHost => _hostLength >= 0;

    /// <summary>The Host value (valid until the analyzer is reset), empty when absent.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> Host => _hostLength <= 0 ? default : ((ReadOnlySpan<byte>)_host).Slice(0, _hostLength);

    /// <summary>Transfer-Encoding summary so far.</summary>
    public readonly Http1TransferCodings TransferCodings => _codings;

    /// <summary>Examines one field; fields other than the framing ones return None at once.</summary>
    public Http1RejectReason OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        switch (name.Length)
        {
            case 4 when Ascii.EqualsIgnoreCase(name, "host"u8):
                return _isRequest ? OnHost(value) : Http1RejectReason.None;
            case 14 when Ascii.EqualsIgnoreCase(name, "content-length"u8):
                return OnContentLength(value);
            case 17 when Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8):
                return OnTransferEncoding(value);
            default:
                return Http1RejectReason.None;
        }
    }

    /// <summary>
    /// Decides the framing of a request (RFC 9112 §6.3 rules 3-7). <paramref name="method"/> is the request
    /// method; <paramref name="absoluteAuthority"/> the authority of an absolute-form target, else empty.
    /// </summary>
    public readonly Http1RejectReason CompleteRequest(ReadOnlySpan<byte> method, ReadOnlySpan<byte> absoluteAuthority, out Http1BodyFraming framing)
    {
        framing = new Http1BodyFraming { Kind = Http1BodyKind.None, ContentLength = -1 };

        // RFC 9112 §3.2: "A server MUST respond with a 400 ... to any HTTP/1.1 request message that lacks a
        // Host header field". §3.2.2: an absolute-form target wins over Host; HAProxy refuses a mismatch.
        if (_version == Http1Version.Http11 && _hostLength < 0)
        {
            return Http1RejectReason.MissingHost;
        }

        if (!absoluteAuthority.IsEmpty && _hostLength >= 0 && !Ascii.EqualsIgnoreCase(absoluteAuthority, Host))
        {
            return Http1RejectReason.HostMismatch;
        }

        bool mustClose = false;
        bool dropContentLength = false;
        if ((_codings & Http1TransferCodings.Present) != 0)
        {
            if (_version == Http1Version.Http10)
            {
                // RFC 9112 §6.1: TE in HTTP/1.0 "MUST treat the message as if the framing is faulty".
                if ((_flags & Http1ParserFlags.AllowTransferEncodingInHttp10) == 0)
                {
                    return Http1RejectReason.TransferEncodingInHttp10;
                }

                mustClose = true;
            }

            // RFC 9112 §6.3 rule 4: a request TE whose final coding is not chunked → 400; chunked twice too.
            if ((_codings & (Http1TransferCodings.ChunkedMisplaced)) != 0 || (_codings & Http1TransferCodings.ChunkedLast) == 0)
            {
                return Http1RejectReason.ChunkedNotFinal;
            }

            // Sluice does not decode request codings; HAProxy answers 422, the RFC suggests 501 (§6.1).
            if ((_codings & Http1TransferCodings.OtherCoding) != 0)
            {
                return (_flags & Http1ParserFlags.UnknownCodingNotImplemented) != 0
                    ? Http1RejectReason.TransferCodingNotImplemented
                    : Http1RejectReason.UnknownTransferCoding;
            }

            if (_contentLength >= 0)
            {
                // RFC 9112 §6.3 rule 3: "ought to be handled as an error"; an intermediary that forwards "MUST
                // first remove the received Content-Length field ... and MUST close the connection after".
                if ((_flags & Http1ParserFlags.TransferEncodingOverridesContentLength) == 0)
                {
                    return Http1RejectReason.ContentLengthWithTransferEncoding;
                }

                mustClose = true;
                dropContentLength = true;
            }

            framing = new Http1BodyFraming { Kind = Http1BodyKind.Chunked, ContentLength = -1, MustClose = mustClose, DropContentLength = dropContentLength };
        }
        else if (_contentLength >= 0)
        {
            framing = _contentLength == 0
                ? new Http1BodyFraming { Kind = Http1BodyKind.None, ContentLength = 0 }
                : new Http1BodyFraming { Kind = Http1BodyKind.ContentLength, ContentLength = _contentLength };
        }

        // HAProxy e136bd12a: an HTTP/1.0 GET, HEAD or DELETE with a body is refused with 413.
        if (_version == Http1Version.Http10 && framing.Kind != Http1BodyKind.None
            && (method.SequenceEqual("GET"u8) || method.SequenceEqual("HEAD"u8) || method.SequenceEqual("DELETE"u8)))
        {
            return Http1RejectReason.BodyNotAllowed;
        }

        return Http1RejectReason.None;
    }

    /// <summary>
    /// Decides the framing of a response (RFC 9112 §6.3 rules 1-8). A non-None result means the response is
    /// invalid: a proxy answers 502 and closes the server connection.
    /// </summary>
    public readonly Http1RejectReason CompleteResponse(int statusCode, bool requestWasHead, bool requestWasConnect, out Http1BodyFraming framing)
    {
        framing = new Http1BodyFraming { Kind = Http1BodyKind.None, ContentLength = -1 };

        // Rule 1: HEAD, 1xx, 204 and 304 responses end with the header section, whatever the fields say.
        if (requestWasHead || statusCode < 200 || statusCode == 204 || statusCode == 304)
        {
            return Http1RejectReason.None;
        }

        // Rule 2: 2xx to CONNECT switches to tunnel mode.
        if (requestWasConnect && statusCode < 300)
        {
            framing = new Http1BodyFraming { Kind = Http1BodyKind.Tunnel, ContentLength = -1 };
            return Http1RejectReason.None;
        }

        if ((_codings & Http1TransferCodings.Present) != 0)
        {
            // HAProxy answers 502 to "chunked, chunked", "chunked, gzip" and "gzip" alone from a server, rather than
            // reading until close as rule 4 allows.
            if ((_codings & Http1TransferCodings.ChunkedMisplaced) != 0 || (_codings & Http1TransferCodings.ChunkedLast) == 0)
            {
                return Http1RejectReason.ChunkedNotFinal;
            }

            if (_version == Http1Version.Http10 && (_flags & Http1ParserFlags.AllowTransferEncodingInHttp10) == 0)
            {
                return Http1RejectReason.TransferEncodingInHttp10;
            }

            // Rule 3: TE overrides CL; the server connection must not be reused.
            bool hasLength = _contentLength >= 0;
            framing = new Http1BodyFraming
            {
                Kind = Http1BodyKind.Chunked,
                ContentLength = -1,
                MustClose = hasLength || _version == Http1Version.Http10,
                DropContentLength = hasLength,
            };
            return Http1RejectReason.None;
        }

        framing = _contentLength >= 0
            ? new Http1BodyFraming { Kind = _contentLength == 0 ? Http1BodyKind.None : Http1BodyKind.ContentLength, ContentLength = _contentLength }
            : new Http1BodyFraming { Kind = Http1BodyKind.UntilClose, ContentLength = -1, MustClose = true };
        return Http1RejectReason.None;
    }

    private Http1RejectReason OnContentLength(ReadOnlySpan<byte> value)
    {
        // RFC 9112 §6.3 rule 5 and RFC 9110 §8.6: identical values are collapsed, anything else is an error.
        if (!Http1ContentLength.TryParse(value, out long length) || (_contentLength >= 0 && length != _contentLength))
        {
            return Http1RejectReason.InvalidContentLength;
        }

        _contentLength = length;
        return Http1RejectReason.None;
    }

    private Http1RejectReason OnTransferEncoding(ReadOnlySpan<byte> value)
    {
        if (!Http1TransferEncoding.TryAdd(value, ref _codings))
        {
            return Http1RejectReason.InvalidTransferEncoding;
        }

        // A request can be refused at once: chunked more than once (HAProxy "chunked more than once").
        return _isRequest && (_codings & Http1TransferCodings.ChunkedMisplaced) != 0
            ? Http1RejectReason.ChunkedNotFinal
            : Http1RejectReason.None;
    }

    private Http1RejectReason OnHost(ReadOnlySpan<byte> value)
    {
        // RFC 9112 §3.2: Host = uri-host [ ":" port ]; an empty value is allowed when the target has no authority.
        if (!value.IsEmpty && !Http1RequestTarget.IsValidAuthority(value, requireHost: true, requirePort: false))
        {
            return value.Contains((byte)',') ? Http1RejectReason.MultipleHost : Http1RejectReason.InvalidHost;
        }

        if (_hostLength >= 0)
        {
            // Two Host lines: identical ones are deduplicated (HAProxy), different ones refused (RFC 9112 §3.2).
            return Ascii.EqualsIgnoreCase(value, Host) ? Http1RejectReason.None : Http1RejectReason.MultipleHost;
        }

        if (value.Length > MaxHostLength)
        {
            return Http1RejectReason.InvalidHost;
        }

        value.CopyTo(_host);
        _hostLength = value.Length;
        return Http1RejectReason.None;
    }

    [InlineArray(MaxHostLength)]
    private struct HostBuffer
    {
        private byte _element0;
    }
}
