using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// `http-check disable-on-404`: a server whose check gets 404 leaves the balancing (NOLB) without going down, and
/// comes back with a 2xx; a server that is down stays down on 404s. haproxy 2.6 runs the same steps against the
/// same python peer, and its lines are the oracle.
/// </summary>
public class DisableOn404Tests
{
    private const string Ok = "HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n";
    private const string NotFound = "HTTP/1.0 404 Not Found\r\ncontent-length: 0\r\n\r\n";
    private const string Failing = "HTTP/1.0 500 Oops\r\ncontent-length: 0\r\n\r\n";

    private static string Config(int port, string socket, string server) => $"""
        global
            stats socket {socket} mode 600 level admin
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
            default_backend be
        backend be
            option httpchk GET /
            http-check disable-on-404
            server s1 {server} check inter 200
            server s2 {server} check inter 200
        """;

    private static async Task<string> StatusAsync(string socket, string server) =>
        StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"))["be/" + server]["status"];

    /// <summary>The state lines in the order they came, without the label and the check's duration.</summary>
    private static List<string> Messages(LineCollector output) =>
        [.. output.Lines
            .Where(l => l.Contains("Server be/", StringComparison.Ordinal) || l.Contains("has no server available", StringComparison.Ordinal))
            .Select(l => Regex.Replace(l[(l.IndexOf("Server be/", StringComparison.Ordinal) is var i and >= 0 ? i : l.IndexOf("backend", StringComparison.Ordinal))..], @"check duration: \d+ms", "check duration: Xms"))];

    private static string WithoutCounts(string line) => Regex.Replace(line, @"\. \d+ active and \d+ backup", ". N active and N backup");

    private static async Task<List<string>> RunAsync(string reply, int port, string socket, LineCollector output)
    {
        int Count(string text) => output.Lines.Count(l => l.Contains(text, StringComparison.Ordinal));

        await File.WriteAllTextAsync(reply, NotFound);
        await output.WaitForAsync(l => l.Contains("has no server available", StringComparison.Ordinal));
        Assert.Equal(2, Count("is stopping"));
        Assert.Equal(("NOLB", "NOLB"), (await StatusAsync(socket, "s1"), await StatusAsync(socket, "s2")));
        Assert.Equal(503, (await StatsPeers.CurlAsync(StatsPeers.Url(port, "/"))).Status);

        await File.WriteAllTextAsync(reply, Ok);
        await output.WaitForAsync(l => l.Contains("is UP", StringComparison.Ordinal), 2);
        Assert.Equal("UP", await StatusAsync(socket, "s1"));

        await File.WriteAllTextAsync(reply, Failing);
        await output.WaitForAsync(l => l.Contains("is DOWN", StringComparison.Ordinal), 2);

        // Down, 404s bring nothing back.
        await File.WriteAllTextAsync(reply, NotFound);
        await Task.Delay(1500);
        Assert.Equal("DOWN", await StatusAsync(socket, "s1"));
        var messages = Messages(output);
        messages.Sort(StringComparer.Ordinal);
        return messages;
    }

    [Fact]
    public async Task DisableOn404_404PutsServersInNolb_200BringsThemBack_DownStaysDown_AsHAProxy()
    {
        var reply = Path.Combine(Ports.TempDirectory(), "reply");
        await File.WriteAllTextAsync(reply, Ok);
        await using var peer = await PythonPeer.StartAgentServerAsync(reply);

        List<string> expected;
        var (haPort, haSocket) = (Ports.FreeListeningPort(), Path.Combine(Ports.TempDirectory(), "h.sock"));
        await using (var haproxy = await HaproxyOracle.StartAsync(Config(haPort, haSocket, peer.Address), haSocket))
        {
            await Task.Delay(500);
            expected = await RunAsync(reply, haPort, haSocket, haproxy.Output);
        }

        await File.WriteAllTextAsync(reply, Ok);
        var (port, socket) = (Ports.FreeListeningPort(), Path.Combine(Ports.TempDirectory(), "s.sock"));
        await using var sluice = await SluiceProcess.StartAsync(Config(port, socket, peer.Address), [ReadyProbe.Tcp(port)]);
        await StatsPeers.WaitForUnixSocketAsync(socket);
        await Task.Delay(500);
        var actual = await RunAsync(reply, port, socket, sluice.Output);

        // Whichever server stops second leaves none online; which one that is depends on timing, so the counts are
        // compared apart from the lines.
        foreach (var lines in new[] { expected, actual })
        {
            Assert.Contains(lines, l => Regex.IsMatch(l, @"^Server be/s\d is stopping, reason: Layer7 check conditionally passed, code: 404, check duration: Xms\. 0 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$"));
        }

        // The two servers' checks run side by side, and how often the backend is found empty depends on when the
        // second server's check lands: the kinds of lines are compared as sets.
        Assert.Equal(string.Join("\n", expected.Select(WithoutCounts).Distinct().Order(StringComparer.Ordinal)), string.Join("\n", actual.Select(WithoutCounts).Distinct().Order(StringComparer.Ordinal)));
        Assert.True(
            expected.Select(l => Regex.Match(l, @"\d active").Value).Order().SequenceEqual(actual.Select(l => Regex.Match(l, @"\d active").Value).Order()),
            $"haproxy:\n{string.Join("\n", expected)}\nSluice:\n{string.Join("\n", actual)}");
    }
}
