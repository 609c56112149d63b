using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// Failover with real server processes killed and restarted while h2load drives traffic: the killed server is
/// marked DOWN within inter × fall, no request reaches it while it is down, idempotent requests see no error
/// (`retries`, `option redispatch`, `retry-on conn-failure empty-response`), the server takes traffic again once
/// UP; a backup takes over when every active server is down; and seed 004's websocket health check against the
/// real websocket server.
/// </summary>
public class FailoverTests
{
    private const int Inter = 200;
    private const int Fall = 2;

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Config(int port, string servers, int rise = 2) => $"""
        defaults
            mode http
            timeout connect 500ms
            timeout client 10s
            timeout server 10s
            # A healthy peer's answer may take longer than `inter` on a loaded machine; a stopped peer still fails at
            # once (refused), within `inter` x `fall`.
            timeout check 5s
            retries 3
            option redispatch
            retry-on conn-failure empty-response
        frontend fe
            bind 127.0.0.1:{Port(port)}
            default_backend be
        backend be
            balance roundrobin
            option httpchk GET /health
            default-server check inter {Inter} fall {Fall} rise {rise}
        {servers}
        """;

    private static async Task<string> GetAsync(int port)
    {
        var result = await CommandRunner.RunAsync(CommandRunner.Require("curl", "curl"), ["-sS", "--max-time", "10", "-w", " %{http_code}", "http://127.0.0.1:" + Port(port) + "/"], timeout: TimeSpan.FromSeconds(20));
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }

    private static int TrafficRequests(CheckPeer peer) => peer.Output.Lines.Count(l => l.StartsWith("REQ GET / ", StringComparison.Ordinal));

    [Fact]
    public async Task ServerKilledUnderLoad_DownWithinInterTimesFall_NoClientErrors_NoTrafficWhileDown_BackAfterRestart()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, $"""
                server a {a.Address}
                server b {b.Address}
            """, rise: 8), [ReadyProbe.Tcp(port)]);
        var warmUp = new[] { await GetAsync(port), await GetAsync(port), await GetAsync(port), await GetAsync(port) };
        Assert.True(warmUp.Contains("a 200") && warmUp.Contains("b 200"), string.Join(',', warmUp));

        var load = CommandRunner.RunAsync(CommandRunner.Require("h2load", "nghttp2-client"),
            ["--h1", "-D", "6", "-c", "4", "-t", "1", "http://127.0.0.1:" + Port(port) + "/"], timeout: TimeSpan.FromSeconds(60));
        await Task.Delay(1000);
        await a.StopAsync();
        var killed = Stopwatch.StartNew();
        await sluice.Output.WaitForAsync(l => l.Contains("Server be/a is DOWN", StringComparison.Ordinal));
        var detectionMs = killed.ElapsedMilliseconds;

        await Task.Delay(500);
        await a.RestartAsync();
        // Restarted, it passes checks but is not UP before 8 of them (rise 8 x inter 200ms): no traffic meanwhile.
        await Task.Delay(1000);
        var beforeUp = TrafficRequests(a);
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("Server be/a is UP", StringComparison.Ordinal));
        await sluice.Output.WaitForAsync(l => l.Contains("Server be/a is UP", StringComparison.Ordinal));
        await a.Output.WaitForAsync(l => l.StartsWith("REQ GET / ", StringComparison.Ordinal));
        var result = await load;

        var summary = Regex.Match(result.StandardOutput, @"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout");
        var codes = Regex.Match(result.StandardOutput, @"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx");
        Assert.True(summary.Success && codes.Success, result.StandardOutput + result.StandardError);
        var report = $"detection {detectionMs}ms; {summary.Value}; {codes.Value}";
        Console.WriteLine("failover: " + report);
        Assert.True(detectionMs <= (Inter * Fall) + 600, report);
        // failed, errored, timeout; then 3xx, 4xx, 5xx: none.
        Assert.Equal(["0", "0", "0"], new[] { summary.Groups[4].Value, summary.Groups[5].Value, summary.Groups[6].Value });
        Assert.Equal(["0", "0", "0"], new[] { codes.Groups[2].Value, codes.Groups[3].Value, codes.Groups[4].Value });
        Assert.Equal(summary.Groups[2].Value, summary.Groups[3].Value);
        Assert.True(int.Parse(summary.Groups[3].Value, CultureInfo.InvariantCulture) > 1000, report);
        Assert.Equal(0, beforeUp);
        Assert.Matches(@"^\[WARNING\] Server be/a is DOWN, reason: Layer4 connection problem, info: ""Connection refused"", check duration: \d+ms\. 1 active and 0 backup servers left\. \d+ sessions active, 0 requeued, 0 remaining in queue\.$",
            sluice.Output.Lines.First(l => l.Contains("Server be/a is DOWN", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task FT_15_AllActiveServersKilled_BackupTakesOver_RunningOnBackup_ActiveBackFirst()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        await using var spare = await CheckPeer.StartAsync("spare");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, $"""
                server a {a.Address}
                server b {b.Address}
                server spare {spare.Address} backup
            """), [ReadyProbe.Tcp(port)]);

        for (var i = 0; i < 4; i++)
        {
            Assert.DoesNotContain("spare", await GetAsync(port), StringComparison.Ordinal);
        }

        await a.StopAsync();
        await b.StopAsync();
        var downs = await sluice.Output.WaitForAsync(l => Regex.IsMatch(l, "Server be/[ab] is DOWN"), 2);
        Assert.Matches(@"^\[WARNING\] Server be/[ab] is DOWN, .*\. 0 active and 1 backup servers left\. Running on backup\. 0 sessions active, 0 requeued, 0 remaining in queue\.$", downs[1]);
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("has no server available", StringComparison.Ordinal));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("spare 200", await GetAsync(port));
        }

        await b.RestartAsync();
        await sluice.Output.WaitForAsync(l => l.Contains("Server be/b is UP", StringComparison.Ordinal));
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("b 200", await GetAsync(port));
        }
    }

    /// <summary>
    /// Seed 004 as written: its check sends `Sec-WebSocket-Key: haproxy`, which RFC 6455 §4.2.1 forbids (the key is
    /// 16 bytes in base64), so a strict websocket server answers 400 and haproxy 2.6 takes the server down: Sluice
    /// does the same, in the same words.
    /// </summary>
    [Fact]
    public async Task Seed004WebSocketCheck_AsWritten_StrictServerAnswers400_DownAsInHAProxy()
    {
        await using var ws = await WebSocketEchoServer.StartAsync("echo-protocol");
        string Config(int port) => $"""
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend ft_web
                bind 127.0.0.1:{Port(port)}
                default_backend bk_ws
            backend bk_ws
                balance roundrobin
                option httpchk GET / HTTP/1.1\r\nHost:\ ws.domain.com\r\nConnection:\ Upgrade\r\nUpgrade:\ websocket\r\nSec-WebSocket-Key:\ haproxy\r\nSec-WebSocket-Version:\ 13\r\nSec-WebSocket-Protocol:\ echo-protocol
                http-check expect status 101
                server websrv1 {ws.Address} maxconn 30000 weight 10 cookie websrv1 check inter 300
            """;

        const string Expected = @"Server bk_ws/websrv1 is DOWN, reason: Layer7 wrong status, code: 400, info: ""Bad Request"", check duration: \d+ms\. 0 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$";
        var haproxyPort = Ports.FreeListeningPort();
        await using (var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort), haproxyPort))
        {
            var line = await haproxy.Output.WaitForAsync(l => l.Contains("is DOWN", StringComparison.Ordinal));
            Assert.Matches(Expected, line[0]);
        }

        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port), [ReadyProbe.Tcp(port)]);
        var down = await sluice.Output.WaitForAsync(l => l.Contains("is DOWN", StringComparison.Ordinal));
        Assert.Matches(@"^\[WARNING\] " + Expected, down[0]);
    }

    /// <summary>Seed 004's check with a valid key: the real websocket server answers 101, the server stays up, and a websocket through Sluice works.</summary>
    [Fact]
    public async Task Seed004WebSocketCheck_ValidKey_101_ServerUp_WebSocketThrough()
    {
        await using var ws = await WebSocketEchoServer.StartAsync("echo-protocol");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
                timeout tunnel 30s
                # The checks' answers may take longer than `inter` on a loaded machine: without this, `inter` (200 ms)
                # would bound the whole check and one slow answer would mark the server down (`fall 1`).
                timeout check 5s
            frontend ft_web
                bind 127.0.0.1:{Port(port)}
                default_backend bk_ws
            backend bk_ws
                balance roundrobin
                option httpchk GET / HTTP/1.1\r\nHost:\ ws.domain.com\r\nConnection:\ Upgrade\r\nUpgrade:\ websocket\r\nSec-WebSocket-Key:\ dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version:\ 13\r\nSec-WebSocket-Protocol:\ echo-protocol
                http-check expect status 101
                server websrv1 {ws.Address} check inter 200 fall 1
            """, [ReadyProbe.Tcp(port)]);

        var handshakes = await ws.WaitForHandshakesAsync(3);
        Assert.Contains(handshakes, h => h.Header("Host") == "ws.domain.com" && h.Header("Sec-WebSocket-Key") == "dGhlIHNhbXBsZSBub25jZQ==");
        var client = await WebSocketClient.RunAsync("ws://127.0.0.1:" + Port(port) + "/", 5, new WebSocketClientOptions { Subprotocol = "echo-protocol" });
        Assert.True(client.Succeeded, client.ToString());

        // The whole lines on failure: the reason of a check that failed is at their end.
        var down = sluice.Output.Lines.Where(l => l.Contains("is DOWN", StringComparison.Ordinal)).ToList();
        Assert.True(down.Count == 0, string.Join('\n', sluice.Output.Lines));
    }
}
