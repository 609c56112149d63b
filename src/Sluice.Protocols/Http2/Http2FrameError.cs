namespace Sluice.Protocols.Http2;

/// <summary>Whom an error ends (RFC 9113 §5.4).</summary>
public enum Http2ErrorScope : byte
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>§5.4.2: the stream is reset with RST_STREAM; the connection goes on.</summary>
    Stream = 1,

    /// <summary>§5.4.1: the connection ends with GOAWAY.</summary>
    Connection = 2,
}

/// <summary>An error found while reading a frame: its code, its scope and, for a stream error, the stream.</summary>
public readonly record struct Http2FrameError(Http2ErrorCode Code, Http2ErrorScope Scope, int StreamId)
{
    /// <summary>No error.</summary>
    public static Http2FrameError None => default;

    /// <summary>True when an error was found.</summary>
    public bool IsError => Scope != Http2ErrorScope.None;

    /// <summary>A connection error (GOAWAY).</summary>
    public static Http2FrameError Connection(Http2ErrorCode code) => new(code, Http2ErrorScope.Connection, 0);

    /// <summary>A stream error (RST_STREAM) on <paramref name="streamId"/>.</summary>
    public static Http2FrameError Stream(Http2ErrorCode code, int streamId) => new(code, Http2ErrorScope.Stream, streamId);
}
