using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>Client keep-alive, server connection reuse (`http-reuse`), `option httpclose` and `http-server-close`.</summary>
public partial class KeepAliveTests
{
    private static readonly NginxOptions SmallNginx = new() { LargeFileBytes = 1000 };

    [GeneratedRegex(@"conn=(\d+) reqs=(\d+)")]
    private static partial Regex ConnPattern();

    /// <summary>nginx's connection serial number of each request in its access log.</summary>
    private static List<string> ServerConnections(NginxBackend nginx) =>
        [.. nginx.AccessLog.Select(l => ConnPattern().Match(l).Groups[1].Value)];

    /// <summary>The access log's connections once it has <paramref name="expected"/> lines, or at the test timeout.</summary>
    private static async Task<List<string>> ServerConnectionsAsync(NginxBackend nginx, int expected)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        List<string> connections;
        while ((connections = ServerConnections(nginx)).Count < expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return connections;
    }

    private static async Task CurlOneConnectionAsync(int port, params string[] paths)
    {
        var result = await Http.CurlAsync(["-v", "-o", "/dev/null", .. paths.Select(p => Http.Url(port, p))]);
        Assert.True(result.ExitCode == 0, result.StandardError);

        // curl says so when it reuses its connection for each URL after the first.
        Assert.Equal(paths.Length - 1, Regex.Count(result.StandardError, "Re-using existing connection"));
    }

    [Fact]
    public async Task Curl_SeveralUrlsOnOneConnection_ServerConnectionReused()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.HeadersPath, NginxBackend.SmallPath);
        var connections = await ServerConnectionsAsync(nginx, 3);
        Assert.Equal(3, connections.Count);
        Assert.Single(connections.Distinct());
        Assert.EndsWith("reqs=3", nginx.AccessLog[2], StringComparison.Ordinal);
        await sluice.Output.WaitForAsync(l => l.Contains("[fe] be/s1", StringComparison.Ordinal) && l.Contains(" 200 ", StringComparison.Ordinal), 3);
    }

    [Fact]
    public async Task ReuseSafe_SecondClientConnection_FirstRequestOnANewServerConnection()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    http-reuse safe"), port);

        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        var connections = await ServerConnectionsAsync(nginx, 4);
        Assert.Equal(4, connections.Count);
        Assert.Equal(connections[0], connections[1]);
        Assert.NotEqual(connections[0], connections[2]);
    }

    [Fact]
    public async Task ReuseNever_ServerConnectionsNotSharedAcrossClientConnections()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    http-reuse never"), port);

        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        var connections = await ServerConnectionsAsync(nginx, 4);
        Assert.True(connections.Count == 4, string.Join("\n", nginx.AccessLog));
        Assert.True(connections[0] == connections[1] && connections[2] == connections[3], string.Join("\n", nginx.AccessLog) + "\n" + sluice.Output.Text);
        Assert.NotEqual(connections[0], connections[2]);
    }

    [Fact]
    public async Task ReuseAlways_NextClientConnectionReusesTheIdleServerConnection()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    http-reuse always"), port);

        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        var connections = await ServerConnectionsAsync(nginx, 4);
        Assert.Equal(4, connections.Count);
        Assert.Single(connections.Distinct());
    }

    [Fact]
    public async Task ReuseAggressive_FirstRequestOnlyOnAConnectionAlreadyReused()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", backend: "    http-reuse aggressive"), port);

        // One exchange only: the idle connection was never reused, so a new client's first request does not take it.
        await ExchangeOnNewClientAsync(port, "/a1");
        await ExchangeOnNewClientAsync(port, "/b1");
        Assert.Equal(2, backend.Connections.Count);

        // A client whose second request reuses a connection makes that one eligible for first requests.
        using (var client = await RawHttpConnection.ConnectAsync(port))
        {
            for (var i = 0; i < 2; i++)
            {
                await client.SendAsync(Http.Get("/c" + i));
                Assert.Equal(200, (await client.ReadResponseAsync())!.Status);
            }
        }

        var before = backend.Connections.Count;
        await ExchangeOnNewClientAsync(port, "/d1");
        Assert.Equal(before, backend.Connections.Count);
    }

    [Fact]
    public async Task PoolMaxConnZero_NoIdleConnectionKept()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address} pool-max-conn 0", backend: "    http-reuse always"), port);

        await ExchangeOnNewClientAsync(port, "/p1");
        await ExchangeOnNewClientAsync(port, "/p2");
        Assert.Equal(2, backend.Connections.Count);
        await backend.Connections[0].Ended.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task ExchangeOnNewClientAsync(int port, string path)
    {
        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get(path, "Connection: close\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
    }

    [Fact]
    public async Task DefaultKeepAlive_TwoRequests_OneClientAndOneServerConnection()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync(Http.Get("/ka" + i));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            Assert.False(response.ConnectionHas("close"));
        }

        Assert.Null(await client.WaitClosedAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Single(backend.Connections);
        Assert.Equal(2, backend.Connections[0].Requests.Count);
    }

    [Fact]
    public async Task HttpClose_ClientToldConnectionClose_AndClosed()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", frontend: "    option httpclose"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/c"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.True(response.ConnectionHas("close"), response.Head);
        Assert.Equal(string.Empty, await client.WaitClosedAsync(TimeSpan.FromSeconds(10)));

        // The server connection is closed too.
        var connection = Assert.Single(backend.Connections);
        await connection.Ended.WaitAsync(TestTimeout.Value);
    }

    [Fact]
    public async Task HttpServerClose_ServerConnectionPerRequest_ClientKeptAlive()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", backend: "    option http-server-close"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync(Http.Get("/sc" + i));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            Assert.False(response.ConnectionHas("close"), response.Head);
        }

        Assert.Null(await client.WaitClosedAsync(TimeSpan.FromMilliseconds(300)));
        var connections = await backend.WaitForConnectionsAsync(2);
        Assert.Equal(2, connections.Count);
        await connections[0].Ended.WaitAsync(TestTimeout.Value);
        await connections[1].Ended.WaitAsync(TestTimeout.Value);
        Assert.All(connections, c => Assert.Single(c.Requests));
    }

    [Fact]
    public async Task ClientSendsConnectionClose_AnsweredThenClosed()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/bye", "Connection: close\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal(string.Empty, await client.WaitClosedAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ServerSaysConnectionClose_ClientKeptAlive_NextRequestOnNewServerConnection()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("answer " + r.Target, headers: "Connection: close") with { After = AfterResponse.Close });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(Http.Get("/s" + i));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal("answer /s" + i, response.BodyText);
            Assert.False(response.ConnectionHas("close"), response.Head);
        }

        Assert.Equal(3, backend.Connections.Count);
        await sluice.Output.WaitForAsync(l => l.Contains(" 200 ", StringComparison.Ordinal) && l.Contains("retries=0 \"GET /s", StringComparison.Ordinal), 3);
    }

    [Fact]
    public async Task CloseDelimitedResponse_BodyIntact_ClientConnectionChunkedOrClosed()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Raw("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close", AfterResponse.Close));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/eof"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal("body until close", response.BodyText);
        if (response.Header("Content-Length") is not null || response.Header("Transfer-Encoding") is not null)
        {
            // The body was delimited for the client: the connection must go on.
            await client.SendAsync(Http.Get("/eof2"));
            var next = await client.ReadResponseAsync();
            Assert.NotNull(next);
            Assert.Equal("body until close", next.BodyText);
        }
    }

    [Fact]
    public async Task ForwardedConnectionHeaders_KeepAliveTokenNotSentToServer()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/ka", "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        var request = Assert.Single(await backend.WaitForRequestsAsync());
        Assert.Empty(request.HeaderValues("Keep-Alive"));
    }

    [Fact]
    public async Task ClientAbortsDownload_ServerConnectionNotReusedWithLeftovers()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { LargeFileBytes = 50L * 1024 * 1024, SparseLargeFile = true });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    http-reuse always"), port);

        using (var aborting = await RawHttpConnection.ConnectAsync(port))
        {
            await aborting.SendAsync(Http.Get(NginxBackend.LargePath));
            await aborting.ReadTextAsync(1024 * 1024);
            aborting.Socket.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        }

        var aborted = await Http.WaitLineAsync(sluice, l => l.Contains("GET /large", StringComparison.Ordinal));
        Assert.Contains(" CD", aborted, StringComparison.Ordinal);

        for (var i = 0; i < 3; i++)
        {
            var result = await Http.CurlAsync(Http.Url(port, NginxBackend.SmallPath));
            Assert.True(result.ExitCode == 0, result.StandardError);
            Assert.Equal("hello from nginx\n", result.StandardOutput);
        }
    }

    [Fact]
    public async Task ClientAbortsUpload_NextClientsRequestParsedCleanly()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("answer " + r.Target));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", backend: "    http-reuse always"), port);

        // A warm idle connection in the pool first.
        Assert.Equal("answer /warm", (await Http.CurlAsync(Http.Url(port, "/warm"))).StandardOutput);
        using (var aborting = await RawHttpConnection.ConnectAsync(port))
        {
            await aborting.SendAsync("POST /half HTTP/1.1\r\nHost: test.local\r\nContent-Length: 10\r\n\r\n12345");
            await Task.Delay(300);
        }

        // The client's close is seen at once, not at `timeout client` (10 s).
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var half = await Http.WaitLineAsync(sluice, l => l.Contains("POST /half", StringComparison.Ordinal));
        var loggedAfter = watch.Elapsed;
        for (var i = 0; i < 3; i++)
        {
            var result = await Http.CurlAsync(Http.Url(port, "/next" + i));
            Assert.True(result.ExitCode == 0, result.StandardError);
            Assert.Equal("answer /next" + i, result.StandardOutput);
        }

        // The server connection that carried the half body was closed, never reused.
        Assert.DoesNotContain(backend.Requests, r => r.Target == "/half");
        Assert.All(backend.Connections, c => Assert.True(c.ParseError is null || c.ParseError == "closed after 5 of 10 body bytes", c.ParseError));
        Assert.All(backend.Connections.Where(c => c.ParseError is not null), c => Assert.EndsWith("12345", c.ReceivedText, StringComparison.Ordinal));
        Assert.True(loggedAfter < TimeSpan.FromSeconds(5), $"the abort was logged {loggedAfter.TotalMilliseconds:F0} ms after the client closed: {half}");
        Assert.Contains(" CD", half, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParallelCurl_HundredRequests_AllAnswered()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        var urls = Enumerable.Range(0, 100).Select(i => Http.Url(port, i % 2 == 0 ? NginxBackend.SmallPath : NginxBackend.HeadersPath));
        var result = await Http.CurlAsync(["-Z", "--parallel-max", "20", "-w", "%{http_code}\n", .. urls.SelectMany(u => new[] { "-o", "/dev/null", u })]);
        Assert.True(result.ExitCode == 0, result.StandardError);
        var codes = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(100, codes.Length);
        Assert.All(codes, c => Assert.Equal("200", c));
        Assert.Equal(100, nginx.AccessLog.Count);
    }

    [Theory]
    [InlineData("option httpclose")]
    [InlineData("option http-server-close")]
    public async Task CloseModes_ServerToldConnectionClose(string option)
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", backend: "    " + option), port);

        var result = await Http.CurlAsync(Http.Url(port, "/m"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        var request = Assert.Single(await backend.WaitForRequestsAsync());
        Assert.Contains(request.HeaderValues("Connection"), v => v.Contains("close", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Both proxies inherit the option from defaults and the stricter wins, so both must drop it.</summary>
    [Fact]
    public async Task NoOptionHttpClose_InFrontendAndBackend_BackToKeepAlive()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            defaults: "    option httpclose", frontend: "    no option httpclose", backend: "    no option httpclose"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync(Http.Get("/n" + i));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.False(response.ConnectionHas("close"), response.Head);
        }

        Assert.Single(backend.Connections);
    }

    [Fact]
    public async Task HttpServerClose_NginxSeesOneRequestPerConnection()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", frontend: "    option http-server-close"), port);

        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath, NginxBackend.SmallPath);
        var connections = await ServerConnectionsAsync(nginx, 3);
        Assert.Equal(3, connections.Count);
        Assert.Equal(3, connections.Distinct().Count());
        Assert.All(nginx.AccessLog, l => Assert.EndsWith("reqs=1", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task NginxClosesIdleConnection_NextRequestsStillSucceed()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx with { KeepaliveTimeout = TimeSpan.FromSeconds(1) });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    http-reuse always"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        for (var i = 0; i < 3; i++)
        {
            await client.SendAsync(Http.Get(NginxBackend.SmallPath));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            Assert.Equal("hello from nginx\n", response.BodyText);

            // Longer than nginx's keepalive_timeout: the pooled server connection is gone by the next request.
            await Task.Delay(2000);
        }

        Assert.Equal(3, ServerConnections(nginx).Distinct().Count());
    }

    [Fact]
    public async Task NginxKeepaliveRequestsLimit_ConnectionCloseHonoured()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx with { KeepaliveRequests = 2 });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        for (var i = 0; i < 6; i++)
        {
            await client.SendAsync(Http.Get(NginxBackend.SmallPath));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            Assert.False(response.ConnectionHas("close"), response.Head);
        }

        // nginx writes its access line after the response is out: the last one may trail the client's read.
        var connections = await ServerConnectionsAsync(nginx, 6);
        Assert.Equal(6, connections.Count);
        Assert.Equal(3, connections.Distinct().Count());
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("retries=1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Http10_WithoutKeepAlive_Closed()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/old", version: "HTTP/1.0"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal("ok", response.BodyText);
        Assert.Equal(string.Empty, await client.WaitClosedAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Http10_WithConnectionKeepAlive_KeptAlive()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        for (var i = 0; i < 2; i++)
        {
            await client.SendAsync(Http.Get("/old" + i, "Connection: keep-alive\r\n", version: "HTTP/1.0"));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            Assert.True(response.ConnectionHas("keep-alive"), response.Head);
        }

        Assert.Null(await client.WaitClosedAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task PooledConnectionClosedByServer_NextRequestStillSucceeds()
    {
        // Every server connection answers one request and then closes, without saying so in the response.
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("answer " + r.Target) with { After = AfterResponse.Close });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", backend: "    retries 3"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/first"));
        var first = await client.ReadResponseAsync();
        Assert.NotNull(first);
        Assert.Equal("answer /first", first.BodyText);

        // Let the server's FIN arrive first.
        await backend.Connections[0].Ended.WaitAsync(TestTimeout.Value).ContinueWith(_ => { });
        await Task.Delay(200);
        await client.SendAsync(Http.Get("/second"));
        var second = await client.ReadResponseAsync();
        Assert.NotNull(second);
        Assert.Equal(200, second.Status);
        Assert.Equal("answer /second", second.BodyText);
        Assert.Equal(2, backend.Connections.Count);
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /second", StringComparison.Ordinal));
        Assert.Contains(" 200 ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PooledConnectionClosedByServer_RaceWithoutPause_StillSucceeds()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("answer " + r.Target) with { After = AfterResponse.Close });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", backend: "    retries 3"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        for (var i = 0; i < 5; i++)
        {
            await client.SendAsync(Http.Get("/r" + i));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            Assert.Equal("answer /r" + i, response.BodyText);
        }
    }
}
