using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>
/// RELIABILITY §7.1, request side (H1-01 to H1-32): exact bytes from a raw client through the real program to a
/// recording backend. "Nothing forwarded" means the backend received zero bytes.
/// </summary>
public class Http1ParsingTests
{
    private const string AcceptInvalid = "option accept-invalid-http-request";
    private const string ChunkedHello = "5\r\nhello\r\n0\r\n\r\n";

    // ---- H1-01 TE + CL ----

    [Theory]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 31\r\n")]
    [InlineData("Content-Length: 31\r\nTransfer-Encoding: chunked\r\n")]
    public async Task H1_01_TeAndCl_Rejected400NothingForwarded(string framing)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync(
            "POST / HTTP/1.1\r\nHost: a\r\n" + framing + "\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n", 400);
    }

    [Fact]
    public async Task H1_01_TeAndCl_AcceptInvalid_ForwardedChunkedWithoutClAndClosed()
    {
        await using var rig = await Http1Rig.StartAsync(AcceptInvalid);
        var answers = await rig.ExchangeAsync(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 31\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n");

        var response = Assert.Single(answers.Finals);
        Assert.Equal(200, response.Status);
        Assert.True(response.SaysClose, "Connection: close expected:\n" + answers);
        Assert.True(answers.Closed, answers.ToString());
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Equal("/", request.Target);
        Assert.True(request.Chunked);
        Assert.Empty(request.HeaderValues("content-length"));
        Assert.Equal(string.Empty, request.BodyText);
        Assert.DoesNotContain("/smuggled", rig.Backend.AllReceivedText, StringComparison.Ordinal);
    }

    // ---- H1-02 TE.CL with a pipelined request ----

    private static string TeClPipelined()
    {
        const string Inner = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
        var size = Inner.Length.ToString("x", CultureInfo.InvariantCulture);
        return "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
            + size + "\r\n" + Inner + "\r\n0\r\n\r\n"
            + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
    }

    [Fact]
    public async Task H1_02_TeClShortCl_Rejected400NothingForwarded()
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync(TeClPipelined(), 400);
    }

    [Fact]
    public async Task H1_02_TeClShortCl_AcceptInvalid_FramedByTeNoDesync()
    {
        await using var rig = await Http1Rig.StartAsync(AcceptInvalid);
        var answers = await rig.ExchangeAsync(TeClPipelined(), responses: 2);

        var first = answers.Finals[0];
        Assert.Equal(200, first.Status);
        Assert.Equal("you asked /", first.Body);
        Assert.True(first.SaysClose, "Connection: close expected:\n" + answers);
        Assert.True(answers.Closed, answers.ToString());
        Assert.Single(answers.Finals);
        var request = rig.Backend.Requests[0];
        Assert.Equal("/", request.Target);
        Assert.True(request.Chunked);
        Assert.Empty(request.HeaderValues("content-length"));
        Assert.StartsWith("GET /smuggled HTTP/1.1\r\n", request.BodyText, StringComparison.Ordinal);
        Assert.All(rig.Backend.Requests, r => Assert.NotEqual("/smuggled", r.Target));
        Assert.All(rig.Backend.Requests.Skip(1), r => Assert.Equal("/next", r.Target));
    }

    // ---- H1-03 conflicting Content-Length ----

    [Theory]
    [InlineData("Content-Length: 5\r\nContent-Length: 6\r\n")]
    [InlineData("Content-Length: 6\r\nContent-Length: 5\r\n")]
    [InlineData("Content-Length: 5, 6\r\n")]
    public async Task H1_03_DifferentContentLengths_Rejected400NothingForwarded(string lengths)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("POST / HTTP/1.1\r\nHost: a\r\n" + lengths + "\r\nhello!", 400);
    }

    // ---- H1-04 identical Content-Length collapsed ----

    [Theory]
    [InlineData("Content-Length: 5\r\nContent-Length: 5\r\n")]
    [InlineData("Content-Length: 5, 5\r\n")]
    [InlineData("Content-Length: 5,5\r\n")]
    public async Task H1_04_IdenticalContentLengths_ForwardedWithSingleContentLength(string lengths)
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync("POST /p HTTP/1.1\r\nHost: a\r\n" + lengths + "\r\nhello");

        var response = Assert.Single(answers.Finals);
        Assert.Equal(200, response.Status);
        Assert.Equal("you asked /p", response.Body);
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Equal(["5"], request.HeaderValues("content-length"));
        Assert.Equal("hello", request.BodyText);
        Assert.Single(Regex.Matches(request.RawText, "content-length", RegexOptions.IgnoreCase));
    }

    // ---- H1-05 invalid Content-Length values ----

    [Theory]
    [InlineData("+5")]
    [InlineData("-1")]
    [InlineData("0x5")]
    [InlineData("5 5")]
    [InlineData("5a")]
    [InlineData("")]
    [InlineData("5,")]
    [InlineData(",5")]
    [InlineData("1_0")]
    [InlineData("18446744073709551616")]
    [InlineData("99999999999999999999999")]
    public async Task H1_05_InvalidContentLength_Rejected400NothingForwarded(string value)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + value + "\r\n\r\nhello", 400);
    }

    // ---- H1-06 whitespace before the colon ----

    [Theory]
    [InlineData("Transfer-Encoding : chunked\r\n", ChunkedHello)]
    [InlineData("Transfer-Encoding\t: chunked\r\n", ChunkedHello)]
    [InlineData("Content-Length : 5\r\n", "hello")]
    [InlineData("Content-Length\t: 5\r\n", "hello")]
    public async Task H1_06_WhitespaceBeforeColon_Rejected400Closed(string field, string body)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("POST / HTTP/1.1\r\nHost: a\r\n" + field + "\r\n" + body, 400);
    }

    // ---- H1-07 bad Transfer-Encoding lists ----

    [Theory]
    [InlineData("chunked, chunked")]
    [InlineData("chunked, gzip")]
    [InlineData("gzip")]
    [InlineData("")]
    [InlineData(",chunked")]
    [InlineData("chunked;x=1")]
    [InlineData("xchunked")]
    [InlineData("chunked,")]
    public async Task H1_07_BadTransferEncoding_Rejected400NothingForwarded(string value)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + value + "\r\n\r\n" + ChunkedHello, 400);
    }

    // ---- H1-08 unknown coding before chunked ----

    [Theory]
    [InlineData("gzip, chunked")]
    [InlineData("deflate, chunked")]
    public async Task H1_08_UnknownCodingThenChunked_Rejected422NothingForwarded(string value)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + value + "\r\n\r\n" + ChunkedHello, 422, 501);
    }

    // ---- H1-09 two Transfer-Encoding lines ----

    [Fact]
    public async Task H1_09_TwoChunkedLines_Rejected400Closed()
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + ChunkedHello, 400);
    }

    // ---- H1-10 Transfer-Encoding in HTTP/1.0 ----

    [Theory]
    [InlineData("")]
    [InlineData("Content-Length: 3\r\n")]
    public async Task H1_10_Http10WithTe_ProcessedByTeAndClosed_Or400(string contentLength)
    {
        // The row expects HAProxy's behaviour (framed by TE, CL dropped, close) and cites nginx's 400: both close.
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync("POST /t HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n" + contentLength + "\r\n" + ChunkedHello);

        var response = Assert.Single(answers.Finals);
        Assert.True(answers.Closed, answers.ToString());
        if (response.Status == 400)
        {
            await rig.LogLineAsync(400);
            Assert.Equal(string.Empty, rig.Backend.AllReceivedText);
        }
        else
        {
            AssertProcessedByTe(rig, response);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("Content-Length: 3\r\n")]
    public async Task H1_10_Http10WithTe_AcceptInvalid_ProcessedByTeClDroppedClosed(string contentLength)
    {
        await using var rig = await Http1Rig.StartAsync(AcceptInvalid);
        var answers = await rig.ExchangeAsync("POST /t HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n" + contentLength + "\r\n" + ChunkedHello);

        var response = Assert.Single(answers.Finals);
        Assert.True(answers.Closed, answers.ToString());
        AssertProcessedByTe(rig, response);
    }

    private static void AssertProcessedByTe(Http1Rig rig, RigResponse response)
    {
        Assert.Equal(200, response.Status);
        Assert.Equal("you asked /t", response.Body);
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Equal("hello", request.BodyText);
        Assert.DoesNotContain("3", request.HeaderValues("content-length"));
    }

    // ---- H1-11 Transfer-Encoding value bytes ----

    [Theory]
    [InlineData("Transfer-Encoding:chunked")]
    [InlineData("Transfer-Encoding:  chunked  ")]
    [InlineData("Transfer-Encoding:\tchunked\t")]
    [InlineData("transfer-encoding: CHUNKED")]
    public async Task H1_11_TeWithOws_Accepted(string field)
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync("POST /o HTTP/1.1\r\nHost: a\r\n" + field + "\r\n\r\n" + ChunkedHello);

        var response = Assert.Single(answers.Finals);
        Assert.Equal(200, response.Status);
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Equal("hello", request.BodyText);
    }

    [Theory]
    [InlineData("Transfer-Encoding: chunked\u000b")]
    [InlineData("Transfer-Encoding: \u000bchunked")]
    [InlineData("Transfer-Encoding: chunked\u000c")]
    [InlineData("Transfer-Encoding: \u000cchunked")]
    [InlineData("Transfer-Encoding: chunked\u0000")]
    [InlineData("Transfer-Encoding: chunked\u0001")]
    [InlineData("Transfer-Encoding:\r\n chunked")]
    [InlineData("Transfer-Encoding: chunked\r\n x")]
    [InlineData("Transfer-Encoding: chunked x")]
    [InlineData("Transfer-Encoding: chunked\u00ff")]
    [InlineData("Transfer-Encoding: \"chunked\"")]
    public async Task H1_11_TeWithNonOwsByte_Rejected400Closed(string field)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("POST / HTTP/1.1\r\nHost: a\r\n" + field + "\r\n\r\n" + ChunkedHello, 400);
    }

    [Fact]
    public async Task H1_11_TeByteMatrix_EveryNonOwsByteBeforeOrAfterChunked_Rejected400Closed()
    {
        // defparam/smuggler's matrix: each byte 0x00-0xFF except HTAB, SP (OWS) and LF (a line end, H1-17).
        await using var rig = await Http1Rig.StartAsync();
        var failures = new List<string>();
        var count = 0;
        for (var b = 0; b < 256; b++)
        {
            if (b is '\t' or ' ' or '\n')
            {
                continue;
            }

            foreach (var value in new[] { "chunked" + (char)b, (char)b + "chunked" })
            {
                count++;
                var answers = await rig.ExchangeAsync("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " + value + "\r\n\r\n" + ChunkedHello);
                if (answers.Responses is not [{ Status: 400 }] || !answers.Closed)
                {
                    failures.Add($"0x{b:x2} in \"{Escape(value)}\": " + Escape(answers.ToString()));
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {count} variants not refused with 400 + close:\n" + string.Join('\n', failures.Take(20)));
        await rig.Sluice.Output.WaitForAsync(l => l.Contains("[fe]", StringComparison.Ordinal) && l.Contains(" 400 ", StringComparison.Ordinal), count);
        Assert.Equal(string.Empty, rig.Backend.AllReceivedText);
    }

    // ---- H1-12 chunk sizes ----

    [Theory]
    [InlineData("0x5")]
    [InlineData("+5")]
    [InlineData("-1")]
    [InlineData(" 5")]
    [InlineData("5 5")]
    [InlineData("")]
    [InlineData("00000000000005")]
    [InlineData("10000000000000")]
    [InlineData("fffffffffffffffff")]
    [InlineData("5_0")]
    [InlineData("g")]
    public async Task H1_12_InvalidChunkSize_Rejected400BackendAborted(string size)
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.AssertRejectedAsync("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\nhello\r\n0\r\n\r\n", 400);

        var line = await rig.LogLineAsync(400);
        if (!line.Contains("<BADREQ>", StringComparison.Ordinal))
        {
            Assert.Matches("^P[DH]$", Http1Rig.TermCode(line));
        }

        await rig.AssertBackendAbortedAsync();
        await rig.AssertNextRequestOnFreshBackendConnectionAsync();
    }

    // ---- H1-13 line ends in the chunked framing ----

    [Theory]
    [InlineData("5\nhello\r\n0\r\n\r\n")]
    [InlineData("5\r\nhello\n0\r\n\r\n")]
    [InlineData("5\r\nhello\r\n0\n\r\n")]
    [InlineData("5\r\nhello\r\n0\r\n\n")]
    [InlineData("5\rhello\r\n0\r\n\r\n")]
    [InlineData("5\r\nhello\r0\r\n\r\n")]
    [InlineData("5\r\nhelloXX0\r\n\r\n")]
    public async Task H1_13_BadLineEndInChunkedBody_Rejected400BackendAborted(string body)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedAsync("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body, 400);
        await rig.AssertBackendAbortedAsync();
        await rig.AssertNextRequestOnFreshBackendConnectionAsync();
    }

    // ---- H1-14 chunk extensions ----

    [Theory]
    [InlineData("5;")]
    [InlineData("5;a\u0000b")]
    [InlineData("5;a\rb")]
    [InlineData("5;\"unterminated")]
    [InlineData("5;a=\"unterminated")]
    [InlineData("5;a=b\\c")]
    [InlineData("5;=b")]
    public async Task H1_14_InvalidChunkExtension_Rejected400BackendAborted(string sizeLine)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedAsync("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + sizeLine + "\r\nhello\r\n0\r\n\r\n", 400);
        await rig.AssertBackendAbortedAsync();
        await rig.AssertNextRequestOnFreshBackendConnectionAsync();
    }

    [Fact]
    public async Task H1_14_HugeChunkExtension_Rejected413BackendAborted()
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedAsync(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=" + new string('b', 64 * 1024) + "\r\nhello\r\n0\r\n\r\n", 413, 431, 400);
        await rig.AssertBackendAbortedAsync();
        await rig.AssertNextRequestOnFreshBackendConnectionAsync();
    }

    [Theory]
    [InlineData("5;a=b")]
    [InlineData("5;a=\"b c\"")]
    [InlineData("5;a")]
    [InlineData("5 ;a=b")]
    public async Task H1_14_ValidChunkExtension_AcceptedNotForwarded(string sizeLine)
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + sizeLine + "\r\nhello\r\n0\r\n\r\n");

        var response = Assert.Single(answers.Finals);
        Assert.Equal(200, response.Status);
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Equal("hello", request.BodyText);
        Assert.DoesNotContain(";", request.RawText[request.RawText.IndexOf("\r\n\r\n", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    // ---- H1-15 framing and routing fields in trailers ----

    [Theory]
    [InlineData("Content-Length: 50")]
    [InlineData("Transfer-Encoding: chunked")]
    [InlineData("Host: evil")]
    public async Task H1_15_FramingFieldInTrailers_NeverMerged(string trailer)
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync(
            "POST /tr HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n" + trailer + "\r\n\r\n");

        var response = Assert.Single(answers.Finals);
        var name = trailer[..trailer.IndexOf(':', StringComparison.Ordinal)];
        if (response.Status == 400)
        {
            Assert.True(answers.Closed, answers.ToString());
            Assert.Empty(rig.Backend.Requests);
            return;
        }

        Assert.Equal(200, response.Status);
        Assert.Equal("you asked /tr", response.Body);
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Equal(["a"], request.HeaderValues("host"));
        Assert.Empty(request.HeaderValues("content-length"));
        Assert.Equal("hello", request.BodyText);
        Assert.DoesNotContain(request.Trailers, t => string.Equals(t.Key, name, StringComparison.OrdinalIgnoreCase));
    }

    // ---- H1-16 obs-fold ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task H1_16_ObsFold_JoinedWithSpacesOr400(bool acceptInvalid)
    {
        await using var rig = await Http1Rig.StartAsync(acceptInvalid ? AcceptInvalid : "");
        var answers = await rig.ExchangeAsync("GET /f HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\nX-B: 3\r\n\r\n");

        var response = Assert.Single(answers.Finals);
        if (response.Status == 400)
        {
            Assert.True(answers.Closed, answers.ToString());
            await rig.LogLineAsync(400);
            Assert.Equal(string.Empty, rig.Backend.AllReceivedText);
            return;
        }

        Assert.Equal(200, response.Status);
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Matches("^1[ \t]+2$", Assert.Single(request.HeaderValues("x-a")));
        Assert.Equal(["3"], request.HeaderValues("x-b"));
        Assert.DoesNotContain("\r\n ", request.RawText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Transfer-Encoding:\r\n chunked\r\n", ChunkedHello, false)]
    [InlineData("Transfer-Encoding:\r\n chunked\r\n", ChunkedHello, true)]
    [InlineData("Transfer-Encoding: gzip,\r\n chunked\r\n", ChunkedHello, true)]
    [InlineData("Content-Length:\r\n 5\r\n", "hello", false)]
    [InlineData("Content-Length:\r\n 5\r\n", "hello", true)]
    [InlineData("Content-Length: 5\r\n 5\r\n", "hello", true)]
    [InlineData("X-Z: 1\r\nHost:\r\n a\r\n", "", false)]
    [InlineData("X-Z: 1\r\nHost:\r\n a\r\n", "", true)]
    public async Task H1_16_ObsFoldInFramingOrHost_Rejected400(string fields, string body, bool acceptInvalid)
    {
        await using var rig = await Http1Rig.StartAsync(acceptInvalid ? AcceptInvalid : "");
        var host = fields.Contains("Host:", StringComparison.Ordinal) ? "" : "Host: a\r\n";
        await rig.AssertRejectedNothingForwardedAsync("POST / HTTP/1.1\r\n" + host + fields + "\r\n" + body, 400);
    }

    // ---- H1-17 bare LF ----

    [Theory]
    [InlineData("GET /lf HTTP/1.1\nHost: a\nX-A: 1\n\n", false)]
    [InlineData("GET /lf HTTP/1.1\r\nHost: a\nX-A: 1\r\n\n", false)]
    [InlineData("POST /lf HTTP/1.1\nHost: a\nContent-Length: 5\n\nhello", false)]
    [InlineData("GET /lf HTTP/1.1\nHost: a\nX-A: 1\n\n", true)]
    public async Task H1_17_BareLfLineEnds_AcceptedForwardedWithCrlf(string request, bool acceptInvalid)
    {
        await using var rig = await Http1Rig.StartAsync(acceptInvalid ? AcceptInvalid : "");
        var answers = await rig.ExchangeAsync(request);

        var response = Assert.Single(answers.Finals);
        Assert.Equal(200, response.Status);
        Assert.Equal("you asked /lf", response.Body);
        var forwarded = Assert.Single(rig.Backend.Requests);
        Assert.Equal("/lf", forwarded.Target);
        Assert.DoesNotMatch("(?<!\r)\n", rig.Backend.AllReceivedText);
    }

    // ---- H1-18 bare CR ----

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\rHost: a\r\n\r\n")]
    [InlineData("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nX\rA: b\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n")]
    public async Task H1_18_BareCr_Rejected400Closed(string request)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync(request, 400);
    }

    // ---- H1-19 NUL in a value ----

    [Theory]
    [InlineData("X-A: a\u0000b")]
    [InlineData("X-A: \u0000")]
    [InlineData("Host: a\u0000b")]
    public async Task H1_19_NulInHeaderValue_Rejected400NothingForwarded(string field)
    {
        await using var rig = await Http1Rig.StartAsync();
        var host = field.StartsWith("Host", StringComparison.Ordinal) ? "" : "Host: a\r\n";
        await rig.AssertRejectedNothingForwardedAsync("GET / HTTP/1.1\r\n" + host + field + "\r\n\r\n", 400);
    }

    // ---- H1-20 header names ----

    [Theory]
    [InlineData(": x")]
    [InlineData("X Y: z")]
    [InlineData("X@Y: z")]
    [InlineData("X\u0080Y: z")]
    [InlineData("X\u0000Y: z")]
    [InlineData("X\"Y: z")]
    [InlineData("X(Y): z")]
    public async Task H1_20_InvalidHeaderName_Rejected400Closed(string field)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("GET / HTTP/1.1\r\nHost: a\r\n" + field + "\r\nX-After: 1\r\n\r\n", 400);
    }

    [Theory]
    [InlineData(": x")]
    [InlineData("X Y: z")]
    [InlineData("X@Y: z")]
    [InlineData("X\u0080Y: z")]
    [InlineData("X\u0000Y: z")]
    public async Task H1_20_InvalidHeaderName_AcceptInvalid_Rejected400OrHeaderDropped(string field)
    {
        // HAProxy's relaxed mode drops the header; the rest of the header list must survive (CVE-2023-25725).
        await using var rig = await Http1Rig.StartAsync(AcceptInvalid);
        var answers = await rig.ExchangeAsync("GET /n HTTP/1.1\r\nHost: a\r\n" + field + "\r\nX-After: 1\r\n\r\n");

        var response = Assert.Single(answers.Finals);
        if (response.Status == 400)
        {
            Assert.True(answers.Closed, answers.ToString());
            await rig.LogLineAsync(400);
            Assert.Equal(string.Empty, rig.Backend.AllReceivedText);
            return;
        }

        Assert.Equal(200, response.Status);
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Equal(["1"], request.HeaderValues("x-after"));
        Assert.Equal(["a"], request.HeaderValues("host"));
        Assert.DoesNotContain(field, request.RawText, StringComparison.Ordinal);
    }

    // ---- H1-21 whitespace right after the request line ----

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n Host: a\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\n\tX-A: 1\r\nHost: a\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\n X-A: 1\r\nHost: a\r\n\r\n", true)]
    public async Task H1_21_WhitespaceAfterRequestLine_Rejected400Closed(string request, bool acceptInvalid)
    {
        await using var rig = await Http1Rig.StartAsync(acceptInvalid ? AcceptInvalid : "");
        await rig.AssertRejectedNothingForwardedAsync(request, 400);
    }

    // ---- H1-22 request lines ----

    [Theory]
    [InlineData("GET  / HTTP/1.1")]
    [InlineData("GET /  HTTP/1.1")]
    [InlineData("GET / http/1.1")]
    [InlineData("GET / HTTP/1.10")]
    [InlineData("GET / HTTP/2.0")]
    [InlineData("GET / HTTP/1.2")]
    [InlineData("GET /")]
    [InlineData("GET? / HTTP/1.1")]
    [InlineData("GET / HTTP/1.1 ")]
    [InlineData(" GET / HTTP/1.1")]
    [InlineData("GET\t/ HTTP/1.1")]
    public async Task H1_22_BadRequestLine_Rejected400Closed(string requestLine)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync(requestLine + "\r\nHost: a\r\n\r\n", 400);
    }

    // ---- H1-23 request-target forms ----

    [Theory]
    [InlineData("GET * HTTP/1.1")]
    [InlineData("GET */x HTTP/1.1")]
    [InlineData("OPTIONS */x HTTP/1.1")]
    [InlineData("GET admin HTTP/1.1")]
    [InlineData("GET haproxy.org:80 HTTP/1.1")]
    [InlineData("CONNECT / HTTP/1.1")]
    [InlineData("CONNECT haproxy.org HTTP/1.1")]
    [InlineData("CONNECT haproxy.org: HTTP/1.1")]
    public async Task H1_23_BadRequestTarget_Rejected400(string requestLine)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync(requestLine + "\r\nHost: haproxy.org\r\n\r\n", requireClose: false, 400);
    }

    [Fact]
    public async Task H1_23_OptionsAsterisk_Forwarded()
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.Equal(200, Assert.Single(answers.Finals).Status);
        Assert.Equal("*", Assert.Single(rig.Backend.Requests).Target);
    }

    // ---- H1-24 bytes of the target ----

    [Theory]
    [InlineData("GET /a#frag HTTP/1.1")]
    [InlineData("GET /#")]
    [InlineData("GET /\u00e9 HTTP/1.1")]
    [InlineData("GET /\u0080 HTTP/1.1")]
    [InlineData("GET /a\u0001b HTTP/1.1")]
    [InlineData("GET /a\u007fb HTTP/1.1")]
    [InlineData("GET /a\u0000b HTTP/1.1")]
    [InlineData("GET /a b HTTP/1.1")]
    [InlineData("GET http://a/#x HTTP/1.1")]
    public async Task H1_24_BadTargetByte_Rejected400(string requestLine)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync(requestLine + "\r\nHost: a\r\n\r\n", requireClose: false, 400);
    }

    [Fact]
    public async Task H1_24_FragmentWithAcceptInvalid_StillRejected400()
    {
        await using var rig = await Http1Rig.StartAsync(AcceptInvalid);
        await rig.AssertRejectedNothingForwardedAsync("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", requireClose: false, 400);
    }

    // ---- H1-25 absolute-form ----

    [Theory]
    [InlineData("GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n")]
    [InlineData("GET http://a:8080/ HTTP/1.1\r\nHost: a\r\n\r\n")]
    public async Task H1_25_AbsoluteFormHostMismatch_Rejected400(string request)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync(request, requireClose: false, 400);
    }

    [Fact]
    public async Task H1_25_AbsoluteFormMatchingHost_ForwardedWithThatHost()
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync("GET http://a/abs HTTP/1.1\r\nHost: a\r\n\r\n");

        Assert.Equal(200, Assert.Single(answers.Finals).Status);
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Equal(["a"], request.HeaderValues("host"));
        Assert.Contains(request.Target, new[] { "http://a/abs", "/abs" });
    }

    // ---- H1-26 Host ----

    [Theory]
    [InlineData("")]
    [InlineData("Host: a\r\nHost: b\r\n")]
    [InlineData("Host: a, b\r\n")]
    [InlineData("Host: a b\r\n")]
    [InlineData("Host: a@b\r\n")]
    [InlineData("Host: a/b\r\n")]
    public async Task H1_26_MissingDuplicateOrInvalidHost_Rejected400Closed(string hostFields)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("GET / HTTP/1.1\r\n" + hostFields + "\r\n", 400);
    }

    [Fact]
    public async Task H1_26_IdenticalHostTwice_ForwardedOnce()
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n");

        Assert.Equal(200, Assert.Single(answers.Finals).Status);
        Assert.Equal(["a"], Assert.Single(rig.Backend.Requests).HeaderValues("host"));
    }

    // ---- H1-27 limits ----

    [Fact]
    public async Task H1_27_RequestLine64KiB_Rejected414Closed()
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("GET /" + new string('a', 64 * 1024) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414);
    }

    [Fact]
    public async Task H1_27_HeaderBlockOverLimit_Rejected431Closed()
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("GET / HTTP/1.1\r\n" + HeaderBlock(15361 - 16), 431);
    }

    /// <summary>A request line that fits leaves less room to the fields: the head one byte over the room is refused.</summary>
    [Fact]
    public async Task H1_27_LongLineThenFieldsOverTheHeadRoom_Rejected431Closed()
    {
        await using var rig = await Http1Rig.StartAsync();
        var line = "GET /" + new string('a', 15360 - 2 - 9 - 2 + 1 - "GET / HTTP/1.1".Length) + " HTTP/1.1";
        await rig.AssertRejectedNothingForwardedAsync(line + "\r\nHost: a\r\n\r\n", 431);
    }

    [Fact]
    public async Task H1_27_HeaderBlockFarOverLimitInManyFields_Rejected431Closed()
    {
        await using var rig = await Http1Rig.StartAsync();
        var fields = string.Concat(Enumerable.Range(0, 40).Select(i => $"X-F{i}: {new string('v', 1000)}\r\n"));
        await rig.AssertRejectedNothingForwardedAsync("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n", 431);
    }

    [Theory]
    [InlineData(150)]
    [InlineData(102)]
    [InlineData(101)]
    public async Task H1_27_MoreFieldsThanMaxhdr_Rejected400Closed(int fieldCount)
    {
        // tune.http.maxhdr is 101 and HAProxy keeps one slot for the end of the section: 100 fields at most.
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync("GET / HTTP/1.1\r\n" + Fields(fieldCount) + "\r\n", 400);
    }

    /// <summary>
    /// The whole head may fill HAProxy's room for it (bufsize - maxrewrite, 15360 bytes), start line included: a
    /// request line of 15347 bytes with its Host field, or a field section that fills what the start line leaves.
    /// One byte more is refused (431).
    /// </summary>
    [Fact]
    public async Task H1_27_AtLimits_Forwarded()
    {
        await using var rig = await Http1Rig.StartAsync();

        const int LongestLine = 15360 - 2 - 9 - 2;
        var longLine = "GET /" + new string('a', LongestLine - "GET / HTTP/1.1".Length) + " HTTP/1.1";
        var answers = await rig.ExchangeAsync(longLine + "\r\nHost: a\r\n\r\n");
        Assert.Equal(200, Assert.Single(answers.Finals).Status);

        const string BlockLine = "GET /block HTTP/1.1\r\n";
        answers = await rig.ExchangeAsync(BlockLine + HeaderBlock(15360 - BlockLine.Length));
        Assert.Equal(200, Assert.Single(answers.Finals).Status);

        answers = await rig.ExchangeAsync("GET /fields HTTP/1.1\r\n" + Fields(100) + "\r\n");
        Assert.Equal(200, Assert.Single(answers.Finals).Status);

        var requests = await rig.Backend.WaitForRequestsAsync(3);
        Assert.Equal(LongestLine - 14, requests[0].Target.Length - 1);
        Assert.Equal("/block", requests[1].Target);
        Assert.Equal(99, requests[2].Headers.Count(h => h.Key.StartsWith("X-N", StringComparison.Ordinal)));
    }

    /// <summary>Host plus one filler field and the final CRLF: exactly <paramref name="size"/> bytes.</summary>
    private static string HeaderBlock(int size)
    {
        const string Host = "Host: a\r\n";
        const string Name = "X-Fill: ";
        var filler = size - Host.Length - Name.Length - 2 - 2;
        var block = Host + Name + new string('x', filler) + "\r\n\r\n";
        Assert.Equal(size, block.Length);
        return block;
    }

    /// <summary>Host plus numbered fields: <paramref name="count"/> field lines in all.</summary>
    private static string Fields(int count) =>
        "Host: a\r\n" + string.Concat(Enumerable.Range(1, count - 1).Select(i => $"X-N{i}: v\r\n"));

    // ---- H1-28 HTTP/1.0 body on GET/HEAD/DELETE ----

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    [InlineData("DELETE")]
    public async Task H1_28_Http10BodyOnBodilessMethod_Rejected413Closed(string method)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync(method + " / HTTP/1.0\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 413);
    }

    [Fact]
    public async Task H1_28_Http10PostWithBody_Forwarded()
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync("POST /p HTTP/1.0\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");

        Assert.Equal(200, Assert.Single(answers.Finals).Status);
        Assert.Equal("hello", Assert.Single(rig.Backend.Requests).BodyText);
    }

    // ---- H1-29 pipelining ----

    [Theory]
    [InlineData("GET /a HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")]
    [InlineData("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")]
    public async Task H1_29_TwoPipelinedRequests_AnsweredInOrder(string first)
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync(first + "GET /b HTTP/1.1\r\nHost: a\r\n\r\n", responses: 2);

        Assert.Equal(["you asked /a", "you asked /b"], answers.Finals.Select(r => r.Body));
        Assert.All(answers.Finals, r => Assert.Equal(200, r.Status));
        Assert.Equal(["/a", "/b"], rig.Backend.Requests.Select(r => r.Target));
    }

    [Theory]
    [InlineData("GET /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello")]
    [InlineData("GET /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n")]
    [InlineData("G\u0000T /b HTTP/1.1\r\nHost: a\r\n\r\n")]
    [InlineData("GET /b HTTP/1.1\r\n\r\n")]
    public async Task H1_29_ValidThenInvalidPipelined_FirstAnsweredThen400Closed(string second)
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync("GET /a HTTP/1.1\r\nHost: a\r\n\r\n" + second, responses: 2);

        Assert.Equal(2, answers.Finals.Count);
        Assert.Equal(200, answers.Finals[0].Status);
        Assert.Equal("you asked /a", answers.Finals[0].Body);
        Assert.Equal(400, answers.Finals[1].Status);
        Assert.True(answers.Closed, answers.ToString());
        await rig.LogLineAsync(400);
        Assert.Equal(["/a"], rig.Backend.Requests.Select(r => r.Target));
        Assert.DoesNotContain("/b", rig.Backend.AllReceivedText, StringComparison.Ordinal);
    }

    // ---- H1-30 Expect ----

    [Fact]
    public async Task H1_30_Expect100Continue_BodyAfter100_Forwarded()
    {
        await using var rig = await Http1Rig.StartAsync();
        using var socket = await TestClient.ConnectTcpAsync(rig.Port);
        await socket.SendAsync(Http1Rig.Bytes("POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"), SocketFlags.None);

        var interim = await ReadHeadAsync(socket);
        Assert.StartsWith("HTTP/1.1 100 ", interim, StringComparison.Ordinal);
        var connection = Assert.Single(await rig.Backend.WaitForConnectionsAsync(1));
        Assert.EndsWith("\r\n\r\n", connection.ReceivedText, StringComparison.Ordinal);

        await socket.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        var answers = await Http1Rig.ReadAnswersAsync(socket);
        var response = Assert.Single(answers.Finals);
        Assert.Equal(200, response.Status);
        Assert.Equal("you asked /e", response.Body);
        Assert.Equal("hello", Assert.Single(rig.Backend.Requests).BodyText);
    }

    [Fact]
    public async Task H1_30_Expect100ContinueWithBodyAndPipelinedRequest_NoDesync()
    {
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync(
            "POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: a\r\n\r\n", responses: 2);

        Assert.Equal(["you asked /e", "you asked /next"], answers.Finals.Select(r => r.Body));
        Assert.All(answers.Responses.Where(r => r.Status < 200), r => Assert.Equal(100, r.Status));
        Assert.Equal(["/e", "/next"], rig.Backend.Requests.Select(r => r.Target));
        Assert.Equal("hello", rig.Backend.Requests[0].BodyText);
    }

    [Fact]
    public async Task H1_30_Expect100ContinueWithoutBody_0ClNoDesync()
    {
        // Expect with Content-Length: 0 then a pipelined request: the second request is never read as a body.
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync(
            "POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n", responses: 2);

        Assert.Equal(["you asked /e", "you asked /next"], answers.Finals.Select(r => r.Body));
        Assert.Equal(["/e", "/next"], rig.Backend.Requests.Select(r => r.Target));
    }

    [Theory]
    [InlineData("foo")]
    [InlineData("100-continue, foo")]
    public async Task H1_30_UnknownExpectation_Rejected417NothingForwarded(string expectation)
    {
        await using var rig = await Http1Rig.StartAsync();
        await rig.AssertRejectedNothingForwardedAsync(
            "POST / HTTP/1.1\r\nHost: a\r\nExpect: " + expectation + "\r\nContent-Length: 5\r\n\r\nhello", requireClose: false, 417);
    }

    private static async Task<string> ReadHeadAsync(Socket socket)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        var token = TestTimeout.Token();
        while (!received.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            if (read == 0)
            {
                break;
            }

            received.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        return received.ToString();
    }

    // ---- H1-31 fields named by Connection ----

    [Theory]
    [InlineData("close, X-Forwarded-For")]
    [InlineData("X-Forwarded-For")]
    public async Task H1_31_ConnectionNamesXff_ProxyXffStillSentConnectionRegenerated(string connection)
    {
        await using var rig = await Http1Rig.StartAsync("option forwardfor");
        var answers = await rig.ExchangeAsync("GET /c HTTP/1.1\r\nHost: a\r\nConnection: " + connection + "\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n");

        Assert.Equal(200, Assert.Single(answers.Finals).Status);
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Contains("127.0.0.1", request.HeaderValues("x-forwarded-for").SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)));
        Assert.All(request.HeaderValues("connection"), v => Assert.DoesNotContain("forwarded", v, StringComparison.OrdinalIgnoreCase));
    }

    // ---- H1-32 underscore in a field name ----

    [Fact]
    public async Task H1_32_UnderscoreHeaderName_PreservedByDefault()
    {
        // HAProxy's default for option http-restrict-req-hdr-names is "preserve".
        await using var rig = await Http1Rig.StartAsync();
        var answers = await rig.ExchangeAsync("GET /u HTTP/1.1\r\nHost: a\r\nX_Forwarded_For: 1.2.3.4\r\n\r\n");

        Assert.Equal(200, Assert.Single(answers.Finals).Status);
        Assert.Equal(["1.2.3.4"], Assert.Single(rig.Backend.Requests).HeaderValues("X_Forwarded_For"));
    }

    [Fact]
    public async Task H1_32_UnderscoreHeaderName_DeletedWithOptionDelete()
    {
        await using var rig = await Http1Rig.StartAsync("option http-restrict-req-hdr-names delete");
        var answers = await rig.ExchangeAsync("GET /u HTTP/1.1\r\nHost: a\r\nX_Forwarded_For: 1.2.3.4\r\nX-Kept: 1\r\n\r\n");

        Assert.Equal(200, Assert.Single(answers.Finals).Status);
        var request = Assert.Single(rig.Backend.Requests);
        Assert.Empty(request.HeaderValues("X_Forwarded_For"));
        Assert.Equal(["1"], request.HeaderValues("X-Kept"));
    }

    [Fact]
    public async Task H1_32_UnderscoreHeaderName_RefusedWith403WithOptionReject()
    {
        await using var rig = await Http1Rig.StartAsync("option http-restrict-req-hdr-names reject");
        var answers = await rig.ExchangeAsync("GET /u HTTP/1.1\r\nHost: a\r\nX_Forwarded_For: 1.2.3.4\r\n\r\n");

        Assert.Equal(403, Assert.Single(answers.Finals).Status);
        Assert.Empty(rig.Backend.Requests);
    }

    private static string Escape(string text)
    {
        var builder = new StringBuilder();
        foreach (var c in text)
        {
            builder.Append(c is >= ' ' and < '\u007f' ? c.ToString() : $"\\x{(int)c:x2}");
        }

        return builder.ToString();
    }
}
