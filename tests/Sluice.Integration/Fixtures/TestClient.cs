using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sluice.Integration.Fixtures;

/// <summary>Client helpers over loopback TCP and unix sockets, every wait bounded by the test timeout.</summary>
internal static class TestClient
{
    public static async Task<Socket> ConnectTcpAsync(int port, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null)
        {
            socket.Bind(new IPEndPoint(from, 0));
        }

        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), TestTimeout.Token());
        return socket;
    }

    public static async Task<Socket> ConnectUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), TestTimeout.Token());
        return socket;
    }

    public static Task<Socket> ConnectAbstractAsync(string name)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        return ConnectAsync(socket, new UnixDomainSocketEndPoint("\0" + name));
    }

    /// <summary>Reads until the peer's FIN and returns everything as ASCII.</summary>
    public static async Task<string> ReadToEndAsync(Socket socket)
    {
        var buffer = new byte[16384];
        var text = new StringBuilder();
        var token = TestTimeout.Token();
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            if (read == 0)
            {
                return text.ToString();
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }

    /// <summary>As <see cref="ReadToEndAsync"/>, but an empty string when the connection is reset (a proxy that refused it).</summary>
    public static async Task<string> ReadToEndQuietlyAsync(Socket socket)
    {
        try
        {
            return await ReadToEndAsync(socket);
        }
        catch (SocketException)
        {
            return string.Empty;
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    public static async Task<string> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        var token = TestTimeout.Token();
        var done = 0;
        while (done < count)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(done), SocketFlags.None, token);
            if (read == 0)
            {
                throw new IOException($"connection closed after {done} of {count} bytes");
            }

            done += read;
        }

        return Encoding.ASCII.GetString(buffer);
    }

    public static async Task<string> EchoRoundTripAsync(Socket socket, string message)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(message));
        return await ReadExactlyAsync(socket, message.Length);
    }

    private static async Task<Socket> ConnectAsync(Socket socket, EndPoint endPoint)
    {
        await socket.ConnectAsync(endPoint, TestTimeout.Token());
        return socket;
    }
}
