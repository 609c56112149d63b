using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Http2;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// The error answers of RFC 9113 and RFC 7541 through the real program (RELIABILITY.md §7.3, H2-07 and H2-11 to
/// H2-23): exact GOAWAY and RST_STREAM codes, and nothing of a malformed request reaches the server.
/// </summary>
public class Http2ConformanceTests
{
    private const uint NoError = 0x0;
    private const uint ProtocolError = 0x1;
    private const uint FlowControlError = 0x3;
    private const uint StreamClosed = 0x5;
    private const uint FrameSizeError = 0x6;
    private const uint CompressionError = 0x9;
    private const uint EnhanceYourCalm = 0xb;

    // H2-07: RFC 7541 §4.2, §5.1, §5.2, §6.3, §2.3.3.
    [Theory]
    [InlineData("table size update above the setting", "3fe13f82")]
    [InlineData("table size update after a field", "8220")]
    [InlineData("index zero", "80")]
    [InlineData("index beyond both tables", "be")]
    [InlineData("integer overflow", "ffffffffffffff0f")]
    [InlineData("huffman padding of zeros", "048100")]
    [InlineData("huffman string holding EOS", "0484ffffffff")]
    public async Task H2_07_HpackError_GoAwayCompressionError_NothingForwarded(string why, string blockHex)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        await using var proxy = await StartAsync(backend);
        using var client = await RawHttp2Client.ConnectAsync(proxy.Port);
        await client.SendAsync(RawFrameBuilder.Frame(RawFrame.Headers, 0x5, 1, Convert.FromHexString(blockHex)));
        var goAway = await Http2AttackTests.ReadGoAwayAsync(client);
        Assert.True(goAway.ErrorCode == CompressionError, why + ": " + goAway.ErrorCode);
        Assert.Empty(backend.Requests);
    }

    // H2-11: a client that never opens its window holds the response; the proxy stops reading the server and ends at `timeout client`.
    [Fact]
    public async Task H2_11_ZeroWindowClient_ResponseHeldBack_StreamEndsAtTimeoutClient()
    {
        var big = new string('z', 8 * 1024 * 1024);
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok(big));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(
            Proxy.Config(port, $"server s1 {backend.Address}").Replace("timeout client 10s", "timeout client 1s", StringComparison.Ordinal), port);

        using var client = await RawHttp2Client.ConnectAsync(port, preface: false);
        await client.SendAsync(
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(),
            RawFrameBuilder.Frame(RawFrame.Settings, 0, 0, RawFrameBuilder.Setting(4, 0)),
            client.Headers(1, endStream: true, RawHttp2Client.Get("/big")));
        var started = DateTime.UtcNow;
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.RstStream || f.Type == RawFrame.GoAway, TimeSpan.FromSeconds(15));
        Assert.Contains(frames, f => f.Type == RawFrame.Headers && f.StreamId == 1);
        Assert.DoesNotContain(frames, f => f.Type == RawFrame.Data && f.Payload.Length > 0);
        Assert.True(frames[^1].Type is RawFrame.RstStream or RawFrame.GoAway, string.Join(", ", frames));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(10));
    }

    // H2-12: RFC 9113 §6.9, §6.9.1, §6.5.2.
    [Theory]
    [InlineData("connection window above 2^31-1", "connection-overflow", FlowControlError, true)]
    [InlineData("stream window above 2^31-1", "stream-overflow", FlowControlError, false)]
    [InlineData("SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1", "settings-window", FlowControlError, true)]
    [InlineData("DATA beyond the stream window", "data-beyond", FlowControlError, false)]
    [InlineData("increment 0 on the connection", "zero-connection", ProtocolError, true)]
    [InlineData("increment 0 on a stream", "zero-stream", ProtocolError, false)]
    public async Task H2_12_FlowControlViolation_ExactError(string why, string kind, uint code, bool connectionError)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok") with { Delay = TimeSpan.FromSeconds(3) });
        await using var proxy = await StartAsync(backend);
        using var client = await RawHttp2Client.ConnectAsync(proxy.Port);
        var post = client.Headers(1, endStream: false, [(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")]);
        byte[][] frames = kind switch
        {
            "connection-overflow" => [RawFrameBuilder.Frame(RawFrame.WindowUpdate, 0, 0, RawFrameBuilder.UInt32(0x7FFFFFFF))],
            "stream-overflow" => [post, RawFrameBuilder.Frame(RawFrame.WindowUpdate, 0, 1, RawFrameBuilder.UInt32(0x7FFFFFFF))],
            "settings-window" => [RawFrameBuilder.Frame(RawFrame.Settings, 0, 0, RawFrameBuilder.Setting(4, 0x80000000))],
            "data-beyond" => [post, .. Enumerable.Range(0, 5).Select(_ => RawFrameBuilder.Frame(RawFrame.Data, 0, 1, new byte[16000]))],
            "zero-connection" => [RawFrameBuilder.Frame(RawFrame.WindowUpdate, 0, 0, RawFrameBuilder.UInt32(0))],
            _ => [post, RawFrameBuilder.Frame(RawFrame.WindowUpdate, 0, 1, RawFrameBuilder.UInt32(0))],
        };
        await client.SendAsync(frames);
        var received = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway || (f.Type == RawFrame.RstStream && f.StreamId == 1));
        var last = received[^1];
        Assert.True(last.Type == (connectionError ? RawFrame.GoAway : RawFrame.RstStream), why + ": " + last);
        Assert.Equal(code, last.ErrorCode);
    }

    // H2-13: RFC 9113 §4.2, §6.5, §6.7, §6.4, §6.9.
    [Theory]
    [InlineData("SETTINGS length not a multiple of 6", "000005" + "04" + "00" + "00000000" + "0000000000")]
    [InlineData("PING of 7 bytes", "000007" + "06" + "00" + "00000000" + "00000000000000")]
    [InlineData("RST_STREAM of 3 bytes", "000003" + "03" + "00" + "00000001" + "000000")]
    [InlineData("WINDOW_UPDATE of 3 bytes", "000003" + "08" + "00" + "00000000" + "000001")]
    public async Task H2_13_FrameSize_GoAwayFrameSizeError(string why, string frameHex)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        await using var proxy = await StartAsync(backend);
        using var client = await RawHttp2Client.ConnectAsync(proxy.Port);
        await client.SendAsync(Convert.FromHexString(frameHex));
        var goAway = await Http2AttackTests.ReadGoAwayAsync(client);
        Assert.True(goAway.ErrorCode == FrameSizeError, why + ": " + goAway.ErrorCode);
    }

    [Fact]
    public async Task FrameAboveMaxFrameSize_GoAwayFrameSizeError()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        await using var proxy = await StartAsync(backend);
        using var client = await RawHttp2Client.ConnectAsync(proxy.Port);

        // One byte more than the SETTINGS_MAX_FRAME_SIZE we advertise (16384).
        await client.SendAsync(RawFrameBuilder.Frame(RawFrame.Data, 0, 1, new byte[16385]));
        var goAway = await Http2AttackTests.ReadGoAwayAsync(client);
        Assert.Equal(FrameSizeError, goAway.ErrorCode);
    }

    // H2-14: RFC 9113 §5.1, §5.1.1.
    [Theory]
    [InlineData("even stream id", "even", ProtocolError, true)]
    [InlineData("stream id going backward", "backward", ProtocolError, true)]
    [InlineData("DATA on an idle stream", "idle-data", ProtocolError, true)]
    [InlineData("HEADERS after the client reset the stream", "headers-after-rst", ProtocolError, true)]
    [InlineData("DATA after the client reset the stream", "data-after-rst", StreamClosed, false)]
    [InlineData("DATA after END_STREAM", "data-after-end", StreamClosed, false)]
    public async Task H2_14_StreamState_ExactError(string why, string kind, uint code, bool connectionError)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok") with { Delay = TimeSpan.FromSeconds(2) });
        await using var proxy = await StartAsync(backend);
        using var client = await RawHttp2Client.ConnectAsync(proxy.Port);
        var rst = RawFrameBuilder.Frame(RawFrame.RstStream, 0, 1, RawFrameBuilder.UInt32(8));
        var data = RawFrameBuilder.Frame(RawFrame.Data, 0, 1, [1, 2, 3]);
        byte[][] frames = kind switch
        {
            "even" => [client.Headers(2, endStream: true, RawHttp2Client.Get("/e"))],
            "backward" => [client.Headers(5, endStream: true, RawHttp2Client.Get("/5")), client.Headers(3, endStream: true, RawHttp2Client.Get("/3"))],
            "idle-data" => [data],
            "headers-after-rst" => [client.Headers(1, endStream: false, RawHttp2Client.Get("/1")), rst, client.Headers(1, endStream: true, RawHttp2Client.Get("/1"))],
            "data-after-rst" => [client.Headers(1, endStream: false, RawHttp2Client.Get("/1")), rst, data],
            _ => [client.Headers(1, endStream: true, RawHttp2Client.Get("/1")), data],
        };
        await client.SendAsync(frames);
        var received = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway || f.Type == RawFrame.RstStream);
        var last = received[^1];
        Assert.True(last.Type == (connectionError ? RawFrame.GoAway : RawFrame.RstStream), why + ": " + last);
        Assert.Equal(code, last.ErrorCode);
    }

    // H2-15: RFC 9113 §3.4.
    [Theory]
    [InlineData("first frame not SETTINGS", true)]
    [InlineData("preface garbled", false)]
    public async Task H2_15_BadPreface_GoAwayProtocolError(string why, bool validPreface)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var (port, sluice) = await StartProtoH2Async(backend, "10s");
        await using var running = sluice;
        using var client = await RawHttp2Client.ConnectAsync(port, preface: false);
        await client.SendAsync(
            validPreface ? "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray() : "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n"u8.ToArray(),
            RawFrameBuilder.Frame(RawFrame.Ping, 0, 0, new byte[8]));
        var goAway = await Http2AttackTests.ReadGoAwayAsync(client);
        Assert.True(goAway.ErrorCode == ProtocolError, why);
        Assert.Null(await client.ReadFrameAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task NoPreface_ClosedAtTimeoutClient()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var (port, sluice) = await StartProtoH2Async(backend, "1s");
        await using var running = sluice;
        using var client = await RawHttp2Client.ConnectAsync(port, preface: false);
        var started = DateTime.UtcNow;
        var frames = await client.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(10));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(8));
        Assert.DoesNotContain(frames, f => f.Type == RawFrame.GoAway && f.ErrorCode != NoError);
    }

    // H2-16: RFC 9113 §8.3; HAProxy h2_desync_attacks.vtc.
    [Theory]
    [InlineData("duplicate :path", ":path", "/again")]
    [InlineData("unknown pseudo-header", ":foo", "bar")]
    [InlineData(":status in a request", ":status", "200")]
    public async Task H2_16_BadPseudoHeader_Rejected_NothingForwarded(string why, string name, string value)
    {
        await AssertRejectedAsync(why, [.. RawHttp2Client.Get("/p"), (name, value)]);
    }

    [Theory]
    [InlineData("empty :path", "GET", "http", "")]
    [InlineData(":path not starting with /", "GET", "http", "hello")]
    [InlineData("method with ?", "GET?", "http", "/")]
    [InlineData("method with a space", "GET /x", "http", "/")]
    [InlineData("scheme with ://", "GET", "http://x/?", "/")]
    public async Task BadPseudoValue_Rejected_NothingForwarded(string why, string method, string scheme, string path)
    {
        await AssertRejectedAsync(why, [(":method", method), (":scheme", scheme), (":authority", "a"), (":path", path)]);
    }

    [Fact]
    public async Task PseudoHeaderInTrailers_StreamReset_NothingForwardedComplete()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        await using var proxy = await StartAsync(backend);
        using var client = await RawHttp2Client.ConnectAsync(proxy.Port);
        await client.SendAsync(
            client.Headers(1, endStream: false, [(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/t")]),
            RawFrameBuilder.Frame(RawFrame.Data, 0, 1, [1, 2, 3]),
            client.Headers(1, endStream: true, (":path", "/other")));
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.RstStream || f.Type == RawFrame.GoAway);
        Assert.Equal(RawFrame.RstStream, frames[^1].Type);
        Assert.Equal(ProtocolError, frames[^1].ErrorCode);
    }

    // H2-17: RFC 9113 §8.2.1.
    [Theory]
    [InlineData("name with a space", "x bad", "v")]
    [InlineData("empty name", "", "v")]
    [InlineData("value with CR", "x-v", "a\rb")]
    [InlineData("value with LF", "x-v", "a\nInjected: 1")]
    [InlineData("value with NUL", "x-v", "a\0b")]
    [InlineData("value with leading space", "x-v", " a")]
    [InlineData("value with trailing tab", "x-v", "a\t")]
    public async Task H2_17_BadField_Rejected_NothingForwarded(string why, string name, string value)
    {
        await AssertRejectedAsync(why, RawHttp2Client.Get("/f", (name, value)));
    }

    // H2-18: RFC 9113 §8.2.2.
    [Theory]
    [InlineData("keep-alive", "timeout=5")]
    [InlineData("proxy-connection", "keep-alive")]
    [InlineData("upgrade", "websocket")]
    public async Task H2_18_ConnectionSpecificField_Rejected_NothingForwarded(string name, string value)
    {
        await AssertRejectedAsync(name, RawHttp2Client.Get("/c", (name, value)));
    }

    [Fact]
    public async Task TeTrailers_Accepted()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        await using var proxy = await StartAsync(backend);
        using var client = await RawHttp2Client.ConnectAsync(proxy.Port);
        await client.SendAsync(client.Headers(1, endStream: true, RawHttp2Client.Get("/te", ("te", "trailers"))));
        var frames = await client.ReadUntilAsync(f => f.StreamId == 1 && (f.EndStream || f.Type == RawFrame.RstStream));
        Assert.Contains(client.Decode(frames.First(f => f.Type == RawFrame.Headers)), h => h.Name == ":status" && h.Value == "200");
        Assert.Single(backend.Requests);
    }

    // H2-19: RFC 9113 §8.1.1; HAProxy h2_to_h1.vtc.
    [Theory]
    [InlineData("24 bytes against content-length 2", "2", 24, true)]
    [InlineData("3 bytes then END_STREAM against content-length 10", "10", 3, true)]
    public async Task H2_19_ContentLengthMismatch_StreamResetProtocolError_ServerConnectionNotReused(string why, string length, int sent, bool endStream)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        await using var proxy = await StartAsync(backend);
        using var client = await RawHttp2Client.ConnectAsync(proxy.Port);
        await client.SendAsync(
            client.Headers(1, endStream: false, [(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/cl"), ("content-length", length)]),
            RawFrameBuilder.Frame(RawFrame.Data, (byte)(endStream ? 0x1 : 0x0), 1, new byte[sent]));
        var frames = await client.ReadUntilAsync(f => f.StreamId == 1 && (f.Type == RawFrame.RstStream || f.EndStream));
        Assert.True(frames[^1].Type == RawFrame.RstStream, why);
        Assert.Equal(ProtocolError, frames[^1].ErrorCode);

        // The next request does not share the server connection that saw the broken body.
        await client.SendAsync(client.Headers(3, endStream: true, RawHttp2Client.Get("/next")));
        frames = await client.ReadUntilAsync(f => f.StreamId == 3 && f.EndStream);
        Assert.Contains(client.Decode(frames.First(f => f.Type == RawFrame.Headers && f.StreamId == 3)), h => h.Name == ":status" && h.Value == "200");
        var next = backend.Requests.Single(r => r.Target == "/next");
        Assert.DoesNotContain(backend.Requests, r => r.Target == "/cl" && r.ConnectionIndex == next.ConnectionIndex);
    }

    [Theory]
    [InlineData("END_STREAM on HEADERS against content-length 10", "10")]
    [InlineData("content-length 0,", "0,")]
    [InlineData("empty content-length", "")]
    public async Task ContentLengthInvalidOrUnmet_Rejected_NothingForwarded(string why, string length)
    {
        await AssertRejectedAsync(why, [(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/cl"), ("content-length", length)]);
    }

    // H2-20 and H2-21: RFC 9113 §8.3.1, §8.2.3.
    [Fact]
    public async Task H2_20_H2_21_AuthorityAndHost_AuthorityWins_CookiesJoined()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        await using var proxy = await StartAsync(backend);
        using var client = await RawHttp2Client.ConnectAsync(proxy.Port);
        await client.SendAsync(client.Headers(1, endStream: true,
            [(":method", "GET"), (":scheme", "http"), (":authority", "a.example"), (":path", "/h"), ("host", "b.example"), ("cookie", "a=1"), ("cookie", "b=2"), ("cookie", "c=3")]));
        await client.ReadUntilAsync(f => f.StreamId == 1 && f.EndStream);
        var request = Assert.Single(backend.Requests);
        Assert.Equal(new[] { "a.example" }, request.HeaderValues("Host"));
        Assert.Equal(new[] { "a=1; b=2; c=3" }, request.HeaderValues("Cookie"));
    }

    // H2-22: `tune.h2.fe.max-total-streams`.
    [Fact]
    public async Task H2_22_MaxTotalStreams_GracefulGoAwayAfterLast_InFlightStreamsFinish()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("answer " + r.Target) with { Delay = TimeSpan.FromMilliseconds(300) });
        var port = Ports.FreeListeningPort();
        var config = "global\n    tune.h2.fe.max-total-streams 3\n" + Proxy.Config(port, $"server s1 {backend.Address}").Replace("global\n", string.Empty, StringComparison.Ordinal);
        await using var sluice = await Proxy.StartAsync(config, port);
        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(
            client.Headers(1, endStream: true, RawHttp2Client.Get("/1")),
            client.Headers(3, endStream: true, RawHttp2Client.Get("/3")),
            client.Headers(5, endStream: true, RawHttp2Client.Get("/5")));
        var frames = await client.ReadUntilAsync(_ => false, TimeSpan.FromSeconds(5));
        var goAway = Assert.Single(frames, f => f.Type == RawFrame.GoAway);
        Assert.Equal(NoError, goAway.ErrorCode);
        Assert.Equal(5u, goAway.ReadUInt32(0));
        Assert.Equal(3, frames.Count(f => f.StreamId != 0 && f.EndStream));
        var body = Encoding.ASCII.GetString(frames.Where(f => f.Type == RawFrame.Data && f.StreamId == 5).SelectMany(f => f.Payload).ToArray());
        Assert.Equal("answer /5", body);
    }

    // H2-23: HAProxy's glitches: a graceful GOAWAY at 75 % of the threshold, ENHANCE_YOUR_CALM at it.
    [Fact]
    public async Task H2_23_GlitchesThreshold_GracefulAtThreeQuarters_EnhanceYourCalmAtThreshold()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        var config = "global\n    tune.h2.fe.glitches-threshold 8\n" + Proxy.Config(port, $"server s1 {backend.Address}").Replace("global\n", string.Empty, StringComparison.Ordinal);
        await using var sluice = await Proxy.StartAsync(config, port);
        using var client = await RawHttp2Client.ConnectAsync(port);

        // Each malformed request is one glitch.
        for (var id = 1; id <= 5; id += 2)
        {
            await client.SendAsync(client.Headers(id, endStream: true, RawHttp2Client.Get("/g", ("X-Upper", "v"))));
        }

        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.RstStream && f.StreamId == 5);
        Assert.DoesNotContain(frames, f => f.Type == RawFrame.GoAway);
        for (var id = 7; id <= 15; id += 2)
        {
            await client.SendAsync(client.Headers(id, endStream: true, RawHttp2Client.Get("/g", ("X-Upper", "v"))));
        }

        frames = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway && f.ErrorCode != NoError);
        var goAways = frames.Where(f => f.Type == RawFrame.GoAway).ToList();
        Assert.Equal(new[] { NoError, EnhanceYourCalm }, goAways.Select(f => f.ErrorCode));
        Assert.Equal(11u, goAways[0].ReadUInt32(0));
        Assert.Empty(backend.Requests);
    }

    private static async Task AssertRejectedAsync(string why, (string, string)[] fields)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        await using var proxy = await StartAsync(backend);
        using var client = await RawHttp2Client.ConnectAsync(proxy.Port);
        await client.SendAsync(client.Headers(1, endStream: true, fields));
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway || (f.StreamId == 1 && (f.Type == RawFrame.RstStream || f.EndStream)));
        var last = frames[^1];
        var rejected = (last.Type == RawFrame.RstStream && last.ErrorCode == ProtocolError)
            || (last.Type == RawFrame.GoAway && last.ErrorCode == ProtocolError)
            || (last.Type == RawFrame.Headers && client.Decode(last).Any(h => h.Name == ":status" && h.Value == "400"));
        Assert.True(rejected, why + ": " + last);
        await Task.Delay(200);
        Assert.Empty(backend.Requests);
    }

    /// <summary>A `proto h2` bind; the readiness probe, which connects and closes, gets an HTTP/1 bind of its own.</summary>
    private static async Task<(int Port, ISluiceInstance Sluice)> StartProtoH2Async(RecordingBackend backend, string timeoutClient)
    {
        var port = Ports.FreeListeningPort();
        var probePort = Ports.FreeListeningPort();
        var config = Proxy.Config(probePort, $"server s1 {backend.Address}", frontend: "    bind 127.0.0.1:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture) + " proto h2")
            .Replace("timeout client 10s", "timeout client " + timeoutClient, StringComparison.Ordinal);
        return (port, await Proxy.StartAsync(config, probePort));
    }

    private static async Task<RunningProxy> StartAsync(RecordingBackend backend)
    {
        var port = Ports.FreeListeningPort();
        return new RunningProxy(port, await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port));
    }

    private sealed record RunningProxy(int Port, ISluiceInstance Instance) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Instance.DisposeAsync();
    }
}
