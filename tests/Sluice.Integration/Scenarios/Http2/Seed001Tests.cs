using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// The table of seed 001 ("haproxy and HTTP/2, with a focus on h2c"), one row per test, with the document's
/// configurations (addresses restored) and nginx behind: HTTP/2 forced in front, detected in front, HTTP/2 in front
/// with HTTP/1.1 behind, HTTP/1.1 in front with HTTP/2 behind, each driven by curl, nghttp and h2load.
/// </summary>
public class Seed001Tests
{
    private static readonly NginxOptions H2Nginx = new() { Http2 = true };
    private static readonly NginxOptions H1Nginx = new();

    /// <summary>"Forcing only HTTP/2": `bind proto h2`, `server proto h2`; curl with prior knowledge goes through end to end.</summary>
    [Fact]
    public async Task ForcedHttp2Front_Http2Backend_CurlPriorKnowledgeAndNghttp()
    {
        await using var nginx = await NginxBackend.StartAsync(H2Nginx);
        var (port, probe, config) = Seed(nginx, frontProto: true, serverProto: true);
        await using var sluice = await Proxy.StartAsync(config, probe);

        var curl = await Proxy.CurlAsync("-i", "--http2-prior-knowledge", Proxy.Url(port, NginxBackend.SmallPath));
        Assert.True(curl.ExitCode == 0, curl.StandardError);
        Assert.StartsWith("HTTP/2 200", curl.StandardOutput, StringComparison.Ordinal);
        Assert.EndsWith("hello from nginx\n", curl.StandardOutput, StringComparison.Ordinal);
        var nghttp = await CommandRunner.RunAsync(CommandRunner.Require("nghttp", "nghttp2-client"), ["-n", "-s", Proxy.Url(port, NginxBackend.SmallPath)], timeout: TimeSpan.FromSeconds(60));
        Assert.True(nghttp.ExitCode == 0, nghttp.StandardOutput + nghttp.StandardError);
        Assert.Equal(2, nginx.AccessLog.Count(l => l.StartsWith("GET /small HTTP/2.0 200", StringComparison.Ordinal)));

        // As in the document, HTTP/1.1 is refused on a bind forced to HTTP/2.
        var h1 = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, NginxBackend.SmallPath));
        Assert.NotEqual(0, h1.ExitCode);
    }

    /// <summary>No `proto` on the bind: the preface decides, so both HTTP/1.1 and prior-knowledge HTTP/2 clients reach the HTTP/2 server.</summary>
    [Fact]
    public async Task DetectedFront_Http2Backend_BothClientProtocols()
    {
        await using var nginx = await NginxBackend.StartAsync(H2Nginx);
        var (port, probe, config) = Seed(nginx, frontProto: false, serverProto: true);
        await using var sluice = await Proxy.StartAsync(config, probe);

        var h1 = await Proxy.CurlAsync("-i", "--http1.1", Proxy.Url(port, NginxBackend.SmallPath));
        var h2 = await Proxy.CurlAsync("-i", "--http2-prior-knowledge", Proxy.Url(port, NginxBackend.SmallPath));
        Assert.True(h1.ExitCode == 0, h1.StandardError);
        Assert.True(h2.ExitCode == 0, h2.StandardError);
        Assert.StartsWith("HTTP/1.1 200", h1.StandardOutput, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/2 200", h2.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(2, nginx.AccessLog.Count(l => l.StartsWith("GET /small HTTP/2.0 200", StringComparison.Ordinal)));
    }

    /// <summary>"Forcing HTTP/2 on the frontend, HTTP/1.1 on the backend".</summary>
    [Fact]
    public async Task ForcedHttp2Front_Http1Backend_Nghttp()
    {
        await using var nginx = await NginxBackend.StartAsync(H1Nginx);
        var (port, probe, config) = Seed(nginx, frontProto: true, serverProto: false);
        await using var sluice = await Proxy.StartAsync(config, probe);

        var nghttp = await CommandRunner.RunAsync(CommandRunner.Require("nghttp", "nghttp2-client"), ["-n", "-s", Proxy.Url(port, NginxBackend.SmallPath)], timeout: TimeSpan.FromSeconds(60));
        Assert.True(nghttp.ExitCode == 0, nghttp.StandardOutput + nghttp.StandardError);
        Assert.Single(nginx.AccessLog, l => l.StartsWith("GET /small HTTP/1.1 200", StringComparison.Ordinal));
    }

    /// <summary>HTTP/1.1 in front, HTTP/2 behind: the combination the document could only reach through ALPN on TLS.</summary>
    [Fact]
    public async Task Http1Front_Http2Backend_CurlAndKeepAlive()
    {
        await using var nginx = await NginxBackend.StartAsync(H2Nginx);
        var (port, probe, config) = Seed(nginx, frontProto: false, serverProto: true);
        await using var sluice = await Proxy.StartAsync(config, probe);

        var curl = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, NginxBackend.SmallPath), Proxy.Url(port, NginxBackend.HeadersPath));
        Assert.True(curl.ExitCode == 0, curl.StandardError);
        Assert.StartsWith("hello from nginx\n", curl.StandardOutput, StringComparison.Ordinal);
        var echo = NginxBackend.ParseEcho(curl.StandardOutput["hello from nginx\n".Length..]);
        Assert.Equal("HTTP/2.0", echo["protocol"]);
        Assert.Equal("127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), echo["host"]);
        Assert.Equal(string.Empty, echo["connection"]);
    }

    /// <summary>h2load with 100 streams per connection through the detected front to the HTTP/2 server.</summary>
    [Fact]
    public async Task H2load_100Streams_DetectedFront_Http2Backend_AllSucceed()
    {
        await using var nginx = await NginxBackend.StartAsync(H2Nginx);
        var (port, probe, config) = Seed(nginx, frontProto: false, serverProto: true);
        await using var sluice = await Proxy.StartAsync(config, probe);

        var result = await CommandRunner.RunAsync(
            CommandRunner.Require("h2load", "nghttp2-client"), ["-n", "2000", "-c", "4", "-m", "100", Proxy.Url(port, NginxBackend.SmallPath)], timeout: TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains("2000 succeeded, 0 failed, 0 errored", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("status codes: 2000 2xx", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(2000, nginx.AccessLog.Count(l => l.StartsWith("GET /small HTTP/2.0 200", StringComparison.Ordinal)));
    }

    /// <summary>
    /// The document's configuration (frontend fe_h2c, backend be_h2c), on free ports. A forced HTTP/2 bind does not
    /// answer the readiness probe (a connection closed without a preface), so the probe gets an HTTP/1 bind of its own.
    /// </summary>
    private static (int Port, int ProbePort, string Config) Seed(NginxBackend nginx, bool frontProto, bool serverProto)
    {
        var port = Ports.FreeListeningPort();
        var probe = frontProto ? Ports.FreeListeningPort() : port;
        var text = string.Create(CultureInfo.InvariantCulture, $$"""
            frontend fe_h2c
                mode http
                timeout client 10s
                bind 127.0.0.1:{{port}}{{(frontProto ? " proto h2" : string.Empty)}}
                {{(frontProto ? $"bind 127.0.0.1:{probe}" : string.Empty)}}
                default_backend be_h2c

            backend be_h2c
                mode http
                timeout connect 2s
                timeout server 10s
                server server1 {{nginx.Address}}{{(serverProto ? " proto h2" : string.Empty)}}
            """);
        return (port, probe, text);
    }
}
