using Sluice.Balancing;
using Sluice.Config.Model;
using Sluice.Stats;

namespace Sluice.Backends;

/// <summary>
/// The live state of one backend: its servers' states, its balancer and its counters. Built once per
/// configuration load; transactions of an older configuration keep the state they started with.
/// </summary>
internal sealed class BackendState
{
    private readonly ServerState[] _servers;
    private int _currentConnections;
    private long _totalConnections;
    private long _connectFailures;
    private long _retries;
    private long _redispatches;
    private int _stateVersion;

    public BackendState(BackendConfig config)
    {
        Config = config;
        Log = config.Log is { } log ? new Logging.LogSender(log) : null;
        _servers = new ServerState[config.Servers.Count];
        for (var i = 0; i < _servers.Length; i++)
        {
            _servers[i] = new ServerState(config.Servers[i], this, i);
        }

        Queues = new BackendQueues(this);
        Cookie = config.Cookie is { } cookie ? new CookiePersistence(cookie, this) : null;
        Stick = config.StickRules.Count > 0 ? new StickPersistence(config.StickRules, this, config.Persist) : null;
        ServerRules = ServerRules.Needed(this) ? new ServerRules(this) : null;
        FullConn = config.FullConn > 0 ? config.FullConn : 1;
        TransparentServer = config.TransparentTarget is { } target ? new ServerState(target, this, _servers.Length) : null;
        Balancer = TransparentServer is { } transparent ? new TransparentBalancer(transparent) : BalancerFactory.Create(config.Balance, this);
        NameBytes = System.Text.Encoding.Latin1.GetBytes(config.Name);
        SendsUniqueId = config.Servers.Any(s => (s.SendProxy.Options & ProxyV2Options.UniqueId) != 0);
    }

    /// <summary>A server's PROXY header carries the transaction's unique ID (`proxy-v2-options unique-id`).</summary>
    public bool SendsUniqueId { get; }

    public BackendConfig Config { get; }

    public string Name => Config.Name;

    /// <summary>The name encoded once, for `be_name`.</summary>
    public byte[] NameBytes { get; }

    /// <summary>The servers in configuration order (HAProxy's id order).</summary>
    public IReadOnlyList<ServerState> Servers => _servers;

    public IBalancer Balancer { get; }

    /// <summary>`option transparent`: the request's destination, where requests go when no server is chosen for them; null without it.</summary>
    public ServerState? TransparentServer { get; }

    /// <summary>Where the backend's events go (servers going up and down), as HAProxy's send_log; null without `log`.</summary>
    public Logging.LogSender? Log { get; }

    /// <summary>`use-server`, `force-persist` and `ignore-persist` rules; null when the backend has none.</summary>
    public ServerRules? ServerRules { get; }

    /// <summary>`cookie` persistence; null when the backend has none.</summary>
    public CookiePersistence? Cookie { get; }

    /// <summary>`stick` rules; null when the backend has none.</summary>
    public StickPersistence? Stick { get; }

    /// <summary>
    /// Held while a server of this backend changes state and its lines are written, so the counts a line gives are
    /// those right after its own change (HAProxy changes server states under one lock; two checks landing together
    /// must not both report the backend empty).
    /// </summary>
    public Lock StateChanges { get; } = new();

    /// <summary>The backend's queue and the lock of every queue of its servers.</summary>
    public BackendQueues Queues { get; }

    /// <summary>`fullconn` as built (never 0): the load at which servers with `minconn` reach their `maxconn`.</summary>
    public int FullConn { get; }

    /// <summary>The traffic counters the stats show.</summary>
    public TrafficCounters Counters { get; private set; } = new();

    /// <summary>
    /// At a reload, before any traffic: the counters of the backend of the same name in the running
    /// configuration (shared from then on), and for each server of the same name what
    /// <see cref="ServerState.CarryOver"/> keeps.
    /// </summary>
    internal void CarryOver(BackendState previous)
    {
        Counters = previous.Counters;
        Volatile.Write(ref _totalConnections, previous.TotalConnections);
        Volatile.Write(ref _connectFailures, previous.ConnectFailures);
        Volatile.Write(ref _retries, previous.Retries);
        Volatile.Write(ref _redispatches, previous.Redispatches);
        foreach (var server in _servers)
        {
            foreach (var before in previous.Servers)
            {
                if (before.Name == server.Name)
                {
                    server.CarryOver(before);
                    break;
                }
            }
        }
    }

    /// <summary>Changes whenever a server goes up or down or changes weight; balancers rebuild their tables on it.</summary>
    public int StateVersion => Volatile.Read(ref _stateVersion);

    public int CurrentConnections => Volatile.Read(ref _currentConnections);

    /// <summary>Transactions sent to this backend since start.</summary>
    public long TotalConnections => Interlocked.Read(ref _totalConnections);

    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    public long Retries => Interlocked.Read(ref _retries);

    public long Redispatches => Interlocked.Read(ref _redispatches);

    /// <summary>Number of active (non-backup) servers that can take traffic: HAProxy's `srv_act`.</summary>
    public int UsableActiveServers
    {
        get
        {
            var count = 0;
            foreach (var server in _servers)
            {
                if (!server.IsBackup && server.IsUsable)
                {
                    count++;
                }
            }

            return count;
        }
    }

    /// <summary>`nbsrv`: the usable active servers, or the usable backups when no active one is left.</summary>
    public int UsableServers
    {
        get
        {
            var active = UsableActiveServers;
            if (active > 0)
            {
                return active;
            }

            var backups = 0;
            foreach (var server in _servers)
            {
                if (server.IsBackup && server.IsUsable)
                {
                    backups++;
                }
            }

            return backups;
        }
    }

    /// <summary>`connslots`: connections and queue places the usable servers still have under their `maxconn` and `maxqueue`; -1 when one has no limit.</summary>
    public int FreeConnectionSlots
    {
        get
        {
            var free = 0;
            foreach (var server in _servers)
            {
                if (!server.IsUsable)
                {
                    continue;
                }

                // HAProxy's `connslots`: a server without a `maxconn` or a `maxqueue` has no bound, which it says with -1.
                if (server.MaxConn <= 0 || server.Config.MaxQueue <= 0)
                {
                    return -1;
                }

                free += server.MaxConn - server.CurrentConnections + server.Config.MaxQueue - server.Queue.Count;
            }

            return free;
        }
    }

    /// <summary>
    /// The servers the balancer may choose from now, in id order: the usable active servers, or when none is
    /// left the usable backups (all of them with `option allbackups`, else only the first one).
    /// Allocates: called only when <see cref="StateVersion"/> changed.
    /// </summary>
    public ServerState[] ComputeEligibleServers()
    {
        var active = new List<ServerState>(_servers.Length);
        foreach (var server in _servers)
        {
            if (!server.IsBackup && server.IsUsable)
            {
                active.Add(server);
            }
        }

        if (active.Count > 0)
        {
            return [.. active];
        }

        foreach (var server in _servers)
        {
            if (server.IsBackup && server.IsUsable)
            {
                active.Add(server);
                if (!Config.AllBackups)
                {
                    break;
                }
            }
        }

        return [.. active];
    }

    internal void OnServerStateChanged() => Interlocked.Increment(ref _stateVersion);

    internal void OnConnectionAcquired() => Counters.OnSessionCounted(Interlocked.Increment(ref _currentConnections), Environment.TickCount64);

    /// <summary>Counts one transaction sent to this backend, whether or not a server takes it (HAProxy's cum_sess).</summary>
    public void CountTransaction() => Interlocked.Increment(ref _totalConnections);

    internal void OnConnectionReleased() => Interlocked.Decrement(ref _currentConnections);

    internal void CountConnectFailure() => Interlocked.Increment(ref _connectFailures);

    internal void CountRetry() => Interlocked.Increment(ref _retries);

    internal void CountRedispatch() => Interlocked.Increment(ref _redispatches);
}
