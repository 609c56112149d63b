using System.Diagnostics;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>`timeout http-request`, `http-keep-alive`, `server`, `connect`, and servers that fail.</summary>
public class HttpTimeoutTests
{
    [Fact]
    public async Task HttpRequestTimeout_PartialHead_408AndClose()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            defaults: "    timeout http-request 1s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("GET /partial HTTP/1.1\r\nHost: test.local\r\n");
        var watch = Stopwatch.StartNew();
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal("HTTP/1.1 408 Request Time-out", response.StatusLine);
        Assert.Equal(Http.HaproxyError(408, "Request Time-out", "Your browser didn't send a complete request in time."), response.BodyText);
        Assert.True(watch.Elapsed > TimeSpan.FromMilliseconds(700), $"408 after {watch.ElapsedMilliseconds} ms");
        Assert.NotNull(await client.WaitClosedAsync(TimeSpan.FromSeconds(10)));
        Assert.Empty(backend.Connections);
        await Http.WaitLineAsync(sluice, l => l.Contains(" 408 ", StringComparison.Ordinal) && l.Contains("cR", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HttpBufferRequest_BodyTrickled_408AtHttpRequestTimeoutNothingForwarded()
    {
        // RELIABILITY RES-03: with option http-buffer-request the body must come within timeout http-request.
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            frontend: "    option http-buffer-request", defaults: "    timeout http-request 1s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("POST /slow HTTP/1.1\r\nHost: test.local\r\nContent-Length: 100\r\n\r\n");
        var watch = Stopwatch.StartNew();
        var sender = Task.Run(async () =>
        {
            for (var i = 0; i < 40 && watch.Elapsed < TimeSpan.FromSeconds(8); i++)
            {
                try
                {
                    await client.SendAsync("x");
                    await Task.Delay(200);
                }
                catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
                {
                    return;
                }
            }
        });

        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal("HTTP/1.1 408 Request Time-out", response.StatusLine);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"408 after {watch.ElapsedMilliseconds} ms");
        Assert.NotNull(await client.WaitClosedAsync(TimeSpan.FromSeconds(10)));
        await sender;
        Assert.Empty(backend.Connections);
        await Http.WaitLineAsync(sluice, l => l.Contains(" 408 ", StringComparison.Ordinal) && l.Contains("cR", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HttpRequestTimeout_HeadTrickled_408AtTheDeadlineNotReset()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            defaults: "    timeout http-request 1s"), port);

        // One byte every 200 ms: each byte is activity, but the whole head must come within 1 s (a total, not an
        // inactivity timeout, as HAProxy's).
        using var client = await RawHttpConnection.ConnectAsync(port);
        var watch = Stopwatch.StartNew();
        var head = "GET /slowloris HTTP/1.1\r\nHost: test.local\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
        var closedEarly = false;
        foreach (var c in head)
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(8))
            {
                break;
            }

            try
            {
                await client.SendAsync(c.ToString());
            }
            catch (System.Net.Sockets.SocketException)
            {
                closedEarly = true;
                break;
            }

            if (client.Socket.Poll(0, System.Net.Sockets.SelectMode.SelectRead))
            {
                closedEarly = true;
                break;
            }

            await Task.Delay(200);
        }

        Assert.True(closedEarly, $"still reading the head after {watch.ElapsedMilliseconds} ms");
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(408, response.Status);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(4), $"408 after {watch.ElapsedMilliseconds} ms");
        Assert.Empty(backend.Connections);
    }

    [Fact]
    public async Task FT_07_ServerTimeout_BodyStalls_ClientCutAndsD()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Raw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")
            .Then(CannedResponse.Raw("67890"), TimeSpan.FromSeconds(30)));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            defaults: "    timeout server 1s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/stall"));
        var all = await client.WaitClosedAsync(TimeSpan.FromSeconds(10));
        Assert.NotNull(all);
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", all, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n12345", all, StringComparison.Ordinal);
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /stall", StringComparison.Ordinal));
        Assert.Contains(" sD", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientTimeout_ClientStopsReadingLargeResponse_CutAndcD()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { LargeFileBytes = 100L * 1024 * 1024, SparseLargeFile = true });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {nginx.Address}",
            defaults: "    timeout client 1s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        client.Socket.ReceiveBufferSize = 64 * 1024;
        await client.SendAsync(Http.Get(NginxBackend.LargePath));

        // Never read: once the socket buffers are full, nothing moves for `timeout client`.
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /large", StringComparison.Ordinal));
        Assert.Contains(" cD", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeepAliveTimeout_IdleConnectionClosedSilently()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            defaults: "    timeout http-keep-alive 1s\n    timeout http-request 10s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);

        // Timed from before the request: the idle time cannot begin earlier, while a loaded machine may let the
        // test read the response late.
        var watch = Stopwatch.StartNew();
        await client.SendAsync(Http.Get("/once"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        var after = await client.WaitClosedAsync(TimeSpan.FromSeconds(8));
        Assert.NotNull(after);
        Assert.Equal(string.Empty, after);
        Assert.True(watch.Elapsed > TimeSpan.FromMilliseconds(700), $"closed after {watch.ElapsedMilliseconds} ms");
        await Task.Delay(300);
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains(" 408 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FT_05_ServerTimeout_ServerNeverAnswers_504AndsH_NotRetried()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Ok() with { Delay = TimeSpan.FromSeconds(60) });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            defaults: "    timeout server 1s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/never"));
        var watch = Stopwatch.StartNew();
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(504, response.Status);
        Assert.True(watch.Elapsed > TimeSpan.FromMilliseconds(700), $"504 after {watch.ElapsedMilliseconds} ms");
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /never", StringComparison.Ordinal));
        Assert.Contains(" 504 ", line, StringComparison.Ordinal);
        Assert.Contains(" sH", line, StringComparison.Ordinal);
        // RELIABILITY FT-05: no retry without `retry-on response-timeout`.
        Assert.Single(backend.Requests);
    }

    [Fact]
    public async Task FT_02_ConnectTimeout_ServerQueueFull_503AndsC()
    {
        var (listener, fillers, blackhole) = await Http.BlackholeAsync();
        try
        {
            var port = Ports.FreeListeningPort();
            await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 127.0.0.1:{blackhole}",
                defaults: "    timeout connect 500ms", backend: "    retries 1"), port);

            using var client = await RawHttpConnection.ConnectAsync(port);
            await client.SendAsync(Http.Get("/hang"));
            var watch = Stopwatch.StartNew();
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(503, response.Status);
            Assert.True(watch.Elapsed > TimeSpan.FromMilliseconds(800), $"503 after {watch.ElapsedMilliseconds} ms");
            var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /hang", StringComparison.Ordinal));
            Assert.Contains(" 503 ", line, StringComparison.Ordinal);
            Assert.Contains(" sC", line, StringComparison.Ordinal);
            Assert.Contains("retries=1", line, StringComparison.Ordinal);
        }
        finally
        {
            fillers.ForEach(f => f.Dispose());
            listener.Dispose();
        }
    }

    [Fact]
    public async Task ServerClosesBeforeAnswering_502AndSH()
    {
        await using var backend = RecordingBackend.Start(_ => (CannedResponse?)null);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/gone"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(502, response.Status);
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /gone", StringComparison.Ordinal));
        Assert.Contains(" 502 ", line, StringComparison.Ordinal);
        Assert.Contains(" SH", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redispatch_OneServerRefuses_EveryRequestServedByTheOther()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("from s2"));
        var closed = Ports.FreeListeningPort();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 127.0.0.1:{closed}\n    server s2 {backend.Address}",
            backend: "    balance roundrobin\n    retries 2\n    option redispatch 1"), port);

        for (var i = 0; i < 4; i++)
        {
            var result = await Http.CurlAsync(Http.Url(port, "/rr" + i));
            Assert.True(result.ExitCode == 0, result.StandardError);
            Assert.Equal("from s2", result.StandardOutput);
        }

        var lines = await sluice.Output.WaitForAsync(l => l.Contains("GET /rr", StringComparison.Ordinal), 4);
        Assert.All(lines, l => Assert.Contains("[fe] be/s2 ", l, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RetryOnStatus_ServerAnswers503_RedispatchedToTheOther()
    {
        await using var failing = RecordingBackend.Start(r => CannedResponse.Ok("busy", 503, "Service Unavailable"));
        await using var working = RecordingBackend.Start(r => CannedResponse.Ok("from s2"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {failing.Address}\n    server s2 {working.Address}",
            backend: "    balance roundrobin\n    retries 2\n    option redispatch\n    retry-on 503"), port);

        for (var i = 0; i < 4; i++)
        {
            var result = await Http.CurlAsync(Http.Url(port, "/r" + i));
            Assert.True(result.ExitCode == 0, result.StandardError);
            Assert.Equal("from s2", result.StandardOutput);
        }

        var lines = await sluice.Output.WaitForAsync(l => l.Contains("GET /r", StringComparison.Ordinal), 4);
        Assert.All(lines, l => Assert.Contains("[fe] be/s2 ", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("retries=1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RetryOnEmptyResponse_ServerClosesWithoutAnswer_SentAgain()
    {
        var attempts = 0;
        await using var backend = RecordingBackend.Start(r => Interlocked.Increment(ref attempts) == 1 ? null : CannedResponse.Ok("second try"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            backend: "    retries 2\n    retry-on empty-response"), port);

        var result = await Http.CurlAsync(Http.Url(port, "/empty"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("second try", result.StandardOutput);
        Assert.Equal(2, backend.Requests.Count);
    }

    [Fact]
    public async Task RetryOnNone_ServerClosesWithoutAnswer_502()
    {
        await using var backend = RecordingBackend.Start(r => (CannedResponse?)null);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            backend: "    retries 2\n    retry-on none"), port);

        var result = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, "/none"));
        Assert.Equal("502", result.StandardOutput);
        Assert.Single(backend.Requests);
    }

    [Fact]
    public async Task PooledConnectionResetByServer_NextRequestStillSucceeds()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("answer " + r.Target) with { After = AfterResponse.Reset });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        for (var i = 0; i < 4; i++)
        {
            await client.SendAsync(Http.Get("/rst" + i));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            Assert.Equal("answer /rst" + i, response.BodyText);
            await Task.Delay(i % 2 == 0 ? 200 : 0);
        }
    }

    [Fact]
    public async Task ServerResetsBeforeAnswering_502()
    {
        await using var backend = RecordingBackend.Start(_ => new CannedResponse([], AfterResponse.Reset));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/reset"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(502, response.Status);
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /reset", StringComparison.Ordinal));
        Assert.Contains(" SH", line, StringComparison.Ordinal);
    }
}
