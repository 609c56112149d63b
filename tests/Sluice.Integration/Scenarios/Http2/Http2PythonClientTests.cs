using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>The python-h2 library as a client: request trailers and a body sent as its flow control allows.</summary>
public class Http2PythonClientTests
{
    // Sends a POST whose body ends with trailers, then prints the status and the body of the answer.
    private const string Script = """
        import socket, sys
        import h2.connection, h2.config, h2.events
        port, size = int(sys.argv[1]), int(sys.argv[2])
        sock = socket.create_connection(("127.0.0.1", port))
        conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        conn.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":authority", "test.local"), (":path", "/trailers")])
        body = b"x" * size
        status, answer, done = None, b"", False
        while not done:
            while body and conn.local_flow_control_window(1) > 0:
                n = min(len(body), conn.local_flow_control_window(1), conn.max_outbound_frame_size)
                conn.send_data(1, body[:n])
                body = body[n:]
                if not body:
                    conn.send_headers(1, [("x-checksum", "abc")], end_stream=True)
            sock.sendall(conn.data_to_send())
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    status = dict(event.headers)[b":status"].decode()
                elif isinstance(event, h2.events.DataReceived):
                    answer += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, h2.events.StreamEnded):
                    done = True
                elif isinstance(event, h2.events.StreamReset):
                    print("reset", event.error_code)
                    done = True
        print(status, answer.decode())
        """;

    [Fact]
    public async Task PythonH2_PostWithTrailers_ServerGetsChunkedBodyAndTrailer()
    {
        await using var backend = RecordingBackend.Start(r => CannedResponse.Ok("got " + r.Body.Length.ToString(CultureInfo.InvariantCulture)));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 {backend.Address}"), port);

        var script = Path.Combine(Ports.TempDirectory(), "client.py");
        await File.WriteAllTextAsync(script, Script);
        var result = await CommandRunner.RunAsync("/usr/bin/python3", [script, port.ToString(CultureInfo.InvariantCulture), "300000"], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Equal("200 got 300000", result.StandardOutput.Trim());
        var request = Assert.Single(backend.Connections.SelectMany(c => c.Requests));
        Assert.Equal("POST", request.Method);
        Assert.True(request.Chunked);
        Assert.Equal(300000, request.Body.Length);
        Assert.Contains(request.Trailers, t => t.Key.Equals("x-checksum", StringComparison.OrdinalIgnoreCase) && t.Value == "abc");
    }
}
