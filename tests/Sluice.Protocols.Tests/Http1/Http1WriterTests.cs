using System.Buffers;
using Sluice.Protocols.Http1;
using static Sluice.Protocols.Tests.Http1.Http1Harness;

namespace Sluice.Protocols.Tests.Http1;

public class Http1WriterTests
{
    private static string Text(ReadOnlySpan<byte> bytes) => Escape(bytes);

    [Fact]
    public void TryWriteRequestLine_EnoughRoom_WritesLine()
    {
        Span<byte> buffer = stackalloc byte[64];
        Assert.True(Http1HeadWriter.TryWriteRequestLine("GET"u8, "/a?b"u8, Http1Version.Http11, buffer, out int written));
        Assert.Equal("GET /a?b HTTP/1.1\\x0D\\x0A", Text(buffer.Slice(0, written)));
    }

    [Fact]
    public void TryWriteStatusLine_EnoughRoom_WritesLine()
    {
        Span<byte> buffer = stackalloc byte[64];
        Assert.True(Http1HeadWriter.TryWriteStatusLine(Http1Version.Http10, 503, "Service Unavailable"u8, buffer, out int written));
        Assert.Equal("HTTP/1.0 503 Service Unavailable\\x0D\\x0A", Text(buffer.Slice(0, written)));
    }

    [Fact]
    public void TryWriteHeader_EnoughRoom_WritesField()
    {
        Span<byte> buffer = stackalloc byte[64];
        Assert.True(Http1HeadWriter.TryWriteHeader("Host"u8, "a.example"u8, buffer, out int written));
        Assert.Equal("Host: a.example\\x0D\\x0A", Text(buffer.Slice(0, written)));
        Assert.True(Http1HeadWriter.TryWriteEndOfHeaders(buffer, out written));
        Assert.Equal(2, written);
    }

    [Fact]
    public void TryWrite_DestinationOneByteShort_ReturnsFalse()
    {
        byte[] buffer = new byte[64];
        Assert.True(Http1HeadWriter.TryWriteRequestLine("GET"u8, "/"u8, Http1Version.Http11, buffer, out int needed));
        Assert.False(Http1HeadWriter.TryWriteRequestLine("GET"u8, "/"u8, Http1Version.Http11, buffer.AsSpan(0, needed - 1), out _));
        Assert.True(Http1HeadWriter.TryWriteStatusLine(Http1Version.Http11, 200, "OK"u8, buffer, out needed));
        Assert.False(Http1HeadWriter.TryWriteStatusLine(Http1Version.Http11, 200, "OK"u8, buffer.AsSpan(0, needed - 1), out _));
        Assert.True(Http1HeadWriter.TryWriteHeader("A"u8, "b"u8, buffer, out needed));
        Assert.False(Http1HeadWriter.TryWriteHeader("A"u8, "b"u8, buffer.AsSpan(0, needed - 1), out _));
        Assert.False(Http1HeadWriter.TryWriteEndOfHeaders(buffer.AsSpan(0, 1), out _));
        Assert.True(Http1ChunkedEncoder.TryWriteChunkHeader(0x1234, buffer, out needed));
        Assert.False(Http1ChunkedEncoder.TryWriteChunkHeader(0x1234, buffer.AsSpan(0, needed - 1), out _));
    }

    [Theory]
    [InlineData("a\rb")]
    [InlineData("a\nb")]
    [InlineData("a\0b")]
    public void TryWriteHeader_LineBreakInValue_Throws(string value)
    {
        byte[] buffer = new byte[64];
        Assert.Throws<ArgumentException>(() => Http1HeadWriter.TryWriteHeader("X"u8, Bytes(value), buffer, out _));
        Assert.Throws<ArgumentException>(() => Http1HeadWriter.TryWriteRequestLine("GET"u8, Bytes("/" + value), Http1Version.Http11, buffer, out _));
        Assert.Throws<ArgumentException>(() => Http1HeadWriter.TryWriteStatusLine(Http1Version.Http11, 200, Bytes(value), buffer, out _));
    }

    [Theory]
    [InlineData(1L, "1")]
    [InlineData(15L, "f")]
    [InlineData(16L, "10")]
    [InlineData(0xABCDEFL, "abcdef")]
    [InlineData((1L << 52) - 1, "fffffffffffff")]
    [InlineData(long.MaxValue, "7fffffffffffffff")]
    public void TryWriteChunkHeader_Size_WritesLowercaseHex(long size, string hex)
    {
        Span<byte> buffer = stackalloc byte[Http1ChunkedEncoder.MaxChunkHeaderLength];
        Assert.True(Http1ChunkedEncoder.TryWriteChunkHeader(size, buffer, out int written));
        Assert.Equal(hex + "\\x0D\\x0A", Text(buffer.Slice(0, written)));
    }

    [Fact]
    public void WriteChunk_ThenDecode_GivesSameBodyAndTrailers()
    {
        var writer = new ArrayBufferWriter<byte>();
        Http1ChunkedEncoder.WriteChunk(writer, "hello"u8);
        Http1ChunkedEncoder.WriteChunk(writer, ReadOnlySpan<byte>.Empty);
        Http1ChunkedEncoder.WriteChunk(writer, new byte[300]);
        Http1ChunkedEncoder.WriteLastChunk(writer);
        Http1HeadWriter.WriteHeader(writer, "Grpc-Status"u8, "0"u8);
        Http1HeadWriter.WriteEndOfHeaders(writer);
        byte[] encoded = writer.WrittenSpan.ToArray();
        Assert.StartsWith("5\\x0D\\x0Ahello\\x0D\\x0A12c\\x0D\\x0A", Text(encoded), StringComparison.Ordinal);
        string decoded = DecodeChunkedAllWays(encoded, Http1ParserOptions.Strict);
        Assert.Equal($"BODY hello{string.Concat(Enumerable.Repeat("\\x00", 300))}\nH Grpc-Status: 0\nEND\n=> Complete@{encoded.Length}", decoded);
    }
}
