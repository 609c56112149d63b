using System.Globalization;
using System.Text;
using Sluice.Integration.Fixtures;
using Proxy = Sluice.Integration.Scenarios.Http.Http;
using Sluice.TestKit.Http2;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>HTTP/2 clients in front of Sluice, HTTP/1.1 servers behind: curl, nghttp, h2load and a raw frame client.</summary>
public class Http2FrontTests
{
    private static readonly NginxOptions SmallNginx = new() { LargeFileBytes = 8L * 1024 * 1024 };

    [Fact]
    public async Task Curl_PriorKnowledge_Get_NginxAnswers()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address}"), port);

        var result = await Proxy.CurlAsync("-i", "--http2-prior-knowledge", Proxy.Url(port, NginxBackend.SmallPath));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.StartsWith("HTTP/2 200", result.StandardOutput, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nhello from nginx\n", result.StandardOutput, StringComparison.Ordinal);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("\"GET /small HTTP/2.0\"", StringComparison.Ordinal));
        Assert.Contains("[fe] be/s1 ", line, StringComparison.Ordinal);
        Assert.Contains(" 200 ", line, StringComparison.Ordinal);
        Assert.Contains(" -- retries=0 ", line, StringComparison.Ordinal);
        Assert.Single(nginx.AccessLog, l => l.StartsWith("GET /small HTTP/1.1 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Curl_PriorKnowledge_PostLargeBody_ServerReceivesAll()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address}"), port);
        var file = Path.Combine(nginx.Directory, "www", "large.bin");

        var result = await Proxy.CurlAsync("--http2-prior-knowledge", "--data-binary", "@" + file, Proxy.Url(port, NginxBackend.UploadPath));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("received " + SmallNginx.LargeFileBytes.ToString(CultureInfo.InvariantCulture) + "\n", result.StandardOutput);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("\"POST /upload HTTP/2.0\"", StringComparison.Ordinal));
        Assert.Contains(" 200 ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Curl_PriorKnowledge_SmallPost_RecordedWithLengthAndFields()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("got " + r.BodyText));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        var result = await Proxy.CurlAsync("--http2-prior-knowledge", "-H", "X-Foo: Bar", "-H", "Cookie: a=1", "-H", "Cookie: b=2", "-d", "hello", Proxy.Url(port, "/form?q=1"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("got hello", result.StandardOutput);
        var request = Assert.Single(Assert.Single(backend.Connections).Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/form?q=1", request.Target);
        Assert.Equal("HTTP/1.1", request.Version);
        Assert.Equal("5", request.Header("content-length"));
        Assert.False(request.Chunked);
        Assert.Equal("Bar", request.Header("x-foo"));
        Assert.Equal("a=1; b=2", request.Header("cookie"));
        Assert.Equal("127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), request.Header("host"));
    }

    [Fact]
    public async Task Curl_PriorKnowledge_LargeResponse_Complete()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address}"), port);
        var output = Path.Combine(Ports.TempDirectory(), "large.out");

        var result = await Proxy.CurlAsync("--http2-prior-knowledge", "-o", output, Proxy.Url(port, NginxBackend.LargePath));
        Assert.True(result.ExitCode == 0, result.StandardError);
        await using var body = File.OpenRead(output);
        Assert.Equal(SmallNginx.LargeFileBytes, body.Length);
        await nginx.VerifyLargeBodyAsync(body);
    }

    [Fact]
    public async Task Nghttp_TinyWindow_LargeResponse_FlowControlled()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address}"), port);

        // A 1023-byte stream and connection window: the response can only leave as the client opens it.
        var result = await NghttpAsync("-n", "-s", "-w", "10", "-W", "10", Proxy.Url(port, NginxBackend.LargePath));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains(" 200 ", result.StandardOutput, StringComparison.Ordinal);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("\"GET /large HTTP/2.0\"", StringComparison.Ordinal));
        Assert.Contains(" 200 " + SmallNginx.LargeFileBytes.ToString(CultureInfo.InvariantCulture) + " -- ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nghttp_ThreeUrls_OneConnection_AllAnswered()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("you asked " + r.Target));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        var result = await NghttpAsync("-nv", Proxy.Url(port, "/one"), Proxy.Url(port, "/two"), Proxy.Url(port, "/three"));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Equal(3, CountOf(result.StandardOutput, ":status: 200"));
        Assert.Contains("recv SETTINGS frame", result.StandardOutput, StringComparison.Ordinal);
        var lines = new List<string>();
        foreach (var path in new[] { "/one", "/two", "/three" })
        {
            lines.Add(await Proxy.WaitLineAsync(sluice, l => l.Contains("\"GET " + path + " HTTP/2.0\"", StringComparison.Ordinal)));
        }

        // One client connection: the same client address and port on every line.
        Assert.Single(lines.Select(l => l.Split(' ')[0]).Distinct());
        Assert.Equal(3, backend.Connections.Sum(c => c.Requests.Count));
    }

    [Fact]
    public async Task H2load_1000Requests_4Connections_10Streams_AllSucceed()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address}", backend: "    http-reuse always"), port);

        var result = await CommandRunner.RunAsync(
            CommandRunner.Require("h2load", "nghttp2-client"), ["-n", "1000", "-c", "4", "-m", "10", Proxy.Url(port, NginxBackend.SmallPath)], timeout: TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains("1000 succeeded, 0 failed, 0 errored", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("status codes: 1000 2xx", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SamePort_Http11Client_StillAnswered()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {nginx.Address}"), port);

        var h1 = await Proxy.CurlAsync("-i", "--http1.1", Proxy.Url(port, NginxBackend.SmallPath));
        var h2 = await Proxy.CurlAsync("-i", "--http2-prior-knowledge", Proxy.Url(port, NginxBackend.SmallPath));
        Assert.True(h1.ExitCode == 0, h1.StandardError);
        Assert.True(h2.ExitCode == 0, h2.StandardError);
        Assert.StartsWith("HTTP/1.1 200", h1.StandardOutput, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/2 200", h2.StandardOutput, StringComparison.Ordinal);
        await Proxy.WaitLineAsync(sluice, l => l.Contains("\"GET /small HTTP/1.1\"", StringComparison.Ordinal));
        await Proxy.WaitLineAsync(sluice, l => l.Contains("\"GET /small HTTP/2.0\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnixSocketBind_PrefaceDetected_BothProtocolsServed()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var socketPath = Path.Combine(Ports.TempDirectory(), "fe.sock");
        var config = Proxy.Config(0, $"server s1 {nginx.Address}").Replace("bind 127.0.0.1:0", "bind " + socketPath, StringComparison.Ordinal);
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Unix(socketPath));

        var h2 = await Proxy.CurlAsync("-i", "--http2-prior-knowledge", "--unix-socket", socketPath, "http://test.local" + NginxBackend.SmallPath);
        var h1 = await Proxy.CurlAsync("-i", "--http1.1", "--unix-socket", socketPath, "http://test.local" + NginxBackend.SmallPath);
        Assert.True(h2.ExitCode == 0, h2.StandardError);
        Assert.True(h1.ExitCode == 0, h1.StandardError);
        Assert.StartsWith("HTTP/2 200", h2.StandardOutput, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", h1.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BindProtoH2_Http2Served_Http1BytesGetGoAway()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        var probePort = Ports.FreeListeningPort();

        // The readiness probe connects and closes, which only an HTTP/1 bind reports: it gets a bind of its own.
        var config = Proxy.Config(probePort, $"server s1 {nginx.Address}", frontend: "    bind 127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + " proto h2");
        await using var sluice = await Proxy.StartAsync(config, probePort);

        var h2 = await Proxy.CurlAsync("--http2-prior-knowledge", Proxy.Url(port, NginxBackend.SmallPath));
        Assert.True(h2.ExitCode == 0, h2.StandardError);
        Assert.Equal("hello from nginx\n", h2.StandardOutput);

        using var client = await RawHttp2Client.ConnectAsync(port, preface: false);
        await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: test.local\r\n\r\n"));
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway);
        var goAway = Assert.Single(frames, f => f.Type == RawFrame.GoAway);
        Assert.Equal(1u, goAway.ErrorCode);
        Assert.Null(await client.ReadFrameAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task RawClient_SettingsAndPing_Acknowledged()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(RawFrameBuilder.Frame(RawFrame.Ping, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8));
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.Ping);
        var settings = frames.First(f => f.Type == RawFrame.Settings);
        Assert.Equal(0, settings.Flags);
        Assert.Contains(frames, f => f.Type == RawFrame.Settings && f.Flags == 1);
        var ping = frames[^1];
        Assert.Equal(1, ping.Flags);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, ping.Payload);
    }

    [Theory]
    [InlineData("uppercase name", "X-Upper", "v")]
    [InlineData("connection-specific field", "connection", "keep-alive")]
    [InlineData("transfer-encoding", "transfer-encoding", "chunked")]
    [InlineData("te other than trailers", "te", "gzip")]
    public async Task RawClient_MalformedRequest_StreamResetProtocolError_ConnectionGoesOn(string why, string name, string value)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(client.Headers(1, endStream: true, RawHttp2Client.Get("/bad", (name, value))));
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.RstStream || f.Type == RawFrame.GoAway);
        var reset = frames[^1];
        Assert.True(reset.Type == RawFrame.RstStream, why);
        Assert.Equal(1, reset.StreamId);
        Assert.Equal(1u, reset.ErrorCode);

        // The connection is still usable.
        await client.SendAsync(client.Headers(3, endStream: true, RawHttp2Client.Get("/good")));
        frames = await client.ReadUntilAsync(f => f.StreamId == 3 && f.EndStream);
        var headers = Assert.Single(frames, f => f.Type == RawFrame.Headers && f.StreamId == 3);
        Assert.Contains(client.Decode(headers), h => h.Name == ":status" && h.Value == "200");
        Assert.Equal("/good", Assert.Single(backend.Connections.SelectMany(c => c.Requests)).Target);
    }

    [Theory]
    [InlineData("missing :path", false)]
    [InlineData("pseudo-header after a regular field", true)]
    public async Task RawClient_BadPseudoHeaders_StreamReset(string why, bool pseudoAfterRegular)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        (string, string)[] fields = pseudoAfterRegular
            ? [(":method", "GET"), (":scheme", "http"), ("accept", "*/*"), (":path", "/")]
            : [(":method", "GET"), (":scheme", "http"), (":authority", "test.local")];
        await client.SendAsync(client.Headers(1, endStream: true, fields));
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.RstStream || f.Type == RawFrame.GoAway);
        Assert.True(frames[^1].Type == RawFrame.RstStream, why);
        Assert.Equal(1u, frames[^1].ErrorCode);
        Assert.Empty(backend.Connections.SelectMany(c => c.Requests));
    }

    [Fact]
    public async Task RawClient_ContinuationFrames_JoinedIntoOneHead()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var whole = client.Headers(1, endStream: true, RawHttp2Client.Get("/split", ("x-long", new string('a', 3000))));
        var block = whole[9..];
        var cut = block.Length / 3;

        // HEADERS (END_STREAM, no END_HEADERS), then two CONTINUATION frames.
        await client.SendAsync(
            RawFrameBuilder.Frame(RawFrame.Headers, 0x1, 1, block[..cut]),
            RawFrameBuilder.Frame(0x9, 0, 1, block[cut..(2 * cut)]),
            RawFrameBuilder.Frame(0x9, 0x4, 1, block[(2 * cut)..]));
        var frames = await client.ReadUntilAsync(f => f.StreamId == 1 && f.EndStream);
        Assert.Contains(client.Decode(frames.Single(f => f.Type == RawFrame.Headers)), h => h.Name == ":status" && h.Value == "200");
        var request = Assert.Single(backend.Connections.SelectMany(c => c.Requests));
        Assert.Equal("/split", request.Target);
        Assert.Equal(3000, request.Header("x-long")!.Length);
    }

    [Fact]
    public async Task RawClient_FrameInsideFieldBlock_ConnectionError()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var whole = client.Headers(1, endStream: true, RawHttp2Client.Get("/x"));
        await client.SendAsync(
            RawFrameBuilder.Frame(RawFrame.Headers, 0x1, 1, whole[9..12]),
            RawFrameBuilder.Frame(RawFrame.Ping, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway);
        Assert.Equal(1u, frames[^1].ErrorCode);
    }

    [Fact]
    public async Task RawClient_RequestBody_WindowReopensAsConsumed()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("got " + r.Body.Length.ToString(CultureInfo.InvariantCulture)));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        const int Total = 200_000;
        await client.SendAsync(client.Headers(1, endStream: false,
            (":method", "POST"), (":scheme", "http"), (":authority", "test.local"), (":path", "/up"), ("content-length", Total.ToString(CultureInfo.InvariantCulture))));

        // Send within the windows as the server opens them: 65535 at first, then what WINDOW_UPDATE frames give.
        long streamWindow = 65535;
        var sent = 0;
        var frames = new List<RawFrame>();
        while (sent < Total)
        {
            while (streamWindow > 0 && sent < Total)
            {
                var size = (int)Math.Min(Math.Min(16384, streamWindow), Total - sent);
                var end = sent + size == Total;
                await client.SendAsync(RawFrameBuilder.Frame(RawFrame.Data, (byte)(end ? 1 : 0), 1, new byte[size]));
                sent += size;
                streamWindow -= size;
            }

            if (sent == Total)
            {
                break;
            }

            var frame = await client.ReadFrameAsync(TimeSpan.FromSeconds(10));
            Assert.NotNull(frame);
            frames.Add(frame);
            if (frame.Type == RawFrame.WindowUpdate && frame.StreamId == 1)
            {
                streamWindow += frame.ReadUInt32(0);
            }
        }

        frames.AddRange(await client.ReadUntilAsync(f => f.StreamId == 1 && f.EndStream));
        var data = Encoding.ASCII.GetString(frames.Where(f => f.Type == RawFrame.Data && f.StreamId == 1).SelectMany(f => f.Payload).ToArray());
        Assert.Equal("got 200000", data);
    }

    private static async Task<CommandResult> NghttpAsync(params string[] arguments) =>
        await CommandRunner.RunAsync(CommandRunner.Require("nghttp", "nghttp2-client"), arguments, timeout: TimeSpan.FromSeconds(60));

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
