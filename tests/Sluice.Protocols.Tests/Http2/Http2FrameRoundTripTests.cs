using System.Buffers;
using Sluice.Protocols.Http2;
using Sluice.TestKit.Http2;

namespace Sluice.Protocols.Tests.Http2;

/// <summary>Writer → reader round trips for every frame type; reads split at every offset and byte by byte.</summary>
public class Http2FrameRoundTripTests
{
    private const int MaxFrameSize = 16384;

    private static readonly byte[] Fragment = [0x82, 0x86, 0x84, 0x41, 0x0f];

    /// <summary>Every frame type written by the product writer, and the checks its read-back must pass.</summary>
    public static IEnumerable<(string Name, byte[] Bytes, Action<Http2Frame> Check)> Frames()
    {
        yield return ("DATA", Write((d, out n) => Http2FrameWriter.TryWriteData(d, 1, "hello"u8, endStream: true, out n)), f =>
        {
            Assert.Equal(Http2FrameType.Data, f.Type);
            Assert.Equal(1, f.StreamId);
            Assert.True(f.EndStream);
            Assert.Equal("hello"u8.ToArray(), f.Content.ToArray());
        });
        yield return ("DATA padded", Write((d, out n) => Http2FrameWriter.TryWriteData(d, 3, "abc"u8, endStream: false, padLength: 7, out n)), f =>
        {
            Assert.Equal(Http2FrameFlags.Padded, f.Flags);
            Assert.Equal(7, f.PadLength);
            Assert.Equal(11, f.PayloadLength);
            Assert.Equal("abc"u8.ToArray(), f.Content.ToArray());
            Assert.False(f.EndStream);
        });
        yield return ("HEADERS", Write((d, out n) => Http2FrameWriter.TryWriteHeaders(d, 5, Fragment, endStream: false, endHeaders: true, out n)), f =>
        {
            Assert.Equal(Http2FrameType.Headers, f.Type);
            Assert.True(f.EndHeaders);
            Assert.False(f.EndStream);
            Assert.Null(f.Priority);
            Assert.Equal(Fragment, f.Content.ToArray());
        });
        yield return ("HEADERS priority padded", Write((d, out n) => Http2FrameWriter.TryWriteHeaders(d, 7, Fragment, true, false, new Http2Priority(3, true, 200), 4, out n)), f =>
        {
            Assert.Equal(Http2FrameFlags.EndStream | Http2FrameFlags.Padded | Http2FrameFlags.Priority, f.Flags);
            Assert.Equal(new Http2Priority(3, true, 200), f.Priority);
            Assert.Equal(4, f.PadLength);
            Assert.Equal(Fragment, f.Content.ToArray());
        });
        yield return ("PRIORITY", Write((d, out n) => Http2FrameWriter.TryWritePriority(d, 9, new Http2Priority(0x7FFF_FFFF, false, 15), out n)), f =>
        {
            Assert.Equal(Http2FrameType.Priority, f.Type);
            Assert.Equal(new Http2Priority(0x7FFF_FFFF, false, 15), f.Priority);
        });
        yield return ("RST_STREAM", Write((d, out n) => Http2FrameWriter.TryWriteRstStream(d, 11, Http2ErrorCode.Cancel, out n)), f =>
        {
            Assert.Equal(Http2FrameType.RstStream, f.Type);
            Assert.Equal(11, f.StreamId);
            Assert.Equal(Http2ErrorCode.Cancel, f.ErrorCode);
        });
        yield return ("SETTINGS", Write((d, out n) => Http2FrameWriter.TryWriteSettings(d, [new(Http2SettingsParameter.HeaderTableSize, 0), new(Http2SettingsParameter.MaxConcurrentStreams, 100), new(Http2SettingsParameter.InitialWindowSize, 0x7FFF_FFFF), new(Http2SettingsParameter.MaxFrameSize, 16777215)], out n)), f =>
        {
            Assert.Equal(Http2FrameType.Settings, f.Type);
            Assert.False(f.IsAck);
            Assert.Equal(4, f.SettingsCount);
            Assert.Equal((Http2SettingsParameter.HeaderTableSize, 0u), f.GetSetting(0));
            Assert.Equal((Http2SettingsParameter.MaxConcurrentStreams, 100u), f.GetSetting(1));
            Assert.Equal((Http2SettingsParameter.InitialWindowSize, 0x7FFF_FFFFu), f.GetSetting(2));
            Assert.Equal((Http2SettingsParameter.MaxFrameSize, 16777215u), f.GetSetting(3));
        });
        yield return ("SETTINGS ACK", Write(Http2FrameWriter.TryWriteSettingsAck), f =>
        {
            Assert.True(f.IsAck);
            Assert.Equal(0, f.SettingsCount);
        });
        yield return ("PUSH_PROMISE", Write((d, out n) => Http2FrameWriter.TryWritePushPromise(d, 1, 2, Fragment, endHeaders: true, padLength: 3, out n)), f =>
        {
            Assert.Equal(Http2FrameType.PushPromise, f.Type);
            Assert.Equal(2, f.PromisedStreamId);
            Assert.Equal(3, f.PadLength);
            Assert.True(f.EndHeaders);
            Assert.Equal(Fragment, f.Content.ToArray());
        });
        yield return ("PING", Write((d, out n) => Http2FrameWriter.TryWritePing(d, 0x0102030405060708, ack: true, out n)), f =>
        {
            Assert.Equal(Http2FrameType.Ping, f.Type);
            Assert.True(f.IsAck);
            Assert.Equal(0x0102030405060708UL, f.PingData);
        });
        yield return ("GOAWAY", Write((d, out n) => Http2FrameWriter.TryWriteGoAway(d, 41, Http2ErrorCode.EnhanceYourCalm, "calm down"u8, out n)), f =>
        {
            Assert.Equal(Http2FrameType.GoAway, f.Type);
            Assert.Equal(41, f.LastStreamId);
            Assert.Equal(Http2ErrorCode.EnhanceYourCalm, f.ErrorCode);
            Assert.Equal("calm down"u8.ToArray(), f.DebugData.ToArray());
        });
        yield return ("WINDOW_UPDATE", Write((d, out n) => Http2FrameWriter.TryWriteWindowUpdate(d, 0, 0x7FFF_FFFF, out n)), f =>
        {
            Assert.Equal(Http2FrameType.WindowUpdate, f.Type);
            Assert.Equal(0x7FFF_FFFF, f.WindowSizeIncrement);
        });
        yield return ("CONTINUATION", Write((d, out n) => Http2FrameWriter.TryWriteContinuation(d, 13, Fragment, endHeaders: true, out n)), f =>
        {
            Assert.Equal(Http2FrameType.Continuation, f.Type);
            Assert.True(f.EndHeaders);
            Assert.Equal(Fragment, f.Content.ToArray());
        });
    }

    public static TheoryData<string> FrameNames()
    {
        var data = new TheoryData<string>();
        foreach ((string name, _, _) in Frames())
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FrameNames))]
    public void Write_ThenRead_FieldsRoundTrip(string name)
    {
        (_, byte[] bytes, Action<Http2Frame> check) = Frames().Single(f => f.Name == name);
        var buffer = new ReadOnlySequence<byte>(bytes);
        var frame = new Http2Frame();
        Assert.True(Http2FrameReader.TryReadFrame(ref buffer, frame, MaxFrameSize, out Http2FrameError error));
        Assert.False(error.IsError);
        Assert.Equal(0, buffer.Length);
        check(frame);
    }

    [Theory]
    [MemberData(nameof(FrameNames))]
    public void Write_DestinationOneOctetShort_ReturnsFalse(string name)
    {
        (_, byte[] bytes, _) = Frames().Single(f => f.Name == name);
        TryWriter writer = Writers[name];
        Assert.False(writer(new byte[bytes.Length - 1], out _));
        Assert.True(writer(new byte[bytes.Length], out int written));
        Assert.Equal(bytes.Length, written);
    }

    [Fact]
    public void Read_AllFramesSplitAtEveryOffset_SameFrames()
    {
        var frames = Frames().ToList();
        byte[] stream = RawFrameBuilder.Concat([.. frames.Select(f => f.Bytes)]);
        for (int cut = 0; cut <= stream.Length; cut++)
        {
            ReadOnlySequence<byte> buffer = Http2Segments.SplitAt(stream, cut);
            ReadAll(ref buffer, frames);
        }
    }

    [Fact]
    public void Read_AllFramesOneSegmentPerByte_SameFrames()
    {
        var frames = Frames().ToList();
        ReadOnlySequence<byte> buffer = Http2Segments.ByteByByte(RawFrameBuilder.Concat([.. frames.Select(f => f.Bytes)]));
        ReadAll(ref buffer, frames);
    }

    [Fact]
    public void Read_InputArrivingOneByteAtATime_FalseUntilEachFrameCompletes()
    {
        var frames = Frames().ToList();
        byte[] stream = RawFrameBuilder.Concat([.. frames.Select(f => f.Bytes)]);
        var frame = new Http2Frame();
        int consumed = 0;
        int next = 0;
        for (int available = 0; available <= stream.Length; available++)
        {
            var buffer = new ReadOnlySequence<byte>(stream, consumed, available - consumed);
            if (Http2FrameReader.TryReadFrame(ref buffer, frame, MaxFrameSize, out Http2FrameError error))
            {
                Assert.False(error.IsError);
                consumed += frames[next].Bytes.Length;
                Assert.Equal(consumed, available);
                frames[next++].Check(frame);
            }
        }

        Assert.Equal(frames.Count, next);
    }

    [Fact]
    public void WriteToBufferWriter_EveryType_SameBytesAsSpanWriters()
    {
        var writer = new ArrayBufferWriter<byte>();
        Http2FrameWriter.WriteData(writer, 1, "hello"u8, endStream: true);
        Http2FrameWriter.WriteHeaders(writer, 5, Fragment, endStream: false, endHeaders: true);
        Http2FrameWriter.WritePriority(writer, 9, new Http2Priority(0x7FFF_FFFF, false, 15));
        Http2FrameWriter.WriteRstStream(writer, 11, Http2ErrorCode.Cancel);
        Http2FrameWriter.WriteSettings(writer, [new(Http2SettingsParameter.HeaderTableSize, 0), new(Http2SettingsParameter.MaxConcurrentStreams, 100), new(Http2SettingsParameter.InitialWindowSize, 0x7FFF_FFFF), new(Http2SettingsParameter.MaxFrameSize, 16777215)]);
        Http2FrameWriter.WriteSettingsAck(writer);
        Http2FrameWriter.WritePushPromise(writer, 1, 2, Fragment, endHeaders: true);
        Http2FrameWriter.WritePing(writer, 0x0102030405060708, ack: true);
        Http2FrameWriter.WriteGoAway(writer, 41, Http2ErrorCode.EnhanceYourCalm, "calm down"u8);
        Http2FrameWriter.WriteWindowUpdate(writer, 0, 0x7FFF_FFFF);
        Http2FrameWriter.WriteContinuation(writer, 13, Fragment, endHeaders: true);

        Dictionary<string, byte[]> bytes = Frames().ToDictionary(f => f.Name, f => f.Bytes);
        byte[] pushPromiseUnpadded = Write((d, out n) => Http2FrameWriter.TryWritePushPromise(d, 1, 2, Fragment, true, -1, out n));
        byte[] expected = RawFrameBuilder.Concat(
            bytes["DATA"], bytes["HEADERS"], bytes["PRIORITY"], bytes["RST_STREAM"], bytes["SETTINGS"], bytes["SETTINGS ACK"],
            pushPromiseUnpadded, bytes["PING"], bytes["GOAWAY"], bytes["WINDOW_UPDATE"], bytes["CONTINUATION"]);
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(writer.WrittenSpan));
    }

    [Fact]
    public void Write_FrameHeader_MatchesRawBuilder()
    {
        byte[] expected = RawFrameBuilder.FrameWithLength(0x123456, 0x9, 0x4, 0x7654_3210, []);
        var buffer = new byte[9];
        Assert.True(Http2FrameWriter.TryWriteFrameHeader(buffer, 0x123456, Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 0x7654_3210));
        Assert.Equal(expected, buffer);
    }

    [Fact]
    public void Write_PaddedData_PaddingIsZero()
    {
        var buffer = Enumerable.Repeat((byte)0xEE, 64).ToArray();
        Assert.True(Http2FrameWriter.TryWriteData(buffer, 1, "x"u8, false, 5, out int written));
        Assert.Equal(RawFrameBuilder.Frame(0x0, 0x8, 1, 5, (byte)'x', 0, 0, 0, 0, 0), buffer[..written]);
    }

    private delegate bool TryWriter(Span<byte> destination, out int bytesWritten);

    private static readonly Dictionary<string, TryWriter> Writers = new()
    {
        ["DATA"] = (d, out n) => Http2FrameWriter.TryWriteData(d, 1, "hello"u8, endStream: true, out n),
        ["DATA padded"] = (d, out n) => Http2FrameWriter.TryWriteData(d, 3, "abc"u8, endStream: false, padLength: 7, out n),
        ["HEADERS"] = (d, out n) => Http2FrameWriter.TryWriteHeaders(d, 5, Fragment, endStream: false, endHeaders: true, out n),
        ["HEADERS priority padded"] = (d, out n) => Http2FrameWriter.TryWriteHeaders(d, 7, Fragment, true, false, new Http2Priority(3, true, 200), 4, out n),
        ["PRIORITY"] = (d, out n) => Http2FrameWriter.TryWritePriority(d, 9, new Http2Priority(0x7FFF_FFFF, false, 15), out n),
        ["RST_STREAM"] = (d, out n) => Http2FrameWriter.TryWriteRstStream(d, 11, Http2ErrorCode.Cancel, out n),
        ["SETTINGS"] = (d, out n) => Http2FrameWriter.TryWriteSettings(d, [new(Http2SettingsParameter.HeaderTableSize, 0), new(Http2SettingsParameter.MaxConcurrentStreams, 100), new(Http2SettingsParameter.InitialWindowSize, 0x7FFF_FFFF), new(Http2SettingsParameter.MaxFrameSize, 16777215)], out n),
        ["SETTINGS ACK"] = Http2FrameWriter.TryWriteSettingsAck,
        ["PUSH_PROMISE"] = (d, out n) => Http2FrameWriter.TryWritePushPromise(d, 1, 2, Fragment, endHeaders: true, padLength: 3, out n),
        ["PING"] = (d, out n) => Http2FrameWriter.TryWritePing(d, 0x0102030405060708, ack: true, out n),
        ["GOAWAY"] = (d, out n) => Http2FrameWriter.TryWriteGoAway(d, 41, Http2ErrorCode.EnhanceYourCalm, "calm down"u8, out n),
        ["WINDOW_UPDATE"] = (d, out n) => Http2FrameWriter.TryWriteWindowUpdate(d, 0, 0x7FFF_FFFF, out n),
        ["CONTINUATION"] = (d, out n) => Http2FrameWriter.TryWriteContinuation(d, 13, Fragment, endHeaders: true, out n),
    };

    private static byte[] Write(TryWriter writer)
    {
        var buffer = new byte[256];
        Assert.True(writer(buffer, out int written));
        return buffer[..written];
    }

    private static void ReadAll(ref ReadOnlySequence<byte> buffer, List<(string Name, byte[] Bytes, Action<Http2Frame> Check)> frames)
    {
        var frame = new Http2Frame();
        foreach ((_, _, Action<Http2Frame> check) in frames)
        {
            Assert.True(Http2FrameReader.TryReadFrame(ref buffer, frame, MaxFrameSize, out Http2FrameError error));
            Assert.False(error.IsError);
            check(frame);
        }

        Assert.Equal(0, buffer.Length);
    }
}

public class Http2FrameReaderEmptySegmentTests
{
    [Fact]
    public void Read_PaddedHeadersWithEmptySegmentsEverywhere_SameFrame()
    {
        byte[] bytes = RawFrameBuilder.Frame(0x1, 0x8 | 0x20 | 0x4, 5, 2, 0x80, 0, 0, 3, 9, 0x82, 0x84, 0, 0);
        byte[][] parts = [[], .. bytes.SelectMany(b => new[] { Array.Empty<byte>(), new[] { b } }), []];
        ReadOnlySequence<byte> buffer = Http2Segments.Create(parts);
        var frame = new Http2Frame();
        Assert.True(Http2FrameReader.TryReadFrame(ref buffer, frame, 16384, out Http2FrameError error));
        Assert.False(error.IsError);
        Assert.Equal(2, frame.PadLength);
        Assert.Equal(new Http2Priority(3, true, 9), frame.Priority);
        Assert.Equal(new byte[] { 0x82, 0x84 }, frame.Content.ToArray());
        Assert.Equal(0, buffer.Length);
    }
}
