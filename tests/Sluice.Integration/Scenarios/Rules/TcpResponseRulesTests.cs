using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Rules;

/// <summary>
/// `tcp-response content` rules in mode tcp on the server's first bytes (`res.len`, `res.payload`,
/// `res.payload_lv`, within `tcp-response inspect-delay`), and the `stick store-response` rules that run after
/// them. Each scenario runs under haproxy 2.6, then Sluice, with the same configuration and servers: what the
/// client receives, the termination state and bytes of the log line, and the denied-response counters must match.
/// </summary>
public class TcpResponseRulesTests
{
    /// <summary>What one run shows: the client's bytes, the log's `%ts %B`, and `dresp` of the frontend, backend and server.</summary>
    private sealed record Outcome(string Received, string Log, string Denied);

    /// <summary>A server that sends <paramref name="parts"/> (a pause between them) as soon as a client connects, then echoes.</summary>
    private static Func<Socket, Task> Banner(params string[] parts) => async socket =>
    {
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                await Task.Delay(300);
            }

            await socket.SendAsync(Encoding.Latin1.GetBytes(parts[i]));
        }

        await TestServer.Echo(socket);
    };

    private static string Config(int port, string socket, int logPort, string server, string rules) => $"""
        {HaproxyOracle.Preamble(socket, "tcp")}
        listen l
            bind 127.0.0.1:{port}
            log 127.0.0.1:{logPort} local0
            log-format "LOG %ts %B"
        {rules}
            server s {server}
        """;

    /// <summary>
    /// Runs one client under both proxies: it sends <paramref name="send"/> (after a short pause, so that the server's
    /// banner comes first), half-closes unless told not to (the echo server then ends its side too) and reads to the end.
    /// </summary>
    private static async Task<(Outcome Reference, Outcome Ours)> CompareAsync(Func<Socket, Task> server, string rules, string send = "", bool halfClose = true)
    {
        await using var backend = TestServer.Tcp(server);
        using var logs = SyslogListener.Udp();
        var seen = 0;
        return await HaproxyOracle.CompareAsync(
            (port, socket) => Config(port, socket, logs.Port, backend.Address, rules),
            async (port, socket) =>
            {
                string received;
                using (var client = await TestClient.ConnectTcpAsync(port))
                {
                    await Task.Delay(100);
                    if (send.Length > 0)
                    {
                        await client.SendAsync(Encoding.Latin1.GetBytes(send));
                    }

                    if (halfClose)
                    {
                        client.Shutdown(SocketShutdown.Send);
                    }

                    received = await TestClient.ReadToEndQuietlyAsync(client);
                }

                var line = (await logs.Lines.WaitForAsync(l => l.Contains("LOG ", StringComparison.Ordinal), ++seen))[^1];
                var csv = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"));
                var denied = string.Join(' ', new[] { "l/FRONTEND", "l/BACKEND", "l/s" }.Select(row => csv[row]["dresp"]));
                return new Outcome(received, line[(line.IndexOf("LOG ", StringComparison.Ordinal) + 4)..], denied);
            });
    }

    /// <summary>A banner a rule refuses: the client gets none of it, the log says `PD` with the bytes read, `dresp` counts it thrice.</summary>
    [Fact]
    public async Task Reject_OnTheServerBanner_NothingForwarded_PD_AsHAProxy()
    {
        var (reference, ours) = await CompareAsync(Banner("BAD! go away\n"), """
                tcp-response inspect-delay 2s
                tcp-response content reject if { res.payload(0,4) -m str BAD! }
                tcp-response content accept if { res.len ge 4 }
            """);

        Assert.Equal(new Outcome(string.Empty, "PD 13", "1 1 1"), reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// The banner comes in two parts 300 ms apart: the rules wait for the four bytes they read (an unconditional
    /// reject follows the accept, so deciding on the first part would refuse), then everything flows both ways.
    /// </summary>
    [Fact]
    public async Task Accept_WaitsForTheBytesTheRuleReads_ThenTunnels_AsHAProxy()
    {
        var (reference, ours) = await CompareAsync(Banner("GO", "OD hello\n"), """
                tcp-response inspect-delay 2s
                tcp-response content accept if { res.payload(0,4) -m str GOOD }
                tcp-response content reject
            """, send: "ping\n");

        Assert.Equal(new Outcome("GOOD hello\nping\n", "-- 16", "0 0 0"), reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>The block a length field announces (`res.payload_lv`): only the complete block matches.</summary>
    [Fact]
    public async Task PayloadLv_ReadsTheAnnouncedBlock_AsHAProxy()
    {
        var rules = """
                tcp-response inspect-delay 2s
                tcp-response content accept if { res.payload_lv(0,1) -m str GOOD }
                tcp-response content reject
            """;
        var (reference, ours) = await CompareAsync(Banner("\u0004GO", "OD\n"), rules);
        Assert.Equal(new Outcome("\u0004GOOD\n", "-- 6", "0 0 0"), reference);
        Assert.Equal(reference, ours);

        (reference, ours) = await CompareAsync(Banner("\u0005GOOD\n"), rules);
        Assert.Equal(new Outcome(string.Empty, "PD 6", "1 1 1"), reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// The delay runs out with the rule's bytes still missing (the client keeps its side open, so the server does
    /// too): the rules decide on what came, and the reject applies.
    /// </summary>
    [Fact]
    public async Task DelayOver_RulesDecideOnWhatCame_AsHAProxy()
    {
        var started = DateTime.UtcNow;
        var (reference, ours) = await CompareAsync(Banner("GO"), """
                tcp-response inspect-delay 500ms
                tcp-response content accept if { res.payload(0,4) -m str GOOD }
                tcp-response content reject
            """, halfClose: false);

        Assert.Equal(new Outcome(string.Empty, "PD 2", "1 1 1"), reference);
        Assert.Equal(reference, ours);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1), "each proxy waited for the delay");
    }

    /// <summary>Without `tcp-response inspect-delay` the rules run once the server connection is up, on no bytes at all.</summary>
    [Fact]
    public async Task NoDelay_RulesSeeNothing_AsHAProxy()
    {
        var (reference, ours) = await CompareAsync(Banner("BAD! hello\n"), """
                tcp-response content reject if { res.len ge 1 }
            """);

        Assert.Equal(new Outcome("BAD! hello\n", "-- 11", "0 0 0"), reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>`close`: the banner reaches the client, then the server connection is cut and the client's ends too.</summary>
    [Fact]
    public async Task Close_ForwardsTheBannerThenEnds_AsHAProxy()
    {
        var (reference, ours) = await CompareAsync(Banner("GOOD hello\n"), """
                tcp-response inspect-delay 2s
                tcp-response content close if { res.len ge 4 }
            """);

        Assert.Equal(new Outcome("GOOD hello\n", "-- 11", "0 0 0"), reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `stick store-response` in mode tcp runs after the response rules, on the bytes they waited for; a rejected
    /// response stores nothing. (Without a delay haproxy 2.6 runs the stores on whatever came when its analysers
    /// first run, which depends on its timing; that case is not compared.)
    /// </summary>
    [Fact]
    public async Task StoreResponse_KeysFromTheServerBytes_AsHAProxy()
    {
        await using var good = TestServer.Tcp(Banner("GOOD hello\n"));
        await using var bad = TestServer.Tcp(Banner("BAD! hello\n"));
        int[] ports = [];
        string Config(int port, string socket)
        {
            ports = [port, Ports.FreeListeningPort()];
            const string Table = "stick-table type string len 16 size 10\n    stick store-response res.payload(0,4)";
            const string Rules = "tcp-response inspect-delay 2s\n    tcp-response content reject if { res.payload(0,4) -m str BAD! }\n    tcp-response content accept if { res.len ge 4 }";
            return $"""
                {HaproxyOracle.Preamble(socket, "tcp")}
                listen waits
                    bind 127.0.0.1:{ports[0]}
                    {Rules}
                    {Table}
                    server s1 {good.Address}
                listen refuses
                    bind 127.0.0.1:{ports[1]}
                    {Rules}
                    {Table}
                    server s1 {bad.Address}
                """;
        }

        async Task<string> RunAsync(int port, string socket)
        {
            var shown = new StringBuilder();
            foreach (var (listen, listenPort) in new[] { "waits", "refuses" }.Zip(ports))
            {
                using (var client = await TestClient.ConnectTcpAsync(listenPort))
                {
                    // The client ends its side once the server's first bytes reached it: ended before them, on a loaded
                    // machine haproxy once closed the session before its response rules stored the key.
                    var first = new byte[256];
                    int read;
                    try
                    {
                        read = await client.ReceiveAsync(first, SocketFlags.None, TestTimeout.Token());
                    }
                    catch (SocketException)
                    {
                        read = 0;
                    }

                    shown.Append(Encoding.ASCII.GetString(first, 0, read));
                    if (read > 0)
                    {
                        client.Shutdown(SocketShutdown.Send);
                        shown.Append(await TestClient.ReadToEndQuietlyAsync(client));
                    }
                }

                var table = await StatsPeers.UnixAsync(socket, "show table " + listen);
                shown.AppendJoin('\n', table.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Replace(l, "^0x[0-9a-f]+: ", string.Empty)));
            }

            return shown.ToString();
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);
        Assert.True(reference.Contains("key=GOOD", StringComparison.Ordinal), reference);
        Assert.Contains("key=GOOD use=0 exp=0 server_id=1 server_key=s1", reference, StringComparison.Ordinal);
        Assert.Contains("# table: refuses, type: string, size:10, used:0", reference, StringComparison.Ordinal);
        Assert.Equal(reference, ours);
    }
}
