using System.Net;
using System.Net.Sockets;
using Sluice.Config.Model;

namespace Sluice.Transport;

/// <summary>Why a connection to a server could not be made.</summary>
internal enum ConnectError
{
    None = 0,
    /// <summary>Refused, reset, unreachable: the server side failed (`SC`).</summary>
    Refused = 1,
    /// <summary>No source port left in the range or the source address cannot be bound (`RC`).</summary>
    Resource = 2,
}

/// <summary>
/// Opens sockets towards servers: TCP over IPv4 or IPv6, unix sockets on the filesystem, and Linux abstract
/// sockets, bound first to the `source` address (and a port of its range) when one is configured. Timeouts
/// are not handled here: the caller disposes the socket when its deadline passes, which aborts the connect.
/// </summary>
internal static class ServerConnector
{
    /// <summary>
    /// The endpoint of a server for a client connection to <paramref name="destination"/> (its destination as rules
    /// left it: `set-dst`, `set-dst-port`, a PROXY header). The address `0.0.0.0` (or `::`) is that destination's
    /// address, a port of 0 without offset is its port, and an offset (`+N`/`-N`) is added to its port, as in
    /// HAProxy; without a destination (a unix client, a check) they stay as they are.
    /// </summary>
    public static EndPoint ResolveEndPoint(ServerAddress address, IPEndPoint? destination) => address switch
    {
        InetServerAddress inet => new IPEndPoint(
            inet.Address.Equals(IPAddress.Any) || inet.Address.Equals(IPAddress.IPv6Any) ? destination?.Address ?? inet.Address : inet.Address,
            inet.PortIsOffset ? (destination?.Port ?? 0) + inet.Port : inet.Port == 0 ? destination?.Port ?? 0 : inet.Port),
        UnixServerAddress unix => new UnixDomainSocketEndPoint(unix.Path),
        AbstractServerAddress abns => new UnixDomainSocketEndPoint(string.Concat("\0", abns.Name)),
        _ => throw new ArgumentOutOfRangeException(nameof(address), address.Text, "unknown server address kind"),
    };

    /// <summary>True when <see cref="ResolveEndPoint"/> depends on the client connection's destination.</summary>
    public static bool FollowsDestination(ServerAddress address) =>
        address is InetServerAddress inet && (inet.Port == 0 || inet.PortIsOffset || inet.Address.Equals(IPAddress.Any) || inet.Address.Equals(IPAddress.IPv6Any));

    /// <summary>
    /// Asks the SOCKS4 proxy <paramref name="socket"/> is connected to for a connection to <paramref name="target"/>;
    /// true once granted. A refusal, a reply that is no SOCKS4 one, a target it cannot name (not IPv4) or the
    /// proxy closing all give false; a failure of the socket throws as the socket does.
    /// </summary>
    public static async ValueTask<bool> ConnectThroughSocks4Async(Socket socket, EndPoint target, CancellationToken cancellation = default)
    {
        if (target is not IPEndPoint { AddressFamily: AddressFamily.InterNetwork } ipv4)
        {
            return false;
        }

        var exchange = new byte[Sluice.Protocols.Socks.Socks4.RequestLength];
        Sluice.Protocols.Socks.Socks4.WriteConnect(ipv4, exchange);
        await socket.SendAsync(exchange, SocketFlags.None, cancellation).ConfigureAwait(false);
        var reply = exchange.AsMemory(0, Sluice.Protocols.Socks.Socks4.ReplyLength);
        var read = 0;
        while (read < reply.Length)
        {
            var got = await socket.ReceiveAsync(reply[read..], SocketFlags.None, cancellation).ConfigureAwait(false);
            if (got == 0)
            {
                return false;
            }

            read += got;
        }

        return Sluice.Protocols.Socks.Socks4.ReplyCode(reply.Span) == Sluice.Protocols.Socks.Socks4.Granted;
    }

    public static Socket CreateSocket(EndPoint endPoint)
    {
        if (endPoint is UnixDomainSocketEndPoint)
        {
            return new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }

        // Tunnels forward what they read at once; Nagle would only add latency to small exchanges.
        return new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    }

    /// <summary>The endpoint `usesrc` binds to; null when it needs a client address there is none of (a unix client).</summary>
    private static IPEndPoint? Transparent(SourceConfig source, EndPoint? client)
    {
        var clientIp = client as IPEndPoint;
        return source.UseSource switch
        {
            UseSource.Address => source.UseSourceAddress,
            UseSource.Client when clientIp is not null => clientIp,
            UseSource.ClientIp when clientIp is not null => new IPEndPoint(clientIp.Address, 0),
            _ => null,
        };
    }

    /// <summary>The endpoint in the socket's family: IPv4 addresses mapped for an IPv6 socket, mapped ones unmapped for IPv4.</summary>
    private static IPEndPoint Matching(Socket socket, IPEndPoint endPoint)
    {
        var address = endPoint.Address;
        if (socket.AddressFamily == AddressFamily.InterNetworkV6 && address.AddressFamily == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv6();
        }
        else if (socket.AddressFamily == AddressFamily.InterNetwork && address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return new IPEndPoint(address, endPoint.Port);
    }

    /// <summary>
    /// Binds <paramref name="socket"/> to the source address, taking a port from <paramref name="ports"/> when the
    /// source has a range. A port already in use elsewhere is skipped (and kept out until it comes back).
    /// </summary>
    /// <param name="client">The client the connection is made for: `usesrc client|clientip` take its address.</param>
    /// <param name="takenPort">The port taken from the range, to give back when the connection closes; 0 if none.</param>
    public static ConnectError BindSource(Socket socket, SourceConfig source, SourcePortRange? ports, EndPoint? client, out int takenPort)
    {
        takenPort = 0;
        if (socket.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return ConnectError.None;
        }

        try
        {
            if (source.Interface is { } device)
            {
                SocketOptions.BindToDevice(socket, device, "cannot bind to device");
            }

            if (source.UseSource != UseSource.None && Transparent(source, client) is { } transparent)
            {
                // Bound to an address the host does not own (the client's): replies come back to this host only
                // where routing sends them here, as with HAProxy's `usesrc`.
                SocketOptions.SetTransparent(socket, "cannot bind to tproxy source address");
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(Matching(socket, transparent));
                return ConnectError.None;
            }
        }
        catch (Exception ex) when (ex is BindOptionException or SocketException)
        {
            return ConnectError.Resource;
        }

        var address = source.Address;
        if (socket.AddressFamily == AddressFamily.InterNetworkV6 && address.AddressFamily == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv6();
        }

        // Like HAProxy, allow a source port in TIME_WAIT (or in use towards another server) to be bound again:
        // the kernel still refuses a duplicate of the same four-tuple at connect.
        if (ports is not null || source.FirstPort > 0)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }

        if (ports is null)
        {
            try
            {
                socket.Bind(new IPEndPoint(address, source.FirstPort));
                return ConnectError.None;
            }
            catch (SocketException)
            {
                return ConnectError.Resource;
            }
        }

        var tries = ports.Count;
        List<int>? busy = null;
        try
        {
            for (var i = 0; i < tries; i++)
            {
                if (!ports.TryTake(out var port))
                {
                    return ConnectError.Resource;
                }

                try
                {
                    socket.Bind(new IPEndPoint(address, port));
                    takenPort = port;
                    return ConnectError.None;
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
                {
                    // Allocates: only when a port of the range is used by someone else.
                    (busy ??= []).Add(port);
                }
                catch (SocketException)
                {
                    ports.Return(port);
                    return ConnectError.Resource;
                }
            }

            return ConnectError.Resource;
        }
        finally
        {
            if (busy is not null)
            {
                foreach (var port in busy)
                {
                    ports.Return(port);
                }
            }
        }
    }
}
