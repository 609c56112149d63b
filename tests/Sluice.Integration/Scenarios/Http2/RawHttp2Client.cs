using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Sluice.TestKit.Hpack;
using Sluice.TestKit.Http2;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>One frame as the raw client read it.</summary>
internal sealed record RawFrame(byte Type, byte Flags, int StreamId, byte[] Payload)
{
    public const byte Data = 0x0;
    public const byte Headers = 0x1;
    public const byte RstStream = 0x3;
    public const byte Settings = 0x4;
    public const byte Ping = 0x6;
    public const byte GoAway = 0x7;
    public const byte WindowUpdate = 0x8;

    public bool EndStream => (Flags & 0x1) != 0;

    /// <summary>RST_STREAM and GOAWAY: the error code.</summary>
    public uint ErrorCode => Type == RstStream ? ReadUInt32(0) : ReadUInt32(4);

    public uint ReadUInt32(int offset) =>
        ((uint)Payload[offset] << 24) | ((uint)Payload[offset + 1] << 16) | ((uint)Payload[offset + 2] << 8) | Payload[offset + 3];

    public override string ToString() => $"type={Type} flags={Flags} stream={StreamId} length={Payload.Length}";
}

/// <summary>
/// A prior-knowledge HTTP/2 client that sends exact frames (the test kit's HPACK encoder, no validation of its own,
/// so it can send what real clients refuse to) and reads every frame back.
/// </summary>
internal sealed class RawHttp2Client : IDisposable
{
    private readonly Stream _stream;
    private readonly SimpleHpackEncoder _encoder = new() { UseIndexes = false };
    private readonly SimpleHpackDecoder _decoder = new();

    private RawHttp2Client(Stream stream)
    {
        _stream = stream;
    }

    public static async Task<RawHttp2Client> ConnectAsync(int port, bool preface = true)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        var client = new RawHttp2Client(new NetworkStream(socket, ownsSocket: true));
        if (preface)
        {
            await client.SendPrefaceAsync();
        }

        return client;
    }

    /// <summary>Over TLS to `localhost`, with ALPN offering only `h2` (RFC 9113 §3.2); the certificate must chain to <paramref name="trustedCa"/>.</summary>
    public static async Task<RawHttp2Client> ConnectTlsAsync(int port, X509Certificate2 trustedCa, bool preface = true)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: true), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { trustedCa },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        });
        if (tls.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
        {
            await tls.DisposeAsync();
            throw new InvalidOperationException("ALPN did not select h2");
        }

        var client = new RawHttp2Client(tls);
        if (preface)
        {
            await client.SendPrefaceAsync();
        }

        return client;
    }

    /// <summary>The client connection preface: the magic string and an empty SETTINGS frame.</summary>
    public Task SendPrefaceAsync() => SendAsync(
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(),
        RawFrameBuilder.Frame(RawFrame.Settings, 0, 0));

    public async Task SendAsync(params byte[][] parts)
    {
        foreach (var part in parts)
        {
            await _stream.WriteAsync(part);
        }

        await _stream.FlushAsync();
    }

    /// <summary>A HEADERS frame with END_HEADERS, the fields in the given order and case.</summary>
    public byte[] Headers(int streamId, bool endStream, params (string Name, string Value)[] fields) =>
        RawFrameBuilder.Frame(RawFrame.Headers, (byte)(0x4 | (endStream ? 0x1 : 0)), streamId,
            _encoder.Encode([.. fields.Select(f => new TestHeader(f.Name, f.Value))]));

    public static (string, string)[] Get(string path, params (string, string)[] extra) =>
        [(":method", "GET"), (":scheme", "http"), (":authority", "test.local"), (":path", path), .. extra];

    /// <summary>Decodes a HEADERS payload without padding or priority.</summary>
    public List<TestHeader> Decode(RawFrame headers) => _decoder.Decode(headers.Payload);

    /// <summary>Reads one frame; null when the server closed.</summary>
    public async Task<RawFrame?> ReadFrameAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var header = new byte[9];
        if (!await ReadExactAsync(header, cts.Token))
        {
            return null;
        }

        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        var payload = new byte[length];
        if (!await ReadExactAsync(payload, cts.Token))
        {
            return null;
        }

        var streamId = ((header[5] & 0x7F) << 24) | (header[6] << 16) | (header[7] << 8) | header[8];
        return new RawFrame(header[3], header[4], streamId, payload);
    }

    /// <summary>Reads frames until <paramref name="stop"/> matches one (included) or the server closes.</summary>
    public async Task<List<RawFrame>> ReadUntilAsync(Func<RawFrame, bool> stop, TimeSpan? timeout = null)
    {
        var frames = new List<RawFrame>();
        while (await ReadFrameAsync(timeout ?? TimeSpan.FromSeconds(10)) is { } frame)
        {
            frames.Add(frame);
            if (stop(frame))
            {
                break;
            }
        }

        return frames;
    }

    public void Dispose() => _stream.Dispose();

    private async Task<bool> ReadExactAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = await _stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            }
            catch (IOException)
            {
                return false;
            }

            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
