using System.Diagnostics;
using Sluice.Protocols.Hpack;
using Sluice.TestKit.Http2;
using Sluice.TestKit.Hpack;
using static Sluice.Protocols.Tests.Hpack.HpackTestSupport;

namespace Sluice.Protocols.Tests.Hpack;

public class HpackDecoderTests
{
    public static TheoryData<string> Series => new() { "C.3", "C.4", "C.5", "C.6" };

    // RFC 7541 C.2.1: literal with indexing.
    [Fact]
    public void Decode_C2_1LiteralWithIndexing_FieldAddedToTable()
    {
        var decoder = new HpackDecoder();
        var handler = new CollectingHandler();
        byte[] block = HpackHex.Parse("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572");
        Assert.Equal(HpackDecodeStatus.Ok, decoder.Decode(block, true, ref handler));
        Assert.Equal([new TestHeader("custom-key", "custom-header")], handler.Headers);
        Assert.Equal([HpackFieldFlags.IncrementalIndexing], handler.Flags);
        Assert.Equal([new TestHeader("custom-key", "custom-header")], TableContents(decoder.DynamicTable));
        Assert.Equal(55, decoder.DynamicTable.Size);
    }

    // RFC 7541 C.2.2: literal without indexing.
    [Fact]
    public void Decode_C2_2LiteralWithoutIndexing_TableEmpty()
    {
        var decoder = new HpackDecoder();
        var handler = new CollectingHandler();
        Assert.Equal(HpackDecodeStatus.Ok, decoder.Decode(HpackHex.Parse("040c 2f73 616d 706c 652f 7061 7468"), true, ref handler));
        Assert.Equal([new TestHeader(":path", "/sample/path")], handler.Headers);
        Assert.Equal([HpackFieldFlags.None], handler.Flags);
        Assert.Equal(0, decoder.DynamicTable.Count);
    }

    // RFC 7541 C.2.3: literal never indexed.
    [Fact]
    public void Decode_C2_3LiteralNeverIndexed_FlaggedAndTableEmpty()
    {
        var decoder = new HpackDecoder();
        var handler = new CollectingHandler();
        Assert.Equal(HpackDecodeStatus.Ok, decoder.Decode(HpackHex.Parse("1008 7061 7373 776f 7264 0673 6563 7265 74"), true, ref handler));
        Assert.Equal([new TestHeader("password", "secret")], handler.Headers);
        Assert.Equal([HpackFieldFlags.NeverIndexed], handler.Flags);
        Assert.Equal(0, decoder.DynamicTable.Count);
    }

    // RFC 7541 C.2.4: indexed field.
    [Fact]
    public void Decode_C2_4Indexed_StaticEntry()
    {
        var decoder = new HpackDecoder();
        var handler = new CollectingHandler();
        Assert.Equal(HpackDecodeStatus.Ok, decoder.Decode(HpackHex.Parse("82"), true, ref handler));
        Assert.Equal([new TestHeader(":method", "GET")], handler.Headers);
        Assert.Equal([HpackFieldFlags.Indexed], handler.Flags);
        Assert.Equal(0, decoder.DynamicTable.Count);
    }

    [Theory]
    [MemberData(nameof(Series))]
    public void Decode_RfcSeriesWhole_HeadersAndTablesMatch(string name)
    {
        HpackSeries series = HpackRfcVectors.Get(name);
        var decoder = new HpackDecoder(series.TableSize);
        for (int i = 0; i < 3; i++)
        {
            (HpackDecodeStatus status, List<TestHeader> headers) = DecodeWhole(decoder, series.Block(i));
            Assert.Equal(HpackDecodeStatus.Ok, status);
            AssertBlock(series, i, decoder, headers);
        }
    }

    [Theory]
    [MemberData(nameof(Series))]
    public void Decode_RfcSeriesSplitAtEveryOffset_HeadersAndTablesMatch(string name)
    {
        HpackSeries series = HpackRfcVectors.Get(name);
        for (int block = 0; block < 3; block++)
        {
            byte[] data = series.Block(block);
            for (int cut = 0; cut <= data.Length; cut++)
            {
                var decoder = new HpackDecoder(series.TableSize);
                for (int earlier = 0; earlier < block; earlier++)
                {
                    Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, series.Block(earlier)).Status);
                }

                (HpackDecodeStatus status, List<TestHeader> headers) = DecodePieces(decoder, data[..cut], data[cut..]);
                Assert.Equal(HpackDecodeStatus.Ok, status);
                AssertBlock(series, block, decoder, headers);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Series))]
    public void Decode_RfcSeriesOneByteAtATime_HeadersAndTablesMatch(string name)
    {
        HpackSeries series = HpackRfcVectors.Get(name);
        var decoder = new HpackDecoder(series.TableSize);
        for (int i = 0; i < 3; i++)
        {
            (HpackDecodeStatus status, List<TestHeader> headers) = DecodePieces(decoder, ByteByByte(series.Block(i)));
            Assert.Equal(HpackDecodeStatus.Ok, status);
            AssertBlock(series, i, decoder, headers);
        }
    }

    [Theory]
    [MemberData(nameof(Series))]
    public void Decode_RfcSeriesAsSequences_HeadersAndTablesMatch(string name)
    {
        HpackSeries series = HpackRfcVectors.Get(name);
        var byByte = new HpackDecoder(series.TableSize);
        for (int i = 0; i < 3; i++)
        {
            byte[] data = series.Block(i);
            (HpackDecodeStatus status, List<TestHeader> headers) = DecodeSequence(byByte, Http2Segments.ByteByByte(data));
            Assert.Equal(HpackDecodeStatus.Ok, status);
            AssertBlock(series, i, byByte, headers);
        }

        for (int cut = 0; cut <= series.Block(2).Length; cut++)
        {
            var decoder = new HpackDecoder(series.TableSize);
            DecodeWhole(decoder, series.Block(0));
            DecodeWhole(decoder, series.Block(1));
            (HpackDecodeStatus status, List<TestHeader> headers) = DecodeSequence(decoder, Http2Segments.SplitAt(series.Block(2), cut));
            Assert.Equal(HpackDecodeStatus.Ok, status);
            AssertBlock(series, 2, decoder, headers);
        }
    }

    [Fact]
    public void Decode_IndexZero_IndexZero()
    {
        Assert.Equal(HpackDecodeStatus.IndexZero, DecodeWhole(new HpackDecoder(), [0x80]).Status);
    }

    [Theory]
    [InlineData("be")]          // indexed 62, dynamic table empty
    [InlineData("ff80 01")]     // indexed 255
    [InlineData("7e 0161")]     // literal with incremental indexing, name index 62
    [InlineData("0f2f 0161")]   // literal without indexing, name index 62
    [InlineData("1f2f 0161")]   // literal never indexed, name index 62
    public void Decode_IndexPastTables_IndexOutOfRange(string hex)
    {
        Assert.Equal(HpackDecodeStatus.IndexOutOfRange, DecodeWhole(new HpackDecoder(), HpackHex.Parse(hex)).Status);
    }

    [Fact]
    public void Decode_IndexOfLastDynamicEntryPlusOne_IndexOutOfRange()
    {
        var decoder = new HpackDecoder();
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, HpackHex.Parse("4001 6101 62")).Status); // a: b
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, HpackHex.Parse("be")).Status);
        Assert.Equal(HpackDecodeStatus.IndexOutOfRange, DecodeWhole(decoder, HpackHex.Parse("bf")).Status);
    }

    [Theory]
    [InlineData("ffff ffff ff0f")]
    [InlineData("ff80 8080 8080 8001")]
    [InlineData("407f ffff ffff 0f")]   // string length overflow
    [InlineData("3fff ffff ff0f")]       // size update overflow
    public void Decode_IntegerOverflow_IntegerOverflow(string hex)
    {
        Assert.Equal(HpackDecodeStatus.IntegerOverflow, DecodeWhole(new HpackDecoder(), HpackHex.Parse(hex)).Status);
    }

    [Fact]
    public void Decode_HuffmanValueWithEos_HuffmanEos()
    {
        // :path with a 4-octet Huffman value of 32 ones (contains EOS).
        Assert.Equal(HpackDecodeStatus.HuffmanEos, DecodeWhole(new HpackDecoder(), HpackHex.Parse("0484 ffff ffff")).Status);
    }

    [Theory]
    [InlineData("0482 1fff")] // 'a' then 11 bits of padding
    [InlineData("0481 18")]   // 'a' then padding 000
    [InlineData("0481 ff")]   // only padding, 8 bits
    [InlineData("0081 1801 61")] // bad padding in the name
    public void Decode_HuffmanBadPadding_HuffmanInvalidPadding(string hex)
    {
        Assert.Equal(HpackDecodeStatus.HuffmanInvalidPadding, DecodeWhole(new HpackDecoder(), HpackHex.Parse(hex)).Status);
    }

    [Fact]
    public void Decode_EmptyHuffmanStrings_Ok()
    {
        (HpackDecodeStatus status, List<TestHeader> headers) = DecodeWhole(new HpackDecoder(), HpackHex.Parse("0080 80"));
        Assert.Equal(HpackDecodeStatus.Ok, status);
        Assert.Equal([new TestHeader("", "")], headers);
    }

    [Theory]
    [InlineData("400a 6375")]  // inside a name
    [InlineData("40")]         // after the first byte of a literal
    [InlineData("ff")]         // inside an index
    [InlineData("4001 61")]    // value length missing
    public void Decode_BlockEndsInsideField_IncompleteHeaderBlock(string hex)
    {
        Assert.Equal(HpackDecodeStatus.IncompleteHeaderBlock, DecodeWhole(new HpackDecoder(), HpackHex.Parse(hex)).Status);
    }

    [Fact]
    public void Decode_AfterCompressionError_ErrorRepeated()
    {
        var decoder = new HpackDecoder();
        Assert.Equal(HpackDecodeStatus.IndexZero, DecodeWhole(decoder, [0x80]).Status);
        Assert.Equal(HpackDecodeStatus.IndexZero, DecodeWhole(decoder, [0x82]).Status);
    }

    [Fact]
    public void Decode_SizeUpdatesAtStart_AppliedAndFieldsDecoded()
    {
        var decoder = new HpackDecoder();
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, HpackHex.Parse("4001 6101 62")).Status);

        // Two updates (0 then 4096) at the start, then a field.
        (HpackDecodeStatus status, List<TestHeader> headers) = DecodeWhole(decoder, HpackHex.Parse("20 3fe1 1f 82"));
        Assert.Equal(HpackDecodeStatus.Ok, status);
        Assert.Equal([new TestHeader(":method", "GET")], headers);
        Assert.Equal(0, decoder.DynamicTable.Count);
        Assert.Equal(4096, decoder.DynamicTable.MaxSize);
    }

    [Fact]
    public void Decode_SizeUpdateAfterField_TableSizeUpdateNotAtStart()
    {
        Assert.Equal(HpackDecodeStatus.TableSizeUpdateNotAtStart, DecodeWhole(new HpackDecoder(), HpackHex.Parse("82 20")).Status);
    }

    [Fact]
    public void Decode_SizeUpdateInContinuationAfterField_TableSizeUpdateNotAtStart()
    {
        // Still the same block: HEADERS carried "82", CONTINUATION carries "20".
        Assert.Equal(HpackDecodeStatus.TableSizeUpdateNotAtStart, DecodePieces(new HpackDecoder(), [0x82], [0x20]).Status);
    }

    [Fact]
    public void Decode_SizeUpdateAtStartOfSecondBlock_Ok()
    {
        var decoder = new HpackDecoder();
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, [0x82]).Status);
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, [0x20, 0x82]).Status);
    }

    [Fact]
    public void Decode_SizeUpdateAboveLimit_TableSizeUpdateTooLarge()
    {
        Assert.Equal(HpackDecodeStatus.TableSizeUpdateTooLarge, DecodeWhole(new HpackDecoder(), HpackHex.Parse("3fe2 1f")).Status); // 4097
        Assert.Equal(HpackDecodeStatus.TableSizeUpdateTooLarge, DecodeWhole(new HpackDecoder(100), HpackHex.Parse("3f46")).Status); // 101
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(new HpackDecoder(100), HpackHex.Parse("3f45")).Status); // 100
    }

    [Fact]
    public void Decode_LimitLoweredAndNoUpdate_TableSizeUpdateMissing()
    {
        var decoder = new HpackDecoder();
        decoder.SetHeaderTableSizeLimit(1024);
        Assert.Equal(HpackDecodeStatus.TableSizeUpdateMissing, DecodeWhole(decoder, [0x82]).Status);
    }

    [Fact]
    public void Decode_LimitLoweredAndUpdateSent_Ok()
    {
        var decoder = new HpackDecoder();
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, HpackHex.Parse("4001 6101 62")).Status);
        decoder.SetHeaderTableSizeLimit(0);
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, [0x20, 0x82]).Status);
        Assert.Equal(0, decoder.DynamicTable.Count);
        Assert.Equal(HpackDecodeStatus.TableSizeUpdateTooLarge, DecodeWhole(decoder, [0x21]).Status);
    }

    [Fact]
    public void Decode_LimitRaised_NoUpdateNeeded()
    {
        var decoder = new HpackDecoder(1024);
        decoder.SetHeaderTableSizeLimit(8192);
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, [0x82]).Status);
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, HpackHex.Parse("3fe1 3f")).Status); // 8192
        Assert.Equal(8192, decoder.DynamicTable.MaxSize);
    }

    [Fact]
    public void Decode_ListAboveLimit_HeaderListTooLargeAndTableStillInSync()
    {
        // Limit 100: ":method GET" (42) + "a: b" (34) = 76; "cc: dd" (36) would make 112.
        var decoder = new HpackDecoder(maxHeaderListSize: 100);
        var encoder = new SimpleHpackEncoder();
        byte[] block = encoder.Encode([new(":method", "GET"), new("a", "b"), new("cc", "dd"), new("e", "f")]);
        (HpackDecodeStatus status, List<TestHeader> headers) = DecodeWhole(decoder, block);
        Assert.Equal(HpackDecodeStatus.HeaderListTooLarge, status);
        Assert.Equal([new TestHeader(":method", "GET"), new TestHeader("a", "b")], headers);

        // Every literal was still indexed, so the next block, which refers to them, decodes.
        Assert.Equal(3, decoder.DynamicTable.Count);
        (status, headers) = DecodeWhole(decoder, encoder.Encode([new("cc", "dd")]));
        Assert.Equal(HpackDecodeStatus.Ok, status);
        Assert.Equal([new TestHeader("cc", "dd")], headers);
    }

    [Fact]
    public void Decode_ListExactlyAtLimit_Ok()
    {
        var decoder = new HpackDecoder(maxHeaderListSize: 76);
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, new SimpleHpackEncoder().Encode([new(":method", "GET"), new("a", "b")])).Status);
    }

    [Fact]
    public void Decode_ManyCookieCrumbs_CountedPerField()
    {
        // 100 crumbs "cookie: x" = 100 * (6 + 1 + 32) = 3900 octets.
        var crumbs = Enumerable.Range(0, 100).Select(_ => new TestHeader("cookie", "x")).ToList();
        byte[] block = new SimpleHpackEncoder().Encode(crumbs, _ => SimpleIndexing.WithoutIndexing);
        Assert.Equal(HpackDecodeStatus.HeaderListTooLarge, DecodeWhole(new HpackDecoder(maxHeaderListSize: 3899), block).Status);
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(new HpackDecoder(maxHeaderListSize: 3900), block).Status);
    }

    [Fact]
    public void Decode_HpackBomb_HeaderListTooLargeWithBoundedDelivery()
    {
        // Insert one 4000-octet entry, then refer to it 10 000 times in one 10 000-octet block:
        // 40 MB of decoded fields from 10 KB on the wire.
        var decoder = new HpackDecoder(maxHeaderListSize: 65536);
        byte[] insert = new SimpleHpackEncoder().Encode([new("x-bomb", new string('a', 4000))]);
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, insert).Status);

        byte[] bomb = Enumerable.Repeat((byte)0xbe, 10_000).ToArray();
        var handler = new CountingHandler();
        var stopwatch = Stopwatch.StartNew();
        HpackDecodeStatus status = decoder.Decode(bomb, endOfBlock: true, ref handler);
        stopwatch.Stop();

        Assert.Equal(HpackDecodeStatus.HeaderListTooLarge, status);
        Assert.Equal(65536 / (6 + 4000 + 32), handler.Count);
        Assert.True(handler.Bytes <= 65536);

        // Same bomb as cookie crumbs and as duplicate host fields.
        foreach (string name in new[] { "cookie", "host" })
        {
            var crumbDecoder = new HpackDecoder(maxHeaderListSize: 16384);
            Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(crumbDecoder, new SimpleHpackEncoder().Encode([new(name, "y")])).Status);
            var crumbHandler = new CountingHandler();
            Assert.Equal(HpackDecodeStatus.HeaderListTooLarge, crumbDecoder.Decode(bomb, true, ref crumbHandler));
            Assert.True(crumbHandler.Count * (name.Length + 1 + 32) <= 16384);
        }
    }

    [Fact]
    public void Decode_StringLongerThanAnyLimit_StringTooLong()
    {
        // Literal name of 70 000 octets declared; limits are 65 536 (list) and 4096 (table).
        var block = new List<byte> { 0x00 };
        SimpleHpackEncoder.WriteInteger(block, 70_000, 7, 0);
        Assert.Equal(HpackDecodeStatus.StringTooLong, DecodeWhole(new HpackDecoder(), [.. block]).Status);
    }

    [Fact]
    public void Decode_NameFromEntryEvictedByInsertion_NameKept()
    {
        // Table of 80 octets holds "aaaa: bbbb" (40). A new entry named after it with a 10-octet
        // value (46) evicts it while being inserted (RFC 7541 §4.4).
        var decoder = new HpackDecoder(80);
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, HpackHex.Parse("3f31 4004 6161 6161 0462 6262 62")).Status);
        (HpackDecodeStatus status, List<TestHeader> headers) = DecodeWhole(decoder, [0x7e, 0x0a, .. Latin1("cccccccccc")]);
        Assert.Equal(HpackDecodeStatus.Ok, status);
        Assert.Equal([new TestHeader("aaaa", "cccccccccc")], headers);
        Assert.Equal([new TestHeader("aaaa", "cccccccccc")], TableContents(decoder.DynamicTable));
    }

    [Fact]
    public void Decode_EntryLargerThanTable_TableEmptiedNoError()
    {
        var decoder = new HpackDecoder(64);
        Assert.Equal(HpackDecodeStatus.Ok, DecodeWhole(decoder, HpackHex.Parse("3f21 4001 6101 62")).Status); // size 64, a: b
        (HpackDecodeStatus status, List<TestHeader> headers) = DecodeWhole(decoder, [0x40, 0x01, 0x63, 0x20, .. Enumerable.Repeat((byte)'d', 32)]);
        Assert.Equal(HpackDecodeStatus.Ok, status);
        Assert.Single(headers);
        Assert.Equal(0, decoder.DynamicTable.Count);
        Assert.Equal(0, decoder.DynamicTable.Size);
    }

    [Fact]
    public void Decode_RandomBlocksFromTestSideEncoderSplitRandomly_MatchesInput()
    {
        var random = new Random(20240501);
        var encoder = new SimpleHpackEncoder();
        var decoder = new HpackDecoder();
        for (int round = 0; round < 300; round++)
        {
            List<TestHeader> headers = HpackRandomHeaders.Create(random);
            encoder.UseHuffman = random.Next(2) == 0;
            int? sizeUpdate = random.Next(10) == 0 ? random.Next(0, 4097) : null;
            byte[] block = encoder.Encode(headers, _ => (SimpleIndexing)random.Next(3), sizeUpdate);

            var pieces = new List<byte[]>();
            int position = 0;
            while (position < block.Length)
            {
                int take = Math.Min(block.Length - position, random.Next(1, 20));
                pieces.Add(block[position..(position + take)]);
                position += take;
            }

            if (pieces.Count == 0)
            {
                pieces.Add([]);
            }

            (HpackDecodeStatus status, List<TestHeader> decoded) = DecodePieces(decoder, [.. pieces]);
            Assert.Equal(HpackDecodeStatus.Ok, status);
            Assert.Equal(headers, decoded);
            Assert.Equal(encoder.Table.Dynamic, TableContents(decoder.DynamicTable));
            Assert.Equal(encoder.Table.Size, decoder.DynamicTable.Size);
        }
    }

    [Fact]
    public void Decode_HuffmanLiteralsRepeatedUnderStaticNames_EachBlockAsSent()
    {
        // Servers send Date, Server or Content-Type as Huffman literals in block after block; the decoder keeps the
        // last decoded value per name slot. Values repeat, change by one character, share a slot (cache-control and
        // cookie, indexes 24 and 32), are too short or too long to be kept, and come whole or split.
        string[] names = ["date", "server", "content-type", "cache-control", "cookie", "etag"];
        string[] values =
        [
            "Sat, 05 Dec 2026 10:17:17 GMT", "Sat, 05 Dec 2026 10:17:18 GMT", "nginx/1.22.1", "application/octet-stream",
            "application/octet-streaM", "text/plain", "max-age=3600, public, must-revalidate, proxy-revalidate, no-transform, s-maxage=60",
            "session=0123456789abcdef0123456789abcdef", "\"5f3a-1b2c\"", "x",
        ];
        var random = new Random(2026);
        var encoder = new SimpleHpackEncoder { UseHuffman = true };
        var decoder = new HpackDecoder();
        for (int round = 0; round < 2000; round++)
        {
            var headers = new List<TestHeader>();
            var modes = new List<SimpleIndexing>();
            for (int i = random.Next(1, 6); i > 0; i--)
            {
                headers.Add(new TestHeader(names[random.Next(names.Length)], values[random.Next(values.Length)]));
                modes.Add(random.Next(4) == 0 ? SimpleIndexing.Incremental : random.Next(3) == 0 ? SimpleIndexing.NeverIndexed : SimpleIndexing.WithoutIndexing);
            }

            int field = 0;
            byte[] block = encoder.Encode(headers, _ => modes[field++]);
            var handler = new CollectingHandler();
            if (random.Next(4) == 0)
            {
                int cut = random.Next(block.Length + 1);
                Assert.Equal(HpackDecodeStatus.Ok, decoder.Decode(block.AsSpan(0, cut), false, ref handler));
                Assert.Equal(HpackDecodeStatus.Ok, decoder.Decode(block.AsSpan(cut), true, ref handler));
            }
            else
            {
                Assert.Equal(HpackDecodeStatus.Ok, decoder.Decode(block, true, ref handler));
            }

            Assert.Equal(headers, handler.Headers);
            Assert.Equal(encoder.Table.Dynamic, TableContents(decoder.DynamicTable));
            for (int i = 0; i < headers.Count; i++)
            {
                if (handler.Flags[i] != HpackFieldFlags.Indexed)
                {
                    Assert.Equal(modes[i] switch
                    {
                        SimpleIndexing.Incremental => HpackFieldFlags.IncrementalIndexing,
                        SimpleIndexing.NeverIndexed => HpackFieldFlags.NeverIndexed,
                        _ => HpackFieldFlags.None,
                    }, handler.Flags[i]);
                }
            }
        }
    }

    private static void AssertBlock(HpackSeries series, int i, HpackDecoder decoder, List<TestHeader> headers)
    {
        Assert.Equal(series.Headers[i], headers);
        Assert.Equal(series.Tables[i], TableContents(decoder.DynamicTable));
        Assert.Equal(series.Sizes[i], decoder.DynamicTable.Size);
    }
}

/// <summary>Random header sets with a fixed seed: common names and values, repeats, odd bytes, long values.</summary>
internal static class HpackRandomHeaders
{
    private static readonly string[] Names =
    [
        ":method", ":path", ":authority", ":scheme", ":status", "accept", "accept-encoding", "user-agent", "cookie",
        "authorization", "content-type", "content-length", "date", "x-forwarded-for", "x-custom", "set-cookie", "via",
    ];

    private static readonly string[] Values = ["GET", "/", "https", "200", "gzip, deflate", "text/html", "", "www.example.com", "x"];

    public static List<TestHeader> Create(Random random)
    {
        var headers = new List<TestHeader>();
        int count = random.Next(0, 25);
        for (int i = 0; i < count; i++)
        {
            string name = random.Next(4) == 0 ? RandomText(random, 1, 20, lowercase: true) : Names[random.Next(Names.Length)];
            string value = random.Next(3) switch
            {
                0 => Values[random.Next(Values.Length)],
                1 => RandomText(random, 0, 40, lowercase: false),
                _ => random.Next(20) == 0 ? RandomBytes(random, random.Next(100, 3000)) : RandomText(random, 0, 100, lowercase: false),
            };
            headers.Add(new TestHeader(name, value));
        }

        return headers;
    }

    private static string RandomText(Random random, int min, int max, bool lowercase)
    {
        const string lower = "abcdefghijklmnopqrstuvwxyz0123456789-_";
        const string any = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:;=, %\"'";
        string alphabet = lowercase ? lower : any;
        var chars = new char[random.Next(min, max + 1)];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    private static string RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return System.Text.Encoding.Latin1.GetString(bytes);
    }
}
