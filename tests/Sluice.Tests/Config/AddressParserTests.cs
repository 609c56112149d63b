using System.Net;
using Sluice.Config.Model;
using Sluice.Config.Parsing;

namespace Sluice.Tests.Config;

public class AddressParserTests
{
    [Theory]
    [InlineData(":80", "0.0.0.0", 80, 80)]
    [InlineData("*:80", "0.0.0.0", 80, 80)]
    [InlineData("0.0.0.0:80", "0.0.0.0", 80, 80)]
    [InlineData("127.0.0.1:8000-8010", "127.0.0.1", 8000, 8010)]
    [InlineData("[::]:80", "::", 80, 80)]
    [InlineData(":::80", "::", 80, 80)]
    [InlineData("[::1]:443", "::1", 443, 443)]
    [InlineData("ipv4@:80", "0.0.0.0", 80, 80)]
    [InlineData("ipv6@:80", "::", 80, 80)]
    [InlineData("ipv6@::1:80", "::1", 80, 80)]
    [InlineData("tcp@127.0.0.1:80", "127.0.0.1", 80, 80)]
    [InlineData("localhost:80", "127.0.0.1", 80, 80)]
    public void ParseBind_Inet_AddressAndPorts(string text, string address, int first, int last)
    {
        Assert.Null(AddressParser.ParseBind(text, out var parsed));
        var inet = Assert.IsType<InetBindAddress>(parsed);
        Assert.Equal(IPAddress.Parse(address), inet.Address);
        Assert.Equal(first, inet.FirstPort);
        Assert.Equal(last, inet.LastPort);
    }

    [Fact]
    public void ParseBind_UnixAndAbstractAndFd_Kinds()
    {
        Assert.Null(AddressParser.ParseBind("unix@/run/a.sock", out var unix));
        Assert.Equal("/run/a.sock", Assert.IsType<UnixBindAddress>(unix).Path);
        Assert.Null(AddressParser.ParseBind("/var/run/h2-haproxy.sock", out var path));
        Assert.Equal("/var/run/h2-haproxy.sock", Assert.IsType<UnixBindAddress>(path).Path);
        Assert.Null(AddressParser.ParseBind("abns@sluice-test", out var abns));
        Assert.Equal("sluice-test", Assert.IsType<AbstractBindAddress>(abns).Name);
        Assert.Null(AddressParser.ParseBind("fd@3", out var fd));
        Assert.Equal(3, Assert.IsType<FdBindAddress>(fd).Fd);
    }

    [Theory]
    [InlineData("1.2.3.4.5:80", "invalid address: '1.2.3.4.5' in '1.2.3.4.5:80'")]
    [InlineData("127.0.0.1", "missing port number: '127.0.0.1'")]
    [InlineData(":abc", "invalid character 'a' in port number 'abc' in ':abc'")]
    [InlineData(":90-80", "invalid port range '90-80' in ':90-80'")]
    [InlineData(":0", "invalid port range '0' in ':0'")]
    [InlineData(":70000", "invalid port range '70000' in ':70000'")]
    [InlineData("quic4@:443", "address family 'quic4@' is not supported yet in 'quic4@:443'")]
    [InlineData("foo@:443", "unknown address family 'foo@' in 'foo@:443'")]
    [InlineData("ipv6@127.0.0.1:80", "address '127.0.0.1' does not match the 'ipv6@' family in 'ipv6@127.0.0.1:80'")]
    [InlineData("fd@x", "invalid file descriptor 'x' in 'fd@x'")]
    [InlineData("no-such-host.invalid:80", "could not resolve address 'no-such-host.invalid' in 'no-such-host.invalid:80'")]
    public void ParseBind_Invalid_Error(string text, string expected)
    {
        Assert.Equal(expected, AddressParser.ParseBind(text, out _));
    }

    [Theory]
    [InlineData("127.0.0.1:3306", "127.0.0.1", 3306, false)]
    [InlineData("127.0.0.1", "127.0.0.1", 0, false)]
    [InlineData("127.0.0.1:+1000", "127.0.0.1", 1000, true)]
    [InlineData("127.0.0.1:-10", "127.0.0.1", -10, true)]
    [InlineData("[::1]:80", "::1", 80, false)]
    public void ParseServer_Inet_AddressAndPort(string text, string address, int port, bool offset)
    {
        Assert.Null(AddressParser.ParseServer(text, out var parsed));
        var inet = Assert.IsType<InetServerAddress>(parsed);
        Assert.Equal(IPAddress.Parse(address), inet.Address);
        Assert.Equal(port, inet.Port);
        Assert.Equal(offset, inet.PortIsOffset);
    }

    [Fact]
    public void ParseServer_PlainPath_Unix()
    {
        Assert.Null(AddressParser.ParseServer("/var/run/original.sock", out var parsed));
        Assert.Equal("/var/run/original.sock", Assert.IsType<UnixServerAddress>(parsed).Path);
    }

    [Theory]
    [InlineData("127.0.0.1:abc", "invalid character 'a' in port number 'abc' in '127.0.0.1:abc'")]
    [InlineData(":80", "missing address in ':80'")]
    [InlineData("fd@3", "'fd@' addresses cannot be used for servers: 'fd@3'")]
    public void ParseServer_Invalid_Error(string text, string expected)
    {
        Assert.Equal(expected, AddressParser.ParseServer(text, out _));
    }

    [Fact]
    public void ParseSource_PortRange_Parsed()
    {
        Assert.Null(AddressParser.ParseSource("10.0.0.100:1025-65000", out var source));
        Assert.Equal(IPAddress.Parse("10.0.0.100"), source!.Address);
        Assert.Equal(1025, source.FirstPort);
        Assert.Equal(65000, source.LastPort);
    }

    [Fact]
    public void SplitList_CommasOutsideBrackets_Split()
    {
        Assert.Equal(new[] { ":80", "[::1]:81", "unix@/a" }, AddressParser.SplitList(":80,[::1]:81,unix@/a"));
    }
}
