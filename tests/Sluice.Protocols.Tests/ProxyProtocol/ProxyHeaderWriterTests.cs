using System.Net;
using System.Text;
using Sluice.Protocols.ProxyProtocol;

namespace Sluice.Protocols.Tests.ProxyProtocol;

/// <summary>Headers written for servers, compared with hand-written bytes and read back.</summary>
public class ProxyHeaderWriterTests
{
    private static IPEndPoint Ep(string address, int port) => new(IPAddress.Parse(address), port);

    [Fact]
    public void V1OfIpv4AddressesIsTcp4()
    {
        var bytes = ProxyHeaderWriter.WriteV1(Ep("192.168.0.1", 56324), Ep("192.168.0.11", 443));
        Assert.Equal("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void V1OfIpv4MappedAddressesIsTcp4()
    {
        var bytes = ProxyHeaderWriter.WriteV1(Ep("::ffff:10.0.0.1", 1000), Ep("::ffff:10.0.0.2", 80));
        Assert.Equal("PROXY TCP4 10.0.0.1 10.0.0.2 1000 80\r\n", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void V1OfMixedFamiliesIsTcp6WithTheIpv4AddressMapped()
    {
        var bytes = ProxyHeaderWriter.WriteV1(Ep("10.0.0.1", 1000), Ep("2001:db8::2", 80));
        Assert.Equal("PROXY TCP6 ::ffff:10.0.0.1 2001:db8::2 1000 80\r\n", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void V1OfAUnixClientIsUnknown()
    {
        var bytes = ProxyHeaderWriter.WriteV1(new System.Net.Sockets.UnixDomainSocketEndPoint("/tmp/x.sock"), Ep("10.0.0.2", 80));
        Assert.Equal("PROXY UNKNOWN\r\n", Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public void V2OfIpv4AddressesMatchesTheSpecificationsLayout()
    {
        var bytes = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, Ep("192.168.0.1", 56324), Ep("192.168.0.11", 443), [], crc32c: false);
        Assert.Equal("0D0A0D0A000D0A515549540A" + "21" + "11" + "000C" + "C0A80001C0A8000BDC0401BB", Convert.ToHexString(bytes));
    }

    [Fact]
    public void V2WithTlvsAndCrcIsReadBackWhole()
    {
        var ssl = ProxyHeaderWriter.SslValue(ProxySslClientFlags.Ssl | ProxySslClientFlags.CertificateOnConnection, 0,
            [new(ProxyTlvType.SslVersion, "TLSv1.3"u8.ToArray()), new(ProxyTlvType.SslCommonName, "client1"u8.ToArray())]);
        var bytes = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, Ep("2001:db8::1", 40000), Ep("2001:db8::2", 443),
            [new(ProxyTlvType.Alpn, "h2"u8.ToArray()), new(ProxyTlvType.Authority, "www.example.com"u8.ToArray()), new(ProxyTlvType.Ssl, ssl)], crc32c: true);
        Assert.Equal(ProxyHeaderStatus.Complete, ProxyHeaderReader.TryRead(bytes, 65536, out var header, out var length));
        Assert.Equal(bytes.Length, length);
        Assert.Equal(Ep("2001:db8::1", 40000), header!.Source);
        Assert.Equal(ProxyTlvType.Crc32c, header.Tlvs[0].Type);
        Assert.Equal("h2"u8.ToArray(), header.Find(ProxyTlvType.Alpn));
        Assert.Equal("www.example.com"u8.ToArray(), header.Find(ProxyTlvType.Authority));
        Assert.Equal("client1"u8.ToArray(), header.Find(ProxyTlvType.SslCommonName));
        Assert.Equal(ProxySslClientFlags.Ssl | ProxySslClientFlags.CertificateOnConnection, header.SslClient);
    }

    [Fact]
    public void V2WithoutIpAddressesHasTheUnspecifiedFamily()
    {
        var bytes = ProxyHeaderWriter.WriteV2(ProxyCommand.Local, null, null, [], crc32c: false);
        Assert.Equal("0D0A0D0A000D0A515549540A" + "20" + "00" + "0000", Convert.ToHexString(bytes));
    }
}
