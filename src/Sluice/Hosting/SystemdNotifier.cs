using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Sluice.Hosting;

/// <summary>
/// `-Ws`: tells systemd about a `Type=notify` service's state over the datagram socket named by NOTIFY_SOCKET
/// (sd_notify(3)): ready once the listeners are open, reloading while a reload runs and ready again after it,
/// stopping when asked to stop. The socket is connected at start, before any chroot, so that the notifications
/// still reach it from inside the jail. Without NOTIFY_SOCKET there is nobody to tell.
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    private const string SocketVariable = "NOTIFY_SOCKET";
    private readonly Socket _socket;

    private SystemdNotifier(Socket socket) => _socket = socket;

    /// <summary>The notifier of NOTIFY_SOCKET, or null when it is unset or cannot be reached (reported on stderr).</summary>
    public static SystemdNotifier? Connect()
    {
        var path = Environment.GetEnvironmentVariable(SocketVariable);
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        // An '@' names a socket of the abstract namespace, whose address begins with a NUL byte.
        var endPoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            socket.Connect(endPoint);
            return new SystemdNotifier(socket);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            Console.Error.WriteLine($"[WARNING] Cannot reach systemd's notification socket '{path}' ({ex.Message}): systemd will not be told of this service's state.");
            return null;
        }
    }

    public void Ready() => Send(string.Create(CultureInfo.InvariantCulture, $"READY=1\nMAINPID={Environment.ProcessId}"));

    public void Reloading() => Send("RELOADING=1");

    public void Stopping() => Send("STOPPING=1");

    private void Send(string state)
    {
        try
        {
            _socket.Send(Encoding.ASCII.GetBytes(state));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // systemd went away or the process is stopping: the state has nobody left to reach.
        }
    }

    public void Dispose() => _socket.Dispose();
}
