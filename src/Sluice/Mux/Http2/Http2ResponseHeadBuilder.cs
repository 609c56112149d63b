using Sluice.Messages;
using Sluice.Protocols.Hpack;

namespace Sluice.Mux.Http2;

/// <summary>
/// Turns the decoded fields of one HTTP/2 response field block (or trailer block) from a server into the neutral
/// message, checking the rules of RFC 9113 §8.2 and §8.3.2 as they come. The field checks are those of requests
/// (<see cref="Http2RequestHeadBuilder"/>): one home for what a valid HTTP/2 field is.
/// </summary>
internal sealed class Http2ResponseHeadBuilder
{
    private HttpHeaderList? _fields;
    private HttpResponseHead? _response;
    private bool _statusSeen;
    private bool _regularSeen;
    private long _contentLength;

    /// <summary>The block broke a rule of RFC 9113 §8.2/§8.3: the stream is malformed (PROTOCOL_ERROR).</summary>
    public bool Malformed { get; private set; }

    /// <summary>Starts a response head; fields go to <paramref name="response"/>.</summary>
    public void BeginResponse(HttpResponseHead response)
    {
        response.Reset();
        response.Version = HttpVersion.Http20;
        _response = response;
        _fields = response.Headers;
        Clear();
    }

    /// <summary>Starts a trailer block (RFC 9113 §8.1: no pseudo-header allowed).</summary>
    public void BeginTrailers(HttpHeaderList trailers)
    {
        trailers.Clear();
        _response = null;
        _fields = trailers;
        Clear();
    }

    /// <summary>Decodes a block nobody waits for any more (a stream we reset): the HPACK state needs it, the fields go nowhere.</summary>
    public void BeginDiscard()
    {
        _response = null;
        _fields = null;
        Clear();
    }

    public void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (Malformed || _fields is null)
        {
            return;
        }

        if (name.IsEmpty || !Http2RequestHeadBuilder.IsValidValue(value))
        {
            Malformed = true;
            return;
        }

        if (name[0] == (byte)':')
        {
            // §8.3.2: `:status` is the only response pseudo-header, once, before the regular fields; none in trailers.
            if (_response is null || _regularSeen || _statusSeen || !name.SequenceEqual(":status"u8) || !TryParseStatus(value, out var status))
            {
                Malformed = true;
                return;
            }

            _statusSeen = true;
            _response.Status = status;
            return;
        }

        _regularSeen = true;
        if (!Http2RequestHeadBuilder.IsValidLowercaseName(name) || Http2RequestHeadBuilder.IsConnectionSpecific(name, value))
        {
            Malformed = true;
            return;
        }

        if (_response is not null && name.SequenceEqual("content-length"u8))
        {
            if (!Http2RequestHeadBuilder.TryParseLength(value, out var length) || (_contentLength >= 0 && length != _contentLength))
            {
                Malformed = true;
                return;
            }

            _contentLength = length;
            return;
        }

        _fields.Add(name, value);
    }

    /// <summary>
    /// Ends the block: a response needs its `:status`, 101 does not exist in HTTP/2 (§8.6), and the body length
    /// becomes the head's. False when the block is malformed.
    /// </summary>
    public bool Complete(bool endStream)
    {
        if (Malformed || _fields is null)
        {
            return !Malformed;
        }

        if (_response is not { } response)
        {
            return true;
        }

        if (!_statusSeen || response.Status == 101)
        {
            Malformed = true;
            return false;
        }

        if (response.IsInterim)
        {
            return !endStream || Fail();
        }

        if (_contentLength >= 0)
        {
            response.ContentLength = _contentLength;
            response.Set(HttpMessageFlags.ContentLengthKnown);
        }

        if (endStream)
        {
            response.Set(HttpMessageFlags.NoBody);
        }

        return true;
    }

    private bool Fail()
    {
        // §8.1: an interim response cannot end the stream.
        Malformed = true;
        return false;
    }

    private void Clear()
    {
        Malformed = false;
        _statusSeen = false;
        _regularSeen = false;
        _contentLength = -1;
    }

    private static bool TryParseStatus(ReadOnlySpan<byte> value, out int status)
    {
        status = 0;
        if (value.Length != 3)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            status = (status * 10) + (b - '0');
        }

        return status >= 100;
    }
}

/// <summary>Hands decoded fields to the response builder; a struct so that the decoder is specialised for it.</summary>
internal readonly struct Http2ResponseFieldHandler(Http2ResponseHeadBuilder builder) : IHpackHeaderHandler
{
    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HpackFieldFlags flags) => builder.OnField(name, value);
}
