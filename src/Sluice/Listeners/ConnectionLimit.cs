namespace Sluice.Listeners;

/// <summary>
/// A `maxconn` (global, frontend or bind). An accept loop takes a slot before it accepts; when none is free it
/// waits, so new connections stay in the kernel's backlog instead of being refused, and the loop resumes as soon
/// as a finished connection gives its slot back.
/// </summary>
internal sealed class ConnectionLimit : IDisposable
{
    private readonly SemaphoreSlim _slots;

    public ConnectionLimit(int max)
    {
        Max = max;
        _slots = new SemaphoreSlim(max, max);
    }

    public int Max { get; }

    public int InUse => Max - _slots.CurrentCount;

    /// <summary>Null when <paramref name="max"/> is 0 or less: no limit.</summary>
    public static ConnectionLimit? Create(int? max) => max is int m && m > 0 ? new ConnectionLimit(m) : null;

    public Task WaitAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

    public void Release() => _slots.Release();

    public void Dispose() => _slots.Dispose();
}
