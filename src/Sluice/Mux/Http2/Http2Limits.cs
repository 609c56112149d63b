using Sluice.Config.Model;

namespace Sluice.Mux.Http2;

/// <summary>The HTTP/2 limits of the front connections, from the `tune.h2.*` settings of the global section.</summary>
internal sealed record Http2Limits(int MaxConcurrentStreams, int InitialWindowSize, int HeaderTableSize, int MaxFrameSize)
{
    /// <summary>HAProxy's defaults: 100 streams, the protocol's 65535-byte window, 4096-byte table, 16384-byte frames.</summary>
    public static readonly Http2Limits Default = new(100, 65535, 4096, 16384);

    public static Http2Limits From(GlobalConfig global) =>
        new(global.H2MaxConcurrentStreams, global.H2InitialWindowSize, global.H2HeaderTableSize, global.H2MaxFrameSize);
}
