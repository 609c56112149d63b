using BenchmarkDotNet.Attributes;
using Sluice.Stats;

namespace Sluice.Benchmarks.Stats;

/// <summary>
/// The stats work of one HTTP transaction, as <c>TransactionStats.RecordHttp</c> and the session counts of
/// <c>ServerState.TryAcquire</c> do it on a frontend, a backend and a server: the increments, the rates and the
/// timers. One operation is one transaction; it must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class StatsCountersBenchmarks
{
    private const int InnerLoop = 64;
    private readonly TrafficCounters _frontend = new();
    private readonly TrafficCounters _backend = new();
    private readonly ServerCounters _server = new();

    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public void Transaction()
    {
        for (var i = 0; i < InnerLoop; i++)
        {
            var now = Environment.TickCount64;
            _server.OnSessionCounted(1, now);
            _backend.OnSessionCounted(1, now);
            _frontend.CountRequest(now);
            _frontend.CountResponse(200);
            _frontend.AddBytes(120, 4096);
            _backend.CountRequest(now);
            _backend.CountResponse(200);
            _backend.AddBytes(120, 4096);
            _server.CountResponse(200);
            _server.AddBytes(120, 4096);
            _backend.RecordTimes(0, 1, 3, 4);
            _server.RecordTimes(0, 1, 3, 4);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = InnerLoop)]
    public void RequestCountOnly()
    {
        for (var i = 0; i < InnerLoop; i++)
        {
            _frontend.CountRequest(Environment.TickCount64);
        }
    }
}
