using System.Net;
using System.Net.Sockets;

namespace Sluice.TestKit.Network;

public static class Ports
{
    // Listening sockets share their port with SO_REUSEPORT (HAProxy's default), so two tests given one port would
    // both bind it and take each other's connections: a port is handed out once per test run.
    private static readonly HashSet<int> HandedOut = [];

    private static bool HandOut(int port)
    {
        lock (HandedOut)
        {
            return HandedOut.Add(port);
        }
    }

    /// <summary>
    /// A port for a listener that Sluice or another program opens later (haproxy, nginx, a python peer): chosen
    /// outside the kernel's ephemeral range (ip_local_port_range), where outgoing connections never take it, and
    /// checked free by a bind that is released at once. The caller still retries on a bind failure: another test
    /// may pick it too.
    /// </summary>
    public static int FreeListeningPort()
    {
        var (low, high) = EphemeralRange();
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var port = Random.Shared.Next(10000, 65536);
            if ((port >= low && port <= high) || !HandOut(port))
            {
                continue;
            }

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException($"no free port outside the ephemeral range {low}-{high}");
    }

    /// <summary>
    /// <paramref name="count"/> consecutive ports for a range (`source ADDR:LOW-HIGH`, `bind :LOW-HIGH`), all free a
    /// moment ago, outside the ephemeral range and handed out to no other test; the first is returned.
    /// </summary>
    public static int FreeListeningPortRange(int count)
    {
        var (low, high) = EphemeralRange();
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            var first = Random.Shared.Next(10000, 65536 - count);
            if (first + count - 1 >= low && first <= high)
            {
                continue;
            }

            if (Enumerable.Range(first, count).All(IsFree) && Enumerable.Range(first, count).All(HandOut))
            {
                return first;
            }
        }

        throw new InvalidOperationException($"no {count} free ports in a row outside the ephemeral range {low}-{high}");
    }

    private static bool IsFree(int port)
    {
        lock (HandedOut)
        {
            if (HandedOut.Contains(port))
            {
                return false;
            }
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static (int Low, int High) EphemeralRange()
    {
        try
        {
            var parts = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return (32768, 60999);
        }
    }

    /// <summary>A short private directory for unix sockets (their paths are limited to 107 bytes).</summary>
    public static string TempDirectory()
    {
        var path = Path.Combine("/tmp", "sl-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(path);
        return path;
    }
}
