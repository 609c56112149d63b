using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// `option log-health-checks`: each change of a check's status gets HAProxy's "Health check for server ..." line
/// with the health counter; compared with haproxy 2.6 running the same configuration against the same servers.
/// </summary>
public sealed class LogHealthChecksTests
{
    private static string Config(int port, int dead, string alive) => $"""
        defaults
            mode tcp
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        listen be
            bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
            option log-health-checks
            server dead 127.0.0.1:{dead.ToString(CultureInfo.InvariantCulture)} check inter 200 rise 2 fall 3
            server alive {alive} check inter 200 rise 2 fall 3 backup
        """;

    /// <summary>The check lines with their timers and pids taken out, in order.</summary>
    private static List<string> Lines(IEnumerable<string> output) =>
        [.. output.Where(l => l.Contains("Health check for ", StringComparison.Ordinal))
            .Select(l => Regex.Replace(l, @"^\[WARNING\]\s+(\(\d+\) )?: ", "[WARNING] "))
            .Select(l => Regex.Replace(l, @"check duration: \d+ms", "check duration: Tms"))];

    [Fact]
    public async Task EachStatusChange_IsLoggedAsHAProxyDoes()
    {
        await using var alive = TestServer.Tcp(TestServer.Silent);
        var dead = Ports.FreeListeningPort();
        var haproxyPort = Ports.FreeListeningPort();
        var sluicePort = Ports.FreeListeningPort();
        await using var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort, dead, alive.Address), haproxyPort);
        await using var sluice = await SluiceProcess.StartAsync(Config(sluicePort, dead, alive.Address), [ReadyProbe.Tcp(sluicePort)]);

        // The dead server's first failure (a change from "no status yet"), and the live backup's first success.
        await haproxy.Output.WaitForAsync(l => l.Contains("Health check for server be/dead failed", StringComparison.Ordinal));
        await haproxy.Output.WaitForAsync(l => l.Contains("Health check for backup server be/alive succeeded", StringComparison.Ordinal));
        await sluice.Output.WaitForAsync(l => l.Contains("Health check for server be/dead failed", StringComparison.Ordinal));
        await sluice.Output.WaitForAsync(l => l.Contains("Health check for backup server be/alive succeeded", StringComparison.Ordinal));
        await Task.Delay(1000);

        var expected = Lines(haproxy.Output.Lines);
        var actual = Lines(sluice.Output.Lines);
        Assert.True(expected.Contains("[WARNING] Health check for server be/dead failed, reason: Layer4 connection problem, info: \"Connection refused\", check duration: Tms, status: 0/2 DOWN."), string.Join("\n", expected) + "\n---\n" + string.Join("\n", actual));
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
    }
}
