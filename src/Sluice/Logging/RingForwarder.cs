using System.Net.Sockets;
using Sluice.Config.Model;

namespace Sluice.Logging;

/// <summary>
/// Sends a ring's events to one of its `server` lines over TCP, as a syslog stream: each event ends with a newline
/// (`log-proto legacy`), or comes after its length and a space (`octet-count`, RFC 6587 §3.4.1). It begins with
/// the oldest event kept and follows new ones; a connection that fails or is refused is made again after a pause,
/// from where the last one stopped, so events wait in the ring, not in memory of their own. `timeout connect`
/// bounds a connection attempt and `timeout server` a write.
/// </summary>
internal sealed class RingForwarder : IDisposable
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(1);

    private readonly Ring _ring;
    private readonly RingServerConfig _server;
    private readonly CancellationTokenSource _stop = new();
    private RingCursor _cursor;
    private Task? _running;

    /// <param name="newOnly">Start after the events already in the ring (a reload: the previous process sent them).</param>
    public RingForwarder(Ring ring, RingServerConfig server, bool newOnly)
    {
        _ring = ring;
        _server = server;
        _cursor = ring.Start(fromEnd: newOnly);
    }

    public void Start() => _running = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Stops forwarding; the token source goes once the loop has seen it.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        if (_running is { } running)
        {
            running.ContinueWith(_ => _stop.Dispose(), TaskScheduler.Default);
        }
        else
        {
            _stop.Dispose();
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var batch = new MemoryStream();
        while (!stopping.IsCancellationRequested)
        {
            using var socket = new Socket(_server.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    if (_ring.Config.ConnectTimeout is { } connectTimeout)
                    {
                        connecting.CancelAfter(connectTimeout);
                    }

                    await socket.ConnectAsync(_server.Address, connecting.Token).ConfigureAwait(false);
                }

                while (true)
                {
                    await _ring.WaitAsync(_cursor, stopping).ConfigureAwait(false);
                    batch.SetLength(0);
                    var next = _cursor;
                    if (_server.OctetCount)
                    {
                        _ring.Read(ref next, AppendCounted, maxEvents: 64);
                    }
                    else
                    {
                        _ring.ReadLines(ref next, batch, maxEvents: 64);
                    }

                    using var writing = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    if (_ring.Config.ServerTimeout is { } serverTimeout)
                    {
                        writing.CancelAfter(serverTimeout);
                    }

                    await socket.SendAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length), SocketFlags.None, writing.Token).ConfigureAwait(false);
                    // Only events the server took count as sent: a failed write sends them again on the next connection.
                    _cursor = next;
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Refused, reset or too slow: the events stay in the ring until the next connection.
            }

            try
            {
                await Task.Delay(RetryPause, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        // `octet-count`: each event after its length and a space.
        void AppendCounted(ReadOnlySpan<byte> message)
        {
            Span<byte> length = stackalloc byte[12];
            System.Buffers.Text.Utf8Formatter.TryFormat(message.Length, length, out var digits);
            length[digits++] = (byte)' ';
            batch.Write(length[..digits]);
            batch.Write(message);
        }
    }
}
