using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>One HTTP response as a raw client read it.</summary>
internal sealed class RigResponse
{
    public required int Status { get; init; }

    public required string Head { get; init; }

    public required IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; }

    /// <summary>The body after removing the chunked coding if any (Latin-1).</summary>
    public required string Body { get; init; }

    public required bool Chunked { get; init; }

    public IReadOnlyList<string> HeaderValues(string name) =>
        [.. Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value)];

    public string? Header(string name) => HeaderValues(name) is [var first, ..] ? first : null;

    /// <summary>True when a `Connection` field of the response holds the `close` token.</summary>
    public bool SaysClose => HeaderValues("connection").Any(v => v.Split(',').Any(t => string.Equals(t.Trim(), "close", StringComparison.OrdinalIgnoreCase)));

    public override string ToString() => Head + Body;
}

/// <summary>What a raw client saw on one connection: the responses, in order, and whether the proxy closed.</summary>
internal sealed class RawAnswers
{
    public required IReadOnlyList<RigResponse> Responses { get; init; }

    /// <summary>The proxy closed the connection (FIN or reset) after the responses.</summary>
    public required bool Closed { get; init; }

    /// <summary>Every byte received (Latin-1).</summary>
    public required string Raw { get; init; }

    /// <summary>Bytes received after the last complete response.</summary>
    public required string Rest { get; init; }

    /// <summary>Final responses only (interim 1xx left out).</summary>
    public IReadOnlyList<RigResponse> Finals => [.. Responses.Where(r => r.Status >= 200)];

    public override string ToString() => $"closed={Closed}\n{Raw}";
}

/// <summary>
/// A Sluice `mode http` frontend in front of a <see cref="RecordingBackend"/>, and a raw-socket client that sends
/// exact bytes and reads the answers. Used by the HTTP/1.1 parsing and smuggling scenarios (RELIABILITY §7.1).
/// </summary>
internal sealed partial class Http1Rig : IAsyncDisposable
{
    /// <summary>How long a connection must stay quiet after the expected responses to count as kept open.</summary>
    private static readonly TimeSpan QuietWait = TimeSpan.FromMilliseconds(1500);

    private Http1Rig(RecordingBackend backend, ISluiceInstance sluice, int port)
    {
        Backend = backend;
        Sluice = sluice;
        Port = port;
    }

    public RecordingBackend Backend { get; }

    public ISluiceInstance Sluice { get; }

    public int Port { get; }

    /// <summary>The backend's default answer: 200 with the body <c>you asked TARGET</c>, so that order and desync show.</summary>
    public static CannedResponse EchoTarget(RecordedRequest r) => CannedResponse.Ok("you asked " + r.Target, forHead: r.Method == "HEAD");

    public static string Config(int port, string server, string frontendExtra = "", string backendExtra = "", string global = "") => $"""
        global
            maxconn 200
        {global}
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{port}
        {frontendExtra}
            default_backend be
        backend be
        {backendExtra}
            server s1 {server}
        """;

    public static async Task<Http1Rig> StartAsync(
        string frontendExtra = "", string backendExtra = "", string global = "", Func<RecordedRequest, CannedResponse?>? respond = null)
    {
        var backend = RecordingBackend.Start(respond ?? EchoTarget);
        for (var attempt = 0; ; attempt++)
        {
            var port = Ports.FreeListeningPort();
            try
            {
                var sluice = await InProcessSluice.StartAsync(
                    Config(port, backend.Address, Indent(frontendExtra), Indent(backendExtra), Indent(global)), ReadyProbe.Tcp(port));
                return new Http1Rig(backend, sluice, port);
            }
            catch (InvalidOperationException) when (attempt < 2)
            {
                // Another test took the port between the check and the bind: choose another.
            }
            catch
            {
                await backend.DisposeAsync();
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Sluice.DisposeAsync();
        await Backend.DisposeAsync();
    }

    public static byte[] Bytes(string latin1) => Encoding.Latin1.GetBytes(latin1);

    /// <summary>
    /// Connects, sends <paramref name="request"/> (Latin-1, one byte per char) in one write, and reads until
    /// <paramref name="responses"/> final responses came and the connection stayed quiet or was closed.
    /// <paramref name="noBody"/> tells, per final response, that it answers HEAD.
    /// </summary>
    public async Task<RawAnswers> ExchangeAsync(string request, int responses = 1, IReadOnlyList<bool>? noBody = null)
    {
        using var socket = await TestClient.ConnectTcpAsync(Port);
        await socket.SendAsync(Bytes(request), SocketFlags.None, TestTimeout.Token());
        if (noBody is null && request.StartsWith("HEAD ", StringComparison.Ordinal))
        {
            noBody = [true];
        }

        return await ReadAnswersAsync(socket, responses, noBody);
    }

    /// <summary>Reads responses on <paramref name="socket"/> as <see cref="ExchangeAsync"/> does.</summary>
    public static async Task<RawAnswers> ReadAnswersAsync(Socket socket, int responses = 1, IReadOnlyList<bool>? noBody = null)
    {
        var received = new MemoryStream();
        var buffer = new byte[65536];
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        var closed = false;
        List<RigResponse> parsed;
        int consumed;
        while (true)
        {
            (parsed, consumed) = Parse(Encoding.Latin1.GetString(received.ToArray()), noBody);
            var finals = parsed.Count(r => r.Status >= 200);
            var wait = finals >= responses ? QuietWait : deadline - DateTime.UtcNow;
            if (wait <= TimeSpan.Zero)
            {
                break;
            }

            using var cts = new CancellationTokenSource(wait);
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (SocketException)
            {
                // A reset: the proxy closed without lingering.
                closed = true;
                break;
            }

            if (read == 0)
            {
                closed = true;
                break;
            }

            received.Write(buffer, 0, read);
        }

        (parsed, consumed) = Parse(Encoding.Latin1.GetString(received.ToArray()), noBody);
        var raw = Encoding.Latin1.GetString(received.ToArray());
        return new RawAnswers { Responses = parsed, Closed = closed, Raw = raw, Rest = raw[consumed..] };
    }

    /// <summary>Waits for the `-d` line of a transaction of the frontend with this status; returns it.</summary>
    public Task<string> LogLineAsync(int status) => Sluice.Output.WaitForTransactionAsync("fe", status.ToString(CultureInfo.InvariantCulture));

    /// <summary>The termination code (two letters) of a `-d` line.</summary>
    public static string TermCode(string line) => TermCodeRegex().Match(line) is { Success: true } m ? m.Groups[1].Value : "?";

    /// <summary>
    /// Sends a request that must be refused: exactly one response with one of <paramref name="statuses"/>, the
    /// connection closed by the proxy, and nothing at all reached the backend.
    /// </summary>
    public Task<RawAnswers> AssertRejectedNothingForwardedAsync(string request, params int[] statuses) =>
        AssertRejectedNothingForwardedAsync(request, true, statuses);

    /// <summary>As above; <paramref name="requireClose"/> false when the row does not ask for the close.</summary>
    public async Task<RawAnswers> AssertRejectedNothingForwardedAsync(string request, bool requireClose, params int[] statuses)
    {
        var answers = await AssertRejectedAsync(request, requireClose, statuses);
        Assert.Equal(string.Empty, Backend.AllReceivedText);
        return answers;
    }

    /// <summary>One response with one of <paramref name="statuses"/> and the connection closed; logged with that status.</summary>
    public Task<RawAnswers> AssertRejectedAsync(string request, params int[] statuses) => AssertRejectedAsync(request, true, statuses);

    public async Task<RawAnswers> AssertRejectedAsync(string request, bool requireClose, params int[] statuses)
    {
        var answers = await ExchangeAsync(request);
        Assert.True(answers.Responses.Count == 1, $"one response expected, got {answers.Responses.Count}: {answers}\nproxy output:\n{Sluice.Output.Text}");
        var response = answers.Responses[0];
        Assert.True(statuses.Contains(response.Status), $"status {response.Status}, expected {string.Join(" or ", statuses)}:\n" + answers);
        if (requireClose)
        {
            Assert.True(answers.Closed, "the proxy must close the connection after refusing the request:\n" + answers);
        }

        await LogLineAsync(response.Status);
        return answers;
    }

    /// <summary>
    /// After a request refused in its body: no request completed at the backend, and every backend connection
    /// that received bytes was closed by the proxy (so it can never be reused for another client).
    /// </summary>
    public async Task AssertBackendAbortedAsync()
    {
        foreach (var connection in Backend.Connections)
        {
            await connection.Ended.WaitAsync(TestTimeout.Value);
            Assert.Empty(connection.Requests);
        }

        Assert.Empty(Backend.Requests);
    }

    /// <summary>A valid request on a new client connection is answered, on a backend connection never used before.</summary>
    public async Task AssertNextRequestOnFreshBackendConnectionAsync()
    {
        var before = Backend.Connections.Count;
        var answers = await ExchangeAsync("GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
        var response = Assert.Single(answers.Finals);
        Assert.Equal(200, response.Status);
        Assert.Equal("you asked /after", response.Body);
        var request = Assert.Single(Backend.Requests, r => r.Target == "/after");
        Assert.True(request.ConnectionIndex >= before, $"reused backend connection #{request.ConnectionIndex}");
        Assert.Equal(0, request.Index);
    }

    private static string Indent(string lines) => string.Join('\n', lines.Split('\n').Select(l => l.Length == 0 ? l : "    " + l.TrimStart()));

    /// <summary>Parses as many complete responses as <paramref name="text"/> holds; returns them and the characters they take.</summary>
    private static (List<RigResponse> Responses, int Consumed) Parse(string text, IReadOnlyList<bool>? noBody)
    {
        var responses = new List<RigResponse>();
        var position = 0;
        var finals = 0;
        while (true)
        {
            var headEnd = text.IndexOf("\r\n\r\n", position, StringComparison.Ordinal);
            if (headEnd < 0)
            {
                return (responses, position);
            }

            var head = text[position..(headEnd + 4)];
            var lines = head[..^4].Split("\r\n");
            var parts = lines[0].Split(' ', 3);
            if (parts.Length < 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                return (responses, position);
            }

            var headers = new List<KeyValuePair<string, string>>();
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                headers.Add(colon < 0 ? new(line, string.Empty) : new(line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
            }

            string? Value(string name) => headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
            var bodyStart = headEnd + 4;
            var isHead = status >= 200 && noBody is not null && finals < noBody.Count && noBody[finals];
            var body = new StringBuilder();
            var chunked = false;
            int end;
            if (status < 200 || status is 204 or 304 || isHead)
            {
                end = bodyStart;
            }
            else if (Value("transfer-encoding") is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                chunked = true;
                var at = bodyStart;
                while (true)
                {
                    var lineEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
                    if (lineEnd < 0)
                    {
                        return (responses, position);
                    }

                    var sizeText = text[at..lineEnd].Split(';')[0].Trim();
                    if (!long.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size))
                    {
                        return (responses, position);
                    }

                    at = lineEnd + 2;
                    if (size == 0)
                    {
                        var trailersEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
                        while (trailersEnd > at)
                        {
                            at = trailersEnd + 2;
                            trailersEnd = text.IndexOf("\r\n", at, StringComparison.Ordinal);
                        }

                        if (trailersEnd < 0)
                        {
                            return (responses, position);
                        }

                        end = trailersEnd + 2;
                        break;
                    }

                    if (text.Length < at + size + 2)
                    {
                        return (responses, position);
                    }

                    body.Append(text, at, (int)size);
                    at += (int)size + 2;
                }
            }
            else if (Value("content-length") is { } cl && long.TryParse(cl, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                if (text.Length < bodyStart + length)
                {
                    return (responses, position);
                }

                body.Append(text, bodyStart, (int)length);
                end = bodyStart + (int)length;
            }
            else
            {
                // Delimited by the close: whatever came.
                body.Append(text, bodyStart, text.Length - bodyStart);
                end = text.Length;
            }

            responses.Add(new RigResponse { Status = status, Head = head, Headers = headers, Body = body.ToString(), Chunked = chunked });
            if (status >= 200)
            {
                finals++;
            }

            position = end;
        }
    }

    [GeneratedRegex(@" -?\d+ -?\d+ ([A-Za-z-]{2}) retries=")]
    private static partial Regex TermCodeRegex();
}
