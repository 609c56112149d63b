using System.Net;
using System.Net.Sockets;

namespace Sluice.Transport;

/// <summary>A socket's addresses, read safely: null once the socket is closed or reset.</summary>
internal static class SocketAddresses
{
    public static EndPoint? Remote(Socket socket) => Read(socket, remote: true);

    public static EndPoint? Local(Socket socket) => Read(socket, remote: false);

    private static EndPoint? Read(Socket socket, bool remote)
    {
        try
        {
            return remote ? socket.RemoteEndPoint : socket.LocalEndPoint;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }
}
