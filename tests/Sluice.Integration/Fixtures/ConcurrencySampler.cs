namespace Sluice.Integration.Fixtures;

/// <summary>
/// Samples a live count every few milliseconds and keeps the highest value seen. Sampling can miss a short
/// peak but never reports one that did not happen, so an assertion on the maximum cannot pass by accident of
/// measurement when connections are held long enough to be seen.
/// </summary>
internal sealed class ConcurrencySampler : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<int> _loop;

    public ConcurrencySampler(Func<int> read)
    {
        _loop = Task.Run(async () =>
        {
            var max = 0;
            while (!_stop.IsCancellationRequested)
            {
                max = Math.Max(max, read());
                await Task.Delay(2);
            }

            return Math.Max(max, read());
        });
    }

    public async Task<int> StopAsync()
    {
        _stop.Cancel();
        return await _loop;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }
}
