using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Sluice.TestKit.Hpack;
using Sluice.TestKit.Http2;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// One client connection of the h2spec cases: frame builders for every frame type (valid or not), the handshake
/// of h2spec (preface, SETTINGS both ways, both acknowledged) and the checks that end each case. A check reads
/// frames until the one it waits for; a timeout or a close it did not expect fails the case with the frames seen.
/// </summary>
internal sealed class H2SpecConnection : IDisposable
{
    public const uint NoError = 0x0;
    public const uint ProtocolError = 0x1;
    public const uint FlowControlError = 0x3;
    public const uint StreamClosed = 0x5;
    public const uint FrameSizeError = 0x6;
    public const uint RefusedStream = 0x7;
    public const uint Cancel = 0x8;
    public const uint CompressionError = 0x9;

    /// <summary>The length of the values of <see cref="DummyFields"/>, h2spec's default `max-header-length`.</summary>
    public const int DummyValueLength = 4000;

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(5);

    private readonly RawHttp2Client _client;
    private readonly SimpleHpackEncoder _encoder = new() { UseIndexes = false };
    private readonly List<RawFrame> _seen = [];

    private H2SpecConnection(RawHttp2Client client, string scheme, int port)
    {
        _client = client;
        Scheme = scheme;
        Authority = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
    }

    public string Scheme { get; }

    public string Authority { get; }

    /// <summary>The server's SETTINGS_MAX_CONCURRENT_STREAMS, once the handshake has read it.</summary>
    public uint? MaxConcurrentStreams { get; private set; }

    /// <summary>The server's SETTINGS_HEADER_TABLE_SIZE (4096 unless it said otherwise).</summary>
    public uint HeaderTableSize { get; private set; } = 4096;

    /// <summary>Cleartext with prior knowledge, or TLS when <paramref name="trustedCa"/> is given.</summary>
    public static async Task<H2SpecConnection> OpenAsync(int port, X509Certificate2? trustedCa) =>
        new(trustedCa is not null ? await RawHttp2Client.ConnectTlsAsync(port, trustedCa, preface: false) : await RawHttp2Client.ConnectAsync(port, preface: false),
            trustedCa is not null ? "https" : "http", port);

    public void Dispose() => _client.Dispose();

    public Task SendAsync(params byte[][] frames) => _client.SendAsync(frames);

    /// <summary>
    /// h2spec's handshake: the preface with an empty SETTINGS, then the server's SETTINGS (acknowledged) and the
    /// acknowledgement of ours, in either order.
    /// </summary>
    public async Task HandshakeAsync()
    {
        await SendAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(), Settings());
        bool settings = false, acknowledged = false;
        while (!settings || !acknowledged)
        {
            var frame = await NextAsync() ?? throw Failure("the connection closed during the handshake");
            if (frame.Type != RawFrame.Settings)
            {
                continue;
            }

            if ((frame.Flags & 0x1) != 0)
            {
                acknowledged = true;
                continue;
            }

            settings = true;
            for (var i = 0; i + 6 <= frame.Payload.Length; i += 6)
            {
                var id = (frame.Payload[i] << 8) | frame.Payload[i + 1];
                var value = frame.ReadUInt32(i + 2);
                if (id == 0x3)
                {
                    MaxConcurrentStreams = value;
                }
                else if (id == 0x1)
                {
                    HeaderTableSize = value;
                }
            }

            await SendAsync(RawFrameBuilder.Frame(RawFrame.Settings, 0x1, 0));
        }

        _seen.Clear();
    }

    /// <summary>h2spec's common request: `:method`, `:scheme`, `:path /`, `:authority`.</summary>
    public List<TestHeader> Common(string method = "GET") =>
        [new(":method", method), new(":scheme", Scheme), new(":path", "/"), new(":authority", Authority)];

    /// <summary>Fields `x-dummyN` with 4000-byte values.</summary>
    public static List<TestHeader> DummyFields(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new TestHeader("x-dummy" + i.ToString(CultureInfo.InvariantCulture), new string('x', DummyValueLength)))];

    /// <summary>A field block, each field a literal without indexing (no dynamic table state to keep in step).</summary>
    public byte[] Encode(IReadOnlyList<TestHeader> fields) => _encoder.Encode(fields, _ => SimpleIndexing.WithoutIndexing);

    public byte[] Headers(int streamId, bool endStream, bool endHeaders, byte[] block) =>
        RawFrameBuilder.Frame(RawFrame.Headers, (byte)((endStream ? 0x1 : 0) | (endHeaders ? 0x4 : 0)), streamId, block);

    public byte[] Headers(int streamId, bool endStream, IReadOnlyList<TestHeader> fields) => Headers(streamId, endStream, true, Encode(fields));

    /// <summary>A HEADERS frame with the PRIORITY flag: dependency, exclusive bit, weight.</summary>
    public byte[] HeadersWithPriority(int streamId, bool endStream, IReadOnlyList<TestHeader> fields, int dependency, bool exclusive, byte weight) =>
        RawFrameBuilder.Frame(RawFrame.Headers, (byte)(0x20 | 0x4 | (endStream ? 0x1 : 0)), streamId,
            [.. PriorityFields(dependency, exclusive, weight), .. Encode(fields)]);

    /// <summary>A HEADERS frame with the PADDED flag.</summary>
    public byte[] HeadersPadded(int streamId, bool endStream, IReadOnlyList<TestHeader> fields, byte[] padding) =>
        RawFrameBuilder.Frame(RawFrame.Headers, (byte)(0x8 | 0x4 | (endStream ? 0x1 : 0)), streamId,
            [(byte)padding.Length, .. Encode(fields), .. padding]);

    public static byte[] Continuation(int streamId, bool endHeaders, byte[] block) =>
        RawFrameBuilder.Frame(0x9, (byte)(endHeaders ? 0x4 : 0), streamId, block);

    public static byte[] Data(int streamId, bool endStream, byte[] payload) =>
        RawFrameBuilder.Frame(RawFrame.Data, (byte)(endStream ? 0x1 : 0), streamId, payload);

    public static byte[] Data(int streamId, bool endStream, string payload) => Data(streamId, endStream, System.Text.Encoding.ASCII.GetBytes(payload));

    public static byte[] DataPadded(int streamId, bool endStream, byte[] payload, byte[] padding) =>
        RawFrameBuilder.Frame(RawFrame.Data, (byte)(0x8 | (endStream ? 0x1 : 0)), streamId, [(byte)padding.Length, .. payload, .. padding]);

    public static byte[] Priority(int streamId, int dependency = 0, bool exclusive = false, byte weight = 255) =>
        RawFrameBuilder.Frame(0x2, 0, streamId, PriorityFields(dependency, exclusive, weight));

    public static byte[] RstStream(int streamId, uint code) => RawFrameBuilder.Frame(RawFrame.RstStream, 0, streamId, RawFrameBuilder.UInt32(code));

    public static byte[] Settings(params (ushort Id, uint Value)[] parameters) =>
        RawFrameBuilder.Frame(RawFrame.Settings, 0, 0, [.. parameters.SelectMany(p => RawFrameBuilder.Setting(p.Id, p.Value))]);

    public static byte[] Ping(bool ack, byte[] data) => RawFrameBuilder.Frame(RawFrame.Ping, (byte)(ack ? 0x1 : 0), 0, data);

    public static byte[] GoAway(int lastStreamId, uint code, byte[] debug) =>
        RawFrameBuilder.Frame(RawFrame.GoAway, 0, 0, [.. RawFrameBuilder.UInt32((uint)lastStreamId), .. RawFrameBuilder.UInt32(code), .. debug]);

    public static byte[] WindowUpdate(int streamId, uint increment) => RawFrameBuilder.Frame(RawFrame.WindowUpdate, 0, streamId, RawFrameBuilder.UInt32(increment));

    /// <summary>Bytes written as hexadecimal, for frames that break the framing itself.</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

    /// <summary>A connection error: GOAWAY with one of <paramref name="codes"/>, then the connection closes.</summary>
    public async Task ExpectConnectionErrorAsync(params uint[] codes)
    {
        while (true)
        {
            var frame = await NextAsync() ?? throw Failure("the connection closed without GOAWAY(" + Codes(codes) + ")");
            if (frame.Type == RawFrame.GoAway)
            {
                if (!codes.Contains(frame.ErrorCode))
                {
                    throw Failure("GOAWAY(" + frame.ErrorCode + "), expected GOAWAY(" + Codes(codes) + ")");
                }

                await ExpectConnectionCloseAsync();
                return;
            }
        }
    }

    /// <summary>A stream error (RST_STREAM) or a connection error (GOAWAY) with one of <paramref name="codes"/>.</summary>
    public async Task ExpectStreamErrorAsync(params uint[] codes)
    {
        while (true)
        {
            var frame = await NextAsync() ?? throw Failure("the connection closed without RST_STREAM or GOAWAY(" + Codes(codes) + ")");
            if (frame.Type is RawFrame.RstStream or RawFrame.GoAway)
            {
                if (!codes.Contains(frame.ErrorCode))
                {
                    throw Failure(frame + " with code " + frame.ErrorCode + ", expected " + Codes(codes));
                }

                return;
            }
        }
    }

    /// <summary>The server closes the connection (a GOAWAY before is allowed).</summary>
    public async Task ExpectConnectionCloseAsync()
    {
        while (await NextAsync() is not null)
        {
        }
    }

    /// <summary>A HEADERS frame on <paramref name="streamId"/>: the request was answered.</summary>
    public Task ExpectHeadersAsync(int streamId) => ExpectFrameAsync(f => f.Type == RawFrame.Headers && f.StreamId == streamId, "HEADERS on stream " + streamId);

    /// <summary>A frame that ends a stream (END_STREAM on DATA or HEADERS).</summary>
    public Task ExpectStreamEndAsync() => ExpectFrameAsync(f => f.Type is RawFrame.Data or RawFrame.Headers && f.EndStream, "END_STREAM");

    public Task ExpectFrameAsync(byte type) => ExpectFrameAsync(f => f.Type == type, "a frame of type " + type);

    /// <summary>A PING acknowledging <paramref name="data"/>; a PING acknowledging anything else fails.</summary>
    public async Task ExpectPingAckAsync(byte[] data)
    {
        var ping = await ExpectFrameAsync(f => f.Type == RawFrame.Ping, "PING with ACK");
        if ((ping.Flags & 0x1) == 0 || !ping.Payload.AsSpan().SequenceEqual(data))
        {
            throw Failure("the PING received is not the acknowledgement of ours");
        }
    }

    /// <summary>The first DATA frame that arrives carries exactly <paramref name="length"/> bytes.</summary>
    public async Task ExpectDataLengthAsync(int length)
    {
        var data = await ExpectFrameAsync(f => f.Type == RawFrame.Data, "DATA");
        if (data.Payload.Length != length)
        {
            throw Failure("DATA of " + data.Payload.Length + " bytes, expected " + length);
        }
    }

    public async Task<RawFrame> ExpectFrameAsync(Func<RawFrame, bool> match, string what)
    {
        while (true)
        {
            var frame = await NextAsync() ?? throw Failure("the connection closed before " + what);
            if (match(frame))
            {
                return frame;
            }

            if (frame.Type == RawFrame.GoAway && frame.ErrorCode != NoError)
            {
                throw Failure("GOAWAY(" + frame.ErrorCode + ") before " + what);
            }
        }
    }

    private static byte[] PriorityFields(int dependency, bool exclusive, byte weight) =>
        [.. RawFrameBuilder.UInt32((uint)dependency | (exclusive ? 0x80000000u : 0)), weight];

    private static string Codes(uint[] codes) => string.Join(" or ", codes);

    /// <summary>The next frame; null when the server closed; a failure after <see cref="WaitLimit"/> without any.</summary>
    private async Task<RawFrame?> NextAsync()
    {
        RawFrame? frame;
        try
        {
            frame = await _client.ReadFrameAsync(WaitLimit);
        }
        catch (OperationCanceledException)
        {
            throw Failure("nothing within " + WaitLimit.TotalSeconds + " s");
        }

        if (frame is not null)
        {
            _seen.Add(frame);
        }

        return frame;
    }

    private InvalidOperationException Failure(string what) =>
        new(what + "; frames received: [" + string.Join("; ", _seen) + "]");
}
