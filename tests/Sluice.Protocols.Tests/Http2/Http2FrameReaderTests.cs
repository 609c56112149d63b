using System.Buffers;
using Sluice.Protocols.Http2;
using Sluice.TestKit.Http2;
using static Sluice.TestKit.Http2.RawFrameBuilder;

namespace Sluice.Protocols.Tests.Http2;

/// <summary>
/// One test per stateless "MUST … error" rule of RFC 9113 that the frame reader owns, plus the
/// reader's own contract (incomplete input, consumption, ignored bits and types).
/// </summary>
public class Http2FrameReaderTests
{
    private const byte Data = 0x0, Headers = 0x1, Priority = 0x2, RstStream = 0x3, Settings = 0x4, PushPromise = 0x5,
        Ping = 0x6, GoAway = 0x7, WindowUpdate = 0x8, Continuation = 0x9;

    private const byte EndStream = 0x1, Ack = 0x1, EndHeaders = 0x4, Padded = 0x8, PriorityFlag = 0x20;

    private const int MaxFrameSize = 16384;

    // §4.1, §4.2 and the reader contract.
    [Fact]
    public void Read_FewerThanNineOctets_ReturnsFalseNothingConsumed()
    {
        byte[] frame = Frame(Ping, 0, 0, new byte[8]);
        for (int length = 0; length < 9; length++)
        {
            var buffer = new ReadOnlySequence<byte>(frame[..length]);
            Assert.False(Http2FrameReader.TryReadFrame(ref buffer, new Http2Frame(), MaxFrameSize, out Http2FrameError error));
            Assert.False(error.IsError);
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void Read_PayloadIncomplete_ReturnsFalseNothingConsumed()
    {
        byte[] frame = Frame(Ping, 0, 0, new byte[8]);
        var buffer = new ReadOnlySequence<byte>(frame[..16]);
        Assert.False(Http2FrameReader.TryReadFrame(ref buffer, new Http2Frame(), MaxFrameSize, out _));
        Assert.Equal(16, buffer.Length);
    }

    [Fact]
    public void Read_LengthAboveMaxFrameSize_ConnectionErrorFrameSizeBeforePayloadArrives()
    {
        // §4.2: "An endpoint MUST send an error code of FRAME_SIZE_ERROR if a frame exceeds the size
        // defined in SETTINGS_MAX_FRAME_SIZE". Only the 9-octet header is available.
        byte[] header = FrameWithLength(MaxFrameSize + 1, Data, 0, 1, []);
        var buffer = new ReadOnlySequence<byte>(header);
        Assert.True(Http2FrameReader.TryReadFrame(ref buffer, new Http2Frame(), MaxFrameSize, out Http2FrameError error));
        Assert.Equal(Http2FrameError.Connection(Http2ErrorCode.FrameSizeError), error);
    }

    [Theory]
    [InlineData(Settings, 0, 9)]
    [InlineData(Settings, Ack, 1)]
    [InlineData(Ping, 0, 9)]
    [InlineData(RstStream, 0, 5)]
    [InlineData(WindowUpdate, 0, 5)]
    public void Read_ImpossibleLengthOfFixedSizeFrame_ConnectionErrorFrameSizeBeforePayloadArrives(byte type, byte flags, int length)
    {
        // §6.4, §6.5, §6.7, §6.9: the header alone breaks the rule; the rest of the payload may never come.
        byte[] header = FrameWithLength(length, type, flags, type is RstStream ? 1 : 0, []);
        var buffer = new ReadOnlySequence<byte>(header);
        Assert.True(Http2FrameReader.TryReadFrame(ref buffer, new Http2Frame(), MaxFrameSize, out Http2FrameError error));
        Assert.Equal(Http2FrameError.Connection(Http2ErrorCode.FrameSizeError), error);
    }

    [Fact]
    public void Read_LengthEqualToMaxFrameSize_Ok()
    {
        AssertOk(Frame(Data, 0, 1, new byte[MaxFrameSize]));
    }

    [Fact]
    public void Read_TwoFramesInBuffer_FirstReadAndConsumed()
    {
        byte[] both = Concat(Frame(Ping, 0, 0, new byte[8]), Frame(Settings, Ack, 0));
        var buffer = new ReadOnlySequence<byte>(both);
        var frame = new Http2Frame();
        Assert.True(Http2FrameReader.TryReadFrame(ref buffer, frame, MaxFrameSize, out _));
        Assert.Equal(Http2FrameType.Ping, frame.Type);
        Assert.Equal(9, buffer.Length);
        Assert.True(Http2FrameReader.TryReadFrame(ref buffer, frame, MaxFrameSize, out _));
        Assert.Equal(Http2FrameType.Settings, frame.Type);
        Assert.True(frame.IsAck);
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void Read_UnknownFrameType_IgnoredAndConsumed()
    {
        // §4.1: "Implementations MUST ignore and discard frames of unknown types."
        Http2Frame frame = AssertOk(Frame(0xFA, 0xFF, 0, 1, 2, 3));
        Assert.False(frame.IsKnownType);
        Assert.Equal(3, frame.PayloadLength);
    }

    [Fact]
    public void Read_ReservedBitOfStreamId_Ignored()
    {
        // §4.1: the reserved bit "MUST be ignored when receiving".
        Http2Frame frame = AssertOk(FrameWithLength(4, Data, 0, 5, [1, 2, 3, 4], reservedBit: true));
        Assert.Equal(5, frame.StreamId);
    }

    [Fact]
    public void Read_UndefinedFlags_Ignored()
    {
        // §4.1: "Unused flags MUST be ignored on receipt".
        Http2Frame frame = AssertOk(Frame(Ping, 0xFE, 0, new byte[8]));
        Assert.False(frame.IsAck);
    }

    // §6.1 DATA
    [Fact]
    public void Read_DataOnStreamZero_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Data, 0, 0, 1), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_DataPaddingEqualToPayloadLength_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Data, Padded, 1, 3, 0, 0), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_DataPaddedWithoutPadLengthOctet_ConnectionErrorFrameSize() =>
        AssertConnectionError(Frame(Data, Padded, 1), Http2ErrorCode.FrameSizeError);

    [Fact]
    public void Read_DataPaddingFillsRestOfPayload_OkWithEmptyData()
    {
        Http2Frame frame = AssertOk(Frame(Data, Padded | EndStream, 1, 2, 0, 0));
        Assert.Equal(2, frame.PadLength);
        Assert.Equal(0, frame.Content.Length);
        Assert.True(frame.EndStream);
    }

    // §6.2 HEADERS
    [Fact]
    public void Read_HeadersOnStreamZero_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Headers, EndHeaders, 0, 0x82), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_HeadersPaddingExceedsFragment_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Headers, Padded | EndHeaders, 1, 2, 0x82), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_HeadersPaddingExceedsFragmentAfterPriorityFields_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Headers, Padded | PriorityFlag | EndHeaders, 1, 1, 0, 0, 0, 3, 15), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_HeadersPriorityFlagButTooShort_ConnectionErrorFrameSize() =>
        AssertConnectionError(Frame(Headers, PriorityFlag | EndHeaders, 1, 0, 0, 0, 3), Http2ErrorCode.FrameSizeError);

    [Fact]
    public void Read_HeadersDependingOnItself_StreamErrorProtocolFrameStillFilled()
    {
        // §5.3.1: "A stream cannot depend on itself. An endpoint MUST treat this as a stream error of type PROTOCOL_ERROR."
        byte[] bytes = Frame(Headers, PriorityFlag | EndHeaders, 3, 0, 0, 0, 3, 15, 0x82);
        var buffer = new ReadOnlySequence<byte>(bytes);
        var frame = new Http2Frame();
        Assert.True(Http2FrameReader.TryReadFrame(ref buffer, frame, MaxFrameSize, out Http2FrameError error));
        Assert.Equal(Http2FrameError.Stream(Http2ErrorCode.ProtocolError, 3), error);
        Assert.Equal(new byte[] { 0x82 }, frame.Content.ToArray());
        Assert.Equal(0, buffer.Length);
    }

    // §6.3 PRIORITY
    [Fact]
    public void Read_PriorityOnStreamZero_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Priority, 0, 0, 0, 0, 0, 1, 15), Http2ErrorCode.ProtocolError);

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    public void Read_PriorityWithLengthOtherThan5_StreamErrorFrameSize(int length) =>
        AssertStreamError(Frame(Priority, 0, 3, new byte[length]), Http2ErrorCode.FrameSizeError, 3);

    [Fact]
    public void Read_PriorityDependingOnItself_StreamErrorProtocol() =>
        AssertStreamError(Frame(Priority, 0, 3, 0x80, 0, 0, 3, 15), Http2ErrorCode.ProtocolError, 3);

    // §6.4 RST_STREAM
    [Fact]
    public void Read_RstStreamOnStreamZero_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(RstStream, 0, 0, UInt32(8)), Http2ErrorCode.ProtocolError);

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Read_RstStreamWithLengthOtherThan4_ConnectionErrorFrameSize(int length) =>
        AssertConnectionError(Frame(RstStream, 0, 1, new byte[length]), Http2ErrorCode.FrameSizeError);

    // §6.5 SETTINGS
    [Fact]
    public void Read_SettingsOnStream1_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Settings, 0, 1), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_SettingsAckWithPayload_ConnectionErrorFrameSize() =>
        AssertConnectionError(Frame(Settings, Ack, 0, Setting(1, 4096)), Http2ErrorCode.FrameSizeError);

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(7)]
    public void Read_SettingsLengthNotMultipleOf6_ConnectionErrorFrameSize(int length) =>
        AssertConnectionError(Frame(Settings, 0, 0, new byte[length]), Http2ErrorCode.FrameSizeError);

    [Fact]
    public void Read_SettingsEnablePush2_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Settings, 0, 0, Setting(2, 2)), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_SettingsInitialWindowSizeAbove2Pow31Minus1_ConnectionErrorFlowControl() =>
        AssertConnectionError(Frame(Settings, 0, 0, Setting(4, 0x8000_0000)), Http2ErrorCode.FlowControlError);

    [Theory]
    [InlineData(16383u)]
    [InlineData(16777216u)]
    [InlineData(0u)]
    public void Read_SettingsMaxFrameSizeOutOfRange_ConnectionErrorProtocol(uint value) =>
        AssertConnectionError(Frame(Settings, 0, 0, Setting(5, value)), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_SettingsEnableConnectProtocol2_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Settings, 0, 0, Setting(8, 2)), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_SettingsNoRfc7540Priorities2_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Settings, 0, 0, Setting(9, 2)), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_SettingsBoundaryValuesAndUnknownParameter_OkInOrder()
    {
        Http2Frame frame = AssertOk(Frame(Settings, 0, 0, Concat(
            Setting(2, 1), Setting(4, 0x7FFF_FFFF), Setting(5, 16384), Setting(5, 16777215), Setting(0xABCD, 0xFFFF_FFFF), Setting(2, 0))));
        Assert.Equal(6, frame.SettingsCount);
        Assert.Equal((Http2SettingsParameter.InitialWindowSize, 0x7FFF_FFFFu), frame.GetSetting(1));
        Assert.Equal(((Http2SettingsParameter)0xABCD, 0xFFFF_FFFFu), frame.GetSetting(4));
    }

    // §6.6 PUSH_PROMISE
    [Fact]
    public void Read_PushPromiseOnStreamZero_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(PushPromise, EndHeaders, 0, UInt32(2)), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_PushPromisePaddingExceedsFragment_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(PushPromise, Padded | EndHeaders, 1, [2, .. UInt32(2), 0x82]), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_PushPromiseTooShortForPromisedId_ConnectionErrorFrameSize() =>
        AssertConnectionError(Frame(PushPromise, EndHeaders, 1, 0, 0, 2), Http2ErrorCode.FrameSizeError);

    // §6.7 PING
    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(9)]
    public void Read_PingWithLengthOtherThan8_ConnectionErrorFrameSize(int length) =>
        AssertConnectionError(Frame(Ping, 0, 0, new byte[length]), Http2ErrorCode.FrameSizeError);

    [Fact]
    public void Read_PingWithLength7_ConnectionErrorFrameSize() =>
        AssertConnectionError(Frame(Ping, 0, 0, new byte[7]), Http2ErrorCode.FrameSizeError);

    [Fact]
    public void Read_PingOnStream1_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Ping, 0, 1, new byte[8]), Http2ErrorCode.ProtocolError);

    // §6.8 GOAWAY
    [Fact]
    public void Read_GoAwayOnStream1_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(GoAway, 0, 1, new byte[8]), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_GoAwayWithLength7_ConnectionErrorFrameSize() =>
        AssertConnectionError(Frame(GoAway, 0, 0, new byte[7]), Http2ErrorCode.FrameSizeError);

    // §6.9 WINDOW_UPDATE
    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    public void Read_WindowUpdateWithLengthOtherThan4_ConnectionErrorFrameSize(int length) =>
        AssertConnectionError(Frame(WindowUpdate, 0, 1, new byte[length]), Http2ErrorCode.FrameSizeError);

    [Fact]
    public void Read_WindowUpdateIncrementZeroOnStream_StreamErrorProtocol() =>
        AssertStreamError(Frame(WindowUpdate, 0, 1, UInt32(0)), Http2ErrorCode.ProtocolError, 1);

    [Fact]
    public void Read_WindowUpdateIncrementZeroOnConnection_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(WindowUpdate, 0, 0, UInt32(0)), Http2ErrorCode.ProtocolError);

    [Fact]
    public void Read_WindowUpdateReservedBitOnly_StreamErrorProtocol() =>
        AssertStreamError(Frame(WindowUpdate, 0, 1, UInt32(0x8000_0000)), Http2ErrorCode.ProtocolError, 1);

    [Fact]
    public void Read_WindowUpdateReservedBitSet_IgnoredIncrementKept()
    {
        Http2Frame frame = AssertOk(Frame(WindowUpdate, 0, 0, UInt32(0x8000_0001)));
        Assert.Equal(1, frame.WindowSizeIncrement);
    }

    // §6.10 CONTINUATION
    [Fact]
    public void Read_ContinuationOnStreamZero_ConnectionErrorProtocol() =>
        AssertConnectionError(Frame(Continuation, EndHeaders, 0, 0x82), Http2ErrorCode.ProtocolError);

    [Fact]
    public void ClientPreface_Bytes_MatchRfc9113()
    {
        Assert.Equal("505249202A20485454502F322E300D0A0D0A534D0D0A0D0A", Convert.ToHexString(Http2Protocol.ClientPreface));
    }

    private static Http2Frame AssertOk(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        var frame = new Http2Frame();
        Assert.True(Http2FrameReader.TryReadFrame(ref buffer, frame, MaxFrameSize, out Http2FrameError error));
        Assert.Equal(Http2FrameError.None, error);
        Assert.Equal(0, buffer.Length);
        return frame;
    }

    private static void AssertConnectionError(byte[] bytes, Http2ErrorCode code)
    {
        foreach (ReadOnlySequence<byte> input in new[] { new ReadOnlySequence<byte>(bytes), Http2Segments.ByteByByte(bytes) })
        {
            ReadOnlySequence<byte> buffer = input;
            Assert.True(Http2FrameReader.TryReadFrame(ref buffer, new Http2Frame(), MaxFrameSize, out Http2FrameError error));
            Assert.Equal(Http2FrameError.Connection(code), error);
        }
    }

    private static void AssertStreamError(byte[] bytes, Http2ErrorCode code, int streamId)
    {
        foreach (ReadOnlySequence<byte> input in new[] { new ReadOnlySequence<byte>(bytes), Http2Segments.ByteByByte(bytes) })
        {
            ReadOnlySequence<byte> buffer = input;
            Assert.True(Http2FrameReader.TryReadFrame(ref buffer, new Http2Frame(), MaxFrameSize, out Http2FrameError error));
            Assert.Equal(Http2FrameError.Stream(code, streamId), error);

            // A stream error consumes the frame so the connection can go on.
            Assert.Equal(0, buffer.Length);
        }
    }
}
