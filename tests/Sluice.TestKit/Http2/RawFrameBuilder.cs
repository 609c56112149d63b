using System.Buffers;

namespace Sluice.TestKit.Http2;

/// <summary>
/// Builds HTTP/2 frames byte by byte, independently of the product writer, including frames that
/// break the rules (wrong lengths, reserved bits, any type and flags).
/// </summary>
public static class RawFrameBuilder
{
    /// <summary>A frame whose length field matches the payload.</summary>
    public static byte[] Frame(byte type, byte flags, int streamId, params byte[] payload) =>
        FrameWithLength(payload.Length, type, flags, streamId, payload);

    /// <summary>A frame whose length field says <paramref name="declaredLength"/>, whatever the payload.</summary>
    public static byte[] FrameWithLength(int declaredLength, byte type, byte flags, int streamId, byte[] payload, bool reservedBit = false)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(declaredLength >> 16);
        frame[1] = (byte)(declaredLength >> 8);
        frame[2] = (byte)declaredLength;
        frame[3] = type;
        frame[4] = flags;
        frame[5] = (byte)(((streamId >> 24) & 0x7F) | (reservedBit ? 0x80 : 0));
        frame[6] = (byte)(streamId >> 16);
        frame[7] = (byte)(streamId >> 8);
        frame[8] = (byte)streamId;
        payload.CopyTo(frame, 9);
        return frame;
    }

    /// <summary>Big-endian 32-bit value.</summary>
    public static byte[] UInt32(uint value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];

    /// <summary>Big-endian 16-bit identifier and 32-bit value of one SETTINGS parameter.</summary>
    public static byte[] Setting(ushort id, uint value) => [(byte)(id >> 8), (byte)id, .. UInt32(value)];

    /// <summary>Concatenation.</summary>
    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}

/// <summary>Splits byte arrays into multi-segment sequences, to test readers at every boundary.</summary>
public static class Http2Segments
{
    /// <summary>A sequence made of the given parts, one segment each (empty parts included).</summary>
    public static ReadOnlySequence<byte> Create(params byte[][] parts)
    {
        if (parts.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(parts[0], 0);
        Segment last = first;
        for (int i = 1; i < parts.Length; i++)
        {
            last = last.Append(parts[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Two segments cut at <paramref name="offset"/>.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] data, int offset) => Create(data[..offset], data[offset..]);

    /// <summary>One segment per byte.</summary>
    public static ReadOnlySequence<byte> ByteByByte(byte[] data) => Create(data.Select(b => new[] { b }).ToArray());

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, long runningIndex)
        {
            Memory = data;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] data)
        {
            var next = new Segment(data, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
