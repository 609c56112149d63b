using Sluice.Protocols.Hpack;
using Sluice.TestKit.Hpack;
using static Sluice.Protocols.Tests.Hpack.HpackTestSupport;

namespace Sluice.Protocols.Tests.Hpack;

public class HpackEncoderTests
{
    public static TheoryData<string> Series => new() { "C.3", "C.4", "C.5", "C.6" };

    [Theory]
    [MemberData(nameof(Series))]
    public void TryEncode_RfcSeriesWithIncrementalIndexing_BytesAndTablesMatchRfc(string name)
    {
        HpackSeries series = HpackRfcVectors.Get(name);
        var policy = new HpackEncoderPolicy(huffman: series.Huffman ? HpackHuffmanMode.Always : HpackHuffmanMode.Never, maxTableSize: series.TableSize);
        var encoder = new HpackEncoder(policy, initialHeaderTableSize: series.TableSize);
        for (int i = 0; i < 3; i++)
        {
            byte[] block = EncodeBlock(encoder, series.Headers[i], HpackIndexing.Incremental);
            Assert.Equal(Convert.ToHexString(series.Block(i)), Convert.ToHexString(block));
            Assert.Equal(series.Tables[i], TableContents(encoder.DynamicTable));
            Assert.Equal(series.Sizes[i], encoder.DynamicTable.Size);
        }
    }

    [Fact]
    public void TryEncode_StaticExactMatch_OneOctetIndex()
    {
        var encoder = new HpackEncoder();
        Assert.Equal([0x82], EncodeBlock(encoder, [new(":method", "GET")], HpackIndexing.Default));
        Assert.Equal([0x88], EncodeBlock(encoder, [new(":status", "200")], HpackIndexing.Default));
    }

    [Fact]
    public void TryEncode_DefaultPolicy_RepresentationsAsConfigured()
    {
        var encoder = new HpackEncoder();
        var decoder = new SimpleHpackDecoder();
        TestHeader[] headers =
        [
            new("authorization", "Bearer abc"), new("cookie", "short"), new(":path", "/a"), new("user-agent", "curl/8"),
            new("x-long-cookie", "v"), new("cookie", new string('c', 40)),
        ];
        byte[] block = EncodeBlock(encoder, headers, HpackIndexing.Default);
        Assert.Equal(headers, decoder.Decode(block));
        Assert.Equal(["never-indexed", "never-indexed", "without-indexing", "incremental", "incremental", "incremental"], decoder.Representations);

        // The second time, indexed fields are one octet; sensitive ones are literals again.
        block = EncodeBlock(encoder, headers, HpackIndexing.Default);
        Assert.Equal(headers, decoder.Decode(block));
        Assert.Equal(["never-indexed", "never-indexed", "without-indexing", "indexed", "indexed", "indexed"], decoder.Representations);
    }

    [Theory]
    [InlineData(200, "88")]
    [InlineData(204, "89")]
    [InlineData(206, "8A")]
    [InlineData(304, "8B")]
    [InlineData(400, "8C")]
    [InlineData(404, "8D")]
    [InlineData(500, "8E")]
    public void TryEncodeStatus_StaticCodes_OneOctetIndex(int status, string hex)
    {
        var buffer = new byte[16];
        Assert.True(new HpackEncoder().TryEncodeStatus(status, buffer, out int written));
        Assert.Equal(hex, Convert.ToHexString(buffer, 0, written));
    }

    [Fact]
    public void TryEncodeStatusAndContentLength_SameBytesAndTablesAsTheFieldsEncodedByName()
    {
        // Under the default policy and under one that indexes content-length: the shortcut must not change the block.
        foreach (var policy in new[] { HpackEncoderPolicy.Default, new HpackEncoderPolicy(notIndexedNames: [":path"]) })
        {
            var shortcut = new HpackEncoder(policy);
            var byName = new HpackEncoder(policy);
            var decoder = new SimpleHpackDecoder();
            foreach (var (status, length) in new[] { (200, 0L), (302, 5L), (302, 100L), (503, 1234567L), (200, 123456789012345678L), (101, 42L), (999, 42L) })
            {
                var block = new byte[256];
                Assert.True(shortcut.TryEncodeStatus(status, block, out int first));
                Assert.True(shortcut.TryEncodeContentLength(length, block.AsSpan(first), out int second));
                byte[] expected = EncodeBlock(byName, [new(":status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)), new("content-length", length.ToString(System.Globalization.CultureInfo.InvariantCulture))], HpackIndexing.Default);
                Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(block, 0, first + second));
                Assert.Equal(TableContents(byName.DynamicTable), TableContents(shortcut.DynamicTable));
                Assert.Equal(
                    [new TestHeader(":status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)), new TestHeader("content-length", length.ToString(System.Globalization.CultureInfo.InvariantCulture))],
                    decoder.Decode(block[..(first + second)]));
            }
        }
    }

    [Fact]
    public void TryEncodeStatusAndContentLength_DestinationTooSmall_False()
    {
        var encoder = new HpackEncoder();
        Assert.False(encoder.TryEncodeStatus(200, [], out _));
        Assert.False(encoder.TryEncodeStatus(302, new byte[3], out _));
        Assert.False(encoder.TryEncodeContentLength(1234567, new byte[4], out _));
        Assert.Empty(TableContents(encoder.DynamicTable));
    }

    [Fact]
    public void TryEncode_NeverIndexedForStaticExactMatch_StaysLiteral()
    {
        var decoder = new SimpleHpackDecoder();
        byte[] block = EncodeBlock(new HpackEncoder(), [new(":method", "GET")], HpackIndexing.NeverIndexed);
        Assert.Equal([new TestHeader(":method", "GET")], decoder.Decode(block));
        Assert.Equal(["never-indexed"], decoder.Representations);
    }

    [Fact]
    public void TryEncode_CustomPolicy_NamesHonoured()
    {
        var policy = new HpackEncoderPolicy(neverIndexedNames: ["x-secret"], notIndexedNames: ["x-varying"], shortCookieLength: 0);
        var decoder = new SimpleHpackDecoder();
        byte[] block = EncodeBlock(new HpackEncoder(policy), [new("x-secret", "s"), new("x-varying", "1"), new("authorization", "a"), new("cookie", "c")], HpackIndexing.Default);
        decoder.Decode(block);
        Assert.Equal(["never-indexed", "without-indexing", "incremental", "incremental"], decoder.Representations);
    }

    [Fact]
    public void TryEncode_CustomPolicy_LongAndShortNamesHonoured()
    {
        // Names are told apart by their length first: a 70-byte name, one of 1 byte, and names of listed lengths
        // that are not listed.
        string longSecret = "x-" + new string('s', 68);
        var policy = new HpackEncoderPolicy(neverIndexedNames: [longSecret, "s"], notIndexedNames: ["x-varies"], shortCookieLength: 0);
        var decoder = new SimpleHpackDecoder();
        byte[] block = EncodeBlock(new HpackEncoder(policy),
            [new(longSecret, "1"), new("s", "2"), new("x-" + new string('t', 68), "3"), new("t", "4"), new("x-varies", "5"), new("x-vary-1", "6")],
            HpackIndexing.Default);
        decoder.Decode(block);
        Assert.Equal(["never-indexed", "never-indexed", "incremental", "incremental", "without-indexing", "incremental"], decoder.Representations);
    }

    [Fact]
    public void TryEncode_HuffmanWhenShorter_ChoosesShorterForm()
    {
        var encoder = new HpackEncoder();
        var buffer = new byte[64];

        // "307": Huffman is 3 octets, not shorter: raw.
        Assert.True(encoder.TryEncode(":status"u8, "307"u8, HpackIndexing.WithoutIndexing, buffer, out int written));
        Assert.Equal("0803333037", Convert.ToHexString(buffer, 0, written));

        // "no-cache": Huffman 6 octets instead of 8.
        Assert.True(encoder.TryEncode("cache-control"u8, "no-cache"u8, HpackIndexing.WithoutIndexing, buffer, out written));
        Assert.Equal("0F0986A8EB10649CBF", Convert.ToHexString(buffer, 0, written));
    }

    [Fact]
    public void TryEncode_LargeEntry_NotIndexedByDefault()
    {
        var decoder = new SimpleHpackDecoder();
        byte[] block = EncodeBlock(new HpackEncoder(), [new("x-big", new string('v', 3100))], HpackIndexing.Default);
        decoder.Decode(block);
        Assert.Equal(["without-indexing"], decoder.Representations);
    }

    [Fact]
    public void TryEncode_DestinationTooSmall_FalseAndNoStateChange()
    {
        var encoder = new HpackEncoder();
        var small = new byte[10];
        Assert.False(encoder.TryEncode("x-custom"u8, "some value"u8, HpackIndexing.Incremental, small, out int written));
        Assert.Equal(0, written);
        Assert.Equal(0, encoder.DynamicTable.Count);

        var buffer = new byte[64];
        Assert.True(encoder.TryEncode("x-custom"u8, "some value"u8, HpackIndexing.Incremental, buffer, out written));
        Assert.Equal(1, encoder.DynamicTable.Count);
        Assert.Equal([new TestHeader("x-custom", "some value")], new SimpleHpackDecoder().Decode(buffer[..written]));

        for (int size = 0; size < written; size++)
        {
            Assert.False(new HpackEncoder().TryEncode("x-custom"u8, "some value"u8, HpackIndexing.Incremental, new byte[size], out _));
        }
    }

    [Fact]
    public void TryEncode_RepeatedLongLiterals_SameBytesAsAFreshEncoder()
    {
        // Expires and Last-Modified share a slot of the remembered literals (static indexes 36 and 44), Date has its
        // own (33); values change, repeat and alternate, and a destination too small fails without writing.
        string[][] fields =
        [
            ["date", "Sat, 05 Dec 2026 01:25:48 GMT"], ["date", "Sat, 05 Dec 2026 01:25:48 GMT"],
            ["last-modified", "Fri, 04 Dec 2026 10:00:00 GMT"], ["date", "Sat, 05 Dec 2026 01:25:48 GMT"],
            ["expires", "Sat, 05 Dec 2026 02:25:48 GMT"], ["date", "Sat, 05 Dec 2026 01:25:49 GMT"],
            ["date", "Sat, 05 Dec 2026 01:25:49 GMT"], ["expires", "Sat, 05 Dec 2026 02:25:48 GMT"],
        ];
        var encoder = new HpackEncoder();
        var buffer = new byte[128];
        foreach (var field in fields)
        {
            var name = System.Text.Encoding.ASCII.GetBytes(field[0]);
            var value = System.Text.Encoding.ASCII.GetBytes(field[1]);
            Assert.True(new HpackEncoder().TryEncode(name, value, buffer, out int expectedLength));
            var expected = buffer[..expectedLength];

            Assert.False(encoder.TryEncode(name, value, new byte[expectedLength - 1], out int none));
            Assert.Equal(0, none);
            Assert.True(encoder.TryEncode(name, value, buffer, out int written));
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 0, written));
            Assert.Equal([new TestHeader(field[0], field[1])], new SimpleHpackDecoder().Decode(buffer[..written]));
        }

        Assert.Equal(0, encoder.DynamicTable.Count);
    }

    [Fact]
    public void TryBeginBlock_NoChange_WritesNothing()
    {
        var encoder = new HpackEncoder();
        encoder.SetPeerHeaderTableSize(4096);
        Assert.True(encoder.TryBeginBlock(new byte[8], out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void TryBeginBlock_PeerShrinksTable_UpdateEmittedOnce()
    {
        var encoder = new HpackEncoder();
        EncodeBlock(encoder, [new("a", "b")], HpackIndexing.Incremental);
        encoder.SetPeerHeaderTableSize(0);
        Assert.Equal(0, encoder.DynamicTable.Count);

        var buffer = new byte[8];
        Assert.True(encoder.TryBeginBlock(buffer, out int written));
        Assert.Equal("20", Convert.ToHexString(buffer, 0, written));
        Assert.True(encoder.TryBeginBlock(buffer, out written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void TryBeginBlock_ShrinkThenGrowBeforeBlock_SmallestThenFinal()
    {
        // RFC 7541 §4.2: the smallest size in the interval, then the final size.
        var encoder = new HpackEncoder(new HpackEncoderPolicy(maxTableSize: 8192));
        encoder.SetPeerHeaderTableSize(1024);
        encoder.SetPeerHeaderTableSize(100);
        encoder.SetPeerHeaderTableSize(4096);
        var buffer = new byte[16];
        Assert.True(encoder.TryBeginBlock(buffer, out int written));
        Assert.Equal("3F45" + "3FE11F", Convert.ToHexString(buffer, 0, written));
    }

    [Fact]
    public void TryBeginBlock_PolicyBelowInitialSize_FirstBlockAnnouncesIt()
    {
        var encoder = new HpackEncoder(new HpackEncoderPolicy(maxTableSize: 1024));
        var buffer = new byte[16];
        Assert.True(encoder.TryBeginBlock(buffer, out int written));
        Assert.Equal("3FE107", Convert.ToHexString(buffer, 0, written));
        encoder.SetPeerHeaderTableSize(65536);
        Assert.True(encoder.TryBeginBlock(buffer, out written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void TryBeginBlock_DestinationTooSmall_FalseAndStillPending()
    {
        var encoder = new HpackEncoder();
        encoder.SetPeerHeaderTableSize(1000);
        Assert.False(encoder.TryBeginBlock(new byte[2], out _));
        var buffer = new byte[8];
        Assert.True(encoder.TryBeginBlock(buffer, out int written));
        Assert.Equal(3, written);
    }

    [Fact]
    public void TryEncode_RandomSetsDecodedByTestSideDecoder_MatchInputAndTables()
    {
        var random = new Random(9113);
        var encoder = new HpackEncoder();
        var decoder = new SimpleHpackDecoder();
        for (int round = 0; round < 300; round++)
        {
            if (random.Next(15) == 0)
            {
                int size = random.Next(0, 4097);
                decoder.Limit = size;
                encoder.SetPeerHeaderTableSize(size);
            }

            List<TestHeader> headers = HpackRandomHeaders.Create(random);
            var indexing = (HpackIndexing)random.Next(4);
            byte[] block = EncodeBlock(encoder, headers, indexing);
            Assert.Equal(headers, decoder.Decode(block));
            Assert.Equal(decoder.Table.Dynamic, TableContents(encoder.DynamicTable));
            Assert.Equal(decoder.Table.MaxSize, encoder.DynamicTable.MaxSize);
        }
    }

    [Fact]
    public void TryEncode_RandomSetsDecodedByProductDecoder_MatchInput()
    {
        var random = new Random(7540);
        var encoder = new HpackEncoder();
        var decoder = new HpackDecoder();
        for (int round = 0; round < 300; round++)
        {
            List<TestHeader> headers = HpackRandomHeaders.Create(random);
            byte[] block = EncodeBlock(encoder, headers, HpackIndexing.Default);
            (HpackDecodeStatus status, List<TestHeader> decoded) = DecodeWhole(decoder, block);
            Assert.Equal(HpackDecodeStatus.Ok, status);
            Assert.Equal(headers, decoded);
        }
    }

    internal static byte[] EncodeBlock(HpackEncoder encoder, IEnumerable<TestHeader> headers, HpackIndexing indexing)
    {
        var buffer = new byte[65536];
        Assert.True(encoder.TryBeginBlock(buffer, out int length));
        foreach (TestHeader header in headers)
        {
            Assert.True(encoder.TryEncode(Latin1(header.Name), Latin1(header.Value), indexing, buffer.AsSpan(length), out int written));
            length += written;
        }

        return buffer[..length];
    }
}
