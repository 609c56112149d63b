using Sluice.Protocols.Http1;
using static Sluice.Protocols.Tests.Http1.Http1Harness;

namespace Sluice.Protocols.Tests.Http1;

public class Http1FramingTests
{
    private static string Request(string head, Http1ParserOptions? options = null)
        => ParseHeadAllWays(HeadKind.Request, Bytes(head), options ?? Http1ParserOptions.Strict, analyzeFraming: true);

    private static string Response(string head, Http1ParserOptions? options = null)
        => ParseHeadAllWays(HeadKind.Response, Bytes(head), options ?? Http1ParserOptions.Strict, analyzeFraming: true);

    private static void AssertFramingReject(string result, Http1RejectReason reason, int status)
    {
        Assert.Contains($"FRAMING-REJECT {reason} {status}", result, StringComparison.Ordinal);
        Assert.Equal(status, reason.ToStatusCode());
    }

    [Theory]
    [InlineData("Content-Length: 5", "FRAMING ContentLength len=5 close=False dropCL=False")]
    [InlineData("Content-Length: 0", "FRAMING None len=0 close=False dropCL=False")]
    [InlineData("Content-Length: 005", "FRAMING ContentLength len=5 close=False dropCL=False")]
    [InlineData("Content-Length: 5\r\nContent-Length: 5", "FRAMING ContentLength len=5 close=False dropCL=False")]
    [InlineData("Content-Length: 5, 5", "FRAMING ContentLength len=5 close=False dropCL=False")]
    [InlineData("Content-Length: 5,5 ,\t5", "FRAMING ContentLength len=5 close=False dropCL=False")]
    [InlineData("Content-Length: 9223372036854775807", "FRAMING ContentLength len=9223372036854775807 close=False dropCL=False")]
    [InlineData("Transfer-Encoding: chunked", "FRAMING Chunked len=-1 close=False dropCL=False")]
    [InlineData("Transfer-Encoding: CHUNKED", "FRAMING Chunked len=-1 close=False dropCL=False")]
    [InlineData("Transfer-Encoding:\tchunked", "FRAMING Chunked len=-1 close=False dropCL=False")]
    [InlineData("Transfer-Encoding: \t chunked \t", "FRAMING Chunked len=-1 close=False dropCL=False")]
    [InlineData("X: y", "FRAMING None len=-1 close=False dropCL=False")]
    public void CompleteRequest_ValidFraming_Decided(string fields, string expected)
    {
        string result = Request($"POST / HTTP/1.1\r\nHost: a\r\n{fields}\r\n\r\n");
        Assert.Contains(expected, result, StringComparison.Ordinal);
    }

    // RELIABILITY H1-03, H1-05: every Content-Length that is not an identical list of digits is refused.
    [Theory]
    [InlineData("Content-Length: 5\r\nContent-Length: 6")]
    [InlineData("Content-Length: 5, 6")]
    [InlineData("Content-Length: +5")]
    [InlineData("Content-Length: -1")]
    [InlineData("Content-Length: 0x5")]
    [InlineData("Content-Length: 5 5")]
    [InlineData("Content-Length: 5a")]
    [InlineData("Content-Length: ")]
    [InlineData("Content-Length: 5,")]
    [InlineData("Content-Length: ,5")]
    [InlineData("Content-Length: 1_0")]
    [InlineData("Content-Length: 5.0")]
    [InlineData("Content-Length: 18446744073709551616")]
    [InlineData("Content-Length: 9223372036854775808")]
    [InlineData("Content-Length: 5\r\nContent-Length: ")]
    public void CompleteRequest_InvalidContentLength_RejectedWith400(string fields)
    {
        string result = Request($"POST / HTTP/1.1\r\nHost: a\r\n{fields}\r\n\r\n");
        AssertFramingReject(result, Http1RejectReason.InvalidContentLength, 400);
    }

    // RELIABILITY H1-01, H1-02 (CL.TE and TE.CL): strict answers 400; HAProxy drops CL and forces close.
    [Theory]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 31")]
    [InlineData("Content-Length: 3\r\nTransfer-Encoding: chunked")]
    [InlineData("Content-Length: 0\r\nTransfer-Encoding: chunked")]
    public void CompleteRequest_ContentLengthWithChunked_Rejected(string fields)
    {
        string head = $"POST / HTTP/1.1\r\nHost: a\r\n{fields}\r\n\r\n";
        AssertFramingReject(Request(head), Http1RejectReason.ContentLengthWithTransferEncoding, 400);
        Assert.Contains("FRAMING Chunked len=-1 close=True dropCL=True", Request(head, Http1ParserOptions.HaproxyCompatible), StringComparison.Ordinal);
    }

    // RELIABILITY H1-07, H1-09, H1-11: TE obfuscations.
    [Theory]
    [InlineData("Transfer-Encoding: chunked, chunked", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Transfer-Encoding: chunked, gzip", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Transfer-Encoding: gzip", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Transfer-Encoding: xchunked", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Transfer-Encoding: chunkedx", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Transfer-Encoding: identity", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Transfer-Encoding: ", Http1RejectReason.InvalidTransferEncoding)]
    [InlineData("Transfer-Encoding: ,chunked", Http1RejectReason.InvalidTransferEncoding)]
    [InlineData("Transfer-Encoding: chunked,", Http1RejectReason.InvalidTransferEncoding)]
    [InlineData("Transfer-Encoding: gzip,,chunked", Http1RejectReason.InvalidTransferEncoding)]
    [InlineData("Transfer-Encoding: chunked;x=1", Http1RejectReason.InvalidTransferEncoding)]
    [InlineData("Transfer-Encoding: chunked;", Http1RejectReason.InvalidTransferEncoding)]
    [InlineData("Transfer-Encoding: \"chunked\"", Http1RejectReason.InvalidTransferEncoding)]
    [InlineData("Transfer-Encoding: chunked\u000b", Http1RejectReason.None)]
    [InlineData("Transfer-Encoding: \u000cchunked", Http1RejectReason.None)]
    [InlineData("Transfer-Encoding: chu nked", Http1RejectReason.InvalidTransferEncoding)]
    [InlineData("Transfer-Encoding: chunked/1", Http1RejectReason.InvalidTransferEncoding)]
    [InlineData("Transfer-Encoding: gzip, chunked", Http1RejectReason.UnknownTransferCoding)]
    [InlineData("Transfer-Encoding: gzip;q=1, chunked", Http1RejectReason.UnknownTransferCoding)]
    [InlineData("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked", Http1RejectReason.UnknownTransferCoding)]
    public void CompleteRequest_ObfuscatedTransferEncoding_Rejected(string fields, Http1RejectReason reason)
    {
        string result = Request($"POST / HTTP/1.1\r\nHost: a\r\n{fields}\r\n\r\n");
        if (reason == Http1RejectReason.None)
        {
            // VT and FF are CTLs: the field value itself is refused before framing is looked at.
            Assert.EndsWith($"=> Rejected:{Http1RejectReason.InvalidHeaderValue}@26", result, StringComparison.Ordinal);
            return;
        }

        AssertFramingReject(result, reason, reason.ToStatusCode());
    }

    [Fact]
    public void CompleteRequest_UnknownCodingWithRfcStatus_RejectedWith501()
    {
        var options = Http1ParserOptions.Strict with { Flags = Http1ParserFlags.UnknownCodingNotImplemented };
        string result = Request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", options);
        AssertFramingReject(result, Http1RejectReason.TransferCodingNotImplemented, 501);
        Assert.Equal(422, Http1RejectReason.UnknownTransferCoding.ToStatusCode());
    }

    // RELIABILITY H1-10.
    [Theory]
    [InlineData("Transfer-Encoding: chunked")]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 5")]
    public void CompleteRequest_TransferEncodingInHttp10_Rejected(string fields)
    {
        string head = $"POST / HTTP/1.0\r\n{fields}\r\n\r\n";
        AssertFramingReject(Request(head), Http1RejectReason.TransferEncodingInHttp10, 400);
        Assert.Contains("FRAMING Chunked len=-1 close=True", Request(head, Http1ParserOptions.HaproxyCompatible), StringComparison.Ordinal);
    }

    // RELIABILITY H1-26, H1-25.
    [Theory]
    [InlineData("GET / HTTP/1.1\r\n\r\n", Http1RejectReason.MissingHost)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", Http1RejectReason.MultipleHost)]
    [InlineData("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", Http1RejectReason.MultipleHost)]
    [InlineData("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", Http1RejectReason.InvalidHost)]
    [InlineData("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", Http1RejectReason.InvalidHost)]
    [InlineData("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", Http1RejectReason.InvalidHost)]
    [InlineData("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", Http1RejectReason.InvalidHost)]
    [InlineData("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", Http1RejectReason.InvalidHost)]
    [InlineData("GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n", Http1RejectReason.HostMismatch)]
    [InlineData("GET http://a:80/ HTTP/1.1\r\nHost: a\r\n\r\n", Http1RejectReason.HostMismatch)]
    public void CompleteRequest_InvalidHost_RejectedWith400(string head, Http1RejectReason reason)
        => AssertFramingReject(Request(head), reason, 400);

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: A\r\nhost: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: \r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: xn--bcher-kva.example\r\n\r\n")]
    [InlineData("GET http://A/ HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.0\r\n\r\n")]
    public void CompleteRequest_ValidHost_Accepted(string head)
        => Assert.Contains("FRAMING None", Request(head), StringComparison.Ordinal);

    // RELIABILITY H1-28.
    [Theory]
    [InlineData("GET", "Content-Length: 3", true)]
    [InlineData("HEAD", "Content-Length: 1", true)]
    [InlineData("DELETE", "Content-Length: 1", true)]
    [InlineData("GET", "Content-Length: 0", false)]
    [InlineData("POST", "Content-Length: 3", false)]
    public void CompleteRequest_Http10BodyOnBodylessMethod_RejectedWith413(string method, string fields, bool rejected)
    {
        string result = Request($"{method} / HTTP/1.0\r\n{fields}\r\n\r\n");
        if (rejected)
        {
            AssertFramingReject(result, Http1RejectReason.BodyNotAllowed, 413);
        }
        else
        {
            Assert.DoesNotContain("FRAMING-REJECT", result, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Content-Length: 5", "FRAMING ContentLength len=5 close=False dropCL=False")]
    [InlineData("Transfer-Encoding: gzip, chunked", "FRAMING Chunked len=-1 close=False dropCL=False")]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 5", "FRAMING Chunked len=-1 close=True dropCL=True")]
    [InlineData("X: y", "FRAMING UntilClose len=-1 close=True dropCL=False")]
    public void CompleteResponse_ValidFraming_Decided(string fields, string expected)
        => Assert.Contains(expected, Response($"HTTP/1.1 200 OK\r\n{fields}\r\n\r\n"), StringComparison.Ordinal);

    // RELIABILITY H1-33: a server that sends these gets a 502 from the proxy.
    [Theory]
    [InlineData("Transfer-Encoding: chunked, chunked", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Transfer-Encoding: chunked, gzip", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Transfer-Encoding: gzip", Http1RejectReason.ChunkedNotFinal)]
    [InlineData("Content-Length: 1\r\nContent-Length: 2", Http1RejectReason.InvalidContentLength)]
    [InlineData("Transfer-Encoding: ,chunked", Http1RejectReason.InvalidTransferEncoding)]
    public void CompleteResponse_InvalidFraming_Rejected(string fields, Http1RejectReason reason)
        => Assert.Contains($"FRAMING-REJECT {reason}", Response($"HTTP/1.1 200 OK\r\n{fields}\r\n\r\n"), StringComparison.Ordinal);

    [Theory]
    [InlineData(204, false, false, Http1BodyKind.None)]
    [InlineData(304, false, false, Http1BodyKind.None)]
    [InlineData(101, false, false, Http1BodyKind.None)]
    [InlineData(200, true, false, Http1BodyKind.None)]
    [InlineData(200, false, true, Http1BodyKind.Tunnel)]
    [InlineData(407, false, true, Http1BodyKind.ContentLength)]
    public void CompleteResponse_StatusAndMethodRules_Decided(int status, bool head, bool connect, Http1BodyKind kind)
    {
        var analyzer = new Http1FramingAnalyzer(isRequest: false, Http1Version.Http11, Http1ParserOptions.Strict);
        Assert.Equal(Http1RejectReason.None, analyzer.OnHeader("Content-Length"u8, "7"u8));
        Assert.Equal(Http1RejectReason.None, analyzer.CompleteResponse(status, head, connect, out Http1BodyFraming framing));
        Assert.Equal(kind, framing.Kind);
    }

    [Fact]
    public void CompleteRequest_SmuggledRequestAfterChunkedBodyWhenHaproxyCompatible_StaysOutsideTheBody()
    {
        // RELIABILITY H1-01 in HAProxy mode: the chunked body ends at "0\r\n\r\n"; what follows is not body.
        string head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 31\r\n\r\n";
        string body = "0\r\n\r\n";
        string smuggled = "GET /smuggled HTTP/1.1\r\n\r\n";
        Assert.Contains("FRAMING Chunked len=-1 close=True dropCL=True", Request(head, Http1ParserOptions.HaproxyCompatible), StringComparison.Ordinal);
        string decoded = DecodeChunkedAllWays(Bytes(body + smuggled), Http1ParserOptions.HaproxyCompatible);
        Assert.Equal($"BODY \nEND\n=> Complete@{body.Length}", decoded);
    }
}
