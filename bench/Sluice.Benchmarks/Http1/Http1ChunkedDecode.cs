using System.Buffers;
using BenchmarkDotNet.Attributes;
using Sluice.Benchmarks.Data;
using Sluice.Benchmarks.Mocks;
using Sluice.Protocols.Http1;

namespace Sluice.Benchmarks.Http1;

/// <summary>Chunked body decoding: 16 chunks of 1 KiB and one trailer per operation.</summary>
[MemoryDiagnoser]
public class Http1ChunkedDecode
{
    private ReadOnlySequence<byte> _whole;
    private ReadOnlySequence<byte> _split;

    [GlobalSetup]
    public void Setup()
    {
        _whole = new ReadOnlySequence<byte>(RequestParsingData.ChunkedBody);
        _split = SegmentedSequence.Create(RequestParsingData.ChunkedBody, 4096);
    }

    [Benchmark(Baseline = true)]
    public long Whole() => Run(_whole);

    [Benchmark]
    public long Split4K() => Run(_split);

    private static long Run(ReadOnlySequence<byte> input)
    {
        var decoder = default(Http1ChunkedDecoder);
        var handler = default(NullHeadersHandler);
        long total = 0;
        while (decoder.Read(input, ref handler, Http1ParserOptions.Strict, out ReadOnlySequence<byte> data, out SequencePosition consumed, out _) == Http1ChunkedStatus.Data)
        {
            total += data.Length;
            input = input.Slice(consumed);
        }

        return total;
    }
}
