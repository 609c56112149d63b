using System.Net;
using System.Net.Sockets;

namespace Sluice.Tests.Transport;

internal static class TestSockets
{
    /// <summary>Two ends of one loopback TCP connection.</summary>
    public static async Task<(Socket Outer, Socket Inner)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var outer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var connect = outer.ConnectAsync(listener.LocalEndPoint!);
        var inner = await listener.AcceptAsync();
        await connect;
        return (outer, inner);
    }
}
