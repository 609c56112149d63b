namespace Sluice.Listeners;

/// <summary>
/// Connections in progress in the whole process, for the logs' `actconn`: counted from accept to the moment the
/// connection gives its slot back (<see cref="Listener.ReleaseSlot"/>). A frontend's own count (`feconn`) is its
/// stats counters' current sessions, counted at the same two points.
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
