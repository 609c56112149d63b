using System.Net;
using System.Net.Sockets;

namespace Sluice.Integration.Fixtures;

internal static class Ports
{
    /// <summary>A port that was free a moment ago: bind 127.0.0.1:0, read the port, close.</summary>
    public static int FreeTcpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>A short private directory for unix sockets (their paths are limited to 107 bytes).</summary>
    public static string TempDirectory()
    {
        var path = Path.Combine("/tmp", "sl-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(path);
        return path;
    }
}
