using System.Buffers;

namespace Sluice.TestKit.Buffers;

/// <summary>
/// Builds <see cref="ReadOnlySequence{T}"/> values out of one byte array with chosen segment boundaries, to run
/// one byte vector whole, split at every offset, and one byte per segment.
/// </summary>
public static class Segmentation
{
    /// <summary>One segment holding all of <paramref name="data"/>.</summary>
    public static ReadOnlySequence<byte> Whole(ReadOnlyMemory<byte> data) => new(data);

    /// <summary>Two segments: bytes before <paramref name="offset"/> and bytes from it (either may be empty).</summary>
    public static ReadOnlySequence<byte> SplitAt(ReadOnlyMemory<byte> data, int offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, data.Length);
        return FromSegments(data.Slice(0, offset), data.Slice(offset));
    }

    /// <summary>One segment per byte; an empty input gives an empty sequence.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlyMemory<byte> data)
    {
        if (data.IsEmpty)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var parts = new ReadOnlyMemory<byte>[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            parts[i] = data.Slice(i, 1);
        }

        return FromSegments(parts);
    }

    /// <summary>Segments of at most <paramref name="size"/> bytes each.</summary>
    public static ReadOnlySequence<byte> Chunked(ReadOnlyMemory<byte> data, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        var parts = new List<ReadOnlyMemory<byte>>();
        for (int i = 0; i < data.Length; i += size)
        {
            parts.Add(data.Slice(i, Math.Min(size, data.Length - i)));
        }

        return parts.Count == 0 ? ReadOnlySequence<byte>.Empty : FromSegments(parts.ToArray());
    }

    /// <summary>A sequence made of the given segments, in order; empty segments are kept.</summary>
    public static ReadOnlySequence<byte> FromSegments(params ReadOnlyMemory<byte>[] segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        if (segments.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(segments[0], 0);
        Segment last = first;
        for (int i = 1; i < segments.Length; i++)
        {
            last = last.Append(segments[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
