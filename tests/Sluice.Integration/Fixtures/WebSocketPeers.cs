using System.Globalization;
using System.Text.Json;

namespace Sluice.Integration.Fixtures;

/// <summary>Where the python peers are: Peers/*.py beside the test assembly, run with Debian's /usr/bin/python3.</summary>
internal static class PythonPeers
{
    /// <summary>Debian's python, which has python3-websockets (not the first python3 on PATH).</summary>
    public const string Python = "/usr/bin/python3";

    public static string Script(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Peers", name);
        return File.Exists(path) ? path : throw new FileNotFoundException("peer script missing beside the tests (Peers/ in the csproj)", path);
    }

    public static void RequireWebsockets()
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is required: install the Debian package 'python3-websockets' (scripts/test.sh does)");
        }
    }
}

/// <summary>One handshake the echo server accepted: the request path and headers as they arrived.</summary>
internal sealed record WebSocketHandshake(string Path, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The first value of a header, or null.</summary>
    public string? Header(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();
}

/// <summary>
/// A websocket echo server (Peers/ws_echo_server.py, python3-websockets) on a free loopback port: every message
/// comes back as it was sent. It reports each handshake (path and headers) and each closed connection (messages
/// echoed, close code). Stopped by its PID at dispose.
/// </summary>
internal sealed class WebSocketEchoServer : IAsyncDisposable
{
    private readonly PeerProcess _process;

    private WebSocketEchoServer(PeerProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The address as a server line writes it.</summary>
    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public int ProcessId => _process.ProcessId;

    /// <summary>The server's output: <c>ready PORT</c>, <c>open {json}</c>, <c>close {json}</c>.</summary>
    public LineCollector Output => _process.Output;

    public string Url(string path = "/") => "ws://" + Address + path;

    /// <param name="subprotocol">A subprotocol the server accepts when a client offers it.</param>
    public static async Task<WebSocketEchoServer> StartAsync(string? subprotocol = null)
    {
        PythonPeers.RequireWebsockets();
        for (var attempt = 1; ; attempt++)
        {
            var port = Ports.FreeListeningPort();
            List<string> arguments = ["-u", PythonPeers.Script("ws_echo_server.py"), port.ToString(CultureInfo.InvariantCulture)];
            if (subprotocol is not null)
            {
                arguments.AddRange(["--subprotocol", subprotocol]);
            }

            var process = PeerProcess.Start(PythonPeers.Python, arguments);
            try
            {
                await process.WaitForLineAsync(l => l.StartsWith("ready ", StringComparison.Ordinal));
                return new WebSocketEchoServer(process, port);
            }
            catch (InvalidOperationException) when (attempt < 5 && process.Output.Text.Contains("cannot listen", StringComparison.Ordinal))
            {
                await process.DisposeAsync();
            }
            catch
            {
                await process.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Waits until <paramref name="count"/> handshakes have been accepted, and returns them all.</summary>
    public async Task<IReadOnlyList<WebSocketHandshake>> WaitForHandshakesAsync(int count = 1)
    {
        var lines = await Output.WaitForAsync(l => l.StartsWith("open ", StringComparison.Ordinal), count);
        return [.. lines.Select(ParseOpen)];
    }

    /// <summary>Waits until <paramref name="count"/> connections have ended; returns (messages echoed, close code) of each.</summary>
    public async Task<IReadOnlyList<(int Messages, int? Code)>> WaitForClosedAsync(int count = 1)
    {
        var lines = await Output.WaitForAsync(l => l.StartsWith("close ", StringComparison.Ordinal), count);
        return [.. lines.Select(l =>
        {
            using var json = JsonDocument.Parse(l["close ".Length..]);
            var code = json.RootElement.GetProperty("code");
            return (json.RootElement.GetProperty("messages").GetInt32(), code.ValueKind == JsonValueKind.Number ? code.GetInt32() : (int?)null);
        })];
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static WebSocketHandshake ParseOpen(string line)
    {
        using var json = JsonDocument.Parse(line["open ".Length..]);
        var headers = json.RootElement.GetProperty("headers").EnumerateArray()
            .Select(h => new KeyValuePair<string, string>(h[0].GetString()!, h[1].GetString()!)).ToList();
        return new WebSocketHandshake(json.RootElement.GetProperty("path").GetString()!, headers);
    }
}

/// <summary>What the websocket client did: exit code 0 and <c>ok N</c> when every echo matched.</summary>
internal sealed record WebSocketClientResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"exit {ExitCode}: {Output.Trim()} {Error.Trim()}".Trim();
}

/// <summary>Options of one <see cref="WebSocketClient"/> run.</summary>
internal sealed record WebSocketClientOptions
{
    /// <summary>Size of each message in bytes (text messages are hexadecimal digits).</summary>
    public int MessageBytes { get; init; } = 32;

    public bool Binary { get; init; }

    /// <summary>Offer permessage-deflate (off by default: the frames carry the messages as they are).</summary>
    public bool Deflate { get; init; }

    /// <summary>A subprotocol to offer; the run fails unless the server selects it.</summary>
    public string? Subprotocol { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>Bound of the whole run inside the client (exit 4 when exceeded).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// A websocket client (Peers/ws_client.py, python3-websockets) run to completion: connects to a URL, sends N
/// numbered messages one at a time and checks each echo. Exit 0 and <c>ok N</c> on success; 1 on a mismatch, a
/// refused handshake or a lost connection; 4 on its own timeout.
/// </summary>
internal static class WebSocketClient
{
    public static async Task<WebSocketClientResult> RunAsync(string url, int messages, WebSocketClientOptions? options = null)
    {
        PythonPeers.RequireWebsockets();
        options ??= new WebSocketClientOptions();
        List<string> arguments =
        [
            "-u", PythonPeers.Script("ws_client.py"), url, messages.ToString(CultureInfo.InvariantCulture),
            "--size", options.MessageBytes.ToString(CultureInfo.InvariantCulture),
            "--timeout", options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        ];
        if (options.Binary)
        {
            arguments.Add("--binary");
        }

        if (options.Deflate)
        {
            arguments.Add("--deflate");
        }

        if (options.Subprotocol is not null)
        {
            arguments.AddRange(["--subprotocol", options.Subprotocol]);
        }

        foreach (var (name, value) in options.Headers)
        {
            arguments.AddRange(["--header", name + ":" + value]);
        }

        var result = await Sluice.TestKit.Processes.CommandRunner.RunAsync(PythonPeers.Python, arguments, timeout: options.Timeout + TimeSpan.FromSeconds(10));
        return new WebSocketClientResult(result.ExitCode, result.StandardOutput, result.StandardError);
    }
}
