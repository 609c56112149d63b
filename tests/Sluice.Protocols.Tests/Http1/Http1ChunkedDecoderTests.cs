using System.Buffers;
using Sluice.Protocols.Http1;
using static Sluice.Protocols.Tests.Http1.Http1Harness;

namespace Sluice.Protocols.Tests.Http1;

public class Http1ChunkedDecoderTests
{
    private static string Decode(string input, Http1ParserOptions? options = null)
        => DecodeChunkedAllWays(Bytes(input), options ?? Http1ParserOptions.Strict);

    private static void AssertRejected(string input, Http1RejectReason reason, Http1ParserOptions? options = null)
        => Assert.Contains($"=> Rejected:{reason}@", Decode(input, options), StringComparison.Ordinal);

    [Theory]
    [InlineData("0\r\n\r\n", "", "END")]
    [InlineData("5\r\nhello\r\n0\r\n\r\n", "hello", "END")]
    [InlineData("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", "END")]
    [InlineData("A\r\n0123456789\r\n0\r\n\r\n", "0123456789", "END")]
    [InlineData("a\r\n0123456789\r\n000\r\n\r\n", "0123456789", "END")]
    [InlineData("0000000000005\r\nhello\r\n0\r\n\r\n", "hello", "END")]
    [InlineData("3\r\n\r\n\n\r\n0\r\n\r\n", "\\x0D\\x0A\\x0A", "END")]
    [InlineData("5;a\r\nhello\r\n0\r\n\r\n", "hello", "END")]
    [InlineData("5;a=b\r\nhello\r\n0\r\n\r\n", "hello", "END")]
    [InlineData("5 ;a=b ; c = \"d;e\\\"f\"\r\nhello\r\n0;last\r\n\r\n", "hello", "END")]
    [InlineData("5\t;a=\"\"\r\nhello\r\n0\r\n\r\n", "hello", "END")]
    [InlineData("0\r\nX-Checksum: abc\r\nGrpc-Status: 0\r\n\r\n", "", "H X-Checksum: abc\nH Grpc-Status: 0\nEND")]
    public void Read_ValidBody_DeliversDataAndTrailers(string input, string body, string trailerEvents)
        => Assert.Equal($"BODY {body}\n{trailerEvents}\n=> Complete@{input.Length}", Decode(input));

    [Fact]
    public void Read_BodyFollowedByNextMessage_StopsAtEndOfTrailers()
    {
        string body = "2\r\nhi\r\n0\r\n\r\n";
        Assert.Equal($"BODY hi\nEND\n=> Complete@{body.Length}", Decode(body + "GET / HTTP/1.1\r\n\r\n"));
    }

    [Theory]
    [InlineData("5\r\nhel")]
    [InlineData("5\r\nhello\r")]
    [InlineData("5\r\nhello\r\n0\r\n")]
    [InlineData("5\r\nhello\r\n0\r\nX: y\r\n")]
    [InlineData("5")]
    public void Read_IncompleteBody_NeedsMoreData(string input)
        => Assert.Contains("=> NeedMoreData@", Decode(input), StringComparison.Ordinal);

    // RELIABILITY H1-12.
    [Theory]
    [InlineData("0x5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("+5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("-1\r\nhello\r\n0\r\n\r\n")]
    [InlineData(" 5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5 5\r\nhello\r\n0\r\n\r\n")]
    [InlineData("\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5_0\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5 \r\nhello\r\n0\r\n\r\n")]
    [InlineData("g\r\n")]
    [InlineData("00000000000005\r\nhello\r\n0\r\n\r\n")]
    [InlineData("10000000000000\r\n")]
    [InlineData("ffffffffffffffffff\r\n")]
    [InlineData("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff")]
    public void Read_InvalidChunkSize_RejectedWith400(string input)
    {
        var options = Http1ParserOptions.Strict with { MaxChunkExtensionLength = 16 };
        AssertRejected(input, Http1RejectReason.InvalidChunkSize, options);
        Assert.Equal(400, Http1RejectReason.InvalidChunkSize.ToStatusCode());
    }

    [Fact]
    public void Read_LargestChunkSize_Accepted()
    {
        var decoder = default(Http1ChunkedDecoder);
        var handler = new RecorderAdapter(new Recorder(HeadKind.Fields, Http1ParserOptions.Strict, analyzeFraming: false));
        var input = new ReadOnlySequence<byte>(Bytes("fffffffffffff\r\nxy"));
        Http1ChunkedStatus status = decoder.Read(input, ref handler, Http1ParserOptions.Strict, out ReadOnlySequence<byte> data, out _, out _);
        Assert.Equal(Http1ChunkedStatus.Data, status);
        Assert.Equal(2, data.Length);
        Assert.Equal((1L << 52) - 1 - 2, decoder.ChunkRemaining);
    }

    // RELIABILITY H1-13 (Kestrel CVE-2025-55315 class): bare LF and bare CR in chunk framing, in every mode.
    [Theory]
    [InlineData("5\nhello\r\n0\r\n\r\n")]
    [InlineData("5\r\nhello\n0\r\n\r\n")]
    [InlineData("5\r\nhello\r0\r\n\r\n")]
    [InlineData("5\r\nhelloXX0\r\n\r\n")]
    [InlineData("5\r\nhello\r\n0\n\r\n")]
    [InlineData("5;a\nhello\r\n0\r\n\r\n")]
    [InlineData("5\rhello\r\n0\r\n\r\n")]
    public void Read_BareLineFeedOrCarriageReturnInFraming_Rejected(string input)
    {
        string strict = Decode(input);
        string relaxed = Decode(input, Http1ParserOptions.HaproxyCompatible);
        Assert.Contains("=> Rejected:", strict, StringComparison.Ordinal);
        Assert.Equal(strict, relaxed);
    }

    [Fact]
    public void Read_BareLfAfterSizeLine_ReasonIsChunkTerminator()
        => AssertRejected("5\nhello\r\n0\r\n\r\n", Http1RejectReason.InvalidChunkTerminator);

    [Fact]
    public void Read_BareLfEndingTrailers_Rejected()
        => AssertRejected("0\r\n\n", Http1RejectReason.InvalidLineTerminator, Http1ParserOptions.HaproxyCompatible);

    // RELIABILITY H1-14.
    [Theory]
    [InlineData("5;\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;=b\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a\0b\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a\rb\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;\"unterminated\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a=\"unterminated\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a=b\\c\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a=\"b\\\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a=\"b\u0001\"\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a=\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a b\r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a=b \r\nhello\r\n0\r\n\r\n")]
    [InlineData("5;a;\r\nhello\r\n0\r\n\r\n")]
    public void Read_InvalidChunkExtension_RejectedWith400(string input)
        => AssertRejected(input, Http1RejectReason.InvalidChunkExtension);

    [Theory]
    [InlineData(17)]
    [InlineData(4096)]
    public void Read_ChunkExtensionOverLimit_RejectedWith413(int extensionLength)
    {
        var options = Http1ParserOptions.Strict with { MaxChunkExtensionLength = 16 };
        string extension = ";" + new string('a', extensionLength - 1);
        AssertRejected($"5{extension}\r\nhello\r\n0\r\n\r\n", Http1RejectReason.ChunkExtensionTooLong, options);
        AssertRejected($"5{extension}", Http1RejectReason.ChunkExtensionTooLong, options);
        Assert.Equal(413, Http1RejectReason.ChunkExtensionTooLong.ToStatusCode());
    }

    [Fact]
    public void Read_ChunkExtensionAtLimit_Accepted()
    {
        var options = Http1ParserOptions.Strict with { MaxChunkExtensionLength = 16 };
        string extension = ";" + new string('a', 15);
        Assert.Contains("=> Complete@", Decode($"5{extension}\r\nhello\r\n0\r\n\r\n", options), StringComparison.Ordinal);
    }

    // RELIABILITY H1-15: trailers use the header rules; forbidden trailer names are the caller's to drop.
    [Theory]
    [InlineData("0\r\nX : y\r\n\r\n", Http1RejectReason.WhitespaceBeforeColon)]
    [InlineData("0\r\n: y\r\n\r\n", Http1RejectReason.EmptyHeaderName)]
    [InlineData("0\r\nX: a\0b\r\n\r\n", Http1RejectReason.InvalidHeaderValue)]
    [InlineData("0\r\n X: y\r\n\r\n", Http1RejectReason.ObsFold)]
    [InlineData("0\r\nX: y\r\n z\r\n\r\n", Http1RejectReason.ObsFold)]
    [InlineData("0\r\nX: y\n\r\n", Http1RejectReason.InvalidLineTerminator)]
    [InlineData("0\r\nX\r\n\r\n", Http1RejectReason.MissingColon)]
    public void Read_InvalidTrailer_Rejected(string input, Http1RejectReason reason)
        => AssertRejected(input, reason);

    [Fact]
    public void Read_TrailerSectionOverLimit_RejectedWith431()
    {
        var options = Http1ParserOptions.Strict with { MaxHeaderSectionSize = 32 };
        AssertRejected("0\r\nX: " + new string('v', 40) + "\r\n\r\n", Http1RejectReason.HeaderSectionTooLarge, options);
    }

    [Fact]
    public void Read_TooManyTrailers_Rejected()
    {
        // Three slots: two trailer fields and the end of the section.
        var options = Http1ParserOptions.Strict with { MaxHeaderCount = 3 };
        AssertRejected("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", Http1RejectReason.TooManyHeaders, options);
    }

    [Fact]
    public void Read_FramingFieldsInTrailers_DeliveredForTheCallerToDrop()
    {
        string input = "0\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nHost: b\r\n\r\n";
        Assert.Equal(
            $"BODY \nH Content-Length: 5\nH Transfer-Encoding: chunked\nH Host: b\nEND\n=> Complete@{input.Length}",
            Decode(input));
        Assert.True(Http1FieldNames.IsForbiddenInTrailers("content-length"u8));
        Assert.True(Http1FieldNames.IsForbiddenInTrailers("Transfer-Encoding"u8));
        Assert.True(Http1FieldNames.IsForbiddenInTrailers("HOST"u8));
        Assert.False(Http1FieldNames.IsForbiddenInTrailers("grpc-status"u8));
    }
}
