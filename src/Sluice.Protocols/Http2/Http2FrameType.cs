namespace Sluice.Protocols.Http2;

/// <summary>Frame types of RFC 9113 §6. Other values are extension frames, which are ignored (§4.1, §5.5).</summary>
public enum Http2FrameType : byte
{
    /// <summary>§6.1: stream payload.</summary>
    Data = 0x0,

    /// <summary>§6.2: opens a stream and carries a field block fragment.</summary>
    Headers = 0x1,

    /// <summary>§6.3: deprecated priority signal; still parsed for its length and self-dependency rules.</summary>
    Priority = 0x2,

    /// <summary>§6.4: ends a stream with an error code.</summary>
    RstStream = 0x3,

    /// <summary>§6.5: connection parameters, or their acknowledgement.</summary>
    Settings = 0x4,

    /// <summary>§6.6: server push reservation.</summary>
    PushPromise = 0x5,

    /// <summary>§6.7: round-trip measurement and liveness.</summary>
    Ping = 0x6,

    /// <summary>§6.8: connection shutdown.</summary>
    GoAway = 0x7,

    /// <summary>§6.9: flow-control credit.</summary>
    WindowUpdate = 0x8,

    /// <summary>§6.10: further field block fragments.</summary>
    Continuation = 0x9,
}
