using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using HttpRig = Sluice.Integration.Scenarios.Http.Http;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// Rows of RELIABILITY.md §7.6 and §7.5 on checks, retries and failover that no other scenario asserts: each test
/// is named after its row.
/// </summary>
public class FaultToleranceTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task FT_01_PortClosed_Retries3_503SC_WithRedispatchAndASecondServer_200()
    {
        var closed = Ports.FreeListeningPort();
        var port = Ports.FreeListeningPort();
        await using (var sluice = await HttpRig.StartAsync(HttpRig.Config(port, $"server s1 127.0.0.1:{Port(closed)}", backend: "    retries 3"), port))
        {
            var result = await HttpRig.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpRig.Url(port, "/closed"));
            Assert.Equal("503", result.StandardOutput);
            var line = await HttpRig.WaitLineAsync(sluice, l => l.Contains("GET /closed", StringComparison.Ordinal));
            Assert.Contains(" 503 ", line, StringComparison.Ordinal);
            Assert.Contains(" SC", line, StringComparison.Ordinal);
            Assert.Contains("retries=3", line, StringComparison.Ordinal);
        }

        await using var backend = RecordingBackend.Start(_ => CannedResponse.Ok("from s2"));
        port = Ports.FreeListeningPort();
        await using var redispatching = await HttpRig.StartAsync(HttpRig.Config(port, $"server s1 127.0.0.1:{Port(closed)}\n    server s2 {backend.Address}",
            backend: "    balance roundrobin\n    retries 3\n    option redispatch"), port);
        for (var i = 0; i < 4; i++)
        {
            var result = await HttpRig.CurlAsync(HttpRig.Url(port, "/r" + i));
            Assert.Equal("from s2", result.StandardOutput);
        }
    }

    [Fact]
    public async Task FT_03_ServerClosesWithoutAnswer_PostNeverRetried_GetRetriedOnlyWithRetryOnEmptyResponse()
    {
        var gets = 0;
        await using var backend = RecordingBackend.Start(r => r.Target == "/get" && Interlocked.Increment(ref gets) > 1 ? CannedResponse.Ok("second try") : null);
        var port = Ports.FreeListeningPort();
        await using var sluice = await HttpRig.StartAsync(HttpRig.Config(port, $"server s1 {backend.Address}",
            backend: "    retries 2\n    retry-on conn-failure empty-response"), port);

        var post = await HttpRig.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "--data", "x=1", HttpRig.Url(port, "/post"));
        Assert.Equal("502", post.StandardOutput);
        var line = await HttpRig.WaitLineAsync(sluice, l => l.Contains("POST /post", StringComparison.Ordinal));
        Assert.Contains(" SH", line, StringComparison.Ordinal);
        Assert.Single(backend.Requests, r => r.Target == "/post");

        var get = await HttpRig.CurlAsync(HttpRig.Url(port, "/get"));
        Assert.Equal("second try", get.StandardOutput);
        Assert.Equal(2, backend.Requests.Count(r => r.Target == "/get"));
    }

    /// <summary>
    /// RELIABILITY FT-04: a server that answers garbage gets the client a 502 logged `PH` (the proxy refused the
    /// response), one that sends half a head and closes a 502 logged `SH`; `retry-on junk-response` sends the request
    /// to the other server instead, and without it nothing is retried.
    /// </summary>
    [Fact]
    public async Task FT_04_GarbageOrHalfHead_502PHOrSH_JunkResponseRetriedOnlyWhenConfigured()
    {
        await using var garbage = RecordingBackend.Start(_ => CannedResponse.Raw("this is not http\r\n\r\n", AfterResponse.Close));
        await using var half = RecordingBackend.Start(_ => CannedResponse.Raw("HTTP/1.1 200 OK\r\nContent-Type: text/pl", AfterResponse.Close));
        await using var good = RecordingBackend.Start(_ => CannedResponse.Ok("from good"));

        var port = Ports.FreeListeningPort();
        await using (var sluice = await HttpRig.StartAsync(HttpRig.Config(port, $"server s1 {garbage.Address}\n    server s2 {half.Address}", backend: "    balance roundrobin\n    retries 2"), port))
        {
            var statuses = new List<string>();
            for (var i = 0; i < 2; i++)
            {
                statuses.Add((await HttpRig.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpRig.Url(port, "/junk" + i))).StandardOutput);
            }

            Assert.Equal(["502", "502"], statuses);
            var garbageLine = await HttpRig.WaitLineAsync(sluice, l => l.Contains("be/s1 ", StringComparison.Ordinal) && l.Contains("GET /junk", StringComparison.Ordinal));
            Assert.Contains(" PH", garbageLine, StringComparison.Ordinal);
            var halfLine = await HttpRig.WaitLineAsync(sluice, l => l.Contains("be/s2 ", StringComparison.Ordinal) && l.Contains("GET /junk", StringComparison.Ordinal));
            Assert.Contains(" SH", halfLine, StringComparison.Ordinal);
            Assert.Single(garbage.Requests);
            Assert.Single(half.Requests);
        }

        port = Ports.FreeListeningPort();
        await using var retrying = await HttpRig.StartAsync(HttpRig.Config(port, $"server s1 {garbage.Address}\n    server s2 {good.Address}",
            backend: "    balance roundrobin\n    retries 2\n    option redispatch\n    retry-on junk-response"), port);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("from good", (await HttpRig.CurlAsync(HttpRig.Url(port, "/retried" + i))).StandardOutput);
        }

        Assert.Contains(garbage.Requests, r => r.Target.StartsWith("/retried", StringComparison.Ordinal));
    }

    /// <summary>
    /// RELIABILITY FT-11: no layer 7 retry once response bytes went to the client (a body cut short is not sent
    /// again), nor for a request whose body was streamed to the server (1 MiB, more than a buffer); a GET without
    /// a body answered 503 is retried, which shows that the retries are on.
    /// </summary>
    [Fact]
    public async Task FT_11_ResponseBytesSentOrBodyLargerThanABuffer_NoRetry()
    {
        await using var cut = RecordingBackend.Start(_ => CannedResponse.Raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial", AfterResponse.Close));
        var port = Ports.FreeListeningPort();
        await using (var sluice = await HttpRig.StartAsync(HttpRig.Config(port, $"server s1 {cut.Address}", backend: "    retries 3\n    retry-on all-retryable-errors"), port))
        {
            var result = await HttpRig.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpRig.Url(port, "/cut"));
            Assert.Equal("200", result.StandardOutput);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Single(cut.Requests);
            Assert.Contains(" SD", await HttpRig.WaitLineAsync(sluice, l => l.Contains("GET /cut", StringComparison.Ordinal)), StringComparison.Ordinal);
        }

        await using var busy = RecordingBackend.Start(_ => CannedResponse.Ok("busy", 503, "Service Unavailable"));
        port = Ports.FreeListeningPort();
        await using var retrying = await HttpRig.StartAsync(HttpRig.Config(port, $"server s1 {busy.Address}", backend: "    retries 3\n    retry-on 503"), port);
        var upload = Path.Combine(Ports.TempDirectory(), "upload");
        await File.WriteAllBytesAsync(upload, new byte[1024 * 1024]);
        var post = await HttpRig.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "@" + upload, HttpRig.Url(port, "/upload"));
        Assert.Equal("503", post.StandardOutput);
        Assert.Single(busy.Requests, r => r.Target == "/upload");

        var get = await HttpRig.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpRig.Url(port, "/get"));
        Assert.Equal("503", get.StandardOutput);
        Assert.Equal(4, busy.Requests.Count(r => r.Target == "/get"));
    }

    /// <summary>
    /// A check server whose answers the test sets (agent_server.py replies with a file's content): 3 failed checks
    /// take it down, not fewer; 2 passed ones bring it back; no request reaches it while it is down.
    /// </summary>
    [Fact]
    public async Task FT_12_ThreeFailedChecksTakeItDown_TwoPassedBringItBack_NoTrafficWhileDown()
    {
        var reply = Path.Combine(Ports.TempDirectory(), "reply");
        const string Ok = "HTTP/1.0 200 OK\r\ncontent-length: 7\r\n\r\nchecked";
        await File.WriteAllTextAsync(reply, Ok);
        await using var checkedServer = await PythonPeer.StartAgentServerAsync(reply);
        await using var other = await CheckPeer.StartAsync("other");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{Port(port)}
                default_backend be
            backend be
                option httpchk GET /health
                server flaky {checkedServer.Address} check inter 200 downinter 1s fall 3 rise 2
                server other {other.Address} check inter 200 fall 3 rise 2
            """, [ReadyProbe.Tcp(port)]);

        int Checks() => checkedServer.Output.Lines.Count(l => l.StartsWith("GOT", StringComparison.Ordinal));

        // The check server's lines come through a pipe and may trail Sluice's: wait (boundedly) until they show at
        // least <paramref name="count"/> checks since <paramref name="before"/> before counting.
        async Task<int> ChecksSinceAsync(int before, int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(3);
            while (Checks() - before < count && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            return Checks() - before;
        }

        await checkedServer.Output.WaitForAsync(l => l.StartsWith("GOT", StringComparison.Ordinal), 3);

        await File.WriteAllTextAsync(reply, "HTTP/1.0 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n");
        var before = Checks();
        await sluice.Output.WaitForAsync(l => l.Contains("Server be/flaky is DOWN", StringComparison.Ordinal));
        // The check running when the answer changed may have read either: 2 or 3 checks since, never fewer or more
        // (`downinter 1s` keeps the next one away while they are counted).
        Assert.InRange(await ChecksSinceAsync(before, 2), 2, 3);
        var down = sluice.Output.Lines.First(l => l.Contains("Server be/flaky is DOWN", StringComparison.Ordinal));
        Assert.Matches(@"^\[WARNING\] Server be/flaky is DOWN, reason: Layer7 wrong status, code: 500, info: ""Internal Server Error"", check duration: \d+ms\. 1 active and 0 backup servers left\.", down);

        for (var i = 0; i < 4; i++)
        {
            var result = await HttpRig.CurlAsync(HttpRig.Url(port, "/while-down"));
            Assert.Equal("other", result.StandardOutput);
        }

        // Checks come a second apart while the server is down: once no line has come for 300 ms, every check made
        // so far is counted (on a loaded machine the lines may trail by more than one check).
        var settled = Checks();
        while (true)
        {
            await Task.Delay(300);
            if (Checks() == settled)
            {
                break;
            }

            settled = Checks();
        }

        // `rise 2`: two passing checks at least after the change; after the UP, checks come every 200 ms again, and a
        // loaded machine may count a few of them too.
        await File.WriteAllTextAsync(reply, Ok);
        before = Checks();
        await sluice.Output.WaitForAsync(l => l.Contains("Server be/flaky is UP", StringComparison.Ordinal));
        Assert.InRange(await ChecksSinceAsync(before, 2), 2, 6);
    }

    /// <summary>
    /// A server passing and failing its checks in turn never fails `fall` in a row: its state never changes and
    /// traffic flows (the traffic request shares the peer's turn counter, so it may shift the turns by one: fall 3).
    /// The checks' timeout is set apart from `inter` (its default), which a loaded machine once overran: a passing
    /// check timed out between two failing ones.
    /// </summary>
    [Fact]
    public async Task FT_13_FlappingChecks_StateChangesBoundedByRiseAndFall()
    {
        await using var flapping = await PythonPeer.StartCheckProtocolServerAsync("httpflap");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
                timeout check 2s
            frontend fe
                bind 127.0.0.1:{Port(port)}
                default_backend be
            backend be
                option httpchk GET /health
                server flap {flapping.Address} check inter 100 fall 3 rise 3
            """, [ReadyProbe.Tcp(port)]);

        await flapping.Output.WaitForAsync(l => l.StartsWith("GOT", StringComparison.Ordinal), 20);
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("is DOWN", StringComparison.Ordinal) || l.Contains("is UP", StringComparison.Ordinal));
        var result = await HttpRig.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpRig.Url(port, "/"));
        Assert.Matches("^(200|500)$", result.StandardOutput);
    }

    /// <summary>frontend `maxconn 100` and 150 concurrent clients: the extra connections wait in the backlog, none is refused.</summary>
    [Fact]
    public async Task RES_07_FrontendMaxConn100_150Clients_NoneRefused()
    {
        await using var server = await NginxBackend.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode http
                timeout connect 1s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{Port(port)}
                maxconn 100
                default_backend be
            backend be
                server s {server.Address}
            """, [ReadyProbe.Tcp(port)]);

        var result = await CommandRunner.RunAsync(CommandRunner.Require("h2load", "nghttp2-client"),
            ["--h1", "-n", "1500", "-c", "150", "-t", "1", HttpRig.Url(port, NginxBackend.SmallPath)], timeout: TimeSpan.FromSeconds(90));
        var summary = Regex.Match(result.StandardOutput, @"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout");
        Assert.True(summary.Success, result.StandardOutput + result.StandardError);
        Assert.Equal(("1500", "0", "0"), (summary.Groups[3].Value, summary.Groups[4].Value, summary.Groups[5].Value));
    }

    /// <summary>`set server be/a state maint`, then `drain`, through the stats socket while h2load drives traffic: no error, no new request to it.</summary>
    [Theory]
    [InlineData("maint")]
    [InlineData("drain")]
    public async Task FT_18_SetServerStateUnderLoad_NoNewRequests_NoErrors(string state)
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        await using var sluice = await SluiceProcess.StartAsync($"""
            global
                stats socket {socket} level admin
            defaults
                mode http
                timeout connect 1s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{Port(port)}
                default_backend be
            backend be
                balance roundrobin
                server a {a.Address}
                server b {b.Address}
            """, [ReadyProbe.Tcp(port)]);

        int Requests() => a.Output.Lines.Count(l => l.StartsWith("REQ GET / ", StringComparison.Ordinal));
        var load = CommandRunner.RunAsync(CommandRunner.Require("h2load", "nghttp2-client"),
            ["--h1", "-D", "3", "-c", "4", "-t", "1", HttpRig.Url(port, "/")], timeout: TimeSpan.FromSeconds(60));
        await Task.Delay(1000);
        Assert.True(Requests() > 0);
        Assert.Equal("\n", await Sluice.Integration.Scenarios.Stats.StatsPeers.UnixAsync(socket, $"set server be/a state {state}"));
        // Requests already sent to it finish; none starts after.
        await Task.Delay(300);
        var afterChange = Requests();
        var result = await load;
        Assert.Equal(afterChange, Requests());
        var summary = Regex.Match(result.StandardOutput, @"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout");
        Assert.True(summary.Success, result.StandardOutput + result.StandardError);
        Assert.Equal(("0", "0", "0"), (summary.Groups[4].Value, summary.Groups[5].Value, summary.Groups[6].Value));
        Assert.Equal(summary.Groups[2].Value, summary.Groups[3].Value);
    }
}
