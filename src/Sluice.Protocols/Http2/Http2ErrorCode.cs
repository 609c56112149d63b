namespace Sluice.Protocols.Http2;

/// <summary>Error codes of RFC 9113 §7, carried by RST_STREAM and GOAWAY. Unknown codes must not trigger special behaviour.</summary>
public enum Http2ErrorCode : uint
{
    /// <summary>Not an error, e.g. a graceful GOAWAY.</summary>
    NoError = 0x0,

    /// <summary>An unspecific protocol error.</summary>
    ProtocolError = 0x1,

    /// <summary>An unexpected internal error.</summary>
    InternalError = 0x2,

    /// <summary>The peer violated flow control.</summary>
    FlowControlError = 0x3,

    /// <summary>A SETTINGS frame was not acknowledged in time.</summary>
    SettingsTimeout = 0x4,

    /// <summary>A frame arrived after the stream was half-closed.</summary>
    StreamClosed = 0x5,

    /// <summary>A frame had an invalid size.</summary>
    FrameSizeError = 0x6,

    /// <summary>The stream was refused before any processing.</summary>
    RefusedStream = 0x7,

    /// <summary>The stream is no longer needed.</summary>
    Cancel = 0x8,

    /// <summary>The field compression context cannot be maintained.</summary>
    CompressionError = 0x9,

    /// <summary>The connection of a CONNECT request was reset or closed abnormally.</summary>
    ConnectError = 0xa,

    /// <summary>The peer is generating excessive load.</summary>
    EnhanceYourCalm = 0xb,

    /// <summary>The transport does not meet minimum security requirements.</summary>
    InadequateSecurity = 0xc,

    /// <summary>HTTP/1.1 is required instead.</summary>
    Http11Required = 0xd,
}
