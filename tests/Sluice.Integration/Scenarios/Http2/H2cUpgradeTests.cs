using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// `option h2c-upgrade`: an HTTP/1.1 request with `Upgrade: h2c` switches its connection to HTTP/2, the request
/// answered on stream 1 (RFC 7540 §3.2); without the option the token is removed and HTTP/1.1 goes on.
/// </summary>
public class H2cUpgradeTests
{
    // Upgrades with a body the way RFC 7540 §3.2 describes, then sends a second request on stream 3 of the same connection.
    private const string UpgradeScript = """
        import base64, socket, sys
        import h2.connection, h2.config, h2.events
        port = int(sys.argv[1])
        sock = socket.create_connection(("127.0.0.1", port))
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
        settings = conn.initiate_upgrade_connection()
        body = b"hello upgraded world"
        sock.sendall(b"POST /form HTTP/1.1\r\nHost: test.local\r\nContent-Length: " + str(len(body)).encode()
                     + b"\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: " + settings + b"\r\n\r\n" + body)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                print("closed before 101")
                sys.exit(1)
            received += chunk
        head, rest = received.split(b"\r\n\r\n", 1)
        print(head.split(b"\r\n")[0].decode())
        sock.sendall(conn.data_to_send())
        answers, ended = {}, set()
        def pump(data):
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    answers[event.stream_id] = [dict(event.headers)[b":status"].decode(), b""]
                elif isinstance(event, h2.events.DataReceived):
                    answers[event.stream_id][1] += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    ended.add(event.stream_id)
                elif isinstance(event, h2.events.StreamReset):
                    print("reset", event.stream_id, event.error_code)
                    sys.exit(1)
            sock.sendall(conn.data_to_send())
        if rest:
            pump(rest)
        while 1 not in ended:
            pump(sock.recv(65536))
        conn.send_headers(3, [(":method", "GET"), (":scheme", "http"), (":authority", "test.local"), (":path", "/second")], end_stream=True)
        sock.sendall(conn.data_to_send())
        while 3 not in ended:
            pump(sock.recv(65536))
        for stream_id in (1, 3):
            print(stream_id, answers[stream_id][0], answers[stream_id][1].decode())
        """;

    [Fact]
    public async Task CurlHttp2_OptionOn_UpgradedResponseIsHttp2_NoUpgradeForwarded()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("answer " + r.Target));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}", defaults: "    option h2c-upgrade"), port);

        var result = await Proxy.CurlAsync("--http2", "-w", "\n%{http_version} %{http_code}", Proxy.Url(port, "/up"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("answer /up\n2 200", result.StandardOutput);
        var request = Assert.Single(backend.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/up", request.Target);
        Assert.Equal("127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), request.Header("Host"));
        Assert.Empty(request.HeaderValues("Upgrade"));
        Assert.Empty(request.HeaderValues("HTTP2-Settings"));
        Assert.DoesNotContain("h2c", request.RawText, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task CurlHttp2_PostWithBody_BodyForwardedAsStreamOne()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("got " + r.BodyText));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}", frontend: "    option h2c-upgrade"), port);

        var result = await Proxy.CurlAsync("-v", "--http2", "-d", "name=value", "-w", "\n%{http_version} %{http_code}", Proxy.Url(port, "/post"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("HTTP/1.1 101 Switching Protocols", result.StandardError, StringComparison.Ordinal);
        Assert.Equal("got name=value\n2 200", result.StandardOutput);
        var request = Assert.Single(backend.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("name=value", request.BodyText);
        Assert.Equal("10", request.Header("Content-Length"));
    }

    [Fact]
    public async Task PythonH2_UpgradeWithBody_ThenSecondStreamOnSameConnection()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok(r.Method + " " + r.Target + " " + r.BodyText));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}", frontend: "    option h2c-upgrade"), port);

        var script = Path.Combine(Ports.TempDirectory(), "upgrade.py");
        await File.WriteAllTextAsync(script, UpgradeScript);
        var result = await CommandRunner.RunAsync("/usr/bin/python3", [script, port.ToString(CultureInfo.InvariantCulture)], timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\n1 200 POST /form hello upgraded world\n3 200 GET /second",
            result.StandardOutput.Trim().ReplaceLineEndings("\n"));
        Assert.Equal(2, backend.Requests.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no option h2c-upgrade")]
    public async Task CurlHttp2_OptionOff_ServedAsHttp11_TokenRemoved(string frontendLine)
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("plain"));
        var port = Ports.FreeListeningPort();
        var defaults = frontendLine.Length > 0 ? "    option h2c-upgrade" : string.Empty;
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}", frontend: "    " + frontendLine, defaults: defaults), port);

        var result = await Proxy.CurlAsync("-v", "--http2", "-w", "\n%{http_version} %{http_code}", Proxy.Url(port, "/off"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("plain\n1.1 200", result.StandardOutput);
        Assert.DoesNotContain("< HTTP/1.1 101", result.StandardError, StringComparison.Ordinal);
        var request = Assert.Single(backend.Requests);
        Assert.Empty(request.HeaderValues("Upgrade"));
        Assert.Empty(request.HeaderValues("HTTP2-Settings"));
    }

    [Fact]
    public async Task OptionOn_BindProtoH1_NotUpgraded()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("plain"));
        var port = Ports.FreeListeningPort();
        var config = Proxy.Config(port, $"server s1 {backend.Address}", frontend: "    option h2c-upgrade")
            .Replace($"bind 127.0.0.1:{port}", $"bind 127.0.0.1:{port} proto h1", StringComparison.Ordinal);
        await using var sluice = await Proxy.StartAsync(config, port);

        var result = await Proxy.CurlAsync("--http2", "-w", "\n%{http_version} %{http_code}", Proxy.Url(port, "/h1"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("plain\n1.1 200", result.StandardOutput);
    }

    [Fact]
    public async Task OptionOn_InvalidSettingValue_101ThenGoAwayFlowControlError_NothingForwarded()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("ok"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}", frontend: "    option h2c-upgrade"), port);

        // SETTINGS_INITIAL_WINDOW_SIZE 2^31: RFC 9113 §6.5.2, FLOW_CONTROL_ERROR.
        var settings = Convert.ToBase64String(Convert.FromHexString("000480000000")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var stream = socket.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            "GET /bad HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: " + settings + "\r\n\r\n"));
        using var reader = new MemoryStream();
        var buffer = new byte[4096];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int n;
        while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
        {
            reader.Write(buffer, 0, n);
        }

        var bytes = reader.ToArray();
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols\r\n", text, StringComparison.Ordinal);
        var frames = bytes.AsSpan(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4);

        // Our SETTINGS first, then GOAWAY(FLOW_CONTROL_ERROR) last.
        Assert.Equal(0x4, frames[3]);
        var types = new List<byte>();
        var goAwayCode = -1;
        while (frames.Length >= 9)
        {
            var length = (frames[0] << 16) | (frames[1] << 8) | frames[2];
            types.Add(frames[3]);
            if (frames[3] == 0x7)
            {
                goAwayCode = frames[9 + 7];
            }

            frames = frames[(9 + length)..];
        }

        Assert.Equal(0x7, types[^1]);
        Assert.Equal(3, goAwayCode);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task OptionOn_BodyLargerThanAStreamWindow_ServedAsHttp11()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("size " + r.Body.Length.ToString(CultureInfo.InvariantCulture)));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}", frontend: "    option h2c-upgrade"), port);

        var file = Path.Combine(Ports.TempDirectory(), "big.bin");
        await File.WriteAllBytesAsync(file, new byte[100_000]);
        var result = await Proxy.CurlAsync("--http2", "-H", "Expect:", "--data-binary", "@" + file, "-w", "\n%{http_version} %{http_code}", Proxy.Url(port, "/big"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("size 100000\n1.1 200", result.StandardOutput);
    }
}
