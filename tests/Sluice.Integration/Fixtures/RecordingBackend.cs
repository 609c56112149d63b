using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sluice.Integration.Fixtures;

/// <summary>What the <see cref="RecordingBackend"/> does with a connection after sending a response.</summary>
internal enum AfterResponse
{
    /// <summary>Keep the connection and read the next request.</summary>
    KeepOpen,

    /// <summary>Send FIN (shutdown of the sending side); keep recording what arrives until the peer closes.</summary>
    Close,

    /// <summary>Close with a TCP reset (linger 0).</summary>
    Reset,

    /// <summary>Stop parsing and answering; keep recording every byte that arrives (after a 101, say).</summary>
    StopParsing,
}

/// <summary>
/// Bytes the <see cref="RecordingBackend"/> sends for one request, sent as they are (malformed on purpose if need
/// be), after <paramref name="Delay"/>; then <paramref name="Next"/> if any (an interim response, or the rest of a
/// response after a pause); the last part's <paramref name="After"/> decides what happens to the connection.
/// </summary>
internal sealed record CannedResponse(byte[] Bytes, AfterResponse After = AfterResponse.KeepOpen, TimeSpan Delay = default, CannedResponse? Next = null)
{
    /// <summary>The text as bytes, one byte per char (Latin-1), so that any octet can be written as \u00XX.</summary>
    public static CannedResponse Raw(string text, AfterResponse after = AfterResponse.KeepOpen) => new(Encoding.Latin1.GetBytes(text), after);

    /// <summary>A well-formed response with a Content-Length (no body when <paramref name="forHead"/>).</summary>
    public static CannedResponse Ok(string body = "ok", int status = 200, string reason = "OK", bool forHead = false, params string[] headers)
    {
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n");
        foreach (var header in headers)
        {
            head.Append(header).Append("\r\n");
        }

        head.Append("\r\n");
        return new CannedResponse([.. Encoding.ASCII.GetBytes(head.ToString()), .. forHead ? [] : Encoding.UTF8.GetBytes(body)]);
    }

    /// <summary>This response, then <paramref name="next"/> after <paramref name="pause"/>.</summary>
    public CannedResponse Then(CannedResponse next, TimeSpan pause = default) =>
        this with { Next = Next is null ? next with { Delay = pause } : Next.Then(next, pause) };
}

/// <summary>One request as the backend parsed it.</summary>
internal sealed class RecordedRequest
{
    public required int ConnectionIndex { get; init; }

    /// <summary>0 for the first request of its connection.</summary>
    public required int Index { get; init; }

    public required string Method { get; init; }

    public required string Target { get; init; }

    public required string Version { get; init; }

    /// <summary>Header fields in order, as received (names keep their case).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }

    /// <summary>The body after removing the chunked coding if any.</summary>
    public required byte[] Body { get; init; }

    public required bool Chunked { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Trailers { get; init; }

    /// <summary>The bytes of this request exactly as received: head, then body in its transfer coding.</summary>
    public required byte[] Raw { get; init; }

    public string BodyText => Encoding.Latin1.GetString(Body);

    public string RawText => Encoding.Latin1.GetString(Raw);

    /// <summary>The values of a header, in order.</summary>
    public IReadOnlyList<string> HeaderValues(string name) =>
        [.. Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)];

    /// <summary>The first value of a header, or null.</summary>
    public string? Header(string name) => HeaderValues(name) is [var first, ..] ? first : null;

    public override string ToString() => $"#{ConnectionIndex}.{Index} {Method} {Target} {Version}";
}

/// <summary>Everything one connection brought.</summary>
internal sealed class RecordedConnection
{
    private readonly Lock _lock = new();
    private readonly MemoryStream _received = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _parseError;

    public RecordedConnection(int index, IPEndPoint peer)
    {
        Index = index;
        Peer = peer;
    }

    public int Index { get; }

    /// <summary>The address the connection came from (the proxy's side).</summary>
    public IPEndPoint Peer { get; }

    /// <summary>Every byte received so far, in order.</summary>
    public byte[] Received
    {
        get
        {
            lock (_lock)
            {
                return _received.ToArray();
            }
        }
    }

    public string ReceivedText => Encoding.Latin1.GetString(Received);

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Why parsing stopped on this connection (malformed request, closed mid-request), or null.</summary>
    public string? ParseError
    {
        get
        {
            lock (_lock)
            {
                return _parseError;
            }
        }
    }

    /// <summary>Completes when the peer has closed (or reset) the connection, or the backend closed it.</summary>
    public Task Ended => _ended.Task;

    internal long Length
    {
        get
        {
            lock (_lock)
            {
                return _received.Length;
            }
        }
    }

    internal void Append(ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            _received.Write(data);
        }
    }

    internal byte[] Slice(long start, long end)
    {
        lock (_lock)
        {
            return _received.GetBuffer().AsSpan((int)start, (int)(end - start)).ToArray();
        }
    }

    internal void Add(RecordedRequest request)
    {
        lock (_lock)
        {
            _requests.Add(request);
        }
    }

    internal void Fail(string reason)
    {
        lock (_lock)
        {
            _parseError ??= reason;
        }
    }

    internal void End() => _ended.TrySetResult();
}

/// <summary>
/// A raw TCP HTTP/1.1 backend in C# that records every byte each connection brings and answers each request with
/// bytes of the test's choosing. It parses just enough to split requests: the head up to CRLFCRLF, then a body by
/// Content-Length or the chunked coding (a request with neither has no body). The responder sees each whole request
/// and returns the bytes to send (anything, malformed on purpose: two Content-Length, a 101 without
/// Sec-WebSocket-Accept, a body cut short...) and what to do next; null closes the connection without an answer.
/// A head that cannot be parsed stops the parsing of that connection (see <see cref="RecordedConnection.ParseError"/>);
/// its bytes are still recorded. Used to check what reaches a server (a smuggled request must not) and to script
/// bad server behaviour.
/// </summary>
internal sealed class RecordingBackend : IAsyncDisposable
{
    private const int MaxHead = 64 * 1024;

    private readonly Socket _listener;
    private readonly Func<RecordedRequest, Task<CannedResponse?>> _respond;
    private readonly bool _sendContinue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<RecordedConnection> _connections = [];
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<Task> _running = [];
    private readonly Task _loop;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RecordingBackend(Socket listener, Func<RecordedRequest, Task<CannedResponse?>> respond, bool sendContinue)
    {
        _listener = listener;
        _respond = respond;
        _sendContinue = sendContinue;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>The address as a server line writes it.</summary>
    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public IReadOnlyList<RecordedConnection> Connections
    {
        get
        {
            lock (_lock)
            {
                return [.. _connections];
            }
        }
    }

    /// <summary>Every parsed request of every connection, in the order they were complete.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Everything received on every connection, one connection after the other (Latin-1).</summary>
    public string AllReceivedText => string.Concat(Connections.Select(c => c.ReceivedText));

    /// <summary>Answers every request with <c>200 OK</c> and the body <c>ok</c> (no body for HEAD).</summary>
    public static RecordingBackend Start() => Start(r => CannedResponse.Ok(forHead: r.Method == "HEAD"));

    /// <param name="respond">Chooses the bytes for each request; null closes the connection without an answer.</param>
    /// <param name="sendContinue">Send <c>100 Continue</c> before reading the body of a request with <c>Expect: 100-continue</c>.</param>
    public static RecordingBackend Start(Func<RecordedRequest, CannedResponse?> respond, bool sendContinue = true) =>
        Start(r => Task.FromResult(respond(r)), sendContinue);

    public static RecordingBackend Start(Func<RecordedRequest, Task<CannedResponse?>> respond, bool sendContinue = true)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(512);
        return new RecordingBackend(socket, respond, sendContinue);
    }

    /// <summary>Waits until <paramref name="count"/> requests have been parsed; returns them all.</summary>
    public Task<IReadOnlyList<RecordedRequest>> WaitForRequestsAsync(int count = 1) =>
        WaitAsync(() => Requests is var r && r.Count >= count ? r : null, () => $"expected {count} requests, saw {Requests.Count}:\n{AllReceivedText}");

    /// <summary>Waits until <paramref name="count"/> connections have been accepted; returns them all.</summary>
    public Task<IReadOnlyList<RecordedConnection>> WaitForConnectionsAsync(int count = 1) =>
        WaitAsync(() => Connections is var c && c.Count >= count ? c : null, () => $"expected {count} connections, saw {Connections.Count}");

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _loop;
        Task[] running;
        lock (_lock)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).WaitAsync(TestTimeout.Value).ContinueWith(_ => { });
        _stop.Dispose();
    }

    private async Task<T> WaitAsync<T>(Func<T?> check, Func<string> describe)
        where T : class
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
            }

            if (check() is { } done)
            {
                return done;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException(describe());
            }

            await Task.WhenAny(changed, Task.Delay(left));
        }
    }

    private void Changed()
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (_lock)
            {
                var connection = new RecordedConnection(_connections.Count, (IPEndPoint)client.RemoteEndPoint!);
                _connections.Add(connection);
                _running.Add(Task.Run(() => RunAsync(client, connection)));
            }

            Changed();
        }
    }

    private async Task RunAsync(Socket socket, RecordedConnection connection)
    {
        var reader = new Reader(socket, connection, Changed, _stop.Token);
        try
        {
            var parsing = true;
            for (var index = 0; parsing; index++)
            {
                var request = await ReadRequestAsync(reader, socket, connection, index);
                if (request is null)
                {
                    break;
                }

                connection.Add(request);
                lock (_lock)
                {
                    _requests.Add(request);
                }

                Changed();
                var response = await _respond(request);
                if (response is null)
                {
                    socket.Shutdown(SocketShutdown.Send);
                    break;
                }

                var after = AfterResponse.KeepOpen;
                for (var part = response; part is not null; part = part.Next)
                {
                    if (part.Delay > TimeSpan.Zero)
                    {
                        await Task.Delay(part.Delay, _stop.Token);
                    }

                    await socket.SendAsync(part.Bytes, SocketFlags.None, _stop.Token);
                    after = part.After;
                }

                switch (after)
                {
                    case AfterResponse.Close:
                        socket.Shutdown(SocketShutdown.Send);
                        parsing = false;
                        break;
                    case AfterResponse.Reset:
                        socket.LingerState = new LingerOption(true, 0);
                        socket.Close();
                        return;
                    case AfterResponse.StopParsing:
                        parsing = false;
                        break;
                }
            }

            // Parsing is over: keep recording until the peer closes.
            while (await reader.FillAsync())
            {
                reader.ConsumeAll();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            socket.Dispose();
            connection.End();
            Changed();
        }
    }

    private async Task<RecordedRequest?> ReadRequestAsync(Reader reader, Socket socket, RecordedConnection connection, int index)
    {
        // Empty lines before a request line are allowed (RFC 9112 2.2).
        int headEnd;
        while (true)
        {
            while (reader.Available >= 2 && reader.Peek(0) == '\r' && reader.Peek(1) == '\n')
            {
                reader.Consume(2);
            }

            headEnd = reader.IndexOf("\r\n\r\n"u8);
            if (headEnd >= 0)
            {
                break;
            }

            if (reader.Available > MaxHead)
            {
                connection.Fail("request head longer than 64 KiB");
                return null;
            }

            if (!await reader.FillAsync())
            {
                if (reader.Available > 0)
                {
                    connection.Fail("closed in the middle of a request head");
                }

                return null;
            }
        }

        var start = reader.Consumed;
        var head = Encoding.Latin1.GetString(reader.Take(headEnd + 4));
        var lines = head[..^4].Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3)
        {
            connection.Fail("bad request line: " + lines[0]);
            return null;
        }

        var headers = new List<KeyValuePair<string, string>>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || line[0] is ' ' or '\t')
            {
                connection.Fail("bad header line: " + line);
                return null;
            }

            headers.Add(new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        string? Values(string name) => headers.Any(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase))
            ? string.Join(",", headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value))
            : null;

        var transferEncoding = Values("Transfer-Encoding");
        var contentLength = Values("Content-Length");
        var chunked = false;
        long length = 0;
        if (transferEncoding is not null)
        {
            var codings = transferEncoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (codings.Length == 0 || !string.Equals(codings[^1], "chunked", StringComparison.OrdinalIgnoreCase))
            {
                connection.Fail("Transfer-Encoding without chunked last: " + transferEncoding);
                return null;
            }

            chunked = true;
        }
        else if (contentLength is not null)
        {
            var values = contentLength.Split(',', StringSplitOptions.TrimEntries).Distinct().ToList();
            if (values.Count != 1 || !long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out length))
            {
                connection.Fail("bad Content-Length: " + contentLength);
                return null;
            }
        }

        if (_sendContinue && (chunked || length > 0) && string.Equals(Values("Expect"), "100-continue", StringComparison.OrdinalIgnoreCase))
        {
            await socket.SendAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), SocketFlags.None, _stop.Token);
        }

        var body = new MemoryStream();
        var trailers = new List<KeyValuePair<string, string>>();
        if (chunked)
        {
            while (true)
            {
                var sizeLine = await reader.ReadLineAsync();
                if (sizeLine is null)
                {
                    connection.Fail("closed in the middle of a chunked body");
                    return null;
                }

                var sizeText = sizeLine.Split(';')[0].Trim(' ', '\t');
                if (!long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                {
                    connection.Fail("bad chunk size line: " + sizeLine);
                    return null;
                }

                if (size == 0)
                {
                    while (true)
                    {
                        var trailer = await reader.ReadLineAsync();
                        if (trailer is null)
                        {
                            connection.Fail("closed in the trailers");
                            return null;
                        }

                        if (trailer.Length == 0)
                        {
                            break;
                        }

                        var colon = trailer.IndexOf(':', StringComparison.Ordinal);
                        trailers.Add(colon > 0 ? new(trailer[..colon], trailer[(colon + 1)..].Trim()) : new(trailer, string.Empty));
                    }

                    break;
                }

                if (!await reader.CopyAsync(body, size) || await reader.ReadLineAsync() is not "")
                {
                    connection.Fail("chunk data cut short or not followed by CRLF");
                    return null;
                }
            }
        }
        else if (length > 0 && !await reader.CopyAsync(body, length))
        {
            connection.Fail($"closed after {body.Length} of {length} body bytes");
            return null;
        }

        return new RecordedRequest
        {
            ConnectionIndex = connection.Index,
            Index = index,
            Method = requestLine[0],
            Target = requestLine[1],
            Version = requestLine[2],
            Headers = headers,
            Body = body.ToArray(),
            Chunked = chunked,
            Trailers = trailers,
            Raw = connection.Slice(start, reader.Consumed),
        };
    }

    /// <summary>Reads from the socket into a window; every byte read is appended to the connection's record.</summary>
    private sealed class Reader(Socket socket, RecordedConnection connection, Action changed, CancellationToken token)
    {
        private byte[] _buffer = new byte[16384];
        private int _start;
        private int _end;

        public int Available => _end - _start;

        /// <summary>Bytes taken out of the window so far: the offset in the connection's record of the next byte.</summary>
        public long Consumed => connection.Length - Available;

        public byte Peek(int offset) => _buffer[_start + offset];

        public int IndexOf(ReadOnlySpan<byte> value) => _buffer.AsSpan(_start, Available).IndexOf(value);

        public void Consume(int count) => _start += count;

        public void ConsumeAll() => _start = _end;

        public byte[] Take(int count)
        {
            var result = _buffer.AsSpan(_start, count).ToArray();
            _start += count;
            return result;
        }

        public async Task<bool> FillAsync()
        {
            if (_start > 0)
            {
                Array.Copy(_buffer, _start, _buffer, 0, Available);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            int read;
            try
            {
                read = await socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, token);
            }
            catch (SocketException)
            {
                return false;
            }

            if (read == 0)
            {
                return false;
            }

            connection.Append(_buffer.AsSpan(_end, read));
            _end += read;
            changed();
            return true;
        }

        /// <summary>A line without its CRLF, or null if the connection ends first.</summary>
        public async Task<string?> ReadLineAsync()
        {
            while (true)
            {
                var end = IndexOf("\r\n"u8);
                if (end >= 0)
                {
                    var line = Encoding.Latin1.GetString(Take(end));
                    Consume(2);
                    return line;
                }

                if (Available > MaxHead || !await FillAsync())
                {
                    return null;
                }
            }
        }

        public async Task<bool> CopyAsync(Stream destination, long count)
        {
            while (count > 0)
            {
                if (Available == 0 && !await FillAsync())
                {
                    return false;
                }

                var take = (int)Math.Min(count, Available);
                destination.Write(_buffer, _start, take);
                _start += take;
                count -= take;
            }

            return true;
        }
    }
}
