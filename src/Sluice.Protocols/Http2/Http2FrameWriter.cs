using System.Buffers;
using System.Buffers.Binary;

namespace Sluice.Protocols.Http2;

/// <summary>One SETTINGS parameter (RFC 9113 §6.5.1).</summary>
public readonly record struct Http2Setting(Http2SettingsParameter Parameter, uint Value);

/// <summary>
/// Frame writers. The <c>TryWrite…</c> methods write one whole frame into a span and return false,
/// having written nothing usable, when it is too small. The <c>Write…</c> methods write into an
/// <see cref="IBufferWriter{T}"/>. Payloads are not split: the caller keeps each one within the
/// peer's SETTINGS_MAX_FRAME_SIZE (and splits field blocks into CONTINUATION frames).
/// Padding octets are zero (RFC 9113 §6.1: "Padding octets MUST be set to zero when sending").
/// </summary>
public static class Http2FrameWriter
{
    private const int MaxPayloadLength = Http2Protocol.MaxMaxFrameSize;
    private const uint StreamIdMask = 0x7FFF_FFFF;

    /// <summary>Writes a 9-octet frame header (RFC 9113 §4.1).</summary>
    public static bool TryWriteFrameHeader(Span<byte> destination, int payloadLength, Http2FrameType type, Http2FrameFlags flags, int streamId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, MaxPayloadLength);
        ArgumentOutOfRangeException.ThrowIfNegative(streamId);
        if (destination.Length < Http2Protocol.FrameHeaderLength)
        {
            return false;
        }

        destination[0] = (byte)(payloadLength >> 16);
        destination[1] = (byte)(payloadLength >> 8);
        destination[2] = (byte)payloadLength;
        destination[3] = (byte)type;
        destination[4] = (byte)flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[5..], (uint)streamId & StreamIdMask);
        return true;
    }

    /// <summary>Writes a frame of any type with the given payload (extension frames, tests).</summary>
    public static bool TryWriteFrame(Span<byte> destination, Http2FrameType type, Http2FrameFlags flags, int streamId, ReadOnlySpan<byte> payload, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < Http2Protocol.FrameHeaderLength + payload.Length
            || !TryWriteFrameHeader(destination, payload.Length, type, flags, streamId))
        {
            return false;
        }

        payload.CopyTo(destination[Http2Protocol.FrameHeaderLength..]);
        bytesWritten = Http2Protocol.FrameHeaderLength + payload.Length;
        return true;
    }

    /// <summary>Writes a DATA frame (§6.1) without padding.</summary>
    public static bool TryWriteData(Span<byte> destination, int streamId, ReadOnlySpan<byte> data, bool endStream, out int bytesWritten) =>
        TryWritePaddedContent(destination, Http2FrameType.Data, endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None, streamId, default, data, -1, out bytesWritten);

    /// <summary>Writes a DATA frame (§6.1) with a Pad Length field and <paramref name="padLength"/> (0 to 255) zero octets.</summary>
    public static bool TryWriteData(Span<byte> destination, int streamId, ReadOnlySpan<byte> data, bool endStream, int padLength, out int bytesWritten) =>
        TryWritePaddedContent(destination, Http2FrameType.Data, endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None, streamId, default, data, CheckPad(padLength), out bytesWritten);

    /// <summary>Writes a HEADERS frame (§6.2) without priority or padding.</summary>
    public static bool TryWriteHeaders(Span<byte> destination, int streamId, ReadOnlySpan<byte> fieldBlockFragment, bool endStream, bool endHeaders, out int bytesWritten) =>
        TryWriteHeaders(destination, streamId, fieldBlockFragment, endStream, endHeaders, null, -1, out bytesWritten);

    /// <summary>Writes a HEADERS frame (§6.2); <paramref name="padLength"/> -1 means not padded.</summary>
    public static bool TryWriteHeaders(Span<byte> destination, int streamId, ReadOnlySpan<byte> fieldBlockFragment, bool endStream, bool endHeaders, Http2Priority? priority, int padLength, out int bytesWritten)
    {
        Http2FrameFlags flags = (endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None) | (endHeaders ? Http2FrameFlags.EndHeaders : Http2FrameFlags.None);
        Span<byte> fixedFields = stackalloc byte[5];
        int fixedLength = 0;
        if (priority is { } p)
        {
            flags |= Http2FrameFlags.Priority;
            WritePriorityFields(fixedFields, p);
            fixedLength = 5;
        }

        return TryWritePaddedContent(destination, Http2FrameType.Headers, flags, streamId, fixedFields[..fixedLength], fieldBlockFragment, padLength < 0 ? -1 : CheckPad(padLength), out bytesWritten);
    }

    /// <summary>Writes a PRIORITY frame (§6.3).</summary>
    public static bool TryWritePriority(Span<byte> destination, int streamId, Http2Priority priority, out int bytesWritten)
    {
        Span<byte> payload = stackalloc byte[5];
        WritePriorityFields(payload, priority);
        return TryWriteFrame(destination, Http2FrameType.Priority, Http2FrameFlags.None, streamId, payload, out bytesWritten);
    }

    /// <summary>Writes a RST_STREAM frame (§6.4).</summary>
    public static bool TryWriteRstStream(Span<byte> destination, int streamId, Http2ErrorCode errorCode, out int bytesWritten)
    {
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)errorCode);
        return TryWriteFrame(destination, Http2FrameType.RstStream, Http2FrameFlags.None, streamId, payload, out bytesWritten);
    }

    /// <summary>Writes a SETTINGS frame (§6.5) with the given parameters, in order.</summary>
    public static bool TryWriteSettings(Span<byte> destination, ReadOnlySpan<Http2Setting> settings, out int bytesWritten)
    {
        bytesWritten = 0;
        int length = settings.Length * Http2Protocol.SettingLength;
        if (destination.Length < Http2Protocol.FrameHeaderLength + length
            || !TryWriteFrameHeader(destination, length, Http2FrameType.Settings, Http2FrameFlags.None, 0))
        {
            return false;
        }

        Span<byte> payload = destination[Http2Protocol.FrameHeaderLength..];
        foreach (Http2Setting setting in settings)
        {
            BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)setting.Parameter);
            BinaryPrimitives.WriteUInt32BigEndian(payload[2..], setting.Value);
            payload = payload[Http2Protocol.SettingLength..];
        }

        bytesWritten = Http2Protocol.FrameHeaderLength + length;
        return true;
    }

    /// <summary>Writes an empty SETTINGS frame with ACK (§6.5.3).</summary>
    public static bool TryWriteSettingsAck(Span<byte> destination, out int bytesWritten) =>
        TryWriteFrame(destination, Http2FrameType.Settings, Http2FrameFlags.Ack, 0, default, out bytesWritten);

    /// <summary>Writes a PUSH_PROMISE frame (§6.6); <paramref name="padLength"/> -1 means not padded.</summary>
    public static bool TryWritePushPromise(Span<byte> destination, int streamId, int promisedStreamId, ReadOnlySpan<byte> fieldBlockFragment, bool endHeaders, int padLength, out int bytesWritten)
    {
        Span<byte> promised = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(promised, (uint)promisedStreamId & StreamIdMask);
        return TryWritePaddedContent(destination, Http2FrameType.PushPromise, endHeaders ? Http2FrameFlags.EndHeaders : Http2FrameFlags.None, streamId, promised, fieldBlockFragment, padLength < 0 ? -1 : CheckPad(padLength), out bytesWritten);
    }

    /// <summary>Writes a PING frame (§6.7) carrying <paramref name="opaqueData"/> big-endian.</summary>
    public static bool TryWritePing(Span<byte> destination, ulong opaqueData, bool ack, out int bytesWritten)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(payload, opaqueData);
        return TryWriteFrame(destination, Http2FrameType.Ping, ack ? Http2FrameFlags.Ack : Http2FrameFlags.None, 0, payload, out bytesWritten);
    }

    /// <summary>Writes a GOAWAY frame (§6.8).</summary>
    public static bool TryWriteGoAway(Span<byte> destination, int lastStreamId, Http2ErrorCode errorCode, ReadOnlySpan<byte> debugData, out int bytesWritten)
    {
        bytesWritten = 0;
        int length = 8 + debugData.Length;
        if (destination.Length < Http2Protocol.FrameHeaderLength + length
            || !TryWriteFrameHeader(destination, length, Http2FrameType.GoAway, Http2FrameFlags.None, 0))
        {
            return false;
        }

        Span<byte> payload = destination[Http2Protocol.FrameHeaderLength..];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)lastStreamId & StreamIdMask);
        BinaryPrimitives.WriteUInt32BigEndian(payload[4..], (uint)errorCode);
        debugData.CopyTo(payload[8..]);
        bytesWritten = Http2Protocol.FrameHeaderLength + length;
        return true;
    }

    /// <summary>Writes a WINDOW_UPDATE frame (§6.9); stream 0 is the connection window.</summary>
    public static bool TryWriteWindowUpdate(Span<byte> destination, int streamId, int increment, out int bytesWritten)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(increment);
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)increment);
        return TryWriteFrame(destination, Http2FrameType.WindowUpdate, Http2FrameFlags.None, streamId, payload, out bytesWritten);
    }

    /// <summary>Writes a CONTINUATION frame (§6.10).</summary>
    public static bool TryWriteContinuation(Span<byte> destination, int streamId, ReadOnlySpan<byte> fieldBlockFragment, bool endHeaders, out int bytesWritten) =>
        TryWriteFrame(destination, Http2FrameType.Continuation, endHeaders ? Http2FrameFlags.EndHeaders : Http2FrameFlags.None, streamId, fieldBlockFragment, out bytesWritten);

    /// <summary>Writes a DATA frame into <paramref name="writer"/>.</summary>
    public static void WriteData(IBufferWriter<byte> writer, int streamId, ReadOnlySpan<byte> data, bool endStream)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWriteData(writer.GetSpan(Http2Protocol.FrameHeaderLength + data.Length), streamId, data, endStream, out int written), written);
    }

    /// <summary>Writes a HEADERS frame into <paramref name="writer"/>.</summary>
    public static void WriteHeaders(IBufferWriter<byte> writer, int streamId, ReadOnlySpan<byte> fieldBlockFragment, bool endStream, bool endHeaders)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWriteHeaders(writer.GetSpan(Http2Protocol.FrameHeaderLength + fieldBlockFragment.Length), streamId, fieldBlockFragment, endStream, endHeaders, out int written), written);
    }

    /// <summary>Writes a PRIORITY frame into <paramref name="writer"/>.</summary>
    public static void WritePriority(IBufferWriter<byte> writer, int streamId, Http2Priority priority)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWritePriority(writer.GetSpan(Http2Protocol.FrameHeaderLength + 5), streamId, priority, out int written), written);
    }

    /// <summary>Writes a RST_STREAM frame into <paramref name="writer"/>.</summary>
    public static void WriteRstStream(IBufferWriter<byte> writer, int streamId, Http2ErrorCode errorCode)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWriteRstStream(writer.GetSpan(Http2Protocol.FrameHeaderLength + 4), streamId, errorCode, out int written), written);
    }

    /// <summary>Writes a SETTINGS frame into <paramref name="writer"/>.</summary>
    public static void WriteSettings(IBufferWriter<byte> writer, ReadOnlySpan<Http2Setting> settings)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWriteSettings(writer.GetSpan(Http2Protocol.FrameHeaderLength + (settings.Length * Http2Protocol.SettingLength)), settings, out int written), written);
    }

    /// <summary>Writes a SETTINGS ACK frame into <paramref name="writer"/>.</summary>
    public static void WriteSettingsAck(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWriteSettingsAck(writer.GetSpan(Http2Protocol.FrameHeaderLength), out int written), written);
    }

    /// <summary>Writes a PUSH_PROMISE frame (not padded) into <paramref name="writer"/>.</summary>
    public static void WritePushPromise(IBufferWriter<byte> writer, int streamId, int promisedStreamId, ReadOnlySpan<byte> fieldBlockFragment, bool endHeaders)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWritePushPromise(writer.GetSpan(Http2Protocol.FrameHeaderLength + 4 + fieldBlockFragment.Length), streamId, promisedStreamId, fieldBlockFragment, endHeaders, -1, out int written), written);
    }

    /// <summary>Writes a PING frame into <paramref name="writer"/>.</summary>
    public static void WritePing(IBufferWriter<byte> writer, ulong opaqueData, bool ack)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWritePing(writer.GetSpan(Http2Protocol.FrameHeaderLength + 8), opaqueData, ack, out int written), written);
    }

    /// <summary>Writes a GOAWAY frame into <paramref name="writer"/>.</summary>
    public static void WriteGoAway(IBufferWriter<byte> writer, int lastStreamId, Http2ErrorCode errorCode, ReadOnlySpan<byte> debugData)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWriteGoAway(writer.GetSpan(Http2Protocol.FrameHeaderLength + 8 + debugData.Length), lastStreamId, errorCode, debugData, out int written), written);
    }

    /// <summary>Writes a WINDOW_UPDATE frame into <paramref name="writer"/>.</summary>
    public static void WriteWindowUpdate(IBufferWriter<byte> writer, int streamId, int increment)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWriteWindowUpdate(writer.GetSpan(Http2Protocol.FrameHeaderLength + 4), streamId, increment, out int written), written);
    }

    /// <summary>Writes a CONTINUATION frame into <paramref name="writer"/>.</summary>
    public static void WriteContinuation(IBufferWriter<byte> writer, int streamId, ReadOnlySpan<byte> fieldBlockFragment, bool endHeaders)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Commit(writer, TryWriteContinuation(writer.GetSpan(Http2Protocol.FrameHeaderLength + fieldBlockFragment.Length), streamId, fieldBlockFragment, endHeaders, out int written), written);
    }

    // [Pad Length] [fixed fields] content [padding]; padLength -1 means no PADDED flag.
    private static bool TryWritePaddedContent(Span<byte> destination, Http2FrameType type, Http2FrameFlags flags, int streamId, ReadOnlySpan<byte> fixedFields, ReadOnlySpan<byte> content, int padLength, out int bytesWritten)
    {
        bytesWritten = 0;
        bool padded = padLength >= 0;
        int length = (padded ? 1 + padLength : 0) + fixedFields.Length + content.Length;
        if (padded)
        {
            flags |= Http2FrameFlags.Padded;
        }

        if (destination.Length < Http2Protocol.FrameHeaderLength + length
            || !TryWriteFrameHeader(destination, length, type, flags, streamId))
        {
            return false;
        }

        Span<byte> payload = destination.Slice(Http2Protocol.FrameHeaderLength, length);
        if (padded)
        {
            payload[0] = (byte)padLength;
            payload = payload[1..];
        }

        fixedFields.CopyTo(payload);
        content.CopyTo(payload[fixedFields.Length..]);
        if (padded)
        {
            payload[(fixedFields.Length + content.Length)..].Clear();
        }

        bytesWritten = Http2Protocol.FrameHeaderLength + length;
        return true;
    }

    private static void WritePriorityFields(Span<byte> destination, Http2Priority priority)
    {
        uint dependency = ((uint)priority.StreamDependency & StreamIdMask) | (priority.Exclusive ? 0x8000_0000u : 0u);
        BinaryPrimitives.WriteUInt32BigEndian(destination, dependency);
        destination[4] = priority.Weight;
    }

    private static int CheckPad(int padLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(padLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(padLength, 255);
        return padLength;
    }

    private static void Commit(IBufferWriter<byte> writer, bool success, int written)
    {
        if (!success)
        {
            ThrowBufferTooSmall();
        }

        writer.Advance(written);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowBufferTooSmall() =>
        throw new InvalidOperationException("The buffer writer returned less memory than requested.");
}
