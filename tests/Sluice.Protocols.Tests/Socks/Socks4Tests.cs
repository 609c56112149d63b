using System.Net;
using Sluice.Protocols.Socks;

namespace Sluice.Protocols.Tests.Socks;

public class Socks4Tests
{
    [Fact]
    public void Connect_RequestBytes()
    {
        var request = new byte[Socks4.RequestLength];
        Socks4.WriteConnect(new IPEndPoint(IPAddress.Parse("192.0.2.10"), 8080), request);
        Assert.Equal(Convert.FromHexString("04011F90C000020A" + "484150726F787900"), request);
    }

    [Fact]
    public void Connect_Ipv6_Refused() =>
        Assert.Throws<ArgumentException>(() => Socks4.WriteConnect(new IPEndPoint(IPAddress.IPv6Loopback, 80), new byte[Socks4.RequestLength]));

    [Theory]
    [InlineData("005A000000000000", 0x5A)]
    [InlineData("005B000000000000", 0x5B)]
    [InlineData("045A000000000000", null)]
    [InlineData("005A0000", null)]
    public void Reply_Code(string hex, int? code) => Assert.Equal((byte?)code, Socks4.ReplyCode(Convert.FromHexString(hex)));
}
