using System.Globalization;
using Sluice.Backends;
using Sluice.Checks;
using Sluice.Config.Model;
using F = Sluice.Stats.StatField;

namespace Sluice.Stats;

/// <summary>The kinds of stats rows, with HAProxy's `type` column values.</summary>
internal enum StatObjectType
{
    Frontend = 0,
    Backend = 1,
    Server = 2,
    /// <summary>A listener of a frontend with `option socket-stats` (HAProxy's "socket" rows).</summary>
    Listener = 3,
}

/// <summary>One row of stats: its kind, the proxy and server ids (for filters and typed output) and its values.</summary>
internal sealed class StatRow(StatObjectType type, int proxyId, int serverId, string?[] values)
{
    public StatObjectType Type { get; } = type;

    public int ProxyId { get; } = proxyId;

    public int ServerId { get; } = serverId;

    /// <summary>One value per <see cref="StatField"/> column; null or empty prints nothing.</summary>
    public string?[] Values { get; } = values;

    public string? this[int field] => Values[field];
}

/// <summary>
/// Builds the stats rows of every proxy and server from the live counters, as HAProxy's <c>stats_fill_*_stats</c>
/// do: frontends, then each backend's servers and the backend itself, in proxy id order. Runs per stats request;
/// it allocates, which the hot path never sees.
/// </summary>
internal static class StatsRows
{
    /// <param name="withLegends">Adds what HAProxy shows only to the CLI or with `stats show-legends`: addresses and algorithms.</param>
    /// <param name="scope">`stats scope`: the proxy names to show; null for all.</param>
    public static List<StatRow> Build(StatsHub hub, bool withLegends, IReadOnlyCollection<string>? scope = null)
    {
        var now = Environment.TickCount64;
        var proxies = new List<(int Id, string Name, FrontendStats? Frontend, BackendState? Backend)>();
        foreach (var frontend in hub.Frontends)
        {
            proxies.Add((frontend.Config.Id, frontend.Name, frontend, null));
        }

        foreach (var backend in hub.Backends)
        {
            var index = proxies.FindIndex(p => p.Name == backend.Name && p.Backend is null);
            if (index >= 0)
            {
                proxies[index] = proxies[index] with { Backend = backend };
            }
            else
            {
                proxies.Add((backend.Config.Id, backend.Name, null, backend));
            }
        }

        proxies.Sort((a, b) => a.Id.CompareTo(b.Id));
        var rows = new List<StatRow>();
        foreach (var proxy in proxies)
        {
            if (scope is not null && scope.Count > 0 && !scope.Contains(proxy.Name))
            {
                continue;
            }

            if (proxy.Frontend is { } frontend)
            {
                rows.Add(Frontend(frontend, now));
                foreach (var listener in frontend.Listeners)
                {
                    rows.Add(Listener(frontend, listener, withLegends));
                }
            }

            if (proxy.Backend is { } backend)
            {
                foreach (var server in backend.Servers)
                {
                    rows.Add(Server(backend, server, now, withLegends));
                }

                rows.Add(Backend(backend, now, withLegends));
            }
        }

        return rows;
    }

    private static string?[] NewValues(string?[] tags)
    {
        // Every column HAProxy fills for this kind starts at 0 (numbers) or empty (strings); the rest stay null.
        var values = new string?[F.Count];
        for (var i = 0; i < values.Length; i++)
        {
            if (tags[i] is { } tag)
            {
                values[i] = tag.EndsWith(":str", StringComparison.Ordinal) ? string.Empty : "0";
            }
        }

        values[F.ModuleSeparator] = "-";
        return values;
    }

    /// <summary>Columns HAProxy never fills for this kind of row stay empty, whatever was computed.</summary>
    private static string?[] Mask(string?[] values, string?[] tags)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (tags[i] is null && i != F.ModuleSeparator)
            {
                values[i] = null;
            }
        }

        return values;
    }

    private static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Mode(ProxyMode mode) => mode == ProxyMode.Http ? "http" : "tcp";

    private static void Traffic(string?[] v, TrafficCounters c, long now, bool http)
    {
        v[F.Bin] = Num(c.BytesIn);
        v[F.Bout] = Num(c.BytesOut);
        v[F.Dresp] = Num(c.DeniedResponses);
        v[F.Rate] = Num(c.SessionRate.Read(now));
        v[F.RateMax] = Num(c.SessionRate.Max);
        v[F.Eint] = Num(c.InternalErrors);
        if (http)
        {
            v[F.Hrsp1xx] = Num(c.Responses(0));
            v[F.Hrsp2xx] = Num(c.Responses(1));
            v[F.Hrsp3xx] = Num(c.Responses(2));
            v[F.Hrsp4xx] = Num(c.Responses(3));
            v[F.Hrsp5xx] = Num(c.Responses(4));
            v[F.HrspOther] = Num(c.Responses(5));
        }
        else
        {
            v[F.Hrsp1xx] = v[F.Hrsp2xx] = v[F.Hrsp3xx] = v[F.Hrsp4xx] = v[F.Hrsp5xx] = v[F.HrspOther] = null;
        }
    }

    private static void Times(string?[] v, TrafficCounters c, long now)
    {
        var last = c.LastSessionMs;
        v[F.Lastsess] = last == 0 ? "-1" : Num((now - last) / 1000);
        v[F.Qtime] = Num(c.QueueTimeAverageMs);
        v[F.Ctime] = Num(c.ConnectTimeAverageMs);
        v[F.Rtime] = Num(c.ResponseTimeAverageMs);
        v[F.Ttime] = Num(c.TotalTimeAverageMs);
        v[F.QtimeMax] = Num(c.QueueTimeMaxMs);
        v[F.CtimeMax] = Num(c.ConnectTimeMaxMs);
        v[F.RtimeMax] = Num(c.ResponseTimeMaxMs);
        v[F.TtimeMax] = Num(c.TotalTimeMaxMs);
        v[F.CliAbrt] = Num(c.ClientAborts);
        v[F.SrvAbrt] = Num(c.ServerAborts);
        v[F.Eresp] = Num(c.ResponseErrors);
    }

    private static StatRow Frontend(FrontendStats frontend, long now)
    {
        var c = frontend.Counters;
        var config = frontend.Config;
        var v = NewValues(F.FrontendTags);
        var http = config.Mode == ProxyMode.Http;
        v[F.Pxname] = config.Name;
        v[F.Svname] = "FRONTEND";
        v[F.Scur] = Num(c.CurrentSessions);
        v[F.Smax] = Num(c.MaxSessions);
        v[F.Slim] = frontend.SessionLimit > 0 ? Num(frontend.SessionLimit) : string.Empty;
        v[F.Stot] = Num(c.TotalSessions);
        v[F.Dreq] = Num(c.DeniedRequests);
        v[F.Ereq] = Num(c.RequestErrors);
        v[F.Status] = FrontendStatus(frontend);
        v[F.Pid] = "1";
        v[F.Iid] = Num(config.Id);
        v[F.Sid] = "0";
        v[F.Type] = "0";
        Traffic(v, c, now, http);
        v[F.ReqRate] = http ? Num(c.RequestRate.Read(now)) : null;
        v[F.ReqRateMax] = http ? Num(c.RequestRate.Max) : null;
        v[F.ReqTot] = http ? Num(c.Requests) : null;
        v[F.Mode] = Mode(config.Mode);
        v[F.RateLim] = Num(config.SessionRateLimit);
        v[F.ConnRate] = Num(c.ConnectionRate.Read(now));
        v[F.ConnRateMax] = Num(c.ConnectionRate.Max);
        v[F.ConnTot] = Num(c.Connections);
        v[F.Intercepted] = Num(c.Intercepted);
        v[F.Dcon] = Num(c.DeniedConnections);
        v[F.Dses] = Num(c.DeniedSessions);
        TlsHandshakes(v, c);
        return new StatRow(StatObjectType.Frontend, config.Id, 0, Mask(v, F.FrontendTags));
    }

    /// <summary>`STOP`, `PAUSED` or `OPEN`: the frontend's, and its listeners'.</summary>
    private static string FrontendStatus(FrontendStats frontend) => frontend.Config.Disabled ? "STOP" : frontend.Paused ? "PAUSED" : "OPEN";

    /// <summary>A listener's row, with the columns HAProxy 2.6 fills for one (its address only with the legends).</summary>
    private static StatRow Listener(FrontendStats frontend, ListenerStats listener, bool withLegends)
    {
        var c = listener.Counters;
        var config = frontend.Config;
        var v = NewValues(F.ListenerTags);
        v[F.Pxname] = config.Name;
        v[F.Svname] = listener.Name;
        v[F.Scur] = Num(c.CurrentSessions);
        v[F.Smax] = Num(c.MaxSessions);
        v[F.Slim] = Num(listener.MaxConn);
        v[F.Stot] = Num(c.TotalSessions);
        v[F.Bin] = Num(c.BytesIn);
        v[F.Bout] = Num(c.BytesOut);
        v[F.Dreq] = Num(c.DeniedRequests);
        v[F.Dresp] = Num(c.DeniedResponses);
        v[F.Ereq] = Num(c.RequestErrors);
        v[F.Status] = FrontendStatus(frontend);
        v[F.Pid] = "1";
        v[F.Iid] = Num(config.Id);
        v[F.Sid] = Num(listener.Id);
        v[F.Type] = "3";
        v[F.Addr] = withLegends ? listener.Address : string.Empty;
        v[F.Mode] = Mode(config.Mode);
        v[F.Dcon] = Num(c.DeniedConnections);
        v[F.Dses] = Num(c.DeniedSessions);
        v[F.Eint] = Num(c.InternalErrors);
        TlsHandshakes(v, c);
        return new StatRow(StatObjectType.Listener, config.Id, listener.Id, Mask(v, F.ListenerTags));
    }

    /// <summary>The ssl module's columns: new sessions, resumed ones, failed handshakes.</summary>
    private static void TlsHandshakes(string?[] v, TrafficCounters c)
    {
        v[F.SslSess] = Num(c.TlsNewSessions);
        v[F.SslReusedSess] = Num(c.TlsResumedSessions);
        v[F.SslFailedHandshake] = Num(c.TlsFailedHandshakes);
    }

    private static StatRow Backend(BackendState backend, long now, bool withLegends)
    {
        var c = backend.Counters;
        var config = backend.Config;
        var v = NewValues(F.BackendTags);
        var http = config.Mode == ProxyMode.Http;
        v[F.Pxname] = config.Name;
        v[F.Svname] = "BACKEND";
        v[F.Qcur] = Num(backend.Queues.Shared.Count);
        v[F.Qmax] = Num(backend.Queues.Shared.MaxCount);
        v[F.Scur] = Num(backend.CurrentConnections);
        v[F.Smax] = Num(c.MaxSessions);
        v[F.Slim] = string.Empty;
        v[F.Stot] = Num(backend.TotalConnections);
        v[F.Dreq] = Num(c.DeniedRequests);
        v[F.Econ] = Num(backend.ConnectFailures);
        v[F.Wretr] = Num(backend.Retries);
        v[F.Wredis] = Num(backend.Redispatches);
        int active = 0, backup = 0, weight = 0, userWeight = 0, down = 0;
        long lastChange = 0;
        foreach (var server in backend.Servers)
        {
            lastChange = Math.Max(lastChange, server.Counters.LastChangeMs);
            if (!server.IsUsable)
            {
                down++;
                continue;
            }

            if (server.IsBackup)
            {
                backup++;
            }
            else
            {
                active++;
                weight += server.EffectiveWeight;
                userWeight += server.Weight;
            }
        }

        if (active == 0)
        {
            foreach (var server in backend.Servers)
            {
                if (server.IsBackup && server.IsUsable)
                {
                    weight += server.EffectiveWeight;
                    userWeight += server.Weight;
                }
            }
        }

        var up = backend.Servers.Count == 0 || weight > 0;
        v[F.Status] = config.Disabled ? "STOP" : up ? "UP" : "DOWN";
        v[F.Weight] = Num(weight);
        v[F.Uweight] = Num(userWeight);
        v[F.Act] = Num(active);
        v[F.Bck] = Num(backup);
        v[F.Chkdown] = "0";
        v[F.Lastchg] = Num((now - (lastChange == 0 ? now : lastChange)) / 1000);
        v[F.Downtime] = "0";
        v[F.Pid] = "1";
        v[F.Iid] = Num(config.Id);
        v[F.Sid] = "0";
        v[F.Lbtot] = Num(backend.TotalConnections);
        v[F.Type] = "1";
        Traffic(v, c, now, http);
        Times(v, c, now);
        v[F.ReqTot] = http ? Num(c.Requests) : null;
        v[F.Mode] = Mode(config.Mode);
        v[F.Algo] = withLegends ? Algorithm(config.Balance.Algorithm) : string.Empty;
        v[F.AggServerStatus] = down > 0 && active + backup == 0 ? "1" : "0";
        TlsHandshakes(v, c);
        return new StatRow(StatObjectType.Backend, config.Id, 0, Mask(v, F.BackendTags));
    }

    /// <summary>The `algo` column as HAProxy 2.6's backend_lb_algo_str words it: it has no name for `random`.</summary>
    private static string Algorithm(BalanceAlgorithm algorithm) => algorithm switch
    {
        BalanceAlgorithm.RoundRobin => "roundrobin",
        BalanceAlgorithm.StaticRoundRobin => "static-rr",
        BalanceAlgorithm.LeastConn => "leastconn",
        BalanceAlgorithm.First => "first",
        BalanceAlgorithm.Source => "source",
        BalanceAlgorithm.Uri => "uri",
        BalanceAlgorithm.UrlParam => "url_param",
        BalanceAlgorithm.Header => "hdr",
        BalanceAlgorithm.Hash => "hash",
        BalanceAlgorithm.RdpCookie => "rdp-cookie",
        _ => "unknown",
    };

    /// <summary>The `status` column of a server, as HAProxy words it ("UP 1/3" while going down, "no check", ...).</summary>
    public static string ServerStatus(ServerState server)
    {
        switch (server.AdminState)
        {
            case ServerAdminState.Maint:
                return server.InResolutionMaint ? "MAINT (resolution)" : "MAINT";
            case ServerAdminState.Drain when server.IsUp:
                return "DRAIN";
        }

        if (!server.Config.Check.Enabled)
        {
            return server.IsUp ? "no check" : "DOWN";
        }

        var check = server.Counters.Check;
        if (check is null)
        {
            return server.IsUp ? "UP" : "DOWN";
        }

        var full = check.Rise + check.Fall - 1;
        if (server.IsUp && server.IsStopping)
        {
            return check.Health >= full ? "NOLB" : string.Create(CultureInfo.InvariantCulture, $"NOLB {check.Health - check.Rise + 1}/{check.Fall}");
        }

        if (server.IsUp)
        {
            return check.Health >= full ? "UP" : string.Create(CultureInfo.InvariantCulture, $"UP {check.Health - check.Rise + 1}/{check.Fall}");
        }

        return check.Health == 0 ? "DOWN" : string.Create(CultureInfo.InvariantCulture, $"DOWN {check.Health}/{check.Rise}");
    }

    /// <summary>HAProxy's short check status names (<c>get_check_status_info</c>).</summary>
    public static string CheckStatusName(CheckStatus status) => status switch
    {
        CheckStatus.SocketError => "SOCKERR",
        CheckStatus.L4Ok => "L4OK",
        CheckStatus.L4Timeout => "L4TOUT",
        CheckStatus.L4Connection => "L4CON",
        CheckStatus.L6Ok => "L6OK",
        CheckStatus.L6Timeout => "L6TOUT",
        CheckStatus.L6Response => "L6RSP",
        CheckStatus.L7Timeout => "L7TOUT",
        CheckStatus.L7Response => "L7RSP",
        CheckStatus.L7Ok => "L7OK",
        CheckStatus.HealthAnalyze => "HANA",
        CheckStatus.L7OkConditional => "L7OKC",
        _ => "L7STS",
    };

    private static StatRow Server(BackendState backend, ServerState server, long now, bool withLegends)
    {
        var c = server.Counters;
        var config = server.Config;
        var v = NewValues(F.ServerTags);
        var http = backend.Config.Mode == ProxyMode.Http;
        v[F.Pxname] = backend.Name;
        v[F.Svname] = server.Name;
        v[F.Qcur] = Num(server.Queue.Count);
        v[F.Qmax] = Num(server.Queue.MaxCount);
        v[F.Qlimit] = config.MaxQueue > 0 ? Num(config.MaxQueue) : string.Empty;
        v[F.Scur] = Num(server.CurrentConnections);
        v[F.Smax] = Num(c.MaxSessions);
        v[F.Slim] = server.MaxConn > 0 ? Num(server.MaxConn) : string.Empty;
        v[F.Stot] = Num(server.TotalConnections);
        v[F.Econ] = Num(server.ConnectFailures);
        v[F.Wretr] = Num(server.Retries);
        v[F.Wredis] = Num(server.Redispatches);
        v[F.Status] = ServerStatus(server);
        v[F.Weight] = Num(server.AdminState == ServerAdminState.Ready ? server.EffectiveWeight : 0);
        v[F.Uweight] = Num(server.Weight);
        v[F.Act] = server.IsBackup ? "0" : "1";
        v[F.Bck] = server.IsBackup ? "1" : "0";
        v[F.Lastchg] = Num((now - c.LastChangeMs) / 1000);
        v[F.Pid] = "1";
        v[F.Iid] = Num(backend.Config.Id);
        v[F.Sid] = Num(config.Id);
        v[F.Lbtot] = Num(server.TotalConnections);
        v[F.Type] = "2";
        Traffic(v, c, now, http);
        Times(v, c, now);
        v[F.ReqTot] = http ? Num(c.Responses(0) + c.Responses(1) + c.Responses(2) + c.Responses(3) + c.Responses(4) + c.Responses(5)) : null;
        v[F.Mode] = Mode(backend.Config.Mode);
        v[F.Addr] = withLegends ? server.Address.Text : string.Empty;
        v[F.NeedConnEst] = "0";
        if (config.Check.Enabled)
        {
            v[F.Chkfail] = Num(c.CheckFailures);
            v[F.Chkdown] = Num(c.CheckDowns);
            v[F.Hanafail] = config.Check.Observe != Config.Model.ObserveMode.None ? Num(c.HealthAnalyzeFailures) : null;
            v[F.Downtime] = Num(c.DowntimeMs(now) / 1000);
            v[F.CheckRise] = Num(config.Check.Rise);
            v[F.CheckFall] = Num(config.Check.Fall);
            if (c.Check is { } check)
            {
                var result = check.Result;
                v[F.CheckStatus] = CheckStatusName(result.Status);
                v[F.CheckCode] = result.HasCode ? Num(result.Code) : string.Empty;
                v[F.CheckDuration] = result.DurationMs >= 0 ? Num(result.DurationMs) : string.Empty;
                v[F.LastChk] = result.Info ?? (result.HasCode ? Num(result.Code) : string.Empty);
                v[F.CheckDesc] = result.Description;
                v[F.CheckHealth] = Num(check.Health);
            }
            else
            {
                v[F.CheckStatus] = v[F.CheckCode] = v[F.CheckDuration] = v[F.LastChk] = v[F.CheckDesc] = string.Empty;
                v[F.CheckHealth] = Num(config.Check.Rise);
            }
        }
        else
        {
            v[F.Chkfail] = v[F.Chkdown] = v[F.Downtime] = v[F.CheckStatus] = v[F.CheckCode] = v[F.CheckDuration] = null;
            v[F.LastChk] = v[F.CheckDesc] = v[F.CheckRise] = v[F.CheckFall] = v[F.CheckHealth] = null;
        }

        TlsHandshakes(v, c);
        return new StatRow(StatObjectType.Server, backend.Config.Id, config.Id, Mask(v, F.ServerTags));
    }
}
