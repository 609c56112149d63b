using Sluice.Config.Model;
using Sluice.Stats;
using Sluice.Transport;

namespace Sluice.Backends;

/// <summary>
/// The live state of one server: counters updated with <see cref="Interlocked"/> by every transaction, and the
/// operational state that checks (later) and the runtime API change. The configuration stays immutable.
/// </summary>
internal sealed class ServerState
{
    private readonly BackendState _backend;
    private int _currentConnections;
    private long _totalConnections;
    private long _connectFailures;
    private long _retries;
    private long _redispatches;
    private int _weight;
    private int _scaledWeight;
    private long _slowStartBeganMs;
    private int _requeuedAtDown;
    private volatile bool _up = true;
    private volatile bool _inResolutionMaint;
    private int _adminState;
    private int _maxConn;

    public ServerState(ServerConfig config, BackendState backend, int index)
    {
        Config = config;
        _backend = backend;
        Index = index;
        _address = config.Address;
        _weight = config.Weight;
        _scaledWeight = config.Weight * WeightScale;
        _maxConn = config.MaxConn;
        _adminState = (int)(config.Disabled ? ServerAdminState.Maint : ServerAdminState.Ready);
        Source = config.Source ?? backend.Config.Source;
        Pool = new ServerConnectionPool(config);
        if (Source is { } source && source.FirstPort > 0 && source.LastPort > source.FirstPort)
        {
            SourcePorts = new SourcePortRange(source.FirstPort, source.LastPort);
        }
    }

    /// <summary>The backend the server belongs to.</summary>
    public BackendState Backend => _backend;

    /// <summary>The backend's `option srvtcpka` settings for connections to this server; null when off.</summary>
    public TcpKeepAliveConfig? KeepAlive => _backend.Config.ServerKeepAlive;

    /// <summary>The backend's `option nolinger`: connections to this server end with a reset.</summary>
    public bool NoLinger => _backend.Config.NoLinger;

    /// <summary>Idle HTTP connections to this server, kept for reuse.</summary>
    public ServerConnectionPool Pool { get; }

    /// <summary>The server's `source`, else the backend's; null to let the kernel choose.</summary>
    public SourceConfig? Source { get; }

    /// <summary>The free ports of <see cref="Source"/>'s range, one set per server as each has its own destination.</summary>
    public SourcePortRange? SourcePorts { get; }

    public ServerConfig Config { get; }

    /// <summary>Where connections go: the configured address until `set server addr` or a state file changes it.</summary>
    public ServerAddress Address
    {
        get => Volatile.Read(ref _address);
        set
        {
            Volatile.Write(ref _address, value);
            _backend.Cookie?.OnServerAddressChanged();
        }
    }

    private ServerAddress _address;

    /// <summary>
    /// The operational state a server state file gave (true for up); null without one. A checked server starts
    /// from it instead of its configured first state.
    /// </summary>
    public bool? RestoredUp { get; set; }

    /// <summary>The last check's status and result as a server state file gave them (HAProxy's numbers), shown until a check of this configuration runs.</summary>
    public (int Status, int Result)? RestoredCheck { get; set; }

    public string Name => Config.Name;

    /// <summary>The name encoded once, for `srv_name`.</summary>
    public byte[] NameBytes => _nameBytes ??= System.Text.Encoding.Latin1.GetBytes(Config.Name);

    private byte[]? _nameBytes;

    /// <summary>Position in <see cref="BackendState.Servers"/>, from 0; balancers index their tables with it.</summary>
    public int Index { get; }

    public bool IsBackup => Config.Backup;

    /// <summary>
    /// Servers in maintenance or draining (configured `disabled`, or set so at run time) are never picked by the
    /// balancer; a server that is down is picked only when it comes back up.
    /// </summary>
    public bool IsUsable => AdminState == ServerAdminState.Ready && _up && !_stopping && Volatile.Read(ref _weight) > 0;

    /// <summary>
    /// `http-check disable-on-404` (HAProxy's SRV_ST_STOPPING, "NOLB"): the server answered 404 to its check; the
    /// balancer leaves it out, persistent clients still reach it.
    /// </summary>
    public bool IsStopping
    {
        get => _stopping;
        set
        {
            if (_stopping != value)
            {
                _stopping = value;
                _backend.OnServerStateChanged();
            }
        }
    }

    private volatile bool _stopping;

    /// <summary>
    /// True when a request bound to this server by persistence (a cookie) may still go to it: a draining server
    /// keeps its persistent clients, a server in maintenance or down does not.
    /// </summary>
    public bool AcceptsPersistent => AdminState != ServerAdminState.Maint && _up;

    /// <summary>The maintenance is the resolution's (`resolvers`): no valid DNS answer; HAProxy's `MAINT (resolution)`.</summary>
    public bool InResolutionMaint
    {
        get => _inResolutionMaint;
        set => _inResolutionMaint = value;
    }

    /// <summary>The host name was set at run time (by an SRV record): HAProxy's SRV_ADMF_FQDN_CHANGED in `show servers state`.</summary>
    public bool FqdnChanged { get; set; }

    /// <summary>The state set by configuration or the runtime API (`set server ... state`, `disable server`).</summary>
    public ServerAdminState AdminState
    {
        get => (ServerAdminState)Volatile.Read(ref _adminState);
        set
        {
            var before = (ServerAdminState)Interlocked.Exchange(ref _adminState, (int)value);
            if (before != value)
            {
                if (before == ServerAdminState.Maint && _up)
                {
                    BeginSlowStart();
                }

                Counters.RecordAdminChange();
                _backend.OnServerStateChanged();
                if (value == ServerAdminState.Maint)
                {
                    Volatile.Write(ref _requeuedAtDown, _backend.Queues.Redistribute(this));
                }
            }
        }
    }

    /// <summary>The traffic and check counters the stats show.</summary>
    public ServerCounters Counters { get; private set; } = new();

    /// <summary>
    /// At a reload, before any traffic: what the runtime API set on the server of the same name in the running
    /// configuration (maintenance or drain, a weight where the configured one did not change, `maxconn`, the
    /// address of `set server addr` where the configured one did not change) and
    /// its counters, which both configurations then share. The configuration's own `disabled` wins over a ready
    /// state carried from before.
    /// </summary>
    internal void CarryOver(ServerState previous)
    {
        if (previous.AdminState != ServerAdminState.Ready && previous.Config.Disabled == Config.Disabled)
        {
            AdminState = previous.AdminState;
        }

        if (previous.InitialWeight == InitialWeight)
        {
            Weight = previous.Weight;
        }

        if (previous.Config.MaxConn == Config.MaxConn)
        {
            MaxConn = previous.MaxConn;
        }

        if (previous.Config.Address.Text == Config.Address.Text)
        {
            Address = previous.Address;
        }

        Counters = previous.Counters;
        Volatile.Write(ref _totalConnections, previous.TotalConnections);
        Volatile.Write(ref _connectFailures, previous.ConnectFailures);
        Volatile.Write(ref _retries, previous.Retries);
        Volatile.Write(ref _redispatches, previous.Redispatches);
    }

    /// <summary>The configured weight (`get weight` shows it as "initial").</summary>
    public int InitialWeight => Config.Weight;

    /// <summary>The server's `maxconn`, which `set maxconn server` changes at run time; 0 for no limit.</summary>
    public int MaxConn
    {
        get => Volatile.Read(ref _maxConn);
        set => Volatile.Write(ref _maxConn, value);
    }

    public bool IsUp
    {
        get => _up;
        set
        {
            if (_up != value)
            {
                _up = value;
                if (value)
                {
                    BeginSlowStart();
                }

                Counters.RecordChange(nowDown: !value);
                _backend.OnServerStateChanged();
                if (value)
                {
                    _backend.Queues.OnServerUp();
                }
                else
                {
                    Volatile.Write(ref _requeuedAtDown, _backend.Queues.Redistribute(this));
                }
            }
        }
    }

    /// <summary>The servers whose `track` names this one, latest defined first (HAProxy's order); they take its state.</summary>
    public List<ServerState> Trackers { get; } = [];

    /// <summary>Requests of this server's queue handed to the others when it last went down or into maintenance.</summary>
    public int RequeuedAtDown => Volatile.Read(ref _requeuedAtDown);

    /// <summary>The effective weight; starts as the configured one and may change at run time.</summary>
    public int Weight
    {
        get => Volatile.Read(ref _weight);
        set
        {
            if (Interlocked.Exchange(ref _weight, value) != value)
            {
                UpdateScaledWeight();
                _backend.OnServerStateChanged();
            }
        }
    }

    /// <summary>HAProxy's BE_WEIGHT_SCALE: the steps of a weight that <see cref="ScaledWeight"/> counts in.</summary>
    public const int WeightScale = 16;

    /// <summary>
    /// The weight the dynamic balancers use, in sixteenths (HAProxy's eweight): <see cref="Weight"/> × 16, less
    /// during `slowstart`. The stats show it rounded up to whole weights.
    /// </summary>
    public int ScaledWeight => Volatile.Read(ref _scaledWeight);

    /// <summary>The weight the stats show (HAProxy's cur_eweight rounded up).</summary>
    public int EffectiveWeight => (ScaledWeight + WeightScale - 1) / WeightScale;

    /// <summary>True while the server is in its `slowstart` period after coming up.</summary>
    public bool IsSlowStarting => Volatile.Read(ref _slowStartBeganMs) != 0;

    /// <summary>`slowstart` in whole seconds, as HAProxy rounds it.</summary>
    private long SlowStartSeconds => ((long)Config.Check.SlowStart.TotalMilliseconds + 999) / 1000;

    /// <summary>The algorithms whose weights change at run time (HAProxy's BE_LB_PROP_DYN) ramp the weight up.</summary>
    private bool RampsWeight => Balancing.BalancerFactory.HasDynamicWeights(_backend.Config);

    private void BeginSlowStart()
    {
        if (SlowStartSeconds > 0)
        {
            Volatile.Write(ref _slowStartBeganMs, Math.Max(1, Environment.TickCount64));
            UpdateScaledWeight();
        }
    }

    /// <summary>Moves the `slowstart` ramp on; the server's checker calls it on each heartbeat tick.</summary>
    public void OnSlowStartTick()
    {
        if (IsSlowStarting && UpdateScaledWeight())
        {
            _backend.OnServerStateChanged();
        }
    }

    /// <summary>
    /// HAProxy's server_recalc_eweight: during `slowstart` the weight grows by sixteenths, each whole second, from
    /// 1/16 to the full weight at the end of the period. Returns true when the value changed.
    /// </summary>
    private bool UpdateScaledWeight()
    {
        var weight = Volatile.Read(ref _weight);
        var scaled = weight * WeightScale;
        var began = Volatile.Read(ref _slowStartBeganMs);
        if (began != 0)
        {
            var period = SlowStartSeconds;
            var elapsed = (Environment.TickCount64 - began) / 1000;
            if (elapsed >= period)
            {
                Interlocked.CompareExchange(ref _slowStartBeganMs, 0, began);
            }
            else if (RampsWeight)
            {
                scaled = weight * (int)((WeightScale * elapsed + period) / period);
            }
        }

        return Interlocked.Exchange(ref _scaledWeight, scaled) != scaled;
    }

    /// <summary>How far into `slowstart` the server is, in percent (at least 1); null outside the period.</summary>
    public int? SlowStartPercent
    {
        get
        {
            var began = Volatile.Read(ref _slowStartBeganMs);
            var period = SlowStartSeconds;
            var elapsed = (Environment.TickCount64 - began) / 1000;
            return began == 0 || elapsed >= period ? null : (int)Math.Max(1, 100 * elapsed / period);
        }
    }

    /// <summary>HAProxy's srv_dynamic_maxconn during `slowstart`: the limit grows with the time elapsed, from 1.</summary>
    private int SlowStartMaxConn(int max)
    {
        var began = Volatile.Read(ref _slowStartBeganMs);
        if (began == 0)
        {
            return max;
        }

        var elapsed = (Environment.TickCount64 - began) / 1000;
        var period = SlowStartSeconds;
        return elapsed >= period ? max : Math.Max(1, (int)(max * (100 * elapsed / period) / 100));
    }

    public int CurrentConnections => Volatile.Read(ref _currentConnections);

    /// <summary>Slots taken on this server since start: one per transaction assigned to it, again after a redispatch back.</summary>
    public long TotalConnections => Interlocked.Read(ref _totalConnections);

    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    public long Retries => Interlocked.Read(ref _retries);

    public long Redispatches => Interlocked.Read(ref _redispatches);

    /// <summary>`observe`: the server's checker, told what the traffic shows; null when the traffic is not observed.</summary>
    public Checks.HealthChecker? Observer { get; set; }

    /// <summary>The `NAME=VALUE` pair that starts this server's `cookie ... insert` Set-Cookie, encoded once; null without one.</summary>
    public byte[]? InsertedCookie { get; internal set; }

    /// <summary>Requests waiting for a slot of this server in particular (persistence); guarded by the backend's queue lock.</summary>
    public PendingQueue Queue { get; } = new();

    /// <summary>True when the server's own `maxconn` leaves room for one more connection and nobody waits for it.</summary>
    public bool HasFreeSlot
    {
        get
        {
            var max = EffectiveMaxConn;
            return max <= 0 || (Volatile.Read(ref _currentConnections) < max && Queue.Count == 0);
        }
    }

    /// <summary>
    /// The limit in force now (HAProxy's srv_dynamic_maxconn): `maxconn`, or with `minconn` below it a limit that
    /// grows from `minconn` to `maxconn` as the backend's load grows to its `fullconn`. 0 means no limit.
    /// </summary>
    public int EffectiveMaxConn
    {
        get
        {
            // `maxconn` as the runtime API may have set it.
            var max = MaxConn;
            if (max > 0 && IsSlowStarting)
            {
                max = SlowStartMaxConn(max);
            }

            var min = Config.MinConn;
            if (max <= 0 || min <= 0 || min >= max)
            {
                return max;
            }

            var load = _backend.CurrentConnections + _backend.Queues.Shared.Count;
            var full = _backend.FullConn;
            if (load >= full)
            {
                return max;
            }

            return Math.Max(min, (int)((long)load * max / full));
        }
    }

    /// <summary>
    /// Takes one connection slot if `maxconn` allows it and nobody waits in this server's queue (they come first).
    /// The check and the increment are one atomic step, so concurrent picks never push a server above its limit.
    /// </summary>
    public bool TryAcquire() => TryAcquire(fromQueue: false);

    /// <summary>Takes a slot for the head of a queue: the server's own waiters do not stop it. Under the queue lock.</summary>
    internal bool TryAcquireForQueue() => TryAcquire(fromQueue: true);

    private bool TryAcquire(bool fromQueue)
    {
        var max = EffectiveMaxConn;
        if (max > 0 && !fromQueue && Queue.Count > 0)
        {
            return false;
        }

        while (true)
        {
            var current = Volatile.Read(ref _currentConnections);
            if (max > 0 && current >= max)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _currentConnections, current + 1, current) == current)
            {
                Interlocked.Increment(ref _totalConnections);
                Counters.OnSessionCounted(current + 1, Environment.TickCount64);
                _backend.OnConnectionAcquired();
                return true;
            }
        }
    }

    /// <summary>
    /// Gives back the slot taken by <see cref="TryAcquire"/>; when requests wait, the oldest one that this server
    /// may serve takes it at once. The count is decremented before the queues are looked at, and a request entering
    /// a queue looks for a free slot after it is in: one of the two always sees the other.
    /// </summary>
    public void Release()
    {
        Interlocked.Decrement(ref _currentConnections);
        _backend.OnConnectionReleased();
        var queues = _backend.Queues;
        if (queues.HasWaiters(this))
        {
            queues.OnSlotFreed(this);
        }
    }

    public void CountConnectFailure()
    {
        Interlocked.Increment(ref _connectFailures);
        _backend.CountConnectFailure();
    }

    public void CountRetry()
    {
        Interlocked.Increment(ref _retries);
        _backend.CountRetry();
    }

    public void CountRedispatch()
    {
        Interlocked.Increment(ref _redispatches);
        _backend.CountRedispatch();
    }

    public override string ToString() => Config.Name;
}

/// <summary>HAProxy's administrative server states that the runtime API sets.</summary>
internal enum ServerAdminState
{
    /// <summary>Takes traffic as its health allows.</summary>
    Ready,
    /// <summary>No new traffic from the balancer; persistent clients still reach it; checks go on.</summary>
    Drain,
    /// <summary>Maintenance: no traffic at all; checks go on.</summary>
    Maint,
}
