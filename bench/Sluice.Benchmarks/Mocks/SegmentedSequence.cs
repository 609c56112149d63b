using System.Buffers;

namespace Sluice.Benchmarks.Mocks;

/// <summary>Builds a sequence of fixed-size segments over one array.</summary>
internal static class SegmentedSequence
{
    public static ReadOnlySequence<byte> Create(byte[] data, int segmentSize)
    {
        Segment first = new(data.AsMemory(0, Math.Min(segmentSize, data.Length)), 0);
        Segment last = first;
        for (int i = segmentSize; i < data.Length; i += segmentSize)
        {
            last = last.Append(data.AsMemory(i, Math.Min(segmentSize, data.Length - i)));
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
