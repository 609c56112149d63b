using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>One response as a raw client read it: status line, headers in order, body without its transfer coding.</summary>
internal sealed record RawResponse(int Status, string StatusLine, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Body, string Head)
{
    public string BodyText => Encoding.Latin1.GetString(Body);

    public IReadOnlyList<string> HeaderValues(string name) =>
        [.. Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)];

    public string? Header(string name) => HeaderValues(name) is [var first, ..] ? first : null;

    /// <summary>True when a <c>Connection</c> header lists <paramref name="token"/>.</summary>
    public bool ConnectionHas(string token) => HeaderValues("Connection")
        .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        .Any(t => string.Equals(t, token, StringComparison.OrdinalIgnoreCase));

    public override string ToString() => Head + BodyText;
}

/// <summary>
/// A client connection that writes raw bytes and reads HTTP/1.1 responses one by one (Content-Length, chunked or
/// until close), keeping any bytes that arrived after a response for the next read.
/// </summary>
internal sealed class RawHttpConnection : IDisposable
{
    private readonly byte[] _buffer = new byte[65536];
    private readonly MemoryStream _pending = new();

    private RawHttpConnection(Socket socket)
    {
        Socket = socket;
    }

    public Socket Socket { get; }

    /// <summary>Every byte read so far (Latin-1).</summary>
    public StringBuilder Transcript { get; } = new();

    public static async Task<RawHttpConnection> ConnectAsync(int port) => new(await TestClient.ConnectTcpAsync(port));

    public async Task SendAsync(string text) => await Socket.SendAsync(Encoding.Latin1.GetBytes(text), SocketFlags.None, TestTimeout.Token());

    public async Task SendAsync(byte[] bytes) => await Socket.SendAsync(bytes, SocketFlags.None, TestTimeout.Token());

    /// <summary>Reads one response (an interim 1xx is returned as a response of its own); null when the connection
    /// closed before the first byte of a response.</summary>
    public async Task<RawResponse?> ReadResponseAsync(bool forHead = false, CancellationToken token = default)
    {
        if (token == default)
        {
            token = TestTimeout.Token();
        }

        int headEnd;
        while ((headEnd = IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (!await FillAsync(token))
            {
                if (_pending.Length == 0)
                {
                    return null;
                }

                throw new IOException("connection closed in the middle of a response head: " + Encoding.Latin1.GetString(_pending.ToArray()));
            }
        }

        var head = Encoding.Latin1.GetString(Take(headEnd + 4));
        var lines = head[..^4].Split("\r\n");
        var statusLine = lines[0];
        var parts = statusLine.Split(' ', 3);
        var status = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers.Add(new(line[..colon], line[(colon + 1)..].Trim()));
        }

        var response = new RawResponse(status, statusLine, headers, [], head);
        if (status < 200 || status == 204 || status == 304 || forHead)
        {
            return response;
        }

        var body = new MemoryStream();
        if (response.Header("Transfer-Encoding") is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var sizeLine = await ReadLineAsync(token);
                var size = Convert.ToInt64(sizeLine.Split(';')[0].Trim(), 16);
                if (size == 0)
                {
                    while ((await ReadLineAsync(token)).Length > 0)
                    {
                    }

                    break;
                }

                body.Write(await ReadExactlyAsync(size, token));
                await ReadLineAsync(token);
            }
        }
        else if (response.Header("Content-Length") is { } cl)
        {
            body.Write(await ReadExactlyAsync(long.Parse(cl, CultureInfo.InvariantCulture), token));
        }
        else if (status != 101)
        {
            while (await FillAsync(token))
            {
            }

            body.Write(Take((int)_pending.Length));
        }

        return response with { Body = body.ToArray() };
    }

    /// <summary>Reads until the peer closes; returns what came (Latin-1), including bytes already buffered.</summary>
    public async Task<string> ReadToEndAsync(CancellationToken token = default)
    {
        if (token == default)
        {
            token = TestTimeout.Token();
        }

        while (await FillAsync(token))
        {
        }

        return Encoding.Latin1.GetString(Take((int)_pending.Length));
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes, as text.</summary>
    public async Task<string> ReadTextAsync(int count) => Encoding.Latin1.GetString(await ReadExactlyAsync(count, TestTimeout.Token()));

    /// <summary>
    /// Waits up to <paramref name="within"/> for the peer to close (FIN or reset). Returns the bytes that came
    /// before the close, or null if the connection was still open at the end of the wait.
    /// </summary>
    public async Task<string?> WaitClosedAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        try
        {
            return await ReadToEndAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        Socket.Dispose();
        _pending.Dispose();
    }

    private int IndexOf(ReadOnlySpan<byte> value) => _pending.GetBuffer().AsSpan(0, (int)_pending.Length).IndexOf(value);

    private byte[] Take(int count)
    {
        var all = _pending.ToArray();
        _pending.SetLength(0);
        _pending.Write(all, count, all.Length - count);
        return all[..count];
    }

    private async Task<bool> FillAsync(CancellationToken token)
    {
        int read;
        try
        {
            read = await Socket.ReceiveAsync(_buffer, SocketFlags.None, token);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset)
        {
            return false;
        }

        if (read == 0)
        {
            return false;
        }

        _pending.Write(_buffer, 0, read);
        Transcript.Append(Encoding.Latin1.GetString(_buffer, 0, read));
        return true;
    }

    private async Task<string> ReadLineAsync(CancellationToken token)
    {
        int end;
        while ((end = IndexOf("\r\n"u8)) < 0)
        {
            if (!await FillAsync(token))
            {
                throw new IOException("connection closed in the middle of a line");
            }
        }

        var line = Encoding.Latin1.GetString(Take(end));
        Take(2);
        return line;
    }

    private async Task<byte[]> ReadExactlyAsync(long count, CancellationToken token)
    {
        while (_pending.Length < count)
        {
            if (!await FillAsync(token))
            {
                throw new IOException($"connection closed after {_pending.Length} of {count} body bytes");
            }
        }

        return Take((int)count);
    }
}

internal static class Http
{
    /// <summary>A configuration with one frontend on <paramref name="port"/> and one backend <c>be</c>.</summary>
    public static string Config(int port, string servers, string frontend = "", string backend = "", string defaults = "", string extra = "") => $"""
        global
            maxconn 200
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        {defaults}
        frontend fe
            bind 127.0.0.1:{port}
        {frontend}
            default_backend be
        backend be
        {backend}
        {servers}
        {extra}
        """;

    public static async Task<ISluiceInstance> StartAsync(string config, int port) =>
        await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port));

    public static async Task<CommandResult> CurlAsync(params string[] arguments) =>
        await CommandRunner.RunAsync(CommandRunner.Require("curl", "curl"), ["-sS", "--max-time", "60", .. arguments], timeout: TimeSpan.FromSeconds(90));

    public static string Url(int port, string path) => "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + path;

    /// <summary>A simple GET with a Host header.</summary>
    public static string Get(string path = "/", string extraHeaders = "", string version = "HTTP/1.1") =>
        $"GET {path} {version}\r\nHost: test.local\r\n{extraHeaders}\r\n";

    /// <summary>The resident set size of a process, in bytes (VmRSS of /proc/PID/status).</summary>
    public static long ResidentBytes(int processId)
    {
        foreach (var line in File.ReadLines($"/proc/{processId}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("no VmRSS for " + processId);
    }

    /// <summary>Samples the RSS of a process every 50 ms until <paramref name="token"/> is cancelled; returns the peak.</summary>
    public static async Task<long> PeakResidentBytesAsync(int processId, CancellationToken token)
    {
        long peak = 0;
        while (!token.IsCancellationRequested)
        {
            peak = Math.Max(peak, ResidentBytes(processId));
            try
            {
                await Task.Delay(50, token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return Math.Max(peak, ResidentBytes(processId));
    }

    /// <summary>The `-d` transaction lines of frontend fe (readiness probes excluded: they have no request line).</summary>
    public static IReadOnlyList<string> Lines(ISluiceInstance sluice) =>
        [.. sluice.Output.Lines.Where(l => l.Contains("[fe]", StringComparison.Ordinal) && l.Contains(" retries=", StringComparison.Ordinal) && !l.Contains("<BADREQ>", StringComparison.Ordinal))];

    public static async Task<string> WaitLineAsync(ISluiceInstance sluice, Func<string, bool> match) =>
        (await sluice.Output.WaitForAsync(l => l.Contains(" retries=", StringComparison.Ordinal) && match(l)))[^1];

    /// <summary>A listening socket nobody accepts on, with its queue full: connecting to it hangs (Linux drops the SYNs).</summary>
    public static async Task<(Socket Listener, List<Socket> Fillers, int Port)> BlackholeAsync()
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        for (var i = 0; i < 16; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            try
            {
                await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
                fillers.Add(filler);
            }
            catch (OperationCanceledException)
            {
                filler.Dispose();
                return (listener, fillers, port);
            }
        }

        throw new InvalidOperationException("could not fill the accept queue of a backlog-0 listener");
    }

    public static string HaproxyError(int status, string reason, string text) =>
        $"<html><body><h1>{status} {reason}</h1>\n{text}\n</body></html>\n";
}
