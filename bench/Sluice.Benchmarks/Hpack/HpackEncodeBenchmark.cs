using BenchmarkDotNet.Attributes;
using Sluice.Protocols.Hpack;

namespace Sluice.Benchmarks.Hpack;

/// <summary>
/// Encoding a browser request head with a long-lived encoder: "Default" uses the policy (mostly
/// indexed after the first block), "WithoutIndexing" forces Huffman literals every time.
/// </summary>
[MemoryDiagnoser]
public class HpackEncodeBenchmark
{
    private const int Operations = 100;

    private readonly byte[] _buffer = new byte[4096];
    private HpackEncoder _encoder = null!;

    [GlobalSetup]
    public void Setup() => _encoder = new HpackEncoder();

    [Benchmark(Baseline = true, OperationsPerInvoke = Operations)]
    public int Default() => Run(HpackIndexing.Default);

    [Benchmark(OperationsPerInvoke = Operations)]
    public int WithoutIndexing() => Run(HpackIndexing.WithoutIndexing);

    private int Run(HpackIndexing indexing)
    {
        int total = 0;
        for (int i = 0; i < Operations; i++)
        {
            _encoder.TryBeginBlock(_buffer, out int length);
            foreach ((byte[] name, byte[] value) in HpackBenchmarkData.BrowserRequest)
            {
                _encoder.TryEncode(name, value, indexing, _buffer.AsSpan(length), out int written);
                length += written;
            }

            total += length;
        }

        return total;
    }
}
