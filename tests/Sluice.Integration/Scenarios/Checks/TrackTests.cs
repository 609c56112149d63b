using System.Globalization;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// `track [BACKEND/]SERVER`: servers without checks of their own take the state of the server they track, in the
/// same and in another backend, with haproxy 2.6's lines in haproxy 2.6's order (the oracle runs the same file).
/// </summary>
public class TrackTests
{
    private static string Config(int port, int closed, int up) => $"""
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
            default_backend be
        backend be
            server s1 127.0.0.1:{closed.ToString(CultureInfo.InvariantCulture)} check inter 300
            server s2 127.0.0.1:{up.ToString(CultureInfo.InvariantCulture)} track s1
        backend b2
            server t1 127.0.0.1:{up.ToString(CultureInfo.InvariantCulture)} track be/s1
        """;

    /// <summary>The state lines without the label (`[WARNING] ` here, `[WARNING]  (PID) : ` in haproxy) and the check's duration.</summary>
    private static async Task<List<string>> LinesAsync(LineCollector output)
    {
        await output.WaitForAsync(l => l.Contains("backend 'be' has no server available", StringComparison.Ordinal));
        return [.. output.Lines
            .Where(l => l.Contains("Server ", StringComparison.Ordinal) || l.Contains("no server available", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("Server ", StringComparison.Ordinal) is var i and >= 0 ? i : l.IndexOf("backend", StringComparison.Ordinal))..])
            .Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"check duration: \d+ms", "check duration: Xms"))];
    }

    [Fact]
    public async Task Track_TrackedServerGoesDown_TrackersFollowWithHAProxysLines()
    {
        await using var up = await CheckPeer.StartAsync("up");
        var closed = Ports.FreeListeningPort();

        List<string> expected;
        var haPort = Ports.FreeListeningPort();
        await using (var haproxy = await HAProxyPeer.StartAsync(Config(haPort, closed, up.Port), haPort))
        {
            expected = await LinesAsync(haproxy.Output);
        }

        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, closed, up.Port), [ReadyProbe.Tcp(port)]);
        var actual = await LinesAsync(sluice.Output);

        Assert.Contains("Server b2/t1 is DOWN via be/s1. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.", expected);
        Assert.Equal(string.Join("\n", expected), string.Join("\n", actual));
        Assert.Equal("503", (await Http.Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Http.Url(port, "/"))).StandardOutput);
    }
}
