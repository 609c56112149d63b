using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// Health checks against real servers (python processes) stopped and started during the run, with the real
/// program: servers go down and come back as HAProxy's rise/fall rules say, the lines on stderr are HAProxy's,
/// and traffic avoids servers that are down.
/// </summary>
public class HealthCheckTests
{
    private static string Config(int port, string backend) => $"""
        defaults
            mode http
            timeout connect 500ms
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{port}
            default_backend be
        backend be
        {backend}
        """;

    private static async Task<(int Status, string Body)> GetAsync(int port)
    {
        var result = await CommandRunner.RunAsync(CommandRunner.Require("curl", "curl"),
            ["-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}", "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + "/"],
            timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"curl failed ({result.ExitCode}): {result.StandardError}");
        var split = result.StandardOutput.LastIndexOf('\n');
        return (int.Parse(result.StandardOutput[(split + 1)..], CultureInfo.InvariantCulture), result.StandardOutput[..split]);
    }

    private static async Task<List<string>> BodiesAsync(int port, int count)
    {
        var bodies = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var (status, body) = await GetAsync(port);
            Assert.Equal(200, status);
            bodies.Add(body);
        }

        return bodies;
    }

    private static Task<List<string>> WaitForLineAsync(SluiceProcess sluice, string pattern) =>
        sluice.Output.WaitForAsync(l => Regex.IsMatch(l, pattern));

    [Fact]
    public async Task TcpCheck_ServerStoppedThenRestarted_DownWithinInterTimesFall_TrafficElsewhere_UpAfterRise()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, $"""
                server a {a.Address} check inter 400 fall 2 rise 3
                server b {b.Address} check inter 400 fall 2 rise 3
            """), [ReadyProbe.Tcp(port)]);

        var before = await BodiesAsync(port, 4);
        Assert.True(before.Contains("a") && before.Contains("b"), $"{string.Join(',', before)}\n{sluice.Output.Text}");

        await a.StopAsync();
        var stopped = Stopwatch.StartNew();
        var down = await WaitForLineAsync(sluice, "Server be/a is DOWN");
        // Two failed checks 400ms apart, each seen up to a heartbeat tick late; loaded cores get some room.
        Assert.True(stopped.ElapsedMilliseconds < 4000, $"DOWN after {stopped.ElapsedMilliseconds}ms");
        Assert.Matches(@"^\[WARNING\] Server be/a is DOWN, reason: Layer4 connection problem, info: ""Connection refused"", check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$", down[0]);

        var after = await BodiesAsync(port, 10);
        Assert.True(after.All(body => body == "b"), $"{string.Join(',', after)}\n{sluice.Output.Text}");

        // The count of checks before UP (rise) is the unit tests' business: the python peer's "ready" line can
        // reach the test after the checks have already seen its port open.
        await a.RestartAsync();
        var up = await WaitForLineAsync(sluice, "Server be/a is UP");
        Assert.Matches(@"^\[WARNING\] Server be/a is UP, reason: Layer4 check passed, check duration: \d+ms\. 2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$", up[0]);
        Assert.Contains("a", await BodiesAsync(port, 4));
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("has no server available", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HttpCheck_ExpectStatus200_ServerAnswering500_DownWithL7Sts_TrafficToTheOther()
    {
        await using var bad = await CheckPeer.StartAsync("bad", status: 500);
        await using var good = await CheckPeer.StartAsync("good");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, $"""
                option httpchk GET /health
                http-check expect status 200
                server bad {bad.Address} check inter 400
                server good {good.Address} check inter 400
            """), [ReadyProbe.Tcp(port)]);

        var down = await WaitForLineAsync(sluice, "Server be/bad is DOWN");
        Assert.Matches(@"^\[WARNING\] Server be/bad is DOWN, reason: Layer7 wrong status, code: 500, info: ""Internal Server Error"", check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$", down[0]);
        Assert.All(await BodiesAsync(port, 6), body => Assert.Equal("good", body));
        await bad.Output.WaitForAsync(l => l == "REQ GET /health HTTP/1.0 host=None");
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("Server be/good is DOWN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HttpCheck_LegacyHeadersInVersion_SentAsHeaders()
    {
        await using var peer = await CheckPeer.StartAsync("s");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, $"""
                option httpchk HEAD /ping HTTP/1.1\r\nHost:\ www.example.com
                server s {peer.Address} check inter 200
            """), [ReadyProbe.Tcp(port)]);

        await peer.Output.WaitForAsync(l => l == "REQ HEAD /ping HTTP/1.1 host=www.example.com", count: 2);
        Assert.Contains(sluice.Output.Lines, l => l.EndsWith("'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead.", StringComparison.Ordinal));
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("is DOWN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FT_15_AllServersDown_NoServerAvailableAlert_503()
    {
        await using var a = await CheckPeer.StartAsync("a", status: 500);
        await using var b = await CheckPeer.StartAsync("b", status: 404);
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, $"""
                option httpchk
                server a {a.Address} check inter 200
                server b {b.Address} check inter 200
            """), [ReadyProbe.Tcp(port)]);

        await WaitForLineAsync(sluice, "Server be/a is DOWN");
        await WaitForLineAsync(sluice, "Server be/b is DOWN");
        var alert = await WaitForLineAsync(sluice, "has no server available");
        Assert.Equal("[ALERT] backend 'be' has no server available!", alert[0]);
        // Whichever of the two goes down second leaves none: its line counts 0, the other's 1.
        Assert.Contains(sluice.Output.Lines, l => Regex.IsMatch(l, @"^\[WARNING\] Server be/b is DOWN, reason: Layer7 wrong status, code: 404, info: ""Not Found"", check duration: \d+ms\. [01] active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$"));
        Assert.Equal(["0 active", "1 active"], sluice.Output.Lines.Where(l => l.Contains(" is DOWN, ", StringComparison.Ordinal)).Select(l => Regex.Match(l, @"\d active").Value).Order());

        // The servers still answer (500, 404): a 503 comes from the proxy, which picks no server.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(503, (await GetAsync(port)).Status);
        }
    }

    [Fact]
    public async Task HttpCheck_ServerNeverAnswers_L7TimeoutAfterTimeoutCheck()
    {
        await using var silent = TestServer.Tcp(TestServer.Silent);
        await using var good = await CheckPeer.StartAsync("good");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, $"""
                option httpchk
                timeout check 300ms
                server silent {silent.Address} check inter 2s
                server good {good.Address} check inter 2s
            """), [ReadyProbe.Tcp(port)]);

        var down = await WaitForLineAsync(sluice, "Server be/silent is DOWN");
        var match = Regex.Match(down[0], @"^\[WARNING\] Server be/silent is DOWN, reason: Layer7 timeout, check duration: (\d+)ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$");
        Assert.True(match.Success, down[0]);
        // The answer gets "timeout check" (300ms), not "inter" (2s); deadlines are seen on a 100ms tick.
        var duration = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(duration, 290, 1500);
    }

    [Fact]
    public async Task TcpMode_ServerRefusing_DownAndConnectionsGoToTheOther()
    {
        await using var up = TestServer.Tcp(TestServer.SayName("up"));
        var refusing = Ports.FreeListeningPort();
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode tcp
                timeout connect 500ms
                timeout client 5s
                timeout server 5s
            listen app
                bind 127.0.0.1:{port}
                server gone 127.0.0.1:{refusing} check inter 300
                server up {up.Address} check inter 300
            """, [ReadyProbe.Tcp(port)]);

        var down = await WaitForLineAsync(sluice, "Server app/gone is DOWN");
        Assert.True(Regex.IsMatch(down[0], @"^\[WARNING\] Server app/gone is DOWN, reason: Layer4 connection problem, info: ""Connection refused"", check duration: \d+ms\. 1 active and 0 backup servers left\. \d sessions active, 0 requeued, 0 remaining in queue\.$"), sluice.Output.Text);

        // The readiness probe may have met the refusing server before the first check (an SC line): count after.
        var seen = sluice.Output.Lines.Count;
        for (var i = 0; i < 6; i++)
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            Assert.Equal("up", await TestClient.ReadToEndAsync(client));
        }

        await sluice.Output.WaitForAsync(l => l.Contains("app/up", StringComparison.Ordinal), 6);
        Assert.DoesNotContain(sluice.Output.Lines.Skip(seen), l => l.Contains("app/gone", StringComparison.Ordinal));
    }
}
