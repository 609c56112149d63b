using System.Text;
using Sluice.Protocols.Tls;

namespace Sluice.Protocols.Tests.Tls;

/// <summary>
/// The ClientHello reader on hand-built records (RFC 8446 §4.1.2, RFC 6066 §3, RFC 7301 §3.1): fields found, every
/// prefix incomplete, malformed lengths refused, non-TLS bytes recognised at the first byte.
/// </summary>
public class ClientHelloReaderTests
{
    private static byte[] Vector(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    private static byte[] Extension(int type, byte[] data) => Vector(U16(type), U16(data.Length), data);

    private static byte[] Sni(string name)
    {
        var host = Encoding.ASCII.GetBytes(name);
        var entry = Vector([0], U16(host.Length), host);
        return Extension(0, Vector(U16(entry.Length), entry));
    }

    private static byte[] Alpn(params string[] names)
    {
        var list = Vector([.. names.Select(n => Vector([(byte)n.Length], Encoding.ASCII.GetBytes(n)))]);
        return Extension(16, Vector(U16(list.Length), list));
    }

    /// <summary>A TLS 1.3-style ClientHello with the given extensions, in one record.</summary>
    private static byte[] ClientHello(params byte[][] extensions)
    {
        var all = Vector(extensions);
        var body = Vector(
            [0x03, 0x03],
            new byte[32],
            [32], new byte[32],
            U16(4), [0x13, 0x01, 0x13, 0x02],
            [1, 0],
            U16(all.Length), all);
        var handshake = Vector([1, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length], body);
        return Vector([22, 0x03, 0x01], U16(handshake.Length), handshake);
    }

    [Fact]
    public void Read_SniAndAlpn_Found()
    {
        var record = ClientHello(Extension(43, [2, 3, 4]), Sni("www.example.com"), Alpn("h2", "http/1.1"));
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloReader.Read(record, out var hello));
        Assert.Equal(record.Length, hello.RecordLength);
        Assert.Equal("www.example.com", Encoding.ASCII.GetString(record.AsSpan(hello.ServerName)));
        var list = record.AsSpan(hello.AlpnList);
        Assert.True(ClientHelloReader.AlpnListContains(list, "h2"u8));
        Assert.True(ClientHelloReader.AlpnListContains(list, "http/1.1"u8));
        Assert.False(ClientHelloReader.AlpnListContains(list, "h3"u8));
        Assert.False(ClientHelloReader.AlpnListContains(list, "http/1"u8));
    }

    [Fact]
    public void Read_NoExtensions_CompleteWithEmptyRanges()
    {
        var record = ClientHello();
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloReader.Read(record, out var hello));
        Assert.Equal(0, record.AsSpan(hello.ServerName).Length);
        Assert.True(hello.AlpnList.Equals(default(Range)));
    }

    [Fact]
    public void Read_EveryPrefix_IncompleteThenComplete()
    {
        var record = ClientHello(Sni("a.test"), Alpn("h2"));
        for (var length = 0; length < record.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.Incomplete, ClientHelloReader.Read(record.AsSpan(0, length), out var hello));
            Assert.Equal(length >= ClientHelloReader.RecordHeaderLength ? record.Length : 0, hello.RecordLength);
        }

        Assert.Equal(ClientHelloStatus.Complete, ClientHelloReader.Read(record, out _));
        // Bytes after the record (the client's next flight) change nothing.
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloReader.Read(Vector(record, [23, 3, 3, 0, 1, 0]), out var withMore));
        Assert.Equal(record.Length, withMore.RecordLength);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n")]
    public void Read_PlainText_NotAClientHello(string text)
    {
        Assert.Equal(ClientHelloStatus.NotAClientHello, ClientHelloReader.Read(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void Read_MalformedLengths_NotAClientHello()
    {
        var record = ClientHello(Sni("a.test"), Alpn("h2"));

        // A handshake that is not a ClientHello.
        var serverHello = (byte[])record.Clone();
        serverHello[5] = 2;
        Assert.Equal(ClientHelloStatus.NotAClientHello, ClientHelloReader.Read(serverHello, out _));

        // A handshake body longer than its record (a ClientHello over several records).
        var split = (byte[])record.Clone();
        split[7] = 0xff;
        Assert.Equal(ClientHelloStatus.NotAClientHello, ClientHelloReader.Read(split, out _));

        // An extension running past the extensions block.
        var overrun = (byte[])record.Clone();
        var alpnAt = record.Length - Alpn("h2").Length;
        overrun[alpnAt + 3] = 0x40;
        Assert.Equal(ClientHelloStatus.NotAClientHello, ClientHelloReader.Read(overrun, out _));

        // A record longer than TLS allows.
        Assert.Equal(ClientHelloStatus.NotAClientHello, ClientHelloReader.Read([22, 3, 1, 0x48, 0x01], out _));
    }

    [Fact]
    public void AlpnListContains_TruncatedList_False()
    {
        Assert.False(ClientHelloReader.AlpnListContains([5, (byte)'h', (byte)'2'], "h2"u8));
        Assert.False(ClientHelloReader.AlpnListContains([], "h2"u8));
    }
}
