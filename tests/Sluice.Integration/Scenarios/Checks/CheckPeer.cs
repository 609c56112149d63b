using System.Globalization;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// A python HTTP server in its own process, answering every request with one status and its name as the body,
/// and printing each request line and Host header (so a test sees what the checks sent). It can be killed and
/// started again on the same port.
/// </summary>
internal sealed class CheckPeer : IAsyncDisposable
{
    private const string Script = """
        import sys, http.server
        port, code, name = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode()
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per response: headers and body in separate segments meet delayed ACKs (40 ms each).
            wbufsize = 65536
            def do_GET(self):
                print("REQ", self.command, self.path, self.request_version, "host=%s" % self.headers.get("Host"), flush=True)
                self.send_response(code)
                self.send_header("Content-Length", str(len(name)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(name)
            do_OPTIONS = do_GET
            do_HEAD = do_GET
            def log_message(self, *args):
                pass
            def handle(self):
                try:
                    super().handle()
                except ConnectionError:
                    pass
        class S(http.server.ThreadingHTTPServer):
            allow_reuse_address = True
            daemon_threads = True
        server = S(("127.0.0.1", port), H)
        print("READY", flush=True)
        server.serve_forever()
        """;

    private readonly int _status;
    private readonly string _name;
    private PeerProcess? _process;

    private CheckPeer(int port, int status, string name)
    {
        Port = port;
        _status = status;
        _name = name;
    }

    public int Port { get; }

    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public LineCollector Output => _process!.Output;

    /// <summary>Starts a peer on a free port (another if that one was taken meanwhile).</summary>
    public static async Task<CheckPeer> StartAsync(string name, int status = 200)
    {
        for (var attempt = 0; ; attempt++)
        {
            var peer = new CheckPeer(Ports.FreeListeningPort(), status, name);
            try
            {
                await peer.RestartAsync();
                return peer;
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                await peer.DisposeAsync();
            }
        }
    }

    /// <summary>Starts the program (again) on its port and waits until it listens.</summary>
    public async Task RestartAsync()
    {
        _process = PeerProcess.Start("/usr/bin/python3", ["-c", Script, Port.ToString(CultureInfo.InvariantCulture), _status.ToString(CultureInfo.InvariantCulture), _name]);
        await _process.WaitForLineAsync(l => l == "READY").WaitAsync(TestTimeout.Value);
    }

    /// <summary>Kills the program, by its id: the port refuses connections from then on.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public ValueTask DisposeAsync() => _process?.DisposeAsync() ?? ValueTask.CompletedTask;
}
