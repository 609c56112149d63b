using Sluice.Config.Model;

namespace Sluice.Mux.Http2;

/// <summary>
/// The HTTP/2 limits of the connections of one side, from the `tune.h2.*` settings of the global section. For the
/// connections to servers, <see cref="MaxConcurrentStreams"/> caps the streams we open (0: the server's own limit).
/// </summary>
internal sealed record Http2Limits(int MaxConcurrentStreams, int InitialWindowSize, int HeaderTableSize, int MaxFrameSize)
{
    /// <summary>
    /// Anomalies (HAProxy's "glitches") a connection may commit before it is told GOAWAY(ENHANCE_YOUR_CALM): a
    /// graceful GOAWAY goes out at three quarters of it, as HAProxy does. HAProxy has no threshold by default; it
    /// does little work for a stream its client resets at once, where Sluice has already handed the request to a
    /// transaction, so Sluice keeps one by default (`tune.h2.fe.glitches-threshold 0` removes it). A browser that
    /// cancels a few navigations stays far below it; a rapid-reset client (CVE-2023-44487) reaches it after a few
    /// hundred streams.
    /// </summary>
    public const int DefaultGlitchesThreshold = 250;

    /// <summary>
    /// Frames that cost us work or an answer without carrying a request (PING, SETTINGS, PRIORITY, WINDOW_UPDATE,
    /// RST_STREAM of a closed stream) a client may send before it has earned more: each stream it opens earns
    /// <see cref="ControlFramesPerStream"/> more, each DATA frame we send it <see cref="ControlFramesPerDataFrameSent"/>
    /// (a WINDOW_UPDATE for the stream and one for the connection, and room for the PINGs a gRPC client sends to
    /// measure the bandwidth as data arrives), each non-empty DATA frame it sends <see cref="ControlFramesPerDataFrameReceived"/>.
    /// Past that it is a flood (CVE-2019-9512, -9513, -9515): GOAWAY(ENHANCE_YOUR_CALM).
    /// </summary>
    public const int ControlFramesAllowance = 1000;

    public const int ControlFramesPerStream = 10;

    public const int ControlFramesPerDataFrameSent = 4;

    public const int ControlFramesPerDataFrameReceived = 1;

    /// <summary>
    /// Wire bytes one field block (HEADERS and its CONTINUATION frames) may take, each frame counted as at least
    /// <see cref="MinFieldBlockFragmentCharge"/>: twice the decoded list limit, since an encoder never makes a
    /// block longer than its literal fields. Beyond it the block is a CONTINUATION flood (CVE-2024-27316):
    /// GOAWAY(ENHANCE_YOUR_CALM) without reading further, and nothing is buffered meanwhile (fragments are
    /// decoded as they arrive).
    /// </summary>
    public const int MaxFieldBlockBytes = 2 * MaxHeaderListSize;

    public const int MinFieldBlockFragmentCharge = 1024;

    /// <summary>The decoded header list a client may send (SETTINGS_MAX_HEADER_LIST_SIZE): beyond it, 431.</summary>
    public const int MaxHeaderListSize = 65536;

    /// <summary>HAProxy's defaults: 100 streams, the protocol's 65535-byte window, 4096-byte table, 16384-byte frames.</summary>
    public static readonly Http2Limits Default = new(100, 65535, 4096, 16384);

    /// <summary>`tune.h2.fe.glitches-threshold`; 0 for none.</summary>
    public int GlitchesThreshold { get; init; } = DefaultGlitchesThreshold;

    /// <summary>`tune.h2.fe.max-total-streams`: after that many streams, a graceful GOAWAY; 0 for no limit.</summary>
    public int MaxTotalStreams { get; init; }

    public static Http2Limits From(GlobalConfig global) =>
        new(global.H2MaxConcurrentStreams, global.H2FrontInitialWindowSize ?? global.H2InitialWindowSize, global.H2HeaderTableSize, global.H2MaxFrameSize)
        {
            GlitchesThreshold = global.H2FrontGlitchesThreshold,
            MaxTotalStreams = global.H2FrontMaxTotalStreams,
        };

    /// <summary>The limits of the connections to `proto h2` servers: `tune.h2.be.*` over `tune.h2.*`.</summary>
    public static Http2Limits ForServers(GlobalConfig global) =>
        new(global.H2BackMaxConcurrentStreams, global.H2BackInitialWindowSize ?? global.H2InitialWindowSize, global.H2HeaderTableSize, global.H2MaxFrameSize);
}
