using System.Buffers;
using System.Buffers.Binary;

namespace Sluice.Protocols.Http2;

/// <summary>Priority fields of HEADERS and PRIORITY frames (RFC 9113 §6.3, deprecated scheme of RFC 7540 §5.3).</summary>
/// <param name="StreamDependency">The stream this one depends on (31 bits).</param>
/// <param name="Exclusive">The E bit.</param>
/// <param name="Weight">The weight as sent (0 to 255); the effective weight is one more.</param>
public readonly record struct Http2Priority(int StreamDependency, bool Exclusive, byte Weight);

/// <summary>
/// One frame as read by <see cref="Http2FrameReader"/>. A connection keeps one instance for its whole
/// life and the reader overwrites it for every frame, so reading costs no allocation. The
/// <see cref="ReadOnlySequence{T}"/> members point into the caller's buffer and are valid until the
/// caller advances its reader past them. Only the members of the frame's type are meaningful.
/// </summary>
public sealed class Http2Frame
{
    /// <summary>Payload length from the frame header.</summary>
    public int PayloadLength { get; internal set; }

    /// <summary>Frame type; values outside <see cref="Http2FrameType"/> are extension frames.</summary>
    public Http2FrameType Type { get; internal set; }

    /// <summary>Flags as received, undefined ones included.</summary>
    public Http2FrameFlags Flags { get; internal set; }

    /// <summary>Stream identifier, reserved bit cleared.</summary>
    public int StreamId { get; internal set; }

    /// <summary>The whole payload.</summary>
    public ReadOnlySequence<byte> Payload { get; internal set; }

    /// <summary>True for the frame types of RFC 9113 §6; other types are to be ignored (§5.5).</summary>
    public bool IsKnownType => Type <= Http2FrameType.Continuation;

    /// <summary>DATA, HEADERS: END_STREAM is set.</summary>
    public bool EndStream => (Flags & Http2FrameFlags.EndStream) != 0 && (Type == Http2FrameType.Data || Type == Http2FrameType.Headers);

    /// <summary>HEADERS, PUSH_PROMISE, CONTINUATION: END_HEADERS is set.</summary>
    public bool EndHeaders => (Flags & Http2FrameFlags.EndHeaders) != 0;

    /// <summary>SETTINGS, PING: ACK is set.</summary>
    public bool IsAck => (Flags & Http2FrameFlags.Ack) != 0 && (Type == Http2FrameType.Settings || Type == Http2FrameType.Ping);

    /// <summary>DATA, HEADERS, PUSH_PROMISE: the Pad Length field (0 when not padded).</summary>
    public int PadLength { get; internal set; }

    /// <summary>DATA: the data, padding removed. HEADERS, PUSH_PROMISE, CONTINUATION: the field block fragment.</summary>
    public ReadOnlySequence<byte> Content { get; internal set; }

    /// <summary>HEADERS with the PRIORITY flag, and PRIORITY: the priority fields.</summary>
    public Http2Priority? Priority { get; internal set; }

    /// <summary>RST_STREAM, GOAWAY: the error code.</summary>
    public Http2ErrorCode ErrorCode { get; internal set; }

    /// <summary>PUSH_PROMISE: the promised stream identifier.</summary>
    public int PromisedStreamId { get; internal set; }

    /// <summary>PING: the 8 opaque octets, big-endian.</summary>
    public ulong PingData { get; internal set; }

    /// <summary>GOAWAY: the last stream identifier.</summary>
    public int LastStreamId { get; internal set; }

    /// <summary>GOAWAY: additional debug data.</summary>
    public ReadOnlySequence<byte> DebugData { get; internal set; }

    /// <summary>WINDOW_UPDATE: the increment (1 to 2^31-1 once validated).</summary>
    public int WindowSizeIncrement { get; internal set; }

    /// <summary>SETTINGS: number of parameters.</summary>
    public int SettingsCount => Type == Http2FrameType.Settings ? PayloadLength / Http2Protocol.SettingLength : 0;

    /// <summary>SETTINGS: parameter <paramref name="index"/>, in order; unknown identifiers included (to be ignored).</summary>
    public (Http2SettingsParameter Parameter, uint Value) GetSetting(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, SettingsCount);
        Span<byte> setting = stackalloc byte[Http2Protocol.SettingLength];
        Payload.Slice(index * Http2Protocol.SettingLength, Http2Protocol.SettingLength).CopyTo(setting);
        return ((Http2SettingsParameter)BinaryPrimitives.ReadUInt16BigEndian(setting), BinaryPrimitives.ReadUInt32BigEndian(setting[2..]));
    }

    internal void Reset()
    {
        PadLength = 0;
        Content = default;
        Priority = null;
        ErrorCode = Http2ErrorCode.NoError;
        PromisedStreamId = 0;
        PingData = 0;
        LastStreamId = 0;
        DebugData = default;
        WindowSizeIncrement = 0;
    }
}
