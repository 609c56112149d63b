using System.Globalization;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// Request body fetches of a chunked request and the date converters: the same configuration and the same
/// requests under haproxy 2.6 and under Sluice must give the same answers and send the server the same request.
/// </summary>
public class BodyAndDateParityTests
{
    private const string Defaults = """
        defaults
            mode http
            timeout connect 1s
            timeout client 30s
            timeout server 30s
            timeout http-request 30s

        """;

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The traffic through haproxy, then through Sluice, each on a port of its own.</summary>
    private static Task<List<string>> RunBothAsync(Func<int, string> frontend, Func<int, Task<string>> traffic) =>
        FetchParityTests.RunBothAsync(p => Defaults + frontend(p[0]) + "\n", 1, async p => [await traffic(p[0])]);

    [Fact]
    public async Task DateConverters_SameTextAsHAProxy()
    {
        const string Format = "a=%[int(1700000000),http_date] b=%[int(1700000000),http_date(3600)] c=%[int(1700000000123),http_date(0,ms)] "
            + "d=%[int(1700000000123456),http_date(1000,us)] e=%[int(1700000000),ltime(%Y-%m-%d %H:%M:%S)] "
            + "f=%[int(1700000000),utime(%Y-%m-%dT%H:%M:%S %a %b %j %Z %%)] g=%[int(1700000000),utime(%d/%b/%Y,-86400)] "
            + "h=%[date,http_date,length] i=%[int(1700000000),ltime(%s)]";
        var results = await RunBothAsync(port => $$"""
            frontend fe
                bind 127.0.0.1:{{Port(port)}}
                http-request return status 200 content-type text/plain lf-string "{{Format}}"
            """, port => FetchParityTests.CurlAsync(Http.Url(port, "/")));

        Assert.Equal(results[0], results[1]);
        Assert.Equal("a=Tue, 14 Nov 2023 22:13:20 GMT b=Tue, 14 Nov 2023 23:13:20 GMT c=Tue, 14 Nov 2023 22:13:20.123 GMT "
            + "d=Tue, 14 Nov 2023 22:13:20.124456 GMT e=" + DateTimeOffset.FromUnixTimeSeconds(1700000000).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            + " f=2023-11-14T22:13:20 Tue Nov 318 GMT % g=13/Nov/2023 h=29 i=1700000000", results[1]);
    }

    /// <summary>
    /// A chunked request under `option http-buffer-request`: rules see the decoded body, and the server gets the
    /// request framed as haproxy frames it.
    /// </summary>
    [Theory]
    [InlineData("option http-buffer-request")]
    [InlineData("http-request wait-for-body time 3s")]
    public async Task ChunkedRequestBody_DecodedForRules_ForwardedAsHAProxy(string waitLine)
    {
        await using var backend = RecordingBackend.Start();
        var results = await RunBothAsync(port => $$"""
            frontend fe
                bind 127.0.0.1:{{Port(port)}}
                {{waitLine}}
                http-request deny if { req.body -m sub forbidden }
                http-request set-header X-Body %[req.body]
                http-request set-header X-Len %[req.body_len]
                http-request set-header X-Size %[req.body_size]
                http-request set-header X-Word %[req.body_param(word)]
                http-request set-header X-First %[req.body_param]
                default_backend be
            backend be
                server s1 {{backend.Address}}
            """, async port =>
        {
            var denied = await FetchParityTests.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "-H", "Transfer-Encoding: chunked", "-d", "a=1&word=forbidden", Http.Url(port, "/form"));
            var passed = await FetchParityTests.CurlAsync("-H", "Transfer-Encoding: chunked", "-d", "a=1&word=allowed&x=y", Http.Url(port, "/form"));
            return $"{denied} {passed}";
        });

        Assert.Equal(["403 ok", "403 ok"], results);
        var requests = await backend.WaitForRequestsAsync(2);
        Assert.Equal(2, requests.Count);
        var described = requests.Select(r => string.Join('|', "te=" + r.Header("transfer-encoding"), "cl=" + r.Header("content-length"), r.Header("x-body"),
            r.Header("x-len"), r.Header("x-size"), r.Header("x-word"), r.Header("x-first"), r.BodyText)).ToList();
        Assert.Equal(described[0], described[1]);
        Assert.Contains("|a=1&word=allowed&x=y|20|20|allowed|1|a=1&word=allowed&x=y", described[1], StringComparison.Ordinal);
    }

    /// <summary>Sends a request head and part of its body, leaves the connection open, and returns the first line of the answer and its body.</summary>
    private static async Task<string> SendPartialAsync(int port, string headAndBody)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(headAndBody));
        var answer = new System.Text.StringBuilder();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TestTimeout.Value);
        while (!answer.ToString().Contains("\n\n", StringComparison.Ordinal) && !answer.ToString().Contains("</html>", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, timeout.Token);
            if (read == 0)
            {
                break;
            }

            answer.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        }

        var text = answer.ToString();
        return text[..text.IndexOf('\r', StringComparison.Ordinal)] + " " + text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..].Split('\n')[0];
    }

    /// <summary>
    /// `wait-for-body time T at-least N`: enough payload (N bytes, counted after de-chunking) ends the wait at
    /// once; less gets 408 after T, however long `timeout http-request` is.
    /// </summary>
    [Fact]
    public async Task WaitForBody_TimeAndAtLeast_AsHAProxy()
    {
        var results = await RunBothAsync(port => $$"""
            frontend fe
                bind 127.0.0.1:{{Port(port)}}
                http-request wait-for-body time 1s at-least 5
                http-request return status 200 content-type text/plain lf-string "len=%[req.body_len] body=%[req.body]\n\n"
            """, async port =>
        {
            const string Length = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
            const string Chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var answers = new List<string>
            {
                await SendPartialAsync(port, Length + "abcdefg"),
                await SendPartialAsync(port, Chunked + "3\r\nabc\r\n4\r\ndefg\r\n"),
            };
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the payload asked for did not end the wait");
            watch.Restart();
            answers.Add(await SendPartialAsync(port, Length + "abc"));
            answers.Add(await SendPartialAsync(port, Chunked + "3\r\nabc\r\n"));
            Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(1.9) && watch.Elapsed < TimeSpan.FromSeconds(25), "waited " + watch.Elapsed);
            return string.Join(" | ", answers);
        });

        Assert.Equal(results[0], results[1]);
        Assert.Equal("HTTP/1.1 200 OK len=7 body=abcdefg | HTTP/1.1 200 OK len=7 body=abcdefg | HTTP/1.1 408 Request Time-out <html><body><h1>408 Request Time-out</h1> "
            + "| HTTP/1.1 408 Request Time-out <html><body><h1>408 Request Time-out</h1>", results[1]);
    }
}
