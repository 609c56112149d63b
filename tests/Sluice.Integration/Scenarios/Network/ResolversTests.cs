using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
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

        async Task<(List<string> Lines, List<string> Answers, List<string> Cli)> RunAsync(int port, string socket, Fixtures.LineCollector output)
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

        var haSocket = Path.Combine(Ports.TempDirectory(), "h.sock");
        var haPort = Ports.FreeListeningPort();
        (List<string> Lines, List<string> Answers, List<string> Cli) reference;
        await using (var haproxy = await HaproxyOracle.StartAsync(Config(haPort, haSocket), haSocket))
        {
            reference = await RunAsync(haPort, haSocket, haproxy.Output);
        }

        await dns.SetAsync("127.0.0.9 app.test\n127.0.0.1 other.test\n");
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, socket), []);
        await StatsPeers.WaitForUnixSocketAsync(socket);
        var ours = await RunAsync(port, socket, sluice.Output);

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
        [.. lines.Where(l => l.Contains($"be/{server} ", StringComparison.Ordinal)).Select(l => Counts().Replace(l, string.Empty))];

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

    [GeneratedRegex(@"^\[[A-Z]+\] +(\(\d+\) : )?")]
    private static partial Regex Prefix();

    // The counts of servers left depend on which server's resolution ran first.
    [GeneratedRegex(@" \d+ active and \d+ backup servers left\.")]
    private static partial Regex Counts();
}
