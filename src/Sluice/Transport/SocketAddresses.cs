using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sluice.Transport;

/// <summary>A socket's addresses, read safely: null once the socket is closed or reset.</summary>
internal static class SocketAddresses
{
    private const int SolIp = 0;
    private const int SoOriginalDst = 80;
    private const int SockAddrInLength = 16;

    // The destinations netfilter rewrote (REDIRECT, DNAT) of accepted connections; an entry goes with its socket.
    private static readonly ConditionalWeakTable<Socket, EndPoint> OriginalDestinations = [];

    [ThreadStatic]
    private static byte[]? t_sockAddr;

    public static EndPoint? Remote(Socket socket) => Read(socket, remote: true);

    /// <summary>Our address: for an accepted connection that netfilter redirected, the one the client asked for.</summary>
    public static EndPoint? Local(Socket socket) =>
        OriginalDestinations.TryGetValue(socket, out var original) ? original : Read(socket, remote: false);

    /// <summary>
    /// Reads the destination an accepted IPv4 connection had before netfilter's REDIRECT or DNAT (SO_ORIGINAL_DST),
    /// as HAProxy's `dst` does, and keeps it as the connection's own address when it differs from the socket's.
    /// Without connection tracking the call fails at once and nothing changes.
    /// </summary>
    public static void NoteOriginalDestination(Socket socket)
    {
        if (socket.AddressFamily != AddressFamily.InterNetwork)
        {
            return;
        }

        var buffer = t_sockAddr ??= new byte[SockAddrInLength];
        var length = SockAddrInLength;
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (getsockopt((int)handle.DangerousGetHandle(), SolIp, SoOriginalDst, buffer, ref length) != 0 || length < 8)
            {
                return;
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        // struct sockaddr_in: family, port (network order), address. With connection tracking on, every connection
        // answers, most with the socket's own address: those allocate nothing.
        var port = (buffer[2] << 8) | buffer[3];
        Span<byte> local = stackalloc byte[4];
        if (Read(socket, remote: false) is IPEndPoint own && own.Port == port
            && own.Address.TryWriteBytes(local, out var written) && written == 4 && local.SequenceEqual(buffer.AsSpan(4, 4)))
        {
            return;
        }

        OriginalDestinations.AddOrUpdate(socket, new IPEndPoint(new IPAddress(buffer.AsSpan(4, 4)), port));
    }

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

#pragma warning disable SYSLIB1054 // LibraryImport would require AllowUnsafeBlocks for the whole project.
    [DllImport("libc", SetLastError = true)]
    private static extern int getsockopt(int socket, int level, int name, byte[] value, ref int length);
#pragma warning restore SYSLIB1054
}
