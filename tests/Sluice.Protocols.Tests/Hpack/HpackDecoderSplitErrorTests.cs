using Sluice.Protocols.Hpack;
using Sluice.TestKit.Hpack;
using static Sluice.Protocols.Tests.Hpack.HpackTestSupport;

namespace Sluice.Protocols.Tests.Hpack;

/// <summary>Every decoding error is found the same way whether the block arrives whole, split at any offset, or byte by byte.</summary>
public class HpackDecoderSplitErrorTests
{
    public static TheoryData<string, HpackDecodeStatus> InvalidBlocks => new()
    {
        { "82 80", HpackDecodeStatus.IndexZero },
        { "82 ff80 01", HpackDecodeStatus.IndexOutOfRange },
        { "4003 6162 6303 6465 66 7f00 0161", HpackDecodeStatus.IndexOutOfRange },
        { "ffff ffff ff0f", HpackDecodeStatus.IntegerOverflow },
        { "407f ffff ffff 0f", HpackDecodeStatus.IntegerOverflow },
        { "0003 6162 6384 ffff ffff", HpackDecodeStatus.HuffmanEos },
        { "0003 6162 6382 1fff", HpackDecodeStatus.HuffmanInvalidPadding },
        { "8286 20", HpackDecodeStatus.TableSizeUpdateNotAtStart },
        { "3fe2 1f 82", HpackDecodeStatus.TableSizeUpdateTooLarge },
        { "4003 6162 6303 6465", HpackDecodeStatus.IncompleteHeaderBlock },
    };

    [Theory]
    [MemberData(nameof(InvalidBlocks))]
    public void Decode_InvalidBlockSplitAtEveryOffset_SameError(string hex, HpackDecodeStatus expected)
    {
        byte[] block = HpackHex.Parse(hex);
        Assert.Equal(expected, DecodeWhole(new HpackDecoder(), block).Status);
        Assert.Equal(expected, DecodePieces(new HpackDecoder(), ByteByByte(block)).Status);
        for (int cut = 0; cut <= block.Length; cut++)
        {
            Assert.Equal(expected, DecodePieces(new HpackDecoder(), block[..cut], block[cut..]).Status);
        }
    }

    [Fact]
    public void Decode_ListLimitSplitAtEveryOffset_SameFieldsDelivered()
    {
        byte[] block = new SimpleHpackEncoder { UseHuffman = true }.Encode(
            [new(":method", "GET"), new("a", "b"), new("user-agent", "some agent"), new("cc", "dd")]);
        for (int cut = 0; cut <= block.Length; cut++)
        {
            (HpackDecodeStatus status, List<TestHeader> headers) = DecodePieces(new HpackDecoder(maxHeaderListSize: 100), block[..cut], block[cut..]);
            Assert.Equal(HpackDecodeStatus.HeaderListTooLarge, status);
            Assert.Equal([new TestHeader(":method", "GET"), new TestHeader("a", "b")], headers);
        }
    }
}

public class HpackDecoderEmptySegmentTests
{
    [Fact]
    public void Decode_SequenceWithEmptySegmentsBetweenEveryByte_SameHeaders()
    {
        HpackSeries series = HpackRfcVectors.Get("C.4");
        var decoder = new HpackDecoder();
        for (int i = 0; i < 3; i++)
        {
            byte[] block = series.Block(i);
            byte[][] parts = [[], .. block.SelectMany(b => new[] { new[] { b }, Array.Empty<byte>() })];
            (HpackDecodeStatus status, List<TestHeader> headers) = DecodeSequence(decoder, Sluice.TestKit.Http2.Http2Segments.Create(parts));
            Assert.Equal(HpackDecodeStatus.Ok, status);
            Assert.Equal(series.Headers[i], headers);
        }
    }

    [Fact]
    public void Decode_EmptyBlock_Ok()
    {
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(new HpackDecoder(), []).Status);
        Assert.Equal(HpackDecodeStatus.Ok, DecodePieces(new HpackDecoder(), [], [], []).Status);
    }
}
