using System.Net.Sockets;
using Sluice.Config.Model;
using Sluice.Transport;

namespace Sluice.Listeners;

/// <summary>
/// One listening socket (one port of a bind line's range, or one unix socket) and its accept loops (one, or
/// `nbthread` on a socket that cannot be repeated with SO_REUSEPORT). Before each accept a loop takes a slot of
/// every limit that applies (bind, frontend, global); the handler of the accepted connection must call
/// <see cref="ReleaseSlot"/> exactly once when the connection is over.
/// </summary>
internal sealed class Listener : IDisposable
{
    private readonly Socket _socket;
    private readonly ConnectionLimit?[] _limits;
    private readonly Action<Socket, Listener> _onAccepted;
    private readonly CancellationTokenSource _stop = new();
    private readonly int _acceptLoops;
    private Task _acceptLoop = Task.CompletedTask;
    private long _accepted;
    private volatile bool _detached;

    /// <param name="key">What identifies the socket at a reload (<see cref="InheritedSockets.Key"/>).</param>
    public Listener(Socket socket, BindConfig bind, string endpointText, ConnectionLimit?[] limits, Action<Socket, Listener> onAccepted, int acceptLoops = 1, string key = "")
    {
        _socket = socket;
        Key = key;
        _acceptLoops = Math.Max(1, acceptLoops);
        Bind = bind;
        EndPointText = endpointText;
        _limits = limits;
        _onAccepted = onAccepted;
    }

    public BindConfig Bind { get; }

    /// <summary>The frontend's counters: a session starts at accept and ends with <see cref="ReleaseSlot"/>.</summary>
    public Stats.TrafficCounters? Counters { get; init; }

    /// <summary>The process-wide rates and TLS limits; null in tests that build a bare listener.</summary>
    public ProcessAcceptLimits? Process { get; init; }

    /// <summary>The frontend's `rate-limit sessions` (0: none), checked against the frontend's session rate.</summary>
    public int SessionRateLimit { get; init; }

    /// <summary>The frontend's pause switch (`disable frontend`); null when it cannot be paused.</summary>
    public ListenerGate? Gate { get; init; }

    /// <summary>The address as listened on, e.g. `127.0.0.1:8080` or `/run/app.sock`.</summary>
    public string EndPointText { get; }

    public Socket Socket => _socket;

    /// <summary>What identifies the socket at a reload: a bind of the new configuration with this key takes it over.</summary>
    public string Key { get; }

    /// <summary>Connections this socket accepted since it opened.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>The accept loops that take connections from this socket.</summary>
    public int AcceptLoops => _acceptLoops;

    public void Start()
    {
        var loops = new Task[_acceptLoops];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = Task.Run(AcceptLoopAsync);
        }

        _acceptLoop = Task.WhenAll(loops);
    }

    /// <summary>Stops accepting and closes the socket; connections already accepted are not touched.</summary>
    public Task CloseAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
            // A unix socket file is left in place: a new process started for a reload has already bound its
            // own socket at that path, and removing it would cut that process off.
            if (!_detached)
            {
                _socket.Dispose();
            }
        }

        return _acceptLoop;
    }

    /// <summary>
    /// Stops accepting and leaves the socket open for the configuration that took it over at a reload: its own
    /// loops already accept on it, and connections waiting in the socket's queue go to them.
    /// </summary>
    public Task DetachAsync()
    {
        _detached = true;
        if (!_stop.IsCancellationRequested)
        {
            _stop.Cancel();
        }

        return _acceptLoop;
    }

    public void Dispose()
    {
        if (!_detached)
        {
            _socket.Dispose();
        }

        _stop.Dispose();
    }

    public void ReleaseSlot()
    {
        if (Bind.Tls is not null)
        {
            Process?.OnTlsEnded();
        }

        Counters?.OnSessionEnd();
        ConnectionCounter.Process.Decrement();
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

                if (Process is { } process)
                {
                    await process.WaitForRatesAsync(Bind.Tls is not null, token).ConfigureAwait(false);
                }

                if (Counters is { } counters)
                {
                    // The limit is the frontend's: a listener's own counters add up into it.
                    await AcceptPacing.WaitBelowAsync((counters.Parent ?? counters).SessionRate, SessionRateLimit, token).ConfigureAwait(false);
                }

                if (Gate is { } gate)
                {
                    await gate.WaitOpenAsync(token).ConfigureAwait(false);
                }

                var client = await _socket.AcceptAsync(token).ConfigureAwait(false);
                Interlocked.Increment(ref _accepted);
                if (client.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                {
                    client.NoDelay = true;
                    SocketAddresses.NoteOriginalDestination(client);
                }

                var now = Environment.TickCount64;
                Process?.OnAccepted(now, Bind.Tls is not null);
                Counters?.OnConnectionAccepted(now);
                ConnectionCounter.Process.Increment();
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
