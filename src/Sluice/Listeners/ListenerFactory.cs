using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Transport;

namespace Sluice.Listeners;

/// <summary>One socket opened for a bind line, with the text HAProxy shows for it in messages.</summary>
/// <param name="Key">What identifies the socket for a reload (<see cref="InheritedSockets.Key"/>).</param>
/// <param name="Inherited">Taken over from the configuration a reload replaces, not opened here.</param>
internal readonly record struct OpenedSocket(Socket Socket, string EndPointText, string Key = "", bool Inherited = false);

/// <summary>
/// Opens the listening sockets of bind lines: TCP on IPv4 and IPv6 (one socket per port of a range, with
/// SO_REUSEADDR, `v4v6`/`v6only`), unix sockets on the filesystem (`mode`, `user` and `group` applied, then
/// renamed over a stale socket file), Linux abstract sockets (`abns@`), and inherited sockets (`fd@N`).
/// </summary>
internal static class ListenerFactory
{
    /// <summary>
    /// HAProxy's rule for the listen queue: the bind's `backlog`, else the frontend's `backlog`, else the
    /// frontend's `maxconn`, else the global `maxconn`, else the kernel's usual 1024.
    /// </summary>
    public static int Backlog(BindConfig bind, FrontendConfig frontend, GlobalConfig global)
    {
        if (bind.Backlog is int b && b > 0)
        {
            return b;
        }

        if (frontend.Backlog is int f && f > 0)
        {
            return f;
        }

        if (frontend.MaxConn > 0)
        {
            return frontend.MaxConn;
        }

        return global.MaxConn > 0 ? global.MaxConn : 1024;
    }

    /// <summary>
    /// Opens every socket of <paramref name="bind"/> into <paramref name="opened"/>. On a failure adds an alert in
    /// HAProxy's words (`Starting frontend NAME: cannot bind socket (REASON) [ADDR]`) and returns false; the
    /// sockets opened so far stay in the list for the caller to close.
    /// </summary>
    public static bool TryOpen(BindConfig bind, FrontendConfig frontend, GlobalConfig global, int backlog, List<OpenedSocket> opened, DiagnosticBag diagnostics, InheritedSockets? inherited = null)
    {
        var first = opened.Count;
        var ok = TryOpenOrInherit(bind, frontend, global, backlog, opened, diagnostics, inherited);
        for (var i = first; i < opened.Count; i++)
        {
            if (opened[i].Key.Length == 0)
            {
                opened[i] = opened[i] with { Key = InheritedSockets.Key(bind, opened[i].EndPointText, global) };
            }
        }

        return ok;
    }

    private static bool TryOpenOrInherit(BindConfig bind, FrontendConfig frontend, GlobalConfig global, int backlog, List<OpenedSocket> opened, DiagnosticBag diagnostics, InheritedSockets? inherited)
    {
        if (inherited is not null && TryInherit(bind, global, opened, inherited))
        {
            return true;
        }

        NetworkNamespace? inNamespace = null;
        if (bind.Namespace is { } name)
        {
            inNamespace = NetworkNamespace.Enter(name, out var error);
            if (inNamespace is null)
            {
                Fail(diagnostics, frontend, "cannot switch to network namespace " + name, error!, bind.Address.Text);
                return false;
            }
        }

        using (inNamespace)
        {
            return TryOpenHere(bind, frontend, global, backlog, opened, diagnostics);
        }
    }

    /// <summary>
    /// Takes over every socket of <paramref name="bind"/> from the running configuration, or none: a bind is
    /// either kept whole or opened anew.
    /// </summary>
    private static bool TryInherit(BindConfig bind, GlobalConfig global, List<OpenedSocket> opened, InheritedSockets inherited)
    {
        var texts = new List<string>();
        switch (bind.Address)
        {
            case InetBindAddress inet:
                for (var port = inet.FirstPort; port <= inet.LastPort; port++)
                {
                    for (var copy = 0; copy < SocketsPerAddress(bind, global); copy++)
                    {
                        texts.Add(Config.Parsing.AddressParser.FormatEndPoint(inet.Address, port));
                    }
                }

                break;
            case UnixBindAddress unix:
                texts.Add(unix.Path);
                break;
            case AbstractBindAddress abns:
                texts.Add(string.Concat("abns@", abns.Name));
                break;
            case FdBindAddress fd:
                texts.Add(string.Concat("fd@", fd.Fd.ToString(CultureInfo.InvariantCulture)));
                break;
        }

        var taken = new List<OpenedSocket>(texts.Count);
        foreach (var text in texts)
        {
            var key = InheritedSockets.Key(bind, text, global);
            if (!inherited.TryTake(key, out var socket))
            {
                // Not all there: the ones taken go back, and the bind opens its own.
                foreach (var back in taken)
                {
                    inherited.GiveBack(back.Key, back.Socket);
                }

                return false;
            }

            taken.Add(new OpenedSocket(socket, text, key, Inherited: true));
        }

        opened.AddRange(taken);
        return texts.Count > 0;
    }

    /// <summary>The accept loops of a listening address: one per thread of `nbthread`, or of the bind's `thread` set.</summary>
    private static int Threads(BindConfig bind, GlobalConfig global)
    {
        var all = Config.ConfigBuilder.AllThreads(global);
        return bind.Threads == 0 ? System.Numerics.BitOperations.PopCount(all) : Math.Max(1, System.Numerics.BitOperations.PopCount(bind.Threads & all));
    }

    /// <summary>
    /// Sockets per listening address: with SO_REUSEPORT, `shards N` of them (at most one per thread), or one per
    /// thread by default and with `shards by-thread`, so that the kernel spreads connections over them; otherwise one.
    /// </summary>
    public static int SocketsPerAddress(BindConfig bind, GlobalConfig global)
    {
        if (bind.Address is not InetBindAddress || global.NoReusePort)
        {
            return 1;
        }

        var threads = Threads(bind, global);
        return bind.Shards is { } shards and > 0 ? Math.Min(shards, threads) : threads;
    }

    /// <summary>Accept loops per socket: the threads share the sockets; a socket that cannot be repeated (no SO_REUSEPORT, unix) has them all.</summary>
    public static int AcceptLoopsPerSocket(BindConfig bind, GlobalConfig global) =>
        Math.Max(1, Threads(bind, global) / SocketsPerAddress(bind, global));

    private static bool TryOpenHere(BindConfig bind, FrontendConfig frontend, GlobalConfig global, int backlog, List<OpenedSocket> opened, DiagnosticBag diagnostics)
    {
        switch (bind.Address)
        {
            case InetBindAddress inet:
                var ok = true;
                var copies = SocketsPerAddress(bind, global);
                for (var port = inet.FirstPort; port <= inet.LastPort; port++)
                {
                    var text = Config.Parsing.AddressParser.FormatEndPoint(inet.Address, port);
                    for (var copy = 0; copy < copies; copy++)
                    {
                        try
                        {
                            opened.Add(new OpenedSocket(OpenInet(inet.Address, port, bind, !global.NoReusePort, backlog), text));
                        }
                        catch (BindOptionException ex)
                        {
                            Fail(diagnostics, frontend, ex.What, ex.Message, text);
                            ok = false;
                            break;
                        }
                        catch (SocketException ex)
                        {
                            Fail(diagnostics, frontend, "cannot bind socket", ex.Message, text);
                            ok = false;
                            break;
                        }
                    }
                }

                return ok;

            case UnixBindAddress unix:
                return TryOpenUnix(unix, bind, frontend, backlog, opened, diagnostics);

            case AbstractBindAddress abns:
                var abnsText = string.Concat("abns@", abns.Name);
                var abnsSocket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    abnsSocket.Bind(new UnixDomainSocketEndPoint(string.Concat("\0", abns.Name)));
                    abnsSocket.Listen(backlog);
                    opened.Add(new OpenedSocket(abnsSocket, abnsText));
                    return true;
                }
                catch (SocketException ex)
                {
                    abnsSocket.Dispose();
                    Fail(diagnostics, frontend, "cannot bind socket", ex.Message, abnsText);
                    return false;
                }

            case FdBindAddress fd:
                var fdText = string.Concat("fd@", fd.Fd.ToString(CultureInfo.InvariantCulture));
                try
                {
                    var socket = new Socket(new SafeSocketHandle(fd.Fd, ownsHandle: true));
                    // An inherited socket may not be listening yet (a parent that only bound it).
                    socket.Listen(backlog);
                    opened.Add(new OpenedSocket(socket, fdText));
                    return true;
                }
                catch (Exception ex) when (ex is SocketException or ArgumentException)
                {
                    Fail(diagnostics, frontend, "cannot use inherited socket", ex.Message, fdText);
                    return false;
                }

            default:
                Fail(diagnostics, frontend, "cannot bind socket", "unsupported address", bind.Address.Text);
                return false;
        }
    }

    private static Socket OpenInet(IPAddress address, int port, BindConfig bind, bool reusePort, int backlog)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            // SO_REUSEPORT is HAProxy's default: other processes (a reload's new one, siblings of seed 000's offload
            // layer) may listen on the same port, and the kernel spreads connections over all the sockets. Set either
            // way, as .NET turns it on along with SO_REUSEADDR.
            SocketOptions.SetInt(socket, SocketOptions.SolSocket, SocketOptions.SoReusePort, reusePort ? 1 : 0, "cannot set SO_REUSEPORT");

            if (bind.Interface is { } device)
            {
                SocketOptions.BindToDevice(socket, device, "cannot bind receiver to device");
            }

            if (bind.Transparent)
            {
                SocketOptions.SetTransparent(socket, "cannot make listening socket transparent");
            }

            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                if (bind.V6Only)
                {
                    socket.DualMode = false;
                }
                else if (bind.V4V6)
                {
                    socket.DualMode = true;
                }
            }

            socket.Bind(new IPEndPoint(address, port));
            if (bind.DeferAccept)
            {
                SocketOptions.SetInt(socket, SocketOptions.IpProtoTcp, SocketOptions.TcpDeferAccept, 1, "cannot enable DEFER_ACCEPT");
            }

            if (bind.Mss is { } mss)
            {
                var value = mss > 0 ? mss : SocketOptions.GetInt(socket, SocketOptions.IpProtoTcp, SocketOptions.TcpMaxSeg) + mss;
                SocketOptions.SetInt(socket, SocketOptions.IpProtoTcp, SocketOptions.TcpMaxSeg, value, "cannot set MSS");
            }

            socket.Listen(backlog);
            if (bind.FastOpen)
            {
                SocketOptions.SetInt(socket, SocketOptions.IpProtoTcp, SocketOptions.TcpFastOpen, backlog, "cannot enable TCP_FASTOPEN");
            }

            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Binds a unix socket the way HAProxy does: on a temporary name next to the final one, with permissions and
    /// ownership set and listening, then renamed over the final path. The switch is atomic, so a stale socket
    /// file (or the socket of a process being replaced) is swapped out without a moment where the path refuses
    /// connections. It also keeps the final path when this socket closes: the runtime removes only the file it
    /// bound, which is the temporary name.
    /// </summary>
    private static bool TryOpenUnix(UnixBindAddress unix, BindConfig bind, FrontendConfig frontend, int backlog, List<OpenedSocket> opened, DiagnosticBag diagnostics)
    {
        var path = unix.Path;
        var temporary = string.Concat(path, ".", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), ".tmp");
        TryDelete(temporary);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(temporary));
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            Fail(diagnostics, frontend, "cannot bind UNIX socket", ex.Message, path);
            return false;
        }

        opened.Add(new OpenedSocket(socket, path));
        if (bind.UnixMode is int mode && !OperatingSystem.IsWindows())
        {
            try
            {
                File.SetUnixFileMode(temporary, (UnixFileMode)mode);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                TryDelete(temporary);
                Fail(diagnostics, frontend, "cannot change UNIX socket permissions", ex.Message, path);
                return false;
            }
        }

        if (UnixSocketOwnership.Apply(temporary, bind.UnixUser, bind.UnixGroup) is string reason)
        {
            TryDelete(temporary);
            Fail(diagnostics, frontend, "cannot change UNIX socket ownership", reason, path);
            return false;
        }

        try
        {
            socket.Listen(backlog);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            Fail(diagnostics, frontend, "cannot listen to UNIX socket", ex.Message, path);
            return false;
        }

        return true;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Bind reports the problem in its own words.
        }
    }

    private static void Fail(DiagnosticBag diagnostics, FrontendConfig frontend, string what, string reason, string address) =>
        diagnostics.Add(new ConfigDiagnostic(
            DiagnosticSeverity.Alert,
            string.Concat("Starting frontend ", frontend.Name, ": ", what, " (", reason, ") [", address, "]")));
}
