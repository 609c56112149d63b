using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Peers;

/// <summary>The test peers themselves, without Sluice: nginx, the websocket scripts and the recording backend.</summary>
public class PeersTests
{
    private static async Task<CommandResult> CurlAsync(params string[] arguments) =>
        await CommandRunner.RunAsync(CommandRunner.Require("curl", "curl"), ["-sS", "--max-time", "30", .. arguments], timeout: TimeSpan.FromSeconds(40));

    [Fact]
    public async Task Nginx_ServesSmallHeadersAndFiles_OverOneKeepAliveConnection()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions
        {
            LargeFileBytes = 1000,
            Files = new Dictionary<string, byte[]> { ["a.txt"] = "file a"u8.ToArray() },
        });

        // Three requests in one curl call share one connection.
        var result = await CurlAsync(nginx.Url(NginxBackend.SmallPath), "-H", "X-Forwarded-For: 192.0.2.7",
            nginx.Url(NginxBackend.HeadersPath), nginx.Url("/files/a.txt"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.StartsWith("hello from nginx\n", result.StandardOutput, StringComparison.Ordinal);
        Assert.EndsWith("file a", result.StandardOutput, StringComparison.Ordinal);
        var echo = NginxBackend.ParseEcho(result.StandardOutput);
        Assert.Equal("192.0.2.7", echo["x-forwarded-for"]);
        Assert.Equal("GET", echo["method"]);
        Assert.Equal("HTTP/1.1", echo["protocol"]);
        Assert.Equal("2", echo["connection-requests"]);
        Assert.Equal(nginx.Address, echo["host"]);
        Assert.Equal(string.Empty, echo["upgrade"]);

        var log = nginx.AccessLog;
        Assert.Equal(3, log.Count);
        Assert.All(log, l => Assert.Contains(" 200 ", l, StringComparison.Ordinal));
        Assert.EndsWith("reqs=3", log[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nginx_LargeFile_HasThePattern()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { LargeFileBytes = 10L * 1024 * 1024 + 5 });
        using var http = new HttpClient();
        await using var body = await http.GetStreamAsync(new Uri(nginx.Url(NginxBackend.LargePath)));
        await nginx.VerifyLargeBodyAsync(body, TestTimeout.Token());
        Assert.Equal((byte)'0', NginxBackend.LargeByteAt(0));
        Assert.Equal((byte)'1', NginxBackend.LargeByteAt(16 + 14));
        Assert.Equal((byte)'\n', NginxBackend.LargeByteAt(31));
    }

    [Fact]
    public async Task Nginx_SparseLargeFile_HundredMebibytesOfZeros()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { SparseLargeFile = true });
        var result = await CurlAsync("-o", "/dev/null", "-w", "%{http_code} %{size_download}", nginx.Url(NginxBackend.LargePath));
        Assert.Equal("200 104857600", result.StandardOutput);
    }

    [Fact]
    public async Task Nginx_Upload_ReadsWholeBody_PlainAndChunked()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { LargeFileBytes = 0 });
        var file = Path.Combine(nginx.Directory, "upload.bin");
        await using (var stream = File.Create(file))
        {
            stream.SetLength(20L * 1024 * 1024);
        }

        var plain = await CurlAsync("--data-binary", "@" + file, nginx.Url(NginxBackend.UploadPath));
        Assert.Equal("received 20971520\n", plain.StandardOutput);
        var chunked = await CurlAsync("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file, nginx.Url(NginxBackend.UploadPath));
        Assert.Equal("received 20971520\n", chunked.StandardOutput);
        Assert.Contains(nginx.AccessLog, l => l.StartsWith("POST /upload HTTP/1.1 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nginx_StoppedAtDispose_ByItsPid()
    {
        var nginx = await NginxBackend.StartAsync(new NginxOptions { LargeFileBytes = 0 });
        var pid = nginx.ProcessId;
        var port = nginx.Port;
        await nginx.DisposeAsync();
        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(pid));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)));
    }

    [Fact]
    public async Task WebSocket_ClientAgainstEchoServer_AllEchoesMatch()
    {
        await using var server = await WebSocketEchoServer.StartAsync(subprotocol: "chat");
        var result = await WebSocketClient.RunAsync(server.Url("/chat?x=1"), 50, new WebSocketClientOptions
        {
            MessageBytes = 70000,
            Binary = true,
            Subprotocol = "chat",
            Headers = [new("X-Test", "yes")],
        });
        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("ok 50", result.Output.Trim());

        var handshake = Assert.Single(await server.WaitForHandshakesAsync());
        Assert.Equal("/chat?x=1", handshake.Path);
        Assert.Equal("yes", handshake.Header("x-test"));
        Assert.Equal("websocket", handshake.Header("Upgrade"));
        var closed = Assert.Single(await server.WaitForClosedAsync());
        Assert.Equal((50, (int?)1000), closed);
    }

    [Fact]
    public async Task WebSocket_Client_FailsClearly()
    {
        // Nobody listens: exit 1 and a reason.
        var refused = await WebSocketClient.RunAsync("ws://127.0.0.1:" + Ports.FreeListeningPort().ToString(CultureInfo.InvariantCulture) + "/", 1);
        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith("error:", refused.Output, StringComparison.Ordinal);

        // A plain HTTP server is no websocket server.
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { LargeFileBytes = 0 });
        var rejected = await WebSocketClient.RunAsync("ws://" + nginx.Address + "/small", 1);
        Assert.Equal(1, rejected.ExitCode);

        // A server that accepts and never answers: the client's own timeout.
        await using var silent = TestServer.Tcp(TestServer.Silent);
        var timedOut = await WebSocketClient.RunAsync("ws://" + silent.Address + "/", 1, new WebSocketClientOptions { Timeout = TimeSpan.FromSeconds(1) });
        Assert.Equal(4, timedOut.ExitCode);
    }

    [Fact]
    public async Task Recording_RecordsPipelinedRequests_AndAnswersEach()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("you asked " + r.Target, forHead: r.Method == "HEAD"));
        using var client = await TestClient.ConnectTcpAsync(backend.Port);
        const string Requests =
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" +
            "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
            "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n" +
            "HEAD /d HTTP/1.1\r\nHost: x\r\n\r\n";
        await client.SendAsync(Encoding.ASCII.GetBytes(Requests));
        var requests = await backend.WaitForRequestsAsync(4);

        Assert.Equal(["/a", "/b", "/c", "/d"], requests.Select(r => r.Target));
        Assert.Equal("hello", requests[1].BodyText);
        Assert.Equal("abcde", requests[2].BodyText);
        Assert.True(requests[2].Chunked);
        Assert.Equal("t", Assert.Single(requests[2].Trailers).Value);
        Assert.Equal("x", requests[0].Header("host"));
        Assert.Equal(Requests, string.Concat(requests.Select(r => r.RawText)));
        Assert.Equal(Requests, backend.Connections[0].ReceivedText);
        Assert.All(requests, r => Assert.Equal(0, r.ConnectionIndex));
        Assert.Equal([0, 1, 2, 3], requests.Select(r => r.Index));

        var expected = string.Concat(new[] { "/a", "/b", "/c" }.Select(t =>
            $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {("you asked " + t).Length}\r\n\r\nyou asked {t}")) +
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n";
        Assert.Equal(expected, await TestClient.ReadExactlyAsync(client, expected.Length));
    }

    [Fact]
    public async Task Recording_ScriptedBadResponses_AndSmuggledBytesKept()
    {
        await using var backend = RecordingBackend.Start(r => r.Target switch
        {
            "/cut" => CannedResponse.Raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", AfterResponse.Close),
            "/101" => CannedResponse.Raw("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", AfterResponse.StopParsing),
            "/reset" => CannedResponse.Raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab", AfterResponse.Reset),
            "/slow" => CannedResponse.Raw("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n").Then(CannedResponse.Raw("done"), TimeSpan.FromMilliseconds(200)),
            _ => null,
        });

        using (var client = await TestClient.ConnectTcpAsync(backend.Port))
        {
            await client.SendAsync("GET /cut HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            Assert.EndsWith("only this", await TestClient.ReadToEndAsync(client), StringComparison.Ordinal);
        }

        using (var client = await TestClient.ConnectTcpAsync(backend.Port))
        {
            await client.SendAsync("GET /101 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n"u8.ToArray());
            Assert.StartsWith("HTTP/1.1 101", await TestClient.ReadExactlyAsync(client, 12), StringComparison.Ordinal);
            client.Shutdown(SocketShutdown.Send);
            var connection = (await backend.WaitForConnectionsAsync(2))[1];
            await connection.Ended.WaitAsync(TestTimeout.Value);
            Assert.Single(connection.Requests);
            Assert.EndsWith("GET /smuggled HTTP/1.1\r\n\r\n", connection.ReceivedText, StringComparison.Ordinal);
        }

        using (var client = await TestClient.ConnectTcpAsync(backend.Port))
        {
            await client.SendAsync("GET /reset HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            await Assert.ThrowsAnyAsync<Exception>(() => TestClient.ReadToEndAsync(client));
        }

        using (var client = await TestClient.ConnectTcpAsync(backend.Port))
        {
            await client.SendAsync("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            var started = DateTime.UtcNow;
            Assert.EndsWith("\r\n\r\ndone", await TestClient.ReadExactlyAsync(client, 42), StringComparison.Ordinal);
            Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(150));
        }

        using (var client = await TestClient.ConnectTcpAsync(backend.Port))
        {
            // null from the responder: closed without an answer.
            await client.SendAsync("GET /other HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
            Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
        }

        Assert.DoesNotContain(backend.Requests, r => r.Target == "/smuggled");
    }

    [Fact]
    public async Task Recording_MalformedRequest_StopsParsing_KeepsBytes_AndContinueIsSent()
    {
        await using var backend = RecordingBackend.Start();
        using (var client = await TestClient.ConnectTcpAsync(backend.Port))
        {
            await client.SendAsync("POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"u8.ToArray());
            Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", await TestClient.ReadExactlyAsync(client, 25));
            await client.SendAsync("abc"u8.ToArray());
            Assert.Equal("abc", (await backend.WaitForRequestsAsync(1))[0].BodyText);
        }

        using (var client = await TestClient.ConnectTcpAsync(backend.Port))
        {
            await client.SendAsync("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx"u8.ToArray());
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(client));
            var connection = (await backend.WaitForConnectionsAsync(2))[1];
            await connection.Ended.WaitAsync(TestTimeout.Value);
            Assert.StartsWith("bad Content-Length", connection.ParseError, StringComparison.Ordinal);
            Assert.EndsWith("\r\n\r\nxx", connection.ReceivedText, StringComparison.Ordinal);
            Assert.Empty(connection.Requests);
        }
    }
}
