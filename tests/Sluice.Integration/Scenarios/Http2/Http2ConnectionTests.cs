using System.Text;
using Sluice.Integration.Fixtures;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>HTTP/2 connection behaviour in front: timeouts, stop, concurrency limit, HEAD, trailers, interim responses.</summary>
public class Http2ConnectionTests
{
    [Fact]
    public async Task IdleConnection_TimeoutClient_GoAwayNoErrorThenClose()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(
            Proxy.Config(port, $"server s1 {backend.Address}").Replace("timeout client 10s", "timeout client 1s", StringComparison.Ordinal), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var started = DateTime.UtcNow;
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway, TimeSpan.FromSeconds(10));
        var goAway = frames[^1];
        Assert.Equal(RawFrame.GoAway, goAway.Type);
        Assert.Equal(0u, goAway.ErrorCode);
        Assert.Equal(0u, goAway.ReadUInt32(0));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(5));
        Assert.Null(await client.ReadFrameAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task SoftStop_StreamInProgress_GoAwayThenResponseThenClose()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("slow answer") with { Delay = TimeSpan.FromSeconds(1) });
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start(Proxy.Config(port, $"server s1 {backend.Address}"));

        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(client.Headers(1, endStream: true, RawHttp2Client.Get("/slow")));
        await backend.WaitForRequestsAsync(1);
        var stop = sluice.Host.StopGracefullyAsync();

        var frames = await client.ReadUntilAsync(f => f.StreamId == 1 && f.EndStream);
        var goAway = Assert.Single(frames, f => f.Type == RawFrame.GoAway);
        Assert.Equal(1u, goAway.ReadUInt32(0));
        Assert.Equal(0u, goAway.ErrorCode);
        Assert.True(frames.IndexOf(goAway) < frames.FindIndex(f => f.Type == RawFrame.Headers));
        var data = Encoding.ASCII.GetString(frames.Where(f => f.Type == RawFrame.Data).SelectMany(f => f.Payload).ToArray());
        Assert.Equal("slow answer", data);
        Assert.Null(await client.ReadFrameAsync(TimeSpan.FromSeconds(5)));
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task MaxConcurrentStreams_101st_Refused()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok") with { Delay = TimeSpan.FromSeconds(2) });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var settings = (await client.ReadUntilAsync(f => f.Type == RawFrame.Settings && f.Flags == 0))[^1];
        Assert.Contains(Enumerable.Range(0, settings.Payload.Length / 6), i => settings.Payload[i * 6] == 0 && settings.Payload[(i * 6) + 1] == 3 && settings.ReadUInt32((i * 6) + 2) == 100);

        var requests = new List<byte[]>();
        for (var id = 1; id <= 201; id += 2)
        {
            requests.Add(client.Headers(id, endStream: true, RawHttp2Client.Get("/s" + id)));
        }

        await client.SendAsync([.. requests]);
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.RstStream, TimeSpan.FromSeconds(10));
        var reset = frames[^1];
        Assert.Equal(RawFrame.RstStream, reset.Type);
        Assert.Equal(201, reset.StreamId);
        Assert.Equal(7u, reset.ErrorCode);

        // The 100 others are answered, in whatever order they complete.
        var ended = frames.Count(f => f.EndStream);
        frames = await client.ReadUntilAsync(f => f.EndStream && ++ended == 100, TimeSpan.FromSeconds(20));
        Assert.Equal(100, ended);
    }

    [Fact]
    public async Task TuneH2Settings_AdvertisedAndEnforced()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok") with { Delay = TimeSpan.FromSeconds(2) });
        var port = Ports.FreeListeningPort();
        var config = "global\n    tune.h2.max-concurrent-streams 3\n    tune.h2.initial-window-size 1048576\n    tune.h2.header-table-size 8192\n    tune.h2.max-frame-size 32768\n"
            + Proxy.Config(port, $"server s1 {backend.Address}").Replace("global\n", string.Empty, StringComparison.Ordinal);
        await using var sluice = await Proxy.StartAsync(config, port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var settings = (await client.ReadUntilAsync(f => f.Type == RawFrame.Settings && f.Flags == 0))[^1];
        var values = Enumerable.Range(0, settings.Payload.Length / 6)
            .ToDictionary(i => (settings.Payload[i * 6] << 8) | settings.Payload[(i * 6) + 1], i => settings.ReadUInt32((i * 6) + 2));
        Assert.Equal(3u, values[3]);
        Assert.Equal(1048576u, values[4]);
        Assert.Equal(8192u, values[1]);
        Assert.Equal(32768u, values[5]);

        // The fourth concurrent stream is refused.
        await client.SendAsync(
            client.Headers(1, endStream: true, RawHttp2Client.Get("/a")),
            client.Headers(3, endStream: true, RawHttp2Client.Get("/b")),
            client.Headers(5, endStream: true, RawHttp2Client.Get("/c")),
            client.Headers(7, endStream: true, RawHttp2Client.Get("/d")));
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.RstStream, TimeSpan.FromSeconds(10));
        Assert.Equal(7, frames[^1].StreamId);
        Assert.Equal(7u, frames[^1].ErrorCode);
    }

    [Fact]
    public async Task Head_HeadersEndTheStream_LengthKept()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("twelve bytes", forHead: true));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(client.Headers(1, endStream: true, [(":method", "HEAD"), (":scheme", "http"), (":authority", "a"), (":path", "/h")]));
        var frames = await client.ReadUntilAsync(f => f.StreamId == 1 && f.EndStream);
        var headers = Assert.Single(frames, f => f.StreamId == 1);
        Assert.Equal(RawFrame.Headers, headers.Type);
        var fields = client.Decode(headers);
        Assert.Contains(fields, h => h.Name == "content-length" && h.Value == "12");
    }

    [Fact]
    public async Task ChunkedResponseWithTrailers_TrailersAsFinalHeaders()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Raw(
            "HTTP/1.1 200 OK\r\nContent-Type: application/grpc\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5\r\nhello\r\n0\r\nGrpc-Status: 0\r\n\r\n"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(client.Headers(1, endStream: true, RawHttp2Client.Get("/t", ("te", "trailers"))));
        var frames = (await client.ReadUntilAsync(f => f.StreamId == 1 && f.EndStream)).Where(f => f.StreamId == 1).ToList();
        Assert.Equal(RawFrame.Headers, frames[0].Type);
        var head = client.Decode(frames[0]);
        Assert.Contains(head, h => h.Name == "content-type" && h.Value == "application/grpc");
        Assert.DoesNotContain(head, h => h.Name is "transfer-encoding" or "connection");
        Assert.Equal("hello", Encoding.ASCII.GetString(frames.Where(f => f.Type == RawFrame.Data).SelectMany(f => f.Payload).ToArray()));
        var trailers = frames[^1];
        Assert.Equal(RawFrame.Headers, trailers.Type);
        Assert.True(trailers.EndStream);
        Assert.Equal([new("grpc-status", "0")], client.Decode(trailers));
    }

    [Fact]
    public async Task InterimResponse_SentAsHeadersWithoutEndStream()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Raw("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n").Then(CannedResponse.Ok("final")));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(client.Headers(1, endStream: true, RawHttp2Client.Get("/hints")));
        var frames = (await client.ReadUntilAsync(f => f.StreamId == 1 && f.EndStream)).Where(f => f.StreamId == 1).ToList();
        Assert.Equal(RawFrame.Headers, frames[0].Type);
        Assert.False(frames[0].EndStream);
        Assert.Contains(client.Decode(frames[0]), h => h.Name == ":status" && h.Value == "103");
        Assert.Equal(RawFrame.Headers, frames[1].Type);
        Assert.Contains(client.Decode(frames[1]), h => h.Name == ":status" && h.Value == "200");
    }

    [Fact]
    public async Task HeaderListAboveLimit_Answered431_ConnectionGoesOn()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var big = new string('v', 20000);
        var whole = client.Headers(1, endStream: true, RawHttp2Client.Get("/big", ("x-a", big), ("x-b", big), ("x-c", big), ("x-d", big)));
        var block = whole[9..];

        // Our SETTINGS_MAX_FRAME_SIZE is 16384: HEADERS then CONTINUATION frames.
        var parts = new List<byte[]>();
        for (var at = 0; at < block.Length; at += 16384)
        {
            var piece = block[at..Math.Min(block.Length, at + 16384)];
            var last = at + 16384 >= block.Length;
            parts.Add(at == 0
                ? Sluice.TestKit.Http2.RawFrameBuilder.Frame(RawFrame.Headers, (byte)(0x1 | (last ? 0x4 : 0)), 1, piece)
                : Sluice.TestKit.Http2.RawFrameBuilder.Frame(0x9, (byte)(last ? 0x4 : 0), 1, piece));
        }

        await client.SendAsync([.. parts]);
        var frames = await client.ReadUntilAsync(f => f.StreamId == 1 && (f.EndStream || f.Type == RawFrame.RstStream));
        Assert.Contains(client.Decode(frames.First(f => f.Type == RawFrame.Headers && f.StreamId == 1)), h => h.Name == ":status" && h.Value == "431");

        await client.SendAsync(client.Headers(3, endStream: true, RawHttp2Client.Get("/after")));
        frames = await client.ReadUntilAsync(f => f.StreamId == 3 && f.EndStream);
        Assert.Contains(client.Decode(frames.First(f => f.Type == RawFrame.Headers && f.StreamId == 3)), h => h.Name == ":status" && h.Value == "200");
        Assert.Equal("/after", Assert.Single(backend.Connections.SelectMany(c => c.Requests)).Target);
    }

    [Fact]
    public async Task ClientResetsStream_OtherStreamsGoOn()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("answer " + r.Target) with { Delay = r.Target == "/slow" ? TimeSpan.FromSeconds(1) : TimeSpan.Zero });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(client.Headers(1, endStream: true, RawHttp2Client.Get("/slow")));
        await client.SendAsync(Sluice.TestKit.Http2.RawFrameBuilder.Frame(RawFrame.RstStream, 0, 1, Sluice.TestKit.Http2.RawFrameBuilder.UInt32(8)));
        await client.SendAsync(client.Headers(3, endStream: true, RawHttp2Client.Get("/fast")));
        var frames = await client.ReadUntilAsync(f => f.StreamId == 3 && f.EndStream);
        Assert.Equal("answer /fast", Encoding.ASCII.GetString(frames.Where(f => f.Type == RawFrame.Data && f.StreamId == 3).SelectMany(f => f.Payload).ToArray()));
        Assert.DoesNotContain(frames, f => f.Type == RawFrame.Data && f.StreamId == 1);
    }
}
