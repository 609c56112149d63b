using System.Net;
using System.Text;
using Sluice.Protocols.ProxyProtocol;

namespace Sluice.Protocols.Tests.ProxyProtocol;

/// <summary>
/// PROXY headers written by hand from proxy-protocol.txt (v1 text, v2 bytes in hex), read whole, at every split,
/// and broken in every way the protocol forbids.
/// </summary>
public class ProxyHeaderReaderTests
{
    private const int MaxLength = 16384;

    private const string V2Signature = "0D0A0D0A000D0A515549540A";

    /// <summary>A v2 PROXY over TCP/IPv4: 192.168.0.1:56324 → 192.168.0.11:443, then the TLVs given in hex.</summary>
    private static byte[] V2Inet(string tlvsHex = "")
    {
        var body = "C0A80001" + "C0A8000B" + "DC04" + "01BB" + tlvsHex;
        return Convert.FromHexString(V2Signature + "21" + "11" + (body.Length / 2).ToString("X4") + body);
    }

    private static string Tlv(byte type, string value) => Tlv(type, Encoding.ASCII.GetBytes(value));

    private static string Tlv(byte type, byte[] value) => type.ToString("X2") + value.Length.ToString("X4") + Convert.ToHexString(value);

    private static ProxyHeader ReadComplete(byte[] data, int expectedLength)
    {
        Assert.Equal(ProxyHeaderStatus.Complete, ProxyHeaderReader.TryRead(data, MaxLength, out var header, out var length));
        Assert.Equal(expectedLength, length);
        return header!;
    }

    private static ProxyHeaderStatus Status(byte[] data) => ProxyHeaderReader.TryRead(data, MaxLength, out _, out _);

    private static ProxyHeaderStatus Status(string text) => Status(Encoding.ASCII.GetBytes(text));

    [Fact]
    public void V1Tcp4IsReadAndTheBytesAfterItAreLeft()
    {
        const string line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
        var header = ReadComplete(Encoding.ASCII.GetBytes(line + "GET / HTTP/1.1\r\n"), line.Length);
        Assert.Equal(1, header.Version);
        Assert.Equal(ProxyCommand.Proxy, header.Command);
        Assert.Equal(ProxyAddressFamily.Inet, header.Family);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.168.0.1"), 56324), header.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.168.0.11"), 443), header.Destination);
        Assert.Empty(header.Tlvs);
    }

    [Fact]
    public void V1Tcp6OfTheLongestFormIsRead()
    {
        const string line = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
        Assert.Equal(104, line.Length);
        var header = ReadComplete(Encoding.ASCII.GetBytes(line), line.Length);
        Assert.Equal(ProxyAddressFamily.Inet6, header.Family);
        Assert.Equal(65535, header.Source!.Port);
        Assert.Equal(IPAddress.Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), header.Destination!.Address);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n")]
    public void V1UnknownKeepsTheConnectionsAddresses(string line)
    {
        var header = ReadComplete(Encoding.ASCII.GetBytes(line), line.Length);
        Assert.Equal(ProxyAddressFamily.Unspecified, header.Family);
        Assert.False(header.HasAddresses);
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY UNKNOWN\r\n")]
    public void EveryPrefixOfAV1HeaderAsksForMore(string line)
    {
        var bytes = Encoding.ASCII.GetBytes(line);
        for (var n = 0; n < bytes.Length; n++)
        {
            Assert.Equal(ProxyHeaderStatus.NeedMoreData, Status(bytes[..n]));
        }

        Assert.Equal(ProxyHeaderStatus.Complete, Status(bytes));
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n")]
    [InlineData("PROXY TCP4 192.168.0.1  192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 \r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 65536\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 -1 443\r\n")]
    [InlineData("PROXY TCP4 256.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP4 192.168.0.1. 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP4 1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP4 ::1 ::1 56324 443\r\n")]
    [InlineData("PROXY TCP6 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 56324 443\r\n")]
    [InlineData("PROXY TCP5 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY tcp4 192.168.0.1 192.168.0.11 56324 443\r\n")]
    [InlineData("PROXY UNKNOWNX\r\n")]
    [InlineData("PROXY \r\n")]
    public void BrokenV1HeadersAreInvalid(string line) => Assert.Equal(ProxyHeaderStatus.Invalid, Status(line));

    [Fact]
    public void AV1LineWithoutCrlfWithin107BytesIsInvalid()
    {
        var line = "PROXY UNKNOWN " + new string('a', 200);
        Assert.Equal(ProxyHeaderStatus.NeedMoreData, Status(line[..106]));
        Assert.Equal(ProxyHeaderStatus.Invalid, Status(line[..107]));
        Assert.Equal(ProxyHeaderStatus.Invalid, Status(line));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("PROXZ TCP4")]
    [InlineData("proxy TCP4")]
    [InlineData("\u0016\u0003\u0001")]
    public void OtherProtocolsAreNotProxyHeaders(string start) => Assert.Equal(ProxyHeaderStatus.NotProxyHeader, Status(start));

    [Fact]
    public void AV2SignatureThatGoesWrongIsNotAProxyHeader()
    {
        var bytes = Convert.FromHexString(V2Signature);
        bytes[7] = (byte)'X';
        Assert.Equal(ProxyHeaderStatus.NotProxyHeader, Status(bytes));
    }

    [Fact]
    public void V2InetIsReadAndTheBytesAfterItAreLeft()
    {
        var header = V2Inet();
        var header2 = ReadComplete([.. header, .. "GET"u8], header.Length);
        Assert.Equal(28, header.Length);
        Assert.Equal(2, header2.Version);
        Assert.Equal(ProxyCommand.Proxy, header2.Command);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.168.0.1"), 56324), header2.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.168.0.11"), 443), header2.Destination);
    }

    [Fact]
    public void EveryPrefixOfAV2HeaderAsksForMore()
    {
        var bytes = V2Inet(Tlv(ProxyTlvType.Alpn, "h2"));
        for (var n = 0; n < bytes.Length; n++)
        {
            Assert.Equal(ProxyHeaderStatus.NeedMoreData, Status(bytes[..n]));
        }

        Assert.Equal(ProxyHeaderStatus.Complete, Status(bytes));
    }

    [Fact]
    public void V2Inet6IsRead()
    {
        var body = Convert.ToHexString(IPAddress.Parse("2001:db8::1").GetAddressBytes())
            + Convert.ToHexString(IPAddress.Parse("2001:db8::2").GetAddressBytes()) + "0050" + "1F90";
        var bytes = Convert.FromHexString(V2Signature + "21" + "21" + "0024" + body);
        var header = ReadComplete(bytes, 52);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 80), header.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::2"), 8080), header.Destination);
    }

    [Fact]
    public void V2LocalKeepsTheConnectionsAddressesEvenWithAnAddressBlock()
    {
        var bytes = V2Inet();
        bytes[12] = 0x20;
        var header = ReadComplete(bytes, bytes.Length);
        Assert.Equal(ProxyCommand.Local, header.Command);
        Assert.False(header.HasAddresses);
    }

    [Fact]
    public void V2LocalWithNoAddressesIsSixteenBytes()
    {
        var header = ReadComplete(Convert.FromHexString(V2Signature + "20" + "00" + "0000"), 16);
        Assert.Equal(ProxyAddressFamily.Unspecified, header.Family);
    }

    [Fact]
    public void V2UnixAddressesAreSkippedAndTheTlvsAfterThemRead()
    {
        var body = new string('0', 216 * 2) + Tlv(ProxyTlvType.Authority, "example.com");
        var bytes = Convert.FromHexString(V2Signature + "21" + "31" + (body.Length / 2).ToString("X4") + body);
        var header = ReadComplete(bytes, bytes.Length);
        Assert.Equal(ProxyAddressFamily.Unix, header.Family);
        Assert.False(header.HasAddresses);
        Assert.Equal("example.com"u8.ToArray(), header.Find(ProxyTlvType.Authority));
    }

    [Fact]
    public void V2TlvsAreKeptInOrderAndNoopsDropped()
    {
        var bytes = V2Inet(Tlv(ProxyTlvType.Alpn, "h2") + Tlv(ProxyTlvType.Noop, "xx") + Tlv(ProxyTlvType.Authority, "www.example.com")
            + Tlv(ProxyTlvType.UniqueId, "abc-123") + Tlv(0xE1, [1, 2, 3]));
        var header = ReadComplete(bytes, bytes.Length);
        Assert.Equal([ProxyTlvType.Alpn, ProxyTlvType.Authority, ProxyTlvType.UniqueId, (byte)0xE1], header.Tlvs.Select(t => t.Type));
        Assert.Equal("h2"u8.ToArray(), header.Find(ProxyTlvType.Alpn));
        Assert.Equal("abc-123"u8.ToArray(), header.Find(ProxyTlvType.UniqueId));
        Assert.Equal(new byte[] { 1, 2, 3 }, header.Find(0xE1));
        Assert.Null(header.Find(ProxyTlvType.Noop));
    }

    [Fact]
    public void V2SslTlvAndItsSubTlvsAreRead()
    {
        var sub = Tlv(ProxyTlvType.SslVersion, "TLSv1.3") + Tlv(ProxyTlvType.SslCommonName, "client1") + Tlv(ProxyTlvType.SslCipher, "TLS_AES_256_GCM_SHA384");
        var ssl = Tlv(ProxyTlvType.Ssl, Convert.FromHexString("07" + "00000000" + sub));
        var header = ReadComplete(V2Inet(ssl), V2Inet(ssl).Length);
        Assert.True(header.HasSsl);
        Assert.Equal(ProxySslClientFlags.Ssl | ProxySslClientFlags.CertificateOnConnection | ProxySslClientFlags.CertificateInSession, header.SslClient);
        Assert.Equal(0u, header.SslVerify);
        Assert.Equal("TLSv1.3"u8.ToArray(), header.Find(ProxyTlvType.SslVersion));
        Assert.Equal("client1"u8.ToArray(), header.Find(ProxyTlvType.SslCommonName));
        Assert.Equal(3, header.SslTlvs.Count);
    }

    /// <summary>Every sub-TLV of PP2_TYPE_SSL the specification defines, with a failed verification, and PP2_TYPE_NETNS.</summary>
    [Fact]
    public void V2EverySslSubTlvAndTheNamespaceAreRead()
    {
        var sub = Tlv(ProxyTlvType.SslVersion, "TLSv1.2") + Tlv(ProxyTlvType.SslCommonName, "client2") + Tlv(ProxyTlvType.SslCipher, "ECDHE-ECDSA-AES128-GCM-SHA256")
            + Tlv(ProxyTlvType.SslSignatureAlgorithm, "ecdsa-with-SHA256") + Tlv(ProxyTlvType.SslKeyAlgorithm, "EC256");
        var ssl = Tlv(ProxyTlvType.Ssl, Convert.FromHexString("03" + "00000001" + sub));
        var bytes = V2Inet(ssl + Tlv(ProxyTlvType.NetworkNamespace, "blue"));
        var header = ReadComplete(bytes, bytes.Length);
        Assert.Equal(ProxySslClientFlags.Ssl | ProxySslClientFlags.CertificateOnConnection, header.SslClient);
        Assert.Equal(1u, header.SslVerify);
        Assert.Equal(
            [ProxyTlvType.SslVersion, ProxyTlvType.SslCommonName, ProxyTlvType.SslCipher, ProxyTlvType.SslSignatureAlgorithm, ProxyTlvType.SslKeyAlgorithm],
            header.SslTlvs.Select(t => t.Type));
        Assert.Equal("ecdsa-with-SHA256"u8.ToArray(), header.Find(ProxyTlvType.SslSignatureAlgorithm));
        Assert.Equal("EC256"u8.ToArray(), header.Find(ProxyTlvType.SslKeyAlgorithm));
        Assert.Equal("blue"u8.ToArray(), header.Find(ProxyTlvType.NetworkNamespace));
    }

    [Fact]
    public void Crc32cMatchesTheCastagnoliCheckValue()
    {
        var data = "123456789"u8.ToArray();
        Assert.Equal(0xE3069283u, ProxyHeaderReader.Crc32c(data, data.Length));
    }

    [Fact]
    public void AV2HeaderWithAGoodCrc32cIsReadAndABadOneIsInvalid()
    {
        var bytes = V2Inet(Tlv(ProxyTlvType.Crc32c, new byte[4]) + Tlv(ProxyTlvType.Alpn, "h2"));
        var crcAt = 28 + 3;
        var crc = ProxyHeaderReader.Crc32c(bytes, crcAt);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(crcAt), crc);
        Assert.Equal(ProxyHeaderStatus.Complete, Status(bytes));
        bytes[^1] ^= 1;
        Assert.Equal(ProxyHeaderStatus.Invalid, Status(bytes));
    }

    public static TheoryData<string, byte[]> BrokenV2Headers()
    {
        var data = new TheoryData<string, byte[]>();
        var version1 = V2Inet();
        version1[12] = 0x11;
        data.Add("version 1 in a v2 signature", version1);
        var command2 = V2Inet();
        command2[12] = 0x22;
        data.Add("command 2", command2);
        var family4 = V2Inet();
        family4[13] = 0x41;
        data.Add("family 4", family4);
        var transport3 = V2Inet();
        transport3[13] = 0x13;
        data.Add("transport 3", transport3);
        data.Add("inet block too short", Convert.FromHexString(V2Signature + "21" + "11" + "0008" + "C0A80001C0A8000B"));
        data.Add("tlv overruns the header", V2Inet(ProxyTlvType.Alpn.ToString("X2") + "0005" + "6832"));
        data.Add("two stray bytes after the tlvs", V2Inet(Tlv(ProxyTlvType.Alpn, "h2") + "0100"));
        data.Add("unique id over 128 bytes", V2Inet(Tlv(ProxyTlvType.UniqueId, new string('u', 129))));
        data.Add("authority over 255 bytes", V2Inet(Tlv(ProxyTlvType.Authority, new string('a', 256))));
        data.Add("crc32c of 3 bytes", V2Inet(Tlv(ProxyTlvType.Crc32c, new byte[3])));
        data.Add("ssl tlv shorter than its fixed part", V2Inet(Tlv(ProxyTlvType.Ssl, new byte[4])));
        data.Add("ssl sub-tlv overruns", V2Inet(Tlv(ProxyTlvType.Ssl, Convert.FromHexString("01" + "00000000" + "210009" + "544C53"))));
        return data;
    }

    [Theory]
    [MemberData(nameof(BrokenV2Headers))]
    public void BrokenV2HeadersAreInvalid(string why, byte[] bytes)
    {
        Assert.False(string.IsNullOrEmpty(why));
        Assert.Equal(ProxyHeaderStatus.Invalid, Status(bytes));
    }

    [Fact]
    public void AV2HeaderLongerThanTheBufferIsInvalidBeforeItArrives()
    {
        var fixedPart = Convert.FromHexString(V2Signature + "21" + "11" + "4000");
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderReader.TryRead(fixedPart, 1024, out _, out _));
        Assert.Equal(ProxyHeaderStatus.NeedMoreData, ProxyHeaderReader.TryRead(fixedPart, 16 + 0x4000, out _, out _));
    }
}
