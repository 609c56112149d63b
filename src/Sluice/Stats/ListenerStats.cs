namespace Sluice.Stats;

/// <summary>
/// One listener of a frontend with `option socket-stats`: its stats row (HAProxy's type 3), named after the bind
/// line's `name` or `sock-ID`, with counters that add up into the frontend's (<see cref="TrafficCounters.Parent"/>).
/// </summary>
internal sealed class ListenerStats(string name, int id, string address, int maxConn, TrafficCounters counters)
{
    /// <summary>The bind line's `maxconn` (the `slim` column); 0 without one.</summary>
    public int MaxConn { get; } = maxConn;

    public string Name { get; } = name;

    /// <summary>The listener's number in its frontend, from 1 in the order of the bind lines (the `sid` column).</summary>
    public int Id { get; } = id;

    /// <summary>The address it listens on, as the `addr` column shows it.</summary>
    public string Address { get; } = address;

    public TrafficCounters Counters { get; } = counters;
}
