using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// `slowstart`: after a server comes back up its weight grows from a sixteenth to the full weight over the period,
/// in the stats' weight column and in its share of the traffic. haproxy 2.6 watches the same two servers at the
/// same time, and its weight column is the oracle of the steps.
/// </summary>
public class SlowStartTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Config(int port, string socket, CheckPeer s1, CheckPeer s2) => $"""
        global
            stats socket {socket} mode 600 level admin
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{Port(port)}
            default_backend be
        backend be
            balance roundrobin
            option httpchk GET /
            server s1 {s1.Address} check inter 200 rise 1 fall 1 weight 100 slowstart 4s
            server s2 {s2.Address} check inter 200 weight 100
        """;

    private static async Task<int> WeightAsync(string socket) =>
        int.Parse(StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"))["be/s1"]["weight"], CultureInfo.InvariantCulture);

    private static async Task<int> RequestsToS1Async(int port, int count)
    {
        var toS1 = 0;
        for (var i = 0; i < count; i++)
        {
            var (status, _, body) = await StatsPeers.CurlAsync(StatsPeers.Url(port, "/"));
            Assert.Equal(200, status);
            toS1 += body == "s1" ? 1 : 0;
        }

        return toS1;
    }

    [Fact]
    public async Task SlowStart_ServerBackUp_WeightRampsLikeHAProxy_TrafficShareFollows()
    {
        await using var s1 = await CheckPeer.StartAsync("s1");
        await using var s2 = await CheckPeer.StartAsync("s2");
        var (port, haPort) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        var (socket, haSocket) = (Path.Combine(Ports.TempDirectory(), "s.sock"), Path.Combine(Ports.TempDirectory(), "h.sock"));
        await using var haproxy = await HaproxyOracle.StartAsync(Config(haPort, haSocket, s1, s2), haSocket);
        await using var sluice = await SluiceProcess.StartAsync(Config(port, socket, s1, s2), [ReadyProbe.Tcp(port)]);
        await StatsPeers.WaitForUnixSocketAsync(socket);
        Assert.Equal(100, await WeightAsync(socket));

        await s1.StopAsync();
        await sluice.Output.WaitForAsync(l => l.Contains("Server be/s1 is DOWN", StringComparison.Ordinal));
        await haproxy.Output.WaitForAsync(l => l.Contains("Server be/s1 is DOWN", StringComparison.Ordinal));
        await s1.RestartAsync();
        await sluice.Output.WaitForAsync(l => l.Contains("Server be/s1 is UP", StringComparison.Ordinal));

        // Right after it came up: a sixteenth of the weight (100 × 1/16, rounded up), and few requests.
        var first = await WeightAsync(socket);
        Assert.Equal(7, first);
        Assert.InRange(await RequestsToS1Async(port, 10), 0, 3);
        await haproxy.Output.WaitForAsync(l => l.Contains("Server be/s1 is UP", StringComparison.Ordinal));

        // Both are polled while the weight rises. On a busy machine a poll may miss a step of either, so each one's
        // values are held against the steps (haproxy's for 100 over 4 s), not against what the other showed then.
        var sluiceSeen = new List<int> { first };
        var haproxySeen = new List<int>();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5.5);
        while (DateTime.UtcNow < until)
        {
            sluiceSeen.Add(await WeightAsync(socket));
            haproxySeen.Add(await WeightAsync(haSocket));
            await Task.Delay(200);
        }

        int[] steps = [7, 32, 57, 82, 100];
        Assert.Subset(steps.ToHashSet(), haproxySeen.ToHashSet());
        Assert.Contains(haproxySeen, w => w is > 7 and < 100);
        Assert.Subset(steps.ToHashSet(), sluiceSeen.ToHashSet());
        Assert.Contains(sluiceSeen, w => w is > 7 and < 100);
        Assert.Equal(sluiceSeen.Order(), sluiceSeen);
        Assert.Equal(100, sluiceSeen[^1]);
        Assert.Equal(100, haproxySeen[^1]);

        // Full weight again: an even share.
        Assert.InRange(await RequestsToS1Async(port, 20), 8, 12);
    }
}
