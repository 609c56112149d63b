using System.Net.Sockets;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>
/// RELIABILITY §7.1, response side (H1-33 to H1-35): a recording backend sends exact response bytes; the raw
/// client checks what the proxy made of them, and the backend's record shows whether its connection was closed.
/// </summary>
public class Http1ResponseParsingTests
{
    private static Task<Http1Rig> StartAsync(string cannedForBad) =>
        Http1Rig.StartAsync(respond: r => r.Target == "/bad" ? CannedResponse.Raw(cannedForBad) : Http1Rig.EchoTarget(r));

    // ---- H1-33 invalid responses ----

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n2\r\nok\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTX/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1  200 OK\r\nContent-Length: 2\r\n\r\nok")]
    [InlineData("HTTP/1.1 200 OK\r\n: x\r\nContent-Length: 2\r\n\r\nok")]
    public async Task H1_33_InvalidResponse_502BackendClosedLoggedPH(string response)
    {
        await using var rig = await StartAsync(response);
        var answers = await rig.ExchangeAsync("GET /bad HTTP/1.1\r\nHost: a\r\n\r\n");

        var answer = Assert.Single(answers.Finals);
        Assert.Equal(502, answer.Status);
        Assert.DoesNotContain("ok", answers.Raw[answer.Head.Length..], StringComparison.Ordinal);
        var line = await rig.LogLineAsync(502);
        Assert.Equal("PH", Http1Rig.TermCode(line));
        var connection = Assert.Single(rig.Backend.Connections);
        await connection.Ended.WaitAsync(TestTimeout.Value);
    }

    // ---- H1-34 TE and CL in a response, bytes after the last chunk ----

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 10\r\n\r\n5\r\nhello\r\n0\r\n\r\nEXTRA BYTES")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nEXTRA BYTES")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nEXTRA BYTES")]
    public async Task H1_34_TeAndClOrTrailingBytes_ChunkedWithoutClExtraDiscardedBackendClosed(string response)
    {
        await using var rig = await StartAsync(response);
        var answers = await rig.ExchangeAsync("GET /bad HTTP/1.1\r\nHost: a\r\n\r\n");

        var answer = Assert.Single(answers.Finals);
        Assert.Equal(200, answer.Status);
        Assert.Equal("hello", answer.Body);
        Assert.True(answer.Chunked, "chunked body expected:\n" + answers);
        Assert.Empty(answer.HeaderValues("content-length"));
        Assert.DoesNotContain("EXTRA", answers.Raw, StringComparison.Ordinal);
        Assert.Equal(string.Empty, answers.Rest);
        var connection = Assert.Single(rig.Backend.Connections);
        await connection.Ended.WaitAsync(TestTimeout.Value);
        await rig.AssertNextRequestOnFreshBackendConnectionAsync();
    }

    // ---- H1-35 body where none is allowed ----

    [Theory]
    [InlineData("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")]
    [InlineData("HEAD", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("GET", "HTTP/1.1 204 No Content\r\n\r\nhello")]
    [InlineData("GET", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello")]
    [InlineData("GET", "HTTP/1.1 304 Not Modified\r\n\r\nhello")]
    public async Task H1_35_BodyOnHeadOr204Or304_NotForwardedBackendClosed(string method, string response)
    {
        await using var rig = await StartAsync(response);
        using var socket = await TestClient.ConnectTcpAsync(rig.Port);
        await socket.SendAsync(Http1Rig.Bytes(method + " /bad HTTP/1.1\r\nHost: a\r\n\r\n"), SocketFlags.None);
        var answers = await Http1Rig.ReadAnswersAsync(socket, 1, [true]);

        var answer = Assert.Single(answers.Finals);
        var expected = int.Parse(response.AsSpan(9, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(expected == answer.Status, $"status {answer.Status}, expected {expected}: {answers}\nproxy output:\n{rig.Sluice.Output.Text}");
        Assert.Equal(string.Empty, answers.Rest);
        Assert.DoesNotContain("hello", answers.Raw, StringComparison.Ordinal);

        // The bytes the server sent in excess must not be read as the next response.
        if (!answers.Closed)
        {
            await socket.SendAsync(Http1Rig.Bytes("GET /second HTTP/1.1\r\nHost: a\r\n\r\n"), SocketFlags.None);
            var second = await Http1Rig.ReadAnswersAsync(socket);
            var next = Assert.Single(second.Finals);
            Assert.True(next.Status == 200, $"second request: status {next.Status}: {second}\nproxy output:\n{rig.Sluice.Output.Text}");
            Assert.Equal("you asked /second", next.Body);
        }

        var first = rig.Backend.Connections[0];
        await first.Ended.WaitAsync(TestTimeout.Value);
        Assert.All(rig.Backend.Requests.Where(r => r.Target == "/second"), r => Assert.NotEqual(first.Index, r.ConnectionIndex));
    }
}
