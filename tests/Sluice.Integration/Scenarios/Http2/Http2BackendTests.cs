using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Http;
using Sluice.TestKit.Processes;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// HTTP/2 servers behind Sluice (`server ... proto h2`): a python-h2 server that reports what it received, and nginx
/// with `listen ... http2`. Clients in front speak HTTP/1.1 or HTTP/2.
/// </summary>
public class Http2BackendTests
{
    private static readonly NginxOptions H2Nginx = new() { Http2 = true, LargeFileBytes = 8L * 1024 * 1024 };

    [Fact]
    public async Task Http1Client_AbsoluteFormAndHopFields_ServerGetsPseudoHeadersAndTrailersComeBackChunked()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("GET http://example.test/abs?q=1 HTTP/1.1\r\nHost: example.test\r\nConnection: X-Hop\r\nX-Hop: 1\r\nTE: trailers\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal("chunked", response.Header("transfer-encoding"));
        var lines = response.BodyText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([":method: GET", ":scheme: http", ":authority: example.test", ":path: /abs?q=1"], lines[..4]);
        Assert.Contains("te: trailers", lines);
        Assert.Contains("cookie: a=1; b=2", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("host:", StringComparison.Ordinal) || l.StartsWith("x-hop", StringComparison.Ordinal) || l.StartsWith("connection", StringComparison.Ordinal));

        // The server's trailer reaches the HTTP/1.1 client as a chunked trailer.
        Assert.Contains("0\r\nx-server-trailer: done\r\n\r\n", client.Transcript.ToString(), StringComparison.Ordinal);
        await server.Output.WaitForAsync(l => l == "request 1 GET /abs?q=1");
    }

    /// <summary>
    /// An origin-form request's :scheme towards an HTTP/2 server is the client connection's: `https` for a client over
    /// TLS (HTTP/1.1 or HTTP/2), `http` for a cleartext one.
    /// </summary>
    [Fact]
    public async Task OriginFormRequest_SchemeTowardsTheServer_IsTheClientConnections()
    {
        using var certificates = new TestCertificates();
        var site = certificates.Server("site.pem", "localhost");
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var (port, tlsPort) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2",
            frontend: $"    bind 127.0.0.1:{tlsPort.ToString(CultureInfo.InvariantCulture)} ssl crt {site} alpn h2,http/1.1"), port);

        foreach (var (url, version, scheme) in new[]
        {
            ($"https://localhost:{tlsPort}/s", "--http1.1", "https"),
            ($"https://localhost:{tlsPort}/s", "--http2", "https"),
            ($"http://127.0.0.1:{port}/s", "--http1.1", "http"),
        })
        {
            var result = await Proxy.CurlAsync("-k", version, "--resolve", $"localhost:{tlsPort}:127.0.0.1", url);
            Assert.Contains($":scheme: {scheme}\n", result.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Http1Client_ChunkedBodyWithTrailers_ServerGetsDataThenTrailers()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("POST /up HTTP/1.1\r\nHost: t.local\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nx-sum: 42\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        var lines = response.BodyText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(":authority: t.local", lines);
        Assert.Contains("body: 11", lines);
        Assert.Contains("trailer x-sum: 42", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("transfer-encoding", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Http2Client_InterimResponseAndTrailers_PassedThrough()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);

        var result = await Proxy.CurlAsync("-i", "--http2-prior-knowledge", Proxy.Url(port, "/interim"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.StartsWith("HTTP/2 103", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("link: </style.css>", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("HTTP/2 200", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(":path: /interim", result.StandardOutput, StringComparison.Ordinal);
        Assert.EndsWith("x-server-trailer: done\r\n", result.StandardOutput, StringComparison.Ordinal);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("\"GET /interim HTTP/2.0\"", StringComparison.Ordinal));
        Assert.Contains(" 200 ", line, StringComparison.Ordinal);
        Assert.Contains(" -- ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http2Client_ContentLengthAnswer_KeptAndChecked()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);

        var h1 = await Proxy.CurlAsync("-i", "--http1.1", Proxy.Url(port, "/length"));
        Assert.True(h1.ExitCode == 0, h1.StandardError);
        Assert.Contains("content-length: ", h1.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("chunked", h1.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("body: 0\n", h1.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerResetsMidBody_Http1ClientTruncated_Http2ClientReset()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);

        // RELIABILITY FT-06/FT-19: no terminating chunk for HTTP/1, a reset stream for HTTP/2, never a clean end.
        var h1 = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/reset"));
        Assert.Equal(18, h1.ExitCode);
        var h2 = await Proxy.CurlAsync("--http2-prior-knowledge", Proxy.Url(port, "/reset"));
        Assert.Equal(92, h2.ExitCode);
        Assert.Contains("INTERNAL_ERROR", h2.StandardError, StringComparison.Ordinal);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("\"GET /reset HTTP/1.1\"", StringComparison.Ordinal));
        Assert.Contains(" SD ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedResponseHead_ConnectionSpecificField_502()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);

        // RFC 9113 §8.2.2: a response with `connection` is malformed; the client hears 502, the log says PH.
        var result = await Proxy.CurlAsync("-i", "--http1.1", Proxy.Url(port, "/bad-head"));
        Assert.StartsWith("HTTP/1.1 502", result.StandardOutput, StringComparison.Ordinal);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("/bad-head", StringComparison.Ordinal));
        Assert.Contains(" 502 ", line, StringComparison.Ordinal);
        Assert.Contains(" PH ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BodyShorterThanContentLength_ClientResponseTruncated()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);

        // RFC 9113 §8.1.1: DATA that ends short of the declared length makes the response malformed.
        var h1 = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/short-body"));
        Assert.Equal(18, h1.ExitCode);
        var h2 = await Proxy.CurlAsync("--http2-prior-knowledge", Proxy.Url(port, "/short-body"));
        Assert.Equal(92, h2.ExitCode);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("\"GET /short-body HTTP/1.1\"", StringComparison.Ordinal));
        Assert.Contains(" PD ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusedStream_SentAgain_ClientGetsTheAnswer()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);

        // RFC 9113 §8.7: REFUSED_STREAM means the request was not processed; it goes again.
        var result = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/refuse-once"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.StartsWith(":method: GET\n", result.StandardOutput, StringComparison.Ordinal);
        await server.Output.WaitForAsync(l => l.StartsWith("request ", StringComparison.Ordinal) && l.EndsWith(" GET /refuse-once", StringComparison.Ordinal), count: 2);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("/refuse-once", StringComparison.Ordinal));
        Assert.Contains(" 200 ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GoAwayBelowTheStream_SentAgainOnANewConnection()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);

        // RFC 9113 §6.8: streams above the GOAWAY's last stream were not processed.
        var result = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/goaway-once"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains(":path: /goaway-once", result.StandardOutput, StringComparison.Ordinal);
        await server.Output.WaitForAsync(l => l.StartsWith("connection ", StringComparison.Ordinal), count: 2);
    }

    // RELIABILITY FT-09, RFC 9113 §8.7: a POST whose body had started to leave when the server refused its stream
    // (or said GOAWAY below it) goes again, whole, on a new stream; the server processes it once.
    [Theory]
    [InlineData("/refuse-after-data", "refused-after", "--http1.1")]
    [InlineData("/goaway-after-data", "goaway-after", "--http1.1")]
    [InlineData("/refuse-after-data", "refused-after", "--http2-prior-knowledge")]
    public async Task FT_09_PostNotProcessedAfterItsBodyStarted_ReplayedWhole_ProcessedOnce(string path, string mark, string clientProtocol)
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);
        var body = Path.Combine(Ports.TempDirectory(), "body");
        await File.WriteAllTextAsync(body, new string('x', 12000));

        var result = await Proxy.CurlAsync(clientProtocol, "--data-binary", "@" + body, Proxy.Url(port, path));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("body: 12000", result.StandardOutput, StringComparison.Ordinal);

        // The first stream was refused with part of its body received; the second one carried all of it.
        var refused = await server.Output.WaitForAsync(l => l.StartsWith(mark + " ", StringComparison.Ordinal));
        Assert.InRange(int.Parse(refused[^1][(mark.Length + 1)..], CultureInfo.InvariantCulture), 1, 12000);
        await server.Output.WaitForAsync(l => l.StartsWith("request ", StringComparison.Ordinal) && l.EndsWith(" POST " + path, StringComparison.Ordinal), count: 2);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains(path, StringComparison.Ordinal));
        Assert.Contains(" 200 ", line, StringComparison.Ordinal);
        Assert.Equal(2, server.Output.Lines.Count(l => l.StartsWith("request ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task FT_09_PostLongerThanBufsizeRefusedAfterItsBodyStarted_NotReplayed502()
    {
        // Only what fits in tune.bufsize is kept for a replay (HAProxy's limit): a longer body cannot go again.
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);
        var body = Path.Combine(Ports.TempDirectory(), "body");
        await File.WriteAllTextAsync(body, new string('x', 200000));

        var result = await Proxy.CurlAsync("-i", "--http1.1", "--data-binary", "@" + body, Proxy.Url(port, "/refuse-after-data"));
        Assert.StartsWith("HTTP/1.1 502", result.StandardOutput, StringComparison.Ordinal);
        Assert.Single(server.Output.Lines, l => l.StartsWith("request ", StringComparison.Ordinal));
    }

    // `tune.h2.be.initial-window-size` (HAProxy 2.9+; 2.6 has only `tune.h2.initial-window-size`, for both sides).
    [Fact]
    public async Task TuneH2BeInitialWindowSize_AdvertisedToServers_ClientsKeepTheirs()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        var config = "global\n    tune.h2.be.initial-window-size 1000\n"
            + Proxy.Config(port, $"server s1 {server.Address} proto h2").Replace("global\n", string.Empty, StringComparison.Ordinal);
        await using var sluice = await Proxy.StartAsync(config, port);

        var result = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/length"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        var settings = await server.Output.WaitForAsync(l => l.StartsWith("settings 1 ", StringComparison.Ordinal));
        Assert.Contains(" 4=1000", settings[^1], StringComparison.Ordinal);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var ours = (await client.ReadUntilAsync(f => f.Type == RawFrame.Settings))[^1];
        var windows = Enumerable.Range(0, ours.Payload.Length / 6).Where(i => ours.Payload[i * 6 + 1] == 4).Select(i => ours.ReadUInt32((i * 6) + 2)).ToList();
        Assert.Equal([65535u], windows);
    }

    // `tune.h2.be.max-concurrent-streams` (HAProxy 2.9+): with 1, two requests at once need two server connections
    // even where `http-reuse always` would share one.
    [Theory]
    [InlineData("", new[] { "1", "1" })]
    [InlineData("    tune.h2.be.max-concurrent-streams 1\n", new[] { "1", "2" })]
    public async Task TuneH2BeMaxConcurrentStreams_CapsTheStreamsOfAServerConnection(string tune, string[] connections)
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        var config = "global\n" + tune
            + Proxy.Config(port, $"server s1 {server.Address} proto h2", backend: "    http-reuse always\n    timeout server 2s").Replace("global\n", string.Empty, StringComparison.Ordinal);
        await using var sluice = await Proxy.StartAsync(config, port);

        // A first request opens the connection; two more then run at once. A stream is released just after its client
        // has the answer, later still while the code of that path compiles on first use: a second request first, so
        // that the release of the first cannot be what keeps the slow ones from sharing (or not) one connection.
        Assert.Equal(0, (await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/length"))).ExitCode);
        Assert.Equal(0, (await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/length"))).ExitCode);
        var slow = await Proxy.CurlAsync("--http1.1", "--parallel", "--parallel-immediate", "-o", "/dev/null", "-o", "/dev/null",
            Proxy.Url(port, "/slow"), Proxy.Url(port, "/slow"));
        var requests = await server.Output.WaitForAsync(l => l.StartsWith("request ", StringComparison.Ordinal) && l.EndsWith(" GET /slow", StringComparison.Ordinal), count: 2);
        Assert.Equal(connections, requests.Select(l => l.Split(' ')[1]).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task TimeoutServer_OneStreamCancelled_ConnectionGoesOnForOthers()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        var config = Proxy.Config(port, $"server s1 {server.Address} proto h2", backend: "    http-reuse always\n    timeout server 1s");
        await using var sluice = await Proxy.StartAsync(config, port);

        var slow = await Proxy.CurlAsync("-i", "--http1.1", Proxy.Url(port, "/slow"));
        Assert.StartsWith("HTTP/1.1 504", slow.StandardOutput, StringComparison.Ordinal);
        await server.Output.WaitForAsync(l => l == "reset 1 8");
        var next = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/length"));
        Assert.True(next.ExitCode == 0, next.StandardError);
        Assert.Contains(":path: /length", next.StandardOutput, StringComparison.Ordinal);

        // The same server connection carried both: the timeout ended a stream, not the connection.
        await server.Output.WaitForAsync(l => l == "request 1 GET /length");
        Assert.Single(server.Output.Lines, l => l.StartsWith("connection ", StringComparison.Ordinal));
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("\"GET /slow HTTP/1.1\"", StringComparison.Ordinal));
        Assert.Contains(" 504 ", line, StringComparison.Ordinal);
        Assert.Contains(" sH ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpReuseSafe_FirstRequestOfAClientOnItsOwnConnection_LaterOnesShared()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2"), port);

        // Two client connections: each first request opens its own server connection.
        Assert.Equal(0, (await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/length"))).ExitCode);
        Assert.Equal(0, (await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/length"))).ExitCode);
        await server.Output.WaitForAsync(l => l.StartsWith("connection ", StringComparison.Ordinal), count: 2);

        // One client connection with three requests: the later two go on an existing server connection.
        var three = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/length"), Proxy.Url(port, "/length"), Proxy.Url(port, "/length"));
        Assert.True(three.ExitCode == 0, three.StandardError);
        await server.Output.WaitForAsync(l => l.StartsWith("request ", StringComparison.Ordinal), count: 5);
        Assert.Equal(3, server.Output.Lines.Count(l => l.StartsWith("connection ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task HttpReuseAlways_SequentialClients_OneServerConnection()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2", backend: "    http-reuse always"), port);

        for (var i = 0; i < 10; i++)
        {
            var result = await Proxy.CurlAsync(i % 2 == 0 ? "--http1.1" : "--http2-prior-knowledge", Proxy.Url(port, "/length"));
            Assert.True(result.ExitCode == 0, result.StandardError);
        }

        await server.Output.WaitForAsync(l => l.StartsWith("request 1 ", StringComparison.Ordinal), count: 10);
        Assert.Single(server.Output.Lines, l => l.StartsWith("connection ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HttpReuseNever_EachClientConnectionKeepsItsOwnServerConnection()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {server.Address} proto h2", backend: "    http-reuse never"), port);

        for (var i = 0; i < 2; i++)
        {
            var result = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/length"), Proxy.Url(port, "/length"));
            Assert.True(result.ExitCode == 0, result.StandardError);
        }

        // Two client connections, two requests each: the server sees two connections, each with both of a client's requests.
        await server.Output.WaitForAsync(l => l.StartsWith("request ", StringComparison.Ordinal), count: 4);
        Assert.Equal(2, server.Output.Lines.Count(l => l.StartsWith("request 1 ", StringComparison.Ordinal)));
        Assert.Equal(2, server.Output.Lines.Count(l => l.StartsWith("request 2 ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PoolMaxConnZero_ServerConnectionClosedAfterItsLastStream()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        var port = Ports.FreeListeningPort();
        var config = Proxy.Config(port, $"server s1 {server.Address} proto h2 pool-max-conn 0", backend: "    http-reuse always");
        await using var sluice = await Proxy.StartAsync(config, port);

        // Each connection ends after its one stream; the next request waits for that, as the stream is released only
        // after the client has its answer.
        for (var i = 1; i <= 3; i++)
        {
            var result = await Proxy.CurlAsync("--http1.1", Proxy.Url(port, "/length"));
            Assert.True(result.ExitCode == 0, result.StandardError);
            await server.Output.WaitForAsync(l => l.StartsWith("closed ", StringComparison.Ordinal), count: i);
        }

        Assert.Equal(3, server.Output.Lines.Count(l => l.StartsWith("connection ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ServerSpeaksOnlyHttp1_ProtoH2_ClearAnswer502()
    {
        // A misconfiguration: the server answers the HTTP/2 preface with an HTTP/1.1 error, which is no frame at all.
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions());
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address} proto h2"), port);

        var h1 = await Proxy.CurlAsync("-i", "--http1.1", Proxy.Url(port, NginxBackend.SmallPath));
        Assert.StartsWith("HTTP/1.1 502", h1.StandardOutput, StringComparison.Ordinal);
        var h2 = await Proxy.CurlAsync("-i", "--http2-prior-knowledge", Proxy.Url(port, NginxBackend.SmallPath));
        Assert.StartsWith("HTTP/2 502", h2.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(nginx.AccessLog, l => l.StartsWith("GET /small", StringComparison.Ordinal));
    }

    [Fact]
    public async Task H2load_Multiplexed_NginxAllowsEightStreams_MoreConnectionsOpened()
    {
        await using var nginx = await NginxBackend.StartAsync(H2Nginx with { ExtraServerDirectives = "http2_max_concurrent_streams 8;" });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address} proto h2", backend: "    http-reuse always"), port);

        var result = await H2loadAsync("-n", "2000", "-c", "2", "-m", "50", Proxy.Url(port, NginxBackend.SmallPath));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains("2000 succeeded, 0 failed, 0 errored", result.StandardOutput, StringComparison.Ordinal);
        var log = nginx.AccessLog;
        Assert.Equal(2000, log.Count(l => l.StartsWith("GET /small HTTP/2.0 200", StringComparison.Ordinal)));

        // Up to 100 streams at once, 8 per connection: several connections, and never a stream beyond nginx's limit.
        var connections = log.Select(l => l.Split(' ').First(w => w.StartsWith("conn=", StringComparison.Ordinal))).Distinct().Count();
        Assert.InRange(connections, 2, 200);
        Assert.DoesNotContain("too many streams", nginx.ErrorLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NginxLiteralsRepeatedOnOneConnection_EveryResponseKeepsItsFields()
    {
        // nginx codes server, content-type and date as Huffman literals in every response; the decoder reuses the
        // decoding of a repeated one. Twenty responses on one client connection (nghttp, one stream each, over the
        // server connections Sluice shares) must each carry nginx's own fields.
        await using var nginx = await NginxBackend.StartAsync(H2Nginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address} proto h2", backend: "    http-reuse always"), port);

        var direct = await Proxy.CurlAsync("-sS", "-i", "--http2-prior-knowledge", $"http://{nginx.Address}{NginxBackend.SmallPath}");
        string[] expected = [.. direct.StandardOutput.Split('\n').Select(l => l.TrimEnd('\r'))
            .Where(l => l.StartsWith("server:", StringComparison.Ordinal) || l.StartsWith("content-type:", StringComparison.Ordinal))];
        Assert.Equal(2, expected.Length);

        const int Requests = 20;
        var through = await CommandRunner.RunAsync(
            CommandRunner.Require("nghttp", "nghttp2-client"),
            ["-nv", .. Enumerable.Range(1, Requests).Select(i => Proxy.Url(port, NginxBackend.SmallPath) + "?" + i)],
            timeout: TimeSpan.FromSeconds(60));
        Assert.True(through.ExitCode == 0, through.StandardOutput + through.StandardError);
        var fields = System.Text.RegularExpressions.Regex.Matches(through.StandardOutput, @"recv \(stream_id=\d+\) ([^\n]*)")
            .Select(m => m.Groups[1].Value.TrimEnd('\r')).ToArray();
        Assert.Equal(Requests, fields.Count(f => f == ":status: 200"));
        foreach (var field in expected)
        {
            Assert.Equal(Requests, fields.Count(f => f == field));
        }

        // The date moves on once a second: every response has one in nginx's format.
        Assert.Equal(Requests, fields.Count(f => System.Text.RegularExpressions.Regex.IsMatch(f, @"^date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$")));
    }

    [Fact]
    public async Task NginxGoAwayEveryTenRequests_AllRequestsSucceed()
    {
        await using var nginx = await NginxBackend.StartAsync(H2Nginx with { KeepaliveRequests = 10 });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address} proto h2", backend: "    http-reuse always"), port);

        var result = await H2loadAsync("-n", "300", "-c", "2", "-m", "10", Proxy.Url(port, NginxBackend.SmallPath));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.True(
            result.StandardOutput.Contains("300 succeeded, 0 failed, 0 errored", StringComparison.Ordinal),
            result.StandardOutput + string.Join('\n', Proxy.Lines(sluice).Where(l => !l.Contains(" 200 ", StringComparison.Ordinal))));
        var connections = nginx.AccessLog.Select(l => l.Split(' ').First(w => w.StartsWith("conn=", StringComparison.Ordinal))).Distinct().Count();
        Assert.True(connections >= 30, $"{connections} connections for 300 requests at 10 per connection");
    }

    [Fact]
    public async Task LargeDownload_Http1Client_ByteExact()
    {
        await using var nginx = await NginxBackend.StartAsync(H2Nginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address} proto h2"), port);
        var output = Path.Combine(Ports.TempDirectory(), "large.out");

        var result = await Proxy.CurlAsync("--http1.1", "-o", output, Proxy.Url(port, NginxBackend.LargePath));
        Assert.True(result.ExitCode == 0, result.StandardError);
        await using var body = File.OpenRead(output);
        await nginx.VerifyLargeBodyAsync(body);
        Assert.Single(nginx.AccessLog, l => l.StartsWith("GET /large HTTP/2.0 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LargeDownload_Http2ClientWithTinyWindow_FlowControlledEndToEnd()
    {
        await using var nginx = await NginxBackend.StartAsync(H2Nginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address} proto h2"), port);

        // A 1023-byte window on the client's side: the server's stream can only advance as the client reads.
        var result = await CommandRunner.RunAsync(
            CommandRunner.Require("nghttp", "nghttp2-client"), ["-n", "-s", "-w", "10", "-W", "10", Proxy.Url(port, NginxBackend.LargePath)], timeout: TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("\"GET /large HTTP/2.0\"", StringComparison.Ordinal));
        Assert.Contains(" 200 " + H2Nginx.LargeFileBytes.ToString(CultureInfo.InvariantCulture) + " -- ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LargeUpload_Http2Client_ServerReceivesAll()
    {
        await using var nginx = await NginxBackend.StartAsync(H2Nginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address} proto h2"), port);
        var file = Path.Combine(nginx.Directory, "www", "large.bin");

        foreach (var version in new[] { "--http2-prior-knowledge", "--http1.1" })
        {
            var result = await Proxy.CurlAsync(version, "--data-binary", "@" + file, Proxy.Url(port, NginxBackend.UploadPath));
            Assert.True(result.ExitCode == 0, result.StandardError);
            Assert.Equal("received " + H2Nginx.LargeFileBytes.ToString(CultureInfo.InvariantCulture) + "\n", result.StandardOutput);
        }
    }

    private static async Task<CommandResult> H2loadAsync(params string[] arguments) =>
        await CommandRunner.RunAsync(CommandRunner.Require("h2load", "nghttp2-client"), arguments, timeout: TimeSpan.FromSeconds(90));
}
