using System.Net;
using System.Net.Sockets;
using Sluice.Transport;

namespace Sluice.Tests.Transport;

/// <summary>
/// <see cref="EventLoop.ConnectAsync"/>: a non-blocking connect that waits on a loop, after which the socket is a
/// connected one to the runtime too (its endpoints, its streams, blocking again), or fails as the runtime's would.
/// </summary>
public class EventLoopConnectTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ConnectAsync_Listening_ConnectedToTheRuntimeAndUsable()
    {
        using var listener = Listener(backlog: 8);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await EventLoop.ConnectAsync(socket, listener.LocalEndPoint!, new ReadinessWaiter()).AsTask().WaitAsync(Wait);
        using var accepted = await listener.AcceptAsync().WaitAsync(Wait);

        Assert.True(socket.Connected);
        Assert.True(socket.Blocking);
        Assert.Equal(listener.LocalEndPoint, socket.RemoteEndPoint);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        Assert.Equal(4, await accepted.ReceiveAsync(buffer).WaitAsync(Wait));
        Assert.Equal("ping"u8.ToArray(), buffer);
    }

    [Fact]
    public async Task ConnectAsync_NobodyListens_Refused()
    {
        int port;
        using (var closed = Listener(backlog: 1))
        {
            port = ((IPEndPoint)closed.LocalEndPoint!).Port;
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var failure = await Assert.ThrowsAsync<SocketException>(
            () => EventLoop.ConnectAsync(socket, new IPEndPoint(IPAddress.Loopback, port), new ReadinessWaiter()).AsTask().WaitAsync(Wait));
        Assert.Equal(SocketError.ConnectionRefused, failure.SocketErrorCode);
    }

    [Fact]
    public async Task ConnectAsync_ClosedWhileWaiting_EndsAtOnceWhenSignalled()
    {
        // A listener whose queue is full and which never accepts: the kernel drops the SYNs, so the connect waits.
        using var listener = Listener(backlog: 0);
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
                try
                {
                    await filler.ConnectAsync(listener.LocalEndPoint!, attempt.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var waiter = new ReadinessWaiter();
            var connecting = EventLoop.ConnectAsync(socket, listener.LocalEndPoint!, waiter).AsTask();
            await Task.Delay(200);
            Assert.False(connecting.IsCompleted);

            // What a connect timeout or a kill does: close the socket, then signal the wait, which epoll cannot report.
            socket.Dispose();
            waiter.Signal();
            var failure = await Record.ExceptionAsync(() => connecting.WaitAsync(TimeSpan.FromSeconds(2)));
            Assert.True(failure is ObjectDisposedException or SocketException, $"unexpected {failure}");
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
        }
    }

    private static Socket Listener(int backlog)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(backlog);
        return listener;
    }
}
