using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Tcp;

/// <summary>
/// `option clitcpka`/`srvtcpka`/`tcpka` with `clitcpka-idle` and `srvtcpka-idle`: the kernel's keep-alive timer of
/// each of Sluice's sockets, as `ss -o` shows it, runs from the configured idle time; without the option there
/// is no keep-alive timer.
/// </summary>
public sealed partial class TcpKeepAliveTests
{
    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The seconds left on the keep-alive timer of the one established socket <paramref name="filter"/> selects; null without one.</summary>
    private static async Task<int?> KeepAliveSecondsAsync(string filter)
    {
        var ss = await CommandRunner.RunAsync(CommandRunner.Require("ss", "iproute2"), ["-tnoH", "state", "established", filter]);
        Assert.Equal(0, ss.ExitCode);
        var lines = ss.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, "expected one socket: " + ss.StandardOutput);
        var timer = KeepAliveTimer().Match(lines[0]);
        if (!timer.Success)
        {
            return null;
        }

        var minutes = timer.Groups["m"].Success ? int.Parse(timer.Groups["m"].Value, CultureInfo.InvariantCulture) : 0;
        return (minutes * 60) + int.Parse(timer.Groups["s"].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"timer:\(keepalive,(?:(?<m>\d+)min)?(?<s>\d+)(?:\.\d+)?sec,")]
    private static partial Regex KeepAliveTimer();

    [Fact]
    public async Task KeepAliveTimers_RunFromTheConfiguredIdleTimes_OnEachSide()
    {
        await using var server = TestServer.Tcp(TestServer.Silent);
        var serverPort = server.Address.Split(':')[1];
        var probed = Ports.FreeListeningPort();
        var plain = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode tcp
                timeout connect 2s
                timeout client 30s
                timeout server 30s
            frontend probed
                bind 127.0.0.1:{P(probed)}
                option clitcpka
                clitcpka-idle 100
                clitcpka-intvl 7
                clitcpka-cnt 4
                default_backend held
            frontend plain
                bind 127.0.0.1:{P(plain)}
                default_backend held
            backend held
                option srvtcpka
                srvtcpka-idle 3m
                server s {server.Address}
            """, [ReadyProbe.Tcp(probed)]);

        using (var client = await TestClient.ConnectTcpAsync(probed))
        {
            await client.SendAsync("hello"u8.ToArray());
            await Task.Delay(300);
            var clientSide = await KeepAliveSecondsAsync($"( sport = :{P(probed)} )");
            Assert.InRange(clientSide ?? -1, 90, 100);
            var serverSide = await KeepAliveSecondsAsync($"( dport = :{serverPort} )");
            Assert.InRange(serverSide ?? -1, 170, 180);
        }

        using var unprobed = await TestClient.ConnectTcpAsync(plain);
        await Task.Delay(300);
        Assert.Null(await KeepAliveSecondsAsync($"( sport = :{P(plain)} )"));
    }

    [Fact]
    public async Task BadKeepAliveValues_AreRefusedAsHaproxyDoes()
    {
        var result = await SluiceBinary.RunAsync(["-c", "-f", await WriteAsync("""
            defaults
                mode tcp
                timeout connect 1s
                timeout client 1s
                timeout server 1s
            listen l
                bind 127.0.0.1:9
                clitcpka-cnt x
                srvtcpka-intvl 5x
                option tcpka foo
                server s 127.0.0.1:1
            """)]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'clitcpka-cnt' : unexpected character 'x' in integer value 'x'", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("unexpected character 'x' in argument to <srvtcpka-intvl>.", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("'option tcpka' cannot handle unexpected argument 'foo'.", result.StandardError, StringComparison.Ordinal);
    }

    private static async Task<string> WriteAsync(string config)
    {
        var path = Path.Combine(Ports.TempDirectory(), "ka.cfg");
        await File.WriteAllTextAsync(path, config);
        return path;
    }
}
