using System.Globalization;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Http2;
using Sluice.TestKit.Processes;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// Tunnels over an HTTP/2 stream of the client: websockets by extended CONNECT (RFC 8441) to an HTTP/1.1 websocket
/// server, and CONNECT (RFC 9113 §8.5) to an HTTP/1.1 server that opens the tunnel.
/// </summary>
public class Http2ExtendedConnectTests
{
    // python3-h2 as the client: reads our SETTINGS, opens a websocket by extended CONNECT, sends masked frames (RFC
    // 6455 §5.3) in DATA frames, prints each echo, then closes the websocket and the stream.
    internal const string ClientScript = """
        import os, socket, struct, sys
        import h2.connection, h2.config, h2.events, h2.settings
        port, count = int(sys.argv[1]), int(sys.argv[2])
        sock = socket.create_connection(("127.0.0.1", port))
        sock.settimeout(20)
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        pending = b""
        def events():
            data = sock.recv(65536)
            if not data:
                raise SystemExit("closed by the proxy")
            out = conn.receive_data(data)
            sock.sendall(conn.data_to_send())
            return out
        def frame(opcode, payload):
            mask = os.urandom(4)
            masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked
        ended = None
        def next_message():
            global pending, ended
            while True:
                if len(pending) >= 2 and len(pending) >= 2 + (pending[1] & 0x7F):
                    length = pending[1] & 0x7F
                    opcode, payload, pending = pending[0] & 0x0F, pending[2:2 + length], pending[2 + length:]
                    return opcode, payload
                if ended:
                    raise SystemExit("stream ended: " + ended)
                for event in events():
                    if isinstance(event, h2.events.DataReceived):
                        pending += event.data
                        conn.acknowledge_received_data(event.flow_controlled_length, 1)
                        sock.sendall(conn.data_to_send())
                    elif isinstance(event, (h2.events.StreamReset, h2.events.StreamEnded)):
                        ended = type(event).__name__
        while conn.remote_settings.enable_connect_protocol != 1:
            events()
        print("enable_connect_protocol", conn.remote_settings.enable_connect_protocol)
        conn.send_headers(1, [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":path", "/chat"),
                              (":authority", "test.local"), ("sec-websocket-version", "13")])
        sock.sendall(conn.data_to_send())
        status = None
        while status is None:
            for event in events():
                if isinstance(event, h2.events.ResponseReceived):
                    status = dict(event.headers)[":status"]
                    print("status", status, "accept" if "sec-websocket-accept" in dict(event.headers) else "no-accept")
        for i in range(count):
            conn.send_data(1, frame(0x1, ("hello %d over h2" % i).encode()))
            sock.sendall(conn.data_to_send())
            opcode, payload = next_message()
            print("echo", opcode, payload.decode())
        conn.send_data(1, frame(0x8, struct.pack("!H", 1000)))
        sock.sendall(conn.data_to_send())
        opcode, payload = next_message()
        print("close", opcode, struct.unpack("!H", payload[:2])[0])
        if not ended:
            conn.end_stream(1)
            sock.sendall(conn.data_to_send())
        """;

    [Fact]
    public async Task ExtendedConnect_PythonH2Client_WebSocketServerBehind_MessagesEchoedBothWays()
    {
        await using var server = await WebSocketEchoServer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(
            Proxy.Config(port, $"server s1 {server.Address}", defaults: "    timeout tunnel 30s"), port);

        var script = Path.Combine(Ports.TempDirectory(), "client.py");
        await File.WriteAllTextAsync(script, ClientScript);
        var result = await CommandRunner.RunAsync(PythonPeers.Python, [script, port.ToString(CultureInfo.InvariantCulture), "3"], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Equal(
            ["enable_connect_protocol 1", "status 200 no-accept", "echo 1 hello 0 over h2", "echo 1 hello 1 over h2", "echo 1 hello 2 over h2", "close 8 1000"],
            result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        // The server saw an HTTP/1.1 websocket handshake: GET, the path, a key made by the proxy.
        var handshake = Assert.Single(await server.WaitForHandshakesAsync());
        Assert.Equal("/chat", handshake.Path);
        Assert.Equal("websocket", handshake.Header("Upgrade"), ignoreCase: true);
        Assert.Equal(24, handshake.Header("Sec-WebSocket-Key")?.Length);
        Assert.Equal("13", handshake.Header("Sec-WebSocket-Version"));
        var closed = Assert.Single(await server.WaitForClosedAsync());
        Assert.Equal((3, (int?)1000), closed);
    }

    [Fact]
    public async Task ExtendedConnect_ServerProofDoesNotMatchOurKey_502()
    {
        // The server answers 101 with an accept computed from another key: the proxy, which made the key, refuses it.
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Raw(
            "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
            AfterResponse.StopParsing));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);
        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(client.Headers(1, endStream: false,
            (":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":authority", "test.local"), (":path", "/chat"), ("sec-websocket-version", "13")));
        var frames = await client.ReadUntilAsync(f => f.StreamId == 1 && (f.EndStream || f.Type == RawFrame.RstStream));
        var head = frames.First(f => f.Type == RawFrame.Headers && f.StreamId == 1);
        Assert.Contains(client.Decode(head), h => h.Name == ":status" && h.Value == "502");

        var request = Assert.Single(backend.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/chat", request.Target);
        Assert.Equal(["websocket"], request.HeaderValues("Upgrade"));
        Assert.Equal(["upgrade"], request.HeaderValues("Connection"));
        Assert.Equal(24, request.Header("Sec-WebSocket-Key")?.Length);
    }

    [Theory]
    [InlineData("without :path", false)]
    [InlineData(":protocol with GET", true)]
    public async Task ExtendedConnect_Malformed_StreamResetNothingForwarded(string why, bool get)
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);
        using var client = await RawHttp2Client.ConnectAsync(port);
        (string, string)[] fields = get
            ? [(":method", "GET"), (":protocol", "websocket"), (":scheme", "http"), (":authority", "a"), (":path", "/")]
            : [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"), (":authority", "a")];
        await client.SendAsync(client.Headers(1, endStream: false, fields));
        var frames = await client.ReadUntilAsync(f => f.StreamId == 1 && (f.EndStream || f.Type == RawFrame.RstStream));
        Assert.True(frames[^1].Type == RawFrame.RstStream && frames[^1].ErrorCode == 0x1, why + ": " + frames[^1]);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task Connect_ServerAnswers200_StreamCarriesTheTunnelBothWays()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Raw("HTTP/1.1 200 Connection established\r\n\r\n")
            .Then(CannedResponse.Raw("pong from the far side", AfterResponse.StopParsing), TimeSpan.FromMilliseconds(200)));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}", defaults: "    timeout tunnel 30s"), port);
        using var client = await RawHttp2Client.ConnectAsync(port);
        await client.SendAsync(client.Headers(1, endStream: false, (":method", "CONNECT"), (":authority", "example.test:443")));
        var head = (await client.ReadUntilAsync(f => f.Type == RawFrame.Headers && f.StreamId == 1))[^1];
        Assert.False(head.EndStream);
        Assert.Contains(client.Decode(head), h => h.Name == ":status" && h.Value == "200");

        await client.SendAsync(RawFrameBuilder.Frame(RawFrame.Data, 0, 1, Encoding.ASCII.GetBytes("ping through h2")));
        var frames = await client.ReadUntilAsync(f => f.Type == RawFrame.Data && f.StreamId == 1 && f.Payload.Length > 0);
        Assert.Equal("pong from the far side", Encoding.ASCII.GetString(frames[^1].Payload));

        var request = Assert.Single(backend.Requests);
        Assert.Equal("CONNECT", request.Method);
        Assert.Equal("example.test:443", request.Target);
        var connection = Assert.Single(backend.Connections);
        await TestTimeout.WaitUntilAsync(() => connection.ReceivedText.EndsWith("ping through h2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_IdleTunnel_EndsAtTimeoutTunnel()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Raw("HTTP/1.1 200 Connection established\r\n\r\n", AfterResponse.StopParsing));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}", defaults: "    timeout tunnel 1s"), port);
        using var client = await RawHttp2Client.ConnectAsync(port);

        // Timed from the request: the tunnel cannot start before it, while its 200 may reach a busy client late.
        var requested = DateTime.UtcNow;
        await client.SendAsync(client.Headers(1, endStream: false, (":method", "CONNECT"), (":authority", "example.test:443")));
        await client.ReadUntilAsync(f => f.Type == RawFrame.Headers && f.StreamId == 1);
        var frames = await client.ReadUntilAsync(f => f.StreamId == 1 && (f.EndStream || f.Type == RawFrame.RstStream), TimeSpan.FromSeconds(8));
        Assert.True(frames.Count > 0 && (frames[^1].EndStream || frames[^1].Type == RawFrame.RstStream), string.Join(", ", frames));
        Assert.InRange(DateTime.UtcNow - requested, TimeSpan.FromMilliseconds(800), TimeSpan.FromSeconds(6));

        // The connection itself goes on.
        await client.SendAsync(RawFrameBuilder.Frame(RawFrame.Ping, 0, 0, new byte[8]));
        Assert.Contains(await client.ReadUntilAsync(f => f.Type == RawFrame.Ping), f => f.Type == RawFrame.Ping && (f.Flags & 0x1) != 0);
    }
}
