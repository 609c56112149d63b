using System.Net.Sockets;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Tcp;

public class LifecycleTests
{
    private static string Config(int port, string server, string global = "") => $"""
        global
        {global}
        defaults
            mode tcp
            timeout connect 500ms
            timeout client 5s
            timeout server 5s
        listen app
            bind 127.0.0.1:{port}
            server s1 {server}
        """;

    [Fact]
    public async Task StopGracefully_ConnectionInFlight_FinishesThenCompletes()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start(Config(port, echo.Address));

        using var client = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("before", await TestClient.EchoRoundTripAsync(client, "before"));
        var stop = sluice.Host.StopGracefullyAsync();

        await Assert.ThrowsAnyAsync<SocketException>(async () => (await TestClient.ConnectTcpAsync(port)).Dispose());
        Assert.Equal("during", await TestClient.EchoRoundTripAsync(client, "during"));
        Assert.False(sluice.Host.Completion.IsCompleted);

        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
        await stop.WaitAsync(TestTimeout.Value);
        await sluice.Host.Completion.WaitAsync(TestTimeout.Value);
        var line = await sluice.Output.WaitForTransactionAsync("app", "--");
    }

    [Fact]
    public async Task StopGracefully_HardStopAfter_IdleConnectionKilled()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start(Config(port, echo.Address, "    hard-stop-after 300ms"));

        using var client = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("idle", await TestClient.EchoRoundTripAsync(client, "idle"));
        await sluice.Host.StopGracefullyAsync().WaitAsync(TestTimeout.Value);

        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
        var line = await sluice.Output.WaitForTransactionAsync("app", "KD");
    }

    [Fact]
    public async Task StopNow_ConnectionInFlight_KilledAtOnce()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start(Config(port, echo.Address));

        using var client = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("now", await TestClient.EchoRoundTripAsync(client, "now"));
        sluice.Host.StopNow();
        await sluice.Host.Completion.WaitAsync(TestTimeout.Value);

        Assert.Equal(0, sluice.Host.ActiveTransactions);
        var line = await sluice.Output.WaitForTransactionAsync("app", "KD");
    }

    [Fact]
    public async Task ConnectTimeout_ServerNeverAccepts_ClosedWithsC()
    {
        // A listener that never accepts, with its one-slot queue already full: the kernel drops further SYNs,
        // so connecting to it hangs until timeout connect.
        using var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        full.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        full.Listen(0);
        var fullPort = ((System.Net.IPEndPoint)full.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        for (var i = 0; i < 3; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            fillers.Add(filler);
            _ = filler.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, fullPort));
        }

        try
        {
            var port = Ports.FreeListeningPort();
            var config = Config(port, $"127.0.0.1:{fullPort}").Replace("timeout connect 500ms", "timeout connect 200ms", StringComparison.Ordinal)
                .Replace("    server s1", "    retries 1\n    server s1", StringComparison.Ordinal);
            await using var sluice = InProcessSluice.Start(config);

            using var client = await TestClient.ConnectTcpAsync(port);
            Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
            var line = await sluice.Output.WaitForTransactionAsync("app", "sC");
            Assert.Contains("retries=1", line, StringComparison.Ordinal);
        }
        finally
        {
            fillers.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Curl_HttpThroughTcpFrontend_ResponseBody()
    {
        await using var http = TestServer.Tcp(TestServer.HttpHello);
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start(Config(port, http.Address));

        using var curl = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("curl", ["-s", "--max-time", "5", $"http://127.0.0.1:{port}/"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var body = await curl.StandardOutput.ReadToEndAsync();
        await curl.WaitForExitAsync(TestTimeout.Token());
        Assert.Equal(0, curl.ExitCode);
        Assert.Equal("hello from behind sluice", body);
    }
}
