using Sluice.Protocols.Hpack;
using Sluice.TestKit.Hpack;

namespace Sluice.Protocols.Tests.Hpack;

public class HpackIntegerTests
{
    // RFC 7541 C.1.1, C.1.2, C.1.3.
    [Theory]
    [InlineData(10, 5, "0a")]
    [InlineData(1337, 5, "1f9a0a")]
    [InlineData(42, 8, "2a")]
    public void TryEncode_RfcC1Vector_MatchesRfc(int value, int prefix, string hex)
    {
        var buffer = new byte[8];
        Assert.True(HpackInteger.TryEncode(value, prefix, 0, buffer, out int written));
        Assert.Equal(HpackHex.Parse(hex), buffer[..written]);
        Assert.Equal(written, HpackInteger.GetEncodedLength(value, prefix));
    }

    [Theory]
    [InlineData(10, 5, "0a")]
    [InlineData(1337, 5, "1f9a0a")]
    [InlineData(42, 8, "2a")]
    public void Decode_RfcC1VectorByteByByte_MatchesRfc(int expected, int prefix, string hex)
    {
        Assert.Equal(expected, DecodeAll(HpackHex.Parse(hex), prefix, out HpackIntegerStatus status));
        Assert.Equal(HpackIntegerStatus.Done, status);
    }

    [Fact]
    public void TryEncode_FlagsAbovePrefix_Kept()
    {
        var buffer = new byte[8];
        Assert.True(HpackInteger.TryEncode(3, 6, 0x40, buffer, out int written));
        Assert.Equal(new byte[] { 0x43 }, buffer[..written]);
    }

    [Fact]
    public void TryEncode_DestinationTooSmall_ReturnsFalse()
    {
        Assert.False(HpackInteger.TryEncode(1337, 5, 0, new byte[2], out int written));
        Assert.Equal(0, written);
        Assert.False(HpackInteger.TryEncode(1, 5, 0, [], out _));
    }

    [Fact]
    public void RoundTrip_RandomValuesAllPrefixes_Equal()
    {
        var random = new Random(7541);
        var buffer = new byte[8];
        for (int i = 0; i < 5000; i++)
        {
            int prefix = random.Next(1, 9);
            int value = i < 100 ? i : (i % 2 == 0 ? random.Next() : random.Next(0, 300));
            Assert.True(HpackInteger.TryEncode(value, prefix, 0, buffer, out int written));
            Assert.Equal(value, DecodeAll(buffer[..written], prefix, out HpackIntegerStatus status));
            Assert.Equal(HpackIntegerStatus.Done, status);
        }
    }

    [Fact]
    public void Decode_Int32MaxValue_Done()
    {
        var buffer = new byte[8];
        Assert.True(HpackInteger.TryEncode(int.MaxValue, 5, 0, buffer, out int written));
        Assert.Equal(int.MaxValue, DecodeAll(buffer[..written], 5, out HpackIntegerStatus status));
        Assert.Equal(HpackIntegerStatus.Done, status);
    }

    [Theory]
    [InlineData("1fe1ffffff07")] // 31 + 2^31 - 31 = 2^31: one above int.MaxValue
    [InlineData("1fffffffffff0f")]
    [InlineData("1f808080808000")] // zero continuation bytes beyond any needed length
    [InlineData("ff8080808080808001")]
    public void Decode_Overflow_Overflow(string hex)
    {
        DecodeAll(HpackHex.Parse(hex), hex.StartsWith("ff", StringComparison.Ordinal) ? 8 : 5, out HpackIntegerStatus status);
        Assert.Equal(HpackIntegerStatus.Overflow, status);
    }

    private static int DecodeAll(byte[] bytes, int prefix, out HpackIntegerStatus status)
    {
        var decoder = default(HpackIntegerDecoder);
        status = decoder.BeginDecode(bytes[0], prefix, out int result);
        for (int i = 1; i < bytes.Length && status == HpackIntegerStatus.NeedMore; i++)
        {
            status = decoder.Decode(bytes[i], out result);
        }

        return result;
    }
}
