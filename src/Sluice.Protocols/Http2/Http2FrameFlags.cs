namespace Sluice.Protocols.Http2;

/// <summary>
/// Frame flags (RFC 9113 §4.1). The same bit means different things for different frame types, hence
/// the aliases; a flag not defined for a frame type must be ignored (§4.1).
/// </summary>
[Flags]
public enum Http2FrameFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0x00,

    /// <summary>DATA, HEADERS: the last frame the sender will send on this stream (§6.1, §6.2).</summary>
    EndStream = 0x01,

    /// <summary>SETTINGS, PING: this frame acknowledges the peer's (§6.5, §6.7). Same bit (0x01) as <see cref="EndStream"/>.</summary>
    Ack = EndStream,

    /// <summary>HEADERS, PUSH_PROMISE, CONTINUATION: the field block ends in this frame (§6.2, §6.6, §6.10).</summary>
    EndHeaders = 0x04,

    /// <summary>DATA, HEADERS, PUSH_PROMISE: a Pad Length octet and padding are present (§6.1, §6.2, §6.6).</summary>
    Padded = 0x08,

    /// <summary>HEADERS: Exclusive, Stream Dependency and Weight fields are present (§6.2).</summary>
    Priority = 0x20,
}
