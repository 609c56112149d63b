using System.Net.Sockets;
using System.Text;

namespace Sluice.Transport;

/// <summary>A socket option that could not be set: <see cref="What"/> is HAProxy's words for the step, the message the system's reason.</summary>
internal sealed class BindOptionException(string what, string reason) : Exception(reason)
{
    public string What { get; } = what;
}

/// <summary>The Linux socket options .NET has no names for, set by number.</summary>
internal static class SocketOptions
{
    public const int SolSocket = 1;
    public const int SoReusePort = 15;
    public const int SoBindToDevice = 25;
    public const int SolIp = 0;
    public const int IpTransparent = 19;
    public const int SolIpv6 = 41;
    public const int Ipv6Transparent = 75;
    public const int IpProtoTcp = 6;
    public const int TcpMaxSeg = 2;
    public const int TcpDeferAccept = 9;
    public const int TcpFastOpen = 23;

    /// <summary>Sets an integer option; a failure throws <see cref="BindOptionException"/> with <paramref name="what"/>.</summary>
    public static void SetInt(Socket socket, int level, int name, int value, string what)
    {
        Span<byte> bytes = stackalloc byte[4];
        BitConverter.TryWriteBytes(bytes, value);
        Set(socket, level, name, bytes, what);
    }

    public static int GetInt(Socket socket, int level, int name)
    {
        Span<byte> bytes = stackalloc byte[4];
        socket.GetRawSocketOption(level, name, bytes);
        return BitConverter.ToInt32(bytes);
    }

    /// <summary>SO_BINDTODEVICE: the socket sees only traffic of that interface.</summary>
    public static void BindToDevice(Socket socket, string device, string what)
    {
        var name = Encoding.ASCII.GetBytes(device + "\0");
        Set(socket, SolSocket, SoBindToDevice, name, what);
    }

    /// <summary>IP_TRANSPARENT or IPV6_TRANSPARENT, by the socket's family: it may bind to addresses this host does not own.</summary>
    public static void SetTransparent(Socket socket, string what)
    {
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
        {
            SetInt(socket, SolIpv6, Ipv6Transparent, 1, what);
        }
        else
        {
            SetInt(socket, SolIp, IpTransparent, 1, what);
        }
    }

    /// <summary>
    /// TCP keep-alive probes on a connection (`option clitcpka`/`srvtcpka`); nothing for unix sockets. A connection
    /// already gone is left alone: its transaction finds out on its own.
    /// </summary>
    public static void EnableKeepAlive(Socket socket, Config.Model.TcpKeepAliveConfig config)
    {
        if (socket.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return;
        }

        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
            if (config.Count is int count)
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount, count);
            }

            if (config.IdleSeconds is int idle)
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime, idle);
            }

            if (config.IntervalSeconds is int interval)
            {
                socket.SetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval, interval);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closed under us.
        }
    }

    /// <summary>SO_LINGER with a zero time (`option nolinger`): closing sends a reset and drops unsent data.</summary>
    public static void ResetOnClose(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Closed under us.
        }
    }

    private static void Set(Socket socket, int level, int name, ReadOnlySpan<byte> value, string what)
    {
        try
        {
            socket.SetRawSocketOption(level, name, value);
        }
        catch (SocketException ex)
        {
            throw new BindOptionException(what, ex.Message);
        }
    }
}
