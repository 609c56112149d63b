using System.Globalization;
using System.Net.Sockets;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Listeners;
using Sluice.Stats;

namespace Sluice.RuntimeApi;

/// <summary>
/// The runtime API's listeners (`stats socket`, and the master CLI of `-S`): unix sockets (bound on a temporary
/// name, permissions and owner set, then renamed over the path, as for unix binds) and TCP sockets. Each accepted
/// client runs a <see cref="CliConnection"/> at the socket's level; at most `stats maxconn` at once.
/// </summary>
#pragma warning disable CA1001 // Clients still running release their slot after a stop; nothing holds a wait handle.
internal sealed class CliServer
{
    private readonly List<(Socket Socket, StatsSocketConfig Config)> _sockets = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _slots;
    private readonly Func<Socket, StatsSocketConfig, CliConnection> _connect;

    private CliServer(int maxConn, Func<Socket, StatsSocketConfig, CliConnection> connect)
    {
        _connect = connect;
        _slots = new SemaphoreSlim(maxConn, maxConn);
    }

    /// <summary>Opens every `stats socket`; on failure alerts, closes what it opened and returns null.</summary>
    /// <param name="listeners">The listening sockets, handed over on `_getsocks` where `expose-fd listeners` allows.</param>
    public static CliServer? Start(StatsHub hub, GlobalConfig global, DiagnosticBag diagnostics, Func<IReadOnlyList<Listeners.Listener>> listeners) =>
        Start(global.StatsSockets, global.StatsMaxConn, "Starting frontend GLOBAL", diagnostics,
            (socket, config) => new CliConnection(socket, hub, config.Level, global.StatsTimeout, config.ExposeListeners ? listeners : null));

    /// <summary>Opens <paramref name="sockets"/>; on failure alerts, naming <paramref name="owner"/>, closes what it opened and returns null.</summary>
    public static CliServer? Start(IReadOnlyList<StatsSocketConfig> sockets, int maxConn, string owner, DiagnosticBag diagnostics, Func<Socket, StatsSocketConfig, CliConnection> connect)
    {
        var server = new CliServer(maxConn, connect);
        foreach (var config in sockets)
        {
            var socket = Open(config, owner, diagnostics);
            if (socket is null)
            {
                server.Stop();
                return null;
            }

            server._sockets.Add((socket, config));
        }

        foreach (var (socket, config) in server._sockets)
        {
            server._loops.Add(Task.Run(() => server.AcceptLoopAsync(socket, config)));
        }

        return server;
    }

    public void Stop()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }

        foreach (var (socket, _) in _sockets)
        {
            socket.Dispose();
        }
    }

    private static Socket? Open(StatsSocketConfig config, string owner, DiagnosticBag diagnostics)
    {
        if (config.EndPoint is { } endPoint)
        {
            var tcp = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                tcp.Bind(endPoint);
                tcp.Listen(16);
                return tcp;
            }
            catch (SocketException ex)
            {
                tcp.Dispose();
                Alert(diagnostics, owner, config, "cannot bind socket", ex.Message);
                return null;
            }
        }

        var path = config.Path!;
        var temporary = string.Concat(path, ".", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), ".tmp");
        TryDelete(temporary);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(temporary));
            if (config.Mode is int mode && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, (UnixFileMode)mode);
            }

            if (UnixSocketOwnership.Apply(temporary, config.User, config.Group) is string reason)
            {
                throw new IOException(reason);
            }

            socket.Listen(16);
            File.Move(temporary, path, overwrite: true);
            return socket;
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            socket.Dispose();
            TryDelete(temporary);
            Alert(diagnostics, owner, config, "cannot bind UNIX socket", ex.Message);
            return null;
        }
    }

    private static void Alert(DiagnosticBag diagnostics, string owner, StatsSocketConfig config, string what, string reason) =>
        diagnostics.Add(new ConfigDiagnostic(DiagnosticSeverity.Alert, $"{owner}: {what} ({reason}) [{config.Text}]"));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing was there, or it is not ours: binding will say.
        }
    }

    private async Task AcceptLoopAsync(Socket listener, StatsSocketConfig config)
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                await _slots.WaitAsync(token).ConfigureAwait(false);
                client = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }

                _slots.Release();
                continue;
            }

            _ = RunAsync(_connect(client, config), token);
        }
    }

    private async Task RunAsync(CliConnection connection, CancellationToken token)
    {
        try
        {
            await connection.RunAsync(token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug in a command must end this client, not the process.
        }
        finally
        {
            _slots.Release();
        }
    }
}
#pragma warning restore CA1001
