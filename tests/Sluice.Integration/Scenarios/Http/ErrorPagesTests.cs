using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>
/// `http-errors` sections, `errorfiles`, `http-error` and `return ... errorfiles`: the same configuration run under
/// haproxy 2.6 and Sluice gives the same answers (status, reason, fields, body) to the same requests.
/// </summary>
public class ErrorPagesTests
{
    /// <summary>The defaults every configuration here begins with.</summary>
    private const string Defaults = "defaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s";

    private static string Config(int port, string directory, int closedPort) => $$"""
        http-errors site
            errorfile 503 {{directory}}/503.http
            errorfile 403 {{directory}}/403.http
            errorfile 404 {{directory}}/404.http
        {{Defaults}}
            errorfile 502 {{directory}}/502.http
        frontend fe
            bind 127.0.0.1:{{port}}
            errorfiles site 503 403
            http-error status 400 content-type text/plain string "bad one" hdr X-Err yes
            http-error status 410 content-type text/plain string "gone for good" hdr X-Err gone
            http-request deny if { path /deny }
            http-request deny deny_status 410 if { path /gone }
            http-request deny deny_status 404 if { path /d404 }
            http-request return status 404 errorfiles site if { path /ret }
            http-request return status 200 errorfiles site if { path /undeclared }
            use_backend be2 if { path /be2 }
            use_backend be3 if { path /be3 }
            default_backend be
        backend be
            server s1 127.0.0.1:{{closedPort}}
        backend be2
            http-error status 503 default-errorfiles
            server s1 127.0.0.1:{{closedPort}}
        backend be3
            http-error status 503 content-type text/plain string "be3 is down"
            server s1 127.0.0.1:{{closedPort}}
        """;

    [Fact]
    public async Task HttpErrorsAndHttpError_SameAnswersAsHaproxy()
    {
        var directory = Ports.TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory, "503.http"), "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nContent-Type: text/plain\r\n\r\nsite says 503\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "403.http"), "HTTP/1.0 403 Forbidden\r\nContent-Type: text/plain\r\nX-From: site\r\n\r\nsite says no\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "404.http"), "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n\r\nsite says 404\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "502.http"), "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\ndefaults 502\n");
        var closed = Ports.FreeListeningPort();
        var haproxyPort = Ports.FreeListeningPort();
        var sluicePort = Ports.FreeListeningPort();
        await using var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort, directory, closed), haproxyPort);
        await using var sluice = await Http.StartAsync(Config(sluicePort, directory, closed), sluicePort);

        string[] paths = ["/deny", "/gone", "/d404", "/ret", "/undeclared", "/be2", "/be3", "/other"];
        foreach (var path in paths)
        {
            var expected = await AnswerAsync(haproxyPort, Http.Get(path));
            var actual = await AnswerAsync(sluicePort, Http.Get(path));
            Assert.Equal(expected, actual);
        }

        // The pages chosen above are the configured ones, not the built-in pages (which would also match).
        Assert.Contains("site says no", await AnswerAsync(sluicePort, Http.Get("/deny")), StringComparison.Ordinal);
        Assert.Contains("gone for good", await AnswerAsync(sluicePort, Http.Get("/gone")), StringComparison.Ordinal);
        Assert.Contains("site says 404", await AnswerAsync(sluicePort, Http.Get("/ret")), StringComparison.Ordinal);
        Assert.Contains("site says 503", await AnswerAsync(sluicePort, Http.Get("/be2")), StringComparison.Ordinal);
        Assert.Contains("be3 is down", await AnswerAsync(sluicePort, Http.Get("/be3")), StringComparison.Ordinal);
        Assert.Contains("The resource could not be found.", await AnswerAsync(sluicePort, Http.Get("/d404")), StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task UnreadableRequest_BuiltInPageDespiteHttpError_AsHaproxy()
    {
        var directory = Ports.TempDirectory();
        foreach (var status in new[] { 503, 403, 404, 502 })
        {
            await File.WriteAllTextAsync(Path.Combine(directory, $"{status}.http"), $"HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\n\r\n{status}\n");
        }

        var closed = Ports.FreeListeningPort();
        var haproxyPort = Ports.FreeListeningPort();
        var sluicePort = Ports.FreeListeningPort();
        await using var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort, directory, closed), haproxyPort);
        await using var sluice = await Http.StartAsync(Config(sluicePort, directory, closed), sluicePort);

        // haproxy 2.6's HTTP/1 mux answers a request it cannot parse before any stream exists, with its own page.
        const string Invalid = "GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n";
        var expected = await AnswerAsync(haproxyPort, Invalid);
        var actual = await AnswerAsync(sluicePort, Invalid);
        Assert.Equal(expected, actual);
        Assert.Contains("Your browser sent an invalid request.", actual, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>
    /// `http-error` pages with `lf-string` bodies and `hdr` values that read samples: rendered for each answer from its
    /// transaction (the request, the backend chosen), for a `deny`, a backend without servers and one whose server
    /// refuses, in the frontend and in a backend of their own.
    /// </summary>
    [Fact]
    public async Task HttpErrorWithLogFormat_RenderedPerAnswer_AsHaproxy()
    {
        var closed = Ports.FreeListeningPort();
        string Config(int port) => $$"""
            {{Defaults}}
            frontend fe
                bind 127.0.0.1:{{port}}
                http-error status 503 content-type text/plain lf-string "no server for %[path] on %[fe_name] (%[req.hdr(x-id)])" hdr x-backend "%[be_name]" hdr x-fixed yes
                http-error status 403 content-type text/plain lf-string "denied %[method] %[path]"
                http-request deny if { path_beg /deny }
                use_backend empty if { path_beg /empty }
                use_backend own if { path_beg /own }
                default_backend dead
            backend empty
            backend dead
                server s 127.0.0.1:{{closed}}
            backend own
                http-error status 503 content-type text/html lf-string "<p>%[be_name] has nothing for %[url]</p>"
                server s 127.0.0.1:{{closed}}
            """;
        var haproxyPort = Ports.FreeListeningPort();
        var sluicePort = Ports.FreeListeningPort();
        await using var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort), haproxyPort);
        await using var sluice = await Http.StartAsync(Config(sluicePort), sluicePort);

        foreach (var path in new[] { "/deny/x", "/empty/a", "/dead?q=1", "/own/b?c=d" })
        {
            var request = $"GET {path} HTTP/1.1\r\nHost: a\r\nx-id: 42\r\n\r\n";
            Assert.Equal(await AnswerAsync(haproxyPort, request), await AnswerAsync(sluicePort, request));
        }

        Assert.EndsWith("no server for /empty/a on fe (42)", await AnswerAsync(sluicePort, "GET /empty/a HTTP/1.1\r\nHost: a\r\nx-id: 42\r\n\r\n"), StringComparison.Ordinal);
        Assert.EndsWith("<p>own has nothing for /own/b?c=d</p>", await AnswerAsync(sluicePort, Http.Get("/own/b?c=d")), StringComparison.Ordinal);
    }

    /// <summary>
    /// The bytes of the proxy's own answers, fields in order: the built-in pages begin with their length, a `return`
    /// writes its `hdr` fields (fixed and rendered, in the order written), its length, then its content type.
    /// </summary>
    [Fact]
    public async Task OwnAnswers_FieldsInHaproxysOrder()
    {
        var closed = Ports.FreeListeningPort();
        string Config(int port) => $$"""
            {{Defaults}}
            frontend fe
                bind 127.0.0.1:{{port}}
                http-request deny if { path /deny }
                http-request return status 200 content-type text/plain string hi hdr a b hdr c "%[path]" hdr d e if { path /ret }
                http-request return status 404 hdr a b if { path /empty }
                default_backend be
            backend be
                server s1 127.0.0.1:{{closed}}
            """;
        var haproxyPort = Ports.FreeListeningPort();
        var sluicePort = Ports.FreeListeningPort();
        await using var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort), haproxyPort);
        await using var sluice = await Http.StartAsync(Config(sluicePort), sluicePort);

        foreach (var path in new[] { "/deny", "/other", "/ret", "/empty" })
        {
            var request = $"GET {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
            Assert.Equal(await RawAnswerAsync(haproxyPort, request), await RawAnswerAsync(sluicePort, request));
        }

        Assert.StartsWith("HTTP/1.1 200 OK\r\na: b\r\nc: /ret\r\nd: e\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n", await RawAnswerAsync(sluicePort, Http.Get("/ret", "Connection: close\r\n")), StringComparison.Ordinal);
    }

    /// <summary>
    /// The HTTP/1 mux's own answers to requests it cannot read (a field without a colon, a request head not
    /// finished within `timeout http-request`, an unknown transfer coding) are its built-in pages byte for byte, whatever
    /// errorfile the frontend has: `Content-length` first, the fields' own case, `Connection: close` before
    /// `Content-Type`, as haproxy 2.6 writes them. The request timeout leaves a loaded machine time to deliver the
    /// malformed heads (at 300 ms haproxy once answered the first one 408).
    /// </summary>
    [Fact]
    public async Task MuxErrors_BuiltInPagesByteForByte_AsHAProxy()
    {
        var directory = Ports.TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory, "400.http"), "HTTP/1.0 400 Custom\r\ncontent-type: text/plain\r\n\r\ncustom\n");
        string Config(int port, string socket) => $"""
            {Stats.HaproxyOracle.Preamble(socket)}
                timeout http-request 1s
            frontend fe
                bind 127.0.0.1:{port}
                errorfile 400 {directory}/400.http
                http-request return status 200
            """;

        static async Task<string> RunAsync(int port, string socket)
        {
            var answers = new List<string>();
            foreach (var request in new[] { "GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n\r\n" })
            {
                using var client = await TestClient.ConnectTcpAsync(port);
                await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(request));
                answers.Add(await TestClient.ReadToEndQuietlyAsync(client));
            }

            return string.Join("\n====\n", answers);
        }

        var (reference, ours) = await Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.StartsWith("HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n", reference, StringComparison.Ordinal);
        Assert.Contains("HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\n", reference, StringComparison.Ordinal);
        Assert.Equal(reference, ours);
    }

    private static async Task<string> RawAnswerAsync(int port, string request)
    {
        using var client = await TestClient.ConnectTcpAsync(port);
        await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var answer = await TestClient.ReadToEndAsync(client);
        var headEnd = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return headEnd < 0 ? answer : answer[..(headEnd + 4)];
    }

    /// <summary>
    /// One answer on a fresh connection, as status, reason, fields (names lower-cased, sorted; the length and
    /// connection fields left out, as each side frames the body its own way) and body.
    /// </summary>
    private static async Task<string> AnswerAsync(int port, string request)
    {
        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(request);
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        var reason = response.StatusLine[(response.StatusLine.IndexOf(' ', StringComparison.Ordinal) + 1)..];
        var fields = response.Headers
            .Where(h => !h.Key.Equals("content-length", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("connection", StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Key.ToLowerInvariant() + ": " + h.Value)
            .Order(StringComparer.Ordinal);
        return reason + "\n" + string.Join("\n", fields) + "\n\n" + response.BodyText;
    }

    /// <summary>
    /// `errorfile 403 /dev/null` (configuration.txt's own idiom, for 408): nothing is answered; an HTTP/1.1 client
    /// sees the connection close (curl: "Empty reply"), an HTTP/2 client a reset stream, and the log counts 0 bytes,
    /// as haproxy 2.6.
    /// </summary>
    [Fact]
    public async Task EmptyErrorFile_AnswersNothing_AsHAProxy()
    {
        string Config(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket)}
            frontend fe
                bind 127.0.0.1:{port}
                bind 127.0.0.1:{port + 1} proto h2
                errorfile 403 /dev/null
                http-request deny if {"{"} path /deny {"}"}
                http-request return status 200 content-type text/plain string ok
            """;

        async Task<string[]> Run(int port, string socket)
        {
            var http1 = await Http.CurlAsync(["-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, "/deny")]);
            var http2 = await Http.CurlAsync(["--http2-prior-knowledge", "--retry", "0", "-o", "/dev/null", "-w", "%{http_code}", Http.Url(port + 1, "/deny")]);
            var fine = await Http.CurlAsync([Http.Url(port, "/")]);
            var denied = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"))["fe/FRONTEND"];
            return [$"h1 exit {http1.ExitCode} {http1.StandardOutput}", $"h2 exit {http2.ExitCode} {http2.StandardOutput}", fine.StandardOutput, $"dreq {denied["dreq"]} bout {denied["bout"]}"];
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, Run, ports: 2);
        Assert.Equal("h1 exit 52 000", reference[0]);
        Assert.Equal("ok", reference[2]);
        Assert.Equal(reference, ours);
    }
}
