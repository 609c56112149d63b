using System.Buffers;
using BenchmarkDotNet.Attributes;
using Sluice.Benchmarks.Data;
using Sluice.Benchmarks.Mocks;
using Sluice.Protocols.Http1;

namespace Sluice.Benchmarks.Http1;

/// <summary>Request head parsing, one head per operation.</summary>
[MemoryDiagnoser]
public class Http1RequestParse
{
    private const int InnerLoop = 64;

    private ReadOnlySequence<byte> _plaintext;
    private ReadOnlySequence<byte> _browser;
    private ReadOnlySequence<byte> _browserSplit;

    [GlobalSetup]
    public void Setup()
    {
        _plaintext = new ReadOnlySequence<byte>(RequestParsingData.Plaintext);
        _browser = new ReadOnlySequence<byte>(RequestParsingData.Browser);
        _browserSplit = SegmentedSequence.Create(RequestParsingData.Browser, 64);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = InnerLoop)]
    public int Plaintext() => Run(_plaintext);

    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public int Browser() => Run(_browser);

    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public int BrowserSplit64() => Run(_browserSplit);

    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public int BrowserWithFraming()
    {
        int fields = 0;
        for (int i = 0; i < InnerLoop; i++)
        {
            var state = Http1HeadState.ForHead();
            var handler = new FramingHandler();
            Http1HeadParser.ParseRequestHead(ref state, _browser, ref handler, Http1ParserOptions.Strict, out _, out _);
            handler.Framing.CompleteRequest("GET"u8, default, out Http1BodyFraming framing);
            fields += (int)framing.Kind;
        }

        return fields;
    }

    private static int Run(ReadOnlySequence<byte> input)
    {
        int fields = 0;
        for (int i = 0; i < InnerLoop; i++)
        {
            var state = Http1HeadState.ForHead();
            var handler = default(NullHeadersHandler);
            Http1HeadParser.ParseRequestHead(ref state, input, ref handler, Http1ParserOptions.Strict, out _, out _);
            fields += handler.Fields;
        }

        return fields;
    }

    private struct FramingHandler : IHttp1RequestHandler
    {
        public Http1FramingAnalyzer Framing;

        public void OnRequestLine(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, Http1TargetForm form, Http1Version version)
            => Framing = new Http1FramingAnalyzer(isRequest: true, version, Http1ParserOptions.Strict);

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Framing.OnHeader(name, value);

        public void OnHeadersComplete()
        {
        }
    }
}
