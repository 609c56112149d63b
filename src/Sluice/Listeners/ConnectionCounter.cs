namespace Sluice.Listeners;

/// <summary>
/// Connections in progress, for the logs' `actconn` (the process) and `feconn` (a frontend): counted from accept to
/// the moment the connection gives its slot back (<see cref="Listener.ReleaseSlot"/>).
/// </summary>
internal sealed class ConnectionCounter
{
    private int _value;

    /// <summary>Every connection of the process.</summary>
    public static readonly ConnectionCounter Process = new();

    public int Value => Volatile.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Decrement() => Interlocked.Decrement(ref _value);
}
