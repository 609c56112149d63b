using Sluice.Protocols.Hpack;
using Sluice.TestKit.Hpack;

namespace Sluice.Protocols.Tests.Hpack;

public class HpackHuffmanTests
{
    // Strings of RFC 7541 C.4 and C.6 with their Huffman encodings.
    public static TheoryData<string, string> RfcStrings => new()
    {
        { "www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff" },
        { "no-cache", "a8eb 1064 9cbf" },
        { "custom-key", "25a8 49e9 5ba9 7d7f" },
        { "custom-value", "25a8 49e9 5bb8 e8b4 bf" },
        { "302", "6402" },
        { "private", "aec3 771a 4b" },
        { "Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff" },
        { "https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3" },
        { "307", "640e ff" },
        { "gzip", "9bd9 ab" },
    };

    [Theory]
    [MemberData(nameof(RfcStrings))]
    public void TryEncode_RfcString_MatchesRfc(string text, string hex)
    {
        byte[] expected = HpackHex.Parse(hex);
        byte[] source = HpackTestSupport.Latin1(text);
        var buffer = new byte[64];
        Assert.True(HpackHuffman.TryEncode(source, buffer, out int written));
        Assert.Equal(expected, buffer[..written]);
        Assert.Equal(expected.Length, HpackHuffman.GetEncodedLength(source));
    }

    [Theory]
    [MemberData(nameof(RfcStrings))]
    public void Decode_RfcStringSplitAtEveryOffset_MatchesText(string text, string hex)
    {
        byte[] encoded = HpackHex.Parse(hex);
        for (int cut = 0; cut <= encoded.Length; cut++)
        {
            Assert.Equal(text, DecodeInPieces(encoded, cut, out bool valid));
            Assert.True(valid);
        }
    }

    [Fact]
    public void RoundTrip_RandomStrings_EqualAndAgreesWithTestSideCoder()
    {
        var random = new Random(1234);
        var buffer = new byte[4096];
        var output = new byte[8192];
        for (int i = 0; i < 2000; i++)
        {
            var source = new byte[random.Next(0, 300)];
            random.NextBytes(source);
            Assert.True(HpackHuffman.TryEncode(source, buffer, out int written));
            Assert.Equal(SimpleHuffman.Encode(source), buffer[..written]);
            int state = HpackHuffman.InitialState;
            int decoded = HpackHuffman.Decode(buffer.AsSpan(0, written), ref state, output);
            Assert.True(HpackHuffman.IsValidEnd(state));
            Assert.Equal(source, output[..decoded]);
        }
    }

    [Fact]
    public void Decode_DestinationOfExactOrOneShortLength_DecodesOrFails()
    {
        // The decoder stores symbols without a check while two fit and checks each one near the end.
        var random = new Random(99);
        var buffer = new byte[4096];
        for (int i = 0; i < 500; i++)
        {
            var source = new byte[random.Next(1, 200)];
            random.NextBytes(source);
            Assert.True(HpackHuffman.TryEncode(source, buffer, out int written));
            ReadOnlySpan<byte> encoded = buffer.AsSpan(0, written);

            int state = HpackHuffman.InitialState;
            var exact = new byte[source.Length];
            Assert.Equal(source.Length, HpackHuffman.Decode(encoded, ref state, exact));
            Assert.Equal(source, exact);

            state = HpackHuffman.InitialState;
            Assert.Equal(-1, HpackHuffman.Decode(encoded, ref state, new byte[source.Length - 1]));
        }
    }

    [Fact]
    public void Decode_EosAfterManySymbols_Fails()
    {
        // "www.example.com" then EOS (30 ones) and padding: the failure comes in the middle of a long input.
        var buffer = new byte[64];
        byte[] text = HpackTestSupport.Latin1("www.example.comwww.example.com");
        Assert.True(HpackHuffman.TryEncode(text, buffer, out int written));
        byte[] encoded = [.. buffer.AsSpan(0, written - 1), 0xff, 0xff, 0xff, 0xff, 0xff];
        int state = HpackHuffman.InitialState;
        Assert.Equal(-1, HpackHuffman.Decode(encoded, ref state, new byte[256]));
    }

    [Fact]
    public void RoundTrip_EveryByteValue_Equal()
    {
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var buffer = new byte[1024];
        Assert.True(HpackHuffman.TryEncode(all, buffer, out int written));
        Assert.Equal(all, SimpleHuffman.Decode(buffer[..written]));
    }

    [Fact]
    public void TryEncode_DestinationTooSmall_ReturnsFalse()
    {
        byte[] source = HpackTestSupport.Latin1("www.example.com");
        Assert.False(HpackHuffman.TryEncode(source, new byte[11], out _));
        Assert.True(HpackHuffman.TryEncode(source, new byte[12], out _));
    }

    [Fact]
    public void Decode_ContainsEos_Fails()
    {
        // 30 ones is EOS (RFC 7541 §5.2: "A Huffman-encoded string literal containing the EOS symbol
        // MUST be treated as a decoding error").
        int state = HpackHuffman.InitialState;
        Assert.Equal(-1, HpackHuffman.Decode(HpackHex.Parse("ffffffff"), ref state, new byte[16]));
    }

    [Fact]
    public void Decode_PaddingLongerThan7Bits_InvalidEnd()
    {
        // 'a' is 00011 then three padding ones; one more byte of ones makes 11 bits of padding.
        int state = HpackHuffman.InitialState;
        Assert.Equal(1, HpackHuffman.Decode(HpackHex.Parse("1fff"), ref state, new byte[16]));
        Assert.False(HpackHuffman.IsValidEnd(state));

        state = HpackHuffman.InitialState;
        Assert.Equal(1, HpackHuffman.Decode(HpackHex.Parse("1f"), ref state, new byte[16]));
        Assert.True(HpackHuffman.IsValidEnd(state));
    }

    [Fact]
    public void Decode_PaddingNotAllOnes_InvalidEnd()
    {
        // 'a' (00011) padded with 000 instead of 111.
        int state = HpackHuffman.InitialState;
        Assert.Equal(1, HpackHuffman.Decode(HpackHex.Parse("18"), ref state, new byte[16]));
        Assert.False(HpackHuffman.IsValidEnd(state));
    }

    [Fact]
    public void Decode_WholeByteOfOnesAsPadding_InvalidEnd()
    {
        // An empty string is fine; a string that is only 8 ones of padding is not.
        Assert.True(HpackHuffman.IsValidEnd(HpackHuffman.InitialState));
        int state = HpackHuffman.InitialState;
        Assert.Equal(0, HpackHuffman.Decode(HpackHex.Parse("ff"), ref state, new byte[16]));
        Assert.False(HpackHuffman.IsValidEnd(state));
    }

    private static string DecodeInPieces(byte[] encoded, int cut, out bool valid)
    {
        var output = new byte[encoded.Length * 2];
        int state = HpackHuffman.InitialState;
        int first = HpackHuffman.Decode(encoded.AsSpan(0, cut), ref state, output);
        int second = HpackHuffman.Decode(encoded.AsSpan(cut), ref state, output.AsSpan(first));
        valid = HpackHuffman.IsValidEnd(state);
        return System.Text.Encoding.Latin1.GetString(output, 0, first + second);
    }
}
