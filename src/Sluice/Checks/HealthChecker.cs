using System.Net;
using Sluice.Backends;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Protocols.ProxyProtocol;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Checks;

/// <summary>
/// Checks one server. It owns no timer: the heartbeat calls <see cref="OnHeartbeat"/> on every tick, which starts
/// the check when it is due and cancels it when its deadline has passed. One check runs at a time; its result
/// feeds the rise/fall counter, and a change of state sets <see cref="ServerState.IsUp"/> (balancers then skip
/// or take the server again) and is logged as HAProxy logs it.
/// </summary>
internal sealed class HealthChecker : IHeartbeatTarget
{
    private readonly ServerState _server;
    private readonly BackendState _backend;
    private readonly Heartbeat _heartbeat;
    private readonly TextWriter _log;
    private readonly CheckProbe _probe;
    private readonly ServerCheckConfig _config;
    private readonly TimeSpan? _timeoutCheck;
    private readonly TimeSpan _connectTimeout;
    private long _dueMs;
    private long _deadlineMs = long.MaxValue;
    private int _running;
    private volatile bool _stopped;
    private CancellationTokenSource? _cancel;

    /// <summary>The status of the previous check (none before the first), for `option log-health-checks`.</summary>
    private CheckStatus? _lastStatus;
    private bool _agentDown;

    /// <summary>The global `node` name (the host's name by default), for `http-check send-state`.</summary>
    private readonly string _node;

    /// <summary>`spread-checks`: how far, in percent, each interval may move either way.</summary>
    private readonly int _spreadPercent;

    /// <summary>`observe`: errors seen in the traffic since the last success.</summary>
    private int _consecutiveErrors;

    /// <summary>The sessions in flight, for `on-marked-down shutdown-sessions` and `on-marked-up shutdown-backup-sessions`.</summary>
    private readonly Func<IReadOnlyList<Transactions.ISession>>? _sessions;

    public HealthChecker(ServerState server, BackendState backend, Heartbeat heartbeat, TextWriter log, long firstDueMs,
        Func<IReadOnlyList<Transactions.ISession>>? sessions = null, GlobalConfig? global = null)
    {
        _server = server;
        _backend = backend;
        _heartbeat = heartbeat;
        _log = log;
        _sessions = sessions;
        _config = server.Config.Check;
        _dueMs = firstDueMs;
        State = new HealthState(_config.Rise, _config.Fall);
        // configuration.txt, "check-ssl": checks of an `ssl` server inherit TLS unless `port` or `addr` sends them
        // elsewhere; `check-ssl` forces it, `no-check-ssl` turns it off.
        var tls = server.Config.Tls is { } connector && (connector.Settings.CheckSsl ?? (connector.Settings.Enabled && _config.Port == 0 && _config.Address is null)) ? connector.ForChecks : null;
        // configuration.txt, "check-send-proxy": checks speak the PROXY protocol when the traffic does, unless `port`
        // or `addr` sends them elsewhere; `check-send-proxy` forces it, in the traffic's version (v1 without one).
        // The connection is the proxy's own: v1 names the check connection's addresses, v2 is a LOCAL command.
        var sendProxy = server.Config.SendProxy;
        Func<System.Net.Sockets.Socket, byte[]>? proxyHeader = null;
        if (_config.SendProxy || (sendProxy.Enabled && _config.Port == 0 && _config.Address is null))
        {
            var local = sendProxy.V2 ? ProxyHeaderWriter.WriteV2(ProxyCommand.Local, null, null, [], (sendProxy.Options & ProxyV2Options.Crc32c) != 0) : null;
            proxyHeader = local is null ? CheckProbe.ProxyHeaderV1 : _ => local;
        }

        _probe = new CheckProbe(() => ResolveEndPoint(server), backend.Config.HealthCheck, tls, proxyHeader, server.Config.Tls?.ForChecks,
            server.Source is { } source ? (source, server.SourcePorts) : null, _config.ViaSocks4 ? server.Config.Socks4 : null)
        {
            StateHeader = backend.Config.HealthCheck.SendState ? ServerStateHeader : null,
            // configuration.txt, "check-proto": without it, the server's `proto` is the checks' one.
            Proto = _config.Proto ?? server.Config.Proto,
        };
        _node = global?.Node ?? Environment.MachineName;
        _spreadPercent = global?.SpreadChecks ?? 0;

        // configuration.txt, "timeout check": with it, the connection gets min("timeout connect", "inter") and the
        // answer "timeout check"; without it, "inter" covers the whole check.
        var timeouts = backend.Config.Timeouts;
        _timeoutCheck = timeouts.Check is { } check && check > TimeSpan.Zero ? check : null;
        _connectTimeout = _timeoutCheck is not null && timeouts.Connect is { } connect && connect > TimeSpan.Zero && connect < _config.Inter
            ? connect
            : _config.Inter;
    }

    public HealthState State { get; }

    public ServerState Server => _server;

    public string BackendName => _backend.Name;

    /// <summary>Where checks connect: the server's address, with `addr` and `port` replacing its parts.</summary>
    internal static EndPoint ResolveEndPoint(ServerState server)
    {
        var check = server.Config.Check;
        var endPoint = ServerConnector.ResolveEndPoint(server.Address, null);
        if (endPoint is IPEndPoint ip)
        {
            return new IPEndPoint(check.Address ?? ip.Address, check.Port > 0 ? check.Port : ip.Port);
        }

        return endPoint;
    }

    public void OnHeartbeat(long nowMs)
    {
        if (_stopped)
        {
            return;
        }

        _server.OnSlowStartTick();

        if (Volatile.Read(ref _running) == 0)
        {
            if (nowMs >= Volatile.Read(ref _dueMs))
            {
                Volatile.Write(ref _running, 1);
                // A check may complete (and log) without waiting, e.g. a refused unix socket: not on the heartbeat thread.
                _ = Task.Run(RunAsync);
            }

            return;
        }

        if (nowMs >= Volatile.Read(ref _deadlineMs))
        {
            Volatile.Write(ref _deadlineMs, long.MaxValue);
            var cancel = Volatile.Read(ref _cancel);
            if (cancel is not null)
            {
                // Cancelling runs the socket's callbacks; keep the heartbeat thread out of them.
                ThreadPool.UnsafeQueueUserWorkItem(static c => c.Cancel(), cancel, preferLocal: false);
            }
        }
    }

    /// <summary>Stops checking: no new check starts and the one in flight is cancelled.</summary>
    public void Stop()
    {
        _stopped = true;
        Volatile.Read(ref _cancel)?.Cancel();
    }

    private async Task RunAsync()
    {
        using var cancel = new CancellationTokenSource();
        Volatile.Write(ref _cancel, cancel);
        // The connect timeout runs from when the check really starts: a busy thread pool may start it late.
        var startMs = _heartbeat.Refresh();
        Volatile.Write(ref _deadlineMs, startMs + (long)_connectTimeout.TotalMilliseconds);
        CheckResult result;
        try
        {
            result = await _probe.RunAsync(OnConnected, cancel.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException or IOException)
        {
            result = new CheckResult(CheckStatus.L4Connection, Info: ex.Message);
        }

        Volatile.Write(ref _cancel, null);
        var nowMs = _heartbeat.Refresh();
        if (_stopped)
        {
            return;
        }

        if (_backend.Config.HealthCheck.DisableOn404 && result.Status is CheckStatus.L7Ok or CheckStatus.L7Status)
        {
            // HAProxy 2.6 with disable-on-404: a 404 wins over `http-check expect`, and its results carry no reason phrase.
            result = result.Code == 404 ? new CheckResult(CheckStatus.L7OkConditional, 404) : result.Status == CheckStatus.L7Ok ? result with { Info = null } : result;
        }

        Apply(result with { DurationMs = Math.Max(0, nowMs - startMs) });
        Volatile.Write(ref _dueMs, nowMs + Spread((long)State.NextInterval(_config).TotalMilliseconds));
        Volatile.Write(ref _deadlineMs, long.MaxValue);
        Volatile.Write(ref _running, 0);

        void OnConnected()
        {
            if (_timeoutCheck is { } timeout)
            {
                Volatile.Write(ref _deadlineMs, _heartbeat.Refresh() + (long)timeout.TotalMilliseconds);
            }
        }
    }

    /// <summary>
    /// `observe`: one outcome of the traffic to the server. A success clears the count of errors; `error-limit`
    /// errors in a row apply `on-error` and bring the next check forward to `fastinter` (HAProxy's __health_adjust).
    /// Called by transactions: a success costs a read, an error an atomic increment.
    /// </summary>
    public void Observe(ObservedOutcome outcome)
    {
        switch (outcome.IsError(_config.Observe))
        {
            case null:
                return;
            case false:
                if (Volatile.Read(ref _consecutiveErrors) != 0)
                {
                    Volatile.Write(ref _consecutiveErrors, 0);
                }

                return;
        }

        var errors = Interlocked.Increment(ref _consecutiveErrors);
        if (errors != _config.ErrorLimit)
        {
            return;
        }

        Volatile.Write(ref _consecutiveErrors, 0);
        _server.Counters.RecordHealthAnalyzeFailure();
        if (_config.OnError != ObserveErrorAction.FastInter)
        {
            Apply(new CheckResult(CheckStatus.HealthAnalyze, Info: $"Detected {errors} consecutive errors, last one was: {outcome.Description()}", DurationMs: -1), _config.OnError);
        }

        if (_config.FastInter is { } fastInter)
        {
            var due = _heartbeat.Refresh() + (long)fastInter.TotalMilliseconds;
            long current;
            while (due < (current = Volatile.Read(ref _dueMs)) && Interlocked.CompareExchange(ref _dueMs, due, current) != current)
            {
            }
        }
    }

    /// <summary>HAProxy's `spread-checks`: the interval moved by a random amount of up to the percentage either way.</summary>
    private long Spread(long intervalMs)
    {
        var range = intervalMs * _spreadPercent / 100;
        return range > 0 ? intervalMs - range + Random.Shared.NextInt64(2 * range + 1) : intervalMs;
    }

    /// <summary>
    /// Counts one result (or, with <paramref name="analyze"/>, the `on-error` action of `observe`); on a change of
    /// state updates the server and logs it.
    /// </summary>
    internal void Apply(CheckResult result, ObserveErrorAction? analyze = null)
    {
        lock (_backend.StateChanges)
        lock (State)
        {
            var wasUp = IsUp;
            var wasHealthy = State.IsUp;
            if (analyze is { } action)
            {
                State.ReportAnalyzeFailure(action);
            }
            else if (result.Status != CheckStatus.L7OkConditional || wasUp)
            {
                // A server that is down stays down on 404s (configuration.txt, "http-check disable-on-404").
                State.Report(result.Passed);
            }

            _server.Counters.RecordCheck(result, wasHealthy, State.Health, State.Rise, State.Fall);
            if (_backend.Config.LogHealthChecks && (result.Status != _lastStatus || IsUp != wasUp))
            {
                CheckLog.Write(_backend, _log, DiagnosticSeverity.Warning, CheckLog.HealthCheckResult(_server, _backend, result, State), Logging.LogSender.LevelNotice);
            }

            _lastStatus = result.Status;
            if (IsUp != wasUp)
            {
                _server.IsStopping = false;
                Publish(result);
            }
            else if (IsUp && result.Passed && (result.Status == CheckStatus.L7OkConditional) != _server.IsStopping)
            {
                // `disable-on-404`: a 404 puts an up server in soft stop, a pass takes it out again.
                _server.IsStopping = result.Status == CheckStatus.L7OkConditional;
                CheckLog.Write(_backend, _log, DiagnosticSeverity.Warning,
                    _server.IsStopping ? CheckLog.ServerStopping(_server, _backend, result) : CheckLog.ServerUp(_server, _backend, result), Logging.LogSender.LevelNotice);
                if (!_server.IsStopping)
                {
                    _backend.Queues.OnServerUp();
                }
                else if (!HasUsableServer())
                {
                    CheckLog.Write(_backend, _log, DiagnosticSeverity.Alert, CheckLog.NoServerAvailable(_backend), Logging.LogSender.LevelEmerg, CheckLog.NoServerAvailableForLog(_backend));
                }
            }
        }
    }

    /// <summary>
    /// An agent's health word: "up" makes the health full, "down", "stopped" and "fail" set it to 0 (HAProxy's
    /// <c>check.health</c>) and keep the server down, whatever the checks say, until the agent says "up".
    /// </summary>
    internal void ApplyAgent(bool up, CheckResult result)
    {
        lock (_backend.StateChanges)
        lock (State)
        {
            var wasUp = IsUp;
            _agentDown = !up;
            State.Force(up);
            if (IsUp != wasUp)
            {
                Publish(result);
            }
        }
    }

    /// <summary>
    /// `http-check send-state`: HAProxy's httpchk_build_status_header, e.g. `UP; address=127.0.0.1; port=8080;
    /// name=be/s1; node=host; weight=1/2; scur=0/1; qcur=0`, with `; throttle=N%` during `slowstart`.
    /// </summary>
    private string ServerStateHeader()
    {
        int health, rise, fall;
        lock (State)
        {
            (health, rise, fall) = (State.Health, State.Rise, State.Fall);
        }

        var up = _server.IsUp;
        var state = up
            ? health == rise + fall - 1 ? "UP" : $"UP {health - rise + 1}/{fall}"
            : health > 0 ? $"DOWN {health}/{rise}" : "DOWN";
        var (address, port) = ServerConnector.ResolveEndPoint(_server.Address, null) is IPEndPoint ip
            ? (ip.Address.ToString(), ip.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            : (string.Empty, string.Empty);
        var (activeWeight, backupWeight) = (0, 0);
        foreach (var server in _backend.Servers)
        {
            if (server.IsUsable)
            {
                if (server.IsBackup)
                {
                    backupWeight += server.EffectiveWeight;
                }
                else
                {
                    activeWeight += server.EffectiveWeight;
                }
            }
        }

        var text = string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{state}; address={address}; port={port}; name={_backend.Name}/{_server.Name}; node={_node}; weight={_server.EffectiveWeight}/{(activeWeight > 0 ? activeWeight : backupWeight)}; scur={_server.CurrentConnections}/{_backend.CurrentConnections}; qcur={_server.Queue.Count}");
        return _server.SlowStartPercent is { } percent ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{text}; throttle={percent}%") : text;
    }

    private bool HasUsableServer()
    {
        foreach (var server in _backend.Servers)
        {
            if (server.IsUsable)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Up by the checks and not held down by the agent.</summary>
    private bool IsUp => State.IsUp && !_agentDown;

    private void Publish(CheckResult result)
    {
        _server.IsUp = IsUp;
        if (!IsUp && _config.ShutdownSessionsOnDown)
        {
            ShutdownStreams(_server, Transactions.TerminationCause.Down);
        }
        else if (IsUp && _config.ShutdownBackupSessionsOnUp && !_server.IsBackup)
        {
            foreach (var server in _backend.Servers)
            {
                if (server.IsBackup)
                {
                    ShutdownStreams(server, Transactions.TerminationCause.Up);
                }
            }
        }

        CheckLog.WriteStateChange(_server, _backend, result, _log);
    }

    /// <summary>HAProxy's srv_shutdown_streams: what the sessions in flight carry to <paramref name="server"/> ends, logged with <paramref name="cause"/>.</summary>
    private void ShutdownStreams(ServerState server, Transactions.TerminationCause cause)
    {
        foreach (var session in _sessions?.Invoke() ?? [])
        {
            session.ShutdownStreamsOn(server, cause);
        }
    }
}
