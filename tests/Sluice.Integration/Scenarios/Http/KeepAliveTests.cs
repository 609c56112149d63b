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
        var port = Ports.FreeTcpPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.HeadersPath, NginxBackend.SmallPath);
        var connections = ServerConnections(nginx);
        Assert.Equal(3, connections.Count);
        Assert.Single(connections.Distinct());
        Assert.EndsWith("reqs=3", nginx.AccessLog[2], StringComparison.Ordinal);
        await sluice.Output.WaitForAsync(l => l.Contains("[fe] be/s1", StringComparison.Ordinal) && l.Contains(" 200 ", StringComparison.Ordinal), 3);
    }

    [Fact]
    public async Task ReuseSafe_SecondClientConnection_FirstRequestOnANewServerConnection()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeTcpPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    http-reuse safe"), port);

        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        var connections = ServerConnections(nginx);
        Assert.Equal(4, connections.Count);
        Assert.Equal(connections[0], connections[1]);
        Assert.NotEqual(connections[0], connections[2]);
    }

    [Fact]
    public async Task ReuseNever_ServerConnectionsNotSharedAcrossClientConnections()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeTcpPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    http-reuse never"), port);

        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        var connections = ServerConnections(nginx);
        Assert.True(connections.Count == 4, string.Join("\n", nginx.AccessLog));
        Assert.True(connections[0] == connections[1] && connections[2] == connections[3], string.Join("\n", nginx.AccessLog) + "\n" + sluice.Output.Text);
        Assert.NotEqual(connections[0], connections[2]);
    }

    [Fact]
    public async Task ReuseAlways_NextClientConnectionReusesTheIdleServerConnection()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeTcpPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    http-reuse always"), port);

        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        await CurlOneConnectionAsync(port, NginxBackend.SmallPath, NginxBackend.SmallPath);
        var connections = ServerConnections(nginx);
        Assert.Equal(4, connections.Count);
        Assert.Single(connections.Distinct());
    }

    [Fact]
    public async Task DefaultKeepAlive_TwoRequests_OneClientAndOneServerConnection()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeTcpPort();
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
        var port = Ports.FreeTcpPort();
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
        var port = Ports.FreeTcpPort();
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
        var port = Ports.FreeTcpPort();
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
        var port = Ports.FreeTcpPort();
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
        var port = Ports.FreeTcpPort();
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
        var port = Ports.FreeTcpPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/ka", "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        var request = Assert.Single(await backend.WaitForRequestsAsync());
        Assert.Empty(request.HeaderValues("Keep-Alive"));
    }

    [Fact]
    public async Task Http10_WithoutKeepAlive_Closed()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeTcpPort();
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
        var port = Ports.FreeTcpPort();
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
        var port = Ports.FreeTcpPort();
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
        var port = Ports.FreeTcpPort();
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
