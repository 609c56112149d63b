using System.IO.Pipelines;
using System.Text;
using Sluice.Messages;
using Sluice.Protocols.Http1;

namespace Sluice.Mux.Http1;

/// <summary>
/// Moves message heads between the HTTP/1 wire and the neutral model: parse handlers that fill a head and
/// check its framing, the removal of connection-specific fields (RFC 9110 §7.6.1), and the writers that put
/// a head back on the wire with the framing and `Connection` field this hop needs.
/// </summary>
internal static class Http1Heads
{
    /// <summary>
    /// Fills a request head and analyses its framing as the parser delivers it. A connection keeps it in a field
    /// (<see cref="Begin"/> per head), so that a read that waits does not carry it in its async state.
    /// </summary>
    public struct RequestHandler : IHttp1RequestHandler
    {
        public Http1FramingAnalyzer Framing;
        public Http1RejectReason Reject;
        public Http1TargetForm Form;
        private bool _hasHost;
        private HttpRequestHead _head;
        private Http1ParserOptions _options;

        public void Begin(HttpRequestHead head, Http1ParserOptions options)
        {
            _head = head;
            _options = options;
            Reject = Http1RejectReason.None;
            Form = default;
            _hasHost = false;
        }

        public void OnRequestLine(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, Http1TargetForm form, Http1Version version)
        {
            _head.SetMethod(method);
            _head.SetTarget(target);
            _head.Version = version == Http1Version.Http10 ? HttpVersion.Http10 : HttpVersion.Http11;
            Form = form;
            if (form is Http1TargetForm.Absolute or Http1TargetForm.Authority)
            {
                if (form == Http1TargetForm.Authority)
                {
                    _head.SetAuthority(target);
                }
                else if (Http1RequestTarget.TryGetAbsoluteAuthority(target, out var authority))
                {
                    _head.SetAuthority(authority);
                    var colon = target.IndexOf((byte)':');
                    if (colon > 0)
                    {
                        _head.SetScheme(target[..colon]);
                    }
                }
            }

            Framing.Restart(isRequest: true, version, _options);
        }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (Reject == Http1RejectReason.None)
            {
                Reject = Framing.OnHeader(name, value);
            }

            if (name.Length == 4 && Ascii.EqualsIgnoreCase(name, "host"u8))
            {
                // Identical Host lines are merged (the analyzer refuses different ones): the server sees one.
                if (_hasHost)
                {
                    return;
                }

                _hasHost = true;
            }

            _head.Headers.Add(name, value);
        }

        public readonly void OnHeadersComplete()
        {
        }
    }

    /// <summary>
    /// Fills a response head and analyses its framing. A server connection keeps it in a field (<see cref="Begin"/>
    /// per head), so that a read that waits does not carry the framing analyzer (a few hundred bytes) in its async state.
    /// </summary>
    public struct ResponseHandler : IHttp1ResponseHandler
    {
        public Http1FramingAnalyzer Framing;
        public Http1RejectReason Reject;
        private HttpResponseHead _head;
        private Http1ParserOptions _options;

        public void Begin(HttpResponseHead head, Http1ParserOptions options)
        {
            _head = head;
            _options = options;
            Reject = Http1RejectReason.None;
        }

        public void OnStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase)
        {
            _head.Version = version == Http1Version.Http10 ? HttpVersion.Http10 : HttpVersion.Http11;
            _head.Status = statusCode;
            _head.SetReason(reasonPhrase);
            Framing.Restart(isRequest: false, version, _options);
        }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (Reject == Http1RejectReason.None)
            {
                Reject = Framing.OnHeader(name, value);
            }

            _head.Headers.Add(name, value);
        }

        public readonly void OnHeadersComplete()
        {
        }
    }

    /// <summary>Records the framing decision on the head: flags and length.</summary>
    public static Http1BodyMode ApplyFraming(HttpMessageHead head, in Http1BodyFraming framing)
    {
        switch (framing.Kind)
        {
            case Http1BodyKind.ContentLength:
                head.ContentLength = framing.ContentLength;
                head.Set(HttpMessageFlags.ContentLengthKnown);
                break;
            case Http1BodyKind.None:
                head.Set(HttpMessageFlags.NoBody);
                if (framing.ContentLength >= 0)
                {
                    head.ContentLength = framing.ContentLength;
                    head.Set(HttpMessageFlags.ContentLengthKnown);
                }

                break;
            case Http1BodyKind.UntilClose:
                head.Set(HttpMessageFlags.BodyUntilClose | HttpMessageFlags.MustClose);
                break;
        }

        if (framing.MustClose)
        {
            head.Set(HttpMessageFlags.MustClose);
        }

        return framing.Kind switch
        {
            Http1BodyKind.ContentLength => Http1BodyMode.Length,
            Http1BodyKind.Chunked => Http1BodyMode.Chunked,
            Http1BodyKind.UntilClose => Http1BodyMode.UntilClose,
            _ => Http1BodyMode.None,
        };
    }

    /// <summary>The largest request body that an `Upgrade: h2c` request may carry and still be upgraded: one stream window.</summary>
    public const int MaxH2cUpgradeBody = 65535;

    // 36 settings of 6 bytes, in base64url: far more than the six that RFC 9113 defines.
    private const int MaxH2cSettingsLength = 288;

    /// <summary>
    /// RFC 7540 §3.2: the payload of the client's SETTINGS when <paramref name="request"/> asks to switch to
    /// cleartext HTTP/2 in a way Sluice accepts, otherwise null (the request is served as HTTP/1.1 and the token
    /// removed). Accepted: HTTP/1.1, an `h2c` token in `Upgrade`, `Connection` naming both `Upgrade` and
    /// `HTTP2-Settings` (§3.2.1), exactly one `HTTP2-Settings` in base64url (§3.2.1: "A server MUST NOT upgrade the
    /// connection to HTTP/2 if this header field is not present or if more than one is present"), no `Expect`,
    /// and no body or one of known length up to <see cref="MaxH2cUpgradeBody"/>, read whole before the switch.
    /// Allocates the payload: once per upgrade. Call before <see cref="RemoveHopByHopFields"/>.
    /// </summary>
    public static byte[]? FindH2cUpgrade(HttpRequestHead request)
    {
        var headers = request.Headers;
        if (request.Version != HttpVersion.Http11
            || request.Method == Messages.HttpMethod.Connect
            || request.Has(HttpMessageFlags.Expect100Continue)
            || headers.Contains("expect"u8)
            || (request.HasBody && (!request.Has(HttpMessageFlags.ContentLengthKnown) || request.ContentLength > MaxH2cUpgradeBody))
            || !headers.HasToken("upgrade"u8, "h2c"u8)
            || !headers.HasToken("connection"u8, "upgrade"u8)
            || !headers.HasToken("connection"u8, "http2-settings"u8)
            || headers.CountOf("http2-settings"u8) != 1)
        {
            return null;
        }

        var encoded = HeaderTokens.Trim(headers.Value(headers.IndexOf("http2-settings"u8)));
        Span<byte> payload = stackalloc byte[MaxH2cSettingsLength];
        if (encoded.Length > MaxH2cSettingsLength
            || System.Buffers.Text.Base64Url.DecodeFromUtf8(encoded, payload, out _, out var length) != System.Buffers.OperationStatus.Done
            || length % 6 != 0)
        {
            return null;
        }

        return payload[..length].ToArray();
    }

    /// <summary>
    /// Removes the fields that belong to this hop only: `Connection` and the fields it names, `Keep-Alive`,
    /// `Proxy-Connection`, `Transfer-Encoding`, `Content-Length` (the framing now lives in the head's flags; a
    /// response without body, to HEAD or 304, keeps the length it announces),
    /// `TE` other than `trailers`, and `Upgrade` unless the message really asks to switch protocols. `Host` is
    /// never removed, whatever `Connection` names. `Upgrade: h2c` is dropped with `HTTP2-Settings`: switching
    /// a proxied connection to HTTP/2 is the proxy's business, not the server's (RFC 9113 §3.1).
    /// With <paramref name="keepForRules"/>, as for a request that rules will read first, only the framing
    /// fields and the `close`/`keep-alive` tokens of `Connection` go (HAProxy's rules see the rest); the
    /// transaction removes the others before forwarding by calling this again without it.
    /// </summary>
    public static void RemoveHopByHopFields(HttpMessageHead head, bool isRequest, bool keepForRules = false)
    {
        var headers = head.Headers;
        var close = false;
        var keepAlive = false;
        var upgradeToken = false;
        var upgrade = -1;
        var dropLength = isRequest || !head.Has(HttpMessageFlags.NoBody) || head.Has(HttpMessageFlags.ContentLengthKnown);

        // One pass classifies every field; the slots a rewritten `Connection` appends are not visited again.
        var slots = headers.SlotCount;
        for (var i = 0; i < slots; i++)
        {
            if (headers.IsRemoved(i))
            {
                continue;
            }

            switch (Classify(headers.Name(i)))
            {
                case HopField.Connection:
                    ReadConnectionTokens(headers, i, keepForRules, ref close, ref keepAlive, ref upgradeToken);
                    break;
                case HopField.KeepAlive or HopField.ProxyConnection when !keepForRules:
                    headers.Remove(i);
                    break;
                case HopField.TransferEncoding:
                    headers.Remove(i);
                    break;
                case HopField.ContentLength when dropLength:
                    headers.Remove(i);
                    break;
                case HopField.Te when !keepForRules && !Ascii.EqualsIgnoreCase(HeaderTokens.Trim(headers.Value(i)), "trailers"u8):
                    headers.Remove(i);
                    break;
                case HopField.Upgrade when upgrade < 0:
                    upgrade = i;
                    break;
            }
        }

        if (upgrade >= 0 && isRequest && Ascii.EqualsIgnoreCase(HeaderTokens.Trim(headers.Value(upgrade)), "h2c"u8))
        {
            headers.RemoveAll("upgrade"u8);
            headers.RemoveAll("http2-settings"u8);
            upgrade = -1;
        }

        if (upgrade >= 0 && upgradeToken && (head.Version != HttpVersion.Http10 || !isRequest))
        {
            head.Set(HttpMessageFlags.Upgrade);
        }
        else if (upgrade >= 0 && !keepForRules)
        {
            headers.RemoveAll("upgrade"u8);
        }

        if (close || (head.Version == HttpVersion.Http10 && !keepAlive))
        {
            head.Set(HttpMessageFlags.ConnectionClose);
        }
    }

    /// <summary>
    /// Reads the tokens of one `Connection` field: notes `close`, `keep-alive` and `upgrade`, removes the fields the
    /// others name (unless rules read first), and removes the field itself or keeps it without its framing tokens.
    /// </summary>
    private static void ReadConnectionTokens(HttpHeaderList headers, int slot, bool keepForRules, ref bool close, ref bool keepAlive, ref bool upgradeToken)
    {
        var list = headers.Value(slot);
        var kept = 0;
        while (!list.IsEmpty)
        {
            var comma = list.IndexOf((byte)',');
            var token = HeaderTokens.Trim(comma < 0 ? list : list[..comma]);
            if (Ascii.EqualsIgnoreCase(token, "close"u8))
            {
                close = true;
            }
            else if (Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
            {
                keepAlive = true;
            }
            else if (Ascii.EqualsIgnoreCase(token, "upgrade"u8))
            {
                upgradeToken = true;
                kept++;
            }
            else if (!token.IsEmpty && !Ascii.EqualsIgnoreCase(token, "host"u8))
            {
                kept++;
                if (!keepForRules)
                {
                    headers.RemoveAll(token);
                }
            }

            list = comma < 0 ? default : list[(comma + 1)..];
        }

        if (keepForRules && kept > 0)
        {
            KeepConnectionTokens(headers, slot);
        }
        else
        {
            headers.Remove(slot);
        }
    }

    private enum HopField
    {
        None,
        Connection,
        KeepAlive,
        ProxyConnection,
        TransferEncoding,
        ContentLength,
        Te,
        Upgrade,
    }

    /// <summary>Which hop-by-hop field a name is, by its length first so that most names cost one comparison.</summary>
    private static HopField Classify(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 when Ascii.EqualsIgnoreCase(name, "te"u8) => HopField.Te,
        7 when Ascii.EqualsIgnoreCase(name, "upgrade"u8) => HopField.Upgrade,
        10 when Ascii.EqualsIgnoreCase(name, "connection"u8) => HopField.Connection,
        10 when Ascii.EqualsIgnoreCase(name, "keep-alive"u8) => HopField.KeepAlive,
        14 when Ascii.EqualsIgnoreCase(name, "content-length"u8) => HopField.ContentLength,
        16 when Ascii.EqualsIgnoreCase(name, "proxy-connection"u8) => HopField.ProxyConnection,
        17 when Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8) => HopField.TransferEncoding,
        _ => HopField.None,
    };

    /// <summary>
    /// Rewrites a `Connection` field without its `close` and `keep-alive` tokens, which the head's flags now
    /// carry, as HAProxy shows the field to rules.
    /// </summary>
    private static void KeepConnectionTokens(HttpHeaderList headers, int slot)
    {
        Span<byte> kept = stackalloc byte[256];
        var list = headers.Value(slot);
        if (list.Length > kept.Length)
        {
            return;
        }

        var length = 0;
        while (!list.IsEmpty)
        {
            var comma = list.IndexOf((byte)',');
            var token = HeaderTokens.Trim(comma < 0 ? list : list[..comma]);
            if (!token.IsEmpty && !Ascii.EqualsIgnoreCase(token, "close"u8) && !Ascii.EqualsIgnoreCase(token, "keep-alive"u8))
            {
                if (length > 0)
                {
                    kept[length++] = (byte)',';
                }

                token.CopyTo(kept[length..]);
                length += token.Length;
            }

            list = comma < 0 ? default : list[(comma + 1)..];
        }

        if (length == headers.Value(slot).Length)
        {
            return;
        }

        headers.Remove(slot);
        headers.Add("connection"u8, kept[..length]);
    }

    /// <summary>
    /// Writes a request head for a server with the framing of <paramref name="mode"/>: as HTTP/1.1, except an
    /// HTTP/1.0 request that names no host, which stays HTTP/1.0 since HTTP/1.1 requires one (RFC 9112 §3.2).
    /// </summary>
    public static void WriteRequestHead(PipeWriter output, HttpRequestHead head, Http1BodyMode mode, bool close)
    {
        var headers = head.Headers;
        var hasHost = headers.Contains("host"u8);
        var version = head.Version == HttpVersion.Http10 && !hasHost && head.Authority.IsEmpty ? Http1Version.Http10 : Http1Version.Http11;
        Http1HeadWriter.WriteRequestLine(output, head.MethodBytes, head.Target, version);
        for (var i = 0; i < headers.SlotCount; i++)
        {
            if (!headers.IsRemoved(i))
            {
                Http1HeadWriter.WriteHeader(output, headers.Name(i), headers.Value(i));
            }
        }

        if (!hasHost && !head.Authority.IsEmpty)
        {
            Http1HeadWriter.WriteHeader(output, "host"u8, head.Authority);
        }

        WriteFraming(output, head, mode);
        if (head.Has(HttpMessageFlags.Upgrade))
        {
            Http1HeadWriter.WriteHeader(output, "connection"u8, "upgrade"u8);
        }
        else if (close)
        {
            Http1HeadWriter.WriteHeader(output, "connection"u8, "close"u8);
        }

        Http1HeadWriter.WriteEndOfHeaders(output);
    }

    /// <summary>
    /// Writes a response head for a client: HTTP/1.1, the framing of <paramref name="mode"/>, and the
    /// `Connection` field that says what happens to the connection next.
    /// </summary>
    public static void WriteResponseHead(PipeWriter output, HttpResponseHead head, Http1BodyMode mode, bool close, bool clientIsHttp10)
    {
        Http1HeadWriter.WriteStatusLine(output, Http1Version.Http11, head.Status, head.Reason.IsEmpty ? ReasonPhrases.For(head.Status) : head.Reason);
        var headers = head.Headers;
        for (var i = 0; i < headers.SlotCount; i++)
        {
            if (!headers.IsRemoved(i))
            {
                Http1HeadWriter.WriteHeader(output, headers.Name(i), headers.Value(i));
            }
        }

        if (head.Status >= 200 && head.Status != 204)
        {
            WriteFraming(output, head, mode);
        }

        if (head.Status == 101 || (head.Has(HttpMessageFlags.Upgrade) && head.IsInterim))
        {
            Http1HeadWriter.WriteHeader(output, "connection"u8, "upgrade"u8);
        }
        else if (head.Status >= 200)
        {
            if (close)
            {
                Http1HeadWriter.WriteHeader(output, "connection"u8, "close"u8);
            }
            else if (clientIsHttp10)
            {
                Http1HeadWriter.WriteHeader(output, "connection"u8, "keep-alive"u8);
            }
        }

        Http1HeadWriter.WriteEndOfHeaders(output);
    }

    /// <summary>The framing a message gets on the way out, from what is known of its body.</summary>
    public static Http1BodyMode OutgoingMode(HttpMessageHead head, bool peerSpeaksChunked)
    {
        if (!head.HasBody)
        {
            return Http1BodyMode.None;
        }

        if (head.Has(HttpMessageFlags.ContentLengthKnown))
        {
            return Http1BodyMode.Length;
        }

        return peerSpeaksChunked ? Http1BodyMode.Chunked : Http1BodyMode.UntilClose;
    }

    private static void WriteFraming(PipeWriter output, HttpMessageHead head, Http1BodyMode mode)
    {
        if (mode == Http1BodyMode.Chunked)
        {
            Http1HeadWriter.WriteHeader(output, "transfer-encoding"u8, "chunked"u8);
        }
        else if (head.Has(HttpMessageFlags.ContentLengthKnown))
        {
            Span<byte> digits = stackalloc byte[20];
            head.ContentLength.TryFormat(digits, out var length, default, System.Globalization.CultureInfo.InvariantCulture);
            Http1HeadWriter.WriteHeader(output, "content-length"u8, digits[..length]);
        }
    }
}
