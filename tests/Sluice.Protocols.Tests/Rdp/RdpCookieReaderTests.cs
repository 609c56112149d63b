using System.Text;
using Sluice.Protocols.Rdp;

namespace Sluice.Protocols.Tests.Rdp;

/// <summary>
/// Connection requests as FreeRDP 2.11's xfreerdp writes them (captured bytes): whole, cut at every length, and
/// altered, read as HAProxy's fetch_rdp_cookie_name reads them.
/// </summary>
public class RdpCookieReaderTests
{
    /// <summary>`xfreerdp /u:alice`: TPKT, X.224 Connection Request, the cookie line, an RDP negotiation request.</summary>
    private static readonly byte[] UserRequest = Convert.FromHexString(
        "0300002b26e00000000000" + Convert.ToHexString("Cookie: mstshash=alice\r\n"u8) + "010008000300" + "0000");

    /// <summary>`xfreerdp /load-balance-info:"Cookie: msts=16777343.15629.0000"` (a broker's routing token).</summary>
    private static readonly byte[] BrokerRequest = Convert.FromHexString(
        "0300003530e00000000000" + Convert.ToHexString("Cookie: msts=16777343.15629.0000\r\n"u8) + "0100080003000000");

    private static string? Read(byte[] data, string name)
    {
        var status = RdpCookieReader.TryRead(data, Encoding.ASCII.GetBytes(name), out var value);
        return status switch
        {
            RdpCookieStatus.Found => Encoding.ASCII.GetString(data, value.Offset, value.Length),
            RdpCookieStatus.NeedMoreData => "(more)",
            _ => null,
        };
    }

    [Theory]
    [InlineData("mstshash", "alice")]
    [InlineData("MSTSHASH", "alice")]
    [InlineData("", "alice")]
    [InlineData("msts", null)]
    [InlineData("mstshas", null)]
    public void UserCookie_ReadByName_OrAnyWithoutName(string name, string? expected) =>
        Assert.Equal(expected, Read(UserRequest, name));

    [Fact]
    public void BrokerCookie_ValueUpToTheLineEnd() =>
        Assert.Equal("16777343.15629.0000", Read(BrokerRequest, "msts"));

    /// <summary>Every cut before the line end says "more"; from the LF on, the cookie is there.</summary>
    [Fact]
    public void CutAtEveryLength_MoreUntilTheLineEndArrives()
    {
        var lineEnd = Array.IndexOf(UserRequest, (byte)'\n');
        for (var length = 0; length <= UserRequest.Length; length++)
        {
            var cut = UserRequest[..length];
            Assert.Equal(length > lineEnd ? "alice" : "(more)", Read(cut, "mstshash"));
            Assert.Equal(length > lineEnd ? "alice" : "(more)", Read(cut, string.Empty));
        }
    }

    [Theory]
    [InlineData("Cookie: mstshash=bob\r\n", "mstshash", "bob")]
    [InlineData("COOKIE:   mstshash=bob\r\n", "mstshash", "bob")]
    [InlineData("Cookie: mstshash=\r\n", "mstshash", "")]
    [InlineData("Cookie: mstshash=bob\rX", "mstshash", null)]
    [InlineData("Cookie: mstshash bob\r\n", "mstshash", null)]
    [InlineData("Cookie: nothing here\r\n", "", null)]
    [InlineData("Cookie: nothing here\r", "", null)]
    [InlineData("Cookies mstshash=bob\r\n", "mstshash", null)]
    [InlineData("Cookie: mstshash=bob", "mstshash", "(more)")]
    public void CookieLine_AsHAProxyReadsIt(string line, string name, string? expected)
    {
        var data = Convert.FromHexString("0300002b26e00000000000" + Convert.ToHexString(Encoding.ASCII.GetBytes(line)));
        Assert.Equal(expected, Read(data, name));
    }

    /// <summary>127.0.0.1 is 16777343 (its bytes 7f 00 00 01 read little-endian), port 3389 is 15629 (0x0d3d swapped).</summary>
    [Theory]
    [InlineData("16777343.15629.0000", true, 0x0100007fu, 3389)]
    [InlineData("16777343.15629.", true, 0x0100007fu, 3389)]
    [InlineData("16777343.15629", false, 0u, 0)]
    [InlineData("16777343", false, 0u, 0)]
    [InlineData("abc.15629.0000", false, 0u, 0)]
    [InlineData(".15629.0000", true, 0u, 3389)]
    public void BrokerValue_AddressAndPort(string value, bool parsed, uint address, int port)
    {
        Assert.Equal(parsed, RdpCookieReader.TryParseServerAddress(Encoding.ASCII.GetBytes(value), out var readAddress, out var readPort));
        Assert.Equal((address, port), (readAddress, readPort));
    }
}
