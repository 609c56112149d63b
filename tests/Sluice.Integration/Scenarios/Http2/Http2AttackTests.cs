using Sluice.Integration.Fixtures;
using Sluice.TestKit.Http2;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// Hostile HTTP/2 clients (RELIABILITY.md §7.3, H2-01 to H2-10): floods and resets are counted per connection and
/// answered GOAWAY(ENHANCE_YOUR_CALM), and the backend sees none or a bounded part of the work.
/// </summary>
[Trait("Category", "attack")]
public class Http2AttackTests
{
    private const uint ProtocolError = 0x1;
    private const uint EnhanceYourCalm = 0xb;
    private const byte Priority = 0x2;
    private const byte Continuation = 0x9;

    // H2-01: CVE-2023-44487, the H2O reset-flood test's two asserts.
    [Fact]
    public async Task H2_01_RapidReset_100000HeadersThenRst_GoAwayEnhanceYourCalm_BackendSeesFew()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok") with { Delay = TimeSpan.FromMilliseconds(50) });
        var port = Ports.FreeListeningPort();
        var config = "global\n    tune.h2.max-concurrent-streams 10\n" + Proxy.Config(port, $"server s1 {backend.Address}").Replace("global\n", string.Empty, StringComparison.Ordinal);
        await using var sluice = await Proxy.StartAsync(config, port);

        // One request first, so that the bystander's latency below is the flood's doing, not the compilation of the
        // request path on first use.
        using (var warmUp = await RawHttp2Client.ConnectAsync(port))
        {
            await warmUp.SendAsync(warmUp.Headers(1, endStream: true, RawHttp2Client.Get("/warm-up")));
            await warmUp.ReadUntilAsync(f => f.StreamId == 1 && f.EndStream);
        }

        using var client = await RawHttp2Client.ConnectAsync(port);
        var sending = Task.Run(async () =>
        {
            var batch = new List<byte[]>();
            for (var id = 1; id < 200_000; id += 2)
            {
                batch.Add(client.Headers(id, endStream: true, RawHttp2Client.Get("/r")));
                batch.Add(RawFrameBuilder.Frame(RawFrame.RstStream, 0, id, RawFrameBuilder.UInt32(8)));
                if (batch.Count == 200)
                {
                    await client.SendAsync([.. batch]);
                    batch.Clear();
                }
            }
        });

        // A well-behaved client on its own connection meanwhile.
        var bystander = Task.Run(async () =>
        {
            using var other = await RawHttp2Client.ConnectAsync(port);
            var slowest = TimeSpan.Zero;
            for (var id = 1; id <= 39; id += 2)
            {
                var started = DateTime.UtcNow;
                await other.SendAsync(other.Headers(id, endStream: true, RawHttp2Client.Get("/bystander")));
                var answer = await other.ReadUntilAsync(f => f.StreamId == id && f.EndStream);
                Assert.Contains(other.Decode(answer.First(f => f.Type == RawFrame.Headers && f.StreamId == id)), h => h.Name == ":status" && h.Value == "200");
                slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, (DateTime.UtcNow - started).Ticks));
            }

            return slowest;
        });

        var goAway = await ReadGoAwayAsync(client);
        Assert.Equal(EnhanceYourCalm, goAway.ErrorCode);
        await EndOfFloodAsync(sending);
        Assert.InRange(await bystander.WaitAsync(TimeSpan.FromSeconds(60)), TimeSpan.Zero, TimeSpan.FromSeconds(3));
        Assert.InRange(backend.Requests.Count(r => r.Target == "/r"), 0, 499);

        // The next client is served as usual.
        using var other = await RawHttp2Client.ConnectAsync(port);
        await other.SendAsync(other.Headers(1, endStream: true, RawHttp2Client.Get("/after")));
        var frames = await other.ReadUntilAsync(f => f.StreamId == 1 && f.EndStream);
        Assert.Contains(other.Decode(frames.First(f => f.Type == RawFrame.Headers)), h => h.Name == ":status" && h.Value == "200");
    }

    // The same attack from python-h2: each stream opened then cancelled at once, until the server says GOAWAY.
    // The same attack from python-h2: each stream opened then cancelled at once, until the server says GOAWAY;
    // python-h2 then stops, as a client does, and the script waits for the server to close.
    private const string RapidResetScript = """
        import socket, sys
        import h2.connection, h2.config, h2.events, h2.exceptions
        port = int(sys.argv[1])
        sock = socket.create_connection(("127.0.0.1", port))
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        headers = [(":method", "GET"), (":scheme", "http"), (":authority", "test.local"), (":path", "/reset")]
        sock.setblocking(False)
        goaway = None
        for _ in range(50000):
            stream_id = conn.get_next_available_stream_id()
            conn.send_headers(stream_id, headers, end_stream=True)
            conn.reset_stream(stream_id)
            sock.sendall(conn.data_to_send())
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ConnectionTerminated) and goaway is None:
                    goaway = event
            if goaway is not None:
                break
        sock.setblocking(True)
        sock.settimeout(20)
        while sock.recv(65536):
            pass
        print("goaway", int(goaway.error_code) if goaway else -1, goaway.last_stream_id if goaway else -1)
        """;

    [Fact]
    public async Task PythonH2_RapidReset_GracefulGoAwayStopsIt_BackendSeesFew()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok") with { Delay = TimeSpan.FromMilliseconds(50) });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        var script = Path.Combine(Ports.TempDirectory(), "rapid_reset.py");
        await File.WriteAllTextAsync(script, RapidResetScript);
        var result = await Sluice.TestKit.Processes.CommandRunner.RunAsync("/usr/bin/python3", [script, port.ToString(System.Globalization.CultureInfo.InvariantCulture)], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        var words = result.StandardOutput.Trim().Split(' ');
        Assert.Equal("goaway", words[0]);

        // GOAWAY(NO_ERROR) at three quarters of the glitch threshold: the last stream taken is below 2 × 250.
        Assert.Equal("0", words[1]);
        Assert.InRange(int.Parse(words[2], System.Globalization.CultureInfo.InvariantCulture), 1, 999);
        Assert.InRange(backend.Requests.Count, 0, 499);
    }

    // H2-02: CVE-2025-8671, resets the client makes us send count as its own.
    [Fact]
    public async Task H2_02_MadeYouReset_WindowUpdateZeroAfterEachRequest_ResetsCounted_GoAwayEnhanceYourCalm()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok") with { Delay = TimeSpan.FromMilliseconds(200) });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var sending = Task.Run(async () =>
        {
            for (var id = 1; id < 20_000; id += 2)
            {
                await client.SendAsync(
                    client.Headers(id, endStream: true, RawHttp2Client.Get("/m")),
                    RawFrameBuilder.Frame(RawFrame.WindowUpdate, 0, id, RawFrameBuilder.UInt32(0)));
            }
        });

        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway && f.ErrorCode != 0, TimeSpan.FromSeconds(30));
        Assert.Contains(frames, f => f.Type == RawFrame.RstStream && f.ErrorCode == ProtocolError);
        Assert.Equal(EnhanceYourCalm, frames[^1].ErrorCode);
        await EndOfFloodAsync(sending);
        Assert.InRange(backend.Requests.Count, 0, 499);
    }

    // H2-03: refused streams, then GOAWAY when the client keeps going beyond the limit.
    [Fact]
    public async Task H2_03_ExcessStreams_Refused_ThenPersistentExcessGoAwayEnhanceYourCalm()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok") with { Delay = TimeSpan.FromSeconds(5) });
        var port = Ports.FreeListeningPort();
        var config = "global\n    tune.h2.max-concurrent-streams 2\n" + Proxy.Config(port, $"server s1 {backend.Address}").Replace("global\n", string.Empty, StringComparison.Ordinal);
        await using var sluice = await Proxy.StartAsync(config, port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var requests = new List<byte[]>();
        for (var id = 1; id < 1000; id += 2)
        {
            requests.Add(client.Headers(id, endStream: true, RawHttp2Client.Get("/x")));
        }

        await client.SendAsync([.. requests]);
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway && f.ErrorCode != 0, TimeSpan.FromSeconds(20));
        var refused = frames.Where(f => f.Type == RawFrame.RstStream).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, f => Assert.Equal(7u, f.ErrorCode));
        Assert.Equal(5, refused[0].StreamId);
        Assert.Equal(EnhanceYourCalm, frames[^1].ErrorCode);
    }

    // H2-04: CVE-2024-27316, HEADERS without END_HEADERS then CONTINUATION frames without end.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16384)]
    public async Task H2_04_ContinuationFlood_GoAwayEnhanceYourCalm_NothingForwarded(int fragmentSize)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var head = client.Headers(1, endStream: true, RawHttp2Client.Get("/flood"));
        head[4] = 0x1;
        // 'a' bytes decode as literal fields: the decoder always has work, the block never ends.
        var fragment = RawFrameBuilder.Frame(Continuation, 0, 1, Enumerable.Repeat((byte)'a', fragmentSize).ToArray());

        var sending = Task.Run(async () =>
        {
            await client.SendAsync(head);
            for (var i = 0; i < 100_000; i++)
            {
                await client.SendAsync(fragment);
            }
        });

        var goAway = await ReadGoAwayAsync(client);
        Assert.Equal(EnhanceYourCalm, goAway.ErrorCode);
        await EndOfFloodAsync(sending);
        Assert.Empty(backend.Requests);
    }

    // H2-05: RFC 9113 §6.10.
    [Theory]
    [InlineData("after-end-headers")]
    [InlineData("other-stream")]
    [InlineData("after-data")]
    [InlineData("stream-zero")]
    public async Task H2_05_MisplacedContinuation_GoAwayProtocolError(string where)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok") with { Delay = TimeSpan.FromSeconds(2) });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var post = client.Headers(1, endStream: false, [(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")]);
        var open = client.Headers(1, endStream: false, RawHttp2Client.Get("/"));
        var unfinished = open.ToArray();
        unfinished[4] = 0x0;
        var continuation = RawFrameBuilder.Frame(Continuation, 0x4, 1, [0x82]);
        byte[][] frames = where switch
        {
            "after-end-headers" => [open, continuation],
            "other-stream" => [unfinished, RawFrameBuilder.Frame(Continuation, 0x4, 3, [0x82])],
            "after-data" => [post, RawFrameBuilder.Frame(RawFrame.Data, 0, 1, [1, 2, 3]), continuation],
            _ => [RawFrameBuilder.Frame(Continuation, 0x4, 0, [0x82])],
        };
        await client.SendAsync(frames);
        var goAway = await ReadGoAwayAsync(client);
        Assert.Equal(ProtocolError, goAway.ErrorCode);
    }

    // H2-06: a 4 KiB field inserted once, then referenced 10 000 times with one byte each.
    [Theory]
    [InlineData("x-bomb")]
    [InlineData("cookie")]
    [InlineData("host")]
    public async Task H2_06_HpackBomb_DecodedListBounded_Answered431_NothingForwarded(string name)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var block = new List<byte>(client.Headers(1, endStream: true, RawHttp2Client.Get("/bomb"))[9..]);

        // §6.2.1: literal with incremental indexing, new name; it becomes dynamic index 62.
        block.Add(0x40);
        block.AddRange(HpackString(System.Text.Encoding.ASCII.GetBytes(name)));
        block.AddRange(HpackString(new byte[4000].Select(_ => (byte)'v').ToArray()));
        for (var i = 0; i < 10_000; i++)
        {
            block.Add(0x80 | 62);
        }

        await client.SendAsync(RawFrameBuilder.Frame(RawFrame.Headers, 0x5, 1, [.. block]));
        var frames = await client.ReadUntilAsync(f => f.StreamId == 1 && (f.EndStream || f.Type == RawFrame.RstStream));
        Assert.Contains(client.Decode(frames.First(f => f.Type == RawFrame.Headers)), h => h.Name == ":status" && h.Value == "431");
        Assert.Empty(backend.Requests);
    }

    // H2-08: CVE-2019-9512 and -9515, while the client never reads.
    [Theory]
    [InlineData(RawFrame.Ping)]
    [InlineData(RawFrame.Settings)]
    public async Task H2_08_ControlFrameFlood_NotReading_GoAwayEnhanceYourCalmThenClose(byte type)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var frame = type == RawFrame.Ping ? RawFrameBuilder.Frame(RawFrame.Ping, 0, 0, new byte[8]) : RawFrameBuilder.Frame(RawFrame.Settings, 0, 0);
        var flood = Enumerable.Repeat(frame, 10_000).ToArray();
        try
        {
            await client.SendAsync(flood).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (IOException)
        {
            // Closed before the flood was all sent.
        }

        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway && f.ErrorCode != 0);
        Assert.Equal(EnhanceYourCalm, frames[^1].ErrorCode);
        Assert.InRange(frames.Count(f => f.Type == type), 1, 1100);
        Assert.Null(await client.ReadFrameAsync(TimeSpan.FromSeconds(10)));
    }

    // H2-09: CVE-2019-9518, frames without payload.
    [Fact]
    public async Task H2_09_EmptyDataFlood_GoAwayEnhanceYourCalm()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var post = client.Headers(1, endStream: false, [(":method", "POST"), (":scheme", "http"), (":authority", "a"), (":path", "/")]);
        await client.SendAsync([post, .. Enumerable.Repeat(RawFrameBuilder.Frame(RawFrame.Data, 0, 1), 1000)]);
        var goAway = await ReadGoAwayAsync(client);
        Assert.Equal(EnhanceYourCalm, goAway.ErrorCode);
    }

    [Fact]
    public async Task EmptyHeadersFlood_StreamsResetThenGoAwayEnhanceYourCalm_NothingForwarded()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var frames = new List<byte[]>();
        for (var id = 1; id < 2000; id += 2)
        {
            frames.Add(RawFrameBuilder.Frame(RawFrame.Headers, 0x5, id));
        }

        await client.SendAsync([.. frames]);
        var received = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway && f.ErrorCode != 0);
        Assert.Equal(ProtocolError, received.First(f => f.Type == RawFrame.RstStream).ErrorCode);
        Assert.Equal(EnhanceYourCalm, received[^1].ErrorCode);
        Assert.Empty(backend.Requests);
    }

    // H2-10: CVE-2019-9513 and the WINDOW_UPDATE flood; a self-dependency is a stream error (RFC 9113 §5.3.1).
    [Theory]
    [InlineData(Priority)]
    [InlineData(RawFrame.WindowUpdate)]
    public async Task H2_10_PriorityOrWindowUpdateFlood_GoAwayEnhanceYourCalm(byte type)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        var frame = type == Priority
            ? RawFrameBuilder.Frame(Priority, 0, 3, [0, 0, 0, 1, 16])
            : RawFrameBuilder.Frame(RawFrame.WindowUpdate, 0, 0, RawFrameBuilder.UInt32(1));
        await client.SendAsync(Enumerable.Repeat(frame, 5000).ToArray());
        var goAway = await ReadGoAwayAsync(client);
        Assert.Equal(EnhanceYourCalm, goAway.ErrorCode);
    }

    [Fact]
    public async Task PriorityOnItself_StreamErrorProtocolError_ConnectionGoesOn()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(RawFrameBuilder.Frame(Priority, 0, 1, [0, 0, 0, 1, 16]));
        var reset = (await client.ReadUntilAsync(f => f.Type is RawFrame.RstStream or RawFrame.GoAway))[^1];
        Assert.Equal(RawFrame.RstStream, reset.Type);
        Assert.Equal(1, reset.StreamId);
        Assert.Equal(ProtocolError, reset.ErrorCode);

        await client.SendAsync(client.Headers(3, endStream: true, RawHttp2Client.Get("/after")));
        var frames = await client.ReadUntilAsync(f => f.StreamId == 3 && f.EndStream);
        Assert.Contains(client.Decode(frames.First(f => f.Type == RawFrame.Headers)), h => h.Name == ":status" && h.Value == "200");
    }

    /// <summary>Waits for the sending side of a flood, which ends early (the connection is closed) or not.</summary>
    internal static async Task EndOfFloodAsync(Task sending)
    {
        try
        {
            await sending.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The connection was closed under the flood.
        }
    }

    internal static async Task<RawFrame> ReadGoAwayAsync(RawHttp2Client client)
    {
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.GoAway && f.ErrorCode != 0, TimeSpan.FromSeconds(30));
        var goAway = frames.LastOrDefault(f => f.Type == RawFrame.GoAway);
        Assert.True(goAway is not null, "no GOAWAY among " + string.Join(", ", frames.TakeLast(5)));
        return goAway;
    }

    /// <summary>An HPACK string literal without Huffman (RFC 7541 §5.2), its length a 7-bit-prefix integer.</summary>
    internal static byte[] HpackString(byte[] value)
    {
        var bytes = new List<byte>();
        var length = value.Length;
        if (length < 127)
        {
            bytes.Add((byte)length);
        }
        else
        {
            bytes.Add(127);
            length -= 127;
            while (length >= 128)
            {
                bytes.Add((byte)((length & 0x7F) | 0x80));
                length >>= 7;
            }

            bytes.Add((byte)length);
        }

        bytes.AddRange(value);
        return [.. bytes];
    }
}
