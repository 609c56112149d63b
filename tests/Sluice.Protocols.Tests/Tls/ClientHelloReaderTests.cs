using System.Net.Security;
using System.Text;
using Sluice.Protocols.Tls;

namespace Sluice.Protocols.Tests.Tls;

/// <summary>ClientHellos written by the platform's TLS client (OpenSSL), read whole, split at every offset, and broken.</summary>
public class ClientHelloReaderTests
{
    /// <summary>Captures what a TLS client writes first, then fails its reads so the handshake stops there.</summary>
    private sealed class CaptureStream : Stream
    {
        public MemoryStream Written { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("capture only");

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }

    private static byte[] Hello(string? host, params string[] alpn)
    {
        var capture = new CaptureStream();
        using var tls = new SslStream(capture);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host ?? string.Empty,
        };
        if (alpn.Length > 0)
        {
            options.ApplicationProtocols = [.. alpn.Select(a => new SslApplicationProtocol(a))];
        }

        try
        {
            tls.AuthenticateAsClient(options);
        }
        catch (IOException)
        {
        }

        return capture.Written.ToArray();
    }

    private static string Text(byte[] bytes, (int Offset, int Length) part) => Encoding.ASCII.GetString(bytes, part.Offset, part.Length);

    [Fact]
    public void RealHello_SniAndAlpnAndVersion()
    {
        var hello = Hello("shop.example.com", "h2", "http/1.1");
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloReader.TryRead(hello, out var info));
        Assert.Equal("shop.example.com", Text(hello, info.ServerName));
        var list = hello.AsSpan(info.AlpnList.Offset, info.AlpnList.Length);
        Assert.Equal(2, list[0]);
        Assert.Equal("h2", Encoding.ASCII.GetString(list.Slice(1, 2)));
        Assert.Equal(0x0303, info.HelloVersion);
        Assert.True(info.HighestSupportedVersion is 0x0303 or 0x0304, info.HighestSupportedVersion.ToString("x"));
    }

    [Fact]
    public void RealHello_WithoutSniOrAlpn_EmptyParts()
    {
        var hello = Hello(null);
        Assert.Equal(ClientHelloStatus.Complete, ClientHelloReader.TryRead(hello, out var info));
        Assert.Equal(0, info.ServerName.Length);
        Assert.Equal(0, info.AlpnList.Length);
    }

    [Fact]
    public void RealHello_EveryPrefix_NeedsMoreData()
    {
        var hello = Hello("a.example", "h2");
        for (var length = 0; length < hello.Length; length++)
        {
            Assert.Equal(ClientHelloStatus.NeedMoreData, ClientHelloReader.TryRead(hello.AsSpan(0, length), out _));
        }

        Assert.Equal(ClientHelloStatus.Complete, ClientHelloReader.TryRead(hello, out _));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("\u0017\u0003\u0003\u0000\u0001x")]
    [InlineData("\u0016\u0002\u0000")]
    public void NotTls_Refused(string start) =>
        Assert.Equal(ClientHelloStatus.NotClientHello, ClientHelloReader.TryRead(Encoding.Latin1.GetBytes(start), out _));

    [Fact]
    public void CorruptedLengths_RefusedNeverThrow()
    {
        var hello = Hello("x.example", "h2");
        for (var i = 9; i < hello.Length; i++)
        {
            var broken = (byte[])hello.Clone();
            broken[i] = 0xff;
            var status = ClientHelloReader.TryRead(broken, out var info);
            if (status == ClientHelloStatus.Complete)
            {
                Assert.InRange(info.ServerName.Offset + info.ServerName.Length, 0, broken.Length);
                Assert.InRange(info.AlpnList.Offset + info.AlpnList.Length, 0, broken.Length);
            }
        }
    }

    [Fact]
    public void HelloLongerThanItsRecord_NotFollowed()
    {
        var hello = Hello("x.example");
        var cut = (byte[])hello.Clone();
        // The record claims fewer bytes than the hello inside it needs.
        var recordLength = (cut[3] << 8 | cut[4]) - 10;
        cut[3] = (byte)(recordLength >> 8);
        cut[4] = (byte)recordLength;
        Assert.Equal(ClientHelloStatus.NotClientHello, ClientHelloReader.TryRead(cut, out _));
    }
}
