using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>HTTP/1.1 proxying with real peers: curl and nginx, raw sockets, the recording backend.</summary>
public class Http1ProxyTests
{
    private static readonly NginxOptions SmallNginx = new()
    {
        LargeFileBytes = 1000,
        EchoHeaders = [.. NginxOptions.DefaultEchoHeaders, "X-Client", "X-Foo", "X-Dest"],
    };

    /// <summary>What a 100 MiB transfer may add to the proxy's RSS: far less than the body, so that buffering it
    /// whole fails the test (streaming adds a few MiB).</summary>
    private const long MaxGrowth = 64L * 1024 * 1024;

    [Fact]
    public async Task Curl_GetThroughSluice_NginxAnswers()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        var result = await Http.CurlAsync("-i", Http.Url(port, NginxBackend.SmallPath));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.StartsWith("HTTP/1.1 200", result.StandardOutput, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nhello from nginx\n", result.StandardOutput, StringComparison.Ordinal);
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /small", StringComparison.Ordinal));
        Assert.Contains("[fe] be/s1 ", line, StringComparison.Ordinal);
        Assert.Contains(" 200 ", line, StringComparison.Ordinal);
        Assert.Contains(" -- retries=0 ", line, StringComparison.Ordinal);
        Assert.Single(nginx.AccessLog, l => l.StartsWith("GET /small HTTP/1.1 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pipelining_ThreeRequestsInOneWrite_AnsweredInOrder()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("body of " + r.Target));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/one") + Http.Get("/two") + Http.Get("/three"));
        foreach (var path in new[] { "/one", "/two", "/three" })
        {
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            Assert.Equal("body of " + path, response.BodyText);
        }

        var requests = await backend.WaitForRequestsAsync(3);
        Assert.Equal(["/one", "/two", "/three"], requests.Select(r => r.Target));
        Assert.Null(await client.WaitClosedAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Pipelining_ValidThenInvalid_FirstAnsweredThen400AndClose()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("body of " + r.Target));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/valid") + "GET /bad HTTP/1.1\r\nHost: test.local\r\nBad Header: x\r\n\r\n");
        var first = await client.ReadResponseAsync();
        Assert.NotNull(first);
        Assert.Equal(200, first.Status);
        Assert.Equal("body of /valid", first.BodyText);
        var second = await client.ReadResponseAsync();
        Assert.NotNull(second);
        Assert.Equal(400, second.Status);
        Assert.Equal(string.Empty, await client.WaitClosedAsync(TimeSpan.FromSeconds(10)));
        await Task.Delay(200);
        Assert.Single(backend.Requests);
    }

    [Fact]
    public async Task Download_HundredMebibytes_ByteExactAndRssBounded()
    {
        await using var nginx = await NginxBackend.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), [ReadyProbe.Tcp(port)]);
        var idle = Http.ResidentBytes(sluice.ProcessId);

        using var sampling = new CancellationTokenSource();
        var peak = Http.PeakResidentBytesAsync(sluice.ProcessId, sampling.Token);
        using (var http = new HttpClient { Timeout = TimeSpan.FromMinutes(3) })
        {
            using var response = await http.GetAsync(new Uri(Http.Url(port, NginxBackend.LargePath)), HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync();
            await nginx.VerifyLargeBodyAsync(body, new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token);
        }

        await sampling.CancelAsync();
        var growth = await peak - idle;
        Assert.True(growth < MaxGrowth, $"RSS grew by {growth / (1024 * 1024)} MiB during a 100 MiB download (idle {idle / (1024 * 1024)} MiB)");
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /large", StringComparison.Ordinal));
        Assert.Contains(" 200 ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Download_ClientStopsReading_ServerHeldBackAndRssBounded()
    {
        await using var nginx = await NginxBackend.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), [ReadyProbe.Tcp(port)]);
        var idle = Http.ResidentBytes(sluice.ProcessId);

        using var client = await RawHttpConnection.ConnectAsync(port);
        client.Socket.ReceiveBufferSize = 64 * 1024;
        await client.SendAsync(Http.Get(NginxBackend.LargePath));

        // Read nothing for 3 s: the proxy must stop reading from nginx instead of taking the 100 MiB in.
        using (var sampling = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            var growth = await Http.PeakResidentBytesAsync(sluice.ProcessId, sampling.Token) - idle;
            Assert.True(growth < MaxGrowth, $"RSS grew by {growth / (1024 * 1024)} MiB while the client read nothing");
        }

        Assert.Empty(nginx.AccessLog);

        await using var body = new NetworkStream(client.Socket, ownsSocket: false);
        var head = new StringBuilder();
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            var one = new byte[1];
            await body.ReadExactlyAsync(one, TestTimeout.Token());
            head.Append((char)one[0]);
        }

        Assert.StartsWith("HTTP/1.1 200", head.ToString(), StringComparison.Ordinal);
        Assert.Contains("Content-Length: 104857600", head.ToString(), StringComparison.OrdinalIgnoreCase);
        await nginx.VerifyLargeBodyAsync(new LimitedStream(body, 100L * 1024 * 1024), new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token);
    }

    [Fact]
    public async Task Upload_HundredMebibytesChunked_NginxReceivesAllAndRssBounded()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { LargeFileBytes = 100L * 1024 * 1024 });
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), [ReadyProbe.Tcp(port)]);
        var idle = Http.ResidentBytes(sluice.ProcessId);

        using var sampling = new CancellationTokenSource();
        var peak = Http.PeakResidentBytesAsync(sluice.ProcessId, sampling.Token);
        var file = Path.Combine(nginx.Directory, "www", "large.bin");
        var result = await Http.CurlAsync("-H", "Transfer-Encoding: chunked", "-H", "Expect:", "--data-binary", "@" + file, Http.Url(port, NginxBackend.UploadPath));
        await sampling.CancelAsync();
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("received 104857600\n", result.StandardOutput);
        var growth = await peak - idle;
        Assert.True(growth < MaxGrowth, $"RSS grew by {growth / (1024 * 1024)} MiB during a 100 MiB upload (idle {idle / (1024 * 1024)} MiB)");
        Assert.Contains(nginx.AccessLog, l => l.StartsWith("POST /upload HTTP/1.1 200", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upload_EightMebibytesChunked_BackendGetsTheExactBytes()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("got " + r.Body.Length));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        var payload = new byte[8 * 1024 * 1024];
        new Random(11).NextBytes(payload);
        var directory = Ports.TempDirectory();
        var file = Path.Combine(directory, "payload.bin");
        await File.WriteAllBytesAsync(file, payload);
        try
        {
            var result = await Http.CurlAsync("-H", "Transfer-Encoding: chunked", "-H", "Expect:", "--data-binary", "@" + file, Http.Url(port, "/up"));
            Assert.True(result.ExitCode == 0, result.StandardError);
            Assert.Equal("got " + payload.Length, result.StandardOutput);
            var request = Assert.Single(await backend.WaitForRequestsAsync());
            Assert.True(payload.AsSpan().SequenceEqual(request.Body), "the body differs");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Expect100Continue_CurlLargePost_GoesThrough()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { LargeFileBytes = 4L * 1024 * 1024 });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        var file = Path.Combine(nginx.Directory, "www", "large.bin");
        // A long expect timeout: the body must leave curl because a 100 Continue came, not because curl gave up waiting.
        var result = await Http.CurlAsync("-v", "--expect100-timeout", "30", "-H", "Expect: 100-continue", "--data-binary", "@" + file, Http.Url(port, NginxBackend.UploadPath));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("received 4194304\n", result.StandardOutput);
        Assert.Contains("HTTP/1.1 100 Continue", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expect100Continue_RawClient_InterimThenFinal()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("got " + r.BodyText));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("POST /p HTTP/1.1\r\nHost: test.local\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        var interim = await client.ReadResponseAsync();
        Assert.NotNull(interim);
        Assert.Equal(100, interim.Status);
        await client.SendAsync("hello");
        var final = await client.ReadResponseAsync();
        Assert.NotNull(final);
        Assert.Equal(200, final.Status);
        Assert.Equal("got hello", final.BodyText);
    }

    [Fact]
    public async Task HttpBufferRequest_Expect100_ProxyAnswersContinueServerGetsWholeBodyWithoutExpect()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("got " + r.BodyText));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", frontend: "    option http-buffer-request"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("POST /p HTTP/1.1\r\nHost: test.local\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n");
        var interim = await client.ReadResponseAsync();
        Assert.NotNull(interim);
        Assert.Equal(100, interim.Status);

        // Nothing reaches the server before the body is there.
        await client.SendAsync("hello");
        await Task.Delay(300);
        Assert.Empty(backend.Connections);
        await client.SendAsync("world");
        var final = await client.ReadResponseAsync();
        Assert.NotNull(final);
        Assert.Equal(200, final.Status);
        Assert.Equal("got helloworld", final.BodyText);
        var request = Assert.Single(backend.Requests);
        Assert.Null(request.Header("expect"));
    }

    [Fact]
    public async Task ChunkedRequest_HundredThousandOneByteChunks_ForwardedWhole()
    {
        // RELIABILITY RES-12: tiny chunks are processed and forwarded re-chunked, the body intact.
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("got " + r.Body.Length));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        var body = new StringBuilder();
        for (var i = 0; i < 100_000; i++)
        {
            body.Append("1\r\n").Append((char)('a' + (i % 26))).Append("\r\n");
        }

        body.Append("0\r\n\r\n");
        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("POST /tiny HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal("got 100000", response.BodyText);
        var received = Assert.Single(backend.Requests).Body;
        Assert.Equal(100_000, received.Length);
        Assert.Equal((byte)'a', received[0]);
        Assert.Equal((byte)('a' + (99_999 % 26)), received[^1]);
    }

    [Fact]
    public async Task Expect100Continue_AnsweredByReturnRule_NoInterimResponse()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1",
            frontend: "    http-request return status 403 content-type text/plain string \"no\""), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("POST /p HTTP/1.1\r\nHost: test.local\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(403, response.Status);
        Assert.Equal("no", response.BodyText);
    }

    [Fact]
    public async Task EarlyHints_103RelayedBeforeTheFinalResponse()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Raw("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n")
            .Then(CannedResponse.Ok("final"), TimeSpan.FromMilliseconds(200)));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/hints"));
        var interim = await client.ReadResponseAsync();
        Assert.NotNull(interim);
        Assert.Equal(103, interim.Status);
        Assert.Equal("</s.css>; rel=preload", interim.Header("Link"));
        var final = await client.ReadResponseAsync();
        Assert.NotNull(final);
        Assert.Equal(200, final.Status);
        Assert.Equal("final", final.BodyText);
    }

    [Fact]
    public async Task Pipelining_PostWithBodyThenGet_BothForwardedInOrder()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok(r.Method + " " + r.Target + " " + r.BodyText));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("POST /p HTTP/1.1\r\nHost: test.local\r\nContent-Length: 11\r\n\r\nhello world"
            + "POST /c HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" + Http.Get("/g"));
        string[] expected = ["POST /p hello world", "POST /c abc", "GET /g "];
        foreach (var text in expected)
        {
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(text, response.BodyText);
        }
    }

    [Fact]
    public async Task Pipelining_ToNginx_OneServerConnection()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get(NginxBackend.SmallPath) + Http.Get(NginxBackend.HeadersPath) + Http.Get(NginxBackend.SmallPath));
        for (var i = 0; i < 3; i++)
        {
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
        }

        Assert.Single(nginx.AccessLog.Select(l => l[l.IndexOf("conn=", StringComparison.Ordinal)..].Split(' ')[0]).Distinct());
    }

    [Fact]
    public async Task ExpectUnknown_417AndNothingForwarded()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("POST /p HTTP/1.1\r\nHost: test.local\r\nContent-Length: 5\r\nExpect: foo\r\n\r\nhello");
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(417, response.Status);
        await Task.Delay(300);
        Assert.Equal(string.Empty, backend.AllReceivedText);
    }

    [Fact]
    public async Task ForwardFor_AddsClientAddress()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    option forwardfor"), port);

        var echo = await EchoAsync(port);
        Assert.Equal("127.0.0.1", echo["x-forwarded-for"]);
    }

    [Fact]
    public async Task ForwardFor_ClientHeaderKept_AddressAppended()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", backend: "    option forwardfor"), port);

        var result = await Http.CurlAsync("-H", "X-Forwarded-For: 192.0.2.7", Http.Url(port, "/xff"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        var request = Assert.Single(await backend.WaitForRequestsAsync());
        Assert.Equal("192.0.2.7, 127.0.0.1", string.Join(", ", request.HeaderValues("X-Forwarded-For")));
    }

    [Fact]
    public async Task ForwardFor_ExceptNetwork_NotAdded()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    option forwardfor except 127.0.0.0/8"), port);

        var echo = await EchoAsync(port);
        Assert.Equal(string.Empty, echo["x-forwarded-for"]);
    }

    [Fact]
    public async Task ForwardFor_HeaderName_UsesThatHeader()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    option forwardfor header X-Client"), port);

        var echo = await EchoAsync(port);
        Assert.Equal("127.0.0.1", echo["x-client"]);
        Assert.Equal(string.Empty, echo["x-forwarded-for"]);
    }

    [Fact]
    public async Task ForwardFor_IfNone_KeepsTheClientsHeader()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    option forwardfor if-none"), port);

        var present = await EchoAsync(port, "-H", "X-Forwarded-For: 192.0.2.7");
        Assert.Equal("192.0.2.7", present["x-forwarded-for"]);
        var absent = await EchoAsync(port);
        Assert.Equal("127.0.0.1", absent["x-forwarded-for"]);
    }

    [Fact]
    public async Task OriginalTo_AddsTheDestination()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    option originalto\n    option originalto header X-Dest"), port);

        var echo = await EchoAsync(port);
        Assert.Equal("127.0.0.1", echo["x-dest"]);
    }

    [Fact]
    public async Task OriginalTo_Default_XOriginalTo()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}", backend: "    option originalto"), port);

        var echo = await EchoAsync(port);
        Assert.Equal("127.0.0.1", echo["x-original-to"]);
    }

    [Fact]
    public async Task HopByHop_ConnectionListedHeadersRemoved_ViaNotAdded()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/hop", "Connection: close, X-Foo\r\nX-Foo: 1\r\nX-Keep: 2\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Null(response.Header("Via"));

        var request = Assert.Single(await backend.WaitForRequestsAsync());
        Assert.Empty(request.HeaderValues("X-Foo"));
        Assert.Equal("2", request.Header("X-Keep"));
        Assert.DoesNotContain(request.HeaderValues("Connection"), v => v.Contains("close", StringComparison.OrdinalIgnoreCase) || v.Contains("X-Foo", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(request.HeaderValues("Via"));
    }

    [Fact]
    public async Task HopByHop_NginxSeesNoXFooNorClose()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        var echo = await EchoAsync(port, "-H", "Connection: close, X-Foo", "-H", "X-Foo: 1");
        Assert.Equal(string.Empty, echo["x-foo"]);
        Assert.DoesNotContain("close", echo["connection"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(string.Empty, echo["via"]);
    }

    [Fact]
    public async Task ChunkedResponseWithTrailers_RelayedIntact()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Raw(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\nX-Sum: 12\r\n\r\n"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/chunked", "TE: trailers\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal("hello, world", response.BodyText);
        Assert.Contains("X-Sum: 12", client.Transcript.ToString(), StringComparison.Ordinal);

        // The connection still works after the chunked body.
        await client.SendAsync(Http.Get("/again"));
        var again = await client.ReadResponseAsync();
        Assert.NotNull(again);
        Assert.Equal("hello, world", again.BodyText);
    }

    [Fact]
    public async Task Head_NoBodyRelayed_ConnectionReusable()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("HEAD /small HTTP/1.1\r\nHost: test.local\r\n\r\n");
        var head = await client.ReadResponseAsync(forHead: true);
        Assert.NotNull(head);
        Assert.Equal(200, head.Status);
        Assert.Equal("17", head.Header("Content-Length"));
        await client.SendAsync(Http.Get(NginxBackend.SmallPath));
        var get = await client.ReadResponseAsync();
        Assert.NotNull(get);
        Assert.Equal("hello from nginx\n", get.BodyText);
    }

    [Fact]
    public async Task PostWithContentLength_CurlToNginx_BodyCounted()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        var result = await Http.CurlAsync("--data-binary", "0123456789", Http.Url(port, NginxBackend.UploadPath), "--next", "--data-binary", "abc", Http.Url(port, NginxBackend.UploadPath));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("received 10\nreceived 3\n", result.StandardOutput);
    }

    [Fact]
    public async Task ClientHalfClosesAfterRequest_StillAnswered()
    {
        await using var nginx = await NginxBackend.StartAsync(SmallNginx);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get(NginxBackend.SmallPath));
        client.Socket.Shutdown(SocketShutdown.Send);
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        Assert.Equal("hello from nginx\n", response.BodyText);
        Assert.NotNull(await client.WaitClosedAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ChunkedRequestWithTrailers_ServerGetsBodyAndTrailers()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("got " + r.BodyText));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("POST /t HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\nTrailer: X-Check\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\nX-Check: 9\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal("got wikipedia", response.BodyText);
        var request = Assert.Single(await backend.WaitForRequestsAsync());
        Assert.Equal("wikipedia", request.BodyText);
        Assert.Contains(request.Trailers, t => t.Key == "X-Check" && t.Value == "9");
    }

    [Fact]
    public async Task LargeRequestHeader_Forwarded()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        var cookie = new string('c', 8000);
        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/big-head", $"Cookie: k={cookie}\r\n"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        var request = Assert.Single(await backend.WaitForRequestsAsync());
        Assert.Equal("k=" + cookie, request.Header("Cookie"));
    }

    private static async Task<Dictionary<string, string>> EchoAsync(int port, params string[] arguments)
    {
        var result = await Http.CurlAsync([.. arguments, Http.Url(port, NginxBackend.HeadersPath)]);
        Assert.True(result.ExitCode == 0, result.StandardError);
        var echo = NginxBackend.ParseEcho(result.StandardOutput);
        Assert.True(echo.ContainsKey("method"), "not the echo: " + result.StandardOutput);
        return echo;
    }
}

/// <summary>A read-only view of the first <c>length</c> bytes of a stream.</summary>
internal sealed class LimitedStream(Stream inner, long length) : Stream
{
    private long _left = length;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_left == 0)
        {
            return 0;
        }

        var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _left)], cancellationToken);
        _left -= read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
