using System.Net;
using System.Net.Sockets;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Tcp;

public class AddressTests
{
    [Fact]
    public async Task Source_PortRange_ConnectionsLeaveFromRangePorts()
    {
        await using var peer = TestServer.Tcp(TestServer.SayPeer);
        var port = Ports.FreeListeningPort();
        // Outside the ephemeral range, so that the outgoing connections of parallel tests never hold one of these ports.
        var low = Ports.FreeListeningPortRange(4);
        await using var sluice = InProcessSluice.Start($"""
            defaults
                mode tcp
                retries 3
                timeout connect 2s
                timeout client 5s
                timeout server 5s
            listen app
                bind 127.0.0.1:{port}
                server s1 {peer.Address} source 127.0.0.1:{low}-{low + 3}
            """);

        var seen = new HashSet<int>();
        for (var i = 0; i < 6; i++)
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            var parts = (await TestClient.ReadToEndAsync(client)).Split(' ');
            Assert.Equal("127.0.0.1", parts[0]);
            var sourcePort = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(sourcePort, low, low + 3);
            seen.Add(sourcePort);

            // A port goes back to the range when its connection has finished: on a busy machine that may come after
            // the next client connects, and four ports would run out (haproxy's SOCKERR, rightly).
            client.Dispose();
            using var finished = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (sluice.Host.ActiveTransactions > 0)
            {
                await Task.Delay(10, finished.Token);
            }
        }

        // Every port of the range is used before one comes back. A port that comes back may meet the server's
        // TIME_WAIT for the same four-tuple; the retry then leaves from the next port, as in HAProxy.
        Assert.Equal(4, seen.Count);
    }

    [Fact]
    public async Task Ipv6_LoopbackBindAndServer_RoundTrip()
    {
        using var v6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        v6.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        var port = ((IPEndPoint)v6.LocalEndPoint!).Port;
        v6.Dispose();
        await using var echo = TestServer.Tcp(TestServer.Echo);
        await using var sluice = InProcessSluice.Start($"""
            defaults
                mode tcp
                timeout connect 500ms
                timeout client 5s
                timeout server 5s
            listen app
                bind ipv6@::1:{port} v6only
                server s1 {echo.Address}
            """);

        using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.IPv6Loopback, port), TestTimeout.Token());
        Assert.Equal("six", await TestClient.EchoRoundTripAsync(client, "six"));
    }

    [Fact]
    public async Task FdBind_InheritedListeningSocket_Serves()
    {
        // The parent's side of `fd@N`: a bound socket whose descriptor Sluice takes over. A duplicate is handed
        // over so that the test's own socket object can be closed without closing Sluice's descriptor.
        int fd;
        int port;
        using (var parent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            parent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            parent.Listen(16);
            port = ((IPEndPoint)parent.LocalEndPoint!).Port;
            fd = Dup((int)parent.SafeHandle.DangerousGetHandle());
        }

        Assert.True(fd > 0);
        await using var echo = TestServer.Tcp(TestServer.Echo);
        await using var sluice = InProcessSluice.Start($"""
            defaults
                mode tcp
                timeout connect 500ms
                timeout client 5s
                timeout server 5s
            listen app
                bind fd@{fd}
                server s1 {echo.Address}
            """);

        using var client = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("inherited", await TestClient.EchoRoundTripAsync(client, "inherited"));
    }

    [Fact]
    public async Task TimeoutTunnel_ReplacesLongerClientAndServerTimeouts_IdleTunnelClosed()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start($"""
            defaults
                mode tcp
                timeout connect 500ms
                timeout client 10s
                timeout server 10s
                timeout tunnel 300ms
            listen app
                bind 127.0.0.1:{port}
                server s1 {echo.Address}
            """);

        using var client = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("t", await TestClient.EchoRoundTripAsync(client, "t"));
        var started = DateTime.UtcNow;
        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(3));
        await sluice.Output.WaitForTransactionAsync("app", "cD");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "dup", SetLastError = true)]
    private static extern int Dup(int fd);

    [Fact]
    public async Task TimeoutClientFin_ClientHalfClosedServerSilent_EndsAfterFinTimeout()
    {
        // The server reads the client's FIN and then neither answers nor closes.
        var release = new TaskCompletionSource();
        await using var silent = TestServer.Tcp(async s =>
        {
            await TestServer.DrainAsync(s);
            await release.Task.WaitAsync(TestTimeout.Value);
        });
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start($"""
            defaults
                mode tcp
                timeout connect 500ms
                timeout client 10s
                timeout server 10s
                timeout client-fin 300ms
            listen app
                bind 127.0.0.1:{port}
                server s1 {silent.Address}
            """);

        using var client = await TestClient.ConnectTcpAsync(port);
        await client.SendAsync(new byte[10]);
        client.Shutdown(SocketShutdown.Send);
        var started = DateTime.UtcNow;
        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(3));
        var line = await sluice.Output.WaitForTransactionAsync("app", "cD");
        release.SetResult();
    }
}
