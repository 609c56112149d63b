using System.Net;
using Sluice.Config.Parsing;

namespace Sluice.Tests.Config;

public class NetworkParserTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.0.0.0", 8)]
    [InlineData("10.1.2.3/8", "10.0.0.0", 8)]
    [InlineData("10.0.0.0/255.0.0.0", "10.0.0.0", 8)]
    [InlineData("192.168.1.7/255.255.255.0", "192.168.1.0", 24)]
    [InlineData("127.0.0.1", "127.0.0.1", 32)]
    [InlineData("0.0.0.0/0", "0.0.0.0", 0)]
    [InlineData("::1", "::1", 128)]
    [InlineData("2001:db8::1/32", "2001:db8::", 32)]
    [InlineData("::ffff:10.1.2.3/104", "::ffff:10.0.0.0", 104)]
    public void Parse_ValidNetwork_NetworkAndPrefix(string text, string network, int prefix)
    {
        Assert.Null(NetworkParser.Parse(text, out var parsed));
        Assert.Equal(IPAddress.Parse(network), parsed!.Network);
        Assert.Equal(prefix, parsed.PrefixLength);
        Assert.Equal(text, parsed.Text);
    }

    [Theory]
    [InlineData("bogus", "invalid address 'bogus'")]
    [InlineData("10.0.0.0/33", "invalid prefix length '33'")]
    [InlineData("2001:db8::/129", "invalid prefix length '129'")]
    [InlineData("10.0.0.0/", "invalid mask ''")]
    [InlineData("10.0.0.0/x", "invalid mask 'x'")]
    [InlineData("/8", "invalid address ''")]
    [InlineData("10.0.0.0/255.255.0.255", "non-contiguous mask '255.255.0.255' is not supported")]
    [InlineData("::1/255.0.0.0", "invalid mask '255.0.0.0'")]
    public void Parse_InvalidNetwork_Error(string text, string error)
    {
        Assert.Equal(error, NetworkParser.Parse(text, out var parsed));
        Assert.Null(parsed);
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.200.1.1", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.0.0.1", true)]
    [InlineData("2001:db8::/32", "2001:db8:1::5", true)]
    [InlineData("2001:db8::/32", "10.0.0.1", false)]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    public void Contains_Address_MatchesNetwork(string network, string address, bool expected)
    {
        NetworkParser.Parse(network, out var parsed);
        Assert.Equal(expected, NetworkParser.Contains(parsed!, IPAddress.Parse(address)));
    }
}
