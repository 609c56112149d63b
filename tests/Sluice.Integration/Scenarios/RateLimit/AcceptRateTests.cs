using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.RateLimit;

/// <summary>
/// `maxconnrate`, `rate-limit sessions` and `maxsslconn`: bursts of connections opened at once by a python client
/// (Peers/burst_client.py) are all served, paced over the seconds the limit asks for; TLS clients are openssl
/// s_client; `show info` is compared with haproxy 2.6 run on the same configuration.
/// </summary>
public class AcceptRateTests
{
    private static string Frontend(string name, int port, string extra = "") => $"""
        frontend {name}
            bind 127.0.0.1:{port}
            {extra}
            http-request return status 200 content-type text/plain string ok

        """;

    private const string Defaults = """
        defaults
            mode http
            timeout client 30s
            timeout server 30s
            timeout connect 5s

        """;

    /// <summary>Runs the burst client; returns, per port, the milliseconds at which each connection got its answer.</summary>
    private static Task<Dictionary<int, List<int>>> BurstAsync(int count, params int[] ports) => BurstAsync(count, [], ports);

    /// <param name="tlsPorts">Those of <paramref name="ports"/> the client speaks TLS to.</param>
    private static async Task<Dictionary<int, List<int>>> BurstAsync(int count, int[] tlsPorts, params int[] ports)
    {
        var result = await CommandRunner.RunAsync(PythonPeer.Python,
            [PythonPeer.Script("burst_client.py"), count.ToString(CultureInfo.InvariantCulture), .. ports.Select(p => p.ToString(CultureInfo.InvariantCulture) + (tlsPorts.Contains(p) ? "s" : ""))],
            timeout: TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0 && result.StandardOutput.Contains("finished", StringComparison.Ordinal), result.StandardOutput + result.StandardError);
        var times = ports.ToDictionary(p => p, _ => new List<int>());
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var words = line.Split(' ');
            if (words[0] == "finished")
            {
                continue;
            }

            Assert.True(words[0] == "done" && words[3] == "200", "a connection was not served: " + line);
            times[int.Parse(words[1], CultureInfo.InvariantCulture)].Add(int.Parse(words[2], CultureInfo.InvariantCulture));
        }

        foreach (var port in ports)
        {
            Assert.Equal(count, times[port].Count);
            times[port].Sort();
        }

        return times;
    }

    [Fact]
    public async Task MaxConnRate20_60ConnectionsAtOnce_AllServedOverAtLeastTwoSeconds()
    {
        var port = Ports.FreeListeningPort();
        var config = "global\n    maxconnrate 20\n\n" + Defaults + Frontend("fe", port);
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);
        // The readiness probe's connection counts in this second's rate: let it leave the window.
        await Task.Delay(2100);

        var times = (await BurstAsync(60, port))[port];

        // 20 at once, then the sliding window lets ~20 more in per second: about 2 s from first to last. Without
        // the limit all 60 are answered within a few hundred ms; with it, a window may hold up to twice the limit
        // when the burst straddles a second's boundary, hence the bound on the first half second.
        var first = times[0];
        Assert.True(times[^1] - first >= 1500, $"60 connections at maxconnrate 20 were served in {times[^1] - first} ms: {string.Join(',', times)}");
        Assert.True(times.Count(t => t < first + 500) <= 35, $"too many in the first half second: {string.Join(',', times)}");
    }

    [Fact]
    public async Task RateLimitSessions10_PacesItsFrontendOnly()
    {
        var limited = Ports.FreeListeningPort();
        var free = Ports.FreeListeningPort();
        var config = Defaults + Frontend("limited", limited, "rate-limit sessions 10") + Frontend("free", free);
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(limited), ReadyProbe.Tcp(free)]);
        await Task.Delay(2100);

        var times = await BurstAsync(30, limited, free);

        var paced = times[limited];
        var unpaced = times[free];
        Assert.True(paced[^1] - paced[0] >= 1500, $"30 sessions at rate-limit 10 were served in {paced[^1] - paced[0]} ms: {string.Join(',', paced)}");
        Assert.True(paced.Count(t => t < paced[0] + 500) <= 20, $"too many in the first half second: {string.Join(',', paced)}");
        // The other frontend is not held back: all of its connections are answered long before the limited one's last.
        Assert.True(unpaced[^1] < paced[^1] - 1000, $"unlimited frontend: {string.Join(',', unpaced)}; limited: {string.Join(',', paced)}");
    }

    [Fact]
    public async Task MaxSslRate5_PacesTlsBindsOnly()
    {
        using var certs = new TestCertificates();
        var site = certs.Server("site.pem", "localhost");
        var tls = Ports.FreeListeningPort();
        var plain = Ports.FreeListeningPort();
        var config = "global\n    maxsslrate 5\n\n" + Defaults + Frontend("plain", plain) + $"""
            frontend tls
                bind 127.0.0.1:{tls} ssl crt {site}
                http-request return status 200

            """;
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(tls), ReadyProbe.Tcp(plain)]);
        await Task.Delay(2100);

        var times = await BurstAsync(15, [tls], tls, plain);

        var paced = times[tls];
        var unpaced = times[plain];
        Assert.True(paced[^1] - paced[0] >= 1500, $"15 TLS connections at maxsslrate 5 were served in {paced[^1] - paced[0]} ms: {string.Join(',', paced)}");
        Assert.True(unpaced[^1] < paced[^1] - 1000, $"cleartext frontend: {string.Join(',', unpaced)}; TLS: {string.Join(',', paced)}");
    }

    [Fact]
    public async Task MaxSslConn2_ThirdHandshakeWaitsUntilOneCloses()
    {
        using var certs = new TestCertificates();
        var site = certs.Server("site.pem", "localhost");
        var port = Ports.FreeListeningPort();
        var config = "global\n    maxsslconn 2\n\n" + Defaults + $"""
            frontend fe
                bind 127.0.0.1:{port} ssl crt {site}
                http-request return status 200

            """;
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);
        // The readiness probe held a TLS slot until it closed: wait for it to be given back.
        await Task.Delay(500);

        var first = await HandshakeAsync(port);
        var second = await HandshakeAsync(port);
        await using var third = StartClient(port);
        try
        {
            await Task.Delay(2000);
            Assert.DoesNotContain(third.Output.Lines, IsEstablished);

            await first.DisposeAsync();
            await third.WaitForLineAsync(IsEstablished);
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    private static bool IsEstablished(string line) => line.Contains("CONNECTION ESTABLISHED", StringComparison.Ordinal);

    /// <summary>openssl s_client holding its connection open (`-ign_eof`: its input is closed at start).</summary>
    private static PeerProcess StartClient(int port) =>
        PeerProcess.Start(CommandRunner.Require("openssl", "openssl"), ["s_client", "-brief", "-ign_eof", "-connect", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)]);

    private static async Task<PeerProcess> HandshakeAsync(int port)
    {
        var client = StartClient(port);
        try
        {
            await client.WaitForLineAsync(IsEstablished);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    [Fact]
    public async Task ShowInfo_LimitsAndTlsFigures_AsHaproxyReportsThem()
    {
        using var certs = new TestCertificates();
        var site = certs.Server("site.pem", "localhost");
        var sluiceInfo = await RunAndReadAsync(certs, site, haproxy: false);
        var haproxyInfo = await RunAndReadAsync(certs, site, haproxy: true);

        foreach (var name in new[] { "MaxSslConns", "ConnRateLimit", "SessRateLimit", "SslRateLimit", "CurrSslConns" })
        {
            Assert.Equal((name, haproxyInfo.Info[name]), (name, sluiceInfo.Info[name]));
        }

        foreach (var name in new[] { "CumSslConns", "ConnRate", "MaxConnRate", "SessRate", "MaxSessRate", "SslRate", "MaxSslRate" })
        {
            Assert.Equal((name, haproxyInfo.Info[name] != "0"), (name, sluiceInfo.Info[name] != "0"));
        }

        Assert.Equal(haproxyInfo.RateLimits, sluiceInfo.RateLimits);
    }

    [Fact]
    public async Task SetRateLimitGlobal_AnswersAsHaproxy_AndChangesTheLimits()
    {
        string[] commands =
        [
            "set rate-limit", "set rate-limit connections global", "set rate-limit connections global -1",
            "set rate-limit connections foo 3", "set rate-limit connections global 33", "set rate-limit sessions global 44",
            "set rate-limit ssl-sessions global 0",
        ];
        var answers = new List<string>[2];
        for (var run = 0; run < 2; run++)
        {
            var haproxy = run == 1;
            var port = Ports.FreeListeningPort();
            var socket = Path.Combine(Ports.TempDirectory(), "stats.sock");
            var config = $"global\n    maxconnrate 100\n    maxsessrate 50\n    maxsslrate 10\n    stats socket {socket} level admin\n\n" + Defaults + Frontend("fe", port);
            await using var peer = haproxy ? await HAProxyPeer.StartAsync(config, port) : null;
            await using var sluice = haproxy ? null : await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);
            answers[run] = [];
            foreach (var command in commands)
            {
                answers[run].Add(command + " => " + await StatsPeers.UnixAsync(socket, command));
            }

            var info = await ShowInfoAsync(socket);
            answers[run].Add($"limits {info["ConnRateLimit"]} {info["SessRateLimit"]} {info["SslRateLimit"]}");
        }

        Assert.Equal(answers[1], answers[0]);
        Assert.Equal("limits 33 44 0", answers[0][^1]);
    }

    [Fact]
    public async Task PrometheusExporter_LimitsUnderHaproxysNames()
    {
        var port = Ports.FreeListeningPort();
        var config = "global\n    maxconnrate 100\n    maxsessrate 50\n    maxsslrate 10\n    maxsslconn 7\n\n" + Defaults
            + Frontend("fe", port, "rate-limit sessions 12").Replace("http-request return status 200 content-type text/plain string ok", "http-request use-service prometheus-exporter", StringComparison.Ordinal);
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);

        var (status, _, body) = await StatsPeers.CurlAsync(StatsPeers.Url(port, "/metrics"));

        Assert.Equal(200, status);
        var lines = body.Split('\n');
        foreach (var sample in new[]
        {
            "haproxy_process_limit_connection_rate 100", "haproxy_process_limit_session_rate 50", "haproxy_process_limit_ssl_rate 10",
            "haproxy_process_max_ssl_connections 7", "haproxy_process_current_ssl_connections 0", "haproxy_frontend_limit_session_rate{proxy=\"fe\"} 12",
        })
        {
            Assert.Contains(sample, lines);
        }
    }

    /// <summary>Five cleartext connections and five over TLS, then `show info` and the frontends' `rate_lim`.</summary>
    private static async Task<(Dictionary<string, string> Info, string RateLimits)> RunAndReadAsync(TestCertificates certs, string site, bool haproxy)
    {
        var plain = Ports.FreeListeningPort();
        var tls = Ports.FreeListeningPort();
        var socket = Path.Combine(certs.Directory, haproxy ? "haproxy.sock" : "sluice.sock");
        var config = $"global\n    maxconnrate 100\n    maxsessrate 50\n    maxsslrate 10\n    maxsslconn 7\n    stats socket {socket} level admin\n\n"
            + Defaults + Frontend("plain", plain, "rate-limit sessions 10") + $"""
            frontend tls
                bind 127.0.0.1:{tls} ssl crt {site}
                http-request return status 200

            """;
        await using var peer = haproxy ? await HAProxyPeer.StartAsync(config, plain, tls) : null;
        await using var sluice = haproxy ? null : await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(plain), ReadyProbe.Tcp(tls)]);
        // The readiness probes count as connections (and the TLS one as a TLS connection): clear the maxima
        // and let the rates fall to zero before the measured traffic.
        await Task.Delay(2100);
        await StatsPeers.UnixAsync(socket, "clear counters all");
        // Five connections of each kind (curl closes each one), so that the rates read at once are above zero
        // even when a second's boundary passes in between.
        var tlsUrl = "https://127.0.0.1:" + tls.ToString(CultureInfo.InvariantCulture) + "/";
        await StatsPeers.CurlAsync(["-H", "Connection: close", .. Enumerable.Repeat(StatsPeers.Url(plain, "/"), 5)]);
        await StatsPeers.CurlAsync(["-k", "-H", "Connection: close", .. Enumerable.Repeat(tlsUrl, 5)]);
        var info = await ShowInfoAsync(socket);

        // The last TLS connection may still be closing on the proxy's side.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var current = info["CurrSslConns"];
        while (current != "0" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            current = (await ShowInfoAsync(socket))["CurrSslConns"];
        }

        info["CurrSslConns"] = current;
        var rows = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"));
        return (info, $"plain {rows["plain/FRONTEND"]["rate_lim"]} tls {rows["tls/FRONTEND"]["rate_lim"]}");
    }

    private static async Task<Dictionary<string, string>> ShowInfoAsync(string socket) =>
        (await StatsPeers.UnixAsync(socket, "show info")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(": ", 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
}
