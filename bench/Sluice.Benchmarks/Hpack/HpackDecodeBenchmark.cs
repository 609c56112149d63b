using System.Buffers;
using BenchmarkDotNet.Attributes;
using Sluice.Protocols.Hpack;

namespace Sluice.Benchmarks.Hpack;

/// <summary>
/// Decoding a browser request head. "Literals" re-decodes a first-request block (every field a
/// Huffman literal with incremental indexing, so the table churns at a steady size); "Indexed" decodes
/// the block a repeated request produces; "Segmented" splits the literal block into 7-octet segments.
/// </summary>
[MemoryDiagnoser]
public class HpackDecodeBenchmark : IDisposable
{
    private const int Operations = 100;

    private HpackDecoder _decoder = null!;
    private byte[] _literalBlock = null!;
    private byte[] _withoutIndexingBlock = null!;
    private byte[] _indexedBlock = null!;
    private ReadOnlySequence<byte> _segmented;

    [GlobalSetup]
    public void Setup()
    {
        _literalBlock = HpackBenchmarkData.FirstRequestBlock(HpackIndexing.Incremental);
        _withoutIndexingBlock = HpackBenchmarkData.FirstRequestBlock(HpackIndexing.WithoutIndexing);

        var encoder = new HpackEncoder();
        var buffer = new byte[4096];
        for (int round = 0; round < 2; round++)
        {
            int length = 0;
            foreach ((byte[] name, byte[] value) in HpackBenchmarkData.BrowserRequest)
            {
                encoder.TryEncode(name, value, HpackIndexing.Incremental, buffer.AsSpan(length), out int written);
                length += written;
            }

            _indexedBlock = buffer[..length];
        }

        _segmented = BenchmarkSegments.Split(_literalBlock, 7);
        _decoder = new HpackDecoder();
        var handler = new NullHeaderHandler();
        _decoder.Decode(_literalBlock, true, ref handler);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _decoder.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public int Literals()
    {
        var handler = new NullHeaderHandler();
        for (int i = 0; i < Operations; i++)
        {
            _decoder.Decode(_literalBlock, true, ref handler);
        }

        return handler.Count;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int LiteralsWithoutIndexing()
    {
        var handler = new NullHeaderHandler();
        for (int i = 0; i < Operations; i++)
        {
            _decoder.Decode(_withoutIndexingBlock, true, ref handler);
        }

        return handler.Count;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int Indexed()
    {
        var handler = new NullHeaderHandler();
        for (int i = 0; i < Operations; i++)
        {
            _decoder.Decode(_indexedBlock, true, ref handler);
        }

        return handler.Count;
    }

    [Benchmark(OperationsPerInvoke = Operations)]
    public int Segmented()
    {
        var handler = new NullHeaderHandler();
        for (int i = 0; i < Operations; i++)
        {
            _decoder.Decode(_segmented, true, ref handler);
        }

        return handler.Count;
    }
}

internal static class BenchmarkSegments
{
    public static ReadOnlySequence<byte> Split(byte[] data, int size)
    {
        Segment first = new(data.AsMemory(0, Math.Min(size, data.Length)), 0);
        Segment last = first;
        for (int offset = size; offset < data.Length; offset += size)
        {
            last = last.Append(data.AsMemory(offset, Math.Min(size, data.Length - offset)));
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
