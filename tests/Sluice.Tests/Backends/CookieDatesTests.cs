using System.Text;
using Sluice.Backends;
using Sluice.Balancing;
using Sluice.Config.Model;

namespace Sluice.Tests.Backends;

public class CookieDatesTests
{
    [Theory]
    [InlineData("axAIV|axAIV", 1796212820, 1796212820)]
    [InlineData("axAIV", 1796212820, 0)]
    [InlineData("AAAAA|AAAAA", 0, 0)]
    [InlineData("ax*IV|axAIV", 0, 1796212820)]
    [InlineData("axAI", 0, 0)]
    [InlineData("axAIV|axAI", 1796212820, 0)]
    public void ReadDates_HAProxyEncoding_DecodedToUnixSeconds(string afterBar, long last, long first)
    {
        Assert.Equal(new CookieDates(last, first), CookiePersistence.ReadDates(Encoding.ASCII.GetBytes(afterBar)));
    }

    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("Nobody inspects the spammish repetition", 0xFBCEA83C8A378BF1UL)]
    public void XxHash64_ReferenceVectors(string input, ulong expected)
    {
        Assert.Equal(expected, HashFunctions.XxHash64(Encoding.ASCII.GetBytes(input)));
    }

    [Theory]
    [InlineData("", 0u, 0x02CC5D05U)]
    [InlineData("a", 0u, 0x550D7456U)]
    [InlineData("abc", 0u, 0x32D153FFU)]
    [InlineData("Nobody inspects the spammish repetition", 0u, 0xE2293B2FU)]
    public void XxHash32_ReferenceVectors(string input, uint seed, uint expected)
    {
        Assert.Equal(expected, HashFunctions.XxHash32(Encoding.ASCII.GetBytes(input), seed));
    }

    [Fact]
    public void DynamicCookie_SameValueAsHAProxy()
    {
        // haproxy 2.6 sets `SRVID=a93d3915f071dd92` for `dynamic-cookie-key mykey` and `server s1 127.0.0.1:18481`.
        var address = new InetServerAddress { Text = "127.0.0.1:18481", Address = System.Net.IPAddress.Loopback, Port = 18481 };

        Assert.Equal("a93d3915f071dd92", CookiePersistence.DynamicCookie("mykey", address));
        Assert.Null(CookiePersistence.DynamicCookie(null, address));
    }
}
