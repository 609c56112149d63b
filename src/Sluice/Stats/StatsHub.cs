using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Listeners;

namespace Sluice.Stats;

/// <summary>A frontend as the stats see it: its configuration, counters, limit, and the runtime "disabled" flag.</summary>
internal sealed class FrontendStats(FrontendConfig config, TrafficCounters counters, ConnectionLimit? limit, ConnectionLimit? globalLimit)
{
    public FrontendConfig Config { get; } = config;

    public TrafficCounters Counters { get; } = counters;

    /// <summary>The listeners' rows (`option socket-stats`); empty without it.</summary>
    public List<ListenerStats> Listeners { get; } = [];

    /// <summary>The frontend's `maxconn` limit; null when only the global one (or none) applies.</summary>
    public ConnectionLimit? Limit { get; } = limit;

    public ConnectionLimit? GlobalLimit { get; } = globalLimit;

    public string Name => Config.Name;

    /// <summary>The switch shared by the frontend's accept loops.</summary>
    public ListenerGate Gate { get; } = new();

    /// <summary>`disable frontend` pauses the accept loops; `enable frontend` resumes them.</summary>
    public bool Paused
    {
        get => Gate.Paused;
        set
        {
            if (value)
            {
                Gate.Pause();
            }
            else
            {
                Gate.Resume();
            }
        }
    }

    /// <summary>`slim`: the frontend's limit, else the global one; 0 when there is none.</summary>
    public int SessionLimit => Limit?.Max ?? GlobalLimit?.Max ?? 0;
}

/// <summary>
/// Everything the stats page, the CSV, the Prometheus exporter and the runtime API read: the frontends and
/// backends of the running configuration with their counters, and the process facts of `show info`. One per
/// running configuration; <see cref="Current"/> is the one in service (the Prometheus action and the stats URI,
/// which are built with the configuration before the host exists, read it).
/// </summary>
internal sealed class StatsHub
{
    private static StatsHub? s_current;
    private bool _stopping;

    public StatsHub(GlobalConfig global, IReadOnlyList<FrontendStats> frontends, IReadOnlyList<BackendState> backends, ConnectionLimit? globalLimit)
    {
        Global = global;
        Frontends = frontends;
        Backends = backends;
        GlobalLimit = globalLimit;
        Accept = new ProcessAcceptLimits(global);
        StartMs = Environment.TickCount64;
        StartTime = DateTimeOffset.UtcNow;
    }

    public static StatsHub? Current
    {
        get => Volatile.Read(ref s_current);
        set => Volatile.Write(ref s_current, value);
    }

    public GlobalConfig Global { get; }

    public IReadOnlyList<FrontendStats> Frontends { get; }

    public IReadOnlyList<BackendState> Backends { get; }

    public ConnectionLimit? GlobalLimit { get; }

    /// <summary>The process-wide accept rates and TLS figures; without listeners, an empty set with the configured limits.</summary>
    public ProcessAcceptLimits Accept { get; init; }

    /// <summary>Monotonic start time, for uptimes.</summary>
    public long StartMs { get; }

    public DateTimeOffset StartTime { get; }

    /// <summary>The sessions in flight, for `show sess` and `shutdown session`; set by the host.</summary>
    public Func<IReadOnlyList<Transactions.ISession>>? Sessions { get; set; }

    /// <summary>The map and ACL pattern references of the running configuration (`show map`, `add acl`, ...).</summary>
    public Rules.Acls.PatternReferences Patterns { get; init; } = new();

    /// <summary>The run-time resolutions of the running configuration (`show resolvers`); set by the host.</summary>
    public Resolvers.ServerResolutions? Resolutions { get; set; }

    /// <summary>
    /// The configuration is stopping: a soft stop began, or its `grace` period did. What `show info` says as
    /// `Stopping` and the `stopping` fetch returns.
    /// </summary>
    public bool Stopping
    {
        get => Volatile.Read(ref _stopping);
        set => Volatile.Write(ref _stopping, value);
    }

    /// <summary>Whole seconds since start.</summary>
    public long UptimeSeconds => (Environment.TickCount64 - StartMs) / 1000;

    public FrontendStats? FindFrontend(string name)
    {
        foreach (var frontend in Frontends)
        {
            if (frontend.Name == name)
            {
                return frontend;
            }
        }

        return null;
    }

    public BackendState? FindBackend(string name)
    {
        foreach (var backend in Backends)
        {
            if (backend.Name == name)
            {
                return backend;
            }
        }

        return null;
    }

    /// <summary>Current connections of the whole process (`CurrConns`).</summary>
    public int CurrentConnections => (int)SumFrontends(c => c.CurrentSessions);

    public long TotalConnections => SumFrontends(c => c.Connections);

    public long TotalRequests => SumFrontends(c => c.Requests);

    public long TotalBytesOut => SumFrontends(c => c.BytesOut);

    private long SumFrontends(Func<TrafficCounters, long> read)
    {
        long total = 0;
        foreach (var frontend in Frontends)
        {
            total += read(frontend.Counters);
        }

        return total;
    }

    /// <summary>`clear counters [all]` on every proxy and server.</summary>
    public void ClearCounters(bool all)
    {
        // As HAProxy, both forms reset the process's highest rates; its cumulated counts stay.
        Accept.ClearMaxima();
        foreach (var frontend in Frontends)
        {
            frontend.Counters.Clear(all);
        }

        foreach (var backend in Backends)
        {
            backend.Counters.Clear(all);
            backend.Queues.Shared.ClearMax();
            foreach (var server in backend.Servers)
            {
                server.Counters.Clear(all);
                server.Queue.ClearMax();
            }
        }
    }
}
