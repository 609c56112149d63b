using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Mux.Tcp;
using Sluice.Tests.Transport;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Tests.Mux.Tcp;

public class TcpTunnelMuxTests
{
    [Fact]
    public async Task Run_ClientHalfCloses_ServerReplyStillDeliveredThenNormal()
    {
        var (clientOuter, clientInner) = await TestSockets.ConnectedPairAsync();
        var (serverInner, serverOuter) = await TestSockets.ConnectedPairAsync();
        using var heartbeat = new Heartbeat(TimeProvider.System, TimeSpan.FromSeconds(10));
        var tunnel = new TcpTunnelMux(clientInner, serverInner, heartbeat, new BufferPool(1024));
        var run = tunnel.RunAsync();

        await clientOuter.SendAsync(Encoding.ASCII.GetBytes("request"));
        clientOuter.Shutdown(SocketShutdown.Send);
        Assert.Equal("request", await ReadToEndAsync(serverOuter));
        Assert.True(tunnel.IsHalfClosed);

        await serverOuter.SendAsync(Encoding.ASCII.GetBytes("late reply"));
        serverOuter.Shutdown(SocketShutdown.Send);
        Assert.Equal("late reply", await ReadToEndAsync(clientOuter));

        Assert.Equal(TunnelEnd.Normal, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(7, tunnel.BytesFromClient);
        Assert.Equal(10, tunnel.BytesFromServer);
        clientOuter.Dispose();
        serverOuter.Dispose();
    }

    [Fact]
    public async Task Run_ServerResets_ServerError()
    {
        var (clientOuter, clientInner) = await TestSockets.ConnectedPairAsync();
        var (serverInner, serverOuter) = await TestSockets.ConnectedPairAsync();
        using var heartbeat = new Heartbeat(TimeProvider.System, TimeSpan.FromSeconds(10));
        var tunnel = new TcpTunnelMux(clientInner, serverInner, heartbeat, new BufferPool(1024));
        var run = tunnel.RunAsync();

        serverOuter.LingerState = new LingerOption(true, 0);
        serverOuter.Dispose();

        Assert.Equal(TunnelEnd.ServerError, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        clientOuter.Dispose();
    }

    [Fact]
    public async Task Abort_IdleTunnel_AbortedAndPeersSeeEnd()
    {
        var (clientOuter, clientInner) = await TestSockets.ConnectedPairAsync();
        var (serverInner, serverOuter) = await TestSockets.ConnectedPairAsync();
        using var heartbeat = new Heartbeat(TimeProvider.System, TimeSpan.FromSeconds(10));
        var tunnel = new TcpTunnelMux(clientInner, serverInner, heartbeat, new BufferPool(1024));
        var run = tunnel.RunAsync();

        tunnel.Abort();

        Assert.Equal(TunnelEnd.Aborted, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(string.Empty, await ReadToEndAsync(clientOuter));
        Assert.Equal(string.Empty, await ReadToEndAsync(serverOuter));
        clientOuter.Dispose();
        serverOuter.Dispose();
    }

    [Fact]
    public async Task Run_LargerThanBuffer_AllBytesInOrder()
    {
        var (clientOuter, clientInner) = await TestSockets.ConnectedPairAsync();
        var (serverInner, serverOuter) = await TestSockets.ConnectedPairAsync();
        using var heartbeat = new Heartbeat(TimeProvider.System, TimeSpan.FromSeconds(10));
        var tunnel = new TcpTunnelMux(clientInner, serverInner, heartbeat, new BufferPool(1024));
        var run = tunnel.RunAsync();

        var payload = new byte[300_000];
        new Random(3).NextBytes(payload);
        var send = Task.Run(async () =>
        {
            await clientOuter.SendAsync(payload);
            clientOuter.Shutdown(SocketShutdown.Send);
        });
        var received = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        while ((read = await serverOuter.ReceiveAsync(buffer)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        await send;
        Assert.Equal(payload, received.ToArray());
        serverOuter.Shutdown(SocketShutdown.Send);
        Assert.Equal(TunnelEnd.Normal, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        clientOuter.Dispose();
        serverOuter.Dispose();
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            }
            catch (SocketException)
            {
                return text.ToString();
            }

            if (read == 0)
            {
                return text.ToString();
            }

            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }
}
