using System.Buffers;
using Sluice.Protocols.Http2;

namespace Sluice.Mux.Http2;

/// <summary>What a connection's read loop does with each frame read; a struct, so that the dispatch is specialised for it.</summary>
internal interface IHttp2FrameHandler
{
    /// <summary>A well-formed frame, in the connection's reused frame; returns a connection error or NoError.</summary>
    Http2ErrorCode OnFrame();

    /// <summary>§5.4.2: a frame the reader found faulty for its stream only; the stream is reset and the connection goes on.</summary>
    Http2ErrorCode OnStreamError(int streamId, Http2ErrorCode code);
}

/// <summary>
/// The read loops of the connections with clients and with servers: every complete frame of the input goes to
/// the handler, until the input runs out or a connection error ends the connection (RFC 9113 §5.4).
/// </summary>
internal static class Http2FrameDispatch
{
    /// <summary>
    /// Reads and handles the complete frames at the start of <paramref name="buffer"/>, which moves past them.
    /// Returns the first connection error, or NoError once only part of a frame is left.
    /// </summary>
    public static Http2ErrorCode Dispatch<THandler>(ref ReadOnlySequence<byte> buffer, Http2Frame frame, int maxFrameSize, ref THandler handler)
        where THandler : struct, IHttp2FrameHandler
    {
        while (Http2FrameReader.TryReadFrame(ref buffer, frame, maxFrameSize, out var frameError))
        {
            var error = frameError.Scope switch
            {
                Http2ErrorScope.Connection => frameError.Code,

                // §4.3: a field block that is not decoded leaves the HPACK state behind: the connection cannot go on.
                Http2ErrorScope.Stream when frame.Type == Http2FrameType.Headers => Http2ErrorCode.ProtocolError,
                Http2ErrorScope.Stream => handler.OnStreamError(frameError.StreamId, frameError.Code),
                _ => handler.OnFrame(),
            };
            if (error != Http2ErrorCode.NoError)
            {
                return error;
            }
        }

        return Http2ErrorCode.NoError;
    }
}
