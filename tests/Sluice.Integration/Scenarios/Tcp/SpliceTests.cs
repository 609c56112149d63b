using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Tcp;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// `option splice-request`/`splice-response`/`splice-auto` in mode tcp: curl through Sluice to nginx, large bodies both
/// ways byte for byte, and the pipes in use read from `show info` (PipesUsed, PipesFree, Maxpipes) while a slow
/// download is under way: spliced tunnels hold a pipe, copying ones (TLS, `nosplice`, small exchanges under
/// `splice-auto`, `maxpipes` reached) do not.
/// </summary>
public sealed class SpliceTests
{
    private const long LargeBytes = 6L * 1024 * 1024;

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Config(int port, string admin, string backend, string options, string global = "", string bind = "") => $"""
        global
            stats socket {admin} level admin
        {global}
        defaults
            mode tcp
            timeout connect 2s
            timeout client 30s
            timeout server 30s
        listen t
            bind 127.0.0.1:{P(port)} {bind}
        {options}
            server n {backend}
        """;

    private static async Task<Dictionary<string, int>> PipesAsync(string admin)
    {
        var info = await StatsPeers.UnixAsync(admin, "show info");
        return info.Split('\n')
            .Select(l => l.Split(": ", 2))
            .Where(p => p.Length == 2 && p[0] is "Maxpipes" or "PipesUsed" or "PipesFree")
            .ToDictionary(p => p[0], p => int.Parse(p[1].Trim(), CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Fetches /large over a kept-alive connection (plain or TLS) and reads it whole, byte for byte; the connection
    /// stays open, and with it the tunnel and any pipe it holds, until the caller disposes it.
    /// </summary>
    private static async Task<Stream> DownloadAndHoldAsync(NginxBackend nginx, int port, bool tls)
    {
        var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        Stream stream = client.GetStream();
        if (tls)
        {
            var secure = new System.Net.Security.SslStream(stream, false, (_, certificate, _, _) => certificate is not null);
            await secure.AuthenticateAsClientAsync("localhost");
            stream = secure;
        }

        await stream.WriteAsync("GET /large HTTP/1.1\r\nHost: nginx\r\n\r\n"u8.ToArray());
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^1] != '\n' || head[^3] != '\n')
        {
            Assert.Equal(1, await stream.ReadAsync(one));
            head.Add(one[0]);
        }

        Assert.StartsWith("HTTP/1.1 200", System.Text.Encoding.ASCII.GetString([.. head]), StringComparison.Ordinal);
        var body = new byte[LargeBytes];
        await stream.ReadExactlyAsync(body);
        await nginx.VerifyLargeBodyAsync(new MemoryStream(body));
        return stream;
    }

    private static async Task<(Dictionary<string, int> During, Dictionary<string, int> After)> DownloadWhileWatchingAsync(
        NginxBackend nginx, string admin, int port, int downloads = 1, bool tls = false)
    {
        var held = new List<Stream>();
        for (var i = 0; i < downloads; i++)
        {
            held.Add(await DownloadAndHoldAsync(nginx, port, tls));
        }

        var during = await PipesAsync(admin);
        foreach (var stream in held)
        {
            await stream.DisposeAsync();
        }

        // The tunnels end once the client's FIN has gone through.
        var after = await PipesAsync(admin);
        for (var attempt = 0; attempt < 50 && after["PipesUsed"] > 0; attempt++)
        {
            await Task.Delay(100);
            after = await PipesAsync(admin);
        }

        return (during, after);
    }

    private static Task<NginxBackend> StartNginxAsync() => NginxBackend.StartAsync(new NginxOptions { LargeFileBytes = LargeBytes });

    [Fact]
    public async Task SpliceRequestAndResponse_LargeBodiesBothWays_ByteExact_WithAPipeInUse()
    {
        await using var nginx = await StartNginxAsync();
        var admin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(
            Config(port, admin, nginx.Address, "    option splice-request\n    option splice-response", "    maxpipes 10"), [ReadyProbe.Tcp(port)]);

        var (during, after) = await DownloadWhileWatchingAsync(nginx, admin, port);
        Assert.Equal(10, during["Maxpipes"]);
        // Both directions splice from the start: the request's and the response's pipe.
        Assert.Equal(2, during["PipesUsed"]);
        Assert.Equal(0, after["PipesUsed"]);
        Assert.Equal(2, after["PipesFree"]);

        var upload = Path.Combine(Ports.TempDirectory(), "upload");
        await File.WriteAllBytesAsync(upload, Enumerable.Range(0, 3_000_000).Select(i => (byte)(i * 7)).ToArray());
        var posted = await Http.CurlAsync("-s", "--data-binary", "@" + upload, Http.Url(port, NginxBackend.UploadPath));
        Assert.Equal("received 3000000", posted.StandardOutput.Trim());
    }

    [Fact]
    public async Task SpliceAuto_SmallExchangesCopy_BulkOnesSplice()
    {
        await using var nginx = await StartNginxAsync();
        var admin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, admin, nginx.Address, "    option splice-auto"), [ReadyProbe.Tcp(port)]);

        var small = await Http.CurlAsync("-s", Http.Url(port, NginxBackend.SmallPath));
        Assert.Equal(nginx.Options.SmallBody, small.StandardOutput);
        Assert.Equal(0, (await PipesAsync(admin))["PipesFree"]);

        var (during, after) = await DownloadWhileWatchingAsync(nginx, admin, port);
        // Only the response turned to bulk; no `maxconn`, so no `maxpipes` either.
        Assert.Equal(1, during["PipesUsed"]);
        Assert.Equal(0, during["Maxpipes"]);
        Assert.Equal(1, after["PipesFree"]);
    }

    [Fact]
    public async Task Maxpipes_Reached_FurtherTunnelsCopy_AllByteExact()
    {
        await using var nginx = await StartNginxAsync();
        var admin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(
            Config(port, admin, nginx.Address, "    option splice-response", "    maxpipes 1"), [ReadyProbe.Tcp(port)]);

        var (during, after) = await DownloadWhileWatchingAsync(nginx, admin, port, downloads: 3);
        Assert.Equal(1, during["PipesUsed"]);
        Assert.Equal(0, after["PipesUsed"]);
    }

    [Fact]
    public async Task NoSpliceGlobal_AndTlsOffload_Copy()
    {
        await using var nginx = await StartNginxAsync();
        using var certificates = new TestCertificates();
        var crt = certificates.Server("site.pem", "localhost", ["localhost"]);
        var admin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        var port = Ports.FreeListeningPort();
        await using (var sluice = await SluiceProcess.StartAsync(
            Config(port, admin, nginx.Address, "    option splice-response", "    nosplice"), [ReadyProbe.Tcp(port)]))
        {
            var (during, after) = await DownloadWhileWatchingAsync(nginx, admin, port);
            Assert.Equal(0, during["PipesUsed"]);
            Assert.Equal(0, after["PipesFree"]);
        }

        var tlsAdmin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        var tlsPort = Ports.FreeListeningPort();
        await using (var sluice = await SluiceProcess.StartAsync(
            Config(tlsPort, tlsAdmin, nginx.Address, "    option splice-response\n    option splice-request", bind: "ssl crt " + crt), [ReadyProbe.Tcp(tlsPort)]))
        {
            var (during, _) = await DownloadWhileWatchingAsync(nginx, tlsAdmin, tlsPort, tls: true);
            Assert.Equal(0, during["PipesUsed"]);
        }
    }

    [Fact]
    public async Task NoOptionSplice_InAListen_CancelsTheDefaults()
    {
        await using var nginx = await StartNginxAsync();
        var admin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        var port = Ports.FreeListeningPort();
        var config = Config(port, admin, nginx.Address, "    no option splice-response")
            .Replace("    timeout server 30s", "    timeout server 30s\n    option splice-response", StringComparison.Ordinal);
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);

        var (during, _) = await DownloadWhileWatchingAsync(nginx, admin, port);
        Assert.Equal(0, during["PipesUsed"]);
    }
}
