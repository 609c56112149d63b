using System.Net.Sockets;
using Sluice.Config.Model;

namespace Sluice.Listeners;

/// <summary>
/// One listening socket (one port of a bind line's range, or one unix socket) and its accept loop. Before each
/// accept the loop takes a slot of every limit that applies (bind, frontend, global); the handler of the
/// accepted connection must call <see cref="ReleaseSlot"/> exactly once when the connection is over.
/// </summary>
internal sealed class Listener : IDisposable
{
    private readonly Socket _socket;
    private readonly ConnectionLimit?[] _limits;
    private readonly Action<Socket, Listener> _onAccepted;
    private readonly CancellationTokenSource _stop = new();
    private Task _acceptLoop = Task.CompletedTask;

    public Listener(Socket socket, BindConfig bind, string endpointText, ConnectionLimit?[] limits, Action<Socket, Listener> onAccepted)
    {
        _socket = socket;
        Bind = bind;
        EndPointText = endpointText;
        _limits = limits;
        _onAccepted = onAccepted;
    }

    public BindConfig Bind { get; }

    /// <summary>The address as listened on, e.g. `127.0.0.1:8080` or `/run/app.sock`.</summary>
    public string EndPointText { get; }

    /// <summary>The frontend's count of connections in progress (`feconn` in logs); null when nothing counts them.</summary>
    public ConnectionCounter? FrontendConnections { get; init; }

    public Socket Socket => _socket;

    public void Start() => _acceptLoop = Task.Run(AcceptLoopAsync);

    /// <summary>Stops accepting and closes the socket; connections already accepted are not touched.</summary>
    public Task CloseAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            // A unix socket file is left in place: a new process started for a reload has already bound its
            // own socket at that path, and removing it would cut that process off.
            _socket.Dispose();
        }

        return _acceptLoop;
    }

    public void Dispose()
    {
        _socket.Dispose();
        _stop.Dispose();
    }

    public void ReleaseSlot()
    {
        ConnectionCounter.Process.Decrement();
        FrontendConnections?.Decrement();
        foreach (var limit in _limits)
        {
            limit?.Release();
        }
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            var taken = 0;
            try
            {
                for (; taken < _limits.Length; taken++)
                {
                    if (_limits[taken] is { } limit)
                    {
                        await limit.WaitAsync(token).ConfigureAwait(false);
                    }
                }

                var client = await _socket.AcceptAsync(token).ConfigureAwait(false);
                if (client.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                {
                    client.NoDelay = true;
                }

                ConnectionCounter.Process.Increment();
                FrontendConnections?.Increment();
                _onAccepted(client, this);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                ReleaseTaken(taken);
                return;
            }
            catch (SocketException)
            {
                ReleaseTaken(taken);
                if (token.IsCancellationRequested)
                {
                    return;
                }

                // Out of file descriptors or a connection reset before accept: HAProxy pauses the listener
                // briefly rather than spinning on the error.
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void ReleaseTaken(int taken)
    {
        for (var i = 0; i < taken && i < _limits.Length; i++)
        {
            _limits[i]?.Release();
        }
    }
}
