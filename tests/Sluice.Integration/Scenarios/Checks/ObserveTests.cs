using System.Globalization;
using Sluice.Integration.Fixtures;
using HttpRig = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// `observe` with `error-limit` and `on-error`, `on-marked-down shutdown-sessions` and `on-marked-up
/// shutdown-backup-sessions` (RELIABILITY FT-14), against nginx, with haproxy 2.6 run on the same configuration
/// as the oracle of the messages.
/// </summary>
public class ObserveTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>nginx answers /err with 500 and sends /large slowly (4 KiB/s) when asked with ?slow=1.</summary>
    private static Task<NginxBackend> StartNginxAsync() => NginxBackend.StartAsync(new NginxOptions
    {
        SparseLargeFile = true,
        ExtraServerDirectives = "location = /err { return 500; }\nif ($arg_slow) { set $limit_rate 4k; }",
    });

    private static string Config(int port, string servers) => $"""
        defaults
            mode http
            timeout connect 1s
            timeout client 30s
            timeout server 30s
        frontend fe
            bind 127.0.0.1:{Port(port)}
            default_backend be
        backend be
            option httpchk GET /small
        {servers}
        """;

    private static async Task<string> StatusAsync(int port, string path) =>
        (await HttpRig.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpRig.Url(port, path))).StandardOutput;

    /// <summary>
    /// The text of a state change line after the label (`[WARNING] ` for Sluice, `[WARNING]  (PID) : ` for haproxy), up
    /// to the count of servers left: the count of sessions after it is taken when the line is written, which haproxy
    /// does once the streams it cut have ended.
    /// </summary>
    private static string Message(string line)
    {
        var start = line.IndexOf("Server be/", StringComparison.Ordinal);
        var end = line.IndexOf("servers left.", start, StringComparison.Ordinal);
        return line[start..(end + "servers left.".Length)];
    }

    /// <summary>
    /// A slow download runs through the server, then ten 500s in a row: the tenth takes the server down with
    /// HAProxy's words ("Health analyze"), the download is cut and logged `DD`, and the next request gets 503.
    /// </summary>
    private static async Task<string> TenServerErrorsAsync(int port, LineCollector output)
    {
        var download = HttpRig.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpRig.Url(port, "/large?slow=1"));
        await Task.Delay(1000);
        Assert.False(download.IsCompleted);
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal("500", await StatusAsync(port, "/err"));
        }

        Assert.DoesNotContain(output.Lines, l => l.Contains("is DOWN", StringComparison.Ordinal));

        // The tenth response's own transaction is on the server too: whether it is cut before its answer leaves
        // depends on timing, in haproxy as here.
        Assert.Contains(await StatusAsync(port, "/err"), new[] { "500", "000" });
        var down = (await output.WaitForAsync(l => l.Contains("Server be/s1 is DOWN", StringComparison.Ordinal)))[0];
        var cut = await download.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(0, cut.ExitCode);
        Assert.Equal("503", await StatusAsync(port, "/after"));
        return Message(down);
    }

    [Fact]
    public async Task FT_14_ObserveLayer7_TenConsecutive500s_MarkedDown_SessionsShutDownWithD_AsHAProxy()
    {
        await using var nginx = await StartNginxAsync();
        var servers = $"    server s1 {nginx.Address} check inter 10s observe layer7 error-limit 10 on-error mark-down on-marked-down shutdown-sessions";

        var haPort = Ports.FreeListeningPort();
        string expected;
        await using (var haproxy = await HAProxyPeer.StartAsync(Config(haPort, servers), haPort))
        {
            expected = await TenServerErrorsAsync(haPort, haproxy.Output);
        }

        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, servers), [ReadyProbe.Tcp(port)]);
        var actual = await TenServerErrorsAsync(port, sluice.Output);

        Assert.Equal("Server be/s1 is DOWN, reason: Health analyze, info: \"Detected 10 consecutive errors, last one was: Wrong http response\". 0 active and 0 backup servers left.", expected);
        Assert.Equal(expected, actual);
        var line = await HttpRig.WaitLineAsync(sluice, l => l.Contains("GET /large?slow=1", StringComparison.Ordinal));
        Assert.Contains(" 200 ", line, StringComparison.Ordinal);
        Assert.Contains(" DD", line, StringComparison.Ordinal);
        Assert.Contains(sluice.Output.Lines, l => l.Contains("[ALERT] backend 'be' has no server available!", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ObserveLayer7_SuccessBetweenErrors_CountStartsAgain_FailCheckNeedsFallRounds()
    {
        await using var nginx = await StartNginxAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(
            Config(port, $"    server s1 {nginx.Address} check inter 10s fall 2 observe layer7 error-limit 3"), [ReadyProbe.Tcp(port)]);

        // Two errors, a success, two errors: never three in a row.
        foreach (var path in new[] { "/err", "/err", "/small", "/err", "/err" })
        {
            await StatusAsync(port, path);
        }

        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("is DOWN", StringComparison.Ordinal));

        // The default on-error is fail-check: the third error in a row counts one failed check (fall 2 leaves it up),
        // three more a second one.
        await StatusAsync(port, "/err");
        await Task.Delay(300);
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("is DOWN", StringComparison.Ordinal));
        for (var i = 0; i < 3; i++)
        {
            await StatusAsync(port, "/err");
        }

        var down = await sluice.Output.WaitForAsync(l => l.Contains("Server be/s1 is DOWN", StringComparison.Ordinal));
        Assert.Contains("reason: Health analyze, info: \"Detected 3 consecutive errors, last one was: Wrong http response\". 0 active", down[0], StringComparison.Ordinal);
    }

    /// <summary>
    /// The active server is down, a download runs on the backup; when the active one comes back up, the backup's
    /// download is cut and logged `UD` (HAProxy's SF_ERR_UP).
    /// </summary>
    [Fact]
    public async Task OnMarkedUp_ShutdownBackupSessions_BackupDownloadCutWithU()
    {
        await using var nginx = await StartNginxAsync();
        await using var active = await CheckPeer.StartAsync("active");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, $"""
                option httpchk GET /
                server s1 {active.Address} check inter 200 rise 1 fall 1 on-marked-up shutdown-backup-sessions
                server b1 {nginx.Address} backup
            """), [ReadyProbe.Tcp(port)]);

        await active.StopAsync();
        await sluice.Output.WaitForAsync(l => l.Contains("Server be/s1 is DOWN", StringComparison.Ordinal));
        var download = HttpRig.CurlAsync("-o", "/dev/null", HttpRig.Url(port, "/large?slow=1"));
        await Task.Delay(1000);
        Assert.False(download.IsCompleted);

        await active.RestartAsync();
        await sluice.Output.WaitForAsync(l => l.Contains("Server be/s1 is UP", StringComparison.Ordinal));
        var cut = await download.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(0, cut.ExitCode);
        var line = await HttpRig.WaitLineAsync(sluice, l => l.Contains("GET /large?slow=1", StringComparison.Ordinal));
        Assert.Contains("be/b1 ", line, StringComparison.Ordinal);
        Assert.Contains(" UD", line, StringComparison.Ordinal);
    }
}
