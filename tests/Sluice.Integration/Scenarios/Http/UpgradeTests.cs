using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>Websockets through Sluice with python peers, `timeout tunnel`, CONNECT, and RELIABILITY.md §7.2 (UPG-*).</summary>
public class UpgradeTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    // SHA-1 is what RFC 6455 prescribes for Sec-WebSocket-Accept.
#pragma warning disable CA5350
    private static string Accept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350

    private static string WebSocketRequest(string path = "/ws", string extra = "") =>
        $"GET {path} HTTP/1.1\r\nHost: test.local\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n";

    private static CannedResponse Switching(string key, AfterResponse after = AfterResponse.StopParsing) =>
        CannedResponse.Raw($"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {Accept(key)}\r\n\r\n", after);

    private static string TunnelConfig(int port, string server, string defaults = "") =>
        Http.Config(port, server, defaults: defaults);

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task WebSocket_PythonClientAndEchoServer_MessagesEchoed(bool binary, bool deflate)
    {
        await using var echo = await WebSocketEchoServer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {echo.Address}", "    timeout tunnel 30s"), port);

        var result = await WebSocketClient.RunAsync($"ws://127.0.0.1:{port}/chat", 50, new WebSocketClientOptions
        {
            Binary = binary,
            Deflate = deflate,
            MessageBytes = 3000,
            Timeout = TimeSpan.FromSeconds(30),
        });
        Assert.True(result.Succeeded, result.ToString() + "\n" + sluice.Output.Text);
        Assert.Contains("ok 50", result.Output, StringComparison.Ordinal);
        var handshake = Assert.Single(await echo.WaitForHandshakesAsync());
        Assert.Equal("/chat", handshake.Path);
        var closed = Assert.Single(await echo.WaitForClosedAsync());
        Assert.Equal(50, closed.Messages);
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /chat", StringComparison.Ordinal));
        Assert.Contains(" 101 ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSocket_LargeMessages_Echoed()
    {
        await using var echo = await WebSocketEchoServer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {echo.Address}", "    timeout tunnel 30s"), port);

        var result = await WebSocketClient.RunAsync($"ws://127.0.0.1:{port}/big", 8, new WebSocketClientOptions
        {
            Binary = true,
            MessageBytes = 2 * 1024 * 1024,
            Timeout = TimeSpan.FromSeconds(60),
        });
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("ok 8", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSocket_SeveralClientsAtOnce_AllEchoed()
    {
        await using var echo = await WebSocketEchoServer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {echo.Address}", "    timeout tunnel 30s"), port);

        var runs = Enumerable.Range(0, 4).Select(i => WebSocketClient.RunAsync($"ws://127.0.0.1:{port}/c{i}", 30, new WebSocketClientOptions { Timeout = TimeSpan.FromSeconds(40) })).ToList();
        foreach (var result in await Task.WhenAll(runs))
        {
            Assert.True(result.Succeeded, result.ToString());
        }

        Assert.Equal(4, (await echo.WaitForClosedAsync(4)).Count);
    }

    [Fact]
    public async Task WebSocket_BytesRightAfterTheRequest_UpgradeAccepted_GoIntoTheTunnel()
    {
        await using var backend = RecordingBackend.Start(r => Switching(r.Header("Sec-WebSocket-Key") ?? string.Empty));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {backend.Address}", "    timeout tunnel 30s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/early", $"Sec-WebSocket-Key: {Key}\r\n") + "early frame bytes");
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(101, response.Status);
        var connection = Assert.Single(await backend.WaitForConnectionsAsync());
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (!connection.ReceivedText.EndsWith("early frame bytes", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.EndsWith("\r\n\r\nearly frame bytes", connection.ReceivedText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSocket_TunnelTimeoutLongerThanServerTimeout_IdleTunnelSurvives()
    {
        await using var echo = await WebSocketEchoServer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {echo.Address}",
            "    timeout tunnel 30s\n    timeout client 1s\n    timeout server 1s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/long", $"Sec-WebSocket-Key: {Key}\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(101, response.Status);

        // Idle for 3 s: beyond `timeout client` and `timeout server`, which no longer apply once in the tunnel.
        Assert.Null(await client.WaitClosedAsync(TimeSpan.FromSeconds(3)));
        byte[] mask = [9, 8, 7, 6];
        byte[] frame = [0x89, 0x82, .. mask, (byte)('h' ^ 9), (byte)('i' ^ 8)];
        await client.SendAsync(frame);
        Assert.Equal("\u008a\u0002hi", await client.ReadTextAsync(4));
    }

    [Fact]
    public async Task WebSocket_NoTunnelTimeout_ClientTimeoutApplies()
    {
        await using var echo = await WebSocketEchoServer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {echo.Address}",
            "    timeout client 1s\n    timeout server 1s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/short", $"Sec-WebSocket-Key: {Key}\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(101, response.Status);
        Assert.NotNull(await client.WaitClosedAsync(TimeSpan.FromSeconds(8)));
    }

    [Theory]
    [InlineData("option http-server-close")]
    [InlineData("option httpclose")]
    public async Task WebSocket_WithCloseModes_TunnelStillWorks(string option)
    {
        await using var echo = await WebSocketEchoServer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {echo.Address}", backend: "    " + option,
            defaults: "    timeout tunnel 30s"), port);

        var result = await WebSocketClient.RunAsync($"ws://127.0.0.1:{port}/modes", 10);
        Assert.True(result.Succeeded, result.ToString());
    }

    [Fact]
    public async Task WebSocket_TunnelTimeout_IdleTunnelClosed()
    {
        await using var echo = await WebSocketEchoServer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {echo.Address}", "    timeout tunnel 1s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);

        // Timed from before the request: the tunnel's idle time cannot begin earlier, while a test slowed by a
        // loaded machine may read the 101 late.
        var watch = Stopwatch.StartNew();
        await client.SendAsync(WebSocketRequest("/idle", $"Sec-WebSocket-Key: {Key}\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(101, response.Status);
        Assert.Equal(Accept(Key), response.Header("Sec-WebSocket-Accept"));
        Assert.NotNull(await client.WaitClosedAsync(TimeSpan.FromSeconds(8)));
        Assert.True(watch.Elapsed > TimeSpan.FromMilliseconds(700), $"closed after {watch.ElapsedMilliseconds} ms");
        Assert.Single(await echo.WaitForClosedAsync());
    }

    [Fact]
    public async Task WebSocket_TunnelTimeout_ActiveTunnelKept()
    {
        await using var echo = await WebSocketEchoServer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {echo.Address}", "    timeout tunnel 2s"), port);

        // 20 pings over about 4 s: longer than the tunnel timeout, but never idle that long.
        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/busy", $"Sec-WebSocket-Key: {Key}\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(101, response.Status);
        for (var i = 0; i < 20; i++)
        {
            // A masked ping frame with a 4-byte payload; the server answers with a pong of the same payload.
            byte[] mask = [1, 2, 3, 4];
            var payload = Encoding.ASCII.GetBytes($"p{i:D3}");
            byte[] frame = [0x89, 0x84, .. mask, .. payload.Select((b, j) => (byte)(b ^ mask[j % 4]))];
            await client.SendAsync(frame);
            var pong = await client.ReadTextAsync(6);
            Assert.Equal($"\u008a\u0004p{i:D3}", pong);
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task WebSocket_ServerCloses_ClientSideEnds()
    {
        await using var backend = RecordingBackend.Start(r => Switching(r.Header("Sec-WebSocket-Key") ?? string.Empty)
            .Then(CannedResponse.Raw("\u0081\u0003bye", AfterResponse.Close), TimeSpan.FromMilliseconds(300)));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {backend.Address}", "    timeout tunnel 30s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/bye", $"Sec-WebSocket-Key: {Key}\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(101, response.Status);
        Assert.Equal("\u0081\u0003bye", await client.WaitClosedAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task WebSocket_ClientCloses_ServerSideEndsAtOnce()
    {
        await using var echo = await WebSocketEchoServer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {echo.Address}", "    timeout tunnel 60s"), port);

        using (var client = await RawHttpConnection.ConnectAsync(port))
        {
            await client.SendAsync(WebSocketRequest("/leave", $"Sec-WebSocket-Key: {Key}\r\n"));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(101, response.Status);
        }

        // Well before `timeout tunnel` (60 s) and the test timeout.
        var watch = Stopwatch.StartNew();
        Assert.Single(await echo.WaitForClosedAsync());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"server side ended {watch.ElapsedMilliseconds} ms after the client left");
    }

    [Fact]
    public async Task WebSocket_ClientBytesReachServerThroughTunnel()
    {
        await using var backend = RecordingBackend.Start(r => Switching(r.Header("Sec-WebSocket-Key") ?? string.Empty));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {backend.Address}", "    timeout tunnel 30s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/up", $"Sec-WebSocket-Key: {Key}\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(101, response.Status);
        await client.SendAsync("raw tunnel bytes GET / HTTP/1.1\r\n\r\n");
        var connection = Assert.Single(backend.Connections);
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (!connection.ReceivedText.EndsWith("raw tunnel bytes GET / HTTP/1.1\r\n\r\n", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.EndsWith("raw tunnel bytes GET / HTTP/1.1\r\n\r\n", connection.ReceivedText, StringComparison.Ordinal);
        Assert.Single(backend.Requests);
    }

    [Fact]
    public async Task Upg01_H2cUpgrade_NeverForwarded_NormalResponse()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("GET /plain HTTP/1.1\r\nHost: test.local\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal("HTTP/1.1 200 OK", response.StatusLine);
        Assert.Equal("ok", response.BodyText);
        var request = Assert.Single(await backend.WaitForRequestsAsync());
        Assert.DoesNotContain("h2c", request.RawText, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(request.HeaderValues("HTTP2-Settings"));
        Assert.Empty(request.HeaderValues("Upgrade"));
    }

    [Fact]
    public async Task Upg02_WebSocketWithoutKey_400NothingForwarded()
    {
        await using var backend = RecordingBackend.Start(r => Switching("x"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/nokey"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(400, response.Status);
        await Task.Delay(300);
        Assert.Equal(string.Empty, backend.AllReceivedText);
    }

    [Fact]
    public async Task Upg02_WebSocketWithTwoKeys_400NothingForwarded()
    {
        await using var backend = RecordingBackend.Start(r => Switching("x"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/twokeys", $"Sec-WebSocket-Key: {Key}\r\nSec-WebSocket-Key: {Key}\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(400, response.Status);
        await Task.Delay(300);
        Assert.Equal(string.Empty, backend.AllReceivedText);
    }

    [Fact]
    public async Task Upg03_101WithoutAccept_502()
    {
        await using var backend = RecordingBackend.Start(_ =>
            CannedResponse.Raw("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", AfterResponse.StopParsing));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/noaccept", $"Sec-WebSocket-Key: {Key}\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(502, response.Status);
    }

    [Fact]
    public async Task Unrequested101_502()
    {
        await using var backend = RecordingBackend.Start(_ => Switching(Key));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/plain"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(502, response.Status);
    }

    [Theory]
    [InlineData(426, "Upgrade Required")]
    [InlineData(200, "OK")]
    [InlineData(404, "Not Found")]
    public async Task Upg04_UpgradeRefusedByServer_NoTunnel_ResponseThenClose(int status, string reason)
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Ok("refused", status, reason));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/refused", $"Sec-WebSocket-Key: {Key}\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(status, response.Status);
        Assert.Equal("refused", response.BodyText);

        // No tunnel: bytes that follow are not relayed to the server as they are.
        try
        {
            await client.SendAsync("not a tunnel\r\n\r\n");
        }
        catch (System.Net.Sockets.SocketException)
        {
        }

        Assert.NotNull(await client.WaitClosedAsync(TimeSpan.FromSeconds(10)));
        await Task.Delay(200);
        Assert.DoesNotContain("not a tunnel", backend.AllReceivedText, StringComparison.Ordinal);
        Assert.Single(backend.Requests);
    }

    [Fact]
    public async Task Upg05_BytesAfterUpgradeRequest_UpgradeRefused_NotProcessedAsRequest()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Ok("refused", 426, "Upgrade Required"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(WebSocketRequest("/first", $"Sec-WebSocket-Key: {Key}\r\n") + Http.Get("/smuggled"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(426, response.Status);
        var rest = await client.WaitClosedAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(rest);
        Assert.DoesNotContain("HTTP/1.1", rest, StringComparison.Ordinal);
        await Task.Delay(200);
        Assert.DoesNotContain("/smuggled", backend.AllReceivedText, StringComparison.Ordinal);
        Assert.Single(backend.Requests);
    }

    [Theory]
    [InlineData("CONNECT /path HTTP/1.1\r\nHost: test.local\r\n\r\n")]
    [InlineData("CONNECT example.com HTTP/1.1\r\nHost: example.com\r\n\r\n")]
    [InlineData("CONNECT http://example.com:443/ HTTP/1.1\r\nHost: example.com:443\r\n\r\n")]
    [InlineData("CONNECT example.com:abc HTTP/1.1\r\nHost: example.com:abc\r\n\r\n")]
    [InlineData("CONNECT user@example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")]
    public async Task Upg06_ConnectWithBadAuthority_400AndClose(string request)
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(request + Http.Get("/after"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(400, response.Status);
        var rest = await client.WaitClosedAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(rest);
        Assert.Equal(string.Empty, rest);
        await Task.Delay(200);
        Assert.Equal(string.Empty, backend.AllReceivedText);
    }

    [Fact]
    public async Task Connect_ServerAnswers200_BecomesTunnel()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Raw("HTTP/1.1 200 Connection established\r\n\r\n")
            .Then(CannedResponse.Raw("pong", AfterResponse.StopParsing), TimeSpan.FromMilliseconds(300)));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TunnelConfig(port, $"server s1 {backend.Address}", "    timeout tunnel 30s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("CONNECT backend.example:443 HTTP/1.1\r\nHost: backend.example:443\r\n\r\n");
        RawResponse? response;
        string pong;
        try
        {
            // A 2xx to CONNECT has no body (RFC 9110 9.3.6): what follows is the tunnel.
            response = await client.ReadResponseAsync(forHead: true);
            pong = await client.ReadTextAsync(4);
        }
        catch (OperationCanceledException)
        {
            await Task.Delay(200);
            Assert.Fail($"no answer to CONNECT; client got: {client.Transcript}\nbackend got: {backend.AllReceivedText}\n{sluice.Output.Text}");
            throw;
        }

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal("pong", pong);
        await client.SendAsync("ping through the tunnel");
        var request = Assert.Single(await backend.WaitForRequestsAsync());
        Assert.Equal("CONNECT", request.Method);
        Assert.Equal("backend.example:443", request.Target);
        var connection = Assert.Single(backend.Connections);
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (!connection.ReceivedText.EndsWith("ping through the tunnel", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.EndsWith("ping through the tunnel", connection.ReceivedText, StringComparison.Ordinal);
    }
}
