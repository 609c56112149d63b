using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// `agent-check` against an agent (a python process answering what the test writes in a file): its health words
/// take the server down and up, its admin words drain it and put it in maintenance, a percentage changes its
/// weight; the lines on stderr are those haproxy 2.6 prints for the same replies.
/// </summary>
public class AgentCheckTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static async Task<string> GetAsync(int port)
    {
        var result = await CommandRunner.RunAsync(CommandRunner.Require("curl", "curl"), ["-sS", "--max-time", "10", "http://127.0.0.1:" + Port(port) + "/"], timeout: TimeSpan.FromSeconds(20));
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }

    [Fact]
    public async Task AgentReplies_DownUpDrainReadyMaintWeight_StateAndTrafficFollow_HAProxyLines()
    {
        var reply = Path.Combine(Ports.TempDirectory(), "reply");
        await File.WriteAllTextAsync(reply, "up\n");
        await using var agent = await PythonPeer.StartAgentServerAsync(reply);
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            listen l
                bind 127.0.0.1:{Port(port)}
                balance roundrobin
                server a {a.Address} check inter 300 agent-check agent-port {Port(agent.Port)} agent-inter 200 agent-send "hello\n"
                server b {b.Address} check inter 300
            """, [ReadyProbe.Tcp(port)]);

        await agent.Output.WaitForAsync(l => l == "GOT 68656c6c6f0a");
        async Task<string> ReplyAsync(string text, string expectedLine)
        {
            var seen = sluice.Output.Lines.Count;
            await File.WriteAllTextAsync(reply, text + "\n");
            var lines = await sluice.Output.WaitForAsync(l => Regex.IsMatch(l, expectedLine), sluice.Output.Lines.Count(l => Regex.IsMatch(l, expectedLine)) + 1);
            return lines[^1];
        }

        await ReplyAsync("down", @"^\[WARNING\] Server l/a is DOWN, reason: Layer7 wrong status, code: 0, info: ""via agent : down"", check duration: \d+ms\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$");
        // The checks pass meanwhile: the agent keeps it down.
        await Task.Delay(1000);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("b", await GetAsync(port));
        }

        await ReplyAsync("up", @"^\[WARNING\] Server l/a is UP, reason: Layer7 check passed, code: 0, info: ""via agent : up"", check duration: \d+ms\. 2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$");
        await ReplyAsync("drain", @"^\[WARNING\] Server l/a enters drain state\. 1 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$");
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("b", await GetAsync(port));
        }

        await ReplyAsync("ready", @"^\[WARNING\] Server l/a is UP \(leaving forced drain\)\.$");
        await ReplyAsync("maint", @"^\[WARNING\] Server l/a is going DOWN for maintenance\. 1 active and 0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.$");
        await ReplyAsync("ready", @"^\[WARNING\] Server l/a is UP/READY \(leaving forced maintenance\)\.$");

        // 0% of its weight: it takes no new traffic, as a drained server.
        await File.WriteAllTextAsync(reply, "0%\n");
        await agent.Output.WaitForAsync(l => l.StartsWith("GOT", StringComparison.Ordinal), agent.Output.Lines.Count(l => l.StartsWith("GOT", StringComparison.Ordinal)) + 2);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("b", await GetAsync(port));
        }

        await File.WriteAllTextAsync(reply, "100%\n");
        await agent.Output.WaitForAsync(l => l.StartsWith("GOT", StringComparison.Ordinal), agent.Output.Lines.Count(l => l.StartsWith("GOT", StringComparison.Ordinal)) + 2);
        var bodies = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            bodies.Add(await GetAsync(port));
        }

        Assert.Contains("a", bodies);
        await ReplyAsync("fail#disk full", @"^\[WARNING\] Server l/a is DOWN, reason: Layer7 wrong status, code: 0, info: ""via agent : fail \(disk full\)"", check duration: \d+ms\.");
    }

    /// <summary>
    /// Without `agent-addr` the agent is reached at the server's address: after `set server addr` the next agent checks
    /// go to the new address. Two agents on the same port of 127.0.0.1 and 127.0.0.2 answer different weights (an
    /// agent-inter above the agents' 200 ms wait for a request); haproxy 2.6 first, then Sluice.
    /// </summary>
    [Fact]
    public async Task SetServerAddr_AgentChecksFollowTheNewAddress_AsHAProxy()
    {
        foreach (var oracle in new[] { true, false })
        {
            var (first, second) = (Path.Combine(Ports.TempDirectory(), "first"), Path.Combine(Ports.TempDirectory(), "second"));
            await File.WriteAllTextAsync(first, "50%\n");
            await File.WriteAllTextAsync(second, "25%\n");
            await using var agent = await PythonPeer.StartAgentServerAsync(first);
            await using var moved = await PythonPeer.StartAgentServerAsync(second, "127.0.0.2", agent.Port);
            var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
            var port = Ports.FreeListeningPort();
            var config = $"""
                {Stats.HaproxyOracle.Preamble(socket)}
                listen l
                    bind 127.0.0.1:{Port(port)}
                    server a 127.0.0.1:{Port(Ports.FreeListeningPort())} agent-check agent-port {Port(agent.Port)} agent-inter 300 weight 100
                """;
            await using IAsyncDisposable proxy = oracle
                ? await Stats.HaproxyOracle.StartAsync(config, socket)
                : await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);
            await Stats.StatsPeers.WaitForUnixSocketAsync(socket);
            async Task<int> WeightAsync() =>
                int.Parse(Stats.StatsPeers.ParseCsv(await Stats.StatsPeers.UnixAsync(socket, "show stat"))["l/a"]["weight"], CultureInfo.InvariantCulture);

            await TestTimeout.WaitUntilAsync(async () => await WeightAsync() == 50);
            await Stats.StatsPeers.UnixAsync(socket, "set server l/a addr 127.0.0.2");
            await TestTimeout.WaitUntilAsync(async () => await WeightAsync() == 25);
        }
    }
}
