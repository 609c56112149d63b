using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Hosting;

/// <summary>
/// Master-worker mode as systemd units and operators drive HAProxy's: `-W` with the master CLI of `-S` through
/// socat (`show proc`, `@1`/`@!PID` prefixes, the prompt, levels, `reload`), compared with haproxy 2.6 where both
/// answer alike; `mworker-max-reloads`; `-Ws` telling NOTIFY_SOCKET when the service is ready, reloading and
/// stopping; and the start-up messages of a bad `-S`.
/// </summary>
public sealed partial class MasterWorkerTests
{
    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Answering(int port, string body, string global = "") => $"""
        global
        {global}
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        frontend fe
            bind 127.0.0.1:{P(port)}
            http-request return status 200 content-type text/plain string "{body}"
        """;

    /// <summary>`socat -t 20 stdio UNIX-CONNECT:PATH` with <paramref name="input"/>: waits for slow answers (a reload) after the input ends.</summary>
    /// <remarks>
    /// A refused connection is tried again for a few seconds: haproxy's master was seen to refuse one just after its
    /// socket first accepted, while its worker was starting.
    /// </remarks>
    private static async Task<string> MasterAsync(string path, string input)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var result = await CommandRunner.RunAsync(CommandRunner.Require("socat", "socat"), ["-t", "20", "stdio", "UNIX-CONNECT:" + path],
                timeout: TimeSpan.FromSeconds(40), standardInput: input);
            if (result.ExitCode != 0 && result.StandardError.Contains("Connection refused", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
                continue;
            }

            Assert.True(result.ExitCode == 0, $"socat failed ({result.ExitCode}): {result.StandardError}");
            return result.StandardOutput;
        }
    }

    private static async Task<SluiceProcess> StartMasterAsync(string config, string masterSocket, params string[] more)
    {
        var sluice = await SluiceProcess.StartAsync(config, [], ["-W", "-S", masterSocket, .. more]);
        await StatsPeers.WaitForUnixSocketAsync(masterSocket.Split(',')[0]);
        return sluice;
    }

    [Fact]
    public async Task MasterCli_PromptPrefixesAndLevels_AnswerAsHaproxy26()
    {
        // One interactive session: the master's prompt, `@1` switching to the worker and `@` back, a command for the
        // worker by prefix, lowering the level, and a prefix naming no process, which ends the session.
        const string Session = "prompt\nshow cli level\n@1\nshow cli level\n@\n@1 show cli level\nuser\nshow cli level\n@7\nshow cli level\n";
        async Task<string> RunAsync(string masterSocket, int pid) =>
            (await MasterAsync(masterSocket, Session)).Replace(pid.ToString(CultureInfo.InvariantCulture) + ">", "PID>", StringComparison.Ordinal);

        var port = Ports.FreeListeningPort();
        var haSocket = Path.Combine(Ports.TempDirectory(), "master.sock");
        string reference;
        await using (var haproxy = await HaproxyOracle.StartAsync(Answering(port, "ha"), haSocket, "-W", "-S", haSocket))
        {
            // haproxy's master lists its worker only once the worker said it is ready.
            var worker = WorkerPid().Match(await MasterAsync(haSocket, "show proc\n"));
            for (var attempt = 0; !worker.Success && attempt < 50; attempt++)
            {
                await Task.Delay(100);
                worker = WorkerPid().Match(await MasterAsync(haSocket, "show proc\n"));
            }

            Assert.True(worker.Success, "haproxy's master lists no worker");
            reference = await RunAsync(haSocket, int.Parse(worker.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        var socket = Path.Combine(Ports.TempDirectory(), "master.sock");
        await using var sluice = await StartMasterAsync(Answering(port, "ours"), socket);
        Assert.Equal("master> admin\n\nmaster> PID> admin\n\nPID> master> admin\n\nmaster> master> user\n\nmaster> Can't find the target PID matching the prefix '@7'\n", reference);
        Assert.Equal(reference, await RunAsync(socket, sluice.ProcessId));
    }

    [Fact]
    public async Task MasterCli_ShowProcAndWorkerCommands_NameThisProcess()
    {
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "master.sock");
        await using var sluice = await StartMasterAsync(Answering(port, "ours"), socket);
        var pid = sluice.ProcessId.ToString(CultureInfo.InvariantCulture);

        var proc = await MasterAsync(socket, "show proc\n");
        Assert.Matches($@"^#<PID>          <type>          <reloads>       <uptime>        <version>      \n{pid} +master +0 \[failed: 0\] +0d00h00m\d\ds +\S+ *\n# workers\n{pid} +worker +0 +0d00h00m\d\ds +\S+ *\n# programs\n\n$", proc);

        Assert.Contains($"\nPid: {pid}\n", await MasterAsync(socket, "@1 show info\n"), StringComparison.Ordinal);
        Assert.StartsWith("Name: Sluice\n", await MasterAsync(socket, $"@!{pid} show info\n"), StringComparison.Ordinal);
        Assert.StartsWith("Unknown command, but maybe one of the following ones is a better match:\n", await MasterAsync(socket, "show info\n"), StringComparison.Ordinal);
        Assert.Contains("  show proc                               : show processes status\n", await MasterAsync(socket, "help\n"), StringComparison.Ordinal);
        Assert.Equal("Permission denied\n\n", await MasterAsync(socket, "user; reload\n"));
        Assert.Equal(string.Empty, (await Scenarios.Http.Http.CurlAsync(Scenarios.Http.Http.Url(port, "/"))).StandardError);
    }

    /// <summary>
    /// `reload` answers once the new configuration runs (HAProxy 2.7's `Success=1`, then the messages); a tunnel of
    /// the replaced configuration keeps it listed as an old worker and keeps working, until `mworker-max-reloads`
    /// stops it; a bad configuration answers `Success=0` and marks the prompt, the running one answering on.
    /// </summary>
    [Fact]
    public async Task MasterCli_Reload_OldWorkerListedWhileItsTunnelLasts_MaxReloadsEndsIt_FailureMarksThePrompt()
    {
        var echo = Ports.FreeListeningPort();
        await using var echoServer = PeerProcess.Start(CommandRunner.Require("socat", "socat"), [$"TCP-LISTEN:{P(echo)},bind=127.0.0.1,reuseaddr,fork", "EXEC:cat"]);
        var port = Ports.FreeListeningPort();
        var tunnelPort = Ports.FreeListeningPort();
        string Config(string body, int? maxReloads = null) => $"""
            {Answering(port, body, maxReloads is { } max ? $"    mworker-max-reloads {P(max)}" : string.Empty)}
            listen echo
                mode tcp
                bind 127.0.0.1:{P(tunnelPort)}
                server s 127.0.0.1:{P(echo)}
            """;
        var socket = Path.Combine(Ports.TempDirectory(), "master.sock");
        await using var sluice = await StartMasterAsync(Config("v0", maxReloads: 1), socket);

        using var tunnel = await TestClient.ConnectTcpAsync(tunnelPort);
        await EchoAsync(tunnel, "before");

        await File.WriteAllTextAsync(sluice.ConfigPath, Config("v1", maxReloads: 1));
        var answer = await MasterAsync(socket, "reload\n");
        Assert.StartsWith("Success=1\n--\n[NOTICE] Reloading the configuration.\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("[NOTICE] Reload done: new connections get the new configuration.\n", answer, StringComparison.Ordinal);
        Assert.Equal("v1", (await Scenarios.Http.Http.CurlAsync(Scenarios.Http.Http.Url(port, "/"))).StandardOutput);
        await EchoAsync(tunnel, "after one reload");
        var proc = await MasterAsync(socket, "show proc\n");
        Assert.Matches(@" +master +1 \[failed: 0\] .*\n# workers\n\d+ +worker +0 .*\n# old workers\n\d+ +worker +1 .*\n# programs\n", proc);

        await File.WriteAllTextAsync(sluice.ConfigPath, Config("v2", maxReloads: 1));
        answer = await MasterAsync(socket, "reload\n");
        Assert.Contains("[NOTICE] A configuration replaced 2 reloads ago stops now, its connections with it ('mworker-max-reloads' is 1).\n", answer, StringComparison.Ordinal);
        var buffer = new byte[16];
        Assert.Equal(0, await tunnel.ReceiveAsync(buffer).WaitAsync(TestTimeout.Value));

        await File.WriteAllTextAsync(sluice.ConfigPath, "frontend broken\n    bind 127.0.0.1:notaport\n");
        answer = await MasterAsync(socket, "reload\n");
        Assert.StartsWith("Success=0\n--\n", answer, StringComparison.Ordinal);
        Assert.Contains("[ALERT] Reload failed: the running configuration stays.\n", answer, StringComparison.Ordinal);
        Assert.StartsWith("master[ReloadFailed]> ", await MasterAsync(socket, "prompt\n"), StringComparison.Ordinal);
        Assert.Matches(@" +master +3 \[failed: 1\] ", await MasterAsync(socket, "show proc\n"));
        Assert.Equal("v2", (await Scenarios.Http.Http.CurlAsync(Scenarios.Http.Http.Url(port, "/"))).StandardOutput);
    }

    /// <summary>`-Ws` under a `Type=notify` unit: READY with MAINPID once listening, RELOADING then READY around a reload, STOPPING at the end.</summary>
    [Fact]
    public async Task SystemdNotify_ReadyReloadingReadyStopping()
    {
        var notifyPath = Path.Combine(Ports.TempDirectory(), "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var port = Ports.FreeListeningPort();
        var sluice = await SluiceProcess.StartUnderAsync(["/usr/bin/env", "NOTIFY_SOCKET=" + notifyPath], Answering(port, "v0"), [ReadyProbe.Tcp(port)], "-Ws");
        await using (sluice)
        {
            var pid = sluice.ProcessId.ToString(CultureInfo.InvariantCulture);
            Assert.Equal($"READY=1\nMAINPID={pid}", await ReceiveAsync(notify));

            var kill = await CommandRunner.RunAsync("kill", ["-USR2", pid]);
            Assert.Equal(0, kill.ExitCode);
            Assert.Equal("RELOADING=1", await ReceiveAsync(notify));
            Assert.Equal($"READY=1\nMAINPID={pid}", await ReceiveAsync(notify));

            kill = await CommandRunner.RunAsync("kill", ["-TERM", pid]);
            Assert.Equal(0, kill.ExitCode);
            Assert.Equal("STOPPING=1", await ReceiveAsync(notify));
        }
    }

    [Fact]
    public async Task MasterCliWithoutMasterWorker_Warns_AndRunsWithoutIt()
    {
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "master.sock");
        await using var sluice = await SluiceProcess.StartAsync(Answering(port, "ours"), [ReadyProbe.Tcp(port)], "-S", socket);
        Assert.Contains("[WARNING] config : a master CLI socket was defined, but master-worker mode (-W) is not enabled.", sluice.Output.Lines);
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public async Task MasterWorkerKeyword_OpensTheMasterCliAsMinusW()
    {
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "master.sock");
        await using var sluice = await SluiceProcess.StartAsync(Answering(port, "ours", "    master-worker no-exit-on-failure"), [], "-S", socket + ",level,operator");
        await StatsPeers.WaitForUnixSocketAsync(socket);
        Assert.Equal("operator\n\n", await MasterAsync(socket, "show cli level\n"));
    }

    [Theory]
    [InlineData(",foo,1", new[] { "[ALERT] config : 'SOCKET foo' : unknown keyword 'foo'.", "[ALERT] config : Can't create the master's CLI." })]
    [InlineData(",ssl", new[] { "[ALERT] config : 'SOCKET ssl' : 'ssl' is not supported yet on the master CLI.", "[ALERT] config : Can't create the master's CLI." })]
    [InlineData(",level,root", new[] { "[ALERT] config : 'SOCKET' : 'level' only supports 'user', 'operator', and 'admin'.", "[ALERT] config : Can't create the master's CLI." })]
    public async Task BadMasterCliOptions_AlertAndExit(string options, string[] expected)
    {
        var socket = Path.Combine(Ports.TempDirectory(), "master.sock");
        var config = Path.Combine(Ports.TempDirectory(), "sluice.cfg");
        await File.WriteAllTextAsync(config, Answering(Ports.FreeListeningPort(), "x"));
        var result = await SluiceBinary.RunAsync(["-W", "-S", socket + options, "-f", config]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(expected.Select(l => l.Replace("SOCKET", socket, StringComparison.Ordinal)), result.StandardError.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task MasterCliThatCannotBind_AlertsAsHaproxy_AndExits()
    {
        var config = Path.Combine(Ports.TempDirectory(), "sluice.cfg");
        await File.WriteAllTextAsync(config, Answering(Ports.FreeListeningPort(), "x"));
        var result = await SluiceBinary.RunAsync(["-W", "-S", "/nonexistent-dir/master.sock", "-f", config]);
        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"^\[ALERT\] Binding \[master-socket:0\] for proxy MASTER: cannot bind UNIX socket \(.+\) \[/nonexistent-dir/master.sock\]\n\[ALERT\] \[sluice.main\(\)\] Some protocols failed to start their listeners! Exiting.\n$", result.StandardError);
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[1024];
        var read = await socket.ReceiveAsync(buffer).WaitAsync(TestTimeout.Value);
        return Encoding.ASCII.GetString(buffer, 0, read);
    }

    /// <summary>Sends <paramref name="text"/> through the tunnel to the echo server and reads it back.</summary>
    private static async Task EchoAsync(Socket tunnel, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        await tunnel.SendAsync(bytes);
        var received = new byte[bytes.Length];
        var total = 0;
        while (total < bytes.Length)
        {
            var read = await tunnel.ReceiveAsync(received.AsMemory(total)).AsTask().WaitAsync(TestTimeout.Value);
            Assert.True(read > 0, "the tunnel closed");
            total += read;
        }

        Assert.Equal(text, Encoding.ASCII.GetString(received));
    }

    [GeneratedRegex(@"\n(\d+) +worker ")]
    private static partial Regex WorkerPid();
}
