using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Tcp;

public class TcpTunnelTests
{
    private static string Config(string bind, string servers, string extraBackend = "", string timeouts = "") => $"""
        global
            maxconn 200
        defaults
            mode tcp
            timeout connect 500ms
            timeout client 5s
            timeout server 5s
        {timeouts}
        frontend fe
            bind {bind}
            default_backend be
        backend be
        {extraBackend}
        {servers}
        """;

    [Fact]
    public async Task Echo_OverTcp_RoundTripAndNormalEnd()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(Config($"127.0.0.1:{port}", $"server s1 {echo.Address}"), ReadyProbe.Tcp(port));

        using (var client = await TestClient.ConnectTcpAsync(port))
        {
            Assert.Equal("hello sluice", await TestClient.EchoRoundTripAsync(client, "hello sluice"));
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
        }

        // 12 bytes came back from the server and both sides closed normally.
        var line = await sluice.Output.WaitForTransactionAsync("fe", "12 --");
        Assert.Contains("be/s1", line, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Echo_FrontendOnUnixSocketServerOnUnixPath_RoundTrip()
    {
        var directory = Ports.TempDirectory();
        var front = Path.Combine(directory, "front.sock");
        await using var echo = TestServer.Unix(Path.Combine(directory, "echo.sock"), TestServer.Echo);
        await using var sluice = await InProcessSluice.StartAsync(
            Config($"unix@{front} mode 600", $"server s1 {echo.Address}"), ReadyProbe.Unix(front));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(front));
        var before = echo.Total;
        using var client = await TestClient.ConnectUnixAsync(front);
        Assert.Equal("over unix", await TestClient.EchoRoundTripAsync(client, "over unix"));
        Assert.Equal(before + 1, echo.Total);
    }

    [Fact]
    public async Task Echo_StaleUnixSocketFile_RemovedAndBound()
    {
        var directory = Ports.TempDirectory();
        var front = Path.Combine(directory, "stale.sock");
        // A socket file left behind by a process that died (the runtime here would remove its own at close).
        using (var stale = System.Diagnostics.Process.Start("python3", ["-c", $"import socket; socket.socket(socket.AF_UNIX).bind('{front}')"]))
        {
            await stale.WaitForExitAsync(TestTimeout.Token());
        }

        Assert.True(File.Exists(front));
        await using var echo = TestServer.Tcp(TestServer.Echo);
        await using var sluice = await InProcessSluice.StartAsync(Config($"unix@{front}", $"server s1 {echo.Address}"), ReadyProbe.Unix(front));
        using var client = await TestClient.ConnectUnixAsync(front);
        Assert.Equal("fresh", await TestClient.EchoRoundTripAsync(client, "fresh"));
    }

    [Fact]
    public async Task Echo_AbnsBind_RoundTrip()
    {
        var name = "sluice-test-" + Guid.NewGuid().ToString("N")[..8];
        await using var echo = TestServer.Tcp(TestServer.Echo);
        await using var sluice = await InProcessSluice.StartAsync(
            Config($"abns@{name}", $"server s1 {echo.Address}"), new ReadyProbe(new UnixDomainSocketEndPoint("\0" + name)));

        using var client = await TestClient.ConnectAbstractAsync(name);
        Assert.Equal("abstract", await TestClient.EchoRoundTripAsync(client, "abstract"));
    }

    [Fact]
    public async Task HalfClose_ClientShutsDownSend_StillReceivesReply()
    {
        await using var counter = TestServer.Tcp(TestServer.CountThenReply);
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(Config($"127.0.0.1:{port}", $"server s1 {counter.Address}"), ReadyProbe.Tcp(port));

        using var client = await TestClient.ConnectTcpAsync(port);
        await client.SendAsync(new byte[1000]);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("got 1000", await TestClient.ReadToEndAsync(client));
        await sluice.Output.WaitForTransactionAsync("fe", "8 --");
    }

    [Fact]
    public async Task Transfer_TenMebibytesEchoed_Sha256EqualBothWays()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(Config($"127.0.0.1:{port}", $"server s1 {echo.Address}"), ReadyProbe.Tcp(port));

        var payload = new byte[10 * 1024 * 1024];
        new Random(7).NextBytes(payload);
        using var client = await TestClient.ConnectTcpAsync(port);
        var token = TestTimeout.Token();
        var send = Task.Run(async () =>
        {
            for (var offset = 0; offset < payload.Length; offset += 65536)
            {
                await client.SendAsync(payload.AsMemory(offset, Math.Min(65536, payload.Length - offset)), SocketFlags.None, token);
            }

            client.Shutdown(SocketShutdown.Send);
        });
        using var received = new MemoryStream();
        var buffer = new byte[65536];
        while (true)
        {
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, token);
            if (read == 0)
            {
                break;
            }

            received.Write(buffer, 0, read);
        }

        await send;
        Assert.Equal(payload.Length, received.Length);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(received.ToArray()));
        await sluice.Output.WaitForTransactionAsync("fe", $"{payload.Length} --");
    }

    [Fact]
    public async Task TimeoutClient_IdleTunnel_ClosedWithClientTimeoutCode()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        // Long enough for the first round trip through a freshly started (not yet jitted) process on a busy machine.
        var config = Config($"127.0.0.1:{port}", $"server s1 {echo.Address}").Replace("timeout client 5s", "timeout client 1s", StringComparison.Ordinal);
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port));

        using var client = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("ping", await TestClient.EchoRoundTripAsync(client, "ping"));
        var started = DateTime.UtcNow;
        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
        var elapsed = DateTime.UtcNow - started;
        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(5));
        var line = await sluice.Output.WaitForTransactionAsync("fe", "cD");
    }

    [Fact]
    public async Task TimeoutServer_SilentServer_ClosedWithServerTimeoutCode()
    {
        await using var silent = TestServer.Tcp(TestServer.Silent);
        var port = Ports.FreeListeningPort();
        var config = Config($"127.0.0.1:{port}", $"server s1 {silent.Address}").Replace("timeout server 5s", "timeout server 300ms", StringComparison.Ordinal);
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port));

        using var client = await TestClient.ConnectTcpAsync(port);
        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
        var line = await sluice.Output.WaitForTransactionAsync("fe", "sD");
    }

    [Fact]
    public async Task ConnectFailure_RetriesThenRedispatch_SecondServerServes()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        var deadPort = Ports.FreeListeningPort();
        var config = Config(
            $"127.0.0.1:{port}",
            $"server dead 127.0.0.1:{deadPort}\n    server alive {echo.Address}",
            "    balance first\n    retries 2\n    option redispatch");
        await using var sluice = InProcessSluice.Start(config);

        using var client = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("redispatched", await TestClient.EchoRoundTripAsync(client, "redispatched"));
        client.Shutdown(SocketShutdown.Send);
        await TestClient.ReadToEndAsync(client);
        var line = await sluice.Output.WaitForTransactionAsync("fe", "--");
        Assert.Contains("be/alive", line, StringComparison.Ordinal);
        Assert.Contains("retries=1", line, StringComparison.Ordinal);
        var backend = sluice.Host.Backends.Single();
        Assert.Equal(1, backend.TotalConnections);
        Assert.Equal(1, backend.Redispatches);
        Assert.Equal(0, backend.ConnectFailures);
    }

    [Fact]
    public async Task ConnectFailure_RetriesWithoutRedispatch_ClosedWithSC()
    {
        var port = Ports.FreeListeningPort();
        var deadPort = Ports.FreeListeningPort();
        var config = Config($"127.0.0.1:{port}", $"server dead 127.0.0.1:{deadPort}", "    retries 2");
        await using var sluice = InProcessSluice.Start(config);

        using var client = await TestClient.ConnectTcpAsync(port);
        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
        var line = await sluice.Output.WaitForTransactionAsync("fe", "SC");
        Assert.Contains("retries=2", line, StringComparison.Ordinal);
        var server = sluice.Host.Backends.Single().Servers[0];
        Assert.Equal(2, server.Retries);
        Assert.Equal(1, server.ConnectFailures);
    }

    [Fact]
    public async Task FrontendMaxConn2_FiveConcurrentClients_AllServedNeverMoreThanTwo()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        var config = Config($"127.0.0.1:{port}", $"server s1 {echo.Address}").Replace("frontend fe\n", "frontend fe\n    maxconn 2\n", StringComparison.Ordinal);
        await using var sluice = InProcessSluice.Start(config);
        using var sampler = new ConcurrencySampler(() => sluice.Host.ActiveTransactions);

        var clients = Enumerable.Range(0, 5).Select(async i =>
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            var reply = await TestClient.EchoRoundTripAsync(client, "client" + i);
            await Task.Delay(150);
            client.Shutdown(SocketShutdown.Send);
            await TestClient.ReadToEndAsync(client);
            return reply;
        }).ToArray();
        var replies = await Task.WhenAll(clients);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => "client" + i), replies);
        Assert.Equal(5, echo.Total);
        Assert.Equal(2, await sampler.StopAsync());
    }

    [Theory]
    [InlineData("global_maxconn")]
    [InlineData("bind_maxconn")]
    public async Task MaxConnOne_ThreeConcurrentClients_ServedOneAtATime(string where)
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        var config = where == "bind_maxconn"
            ? Config($"127.0.0.1:{port} maxconn 1", $"server s1 {echo.Address}")
            : Config($"127.0.0.1:{port}", $"server s1 {echo.Address}").Replace("maxconn 200", "maxconn 1", StringComparison.Ordinal);
        await using var sluice = InProcessSluice.Start(config);
        using var sampler = new ConcurrencySampler(() => sluice.Host.ActiveTransactions);

        var replies = await Task.WhenAll(Enumerable.Range(0, 3).Select(async i =>
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            var reply = await TestClient.EchoRoundTripAsync(client, "c" + i);
            await Task.Delay(100);
            client.Shutdown(SocketShutdown.Send);
            await TestClient.ReadToEndAsync(client);
            return reply;
        }));

        Assert.Equal(["c0", "c1", "c2"], replies);
        Assert.Equal(3, echo.Total);
        Assert.Equal(1, await sampler.StopAsync());
    }

    [Fact]
    public async Task SeedTopology_StaticRrOverUnixServers_Exactly900And100()
    {
        var directory = Ports.TempDirectory();
        await using var original = TestServer.Unix(Path.Combine(directory, "original.sock"), TestServer.SayName("original"));
        await using var h2 = TestServer.Unix(Path.Combine(directory, "h2.sock"), TestServer.SayName("h2"));
        var port = Ports.FreeListeningPort();
        var config = Config(
            $"127.0.0.1:{port}",
            $"server original {original.Address} weight 90\n    server h2 {h2.Address} weight 10",
            "    balance static-rr");
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port));

        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 1000; i++)
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            var name = await TestClient.ReadToEndAsync(client);
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }

        Assert.Equal(900, counts.GetValueOrDefault("original"));
        Assert.Equal(100, counts.GetValueOrDefault("h2"));
    }

    [Fact]
    public void Bind_PortInUse_AlertAndNoHost()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((System.Net.IPEndPoint)taken.LocalEndPoint!).Port;

        var error = Assert.Throws<InvalidOperationException>(() => InProcessSluice.Start(Config($"127.0.0.1:{port}", "server s1 127.0.0.1:1")));
        Assert.Contains($"[ALERT] Starting frontend fe: cannot bind socket (Address already in use) [127.0.0.1:{port}]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bind_PortRange_EveryPortListens()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        // Outside the ephemeral range: the port after a free one must not be taken by a parallel test's connection.
        var first = Ports.FreeListeningPortRange(2);
        var second = first + 1;
        await using var sluice = await InProcessSluice.StartAsync(Config($"127.0.0.1:{first}-{second}", $"server s1 {echo.Address}"), ReadyProbe.Tcp(first));
        foreach (var port in new[] { first, second })
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            Assert.Equal("range", await TestClient.EchoRoundTripAsync(client, "range"));
        }
    }
}
