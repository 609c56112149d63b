using System.Net;
using System.Net.Sockets;

namespace Sluice.Integration.Fixtures;

/// <summary>A running Sluice under test, in process or as the real program.</summary>
internal interface ISluiceInstance : IAsyncDisposable
{
    /// <summary>Everything printed: diagnostics and, under `-d`, one line per finished transaction.</summary>
    LineCollector Output { get; }
}

/// <summary>An address that must accept connections before a test starts.</summary>
internal sealed record ReadyProbe(EndPoint EndPoint)
{
    public static ReadyProbe Tcp(int port) => new(new IPEndPoint(IPAddress.Loopback, port));

    public static ReadyProbe Unix(string path) => new(new UnixDomainSocketEndPoint(path));

    public Socket CreateSocket() => EndPoint is UnixDomainSocketEndPoint
        ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
}
