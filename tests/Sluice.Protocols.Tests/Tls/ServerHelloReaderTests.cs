using Sluice.Protocols.Tls;

namespace Sluice.Protocols.Tests.Tls;

/// <summary>ServerHellos built by hand after RFC 8446 §4.1.3 / RFC 5246 §7.4.1.3: resumption told by PSK or session ID echo.</summary>
public class ServerHelloReaderTests
{
    private static readonly byte[] ClientSession = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    /// <summary>A ServerHello record: version, random, session ID, TLS_AES_128_GCM_SHA256, no compression, extensions.</summary>
    private static byte[] ServerHello(int version, byte[] sessionId, byte[]? random = null, params (int Type, byte[] Body)[] extensions)
    {
        var extensionBytes = extensions.SelectMany(e => new[] { (byte)(e.Type >> 8), (byte)e.Type, (byte)(e.Body.Length >> 8), (byte)e.Body.Length }.Concat(e.Body)).ToArray();
        byte[] hello =
        [
            (byte)(version >> 8), (byte)version, .. random ?? new byte[32], (byte)sessionId.Length, .. sessionId, 0x13, 0x01, 0x00,
            (byte)(extensionBytes.Length >> 8), (byte)extensionBytes.Length, .. extensionBytes,
        ];
        byte[] handshake = [0x02, 0, (byte)(hello.Length >> 8), (byte)hello.Length, .. hello];
        return [0x16, 0x03, 0x03, (byte)(handshake.Length >> 8), (byte)handshake.Length, .. handshake, 0x14, 0x03, 0x03, 0x00, 0x01, 0x01];
    }

    private static readonly (int, byte[]) Tls13 = (43, [0x03, 0x04]);

    [Fact]
    public void Tls13_WithPreSharedKey_Resumes()
    {
        var bytes = ServerHello(0x0303, ClientSession, null, Tls13, (41, [0x00, 0x00]));
        Assert.True(ServerHelloReader.TryRead(bytes, out var info));
        Assert.Equal(0x0304, info.Version);
        Assert.True(info.Resumes(bytes, ClientSession));
    }

    [Fact]
    public void Tls13_WithoutPreSharedKey_EchoedSessionIdIsNotResumption()
    {
        // TLS 1.3 echoes legacy_session_id always (middlebox compatibility): only the PSK counts.
        var bytes = ServerHello(0x0303, ClientSession, null, Tls13, (51, [0x00, 0x1d, 0x00, 0x00]));
        Assert.True(ServerHelloReader.TryRead(bytes, out var info));
        Assert.False(info.Resumes(bytes, ClientSession));
    }

    [Fact]
    public void Tls12_EchoedSessionId_Resumes_OtherIdDoesNot()
    {
        var echoed = ServerHello(0x0303, ClientSession);
        Assert.True(ServerHelloReader.TryRead(echoed, out var info));
        Assert.Equal(0x0303, info.Version);
        Assert.True(info.Resumes(echoed, ClientSession));

        var fresh = ServerHello(0x0303, [.. Enumerable.Repeat((byte)9, 32)], null, (23, []));
        Assert.True(ServerHelloReader.TryRead(fresh, out info));
        Assert.False(info.Resumes(fresh, ClientSession));
        Assert.False(info.Resumes(fresh, []));
    }

    [Fact]
    public void HelloRetryRequest_Recognised()
    {
        byte[] retryRandom = Convert.FromHexString("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C");
        Assert.True(ServerHelloReader.TryRead(ServerHello(0x0303, ClientSession, retryRandom, Tls13), out var info));
        Assert.True(info.IsHelloRetryRequest);
    }

    [Fact]
    public void Truncated_AtEveryOffset_NotRead()
    {
        var bytes = ServerHello(0x0303, ClientSession, null, Tls13, (41, [0x00, 0x00]));
        var recordEnd = 5 + (bytes[3] << 8 | bytes[4]);
        for (var length = 0; length < recordEnd; length++)
        {
            Assert.False(ServerHelloReader.TryRead(bytes.AsSpan(0, length), out _));
        }
    }

    [Fact]
    public void NotAServerHello_NotRead()
    {
        var bytes = ServerHello(0x0303, ClientSession);
        bytes[5] = 0x01;
        Assert.False(ServerHelloReader.TryRead(bytes, out _));
        Assert.False(ServerHelloReader.TryRead("HTTP/1.1 400 Bad Request\r\n"u8, out _));
    }
}
