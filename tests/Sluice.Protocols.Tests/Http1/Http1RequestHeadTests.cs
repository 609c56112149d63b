using Sluice.Protocols.Http1;
using static Sluice.Protocols.Tests.Http1.Http1Harness;

namespace Sluice.Protocols.Tests.Http1;

public class Http1RequestHeadTests
{
    private static readonly Http1ParserOptions Strict = Http1ParserOptions.Strict;

    private static string Parse(string input, Http1ParserOptions? options = null)
        => ParseHeadAllWays(HeadKind.Request, Bytes(input), options ?? Strict);

    private static void AssertRejected(string input, Http1RejectReason reason, Http1ParserOptions? options = null)
    {
        string result = Parse(input, options);
        Assert.Contains($"=> Rejected:{reason}@", result, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "RL GET / Origin Http11\nH Host: a\nEND")]
    [InlineData("GET /p?q=1&r HTTP/1.0\r\n\r\n", "RL GET /p?q=1&r Origin Http10\nEND")]
    [InlineData("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "RL OPTIONS * Asterisk Http11\nH Host: a\nEND")]
    [InlineData("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", "RL CONNECT example.com:443 Authority Http11\nH Host: example.com:443\nEND")]
    [InlineData("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n", "RL CONNECT [::1]:8443 Authority Http11\nH Host: [::1]:8443\nEND")]
    [InlineData("GET http://a.example/x HTTP/1.1\r\nHost: a.example\r\n\r\n", "RL GET http://a.example/x Absolute Http11\nH Host: a.example\nEND")]
    [InlineData("GET https://a.example:8443?x HTTP/1.1\r\nHost: a.example:8443\r\n\r\n", "RL GET https://a.example:8443?x Absolute Http11\nH Host: a.example:8443\nEND")]
    [InlineData("M-SEARCH /~x!$&'()*+,;=:@ HTTP/1.1\r\nHost: a\r\n\r\n", "RL M-SEARCH /~x!$&'()*+,;=:@ Origin Http11\nH Host: a\nEND")]
    [InlineData("GET / HTTP/1.1\r\nA:b\r\nC: \t d e \t \r\nE:\r\n\r\n", "RL GET / Origin Http11\nH A: b\nH C: d e\nH E: \nEND")]
    [InlineData("GET / HTTP/1.1\r\nX-Obs: caf\u00e9\r\n\r\n", "RL GET / Origin Http11\nH X-Obs: caf\\xE9\nEND")]
    [InlineData("GET / HTTP/1.1\r\nX: a\tb\r\n\r\n", "RL GET / Origin Http11\nH X: a\\x09b\nEND")]
    public void ParseRequestHead_ValidRequest_DeliversLineAndFields(string input, string expectedEvents)
    {
        string result = Parse(input);
        Assert.Equal($"{expectedEvents}\n=> Complete@{input.Length}", result);
    }

    [Fact]
    public void ParseRequestHead_PipelinedRequests_StopsAfterFirstHead()
    {
        string first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
        string result = Parse(first + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Equal($"RL GET /1 Origin Http11\nH Host: a\nEND\n=> Complete@{first.Length}", result);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r")]
    [InlineData("GET / HTTP/1.1")]
    [InlineData("")]
    public void ParseRequestHead_IncompleteHead_NeedsMoreData(string input)
    {
        Assert.Contains("=> NeedMoreData@", Parse(input), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET  / HTTP/1.1\r\n\r\n", Http1RejectReason.InvalidRequestLine)]
    [InlineData("GET /  HTTP/1.1\r\n\r\n", Http1RejectReason.InvalidRequestLine)]
    [InlineData("GET / HTTP/1.1 \r\n\r\n", Http1RejectReason.InvalidRequestLine)]
    [InlineData("GET /a b HTTP/1.1\r\n\r\n", Http1RejectReason.InvalidRequestLine)]
    [InlineData("GET /\r\n\r\n", Http1RejectReason.InvalidRequestLine)]
    [InlineData("GET\r\n\r\n", Http1RejectReason.InvalidRequestLine)]
    [InlineData(" GET / HTTP/1.1\r\n\r\n", Http1RejectReason.InvalidMethod)]
    [InlineData("GET? / HTTP/1.1\r\n\r\n", Http1RejectReason.InvalidMethod)]
    [InlineData("G(T / HTTP/1.1\r\n\r\n", Http1RejectReason.InvalidMethod)]
    [InlineData("GET\t/ HTTP/1.1\r\n\r\n", Http1RejectReason.InvalidMethod)]
    [InlineData("GET / http/1.1\r\n\r\n", Http1RejectReason.InvalidVersion)]
    [InlineData("GET / HTTP/1.10\r\n\r\n", Http1RejectReason.InvalidVersion)]
    [InlineData("GET / HTTP/2.0\r\n\r\n", Http1RejectReason.InvalidVersion)]
    [InlineData("GET / HTTP/1.2\r\n\r\n", Http1RejectReason.InvalidVersion)]
    [InlineData("GET / HTTP/0.9\r\n\r\n", Http1RejectReason.InvalidVersion)]
    [InlineData("GET / HTTP/1.1\r\r\n\r\n", Http1RejectReason.InvalidVersion)]
    public void ParseRequestHead_MalformedRequestLine_Rejected(string input, Http1RejectReason reason)
        => AssertRejected(input, reason);

    [Theory]
    [InlineData("GET * HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("OPTIONS */x HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET admin HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET haproxy.org:80 HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("CONNECT haproxy.org HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("CONNECT haproxy.org: HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("CONNECT :443 HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("CONNECT user@a:443 HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /# HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a\u007fb HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET http://u@a/x HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET http://a%zz/ HTTP/1.1\r\nHost: a\r\n\r\n")]
    public void ParseRequestHead_InvalidTarget_Rejected(string input)
        => AssertRejected(input, Http1RejectReason.InvalidRequestTarget);

    [Fact]
    public void ParseRequestHead_ObsTextTargetWhenRelaxed_Accepted()
    {
        var options = Strict with { Flags = Http1ParserFlags.AllowObsTextInTarget };
        string result = Parse("GET /caf\u00e9 HTTP/1.1\r\nHost: a\r\n\r\n", options);
        Assert.StartsWith("RL GET /caf\\xE9 Origin Http11", result, StringComparison.Ordinal);
        AssertRejected("GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n", Http1RejectReason.InvalidRequestTarget, options);
        AssertRejected("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", Http1RejectReason.InvalidRequestTarget, options);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n", Http1RejectReason.WhitespaceBeforeColon)]
    [InlineData("GET / HTTP/1.1\r\nContent-Length\t: 5\r\n\r\n", Http1RejectReason.WhitespaceBeforeColon)]
    [InlineData("GET / HTTP/1.1\r\n: x\r\n\r\n", Http1RejectReason.EmptyHeaderName)]
    [InlineData("GET / HTTP/1.1\r\nX Y: x\r\n\r\n", Http1RejectReason.InvalidHeaderName)]
    [InlineData("GET / HTTP/1.1\r\nX@Y: x\r\n\r\n", Http1RejectReason.InvalidHeaderName)]
    [InlineData("GET / HTTP/1.1\r\nX\u0080: x\r\n\r\n", Http1RejectReason.InvalidHeaderName)]
    [InlineData("GET / HTTP/1.1\r\nX\0: x\r\n\r\n", Http1RejectReason.InvalidHeaderName)]
    [InlineData("GET / HTTP/1.1\r\nX\rY: x\r\n\r\n", Http1RejectReason.InvalidHeaderName)]
    [InlineData("GET / HTTP/1.1\r\nNoColon\r\n\r\n", Http1RejectReason.MissingColon)]
    [InlineData("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", Http1RejectReason.InvalidHeaderValue)]
    [InlineData("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", Http1RejectReason.InvalidHeaderValue)]
    [InlineData("GET / HTTP/1.1\r\nX: a\u000bb\r\n\r\n", Http1RejectReason.InvalidHeaderValue)]
    [InlineData("GET / HTTP/1.1\r\nX: a\u007f\r\n\r\n", Http1RejectReason.InvalidHeaderValue)]
    [InlineData("GET / HTTP/1.1\r\nX: a\r\r\n\r\n", Http1RejectReason.InvalidHeaderValue)]
    [InlineData("GET / HTTP/1.1\r\n Host: a\r\n\r\n", Http1RejectReason.WhitespaceAfterStartLine)]
    [InlineData("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n", Http1RejectReason.WhitespaceAfterStartLine)]
    [InlineData("GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\r\n", Http1RejectReason.ObsFold)]
    [InlineData("GET / HTTP/1.1\r\nX-A: 1\r\n\t2\r\n\r\n", Http1RejectReason.ObsFold)]
    public void ParseRequestHead_InvalidField_Rejected(string input, Http1RejectReason reason)
        => AssertRejected(input, reason);

    [Theory]
    [InlineData("GET / HTTP/1.1\nHost: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\n")]
    public void ParseRequestHead_BareLfWhenStrict_Rejected(string input)
        => AssertRejected(input, Http1RejectReason.InvalidLineTerminator);

    [Fact]
    public void ParseRequestHead_BareLfWhenRelaxed_Accepted()
    {
        var options = Strict with { Flags = Http1ParserFlags.AllowBareLf };
        string input = "GET / HTTP/1.1\nHost: a\nX: b\r\n\n";
        Assert.Equal($"RL GET / Origin Http11\nH Host: a\nH X: b\nEND\n=> Complete@{input.Length}", Parse(input, options));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\rHost: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n\r\n")]
    public void ParseRequestHead_BareCr_Rejected(string input)
    {
        Assert.Contains("=> Rejected:", Parse(input), StringComparison.Ordinal);
        Assert.Contains("=> Rejected:", Parse(input, Http1ParserOptions.HaproxyCompatible), StringComparison.Ordinal);
    }

    [Fact]
    public void ParseRequestHead_ObsFoldWhenRelaxed_ReplacedBySpace()
    {
        var options = Strict with { Flags = Http1ParserFlags.ReplaceObsFold };
        string input = "GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\n\t3\r\nY: z\r\n\r\n";
        Assert.Equal($"RL GET / Origin Http11\nH X-A: 1   2  \\x093\nH Y: z\nEND\n=> Complete@{input.Length}", Parse(input, options));
    }

    [Fact]
    public void ParseRequestHead_ObsFoldWithBareLfWhenOnlyFoldRelaxed_Rejected()
    {
        var options = Strict with { Flags = Http1ParserFlags.ReplaceObsFold };
        AssertRejected("GET / HTTP/1.1\r\nX-A: 1\n 2\r\n\r\n", Http1RejectReason.InvalidLineTerminator, options);
    }

    [Theory]
    [InlineData("Content-Length")]
    [InlineData("transfer-encoding")]
    [InlineData("HOST")]
    public void ParseRequestHead_ObsFoldInFramingField_Rejected(string name)
        => AssertRejected($"GET / HTTP/1.1\r\n{name}: 1\r\n 2\r\n\r\n", Http1RejectReason.ObsFold, Http1ParserOptions.HaproxyCompatible);

    [Fact]
    public void ParseRequestHead_FoldedLineRightAfterStartLineWhenRelaxed_Rejected()
        => AssertRejected("GET / HTTP/1.1\r\n X: 1\r\n\r\n", Http1RejectReason.WhitespaceAfterStartLine, Http1ParserOptions.HaproxyCompatible);

    [Fact]
    public void ParseRequestHead_RequestLineAtLimit_Accepted()
    {
        var options = Strict with { MaxStartLineLength = 64 };
        string line = "GET /" + new string('a', 64 - "GET / HTTP/1.1".Length) + " HTTP/1.1";
        Assert.Equal(64, line.Length);
        Assert.Contains("=> Complete@", Parse(line + "\r\nHost: a\r\n\r\n", options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(65, "\r\nHost: a\r\n\r\n")]
    [InlineData(65, "")]
    [InlineData(200, "")]
    [InlineData(65, "\nHost: a\n\n")]
    [InlineData(66, "\r\r\n")]
    public void ParseRequestHead_RequestLineOverLimit_RejectedWith414(int lineLength, string tail)
    {
        var options = Strict with { MaxStartLineLength = 64 };
        string line = "GET /" + new string('a', lineLength - "GET / HTTP/1.1".Length) + " HTTP/1.1";
        string result = Parse(line + tail, options);
        Assert.Contains($"=> Rejected:{Http1RejectReason.RequestLineTooLong}@0", result, StringComparison.Ordinal);
        Assert.Equal(414, Http1RejectReason.RequestLineTooLong.ToStatusCode());
    }

    [Fact]
    public void ParseRequestHead_HeaderSectionAtLimit_Accepted()
    {
        // Field section = "X: " + value + CRLF + final CRLF.
        var options = Strict with { MaxHeaderSectionSize = 100 };
        string field = "X: " + new string('v', 100 - 3 - 2 - 2) + "\r\n";
        Assert.Contains("=> Complete@", Parse("GET / HTTP/1.0\r\n" + field + "\r\n", options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\r\n\r\n")]
    [InlineData("")]
    [InlineData("\r\nY: 1\r\n\r\n")]
    public void ParseRequestHead_FieldLineOverLimit_RejectedWith431(string tail)
    {
        var options = Strict with { MaxHeaderSectionSize = 100 };
        string field = "X: " + new string('v', 100);
        string result = Parse("GET / HTTP/1.0\r\n" + field + tail, options);
        Assert.Equal($"RL GET / Origin Http10\n=> Rejected:{Http1RejectReason.HeaderSectionTooLarge}@16", result);
        Assert.Equal(431, Http1RejectReason.HeaderSectionTooLarge.ToStatusCode());
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, false)]
    public void ParseRequestHead_WholeHeadLimit_CountsTheStartLine(int over, bool accepted)
    {
        // 16 bytes of request line, then a field filling the rest of the 100 bytes with the final CRLF.
        var options = Strict with { MaxHeadSize = 100 };
        string field = "X: " + new string('v', 100 - 16 - 3 - 2 - 2 + over) + "\r\n";
        string result = Parse("GET / HTTP/1.0\r\n" + field + "\r\n", options);
        Assert.Contains(accepted ? "=> Complete@" : $"=> Rejected:{Http1RejectReason.HeaderSectionTooLarge}", result, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseRequestHead_FinalEmptyLineOverLimit_RejectedWith431()
    {
        var options = Strict with { MaxHeaderSectionSize = 100 };
        string field = "X: " + new string('v', 100 - 3 - 2 - 2 + 1) + "\r\n";
        string result = Parse("GET / HTTP/1.0\r\n" + field + "\r\n", options);
        Assert.EndsWith($"=> Rejected:{Http1RejectReason.HeaderSectionTooLarge}@{16 + field.Length}", result, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseRequestHead_HeaderCountAtLimit_Accepted()
    {
        // tune.http.maxhdr 101: 100 field lines, the last slot is the end of the section (HAProxy).
        string fields = string.Concat(Enumerable.Range(0, Http1ParserOptions.DefaultMaxHeaderCount - 1).Select(i => $"X{i}: {i}\r\n"));
        string result = Parse("GET / HTTP/1.0\r\n" + fields + "\r\n");
        Assert.Contains("=> Complete@", result, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseRequestHead_HeaderCountOverLimit_RejectedWith400()
    {
        string fields = string.Concat(Enumerable.Range(0, Http1ParserOptions.DefaultMaxHeaderCount).Select(i => $"X{i}: {i}\r\n"));
        AssertRejected("GET / HTTP/1.0\r\n" + fields + "\r\n", Http1RejectReason.TooManyHeaders);
        Assert.Equal(400, Http1RejectReason.TooManyHeaders.ToStatusCode());
    }

    [Fact]
    public void ParseRequestHead_RejectedHead_ReportsOffsetOfFaultyLine()
    {
        var state = Http1HeadState.ForHead();
        var recorder = new Recorder(HeadKind.Request, Strict, analyzeFraming: false);
        var adapter = new RecorderAdapter(recorder);
        var input = new System.Buffers.ReadOnlySequence<byte>(Bytes("GET / HTTP/1.1\r\nA: 1\r\nB : 2\r\n\r\n"));
        Http1ParseStatus status = Http1HeadParser.ParseRequestHead(ref state, input, ref adapter, Strict, out _, out _);
        Assert.Equal(Http1ParseStatus.Rejected, status);
        Assert.Equal(Http1RejectReason.WhitespaceBeforeColon, state.RejectReason);
        Assert.Equal(22, state.ErrorOffset);
        Assert.Equal(1, state.HeaderCount);
    }
}
