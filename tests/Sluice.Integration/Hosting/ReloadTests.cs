using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;
using Xunit.Abstractions;

namespace Sluice.Integration.Hosting;

/// <summary>
/// SIGUSR2 reloads inside the process: the listeners stay open across configurations, a load run sees no error
/// through several reloads, a bad configuration is refused while the running one goes on, and a tunnel opened
/// before a reload keeps working on the configuration it began with.
/// </summary>
public sealed class ReloadTests(ITestOutputHelper output)
{
    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Answering(int port, string body) => $"""
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
            timeout http-keep-alive 2s
        frontend fe
            bind 127.0.0.1:{P(port)}
            http-request return status 200 content-type text/plain string "{body}"
        """;

    /// <summary>A mode tcp listener on <paramref name="port"/> to <paramref name="server"/>, with one more global line if any.</summary>
    private static string Tunnel(int port, string server, string global = "") => $"""
        global
            {global}
        defaults
            timeout connect 2s
            timeout client 30s
            timeout server 30s
        listen fe
            mode tcp
            bind 127.0.0.1:{P(port)}
            server e {server}
        """;

    private static Task ReloadAsync(SluiceProcess sluice, string config, int reloadsSoFar, string outcome = "[NOTICE] Reload done") =>
        sluice.ReloadAsync(config, reloadsSoFar, outcome);

    private static async Task<string> GetAsync(int port)
    {
        var result = await Scenarios.Http.Http.CurlAsync(Scenarios.Http.Http.Url(port, "/"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }

    [Fact]
    public async Task FiveReloadsUnderLoad_NoRequestFails_AndTheNewConfigurationAnswers()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Answering(port, "v0"), [ReadyProbe.Tcp(port)]);
        Assert.Equal("v0", await GetAsync(port));

        var load = CommandRunner.RunAsync(CommandRunner.Require("wrk", "wrk"), ["-t2", "-c20", "-d7s", Scenarios.Http.Http.Url(port, "/")], timeout: TimeSpan.FromSeconds(60));
        for (var i = 1; i <= 5; i++)
        {
            await Task.Delay(1000);
            await ReloadAsync(sluice, Answering(port, "v" + i.ToString(CultureInfo.InvariantCulture)), i - 1);
            Assert.Equal("v" + i.ToString(CultureInfo.InvariantCulture), await GetAsync(port));
        }

        var result = await load;
        output.WriteLine(result.StandardOutput);
        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("Socket errors", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Non-2xx", result.StandardOutput, StringComparison.Ordinal);
        Assert.False(sluice.HasExited);
    }

    /// <summary>
    /// The proof of a reload: 1,000 keep-alive clients (wrk), 50 websockets and 20 bidirectional gRPC
    /// streams stay busy through ten reloads; no request fails, every stream keeps echoing and ends normally.
    /// </summary>
    [Fact]
    public async Task TenReloads_WithThousandClientsAndLongStreams_NothingFails()
    {
        await using var websockets = await WebSocketEchoServer.StartAsync();
        await using var grpc = await PythonPeer.StartGrpcEchoServerAsync();
        var port = Ports.FreeListeningPort();
        var grpcPort = Ports.FreeListeningPort();
        string Config(string body) => $"""
            global
                maxconn 5000
            defaults
                mode http
                timeout connect 2s
                timeout client 30s
                timeout server 30s
                timeout tunnel 60s
                timeout http-keep-alive 10s
            frontend fe
                bind 127.0.0.1:{P(port)}
                acl websocket hdr(upgrade) -i websocket
                http-request return status 200 content-type text/plain string "{body}" if !websocket
                default_backend ws
            frontend grpc
                bind 127.0.0.1:{P(grpcPort)} proto h2
                default_backend grpc
            backend ws
                server w {websockets.Address}
            backend grpc
                server g {grpc.Address} proto h2
            """;
        await using var sluice = await SluiceProcess.StartAsync(Config("v0"), [ReadyProbe.Tcp(port)]);

        const int reloads = 10;
        await using var streams = PeerProcess.Start(PythonPeer.Python,
        [
            "-u", PythonPeer.Script("long_streams_client.py"),
            "--ws", "ws://127.0.0.1:" + P(port) + "/", "50", "--grpc", P(grpcPort), "20", "--duration", P(reloads + 6), "--gap", "0.2",
        ]);
        await streams.WaitForLineAsync(l => l == "ready");
        var load = CommandRunner.RunAsync(CommandRunner.Require("wrk", "wrk"),
            ["-t1", "-c1000", "--timeout", "10s", "-d" + P(reloads + 3) + "s", Scenarios.Http.Http.Url(port, "/")],
            timeout: TimeSpan.FromSeconds(90));

        await Task.Delay(1500);
        for (var i = 1; i <= reloads; i++)
        {
            var body = "v" + P(i);
            await ReloadAsync(sluice, Config(body), i - 1);
            Assert.Equal(body, await GetAsync(port));
            await Task.Delay(700);
        }

        var result = await load;
        output.WriteLine(result.StandardOutput);
        var ended = await streams.WaitForLineAsync(l => l.StartsWith("ok ", StringComparison.Ordinal) || l.StartsWith("error", StringComparison.Ordinal));
        output.WriteLine(ended);
        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("Socket errors", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Non-2xx", result.StandardOutput, StringComparison.Ordinal);
        Assert.StartsWith("ok 50 ", ended, StringComparison.Ordinal);
        Assert.Equal("20", ended.Split(' ')[3]);
        Assert.False(sluice.HasExited);
    }

    [Fact]
    public async Task ABadConfigurationIsRefused_TheRunningOneGoesOn()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Answering(port, "kept"), [ReadyProbe.Tcp(port)]);
        await ReloadAsync(sluice, Answering(port, "broken") + "\n    frobnicate yes\n", 0, "[ALERT] Reload failed");
        Assert.Contains(sluice.Output.Lines, l => l.Contains("unknown keyword 'frobnicate'", StringComparison.Ordinal));
        Assert.Equal("kept", await GetAsync(port));

        // A configuration that cannot bind is refused too, and the listeners it would have kept stay open.
        var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var _ = taken;
        taken.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        taken.Listen();
        var busy = ((System.Net.IPEndPoint)taken.LocalEndPoint!).Port;
        await ReloadAsync(sluice, Answering(port, "unbindable") + $"\nfrontend other\n    bind 127.0.0.1:{P(busy)}\n    http-request return status 200\n", 1, "[ALERT] Reload failed");
        Assert.Equal("kept", await GetAsync(port));
    }

    [Fact]
    public async Task ATunnelOpenedBeforeAReload_GoesOnWithItsConfiguration()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Tunnel(port, echo.Address), [ReadyProbe.Tcp(port)]);
        using var before = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("one", await TestClient.EchoRoundTripAsync(before, "one"));

        await ReloadAsync(sluice, Answering(port, "http now"), 0);

        Assert.Equal("http now", await GetAsync(port));
        Assert.Equal("two", await TestClient.EchoRoundTripAsync(before, "two"));
        before.Shutdown(SocketShutdown.Send);
        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(before));
        _ = Encoding.ASCII;
    }

    /// <summary>
    /// The replaced configuration's `hard-stop-after` bounds how long its connections outlive a reload: a tunnel
    /// still echoes right after the reload and is cut when the delay ends, while new connections are served.
    /// </summary>
    [Fact]
    public async Task HardStopAfter_EndsWhatAReloadLeftOnTheOldConfiguration()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Tunnel(port, echo.Address, "hard-stop-after 1500ms"), [ReadyProbe.Tcp(port)]);
        using var before = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("one", await TestClient.EchoRoundTripAsync(before, "one"));

        var reloaded = System.Diagnostics.Stopwatch.StartNew();
        await ReloadAsync(sluice, Answering(port, "http now"), 0);
        Assert.Equal("two", await TestClient.EchoRoundTripAsync(before, "two"));
        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(before));
        Assert.InRange(reloaded.ElapsedMilliseconds, 1400, 10_000);
        Assert.Equal("http now", await GetAsync(port));
    }

    /// <summary>
    /// A reload reads map and pattern files again, as a new haproxy process does, and what the runtime API changed in
    /// memory is gone with the old configuration.
    /// </summary>
    [Fact]
    public async Task AReload_ReadsMapFilesAgain()
    {
        var port = Ports.FreeListeningPort();
        var map = Path.Combine(Ports.TempDirectory(), "hosts.map");
        var socket = Path.Combine(Ports.TempDirectory(), "admin.sock");
        await File.WriteAllTextAsync(map, "/ first\n");
        var config = $"""
            global
                stats socket {socket} level admin
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{P(port)}
                http-request return status 200 content-type text/plain lf-string "%[path,map_beg({map},none)]"
            """;
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);
        Assert.Equal("first", await GetAsync(port));
        await Scenarios.Stats.StatsPeers.UnixAsync(socket, $"set map {map} / changed-at-run-time");
        Assert.Equal("changed-at-run-time", await GetAsync(port));

        await File.WriteAllTextAsync(map, "/ second\n");
        await ReloadAsync(sluice, config, 0);
        Assert.Equal("second", await GetAsync(port));
    }

    [Theory]
    [InlineData("-sf", 0)]
    [InlineData("-st", 143)]
    public async Task ANewProcessWithSfOrSt_TakesThePortAndStopsTheOldOne(string flag, int oldExitCode)
    {
        var port = Ports.FreeListeningPort();
        await using var old = await SluiceProcess.StartAsync(Answering(port, "old"), [ReadyProbe.Tcp(port)]);
        Assert.Equal("old", await GetAsync(port));

        // No probe for the new one: on a shared port it could reach the old one. The old one's exit tells.
        await using var next = await SluiceProcess.StartAsync(Answering(port, "new"), [], flag, old.ProcessId.ToString(CultureInfo.InvariantCulture));
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (!old.HasExited)
        {
            Assert.True(DateTime.UtcNow < deadline, "the old process is still running");
            await Task.Delay(50);
        }

        Assert.Equal(oldExitCode, old.ExitCode);
        Assert.Equal("new", await GetAsync(port));
    }

    /// <summary>
    /// RELIABILITY FT-17: twenty HAProxy-style process handovers (`-x` to the old process's `expose-fd listeners`
    /// socket, then `-sf`) while wrk drives keep-alive traffic: the new process accepts on the very sockets the
    /// old one listened on, and the old one finishes each connection after its next response, so wrk sees no
    /// error at all.
    /// </summary>
    [Fact]
    public async Task FT_17_TwentyHandoversWithSocketTransfer_UnderLoad_NoConnectionError()
    {
        var port = Ports.FreeListeningPort();
        var admin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        string Config(string body) => $"""
            global
                stats socket {admin} mode 600 level admin expose-fd listeners
            """ + "\n" + Answering(port, body);

        var current = await SluiceProcess.StartAsync(Config("v0"), [ReadyProbe.Tcp(port)]);
        var retired = new List<SluiceProcess>();
        try
        {
            var load = PeerProcess.Start(CommandRunner.Require("wrk", "wrk"), ["-t1", "-c50", "--timeout", "10s", "-d120s", Scenarios.Http.Http.Url(port, "/")]);
            await using (load)
            {
                await Task.Delay(500);
                for (var i = 1; i <= 20; i++)
                {
                    var old = current;
                    current = await SluiceProcess.StartAsync(Config("v" + P(i)), [], "-x", admin, "-sf", P(old.ProcessId));
                    retired.Add(old);
                    await WaitForExitAsync(old);
                    Assert.Equal(0, old.ExitCode);
                    Assert.Equal("v" + P(i), await GetAsync(port));
                }

                await CommandRunner.RunAsync("kill", ["-INT", P(load.ProcessId)]);
                await load.WaitForLineAsync(l => l.StartsWith("Requests/sec", StringComparison.Ordinal));
                output.WriteLine(load.Output.Text);
                Assert.Contains(load.Output.Lines, l => l.Contains(" requests in ", StringComparison.Ordinal));
                Assert.DoesNotContain("Socket errors", load.Output.Text, StringComparison.Ordinal);
                Assert.DoesNotContain("Non-2xx", load.Output.Text, StringComparison.Ordinal);
            }
        }
        finally
        {
            await current.DisposeAsync();
            foreach (var old in retired)
            {
                await old.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SocketTransferFromAProcessWithoutExposeFd_IsRefusedAtStart()
    {
        var port = Ports.FreeListeningPort();
        var admin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        var config = $"""
            global
                stats socket {admin} mode 600 level admin
            """ + "\n" + Answering(port, "old");
        await using var old = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);

        var second = await SluiceBinary.RunAsync(["-db", "-x", admin, "-f", old.ConfigPath]);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("[ALERT]", second.StandardError, StringComparison.Ordinal);
        Assert.Contains("Failed to get the sockets from the old process!", second.StandardError, StringComparison.Ordinal);
        Assert.Equal("old", await GetAsync(port));
    }

    private static async Task WaitForExitAsync(SluiceProcess process)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (!process.HasExited)
        {
            Assert.True(DateTime.UtcNow < deadline, "the old process is still running");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task AServerDownBeforeAReload_StaysDownWithoutGoingThroughUpAgain()
    {
        var port = Ports.FreeListeningPort();
        var dead = Ports.FreeListeningPort();
        const string hello = "{ path /hello }";
        string Config(string body) => $"""
            defaults
                mode http
                timeout connect 1s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{P(port)}
                http-request return status 200 content-type text/plain string "{body}" if {hello}
                default_backend be
            backend be
                server s 127.0.0.1:{P(dead)} check inter 100 fall 1 rise 2
            """;
        await using var sluice = await SluiceProcess.StartAsync(Config("before"), [ReadyProbe.Tcp(port)]);
        await sluice.Output.WaitForAsync(l => l.Contains("Server be/s is DOWN", StringComparison.Ordinal));

        await ReloadAsync(sluice, Config("after"), 0);
        await Task.Delay(1000);

        Assert.Single(sluice.Output.Lines, l => l.Contains("Server be/s is DOWN", StringComparison.Ordinal));
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("Server be/s is UP", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheStatsSocketAnswersForTheNewConfigurationAfterAReload()
    {
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "admin.sock");
        string Config(string frontend) => $"""
            global
                stats socket {socket} mode 600 level admin
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend {frontend}
                bind 127.0.0.1:{P(port)}
                http-request return status 200 content-type text/plain string "{frontend}"
            """;
        await using var sluice = await SluiceProcess.StartAsync(Config("before"), [ReadyProbe.Tcp(port)]);
        Assert.Contains("before,FRONTEND", await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show stat"), StringComparison.Ordinal);

        await ReloadAsync(sluice, Config("after"), 0);
        Assert.Equal("after", await GetAsync(port));
        // The replaced configuration has let its socket go by now; the path still reaches the running one.
        await Task.Delay(500);
        var stats = await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show stat");
        Assert.Contains("after,FRONTEND", stats, StringComparison.Ordinal);
        Assert.DoesNotContain("before,FRONTEND", stats, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RuntimeStatesWeightsCountersAndStickTablesCarryOverAReload_WhereTheNamesMatch()
    {
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "admin.sock");
        await using var server = RecordingBackend.Start();
        string Config(string extraServer) => $"""
            global
                stats socket {socket} mode 600 level admin
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{P(port)}
                stick-table type ip size 10 expire 1m store http_req_cnt
                http-request track-sc0 src
                default_backend be
            backend be
                server s1 {server.Address} weight 10
                server s2 {server.Address} weight 10
                server s3 {server.Address} weight 10
            {extraServer}
            """;
        await using var sluice = await SluiceProcess.StartAsync(Config(string.Empty), [ReadyProbe.Tcp(port)]);
        for (var i = 0; i < 6; i++)
        {
            await GetAsync(port);
        }

        await Scenarios.Stats.StatsPeers.UnixAsync(socket, "set server be/s1 state maint");
        await Scenarios.Stats.StatsPeers.UnixAsync(socket, "set weight be/s2 3");
        await Scenarios.Stats.StatsPeers.UnixAsync(socket, "set maxconn server be/s3 7");

        // A server added by the new configuration starts as configured; s3 keeps its runtime maxconn.
        await ReloadAsync(sluice, Config($"    server s4 {server.Address} weight 10"), 0);
        await GetAsync(port);
        await Task.Delay(300);
        var stats = Scenarios.Stats.StatsPeers.ParseCsv(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show stat"));
        Assert.Equal("MAINT", stats["be/s1"]["status"]);
        Assert.Equal("3", stats["be/s2"]["weight"]);
        Assert.Equal("7", stats["be/s3"]["slim"]);
        Assert.Equal("no check", stats["be/s4"]["status"]);
        Assert.Equal("10", stats["be/s4"]["weight"]);

        // Six requests before (two for each server, round robin), one after: the totals go on from where they were.
        // The frontend also counts the start-up probe's connection.
        Assert.Equal("8", stats["fe/FRONTEND"]["stot"]);
        Assert.Equal("7", stats["be/BACKEND"]["stot"]);
        var serverTotal = new[] { "s1", "s2", "s3", "s4" }.Sum(s => long.Parse(stats["be/" + s]["stot"], CultureInfo.InvariantCulture));
        Assert.Equal(7, serverTotal);
        Assert.Equal("2", stats["be/s1"]["stot"]);

        // The stick table declared the same way goes on with its entries.
        Assert.Contains("key=127.0.0.1 use=0 exp=", await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table fe"), StringComparison.Ordinal);
        Assert.Contains(" http_req_cnt=7", await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table fe"), StringComparison.Ordinal);
    }
}
