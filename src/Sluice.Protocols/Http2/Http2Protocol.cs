namespace Sluice.Protocols.Http2;

/// <summary>Constants of RFC 9113.</summary>
public static class Http2Protocol
{
    /// <summary>Length of the frame header (§4.1).</summary>
    public const int FrameHeaderLength = 9;

    /// <summary>Initial and minimum SETTINGS_MAX_FRAME_SIZE (§6.5.2).</summary>
    public const int MinMaxFrameSize = 16384;

    /// <summary>Largest allowed SETTINGS_MAX_FRAME_SIZE, 2^24-1 (§6.5.2).</summary>
    public const int MaxMaxFrameSize = 16777215;

    /// <summary>Largest flow-control window, 2^31-1 (§6.9.1).</summary>
    public const int MaxWindowSize = int.MaxValue;

    /// <summary>Initial flow-control window of a stream and of the connection (§6.9.2).</summary>
    public const int DefaultInitialWindowSize = 65535;

    /// <summary>Length of one SETTINGS parameter (§6.5.1).</summary>
    public const int SettingLength = 6;

    /// <summary>
    /// The client connection preface (§3.4): "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", followed by a SETTINGS frame.
    /// </summary>
    public static ReadOnlySpan<byte> ClientPreface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;
}
