using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;
using Sluice.Integration.Scenarios.Logs;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Network;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// `resolvers` with dnsmasq as the name server: servers named by a host name take the addresses it gives at run
/// time, leave for maintenance when it says NXDOMAIN longer than `hold nx`, and come back with the name. The same
/// configuration and the same name changes under haproxy 2.6, then Sluice: the same lines, server by server, and
/// the same answers to the client.
/// </summary>
public sealed partial class ResolversTests
{
    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task ServersFollowTheNameServer_AsHaproxy()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { SmallBody = "resolved\n" });
        await using var dns = await DnsmasqPeer.StartAsync("127.0.0.9 app.test\n127.0.0.1 other.test\n");
        string Config(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket)}
            resolvers local
                nameserver ns1 {dns.Address}
                resolve_retries 2
                timeout resolve 200ms
                timeout retry 300ms
                hold nx 1s
            frontend fe
                bind 127.0.0.1:{P(port)}
                default_backend be
            backend be
                server s1 app.test:{P(nginx.Port)} resolvers local init-addr none
                server s2 other.test:{P(nginx.Port)} resolvers local resolve-prefer ipv4
            """;

        async Task<(List<string> Lines, List<string> Answers, List<string> Cli)> RunAsync(int port, string socket, int pid, Fixtures.LineCollector output)
        {
            var lines = new List<string>();
            async Task WaitAsync(string line) => await output.WaitForAsync(l => l.EndsWith(line, StringComparison.Ordinal));
            await WaitAsync("Server be/s1 administratively READY thanks to valid DNS answer.");
            await WaitAsync("Server be/s2 administratively READY thanks to valid DNS answer.");

            await dns.SetAsync("127.0.0.1 app.test\n127.0.0.1 other.test\n");
            await WaitAsync("be/s1 changed its IP from 127.0.0.9 to 127.0.0.1 by local/ns1.");
            var answers = new List<string> { await GetAsync(port) };

            await dns.SetAsync(string.Empty);
            await output.WaitForAsync(l => l.Contains("Server be/s1 is going DOWN for maintenance (DNS NX status).", StringComparison.Ordinal));
            await output.WaitForAsync(l => l.Contains("Server be/s2 is going DOWN for maintenance (DNS NX status).", StringComparison.Ordinal));
            answers.Add(await GetAsync(port));
            var cli = new List<string>
            {
                await StatsPeers.UnixAsync(socket, "show stat be 4 -1"),
                State().Replace(await StatsPeers.UnixAsync(socket, "show servers state be"), "$1"),
                Section().Match(Digits().Replace(await StatsPeers.UnixAsync(socket, "show resolvers"), "N")).Value,
            };

            await dns.SetAsync("127.0.0.1 app.test\n");
            await WaitAsync("Server be/s1 administratively READY thanks to valid DNS answer.");
            // haproxy applies the state change a moment after it prints it.
            answers.Add(await GetAsync(port, untilOk: true));
            lines.AddRange(output.Lines.Select(Unprefixed).Where(l => l.StartsWith("be/", StringComparison.Ordinal) || l.StartsWith("Server be/", StringComparison.Ordinal)));
            return (lines, answers, cli);
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync, reset: () => dns.SetAsync("127.0.0.9 app.test\n127.0.0.1 other.test\n"));

        Assert.Equal(["200 resolved\n", "503", "200 resolved\n"], reference.Answers);
        Assert.Equal(reference.Answers, ours.Answers);
        Assert.Contains(",MAINT (resolution),", reference.Cli[0], StringComparison.Ordinal);
        Assert.Equal(StatusColumn(reference.Cli[0]), StatusColumn(ours.Cli[0]));
        Assert.Equal(reference.Cli[1], ours.Cli[1]);
        Assert.StartsWith("Resolvers section local\n nameserver ns1:\n  sent:        N\n", reference.Cli[2], StringComparison.Ordinal);
        Assert.Equal(reference.Cli[2], ours.Cli[2]);
        foreach (var server in new[] { "s1", "s2" })
        {
            Assert.Equal(OfServer(reference.Lines, server), OfServer(ours.Lines, server));
        }
    }

    [Fact]
    public async Task TcpNameserver_QueriesOverTcp_AsHaproxy()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { SmallBody = "resolved\n" });
        await using var dns = await DnsmasqPeer.StartAsync("127.0.0.9 app.test\n");

        // Only TCP reaches dnsmasq through this port: nothing answers a datagram there. dnsmasq answers a TCP
        // connection from a process forked with the names of that moment, so the relay closes connections idle for
        // 100 ms: a proxy that keeps its connection open (haproxy does) still sees the names change.
        var relayPort = Ports.FreeListeningPort();
        await using var relay = PeerProcess.Start(CommandRunner.Require("socat", "socat"), ["-T", "0.1", $"TCP-LISTEN:{P(relayPort)},bind=127.0.0.1,reuseaddr,fork", $"TCP:{dns.Address}"]);
        await TestTimeout.WaitUntilAsync(async () =>
        {
            try
            {
                using var probe = await TestClient.ConnectTcpAsync(relayPort);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        });

        string Config(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket)}
            resolvers local
                nameserver ns1 tcp@127.0.0.1:{P(relayPort)}
                timeout resolve 200ms
                timeout retry 500ms
            frontend fe
                bind 127.0.0.1:{P(port)}
                default_backend be
            backend be
                server s1 app.test:{P(nginx.Port)} resolvers local init-addr none resolve-prefer ipv4
            """;

        async Task<(List<string> Lines, List<string> Answers, string Resolvers)> RunAsync(int port, string socket, int pid, Fixtures.LineCollector output)
        {
            await output.WaitForAsync(l => l.EndsWith("Server be/s1 administratively READY thanks to valid DNS answer.", StringComparison.Ordinal));
            await dns.SetAsync("127.0.0.1 app.test\n");
            await output.WaitForAsync(l => l.EndsWith("be/s1 changed its IP from 127.0.0.9 to 127.0.0.1 by local/ns1.", StringComparison.Ordinal));
            var answers = new List<string> { await GetAsync(port, untilOk: true) };
            var resolvers = Section().Match(Digits().Replace(await StatsPeers.UnixAsync(socket, "show resolvers"), "N")).Value;
            return ([.. output.Lines.Select(Unprefixed).Where(l => l.StartsWith("be/s1 ", StringComparison.Ordinal) || l.StartsWith("Server be/s1 ", StringComparison.Ordinal))], answers, resolvers);
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync, reset: () => dns.SetAsync("127.0.0.9 app.test\n"));

        Assert.Equal(["200 resolved\n"], reference.Answers);
        Assert.Equal(reference.Answers, ours.Answers);
        Assert.Equal(reference.Lines, ours.Lines);
        Assert.Equal(reference.Resolvers, ours.Resolvers);
    }

    /// <summary>`GET /` with <paramref name="host"/> as Host: the host, then the body on one line and the status.</summary>
    private static async Task<string> AskAsync(string host, int port)
    {
        var result = await Http.CurlAsync("-s", "-o", "-", "-w", " %{http_code}", "-H", "Host: " + host, Http.Url(port, "/"));
        return host + " " + result.StandardOutput.Replace("\n", string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DoResolve_DynamicForwardProxy_AsHaproxy()
    {
        // Two HTTP listeners on one port of two loopback addresses, each answering with the address it was reached at.
        static async Task SayAddress(System.Net.Sockets.Socket socket)
        {
            if (await TestServer.ReadRequestHeadAsync(socket) is null)
            {
                return;
            }

            var body = ((IPEndPoint)socket.LocalEndPoint!).Address + "\n";
            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
            socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
            await TestServer.DrainAsync(socket);
        }

        await using var first = TestServer.Tcp(SayAddress, new IPEndPoint(IPAddress.Parse("127.0.0.21"), 0));
        var serverPort = int.Parse(first.Address.Split(':')[1], CultureInfo.InvariantCulture);
        await using var second = TestServer.Tcp(SayAddress, new IPEndPoint(IPAddress.Parse("127.0.0.22"), serverPort));
        const string Names = "127.0.0.21 app.test\n127.0.0.22 other.test\n127.0.0.66 evil.test\n";
        await using var dns = await DnsmasqPeer.StartAsync(Names);
        string Config(int port, string socket) => $$"""
            {{HaproxyOracle.Preamble(socket)}}
            {{LocalResolvers(dns)}}
            frontend fe
                bind 127.0.0.1:{{P(port)}}
                http-request do-resolve(txn.dstip,local,ipv4) hdr(host),lower,field(1,:)
                http-request return status 503 content-type text/plain string "no address" if !{ var(txn.dstip) -m found }
                http-request deny if { var(txn.dstip) -m ip 127.0.0.64/28 }
                http-request set-dst var(txn.dstip)
                default_backend be
            backend be
                server clear 0.0.0.0:{{P(serverPort)}}
            """;

        async Task<List<string>> RunAsync(int port, string socket, int pid, Fixtures.LineCollector output)
        {
            var answers = new List<string>();
            foreach (var host in new[] { "app.test", "other.test:8080", "missing.test", "evil.test", "app.test" })
            {
                answers.Add(await AskAsync(host, port));
            }

            return answers;
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync, reset: () => dns.SetAsync(Names));
        Assert.Equal("app.test 127.0.0.21 200", reference[0]);
        Assert.Equal("missing.test no address 503", reference[2]);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `tcp-request content do-resolve` in mode tcp: the first bytes name the host, the rules wait for its address
    /// and send the tunnel there (`set-dst` and a server at 0.0.0.0), a name without one is rejected.
    /// </summary>
    [Fact]
    public async Task TcpContentDoResolve_SendsTheTunnelToTheResolvedAddress_AsHaproxy()
    {
        await using var first = TestServer.Tcp(TestServer.SayLocalAddress, new IPEndPoint(IPAddress.Parse("127.0.0.21"), 0));
        var serverPort = int.Parse(first.Address.Split(':')[1], CultureInfo.InvariantCulture);
        await using var second = TestServer.Tcp(TestServer.SayLocalAddress, new IPEndPoint(IPAddress.Parse("127.0.0.22"), serverPort));
        const string Names = "127.0.0.21 app.test\n127.0.0.22 other.test\n";
        await using var dns = await DnsmasqPeer.StartAsync(Names);
        string Config(int port, string socket) => $$"""
            {{HaproxyOracle.Preamble(socket, "tcp")}}
            {{LocalResolvers(dns)}}
            listen fe
                bind 127.0.0.1:{{P(port)}}
                tcp-request inspect-delay 2s
                tcp-request content do-resolve(txn.dstip,local,ipv4) req.payload(0,0) if { req.len gt 0 }
                tcp-request content reject if !{ var(txn.dstip) -m found }
                tcp-request content set-dst var(txn.dstip)
                tcp-request content accept
                server clear 0.0.0.0:{{P(serverPort)}}
            """;

        async Task<List<string>> RunAsync(int port, string socket, int pid, Fixtures.LineCollector output)
        {
            var answers = new List<string>();
            foreach (var host in new[] { "app.test", "other.test", "missing.test", "app.test" })
            {
                using var client = await TestClient.ConnectTcpAsync(port);
                await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(host));
                answers.Add(host + " " + (await TestClient.ReadToEndAsync(client)).Trim());
            }

            return answers;
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync, reset: () => dns.SetAsync(Names));
        Assert.Equal(["app.test 127.0.0.21", "other.test 127.0.0.22", "missing.test ", "app.test 127.0.0.21"], reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `tcp-request content do-resolve` in an HTTP frontend: run on each request head, before the HTTP rules; without
    /// `tcp-request inspect-delay` nothing may wait, and the rule does nothing, as in haproxy 2.6.
    /// </summary>
    [Fact]
    public async Task TcpContentDoResolve_InHttpMode_RunsOnEachRequest_AsHaproxy()
    {
        await using var first = TestServer.Tcp(TestServer.HttpSayName("first"), new IPEndPoint(IPAddress.Parse("127.0.0.21"), 0));
        var serverPort = int.Parse(first.Address.Split(':')[1], CultureInfo.InvariantCulture);
        await using var second = TestServer.Tcp(TestServer.HttpSayName("second"), new IPEndPoint(IPAddress.Parse("127.0.0.22"), serverPort));
        const string Names = "127.0.0.21 app.test\n127.0.0.22 other.test\n";
        await using var dns = await DnsmasqPeer.StartAsync(Names);
        string Config(int port, string socket) => $$"""
            {{HaproxyOracle.Preamble(socket)}}
            {{LocalResolvers(dns)}}
            frontend fe
                bind 127.0.0.1:{{P(port)}}
                tcp-request inspect-delay 1s
                tcp-request content do-resolve(txn.dstip,local,ipv4) req.hdr(host),lower
                http-request return status 503 content-type text/plain string "no address" if !{ var(txn.dstip) -m found }
                http-request set-dst var(txn.dstip)
                default_backend be
            frontend no-delay
                bind 127.0.0.1:{{P(port + 1)}}
                tcp-request content do-resolve(txn.dstip,local,ipv4) req.hdr(host),lower
                http-request return status 503 content-type text/plain string "no address" if !{ var(txn.dstip) -m found }
                http-request set-dst var(txn.dstip)
                default_backend be
            backend be
                server clear 0.0.0.0:{{P(serverPort)}}
            """;

        async Task<List<string>> RunAsync(int port, string socket, int pid, Fixtures.LineCollector output)
        {
            var answers = new List<string>();
            foreach (var (host, listener) in new[] { ("app.test", port), ("other.test", port), ("missing.test", port), ("app.test", port + 1) })
            {
                answers.Add(await AskAsync(host, listener));
            }

            return answers;
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync, ports: 2, reset: () => dns.SetAsync(Names));
        Assert.Equal(["app.test first 200", "other.test second 200", "missing.test no address 503", "app.test no address 503"], reference);
        Assert.Equal(reference, ours);
    }

    [Fact]
    public async Task ServerTemplates_SpreadAddressesAndFollowSrvRecords_AsHaproxy()
    {
        // Listeners on three loopback addresses, one port, each saying which address it is.
        await using var first = TestServer.Tcp(TestServer.SayLocalAddress, new IPEndPoint(IPAddress.Parse("127.0.0.21"), 0));
        var port = int.Parse(first.Address.Split(':')[1], CultureInfo.InvariantCulture);
        await using var second = TestServer.Tcp(TestServer.SayLocalAddress, new IPEndPoint(IPAddress.Parse("127.0.0.22"), port));
        await using var third = TestServer.Tcp(TestServer.SayLocalAddress, new IPEndPoint(IPAddress.Parse("127.0.0.24"), port));

        // HAProxy orders a name's records by the XXH32 of their data: 127.0.0.24, .21, .22 for the addresses, and
        // c.test, a.test, b.test for the SRV targets; the servers take them in that order.
        const string Targets = "127.0.0.21 a.test\n127.0.0.22 b.test\n127.0.0.24 c.test\n";
        const string ThreeAddresses = Targets + "127.0.0.21 many.test\n127.0.0.22 many.test\n127.0.0.24 many.test\n";
        string Services(params (string Target, int Weight)[] records) =>
            string.Concat(records.Select(r => $"srv-host=_app._tcp.svc.test,{r.Target},{P(port)},0,{P(r.Weight)}\n"));
        await using var dns = await DnsmasqPeer.StartAsync(ThreeAddresses, Services(("a.test", 0), ("b.test", 256), ("c.test", 65535)));
        using var logs = SyslogListener.Udp();
        string Config(int listen, string socket) => $"""
            {HaproxyOracle.Preamble(socket, "tcp")}
                log 127.0.0.1:{P(logs.Port)} local0
            resolvers local
                nameserver ns1 {dns.Address}
                timeout resolve 200ms
                timeout retry 300ms
                hold nx 1s
            frontend fe
                bind 127.0.0.1:{P(listen)}
                default_backend many
            backend many
                server-template a 3 many.test:{P(port)} resolvers local init-addr none resolve-prefer ipv4
            backend svc
                server-template s 1-3 _app._tcp.svc.test resolvers local resolve-prefer ipv4
            """;

        // The lines the log target had before the proxy started.
        var logsBefore = 0;
        async Task<(List<string> Lines, List<string> Snapshots, List<string> Fqdn)> RunAsync(int listen, string socket, int pid, Fixtures.LineCollector output)
        {
            async Task WaitAsync(string text) => await output.WaitForAsync(l => l.Contains(text, StringComparison.Ordinal));
            var snapshots = new List<string>();
            async Task SnapshotAsync()
            {
                snapshots.Add(string.Join('\n', (await StatsPeers.UnixAsync(socket, "show servers state")).Split('\n')
                    .Where(l => l.Length > 0 && l[0] != '#' && l.Contains(' ', StringComparison.Ordinal)).Select(StateColumns)));
                snapshots.Add(string.Join(' ', StatusColumn(await StatsPeers.UnixAsync(socket, "show stat -1 4 -1"))));
                var answers = new List<string>();
                for (var i = 0; i < 6; i++)
                {
                    using var client = await TestClient.ConnectTcpAsync(listen);
                    answers.Add(await TestClient.ReadToEndAsync(client));
                }

                snapshots.Add(string.Join(' ', answers.Order(StringComparer.Ordinal)));
            }

            await WaitAsync("Server many/a3 administratively READY thanks to valid DNS answer.");
            await WaitAsync("Server svc/s3 ('b.test') is UP/READY (resolves again).");
            await SnapshotAsync();

            // One address left, taken by a3: a1 and a2 have none. b.test's record goes, a.test's weight changes.
            await dns.SetServicesAsync(Services(("a.test", 1000), ("c.test", 65535)), Targets + "127.0.0.22 many.test\n");
            await WaitAsync("Server many/a1 is going DOWN for maintenance (No IP for server ).");
            await WaitAsync("Server many/a2 is going DOWN for maintenance (No IP for server ).");
            await WaitAsync("Server svc/s3 is going DOWN for maintenance (entry removed from SRV record).");
            await TestTimeout.WaitUntilAsync(async () => (await StatsPeers.UnixAsync(socket, "show servers state svc")).Contains(" s2 127.0.0.21 2 64 4 ", StringComparison.Ordinal));
            await SnapshotAsync();

            // The SRV label no longer exists: past `hold nx` its servers are emptied. The addresses come back.
            await dns.SetServicesAsync(string.Empty, ThreeAddresses);
            await WaitAsync("backend 'svc' has no server available!");
            await WaitAsync("Server many/a2 administratively READY thanks to valid DNS answer.");
            await SnapshotAsync();

            var fqdn = logs.Lines.Lines.Skip(logsBefore).Select(l => FqdnChange().Match(l)).Where(m => m.Success).Select(m => m.Value).ToList();
            var lines = output.Lines.Select(Unprefixed).Where(l => l.StartsWith("Server ", StringComparison.Ordinal) || l.StartsWith("many/", StringComparison.Ordinal)
                || l.StartsWith("svc/", StringComparison.Ordinal) || l.Contains("'svc'", StringComparison.Ordinal)).ToList();
            return (lines, snapshots, fqdn);
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync, reset: async () =>
        {
            await dns.SetServicesAsync(Services(("a.test", 0), ("b.test", 256), ("c.test", 65535)), ThreeAddresses);
            logsBefore = logs.Lines.Lines.Count;
        });

        Assert.StartsWith("many a1 127.0.0.24 2 0 1 1 many.test " + P(port) + " -\nmany a2 127.0.0.21 2 0 1 1 many.test", reference.Snapshots[0], StringComparison.Ordinal);
        Assert.Contains("svc s1 127.0.0.24 2 64 256 1 c.test " + P(port) + " _app._tcp.svc.test", reference.Snapshots[0], StringComparison.Ordinal);
        for (var i = 0; i < reference.Snapshots.Count; i++)
        {
            Assert.Equal(reference.Snapshots[i], ours.Snapshots[i]);
        }

        Assert.Equal(reference.Fqdn.Order(StringComparer.Ordinal), ours.Fqdn.Order(StringComparer.Ordinal));
        foreach (var server in new[] { "many/a1", "many/a2", "many/a3", "svc/s1", "svc/s2", "svc/s3" })
        {
            Assert.Equal(OfServer(reference.Lines, server), OfServer(ours.Lines, server));
        }

        Assert.Equal(reference.Lines.Count(l => l.Contains("'svc' has no server", StringComparison.Ordinal)), ours.Lines.Count(l => l.Contains("'svc' has no server", StringComparison.Ordinal)));
    }

    /// <summary>A `show servers state` line without its times and check columns: backend, server, address, states, weights, FQDN, port and SRV record.</summary>
    private static string StateColumns(string line)
    {
        var columns = line.Split(' ');
        return string.Join(' ', new[] { 1, 3, 4, 5, 6, 7, 8, 17, 18, 19 }.Select(i => columns[i]));
    }

    /// <summary>
    /// Runs <paramref name="run"/> under haproxy 2.6 and then Sluice with the same configuration, each watched through
    /// its output; <paramref name="reset"/> puts the name server back as it was before each start.
    /// </summary>
    /// <summary>A `resolvers local` section asking <paramref name="dns"/> only, quick to retry.</summary>
    private static string LocalResolvers(DnsmasqPeer dns) =>
        $"resolvers local\n    nameserver ns1 {dns.Address}\n    timeout resolve 200ms\n    timeout retry 300ms";

    /// <summary>The server rows' names and `status` column of a `show stat` answer.</summary>
    private static List<string> StatusColumn(string csv) =>
        [.. StatsPeers.ParseCsv(csv).Values.Select(r => r["svname"] + " " + r["status"])];

    private static async Task<string> GetAsync(int port, bool untilOk = false)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var result = await Http.CurlAsync("-s", "-o", "-", "-w", "%{http_code}", Http.Url(port, NginxBackend.SmallPath));
            var status = result.StandardOutput[^3..];
            if (status == "200" || !untilOk || DateTime.UtcNow > deadline)
            {
                return status == "200" ? "200 " + result.StandardOutput[..^3] : status;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>A server's lines, in order; the lines that name another server of the backend left out.</summary>
    private static List<string> OfServer(List<string> lines, string server) =>
        [.. lines.Where(l => l.Contains((server.Contains('/', StringComparison.Ordinal) ? server : "be/" + server) + " ", StringComparison.Ordinal)).Select(l => Counts().Replace(l, string.Empty))];

    /// <summary>A line as both print it, without haproxy's `[WARNING]  (PID) : ` or Sluice's `[WARNING] `.</summary>
    private static string Unprefixed(string line) => Prefix().Replace(line, string.Empty);

    // `show servers state`: a server's id, name, address, operational and administrative states.
    [GeneratedRegex(@"^\d+ be (\d+ s\d \S+ \d+ \d+) .*$", RegexOptions.Multiline)]
    private static partial Regex State();

    // The `local` section of `show resolvers`, up to the next section.
    [GeneratedRegex(@"Resolvers section local\n(?: .*\n)*")]
    private static partial Regex Section();

    [GeneratedRegex(@"(?<=: +)\d+")]
    private static partial Regex Digits();

    // The line HAProxy sends to the backend's log targets only when an SRV record names a server's target.
    [GeneratedRegex(@"\S+/\S+ changed its FQDN from \S+ to \S+ by 'SRV record'")]
    private static partial Regex FqdnChange();

    [GeneratedRegex(@"^\[[A-Z]+\] +(\(\d+\) : )?")]
    private static partial Regex Prefix();

    // The counts of servers left depend on which server's resolution ran first.
    [GeneratedRegex(@" \d+ active and \d+ backup servers left\.")]
    private static partial Regex Counts();
}
