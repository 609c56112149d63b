using Sluice.Protocols.Http1;

namespace Sluice.Benchmarks.Mocks;

/// <summary>Struct adapter that only counts, so the JIT specializes the parser and nothing else costs.</summary>
internal struct NullHeadersHandler : IHttp1RequestHandler
{
    public int Fields;

    public void OnRequestLine(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, Http1TargetForm form, Http1Version version)
    {
    }

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => Fields++;

    public void OnHeadersComplete()
    {
    }
}
