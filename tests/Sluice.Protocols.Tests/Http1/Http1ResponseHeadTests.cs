using Sluice.Protocols.Http1;
using static Sluice.Protocols.Tests.Http1.Http1Harness;

namespace Sluice.Protocols.Tests.Http1;

public class Http1ResponseHeadTests
{
    private static string Parse(string input, Http1ParserOptions? options = null)
        => ParseHeadAllWays(HeadKind.Response, Bytes(input), options ?? Http1ParserOptions.Strict);

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "SL Http11 200 OK\nH Content-Length: 0\nEND")]
    [InlineData("HTTP/1.0 404 Not Found\r\n\r\n", "SL Http10 404 Not Found\nEND")]
    [InlineData("HTTP/1.1 204 \r\n\r\n", "SL Http11 204 \nEND")]
    [InlineData("HTTP/1.1 304\r\n\r\n", "SL Http11 304 \nEND")]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n", "SL Http11 100 Continue\nEND")]
    [InlineData("HTTP/1.1 599 x\ty \u00e9\r\n\r\n", "SL Http11 599 x\\x09y \\xE9\nEND")]
    public void ParseResponseHead_ValidResponse_DeliversLineAndFields(string input, string expectedEvents)
        => Assert.Equal($"{expectedEvents}\n=> Complete@{input.Length}", Parse(input));

    [Theory]
    [InlineData("HTTP/1.1 200\tOK\r\n\r\n")]
    [InlineData("HTTP/1.1  200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 20 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 099 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 600 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("HTTP/2.0 200 OK\r\n\r\n")]
    [InlineData("http/1.1 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 O\0K\r\n\r\n")]
    [InlineData("HTTP/1.1 200 O\rK\r\n\r\n")]
    [InlineData("HTTP/1.1\r\n\r\n")]
    public void ParseResponseHead_MalformedStatusLine_Rejected(string input)
        => Assert.Contains($"=> Rejected:{Http1RejectReason.InvalidStatusLine}@0", Parse(input), StringComparison.Ordinal);

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\n", Http1RejectReason.WhitespaceBeforeColon)]
    [InlineData("HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n", Http1RejectReason.InvalidHeaderValue)]
    [InlineData("HTTP/1.1 200 OK\r\nX: 1\r\n 2\r\n\r\n", Http1RejectReason.ObsFold)]
    [InlineData("HTTP/1.1 200 OK\nX: 1\r\n\r\n", Http1RejectReason.InvalidLineTerminator)]
    public void ParseResponseHead_InvalidField_Rejected(string input, Http1RejectReason reason)
        => Assert.Contains($"=> Rejected:{reason}@", Parse(input), StringComparison.Ordinal);

    [Fact]
    public void ParseResponseHead_StatusLineOverLimit_Rejected()
    {
        var options = Http1ParserOptions.Strict with { MaxStartLineLength = 20 };
        Assert.Contains($"=> Rejected:{Http1RejectReason.InvalidStatusLine}@0", Parse("HTTP/1.1 200 " + new string('x', 20) + "\r\n\r\n", options), StringComparison.Ordinal);
    }
}
