using Sluice.Messages;
using Sluice.Protocols.Hpack;

namespace Sluice.Mux.Http2;

/// <summary>
/// Turns the decoded fields of one HTTP/2 request field block (or trailer block) into the neutral message and
/// checks the rules of RFC 9113 §8.2 and §8.3 as they come. A block may span HEADERS and CONTINUATION frames, so
/// the state lives here, in one object the connection reuses for every block.
/// </summary>
internal sealed class Http2RequestHeadBuilder
{
    private const int PseudoMethod = 1;
    private const int PseudoScheme = 2;
    private const int PseudoAuthority = 4;
    private const int PseudoPath = 8;
    private const int PseudoProtocol = 16;

    private HttpHeaderList? _fields;
    private HttpRequestHead? _request;
    private bool _trailers;
    private int _pseudoSeen;
    private bool _regularSeen;
    private bool _hostSeen;
    private byte[] _cookie = new byte[256];
    private int _cookieLength;
    private bool _cookieSeen;

    /// <summary>The block broke a rule of RFC 9113 §8.2/§8.3: a stream error of type PROTOCOL_ERROR.</summary>
    public bool Malformed { get; private set; }

    /// <summary>The value of `content-length`, or -1 when the request has none.</summary>
    public long ContentLength { get; private set; } = -1;

    /// <summary>Starts a request head; fields go to <paramref name="request"/>.</summary>
    public void BeginRequest(HttpRequestHead request)
    {
        request.Reset();
        request.Version = HttpVersion.Http20;
        _request = request;
        _fields = request.Headers;
        _trailers = false;
        Clear();
    }

    /// <summary>Starts a trailer block (RFC 9113 §8.1: no pseudo-header allowed); fields go to <paramref name="trailers"/>.</summary>
    public void BeginTrailers(HttpHeaderList trailers)
    {
        trailers.Clear();
        _request = null;
        _fields = trailers;
        _trailers = true;
        Clear();
    }

    /// <summary>Ignores the rest of a block whose stream is refused: fields are decoded (the HPACK state needs it) and dropped.</summary>
    public void BeginDiscard()
    {
        _request = null;
        _fields = null;
        Clear();
    }

    public void OnField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (Malformed || _fields is null)
        {
            return;
        }

        if (name.IsEmpty || !IsValidValue(value))
        {
            Malformed = true;
            return;
        }

        if (name[0] == (byte)':')
        {
            OnPseudoField(name, value);
            return;
        }

        _regularSeen = true;
        if (!IsValidLowercaseName(name) || IsConnectionSpecific(name, value))
        {
            Malformed = true;
            return;
        }

        if (name.SequenceEqual("cookie"u8))
        {
            // RFC 9113 §8.2.3: crumbs are joined with "; " before going to an HTTP/1.1 hop.
            AppendCookie(value);
            return;
        }

        if (name.SequenceEqual("content-length"u8))
        {
            if (!TryParseLength(value, out var length) || (ContentLength >= 0 && length != ContentLength))
            {
                Malformed = true;
                return;
            }

            ContentLength = length;
            return;
        }

        if (name.SequenceEqual("host"u8))
        {
            _hostSeen = true;
        }

        _fields.Add(name, value);
    }

    /// <summary>
    /// Ends the block. For a request, checks the pseudo-headers (RFC 9113 §8.3.1), stores the body length and adds a
    /// `host` field from `:authority` when the request has none, since the HTTP/1.1 hop behind needs one.
    /// </summary>
    public bool Complete(bool endStream)
    {
        if (Malformed || _fields is null)
        {
            return !Malformed;
        }

        if (_cookieSeen)
        {
            _fields.Add("cookie"u8, _cookie.AsSpan(0, _cookieLength));
        }

        if (_trailers)
        {
            return true;
        }

        var request = _request!;
        if ((_pseudoSeen & PseudoMethod) == 0)
        {
            Malformed = true;
            return false;
        }

        if ((_pseudoSeen & PseudoProtocol) != 0)
        {
            // RFC 8441 §4: `:protocol` only with CONNECT, which then has `:scheme`, `:path` and `:authority` too.
            if (request.Method != Messages.HttpMethod.Connect || (_pseudoSeen & (PseudoScheme | PseudoPath | PseudoAuthority)) != (PseudoScheme | PseudoPath | PseudoAuthority))
            {
                Malformed = true;
                return false;
            }

            ToUpgradeRequest(request);
        }
        else if (request.Method == Messages.HttpMethod.Connect)
        {
            // §8.5: only :method and :authority. The bytes of the tunnel follow a 2xx: the request itself has no body.
            if ((_pseudoSeen & (PseudoScheme | PseudoPath)) != 0 || (_pseudoSeen & PseudoAuthority) == 0)
            {
                Malformed = true;
                return false;
            }

            request.SetTarget(request.Authority);
            request.Set(HttpMessageFlags.NoBody);
        }
        else if ((_pseudoSeen & (PseudoScheme | PseudoPath)) != (PseudoScheme | PseudoPath))
        {
            Malformed = true;
            return false;
        }
        else if (request.Target[0] != (byte)'/' && !(request.Target.SequenceEqual("*"u8) && request.Method == Messages.HttpMethod.Options))
        {
            // §8.3.1: ":path ... MUST NOT be empty"; origin-form, or `*` for OPTIONS.
            Malformed = true;
            return false;
        }

        if (ContentLength >= 0)
        {
            // §8.1.1: a request whose END_STREAM comes with a non-zero content-length is malformed.
            if (endStream && ContentLength != 0)
            {
                Malformed = true;
                return false;
            }

            request.ContentLength = ContentLength;
            request.Set(HttpMessageFlags.ContentLengthKnown);
        }

        if (endStream)
        {
            request.Set(HttpMessageFlags.NoBody);
        }

        if (!request.Authority.IsEmpty)
        {
            // §8.3.1: the authority wins over a `host` field that disagrees (CVE-2021-39242); the HTTP/1.1 hop behind
            // gets one `Host`, the authority.
            if (_hostSeen)
            {
                _fields.RemoveAll("host"u8);
            }

            _fields.Add("host"u8, request.Authority);
        }

        return true;
    }

    /// <summary>
    /// An extended CONNECT becomes what an HTTP/1.1 hop understands, as HAProxy does: `GET :path` with `Upgrade` (the
    /// `:protocol`, already among the fields) and `Connection: upgrade`. A websocket handshake over HTTP/2 has no key
    /// (RFC 8441 §5): one is made here, and the transaction checks the server's `Sec-WebSocket-Accept` against it.
    /// The tunnel's bytes follow the 101: the request itself has no body.
    /// </summary>
    private void ToUpgradeRequest(HttpRequestHead request)
    {
        request.SetMethod("GET"u8);
        request.Set(HttpMessageFlags.Upgrade | HttpMessageFlags.NoBody);
        _fields!.Add("connection"u8, "upgrade"u8);
        var upgrade = _fields.IndexOf("upgrade"u8);
        if (HeaderTokens.Contains(_fields.Value(upgrade), "websocket"u8) && !_fields.Contains("sec-websocket-key"u8))
        {
            Span<byte> key = stackalloc byte[WebSocketKeys.KeyLength];
            WebSocketKeys.WriteNewKey(key);
            _fields.Add("sec-websocket-key"u8, key);
            request.Set(HttpMessageFlags.ProxyWebSocketKey);
        }
    }

    private void Clear()
    {
        Malformed = false;
        ContentLength = -1;
        _pseudoSeen = 0;
        _regularSeen = false;
        _hostSeen = false;
        _cookieLength = 0;
        _cookieSeen = false;
    }

    private void OnPseudoField(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        // §8.3: pseudo-headers only in requests' field blocks, all before the regular fields, each once.
        if (_trailers || _regularSeen || _request is null)
        {
            Malformed = true;
            return;
        }

        int bit = name switch
        {
            _ when name.SequenceEqual(":method"u8) => PseudoMethod,
            _ when name.SequenceEqual(":scheme"u8) => PseudoScheme,
            _ when name.SequenceEqual(":authority"u8) => PseudoAuthority,
            _ when name.SequenceEqual(":path"u8) => PseudoPath,
            _ when name.SequenceEqual(":protocol"u8) => PseudoProtocol,
            _ => 0,
        };
        if (bit == 0 || (_pseudoSeen & bit) != 0 || (bit != PseudoAuthority && value.IsEmpty))
        {
            Malformed = true;
            return;
        }

        // §8.3.1: a method is a token, a scheme is RFC 3986's `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`, and a path
        // holds no whitespace nor control byte: each would change the meaning of an HTTP/1.1 request line
        // (CVE-2021-39240, CVE-2021-39241).
        if ((bit == PseudoMethod && !IsToken(value))
            || (bit == PseudoScheme && !IsScheme(value))
            || (bit == PseudoPath && value.IndexOfAnyInRange((byte)0, (byte)' ') >= 0)
            || (bit == PseudoPath && value.Contains((byte)0x7F)))
        {
            Malformed = true;
            return;
        }

        _pseudoSeen |= bit;
        switch (bit)
        {
            case PseudoMethod:
                _request.SetMethod(value);
                break;
            case PseudoScheme:
                _request.SetScheme(value);
                break;
            case PseudoAuthority:
                _request.SetAuthority(value);
                break;
            case PseudoProtocol:
                // The HTTP/1.1 `Upgrade` it becomes; a token, as `Upgrade` protocol names are (RFC 9110 §7.8).
                if (!IsToken(value))
                {
                    Malformed = true;
                    return;
                }

                _fields!.Add("upgrade"u8, value);
                break;
            default:
                _request.SetTarget(value);
                break;
        }
    }

    private void AppendCookie(ReadOnlySpan<byte> crumb)
    {
        var needed = _cookieLength + (_cookieSeen ? 2 : 0) + crumb.Length;
        if (needed > _cookie.Length)
        {
            Array.Resize(ref _cookie, Math.Max(needed, _cookie.Length * 2));
        }

        if (_cookieSeen)
        {
            _cookie[_cookieLength++] = (byte)';';
            _cookie[_cookieLength++] = (byte)' ';
        }

        crumb.CopyTo(_cookie.AsSpan(_cookieLength));
        _cookieLength += crumb.Length;
        _cookieSeen = true;
    }

    /// <summary>RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.</summary>
    internal static bool IsToken(ReadOnlySpan<byte> value)
    {
        foreach (var b in value)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b)))
            {
                return false;
            }
        }

        return !value.IsEmpty;
    }

    private static bool IsScheme(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || !char.IsAsciiLetter((char)value[0]))
        {
            return false;
        }

        foreach (var b in value)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'+' or (byte)'-' or (byte)'.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 9113 §8.2.1: a field name is a token in lowercase.</summary>
    internal static bool IsValidLowercaseName(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            if (b is >= (byte)'A' and <= (byte)'Z' || b <= 0x20 || b >= 0x7f || b == (byte)':')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 9113 §8.2.1: no NUL, CR or LF, and no leading or trailing whitespace.</summary>
    internal static bool IsValidValue(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return true;
        }

        if (value[0] is (byte)' ' or (byte)'\t' || value[^1] is (byte)' ' or (byte)'\t')
        {
            return false;
        }

        return value.IndexOfAny((byte)0, (byte)'\r', (byte)'\n') < 0;
    }

    /// <summary>RFC 9113 §8.2.2: connection-specific fields make a request malformed; `te` may only say "trailers".</summary>
    internal static bool IsConnectionSpecific(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
        name.SequenceEqual("connection"u8)
        || name.SequenceEqual("keep-alive"u8)
        || name.SequenceEqual("proxy-connection"u8)
        || name.SequenceEqual("transfer-encoding"u8)
        || name.SequenceEqual("upgrade"u8)
        || (name.SequenceEqual("te"u8) && !value.SequenceEqual("trailers"u8));

    internal static bool TryParseLength(ReadOnlySpan<byte> value, out long length)
    {
        length = 0;
        if (value.IsEmpty || value.Length > 18)
        {
            return false;
        }

        foreach (var b in value)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            length = (length * 10) + (b - '0');
        }

        return true;
    }
}

/// <summary>Hands decoded fields to the builder; a struct so that the decoder is specialised for it.</summary>
internal readonly struct Http2FieldHandler(Http2RequestHeadBuilder builder) : IHpackHeaderHandler
{
    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HpackFieldFlags flags) => builder.OnField(name, value);
}
