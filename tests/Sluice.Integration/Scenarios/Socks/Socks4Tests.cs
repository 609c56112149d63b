using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Socks;

/// <summary>
/// `server ... socks4 ADDR:PORT` and `check-via-socks4` with Debian's Dante as the SOCKS4 proxy, compared with
/// haproxy 2.6 under the same configuration: traffic reaches the server through the proxy; checks go through it
/// only with `check-via-socks4`, and a refusal of the proxy takes the server down with HAProxy's reason.
/// </summary>
public class Socks4Tests
{
    /// <summary>What one proxy showed: the client's bytes, each server's check status, the DOWN lines.</summary>
    private sealed record Outcome(string Received, string Checks, string Down);

    [Fact]
    public async Task TrafficAndChecksThroughTheProxy_AsHAProxy()
    {
        await using var socks = await DanteSocksProxy.StartAsync();
        await using var banner = TestServer.Tcp(async socket =>
        {
            await socket.SendAsync("hello through socks\n"u8.ToArray());
            socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            await TestServer.DrainAsync(socket);
        });
        using var logs = SyslogListener.Udp();
        var refused = "127.0.0.1:" + HAProxyPeer.Port(socks.RefusedPort);
        string Config(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket, "tcp")}
                log 127.0.0.1:{logs.Port} local0
            listen through
                bind 127.0.0.1:{port}
                server s {banner.Address} socks4 {socks.Address} check check-via-socks4 inter 200
            listen refused_check
                # A loaded machine may take over a second to pass the proxy's answer: the check is bounded by
                # min(timeout connect, inter), and a timeout there would be another outcome than the refusal.
                timeout connect 5s
                server s {refused} socks4 {socks.Address} check check-via-socks4 inter 3s fall 1
            listen direct_check
                timeout connect 5s
                server s {refused} socks4 {socks.Address} check inter 3s fall 1
            """;

        var run = 0;
        async Task<Outcome> RunAsync(int port, string socket)
        {
            string received;
            using (var client = await TestClient.ConnectTcpAsync(port))
            {
                received = await TestClient.ReadToEndAsync(client);
            }

            // Each proxy's run adds one DOWN line per refused server (the lines of both runs come to one listener).
            run++;
            var down = new List<string>();
            foreach (var server in (string[])["direct_check/s", "refused_check/s"])
            {
                var lines = await logs.Lines.WaitForAsync(l => l.Contains($"Server {server} is DOWN", StringComparison.Ordinal), run);
                var line = lines[run - 1][lines[run - 1].IndexOf("Server ", StringComparison.Ordinal)..];
                line = Regex.Replace(line, @"check duration: \d+ms", "check duration: Nms");
                // haproxy appends the text of whatever errno its socket last left, "(Message too long)" or none,
                // to the SOCKS4 refusal: that errno is incidental, the refusal is what is compared.
                down.Add(Regex.Replace(line, @"(SOCKS4 Proxy deny the request) \([^()""]*\)""", "$1\""));
            }

            // The server reached through the proxy has had its first checks by now; on a busy machine, wait for them.
            string checks;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            do
            {
                var csv = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"));
                checks = string.Join(' ', new[] { "through/s", "refused_check/s", "direct_check/s" }.Select(row => csv[row]["check_status"]));
                await Task.Delay(100);
            }
            while (!checks.StartsWith("L4OK", StringComparison.Ordinal) && DateTime.UtcNow < deadline);

            return new Outcome(received, checks, string.Join('\n', down));
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("hello through socks\n", reference.Received);
        Assert.Equal("L4OK SOCKERR L4CON", reference.Checks);
        Assert.True(reference.Down.Contains("Server refused_check/s is DOWN, reason: Socket error, info: \"SOCKS4 Proxy deny the request\"", StringComparison.Ordinal), reference.Down);
        Assert.Equal(reference, ours);
    }
}
