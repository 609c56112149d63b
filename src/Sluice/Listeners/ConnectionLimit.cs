namespace Sluice.Listeners;

/// <summary>
/// A `maxconn` (global, frontend or bind). An accept loop takes a slot before it accepts; when none is free it
/// waits, so new connections stay in the kernel's backlog instead of being refused, and the loop resumes as soon
/// as a finished connection gives its slot back.
/// </summary>
#pragma warning disable CA1001 // The semaphore owns no unmanaged resource here; see Release.
internal sealed class ConnectionLimit
{
    private readonly SemaphoreSlim _slots;
    private int _max;

    public ConnectionLimit(int max)
    {
        _max = max;
        _slots = new SemaphoreSlim(max, int.MaxValue);
    }

    public int Max => Volatile.Read(ref _max);

    /// <summary>
    /// Changes the limit at run time (`set maxconn frontend`): a higher limit frees slots at once; a lower one takes
    /// the difference back as connections end, without cutting any.
    /// </summary>
    public void Resize(int max)
    {
        int delta;
        lock (_slots)
        {
            delta = max - _max;
            Volatile.Write(ref _max, max);
        }

        if (delta > 0)
        {
            _slots.Release(delta);
        }
        else if (delta < 0)
        {
            _ = TakeBackAsync(-delta);
        }
    }

    private async Task TakeBackAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            await _slots.WaitAsync().ConfigureAwait(false);
        }
    }

    public int InUse => Max - _slots.CurrentCount;

    /// <summary>Null when <paramref name="max"/> is 0 or less: no limit.</summary>
    public static ConnectionLimit? Create(int? max) => max is int m && m > 0 ? new ConnectionLimit(m) : null;

    public Task WaitAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    /// <remarks>
    /// Safe at any time, also after the host stopped: the semaphore is never disposed (it holds no wait handle
    /// as long as <c>AvailableWaitHandle</c> is not used), so a transaction that ends last can still give back
    /// its slot.
    /// </remarks>
    public void Release() => _slots.Release();
}
#pragma warning restore CA1001
