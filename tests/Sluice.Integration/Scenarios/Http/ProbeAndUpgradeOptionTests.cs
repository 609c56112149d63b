using System.Globalization;
using System.Text;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>
/// RELIABILITY RES-02 and its option: a connection that sends nothing is answered 408 at `timeout http-request`
/// and logged, unless `option http-ignore-probes` makes it a silent close; `option disable-h2-upgrade` keeps a
/// cleartext bind to HTTP/1 even when the HTTP/2 preface arrives.
/// </summary>
public sealed class ProbeAndUpgradeOptionTests
{
    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Config(int silent, int probesIgnored, int noUpgrade) => $"""
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
            timeout http-request 500ms
        frontend silent
            bind 127.0.0.1:{P(silent)}
            http-request return status 200 content-type text/plain string "silent"
        frontend probes
            bind 127.0.0.1:{P(probesIgnored)}
            option http-ignore-probes
            http-request return status 200 content-type text/plain string "probes"
        frontend noupgrade
            bind 127.0.0.1:{P(noUpgrade)}
            option disable-h2-upgrade
            http-request return status 200 content-type text/plain string "noupgrade"
        """;

    private static async Task<string> SilentConnectionAnswerAsync(int port)
    {
        using var client = await TestClient.ConnectTcpAsync(port);
        return await TestClient.ReadToEndAsync(client);
    }

    [Fact]
    public async Task RES_02_AnEmptyConnection_Gets408_OrASilentCloseWithHttpIgnoreProbes()
    {
        var (silent, probes, noUpgrade) = (Ports.FreeListeningPort(), Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync(Config(silent, probes, noUpgrade), []);
        await WaitServedAsync(silent);

        Assert.StartsWith("HTTP/1.1 408", await SilentConnectionAnswerAsync(silent), StringComparison.Ordinal);
        await sluice.Output.WaitForAsync(l => l.Contains("[silent] silent/<NOSRV>", StringComparison.Ordinal) && l.Contains(" 408 ", StringComparison.Ordinal));

        Assert.Equal(string.Empty, await SilentConnectionAnswerAsync(probes));
        // A request on the same frontend is still served and logged; the probe left no line of its own.
        Assert.Equal("probes", (await Http.CurlAsync(Http.Url(probes, "/"))).StandardOutput);
        await sluice.Output.WaitForAsync(l => l.Contains("[probes]", StringComparison.Ordinal) && l.Contains("GET / HTTP/1.1", StringComparison.Ordinal));
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("[probes]", StringComparison.Ordinal) && l.Contains("<BADREQ>", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DisableH2Upgrade_ThePrefaceIsNotHttp1_AndHttp1StillWorks()
    {
        var (silent, probes, noUpgrade) = (Ports.FreeListeningPort(), Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync(Config(silent, probes, noUpgrade), []);
        await WaitServedAsync(silent);

        var detected = await Http.CurlAsync("--http2-prior-knowledge", Http.Url(silent, "/"));
        Assert.Equal("silent", detected.StandardOutput);

        var refused = await Http.CurlAsync("--http2-prior-knowledge", Http.Url(noUpgrade, "/"));
        Assert.NotEqual(0, refused.ExitCode);
        using (var raw = await TestClient.ConnectTcpAsync(noUpgrade))
        {
            await raw.SendAsync(Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
            Assert.StartsWith("HTTP/1.1 400", await TestClient.ReadToEndAsync(raw), StringComparison.Ordinal);
        }

        Assert.Equal("noupgrade", (await Http.CurlAsync("--http1.1", Http.Url(noUpgrade, "/"))).StandardOutput);
    }

    private static async Task WaitServedAsync(int port)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while ((await Http.CurlAsync("--max-time", "2", Http.Url(port, "/"))).ExitCode != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "never served");
            await Task.Delay(100);
        }
    }
}
