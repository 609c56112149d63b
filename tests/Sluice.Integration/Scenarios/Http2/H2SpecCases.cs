using Sluice.TestKit.Hpack;
using static Sluice.Integration.Scenarios.Http2.H2SpecConnection;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// The cases of h2spec (summerwind/h2spec: generic, http2 and hpack sections), written again from RFC 9113 and
/// RFC 7541, each under its h2spec id. A case sends its frames on a fresh connection and states what the server
/// must answer. Where h2spec accepts any close of the connection as a pass, these cases ask for the GOAWAY or
/// RST_STREAM code itself; where the RFCs allow two codes (e.g. §5.1.1's PROTOCOL_ERROR for a reused stream
/// identifier, against §5.1's STREAM_CLOSED), the case says so and accepts both.
/// </summary>
internal static class H2SpecCases
{
    private static readonly byte[] PingData = "h2spec\0\0"u8.ToArray();

    public static IReadOnlyList<(string Id, Func<H2SpecConnection, Task> Run)> All { get; } = Build();

    private static List<(string, Func<H2SpecConnection, Task>)> Build()
    {
        var cases = new List<(string, Func<H2SpecConnection, Task>)>();
        void Add(string id, Func<H2SpecConnection, Task> run) => cases.Add((id, run));

        // generic/1: Starting HTTP/2.
        Add("generic/1/1", async c =>
        {
            await c.SendAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(), Settings());
            await c.ExpectFrameAsync(f => f.Type == RawFrame.Settings && (f.Flags & 0x1) == 0, "SETTINGS without ACK");
        });

        // generic/2: Streams and Multiplexing (RFC 9113 §5.1).
        Add("generic/2/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Priority(1), Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });
        Add("generic/2/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Settings((4, 0)), c.Headers(1, true, c.Common()), WindowUpdate(1, 1));
            await c.ExpectFrameAsync(RawFrame.Data);
        });
        Add("generic/2/3", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Settings((4, 0)), c.Headers(1, true, c.Common()), Priority(1), WindowUpdate(1, 1));
            await c.ExpectFrameAsync(RawFrame.Data);
        });
        Add("generic/2/4", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, c.Common()), RstStream(1, Cancel), Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });
        Add("generic/2/5", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, c.Common()));
            await c.ExpectStreamEndAsync();
            await c.SendAsync(Priority(1), Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });

        // generic/3: Frame Definitions, each frame type used as intended.
        Add("generic/3.1/1", c => PostAndExpectAnswer(c, Data(1, true, "test")));
        Add("generic/3.1/2", c => PostAndExpectAnswer(c, Data(1, false, "test"), Data(1, true, "test")));
        Add("generic/3.1/3", c => PostAndExpectAnswer(c, DataPadded(1, true, "test"u8.ToArray(), "padded"u8.ToArray())));
        Add("generic/3.2/1", c => RequestAndExpectAnswer(c, c.Headers(1, true, c.Common())));
        Add("generic/3.2/2", c => RequestAndExpectAnswer(c, c.HeadersPadded(1, true, c.Common(), "padded"u8.ToArray())));
        Add("generic/3.2/3", c => RequestAndExpectAnswer(c, c.HeadersWithPriority(1, true, c.Common(), 0, false, 255)));
        Add("generic/3.3/1", c => RequestAndExpectAnswer(c, Priority(1, 0, false, 0), c.Headers(1, true, c.Common())));
        Add("generic/3.3/2", c => RequestAndExpectAnswer(c, Priority(1, 0, false, 255), c.Headers(1, true, c.Common())));
        Add("generic/3.3/3", c => RequestAndExpectAnswer(c, Priority(3, 1, false, 0), c.Headers(1, true, c.Common())));
        Add("generic/3.3/4", c => RequestAndExpectAnswer(c, Priority(1, 0, true, 0), c.Headers(1, true, c.Common())));
        Add("generic/3.3/5", c => RequestAndExpectAnswer(c, Priority(3), c.Headers(1, true, c.Common())));
        Add("generic/3.4/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, false, c.Common()), RstStream(1, Cancel), Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });
        Add("generic/3.5/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Settings((1, 4096), (2, 1), (3, 100), (4, 65535), (5, 16384), (6, 100)));
            await c.ExpectFrameAsync(f => f.Type == RawFrame.Settings && (f.Flags & 0x1) != 0, "SETTINGS with ACK");
        });
        Add("generic/3.7/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });
        Add("generic/3.8/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(GoAway(0, NoError, "h2spec"u8.ToArray()));
            await c.ExpectConnectionCloseAsync();
        });
        Add("generic/3.9/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(WindowUpdate(0, 1), Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });
        Add("generic/3.9/2", c => RequestAndExpectAnswer(c, c.Headers(1, true, c.Common()), WindowUpdate(1, 1)));
        Add("generic/3.10/1", c => RequestAndExpectAnswer(c,
            c.Headers(1, true, false, c.Encode(c.Common())), Continuation(1, true, c.Encode(DummyFields(1)))));
        Add("generic/3.10/2", c => RequestAndExpectAnswer(c,
            c.Headers(1, true, false, c.Encode(c.Common())), Continuation(1, false, c.Encode(DummyFields(1))), Continuation(1, true, c.Encode(DummyFields(1)))));

        // generic/4: HTTP Message Exchanges.
        Add("generic/4/1", c => RequestAndExpectAnswer(c, c.Headers(1, true, c.Common())));
        Add("generic/4/2", c => RequestAndExpectAnswer(c, c.Headers(1, true, c.Common("HEAD"))));
        Add("generic/4/3", c => PostAndExpectAnswer(c, Data(1, true, "test")));
        Add("generic/4/4", c => RequestAndExpectAnswer(c,
            c.Headers(1, false, [.. c.Common("POST"), new("trailer", "x-test")]), Data(1, false, "test"), c.Headers(1, true, [new("x-test", "ok")])));

        // generic/5: HPACK representations (RFC 7541 §6), appended to the common request.
        AddRepresentation(cases, "generic/5/1", [0xBA]);
        AddRepresentation(cases, "generic/5/2", Literal(0x40, 6, 58, null, "h2spec", huffman: false));
        AddRepresentation(cases, "generic/5/3", Literal(0x40, 6, 58, null, "h2spec", huffman: true));
        AddRepresentation(cases, "generic/5/4", Literal(0x40, 6, 0, "x-test", "h2spec", huffman: false));
        AddRepresentation(cases, "generic/5/5", Literal(0x40, 6, 0, "x-test", "h2spec", huffman: true));
        AddRepresentation(cases, "generic/5/6", Literal(0x00, 4, 58, null, "h2spec", huffman: false));
        AddRepresentation(cases, "generic/5/7", Literal(0x00, 4, 58, null, "h2spec", huffman: true));
        AddRepresentation(cases, "generic/5/8", Literal(0x00, 4, 0, "x-test", "h2spec", huffman: false));
        AddRepresentation(cases, "generic/5/9", Literal(0x00, 4, 0, "x-test", "h2spec", huffman: true));
        AddRepresentation(cases, "generic/5/10", Literal(0x10, 4, 58, null, "h2spec", huffman: false));
        AddRepresentation(cases, "generic/5/11", Literal(0x10, 4, 58, null, "h2spec", huffman: true));
        AddRepresentation(cases, "generic/5/12", Literal(0x10, 4, 0, "x-test", "h2spec", huffman: false));
        AddRepresentation(cases, "generic/5/13", Literal(0x10, 4, 0, "x-test", "h2spec", huffman: true));
        Add("generic/5/14", c => RequestAndExpectAnswer(c, c.Headers(1, true, true, [0x20, .. c.Encode(c.Common())])));
        Add("generic/5/15", c => RequestAndExpectAnswer(c, c.Headers(1, true, true, [0x20, 0x3F, 0xE1, 0x1F, .. c.Encode(c.Common())])));

        // http2/3.5: HTTP/2 Connection Preface.
        Add("http2/3.5/1", async c =>
        {
            await c.SendAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(), Settings((4, 65535)));
            await c.ExpectFrameAsync(f => f.Type == RawFrame.Settings && (f.Flags & 0x1) == 0, "SETTINGS without ACK");
        });
        Add("http2/3.5/2", async c =>
        {
            await c.SendAsync("INVALID CONNECTION PREFACE\r\n\r\n"u8.ToArray());
            await c.ExpectConnectionCloseAsync();
        });

        // http2/4.1: Frame Format.
        Add("http2/4.1/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Hex("000008 16 00 00000000 0000000000000000"), Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });
        Add("http2/4.1/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Hex("000008 06 16 00000000 0000000000000000"));
            await c.ExpectFrameAsync(RawFrame.Ping);
        });
        Add("http2/4.1/3", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Hex("000008 06 16 80000000 0000000000000000"));
            await c.ExpectFrameAsync(RawFrame.Ping);
        });

        // http2/4.2: Frame Size.
        Add("http2/4.2/1", c => PostAndExpectAnswer(c, Data(1, true, new byte[16384])));
        Add("http2/4.2/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, false, c.Common("POST")), Data(1, true, new byte[16385]));
            await c.ExpectStreamErrorAsync(FrameSizeError);
        });
        Add("http2/4.2/3", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, [.. c.Common(), .. DummyFields(5)]));
            await c.ExpectConnectionErrorAsync(FrameSizeError);
        });

        // http2/4.3: Header Compression and Decompression.
        Add("http2/4.3/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Hex("000001 01 05 00000001 40"));
            await c.ExpectConnectionErrorAsync(CompressionError);
        });
        Add("http2/4.3/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, false, false, c.Encode(c.Common())), Priority(1), Continuation(1, true, c.Encode(DummyFields(1))));
            await c.ExpectConnectionErrorAsync(ProtocolError);
        });
        Add("http2/4.3/3", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, false, false, c.Encode(c.Common())), c.Headers(3, true, c.Common()), Continuation(1, true, c.Encode(DummyFields(1))));
            await c.ExpectConnectionErrorAsync(ProtocolError);
        });

        // http2/5.1: Stream States.
        Add("http2/5.1/1", c => ConnectionErrorAfter(c, ProtocolError, Data(1, true, "test")));
        Add("http2/5.1/2", c => ConnectionErrorAfter(c, ProtocolError, RstStream(1, Cancel)));
        Add("http2/5.1/3", c => ConnectionErrorAfter(c, ProtocolError, WindowUpdate(1, 100)));
        Add("http2/5.1/4", c => ConnectionErrorAfter(c, ProtocolError, Continuation(1, true, c.Encode(c.Common()))));
        Add("http2/5.1/5", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, c.Common()), Data(1, true, "test"));
            await c.ExpectStreamErrorAsync(StreamClosed);
        });

        // §5.1.1 makes a HEADERS on a stream whose identifier is not new a connection error PROTOCOL_ERROR too.
        Add("http2/5.1/6", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, c.Common()), c.Headers(1, true, c.Common()));
            await c.ExpectStreamErrorAsync(StreamClosed, ProtocolError);
        });
        Add("http2/5.1/7", async c =>
        {
            await c.HandshakeAsync();
            var block = c.Encode(c.Common());
            await c.SendAsync(c.Headers(1, true, true, block), Continuation(1, true, block));
            await c.ExpectStreamErrorAsync(StreamClosed, ProtocolError);
        });
        Add("http2/5.1/8", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, false, c.Common()), RstStream(1, Cancel), Data(1, true, "test"));
            await c.ExpectStreamErrorAsync(StreamClosed);
        });
        Add("http2/5.1/9", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, false, c.Common()), RstStream(1, Cancel), c.Headers(1, true, c.Common()));
            await c.ExpectStreamErrorAsync(StreamClosed, ProtocolError);
        });
        Add("http2/5.1/10", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, false, c.Common()), RstStream(1, Cancel), Continuation(1, true, c.Encode(DummyFields(1))));
            await c.ExpectStreamErrorAsync(StreamClosed, ProtocolError);
        });
        Add("http2/5.1/11", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, c.Common()));
            await c.ExpectStreamEndAsync();
            await c.SendAsync(Data(1, true, "test"));
            await c.ExpectConnectionErrorAsync(StreamClosed);
        });
        Add("http2/5.1/12", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, c.Common()));
            await c.ExpectStreamEndAsync();
            await c.SendAsync(c.Headers(1, true, c.Common()));
            await c.ExpectConnectionErrorAsync(StreamClosed, ProtocolError);
        });
        Add("http2/5.1/13", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, c.Common()));
            await c.ExpectStreamEndAsync();
            await c.SendAsync(Continuation(1, true, c.Encode(DummyFields(1))));
            await c.ExpectConnectionErrorAsync(StreamClosed, ProtocolError);
        });

        // http2/5.1.1: Stream Identifiers.
        Add("http2/5.1.1/1", c => ConnectionErrorAfter(c, ProtocolError, c.Headers(2, true, c.Common())));
        Add("http2/5.1.1/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(5, true, c.Common()), c.Headers(3, true, c.Common()));
            await c.ExpectConnectionErrorAsync(ProtocolError);
        });
        Add("http2/5.1.1/3", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(5, true, c.Common()), c.Headers(5, true, c.Common()));
            await c.ExpectStreamErrorAsync(StreamClosed, ProtocolError);
        });

        // http2/5.1.2: Stream Concurrency. The server must advertise its limit for this case to mean anything.
        Add("http2/5.1.2/1", async c =>
        {
            await c.HandshakeAsync();
            var limit = c.MaxConcurrentStreams ?? throw new InvalidOperationException("no SETTINGS_MAX_CONCURRENT_STREAMS advertised");
            var frames = new List<byte[]> { Settings((4, 0)) };
            var block = c.Encode(c.Common());
            for (var i = 0; i <= limit; i++)
            {
                frames.Add(c.Headers((2 * i) + 1, true, true, block));
            }

            await c.SendAsync([.. frames]);
            await c.ExpectStreamErrorAsync(ProtocolError, RefusedStream);
        });

        // http2/5.3.1: Stream Dependencies.
        Add("http2/5.3.1/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.HeadersWithPriority(1, true, c.Common(), 1, false, 255));
            await c.ExpectStreamErrorAsync(ProtocolError);
        });
        Add("http2/5.3.1/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Priority(1, 1));
            await c.ExpectStreamErrorAsync(ProtocolError);
        });

        // http2/5.4.1: Connection Error Handling.
        Add("http2/5.4.1/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Hex("000008 06 00 00000003 0000000000000000"));
            await c.ExpectConnectionCloseAsync();
        });
        Add("http2/5.4.1/2", c => ConnectionErrorAfter(c, ProtocolError, Hex("000008 06 00 00000003 0000000000000000")));

        // http2/5.5: Extending HTTP/2.
        Add("http2/5.5/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Hex("000008 16 00 00000000 0000000000000000"), Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });
        Add("http2/5.5/2", c => ConnectionErrorAfter(c, ProtocolError,
            c.Headers(1, true, false, c.Encode(c.Common())), Hex("000008 16 00 00000000 0000000000000000")));

        // http2/6.1: DATA.
        Add("http2/6.1/1", c => ConnectionErrorAfter(c, ProtocolError, Data(0, true, "test")));
        Add("http2/6.1/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, c.Common("POST")), Data(1, true, "test"));
            await c.ExpectStreamErrorAsync(StreamClosed);
        });
        Add("http2/6.1/3", c => ConnectionErrorAfter(c, ProtocolError,
            c.Headers(1, false, [.. c.Common("POST"), new("content-length", "4")]), Hex("000005 00 09 00000001 06 54657374")));

        // http2/6.2: HEADERS.
        Add("http2/6.2/1", c => ConnectionErrorAfter(c, ProtocolError,
            c.Headers(1, false, false, c.Encode(c.Common())), Priority(1), Continuation(1, true, c.Encode(DummyFields(1)))));
        Add("http2/6.2/2", c => ConnectionErrorAfter(c, ProtocolError,
            c.Headers(1, false, false, c.Encode(c.Common())), c.Headers(3, true, c.Common()), Continuation(1, true, c.Encode(DummyFields(1)))));
        Add("http2/6.2/3", c => ConnectionErrorAfter(c, ProtocolError, c.Headers(0, true, c.Common())));
        Add("http2/6.2/4", async c =>
        {
            await c.HandshakeAsync();
            var block = c.Encode(c.Common());
            await c.SendAsync(Sluice.TestKit.Http2.RawFrameBuilder.Frame(RawFrame.Headers, 0x0D, 1, [(byte)(block.Length + 2), .. block]));
            await c.ExpectStreamErrorAsync(ProtocolError);
        });

        // http2/6.3: PRIORITY.
        Add("http2/6.3/1", c => ConnectionErrorAfter(c, ProtocolError, Priority(0)));
        Add("http2/6.3/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, c.Common()), Hex("000004 02 00 00000001 80000001"));
            await c.ExpectStreamErrorAsync(FrameSizeError);
        });
        Add("http2/6.3/3", c => RequestAndExpectAnswer(c, Priority(3), c.Headers(1, true, c.Common())));

        // http2/6.4: RST_STREAM.
        Add("http2/6.4/1", c => ConnectionErrorAfter(c, ProtocolError, RstStream(0, Cancel)));
        Add("http2/6.4/2", c => ConnectionErrorAfter(c, ProtocolError, RstStream(1, Cancel)));
        Add("http2/6.4/3", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, true, c.Common()), Hex("000003 03 00 00000001 000000"));
            await c.ExpectStreamErrorAsync(FrameSizeError);
        });

        // http2/6.5: SETTINGS. In 6.5/3 the length says 9 and 8 bytes follow: the length alone is the error.
        Add("http2/6.5/1", c => ConnectionErrorAfter(c, FrameSizeError, Hex("000001 04 01 00000000 00")));
        Add("http2/6.5/2", c => ConnectionErrorAfter(c, ProtocolError, Hex("000006 04 00 00000001 000300000064")));
        Add("http2/6.5/3", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Hex("000009 04 00 00000000 0003000000640002"));
            await c.ExpectStreamErrorAsync(ProtocolError, FrameSizeError);
        });

        // http2/6.5.2: Defined SETTINGS Parameters.
        Add("http2/6.5.2/1", c => ConnectionErrorAfter(c, ProtocolError, Settings((2, 2))));
        Add("http2/6.5.2/2", c => ConnectionErrorAfter(c, FlowControlError, Settings((4, 2147483648))));
        Add("http2/6.5.2/3", c => ConnectionErrorAfter(c, ProtocolError, Settings((5, 16383))));
        Add("http2/6.5.2/4", c => ConnectionErrorAfter(c, ProtocolError, Settings((5, 16777216))));
        Add("http2/6.5.2/5", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Settings((0xFF, 1)), Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });

        // http2/6.5.3: Settings Synchronization.
        Add("http2/6.5.3/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Settings((4, 100), (4, 1)));
            await c.ExpectFrameAsync(RawFrame.Settings);
            await c.SendAsync(c.Headers(1, true, c.Common()));
            await c.ExpectDataLengthAsync(1);
        });
        Add("http2/6.5.3/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Settings((2, 0)));
            await c.ExpectFrameAsync(f => f.Type == RawFrame.Settings && (f.Flags & 0x1) != 0, "SETTINGS with ACK");
        });

        // http2/6.7: PING.
        Add("http2/6.7/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });
        Add("http2/6.7/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Ping(true, "invalid\0"u8.ToArray()), Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });
        Add("http2/6.7/3", c => ConnectionErrorAfter(c, ProtocolError, Hex("000008 06 00 00000001 0000000000000000")));

        // A PING of 6 bytes on stream 1: both §6.7 rules are broken, either code is right.
        Add("http2/6.7/4", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Hex("000006 06 00 00000001 000000000000"));
            await c.ExpectConnectionErrorAsync(ProtocolError, FrameSizeError);
        });

        // http2/6.8: GOAWAY.
        Add("http2/6.8/1", c => ConnectionErrorAfter(c, ProtocolError, Hex("000008 07 00 00000001 0000000000000000")));

        // http2/6.9: WINDOW_UPDATE.
        Add("http2/6.9/1", c => ConnectionErrorAfter(c, ProtocolError, WindowUpdate(0, 0)));
        Add("http2/6.9/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, false, c.Common()), WindowUpdate(1, 0));
            await c.ExpectStreamErrorAsync(ProtocolError);
        });
        Add("http2/6.9/3", c => ConnectionErrorAfter(c, FrameSizeError, Hex("000003 08 00 00000000 000001")));

        // http2/6.9.1: The Flow-Control Window.
        Add("http2/6.9.1/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Settings((4, 1)));
            await c.ExpectFrameAsync(RawFrame.Settings);
            await c.SendAsync(c.Headers(1, true, c.Common()));
            await c.ExpectDataLengthAsync(1);
        });
        Add("http2/6.9.1/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(WindowUpdate(0, 2147483647), WindowUpdate(0, 2147483647));
            await c.ExpectConnectionErrorAsync(FlowControlError);
        });
        Add("http2/6.9.1/3", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, false, c.Common()), WindowUpdate(1, 2147483647), WindowUpdate(1, 2147483647));
            var reset = await c.ExpectFrameAsync(f => f.Type == RawFrame.RstStream, "RST_STREAM");
            if (reset.StreamId != 1 || reset.ErrorCode != FlowControlError)
            {
                throw new InvalidOperationException("expected RST_STREAM(FLOW_CONTROL_ERROR) on stream 1, got " + reset + " code " + reset.ErrorCode);
            }
        });

        // http2/6.9.2: Initial Flow-Control Window Size.
        Add("http2/6.9.2/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Settings((4, 0)));
            await c.ExpectFrameAsync(RawFrame.Settings);
            await c.SendAsync(c.Headers(1, true, c.Common()), Settings((4, 1)));
            await c.ExpectFrameAsync(RawFrame.Settings);
            await c.ExpectDataLengthAsync(1);
        });
        Add("http2/6.9.2/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(Settings((4, 3)));
            await c.ExpectFrameAsync(RawFrame.Settings);
            await c.SendAsync(c.Headers(1, true, c.Common()));
            await c.ExpectFrameAsync(RawFrame.Data);

            // The window goes from 0 to -1, then to 1: exactly one more byte may leave.
            await c.SendAsync(Settings((4, 2)));
            await c.ExpectFrameAsync(RawFrame.Settings);
            await c.SendAsync(WindowUpdate(1, 2));
            await c.ExpectDataLengthAsync(1);
        });
        Add("http2/6.9.2/3", c => ConnectionErrorAfter(c, FlowControlError, Hex("000006 04 00 00000000 000480000000")));

        // http2/6.10: CONTINUATION.
        Add("http2/6.10/1", c => RequestAndExpectAnswer(c,
            c.Headers(1, true, false, c.Encode(c.Common())), Continuation(1, false, c.Encode(DummyFields(1))), Continuation(1, true, c.Encode(DummyFields(1)))));
        Add("http2/6.10/2", c => ConnectionErrorAfter(c, ProtocolError,
            c.Headers(1, false, false, c.Encode(c.Common("POST"))), Continuation(1, false, c.Encode(DummyFields(1))), Data(1, true, "test")));
        Add("http2/6.10/3", c => ConnectionErrorAfter(c, ProtocolError,
            c.Headers(1, true, false, c.Encode(c.Common())), Continuation(0, true, c.Encode(DummyFields(1)))));
        Add("http2/6.10/4", c => ConnectionErrorAfter(c, ProtocolError,
            c.Headers(1, true, c.Common()), Continuation(1, true, c.Encode(DummyFields(1)))));
        Add("http2/6.10/5", c => ConnectionErrorAfter(c, ProtocolError,
            c.Headers(1, true, false, c.Encode(c.Common())), Continuation(1, true, c.Encode(DummyFields(1))), Continuation(1, true, c.Encode(DummyFields(1)))));
        Add("http2/6.10/6", c => ConnectionErrorAfter(c, ProtocolError,
            c.Headers(1, false, false, c.Encode(c.Common("POST"))), Data(1, true, "test"), Continuation(1, false, c.Encode(DummyFields(1))), Continuation(0, true, c.Encode(DummyFields(1)))));

        // http2/7: Error Codes. An unknown code means nothing special: GOAWAY ends the connection as any GOAWAY.
        Add("http2/7/1", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(GoAway(0, 0xFF, []));
            await c.ExpectConnectionCloseAsync();
        });
        Add("http2/7/2", async c =>
        {
            await c.HandshakeAsync();
            await c.SendAsync(c.Headers(1, false, c.Common("POST")), RstStream(1, 0xFF), Ping(false, PingData));
            await c.ExpectPingAckAsync(PingData);
        });

        // http2/8.1: HTTP Request/Response Exchange.
        Add("http2/8.1/1", c => StreamErrorAfter(c, ProtocolError,
            c.Headers(1, false, c.Common("POST")), Data(1, false, "test"), c.Headers(1, false, [new("x-test", "ok")])));

        // http2/8.1.2: HTTP Header Fields.
        Add("http2/8.1.2/1", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, [.. c.Common(), new("X-TEST", "ok")])));
        Add("http2/8.1.2.1/1", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, [.. c.Common(), new(":test", "ok")])));
        Add("http2/8.1.2.1/2", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, [.. c.Common(), new(":status", "200")])));
        Add("http2/8.1.2.1/3", c => StreamErrorAfter(c, ProtocolError,
            c.Headers(1, false, c.Common("POST")), Data(1, false, "test"), c.Headers(1, true, [new(":method", "POST")])));
        Add("http2/8.1.2.1/4", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, [new("x-test", "ok"), .. c.Common()])));
        Add("http2/8.1.2.2/1", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, [.. c.Common(), new("connection", "keep-alive")])));
        Add("http2/8.1.2.2/2", c => StreamErrorAfter(c, ProtocolError,
            c.Headers(1, true, [.. c.Common(), new("trailers", "test"), new("te", "trailers, deflate")])));
        Add("http2/8.1.2.3/1", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, Replace(c.Common(), ":path", ""))));
        Add("http2/8.1.2.3/2", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, Without(c.Common(), ":method"))));
        Add("http2/8.1.2.3/3", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, Without(c.Common(), ":scheme"))));
        Add("http2/8.1.2.3/4", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, Without(c.Common(), ":path"))));
        Add("http2/8.1.2.3/5", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, [.. c.Common(), new(":method", "GET")])));
        Add("http2/8.1.2.3/6", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, [.. c.Common(), new(":scheme", c.Scheme)])));
        Add("http2/8.1.2.3/7", c => StreamErrorAfter(c, ProtocolError, c.Headers(1, true, [.. c.Common(), new(":path", "/")])));
        Add("http2/8.1.2.6/1", c => StreamErrorAfter(c, ProtocolError,
            c.Headers(1, false, [.. c.Common("POST"), new("content-length", "1")]), Data(1, true, "test")));
        Add("http2/8.1.2.6/2", c => StreamErrorAfter(c, ProtocolError,
            c.Headers(1, false, [.. c.Common("POST"), new("content-length", "1")]), Data(1, false, "test"), Data(1, true, "test")));

        // http2/8.2: Server Push. A client cannot push.
        Add("http2/8.2/1", c => ConnectionErrorAfter(c, ProtocolError,
            Sluice.TestKit.Http2.RawFrameBuilder.Frame(0x5, 0x4, 1, [.. Sluice.TestKit.Http2.RawFrameBuilder.UInt32(3), .. c.Encode(c.Common())])));

        // hpack: decoding errors are connection errors COMPRESSION_ERROR (RFC 9113 §4.3).
        Add("hpack/2.3.3/1", c => ConnectionErrorAfter(c, CompressionError, c.Headers(1, true, true, [.. c.Encode(c.Common()), 0xFE])));
        Add("hpack/4.2/1", c => ConnectionErrorAfter(c, CompressionError, c.Headers(1, true, true, [.. c.Encode(c.Common()), 0x21])));

        // x-test: "test" without indexing, the value Huffman-coded three ways that RFC 7541 §5.2 forbids.
        Add("hpack/5.2/1", c => ConnectionErrorAfter(c, CompressionError, c.Headers(1, true, true, [.. c.Encode(c.Common()), .. Hex("0085f2b24a84ff84 49509fff")])));
        Add("hpack/5.2/2", c => ConnectionErrorAfter(c, CompressionError, c.Headers(1, true, true, [.. c.Encode(c.Common()), .. Hex("0085f2b24a84ff83 495090")])));
        Add("hpack/5.2/3", c => ConnectionErrorAfter(c, CompressionError, c.Headers(1, true, true, [.. c.Encode(c.Common()), .. Hex("0085f2b24a87ffff fffd25427f")])));
        Add("hpack/6.1/1", c => ConnectionErrorAfter(c, CompressionError, c.Headers(1, true, true, [.. c.Encode(c.Common()), 0x80])));
        Add("hpack/6.3/1", async c =>
        {
            await c.HandshakeAsync();
            var update = new List<byte>();
            SimpleHpackEncoder.WriteInteger(update, (int)c.HeaderTableSize + 1, 5, 0x20);
            await c.SendAsync(c.Headers(1, true, true, [.. update, .. c.Encode(c.Common())]));
            await c.ExpectConnectionErrorAsync(CompressionError);
        });

        return cases;
    }

    private static void AddRepresentation(List<(string, Func<H2SpecConnection, Task>)> cases, string id, byte[] representation) =>
        cases.Add((id, c => RequestAndExpectAnswer(c, c.Headers(1, true, true, [.. c.Encode(c.Common()), .. representation]))));

    /// <summary>A literal field (RFC 7541 §6.2): the pattern and prefix of its kind, a name index or a new name, a value.</summary>
    private static byte[] Literal(byte pattern, int prefix, int nameIndex, string? name, string value, bool huffman)
    {
        var output = new List<byte>();
        SimpleHpackEncoder.WriteInteger(output, nameIndex, prefix, pattern);
        if (name is not null)
        {
            WriteString(output, name, huffman);
        }

        WriteString(output, value, huffman);
        return [.. output];
    }

    private static void WriteString(List<byte> output, string text, bool huffman)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        if (huffman)
        {
            bytes = SimpleHuffman.Encode(bytes);
        }

        SimpleHpackEncoder.WriteInteger(output, bytes.Length, 7, (byte)(huffman ? 0x80 : 0));
        output.AddRange(bytes);
    }

    private static List<TestHeader> Replace(List<TestHeader> fields, string name, string value) =>
        [.. fields.Select(f => f.Name == name ? new TestHeader(name, value) : f)];

    private static List<TestHeader> Without(List<TestHeader> fields, string name) => [.. fields.Where(f => f.Name != name)];

    private static async Task RequestAndExpectAnswer(H2SpecConnection c, params byte[][] frames)
    {
        await c.HandshakeAsync();
        await c.SendAsync(frames);
        await c.ExpectHeadersAsync(1);
    }

    private static Task PostAndExpectAnswer(H2SpecConnection c, params byte[][] data) =>
        RequestAndExpectAnswer(c, [c.Headers(1, false, c.Common("POST")), .. data]);

    private static async Task ConnectionErrorAfter(H2SpecConnection c, uint code, params byte[][] frames)
    {
        await c.HandshakeAsync();
        await c.SendAsync(frames);
        await c.ExpectConnectionErrorAsync(code);
    }

    private static async Task StreamErrorAfter(H2SpecConnection c, uint code, params byte[][] frames)
    {
        await c.HandshakeAsync();
        await c.SendAsync(frames);
        await c.ExpectStreamErrorAsync(code);
    }
}
