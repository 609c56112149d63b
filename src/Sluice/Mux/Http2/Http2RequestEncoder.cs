using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Sluice.Messages;
using Sluice.Protocols.Hpack;
using Sluice.Protocols.Http2;

namespace Sluice.Mux.Http2;

/// <summary>
/// Encodes neutral request heads and trailers as HPACK field blocks for a server, and writes them as HEADERS and
/// CONTINUATION frames. The translation from HTTP/1 (RFC 9113 §8.3.1): `:method`, `:scheme` (the request's, else
/// "http"), `:authority` from the request's authority or its `Host` field (which then goes, being the same
/// information), `:path` as the path of an absolute-form target ("*" stays "*"); names in lowercase (§8.2.1),
/// connection-specific fields dropped (§8.2.2) with `te` kept only as "trailers", `content-length` from the
/// message's own length. An upgrade request (websocket) becomes an extended CONNECT (RFC 8441 §4) whose `:protocol`
/// is the asked protocol. One per connection, used under its writer's lock: HPACK blocks must leave in the order
/// they were encoded.
/// </summary>
internal sealed class Http2RequestEncoder
{
    private const int LowercaseStackLimit = 128;

    private readonly HpackEncoder _encoder = new();
    private byte[] _block = new byte[4096];
    private int _length;
    private int _pendingPeerTableSize = -1;

    /// <summary>The server's SETTINGS_HEADER_TABLE_SIZE; applied before the next block. Any thread.</summary>
    public void SetPeerTableSize(int size) => Volatile.Write(ref _pendingPeerTableSize, size);

    public void EncodeRequest(HttpRequestHead head)
    {
        Begin();
        var protocol = UpgradeProtocolOf(head);
        var extendedConnect = !protocol.IsEmpty;
        Encode(":method"u8, extendedConnect ? "CONNECT"u8 : head.MethodBytes);
        var connect = head.Method == Messages.HttpMethod.Connect && !extendedConnect;
        var headers = head.Headers;
        var authority = head.Authority;
        if (authority.IsEmpty && headers.IndexOf("host"u8) is var host and >= 0)
        {
            authority = headers.Value(host);
        }

        if (!connect)
        {
            // §8.5: CONNECT carries only :method and :authority.
            Encode(":scheme"u8, head.Scheme.IsEmpty ? "http"u8 : head.Scheme);
        }

        if (!authority.IsEmpty)
        {
            Encode(":authority"u8, authority);
        }

        if (!connect)
        {
            EncodePath(PathOf(head.Target));
        }

        if (extendedConnect)
        {
            Encode(":protocol"u8, protocol);
        }

        EncodeFields(headers, dropHost: true);
        if (head.HasBody && head.Has(HttpMessageFlags.ContentLengthKnown))
        {
            Span<byte> digits = stackalloc byte[20];
            head.ContentLength.TryFormat(digits, out var length, default, CultureInfo.InvariantCulture);
            Encode("content-length"u8, digits[..length]);
        }
    }

    public void EncodeTrailers(HttpHeaderList trailers)
    {
        Begin();
        EncodeFields(trailers, dropHost: false);
    }

    /// <summary>Writes the last encoded block as HEADERS, then CONTINUATION frames beyond the peer's frame size.</summary>
    public void WriteBlock(PipeWriter output, int streamId, bool endStream, int maxFrameSize)
    {
        var block = _block.AsSpan(0, _length);
        var first = Math.Min(block.Length, maxFrameSize);
        Http2FrameWriter.WriteHeaders(output, streamId, block[..first], endStream, endHeaders: first == block.Length);
        block = block[first..];
        while (!block.IsEmpty)
        {
            var piece = Math.Min(block.Length, maxFrameSize);
            Http2FrameWriter.WriteContinuation(output, streamId, block[..piece], endHeaders: piece == block.Length);
            block = block[piece..];
        }
    }

    /// <summary>
    /// The protocol an HTTP/1.1 upgrade request asks for, which it asks of an HTTP/2 server by extended CONNECT (RFC
    /// 8441 §4, as HAProxy does): the first token of `Upgrade`, since `:protocol` names one. Empty for other requests.
    /// </summary>
    internal static ReadOnlySpan<byte> UpgradeProtocolOf(HttpRequestHead head) =>
        head.Has(HttpMessageFlags.Upgrade) && head.Headers.IndexOf("upgrade"u8) is var upgrade and >= 0
            ? HeaderTokens.First(head.Headers.Value(upgrade))
            : default;

    /// <summary>The path and query of a target: an absolute-form target loses its scheme and authority.</summary>
    internal static ReadOnlySpan<byte> PathOf(ReadOnlySpan<byte> target)
    {
        if (target.IsEmpty || target[0] == (byte)'/' || target.SequenceEqual("*"u8))
        {
            return target.IsEmpty ? "/"u8 : target;
        }

        var schemeEnd = target.IndexOf("://"u8);
        if (schemeEnd < 0)
        {
            return target;
        }

        var rest = target[(schemeEnd + 3)..];
        var pathStart = rest.IndexOfAny((byte)'/', (byte)'?');
        if (pathStart < 0)
        {
            return "/"u8;
        }

        return rest[pathStart..];
    }

    /// <summary>RFC 9113 §8.2.2: fields that only mean something on one HTTP/1 connection; `te` may only say "trailers".</summary>
    internal static bool IsConnectionSpecific(ReadOnlySpan<byte> lowercaseName, ReadOnlySpan<byte> value) =>
        lowercaseName.SequenceEqual("te"u8)
            ? !Ascii.EqualsIgnoreCase(value, "trailers"u8)
            : Http2RequestHeadBuilder.IsConnectionSpecific(lowercaseName, value);

    /// <summary>"http://host?q" has an empty path: RFC 9113 §8.3.1 wants "/" in front of the query then.</summary>
    private void EncodePath(ReadOnlySpan<byte> path)
    {
        if (path.IsEmpty || path[0] != (byte)'?')
        {
            Encode(":path"u8, path);
            return;
        }

        var withSlash = ArrayPool<byte>.Shared.Rent(path.Length + 1);
        withSlash[0] = (byte)'/';
        path.CopyTo(withSlash.AsSpan(1));
        Encode(":path"u8, withSlash.AsSpan(0, path.Length + 1));
        ArrayPool<byte>.Shared.Return(withSlash);
    }

    private void Begin()
    {
        var tableSize = Interlocked.Exchange(ref _pendingPeerTableSize, -1);
        if (tableSize >= 0)
        {
            _encoder.SetPeerHeaderTableSize(tableSize);
        }

        int written;
        while (!_encoder.TryBeginBlock(_block, out written))
        {
            Grow();
        }

        _length = written;
    }

    private void EncodeFields(HttpHeaderList fields, bool dropHost)
    {
        Span<byte> scratch = stackalloc byte[LowercaseStackLimit];
        for (var slot = 0; slot < fields.SlotCount; slot++)
        {
            if (fields.IsRemoved(slot))
            {
                continue;
            }

            var name = fields.Name(slot);
            byte[]? rented = null;
            var lower = name.Length <= LowercaseStackLimit ? scratch : (rented = ArrayPool<byte>.Shared.Rent(name.Length));
            lower = lower[..name.Length];
            Ascii.ToLower(name, lower, out _);
            var value = fields.Value(slot);
            var skip = IsConnectionSpecific(lower, value)
                || lower.SequenceEqual("content-length"u8)
                || (dropHost && lower.SequenceEqual("host"u8));
            if (!skip)
            {
                Encode(lower, value);
            }

            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private void Encode(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        int written;
        while (!_encoder.TryEncode(name, value, _block.AsSpan(_length), out written))
        {
            Grow();
        }

        _length += written;
    }

    private void Grow() => Array.Resize(ref _block, _block.Length * 2);
}
