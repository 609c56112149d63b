using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Checks;
using Sluice.Integration.Scenarios.Stats;
using static Sluice.Integration.Scenarios.RuntimeApi.RuntimeApiTests;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Hosting;

/// <summary>
/// Server states across a reload, HAProxy's way: `show servers state` written to the `server-state-file`, then a
/// reload with `load-server-state-from-file`. States set by the runtime API (maintenance, drain, weight, port) hold
/// after a SIGUSR2 reload with the file (and, Sluice's own, without it too); `show servers state` and `set
/// server addr` answer as haproxy 2.6 does on the same configuration, and a file haproxy wrote loads the same.
/// </summary>
public sealed class ServerStateFileTests
{
    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Config(string socket, int port, string servers, string global = "", string load = "global") => $"""
        global
            stats socket {socket} mode 600 level admin
        {global}
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
            load-server-state-from-file {load}
        frontend fe
            bind 127.0.0.1:{P(port)}
            default_backend be
        {servers}
        """;

    /// <summary>The answer without column 10 (seconds since the last change), which depends on when each ran.</summary>
    private static string WithoutAge(string state) => string.Join('\n', state.Split('\n').Select(line =>
        line.Length > 0 && char.IsAsciiDigit(line[0]) && line.Split(' ') is { Length: > 10 } fields
            ? string.Join(' ', fields.Take(9).Concat(fields.Skip(10)))
            : line));

    /// <summary>What a state file carries over, per server: name, address, operational and admin state, weight, port.</summary>
    private static string[] Kept(string state) => [.. state.Split('\n')
        .Where(line => line.Length > 0 && char.IsAsciiDigit(line[0]) && line.Contains(' ', StringComparison.Ordinal))
        .Select(line => line.Split(' '))
        .Select(f => string.Join(' ', f[3], f[4], f[5], f[6], f[7], f[18]))];

    private static async Task ReloadAsync(SluiceProcess sluice, int reloadsSoFar)
    {
        var kill = await CommandRunner.RunAsync("kill", ["-USR2", sluice.ProcessId.ToString(CultureInfo.InvariantCulture)]);
        Assert.Equal(0, kill.ExitCode);
        await sluice.Output.WaitForAsync(l => l.StartsWith("[NOTICE] Reload done", StringComparison.Ordinal), reloadsSoFar + 1);
    }

    /// <summary>Asks until <paramref name="done"/> holds for the answer, as a check's first result comes when it comes.</summary>
    private static async Task<string> WaitForStateAsync(string socket, Func<string, bool> done)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (true)
        {
            var state = await StatsPeers.UnixAsync(socket, "show servers state");
            if (done(state) || DateTime.UtcNow > deadline)
            {
                return state;
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task ShowServersStateAndSetServerAddr_SameAnswersAsHaproxy()
    {
        var dead = Ports.FreeListeningPort();
        var directory = Ports.TempDirectory();
        var servers = $"""
            backend be
                server a 127.0.0.1:9001 weight 10
                server b 127.0.0.1:{P(dead)} check inter 60s
                server c 127.0.0.1:9003 disabled
                server d localhost:9004 ssl verify none
            backend be2
                server x 127.0.0.1:9005
            """;
        var haproxySocket = Path.Combine(directory, "h.sock");
        var sluiceSocket = Path.Combine(directory, "s.sock");
        await using var haproxy = await HaproxyOracle.StartAsync(Config(haproxySocket, Ports.FreeListeningPort(), servers, load: "none"), haproxySocket);
        var sluicePort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(sluiceSocket, sluicePort, servers, load: "none"), [ReadyProbe.Tcp(sluicePort)]);

        // b's first check fails (nothing listens): wait for it on both sides before comparing.
        static bool Checked(string state) => state.Contains(" b 127.0.0.1 0 0 1 1 ", StringComparison.Ordinal)
            && state.Split('\n').Any(l => l.Contains(" b ", StringComparison.Ordinal) && l.Split(' ')[10] == "8");
        Assert.Equal(WithoutAge(await WaitForStateAsync(haproxySocket, Checked)), WithoutAge(await WaitForStateAsync(sluiceSocket, Checked)));

        foreach (var command in new[]
        {
            "set server be/a state drain", "set server be/d state maint", "set server be/a weight 7", "set server be/b state maint",
            "set server be2/x addr 127.0.0.2", "set server be2/x addr 127.0.0.2 port 9100", "set server be2/x addr 127.0.0.3 port 9100",
            "set server be2/x addr", "set server be2/x addr foo", "set server be2/x addr 127.0.0.4 port x", "set server be2/x addr ::1 port 70000",
            "set server be2/x addr 127.0.0.4 port", "show servers state be2", "show servers state",
        })
        {
            var expected = WithoutAge(await StatsPeers.UnixAsync(haproxySocket, command));
            Assert.Equal(expected, WithoutAge(await StatsPeers.UnixAsync(sluiceSocket, command)));
        }
    }

    [Fact]
    public async Task MaintDrainWeightAndPort_HoldAcrossAReload_ThroughTheStateFile()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        await using var c = await CheckPeer.StartAsync("c");
        await using var moved = await CheckPeer.StartAsync("moved");
        var directory = Ports.TempDirectory();
        var socket = Path.Combine(directory, "s.sock");
        var port = Ports.FreeListeningPort();
        var servers = $"""
            backend be
                server a {a.Address}
                server b {b.Address}
                server c {c.Address}
            """;
        var global = $"    server-state-base {directory}\n    server-state-file state";
        await using var sluice = await SluiceProcess.StartAsync(Config(socket, port, servers, global), [ReadyProbe.Tcp(port)]);
        Assert.Contains(sluice.Output.Lines, l => l == $"[WARNING] config : config: Can't open global server state file '{directory}/state': No such file or directory");
        Assert.Equal(["a", "b", "c"], (await BodiesAsync(port, 6)).Distinct().Order());

        // a in maintenance, b draining, c moved to another port with a new weight: everything goes to "moved".
        await StatsPeers.UnixAsync(socket, "set server be/a state maint; set server be/b state drain; set server be/c weight 5");
        Assert.Equal($"no need to change the addr, port changed from '{P(c.Port)}' to '{P(moved.Port)}' by 'stats socket command'\n\n",
            await StatsPeers.UnixAsync(socket, $"set server be/c addr 127.0.0.1 port {P(moved.Port)}"));
        Assert.All(await BodiesAsync(port, 4), body => Assert.Equal("moved", body));
        var before = await StatsPeers.UnixAsync(socket, "show servers state");

        // The operator's pattern: save the state, then reload.
        await File.WriteAllTextAsync(Path.Combine(directory, "state"), before);
        await ReloadAsync(sluice, 0);
        Assert.Equal(Kept(before), Kept(await StatsPeers.UnixAsync(socket, "show servers state")));
        Assert.Contains(sluice.Output.Lines, l => l == "[WARNING] config : Server be/b remains in forced drain mode.");
        Assert.All(await BodiesAsync(port, 4), body => Assert.Equal("moved", body));

        // Without load-server-state-from-file an in-process reload still keeps what the runtime API set (a new
        // haproxy process would start from the configuration).
        await File.WriteAllTextAsync(sluice.ConfigPath, Config(socket, port, servers, global, load: "none"));
        await ReloadAsync(sluice, 1);
        Assert.All(await BodiesAsync(port, 4), body => Assert.Equal("moved", body));
        Assert.Equal(Kept(before), Kept(await StatsPeers.UnixAsync(socket, "show servers state")));
    }

    [Fact]
    public async Task AStateFileWrittenByHaproxy_LoadsAsHaproxyLoadsIt()
    {
        var dead = Ports.FreeListeningPort();
        var directory = Ports.TempDirectory();
        var stateFile = Path.Combine(directory, "be.state");
        string Servers(int weightOfE) => $"""
            backend be
                server a 127.0.0.1:9001 weight 10
                server b 127.0.0.1:{P(dead)} check inter 60s
                server d localhost:9004
                server e 127.0.0.1:9005 weight {P(weightOfE)}
                server f 127.0.0.1:9006
            """;
        var first = Path.Combine(directory, "first.sock");
        await using (var writer = await HaproxyOracle.StartAsync(Config(first, Ports.FreeListeningPort(), Servers(3), load: "none"), first))
        {
            // b's first check fails before b goes into maintenance: haproxy pauses the checks of a server in
            // maintenance while Sluice goes on checking it, so a file saved before any check would differ there.
            await WaitForStateAsync(first, state => state.Split('\n').Any(l => l.Contains(" b ", StringComparison.Ordinal) && l.Split(' ')[10] == "8"));
            await StatsPeers.UnixAsync(first, "set server be/a state drain; set server be/a weight 7; set server be/b state maint; set server be/e weight 9");
            await StatsPeers.UnixAsync(first, "set server be/d addr 127.0.0.7 port 9104; set server be/f addr 127.0.0.8 port 9106");
            await File.WriteAllTextAsync(stateFile, await StatsPeers.UnixAsync(first, "show servers state"));
        }

        // `local` reads the backend's own file (server-state-file-name, under server-state-base). e's configured
        // weight changed, so its saved weight is dropped; d (named by host) takes its saved address, f only its port.
        var global = $"    server-state-base {directory}";
        var servers = Servers(4).Replace("backend be\n", "backend be\n    server-state-file-name be.state\n", StringComparison.Ordinal);
        var haproxySocket = Path.Combine(directory, "h.sock");
        var sluiceSocket = Path.Combine(directory, "s.sock");
        await using var haproxy = await HaproxyOracle.StartAsync(Config(haproxySocket, Ports.FreeListeningPort(), servers, global, load: "local"), haproxySocket);
        var sluicePort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(sluiceSocket, sluicePort, servers, global, load: "local"), [ReadyProbe.Tcp(sluicePort)]);

        var expected = await StatsPeers.UnixAsync(haproxySocket, "show servers state");
        Assert.Contains(" d 127.0.0.7 ", expected, StringComparison.Ordinal);
        Assert.Equal(WithoutAge(expected), WithoutAge(await StatsPeers.UnixAsync(sluiceSocket, "show servers state")));
    }
}
