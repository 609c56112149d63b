using System.Buffers;

namespace Sluice.Mux.Tcp;

/// <summary>What rules that read the server's first bytes decide (`tcp-response content`).</summary>
internal enum ResponseVerdict
{
    /// <summary>No rule can decide on what came so far: read more while the delay runs.</summary>
    NeedMoreData,
    /// <summary>The bytes go to the client and the tunnel goes on.</summary>
    Forward,
    /// <summary>The bytes go to the client, then the server connection is cut and the tunnel ends.</summary>
    CloseServer,
    /// <summary>Nothing goes to the client; both connections end.</summary>
    Reject,
}

/// <summary>
/// Rules a tunnel runs on the server's first bytes before it forwards any of them, while the client's bytes
/// keep flowing to the server.
/// </summary>
internal interface IResponseInspector
{
    /// <summary>How long the rules may wait for more bytes (`tcp-response inspect-delay`); 0: they decide at once, on none.</summary>
    long DelayMs { get; }

    /// <summary>Runs the rules on <paramref name="received"/>; with <paramref name="final"/> nothing more will come and they must decide.</summary>
    ResponseVerdict Inspect(ReadOnlySequence<byte> received, bool final);
}
