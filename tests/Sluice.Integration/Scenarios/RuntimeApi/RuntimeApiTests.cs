using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Checks;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.RuntimeApi;

/// <summary>
/// The runtime API of the real program through socat, as operators drive HAProxy's: server states and weights
/// change the traffic at once, `show info`/`show stat` read as scripts expect, and answers to refused, unknown
/// and interactive commands are byte for byte those of Debian's haproxy 2.6 on the same configuration.
/// </summary>
public class RuntimeApiTests
{
    private static string Config(int port, string socket, string servers, string globalExtra = "") => $"""
        global
            stats socket {socket} mode 600 level admin
        {globalExtra}
        defaults
            mode http
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{port}
            default_backend be
        backend be
        {servers}
        """;

    /// <summary>The bodies of <paramref name="count"/> answers to GET /, each asserted 200.</summary>
    internal static async Task<List<string>> BodiesAsync(int port, int count)
    {
        var bodies = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var (status, _, body) = await StatsPeers.CurlAsync(StatsPeers.Url(port, "/"));
            Assert.Equal(200, status);
            bodies.Add(body);
        }

        return bodies;
    }

    private static async Task<(SluiceProcess Sluice, int Port, string Socket)> StartAsync(CheckPeer a, CheckPeer b, string globalExtra = "")
    {
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        var sluice = await SluiceProcess.StartAsync(Config(port, socket, $"    server a {a.Address}\n    server b {b.Address}", globalExtra), [ReadyProbe.Tcp(port)]);
        return (sluice, port, socket);
    }

    /// <summary>`show cli sockets` lists every stats socket with its level as haproxy 2.6 does, unix and TCP alike.</summary>
    [Fact]
    public async Task ShowCliSockets_AsHAProxy()
    {
        var directory = Ports.TempDirectory();
        string Sockets(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket)}
            global
                stats socket {directory}/user.sock level user
                stats socket ipv4@127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
                stats socket ipv6@[::1]:{(port + 1).ToString(CultureInfo.InvariantCulture)} level admin
            """;
        var (reference, ours) = await HaproxyOracle.CompareAsync(Sockets, async (port, socket) =>
            (await StatsPeers.UnixAsync(socket, "show cli sockets"))
                .Replace(socket, "ADMIN", StringComparison.Ordinal)
                .Replace(port.ToString(CultureInfo.InvariantCulture), "P", StringComparison.Ordinal)
                .Replace((port + 1).ToString(CultureInfo.InvariantCulture), "P1", StringComparison.Ordinal), ports: 2);
        Assert.Equal($"# socket lvl processes\nunix@ADMIN admin all\nunix@{directory}/user.sock user all\nipv4@127.0.0.1:P operator all\nipv6@[::1]:P1 admin all\n\n", reference);
        Assert.Equal(reference, ours);
    }

    [Fact]
    public async Task DisableServer_NoTrafficFromNextRequest_EnableBringsItBack()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var (sluice, port, socket) = await StartAsync(a, b);
        await using var _ = sluice;
        Assert.Equal(["a", "b"], (await BodiesAsync(port, 4)).Distinct().Order());

        Assert.Equal("\n", await StatsPeers.UnixAsync(socket, "disable server be/a"));
        Assert.All(await BodiesAsync(port, 6), body => Assert.Equal("b", body));
        Assert.Equal("MAINT", StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"))["be/a"]["status"]);

        Assert.Equal("\n", await StatsPeers.UnixAsync(socket, "enable server be/a"));
        Assert.Contains("a", await BodiesAsync(port, 4));
    }

    [Fact]
    public async Task SetServerState_DrainMaintReady_AndWeights()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var (sluice, port, socket) = await StartAsync(a, b);
        await using var _ = sluice;

        await StatsPeers.UnixAsync(socket, "set server be/a state drain");
        Assert.All(await BodiesAsync(port, 4), body => Assert.Equal("b", body));
        Assert.Equal("DRAIN", StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"))["be/a"]["status"]);
        await StatsPeers.UnixAsync(socket, "set server be/a state ready; set server be/b state maint");
        Assert.All(await BodiesAsync(port, 4), body => Assert.Equal("a", body));
        await StatsPeers.UnixAsync(socket, "set server be/b state ready");

        // Weights 3:1 on round robin: any 8 consecutive picks hold two whole cycles.
        Assert.Equal("\n\n", await StatsPeers.UnixAsync(socket, "set weight be/a 3; set server be/b weight 1"));
        Assert.Equal("3 (initial 1)\n\n", await StatsPeers.UnixAsync(socket, "get weight be/a"));
        var bodies = await BodiesAsync(port, 8);
        Assert.Equal(6, bodies.Count(body => body == "a"));
        Assert.Equal(2, bodies.Count(body => body == "b"));

        await StatsPeers.UnixAsync(socket, "set weight be/a 0");
        Assert.All(await BodiesAsync(port, 3), body => Assert.Equal("b", body));
        var rows = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"));
        Assert.Equal("0", rows["be/a"]["weight"]);
        Assert.Equal("1", rows["be/BACKEND"]["weight"]);
    }

    [Fact]
    public async Task ShowInfoAndShowStat_ThroughSocat_ReadableByScripts()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var (sluice, port, socket) = await StartAsync(a, b);
        await using var _ = sluice;
        await StatsPeers.UnixAsync(socket, "clear counters all");
        await BodiesAsync(port, 5);

        var info = (await StatsPeers.UnixAsync(socket, "show info")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(": ", 2)).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(sluice.ProcessId.ToString(CultureInfo.InvariantCulture), info["Pid"]);
        Assert.Equal("1", info["Nbproc"]);
        Assert.True(long.Parse(info["CumReq"], CultureInfo.InvariantCulture) >= 5);
        Assert.Equal("5", StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"))["fe/FRONTEND"]["req_tot"]);
        foreach (var name in new[] { "Name", "Version", "Uptime_sec", "Maxconn", "CurrConns", "CumConns", "ConnRate", "SessRate", "Tasks", "Stopping", "Jobs", "Listeners" })
        {
            Assert.True(info.ContainsKey(name), $"show info lacks {name}");
        }

        var typed = await StatsPeers.UnixAsync(socket, "show info typed");
        Assert.Matches(@"^0\.Name\.1:POS:str:Sluice\n1\.Version\.1:POS:str:", typed);

        var json = await StatsPeers.UnixAsync(socket, "show stat json");
        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal(System.Text.Json.JsonValueKind.Array, document.RootElement.ValueKind);
        Assert.Equal(4, document.RootElement.GetArrayLength());

        var servers = (await StatsPeers.UnixAsync(socket, "show stat -1 4 -1")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["be,a", "be,b"], servers.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))));

        var state = (await StatsPeers.UnixAsync(socket, "show servers state be")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1", state[0]);
        Assert.Matches(@"^\d+ be 1 a 127\.0\.0\.1 2 0 1 1 \d+ ", state[2]);

        Assert.Equal("# name\nbe\n\n", await StatsPeers.UnixAsync(socket, "show backend"));
    }

    [Fact]
    public async Task AnswersToRefusedUnknownAndInteractiveCommands_SameBytesAsHaproxy()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var directory = Ports.TempDirectory();
        var sluiceUser = Ports.FreeListeningPort();
        var haproxyUser = Ports.FreeListeningPort();
        var sluicePort = Ports.FreeListeningPort();
        var haproxyPort = Ports.FreeListeningPort();
        var servers = $"    server a {a.Address}\n    server b {b.Address}";
        var haproxySocket = Path.Combine(directory, "h.sock");
        var sluiceSocket = Path.Combine(directory, "s.sock");
        await using var haproxy = await HaproxyOracle.StartAsync(
            Config(haproxyPort, haproxySocket, servers, $"    stats socket ipv4@127.0.0.1:{haproxyUser} level user"), haproxySocket);
        await using var sluice = await SluiceProcess.StartAsync(
            Config(sluicePort, sluiceSocket, servers, $"    stats socket ipv4@127.0.0.1:{sluiceUser} level user"), [ReadyProbe.Tcp(sluicePort)]);

        async Task SameAsync(string address, string oracleAddress, string input)
        {
            var expected = await StatsPeers.SocatAsync(oracleAddress, input);
            var actual = await StatsPeers.SocatAsync(address, input);
            Assert.True(expected == actual, $"for {input.ReplaceLineEndings("\\n")}:\nhaproxy: {expected.ReplaceLineEndings("\\n")}\nsluice:  {actual.ReplaceLineEndings("\\n")}");
        }

        string Tcp(int p) => "TCP:127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture);

        // A user-level socket refuses admin commands with haproxy's words, and nothing changes.
        await SameAsync(Tcp(sluiceUser), Tcp(haproxyUser), "disable server be/a\n");
        await SameAsync(Tcp(sluiceUser), Tcp(haproxyUser), "set server be/a state maint\n");
        await SameAsync(Tcp(sluiceUser), Tcp(haproxyUser), "show cli level\n");
        Assert.Equal(["a", "b"], (await BodiesAsync(sluicePort, 4)).Distinct().Order());

        // Operator and user lowering, several commands on one line, interactive prompt.
        await SameAsync("UNIX-CONNECT:" + sluiceSocket, "UNIX-CONNECT:" + haproxySocket, "operator; show cli level; clear counters all\n");
        await SameAsync("UNIX-CONNECT:" + sluiceSocket, "UNIX-CONNECT:" + haproxySocket, "prompt\nshow backend\nget weight be/a\nquit\n");
        await SameAsync("UNIX-CONNECT:" + sluiceSocket, "UNIX-CONNECT:" + haproxySocket, "show backend\nshow backend\n");

        // Wrong arguments.
        foreach (var command in new[] { "get weight be", "get weight zz/a", "get weight be/zz", "set weight be/a 300", "set weight be/a",
            "set server be/a state up", "shutdown session", "shutdown sessions server be", "set maxconn frontend zz 1", "show servers state zz" })
        {
            await SameAsync("UNIX-CONNECT:" + sluiceSocket, "UNIX-CONNECT:" + haproxySocket, command + "\n");
        }

        // Unknown commands: the same first line; the suggestions are the closest commands each program has.
        var unknown = await StatsPeers.UnixAsync(sluiceSocket, "frobnicate");
        var oracleUnknown = await StatsPeers.UnixAsync(haproxySocket, "frobnicate");
        Assert.Equal(oracleUnknown.Split('\n')[0], unknown.Split('\n')[0]);
        Assert.EndsWith("  quit                                    : disconnect\n\n", unknown, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task StatsSocket_Mode600_AndMaxconnServer()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var (sluice, port, socket) = await StartAsync(a, b);
        await using var _ = sluice;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket) & (UnixFileMode)0x1FF);

        Assert.Equal("\n", await StatsPeers.UnixAsync(socket, "set maxconn server be/a 7"));
        Assert.Equal("7", StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"))["be/a"]["slim"]);
        Assert.Equal("Require <maxconn>.\n\n", await StatsPeers.UnixAsync(socket, "set maxconn server be/a"));
    }

    [Fact]
    public async Task ShowErrors_InvalidRequest_SameReportAsHaproxy()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var directory = Ports.TempDirectory();
        var sluicePort = Ports.FreeListeningPort();
        var haproxyPort = Ports.FreeListeningPort();
        var servers = $"    server a {a.Address}\n    server b {b.Address}";
        var haproxySocket = Path.Combine(directory, "h.sock");
        var sluiceSocket = Path.Combine(directory, "s.sock");
        await using var haproxy = await HaproxyOracle.StartAsync(Config(haproxyPort, haproxySocket, servers), haproxySocket);
        await using var sluice = await SluiceProcess.StartAsync(Config(sluicePort, sluiceSocket, servers), [ReadyProbe.Tcp(sluicePort)]);
        Assert.Equal("Total events captured on [", (await StatsPeers.UnixAsync(sluiceSocket, "show errors"))[..26]);

        const string Bad = "GE\u0001T /x HTTP/1.1\r\nHost: example\r\n\r\n";
        foreach (var port in new[] { haproxyPort, sluicePort })
        {
            var answer = await StatsPeers.SocatAsync("TCP:127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), Bad);
            Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        }

        // Dates, client ports and buffer sizes differ; the rest of the report is compared line by line.
        static List<string> Report(string text) => text.Split('\n')
            .Where(l => !l.StartsWith("  H1 ", StringComparison.Ordinal) && !l.StartsWith("  buffer starts", StringComparison.Ordinal))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\[\d\d/\w+/\d{4}:[\d:.]+\]", "[DATE]"))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"src 127\.0\.0\.1:\d+", "src 127.0.0.1:PORT"))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"wraps at \d+", "wraps at N"))
            .ToList();

        var expected = Report(await StatsPeers.UnixAsync(haproxySocket, "show errors"));
        var actual = Report(await StatsPeers.UnixAsync(sluiceSocket, "show errors"));
        Assert.Contains("  len 35, wraps at N, error at position 2", expected);
        Assert.Equal(expected, actual);
        Assert.Equal("1", StatsPeers.ParseCsv(await StatsPeers.UnixAsync(sluiceSocket, "show stat"))["fe/FRONTEND"]["ereq"]);
    }

    [Fact]
    public async Task ShowErrors_InvalidResponseAndRequest_SameReportAsHaproxy()
    {
        // A server whose answer has a control character in a field name: 502 for the client, and a capture.
        const string Junk = "HTTP/1.1 200 OK\r\nX-B\u0001ad: y\r\nContent-Length: 0\r\n\r\n";
        await using var junk = TestServer.Tcp(async socket =>
        {
            var buffer = new byte[4096];
            await socket.ReceiveAsync(buffer);
            await socket.SendAsync(System.Text.Encoding.Latin1.GetBytes(Junk));
            await TestServer.DrainAsync(socket);
        });
        var directory = Ports.TempDirectory();
        var sluicePort = Ports.FreeListeningPort();
        var haproxyPort = Ports.FreeListeningPort();
        var servers = $"    server junk {junk.Address}";
        var haproxySocket = Path.Combine(directory, "h.sock");
        var sluiceSocket = Path.Combine(directory, "s.sock");
        await using var haproxy = await HaproxyOracle.StartAsync(Config(haproxyPort, haproxySocket, servers), haproxySocket);
        await using var sluice = await SluiceProcess.StartAsync(Config(sluicePort, sluiceSocket, servers), [ReadyProbe.Tcp(sluicePort)]);

        foreach (var port in new[] { haproxyPort, sluicePort })
        {
            var (status, _, _) = await StatsPeers.CurlAsync(StatsPeers.Url(port, "/x"));
            Assert.Equal(502, status);
            var answer = await StatsPeers.SocatAsync("TCP:127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), "GET /\u0001 HTTP/1.1\r\n\r\n");
            Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
        }

        static List<string> Report(string text) => text.Split('\n')
            .Where(l => !l.StartsWith("  H1 ", StringComparison.Ordinal) && !l.StartsWith("  buffer starts", StringComparison.Ordinal))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\[\d\d/\w+/\d{4}:[\d:.]+\]", "[DATE]"))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"src 127\.0\.0\.1:\d+", "src 127.0.0.1:PORT"))
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"wraps at \d+", "wraps at N"))
            .ToList();

        var expected = Report(await StatsPeers.UnixAsync(haproxySocket, "show errors"));
        var actual = Report(await StatsPeers.UnixAsync(sluiceSocket, "show errors"));
        Assert.True(expected.SequenceEqual(actual), string.Join("\n", expected) + "\n----\n" + string.Join("\n", actual));
        Assert.Contains(expected, l => l.EndsWith("): invalid response", StringComparison.Ordinal));
        Assert.Equal(Report(await StatsPeers.UnixAsync(haproxySocket, "show errors be response")), Report(await StatsPeers.UnixAsync(sluiceSocket, "show errors be response")));
        Assert.Equal("1", StatsPeers.ParseCsv(await StatsPeers.UnixAsync(sluiceSocket, "show stat"))["be/BACKEND"]["eresp"]);
    }

    [Fact]
    public async Task SetMaxconnGlobal_LowersAndRestoresTheProcessLimit()
    {
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        await using var sluice = await SluiceProcess.StartAsync($"""
            global
                maxconn 50
                stats socket {socket} level admin
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{port}
                http-request return status 200 content-type text/plain string "ok"
            """, [ReadyProbe.Tcp(port)]);

        static string Field(string info, string name) => info.Split('\n').Single(l => l.StartsWith(name + ": ", StringComparison.Ordinal))[(name.Length + 2)..];
        Assert.Equal("\n", await StatsPeers.UnixAsync(socket, "set maxconn global 1"));
        var info = await StatsPeers.UnixAsync(socket, "show info");
        Assert.Equal("1", Field(info, "Maxconn"));
        Assert.Equal("50", Field(info, "Hard_maxconn"));
        Assert.Equal("Value out of range.\n\n", await StatsPeers.UnixAsync(socket, "set maxconn global 51"));
        Assert.Equal("Expects an integer value.\n\n", await StatsPeers.UnixAsync(socket, "set maxconn global"));

        // One connection held: the next one waits in the backlog, unserved, until the limit is restored.
        using var held = await TestClient.ConnectTcpAsync(port);
        await held.SendAsync(System.Text.Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        var waiting = StatsPeers.CurlAsync("--max-time", "20", StatsPeers.Url(port, "/"));
        await Task.Delay(700);
        Assert.False(waiting.IsCompleted);
        Assert.Equal("\n", await StatsPeers.UnixAsync(socket, "set maxconn global 0"));
        Assert.Equal("50", Field(await StatsPeers.UnixAsync(socket, "show info"), "Maxconn"));
        Assert.Equal(200, (await waiting).Status);
    }

    [Fact]
    public async Task ShowSessAndShutdownSessionsServer_TunnelCut()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        await using var sluice = await SluiceProcess.StartAsync($"""
            global
                stats socket {socket} level admin
            defaults
                mode tcp
                timeout connect 2s
                timeout client 30s
                timeout server 30s
            listen app
                bind 127.0.0.1:{port}
                server echo {echo.Address}
            """, [ReadyProbe.Tcp(port)]);

        using var client = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("ping", await TestClient.EchoRoundTripAsync(client, "ping"));

        var sessions = (await StatsPeers.UnixAsync(socket, "show sess")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(sessions);
        Assert.Matches(@"^0x[0-9a-f]+: proto=tcpv4 src=127\.0\.0\.1:\d+ fe=app be=app srv=echo ", line);
        Assert.Equal("1", StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"))["app/echo"]["scur"]);

        Assert.Equal("\n", await StatsPeers.UnixAsync(socket, "shutdown sessions server app/echo"));
        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
        await sluice.Output.WaitForAsync(l => l.Contains("app/echo", StringComparison.Ordinal) && l.Contains(" K", StringComparison.Ordinal));
        Assert.Equal("\n", await StatsPeers.UnixAsync(socket, "show sess"));
    }
}
