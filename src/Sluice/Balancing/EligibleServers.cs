using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// The servers a balancer may choose from (see <see cref="BackendState.ComputeEligibleServers"/>), cached until
/// the backend's state version changes. Readers take the current snapshot without a lock; a change of server
/// state builds a new one (rare, so it may allocate).
/// </summary>
internal sealed class EligibleServers
{
    private readonly BackendState _backend;
    private readonly int _weightDivisor;
    private Snapshot _snapshot;

    public EligibleServers(BackendState backend)
    {
        _backend = backend;
        _weightDivisor = WeightedSchedule.WeightDivisor(backend.Servers);
        _snapshot = Build();
    }

    public Snapshot Current
    {
        get
        {
            var snapshot = Volatile.Read(ref _snapshot);
            if (snapshot.Version == _backend.StateVersion)
            {
                return snapshot;
            }

            snapshot = Build();
            Volatile.Write(ref _snapshot, snapshot);
            return snapshot;
        }
    }

    private Snapshot Build()
    {
        var version = _backend.StateVersion;
        var servers = _backend.ComputeEligibleServers();
        return new Snapshot(version, servers, WeightedSchedule.Build(servers, _weightDivisor));
    }

    /// <summary>An immutable view: the eligible servers in id order and their weighted schedule.</summary>
    internal sealed class Snapshot(int version, ServerState[] servers, int[] schedule)
    {
        public int Version { get; } = version;

        public ServerState[] Servers { get; } = servers;

        /// <summary>Indices into <see cref="Servers"/>, each server appearing as often as its weight, interleaved.</summary>
        public int[] Schedule { get; } = schedule;
    }
}
