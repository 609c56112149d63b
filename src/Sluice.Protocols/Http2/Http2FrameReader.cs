using System.Buffers;
using System.Buffers.Binary;

namespace Sluice.Protocols.Http2;

/// <summary>
/// Reads one HTTP/2 frame from a buffer and checks the rules of RFC 9113 §4 and §6 that need no stream
/// or connection state. It has no side effects besides filling the frame it is given.
/// </summary>
/// <remarks>
/// Left to the connection (they need state or a role): the frame sequence of a field block
/// (CONTINUATION placement, §6.10), stream states (§5.1), flow-control windows, PUSH_PROMISE received
/// by a server, SETTINGS_ENABLE_PUSH sent by a server, and the first-frame-is-SETTINGS rule (§3.4).
/// </remarks>
public static class Http2FrameReader
{
    // Frame header (RFC 9113 §4.1):
    //
    // +-----------------------------------------------+
    // |                 Length (24)                   |  bytes 0-2, big-endian
    // +---------------+---------------+---------------+
    // |   Type (8)    |   Flags (8)   |                  bytes 3, 4
    // +-+-------------+---------------+-------------------------------+
    // |R|                 Stream Identifier (31)                      |  bytes 5-8, R ignored
    // +=+=============================================================+
    // |                   Frame Payload (0...)                      ...
    // +---------------------------------------------------------------+
    private const int LengthOffset = 0;
    private const int TypeOffset = 3;
    private const int FlagsOffset = 4;
    private const int StreamIdOffset = 5;
    private const uint StreamIdMask = 0x7FFF_FFFF;

    private const int PingLength = 8;
    private const int RstStreamLength = 4;
    private const int WindowUpdateLength = 4;
    private const int PriorityLength = 5;
    private const int GoAwayMinLength = 8;
    private const int PromisedStreamIdLength = 4;

    /// <summary>
    /// Reads the frame at the start of <paramref name="buffer"/> into <paramref name="frame"/>.
    /// </summary>
    /// <returns>
    /// False when the buffer does not hold a whole frame yet (nothing consumed; wait for more input).
    /// True when a frame was read: <paramref name="buffer"/> now starts after it and
    /// <paramref name="error"/> tells whether it broke a rule. A stream error leaves the frame filled
    /// (a HEADERS frame must still go through HPACK, RFC 9113 §4.3). A connection error may leave the
    /// buffer unconsumed: the connection ends anyway.
    /// </returns>
    /// <param name="buffer">Input; on true, sliced past the frame.</param>
    /// <param name="frame">The reused frame object.</param>
    /// <param name="maxFrameSize">Our SETTINGS_MAX_FRAME_SIZE: checked as soon as the header arrives, before waiting for the payload.</param>
    /// <param name="error">The rule broken, or <see cref="Http2FrameError.None"/>.</param>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, Http2Frame frame, int maxFrameSize, out Http2FrameError error)
    {
        ArgumentNullException.ThrowIfNull(frame);
        error = Http2FrameError.None;
        if (buffer.Length < Http2Protocol.FrameHeaderLength)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[Http2Protocol.FrameHeaderLength];
        buffer.Slice(0, Http2Protocol.FrameHeaderLength).CopyTo(header);
        int length = (header[LengthOffset] << 16) | (header[LengthOffset + 1] << 8) | header[LengthOffset + 2];
        frame.Reset();
        frame.PayloadLength = length;
        frame.Type = (Http2FrameType)header[TypeOffset];
        frame.Flags = (Http2FrameFlags)header[FlagsOffset];
        frame.StreamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(header[StreamIdOffset..]) & StreamIdMask);
        frame.Payload = default;

        // RFC 9113 §4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame exceeds the
        // size defined in SETTINGS_MAX_FRAME_SIZE". Treated as a connection error for every type (allowed
        // by §5.4.1), so the payload never has to be buffered or skipped.
        if (length > maxFrameSize)
        {
            error = Http2FrameError.Connection(Http2ErrorCode.FrameSizeError);
            return true;
        }

        if (buffer.Length - Http2Protocol.FrameHeaderLength < length)
        {
            // A length that no payload can make right is answered without waiting for a payload that may never come.
            error = ImpossibleLength(frame);
            return error.Scope != Http2ErrorScope.None;
        }

        frame.Payload = buffer.Slice(Http2Protocol.FrameHeaderLength, length);
        buffer = buffer.Slice(Http2Protocol.FrameHeaderLength + length);
        error = frame.Type switch
        {
            Http2FrameType.Data => ReadData(frame),
            Http2FrameType.Headers => ReadHeaders(frame),
            Http2FrameType.Priority => ReadPriority(frame),
            Http2FrameType.RstStream => ReadRstStream(frame),
            Http2FrameType.Settings => ReadSettings(frame),
            Http2FrameType.PushPromise => ReadPushPromise(frame),
            Http2FrameType.Ping => ReadPing(frame),
            Http2FrameType.GoAway => ReadGoAway(frame),
            Http2FrameType.WindowUpdate => ReadWindowUpdate(frame),
            Http2FrameType.Continuation => ReadContinuation(frame),

            // RFC 9113 §4.1: "Implementations MUST ignore and discard frames of unknown types."
            _ => Http2FrameError.None,
        };
        return true;
    }

    /// <summary>
    /// The connection errors FRAME_SIZE_ERROR that the header alone shows (§6.4, §6.5, §6.7, §6.9): the same rules the
    /// readers below apply to a whole frame.
    /// </summary>
    private static Http2FrameError ImpossibleLength(Http2Frame frame)
    {
        var length = frame.PayloadLength;
        var impossible = frame.Type switch
        {
            Http2FrameType.Settings => (frame.Flags & Http2FrameFlags.Ack) != 0 ? length != 0 : length % Http2Protocol.SettingLength != 0,
            Http2FrameType.Ping => length != PingLength,
            Http2FrameType.RstStream => length != RstStreamLength,
            Http2FrameType.WindowUpdate => length != WindowUpdateLength,
            _ => false,
        };
        return impossible ? Http2FrameError.Connection(Http2ErrorCode.FrameSizeError) : Http2FrameError.None;
    }

    private static Http2FrameError ReadData(Http2Frame frame)
    {
        // §6.1: "If a DATA frame is received whose Stream Identifier field is 0x00, the recipient MUST
        // respond with a connection error of type PROTOCOL_ERROR."
        if (frame.StreamId == 0)
        {
            return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
        }

        return ReadPadded(frame, fixedLength: 0);
    }

    //  +---------------+
    //  |Pad Length? (8)|
    //  +-+-------------+-----------------------------------------------+
    //  |E|                 Stream Dependency? (31)                     |
    //  +-+-------------+-----------------------------------------------+
    //  |  Weight? (8)  |
    //  +-+-------------+-----------------------------------------------+
    //  |                   Field Block Fragment (*)                  ...
    //  +---------------------------------------------------------------+
    //  |                           Padding (*)                       ...
    //  +---------------------------------------------------------------+
    private static Http2FrameError ReadHeaders(Http2Frame frame)
    {
        // §6.2: "If a HEADERS frame is received whose Stream Identifier field is 0x00, the recipient MUST
        // respond with a connection error of type PROTOCOL_ERROR."
        if (frame.StreamId == 0)
        {
            return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
        }

        bool hasPriority = (frame.Flags & Http2FrameFlags.Priority) != 0;
        Http2FrameError error = ReadPadded(frame, hasPriority ? PriorityLength : 0);
        if (error.IsError || !hasPriority)
        {
            return error;
        }

        int offset = (frame.Flags & Http2FrameFlags.Padded) != 0 ? 1 : 0;
        Http2Priority priority = ReadPriorityFields(frame.Payload.Slice(offset, PriorityLength));
        frame.Priority = priority;

        // §5.3.1: "A stream cannot depend on itself. An endpoint MUST treat this as a stream error of type PROTOCOL_ERROR."
        return priority.StreamDependency == frame.StreamId
            ? Http2FrameError.Stream(Http2ErrorCode.ProtocolError, frame.StreamId)
            : Http2FrameError.None;
    }

    //  +-+-------------------------------------------------------------+
    //  |E|                  Stream Dependency (31)                     |
    //  +-+-------------+-----------------------------------------------+
    //  |   Weight (8)  |
    //  +-+-------------+
    private static Http2FrameError ReadPriority(Http2Frame frame)
    {
        // §6.3: "If a PRIORITY frame is received with a stream identifier of 0x00, the recipient MUST
        // respond with a connection error of type PROTOCOL_ERROR."
        if (frame.StreamId == 0)
        {
            return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
        }

        // §6.3: "A PRIORITY frame with a length other than 5 octets MUST be treated as a stream error
        // of type FRAME_SIZE_ERROR."
        if (frame.PayloadLength != PriorityLength)
        {
            return Http2FrameError.Stream(Http2ErrorCode.FrameSizeError, frame.StreamId);
        }

        Http2Priority priority = ReadPriorityFields(frame.Payload);
        frame.Priority = priority;
        return priority.StreamDependency == frame.StreamId
            ? Http2FrameError.Stream(Http2ErrorCode.ProtocolError, frame.StreamId)
            : Http2FrameError.None;
    }

    //  +---------------------------------------------------------------+
    //  |                        Error Code (32)                        |
    //  +---------------------------------------------------------------+
    private static Http2FrameError ReadRstStream(Http2Frame frame)
    {
        // §6.4: "If a RST_STREAM frame is received with a stream identifier of 0x00, the recipient MUST
        // treat this as a connection error of type PROTOCOL_ERROR."
        if (frame.StreamId == 0)
        {
            return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
        }

        // §6.4: "A RST_STREAM frame with a length other than 4 octets MUST be treated as a connection
        // error of type FRAME_SIZE_ERROR."
        if (frame.PayloadLength != RstStreamLength)
        {
            return Http2FrameError.Connection(Http2ErrorCode.FrameSizeError);
        }

        frame.ErrorCode = (Http2ErrorCode)ReadUInt32(frame.Payload);
        return Http2FrameError.None;
    }

    //  +-------------------------------+
    //  |       Identifier (16)         |
    //  +-------------------------------+-------------------------------+
    //  |                        Value (32)                             |
    //  +---------------------------------------------------------------+
    private static Http2FrameError ReadSettings(Http2Frame frame)
    {
        // §6.5: "If an endpoint receives a SETTINGS frame whose Stream Identifier field is anything other
        // than 0x00, the endpoint MUST respond with a connection error of type PROTOCOL_ERROR."
        if (frame.StreamId != 0)
        {
            return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
        }

        if ((frame.Flags & Http2FrameFlags.Ack) != 0)
        {
            // §6.5: "Receipt of a SETTINGS frame with the ACK flag set and a length field value other
            // than 0 MUST be treated as a connection error of type FRAME_SIZE_ERROR."
            return frame.PayloadLength == 0 ? Http2FrameError.None : Http2FrameError.Connection(Http2ErrorCode.FrameSizeError);
        }

        // §6.5: "A SETTINGS frame with a length other than a multiple of 6 octets MUST be treated as a
        // connection error of type FRAME_SIZE_ERROR."
        if (frame.PayloadLength % Http2Protocol.SettingLength != 0)
        {
            return Http2FrameError.Connection(Http2ErrorCode.FrameSizeError);
        }

        var reader = new SequenceReader<byte>(frame.Payload);
        while (reader.TryReadBigEndian(out short identifier) && reader.TryReadBigEndian(out int signedValue))
        {
            uint value = (uint)signedValue;
            switch ((Http2SettingsParameter)(ushort)identifier)
            {
                // §6.5.2: "Any value other than 0 or 1 MUST be treated as a connection error of type PROTOCOL_ERROR."
                case Http2SettingsParameter.EnablePush:
                // RFC 8441 §3 and RFC 9218 §2.1: the value is 0 or 1.
                case Http2SettingsParameter.EnableConnectProtocol:
                case Http2SettingsParameter.NoRfc7540Priorities:
                    if (value > 1)
                    {
                        return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
                    }

                    break;

                // §6.5.2: "Values above the maximum flow-control window size of 2^31-1 MUST be treated as
                // a connection error of type FLOW_CONTROL_ERROR."
                case Http2SettingsParameter.InitialWindowSize:
                    if (value > Http2Protocol.MaxWindowSize)
                    {
                        return Http2FrameError.Connection(Http2ErrorCode.FlowControlError);
                    }

                    break;

                // §6.5.2: "Values outside this range [2^14 .. 2^24-1] MUST be treated as a connection
                // error of type PROTOCOL_ERROR."
                case Http2SettingsParameter.MaxFrameSize:
                    if (value < Http2Protocol.MinMaxFrameSize || value > Http2Protocol.MaxMaxFrameSize)
                    {
                        return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
                    }

                    break;

                // §6.5.2: "An endpoint that receives a SETTINGS frame with any unknown or unsupported
                // identifier MUST ignore that setting."
                default:
                    break;
            }
        }

        return Http2FrameError.None;
    }

    //  +---------------+
    //  |Pad Length? (8)|
    //  +-+-------------+-----------------------------------------------+
    //  |R|                  Promised Stream ID (31)                    |
    //  +-+-----------------------------+-------------------------------+
    //  |                   Field Block Fragment (*)                  ...
    //  +---------------------------------------------------------------+
    //  |                           Padding (*)                       ...
    //  +---------------------------------------------------------------+
    private static Http2FrameError ReadPushPromise(Http2Frame frame)
    {
        // §6.6: "If the Stream Identifier field specifies the value 0x00, a recipient MUST respond with a
        // connection error of type PROTOCOL_ERROR."
        if (frame.StreamId == 0)
        {
            return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
        }

        Http2FrameError error = ReadPadded(frame, PromisedStreamIdLength);
        if (error.IsError)
        {
            return error;
        }

        int offset = (frame.Flags & Http2FrameFlags.Padded) != 0 ? 1 : 0;
        frame.PromisedStreamId = (int)(ReadUInt32(frame.Payload.Slice(offset)) & StreamIdMask);
        return Http2FrameError.None;
    }

    //  +---------------------------------------------------------------+
    //  |                      Opaque Data (64)                         |
    //  +---------------------------------------------------------------+
    private static Http2FrameError ReadPing(Http2Frame frame)
    {
        // §6.7: "If a PING frame is received with a Stream Identifier field value other than 0x00, the
        // recipient MUST respond with a connection error of type PROTOCOL_ERROR."
        if (frame.StreamId != 0)
        {
            return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
        }

        // §6.7: "Receipt of a PING frame with a length field value other than 8 MUST be treated as a
        // connection error of type FRAME_SIZE_ERROR."
        if (frame.PayloadLength != PingLength)
        {
            return Http2FrameError.Connection(Http2ErrorCode.FrameSizeError);
        }

        Span<byte> data = stackalloc byte[PingLength];
        frame.Payload.CopyTo(data);
        frame.PingData = BinaryPrimitives.ReadUInt64BigEndian(data);
        return Http2FrameError.None;
    }

    //  +-+-------------------------------------------------------------+
    //  |R|                  Last-Stream-ID (31)                        |
    //  +-+-------------------------------------------------------------+
    //  |                      Error Code (32)                          |
    //  +---------------------------------------------------------------+
    //  |                  Additional Debug Data (*)                    |
    //  +---------------------------------------------------------------+
    private static Http2FrameError ReadGoAway(Http2Frame frame)
    {
        // §6.8: "An endpoint MUST treat a GOAWAY frame with a stream identifier other than 0x00 as a
        // connection error of type PROTOCOL_ERROR."
        if (frame.StreamId != 0)
        {
            return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
        }

        // §4.2: a frame too small to contain mandatory frame data is a FRAME_SIZE_ERROR.
        if (frame.PayloadLength < GoAwayMinLength)
        {
            return Http2FrameError.Connection(Http2ErrorCode.FrameSizeError);
        }

        frame.LastStreamId = (int)(ReadUInt32(frame.Payload) & StreamIdMask);
        frame.ErrorCode = (Http2ErrorCode)ReadUInt32(frame.Payload.Slice(4));
        frame.DebugData = frame.Payload.Slice(GoAwayMinLength);
        return Http2FrameError.None;
    }

    //  +-+-------------------------------------------------------------+
    //  |R|              Window Size Increment (31)                     |
    //  +-+-------------------------------------------------------------+
    private static Http2FrameError ReadWindowUpdate(Http2Frame frame)
    {
        // §6.9: "A WINDOW_UPDATE frame with a length other than 4 octets MUST be treated as a connection
        // error of type FRAME_SIZE_ERROR."
        if (frame.PayloadLength != WindowUpdateLength)
        {
            return Http2FrameError.Connection(Http2ErrorCode.FrameSizeError);
        }

        int increment = (int)(ReadUInt32(frame.Payload) & StreamIdMask);
        frame.WindowSizeIncrement = increment;

        // §6.9: "A receiver MUST treat the receipt of a WINDOW_UPDATE frame with a flow-control window
        // increment of 0 as a stream error of type PROTOCOL_ERROR; errors on the connection flow-control
        // window MUST be treated as a connection error."
        if (increment == 0)
        {
            return frame.StreamId == 0
                ? Http2FrameError.Connection(Http2ErrorCode.ProtocolError)
                : Http2FrameError.Stream(Http2ErrorCode.ProtocolError, frame.StreamId);
        }

        return Http2FrameError.None;
    }

    private static Http2FrameError ReadContinuation(Http2Frame frame)
    {
        // §6.10: "If a CONTINUATION frame is received with a Stream Identifier field of 0x00, the
        // recipient MUST respond with a connection error of type PROTOCOL_ERROR."
        if (frame.StreamId == 0)
        {
            return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
        }

        frame.Content = frame.Payload;
        return Http2FrameError.None;
    }

    // Pad Length, then `fixedLength` octets of fixed fields, then content, then padding (DATA, HEADERS, PUSH_PROMISE).
    private static Http2FrameError ReadPadded(Http2Frame frame, int fixedLength)
    {
        int length = frame.PayloadLength;
        int padLength = 0;
        int start = fixedLength;
        if ((frame.Flags & Http2FrameFlags.Padded) != 0)
        {
            // §4.2: too small to hold the Pad Length field and the fixed fields.
            if (length < 1 + fixedLength)
            {
                return Http2FrameError.Connection(Http2ErrorCode.FrameSizeError);
            }

            padLength = ReadByte(frame.Payload);
            start++;

            // §6.1, §6.2, §6.6: "If the length of the padding is the length of the frame payload or
            // greater, the recipient MUST treat this as a connection error of type PROTOCOL_ERROR."
            // ("Padding that exceeds the size remaining for the field block fragment MUST be treated as a
            // PROTOCOL_ERROR" for HEADERS and PUSH_PROMISE: the same bound once the fixed fields are counted.)
            if (padLength > length - start)
            {
                return Http2FrameError.Connection(Http2ErrorCode.ProtocolError);
            }
        }
        else if (length < fixedLength)
        {
            return Http2FrameError.Connection(Http2ErrorCode.FrameSizeError);
        }

        frame.PadLength = padLength;
        frame.Content = frame.Payload.Slice(start, length - start - padLength);
        return Http2FrameError.None;
    }

    private static Http2Priority ReadPriorityFields(ReadOnlySequence<byte> fields)
    {
        Span<byte> bytes = stackalloc byte[PriorityLength];
        fields.Slice(0, PriorityLength).CopyTo(bytes);
        uint dependency = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return new Http2Priority((int)(dependency & StreamIdMask), (dependency & ~StreamIdMask) != 0, bytes[4]);
    }

    // Not FirstSpan[0]: a slice may start with an empty span at a segment boundary.
    private static byte ReadByte(ReadOnlySequence<byte> source)
    {
        Span<byte> bytes = stackalloc byte[1];
        source.Slice(0, 1).CopyTo(bytes);
        return bytes[0];
    }

    private static uint ReadUInt32(ReadOnlySequence<byte> source)
    {
        Span<byte> bytes = stackalloc byte[4];
        source.Slice(0, 4).CopyTo(bytes);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }
}
