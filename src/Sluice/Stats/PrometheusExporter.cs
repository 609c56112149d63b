using System.Globalization;
using System.Text;
using Sluice.Backends;
using Sluice.Config.Model;

namespace Sluice.Stats;

/// <summary>
/// The Prometheus text exposition (version 0.0.4) of the stats, with HAProxy 2.6's exporter names: families
/// `haproxy_process_*`, `haproxy_frontend_*`, `haproxy_backend_*`, `haproxy_server_*`, labels `proxy` and
/// `server`, state gauges with one sample per `state`. Sluice adds response-time histograms under its own prefix
/// (`sluice_backend_response_time_seconds`, `sluice_server_response_time_seconds`), which HAProxy does not have.
/// </summary>
internal static class PrometheusExporter
{
    public const string ContentType = "text/plain; version=0.0.4";

    private static readonly string[] StatusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];
    private static readonly string[] ServerStates = ["DOWN", "UP", "MAINT", "DRAIN", "NOLB"];
    private static readonly string[] CheckStates = ["HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP", "L7TOUT", "L7RSP", "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK"];

    /// <summary>Which families to write: HAProxy's `scope` query parameter (global, frontend, backend, server).</summary>
    [Flags]
    public enum Scopes
    {
        None = 0,
        Global = 1,
        Frontend = 2,
        Backend = 4,
        Server = 8,
        All = Global | Frontend | Backend | Server,
    }

    /// <summary>Reads `scope=...` (repeatable, `*` for all) and `no-maint` from the query string.</summary>
    public static (Scopes Scopes, bool NoMaint) ParseQuery(ReadOnlySpan<char> query)
    {
        var scopes = Scopes.None;
        var noMaint = false;
        var seen = false;
        foreach (var range in query.Split('&'))
        {
            var part = query[range];
            if (part.SequenceEqual("no-maint"))
            {
                noMaint = true;
                continue;
            }

            if (!part.StartsWith("scope="))
            {
                continue;
            }

            seen = true;
            scopes |= part[6..] switch
            {
                "*" => Scopes.All,
                "global" => Scopes.Global,
                "frontend" => Scopes.Frontend,
                "backend" => Scopes.Backend,
                "server" => Scopes.Server,
                _ => Scopes.None,
            };
        }

        return (seen ? scopes : Scopes.All, noMaint);
    }

    public static string Render(StatsHub hub, Scopes scopes = Scopes.All, bool noMaint = false)
    {
        var output = new StringBuilder(16384);
        var now = Environment.TickCount64;
        if ((scopes & Scopes.Global) != 0)
        {
            Process(output, hub, now);
        }

        if ((scopes & Scopes.Frontend) != 0)
        {
            Frontends(output, hub, now);
        }

        if ((scopes & Scopes.Backend) != 0)
        {
            Backends(output, hub, now);
        }

        if ((scopes & Scopes.Server) != 0)
        {
            Servers(output, hub, now, noMaint);
        }

        return output.ToString();
    }

    private static void Family(StringBuilder output, string name, string type, string help) =>
        output.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Sample(StringBuilder output, string name, string? labels, long value)
    {
        output.Append(name);
        if (labels is not null)
        {
            output.Append('{').Append(labels).Append('}');
        }

        output.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void Seconds(StringBuilder output, string name, string? labels, long milliseconds)
    {
        output.Append(name);
        if (labels is not null)
        {
            output.Append('{').Append(labels).Append('}');
        }

        output.Append(' ').Append((milliseconds / 1000.0).ToString("F6", CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>Escapes a label value: backslash, double quote and newline (exposition format).</summary>
    private static string Label(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static void Process(StringBuilder output, StatsHub hub, long now)
    {
        var info = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value, _, _) in ProcessInfo.Collect(hub))
        {
            info[name] = value;
        }

        long Info(string name) => long.TryParse(info.GetValueOrDefault(name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : 0;

        Family(output, "haproxy_process_nbthread", "gauge", "Number of started threads.");
        Sample(output, "haproxy_process_nbthread", null, Info("Nbthread"));
        Family(output, "haproxy_process_nbproc", "gauge", "Number of started worker processes (always 1).");
        Sample(output, "haproxy_process_nbproc", null, 1);
        Family(output, "haproxy_process_relative_process_id", "gauge", "Relative worker process number (1).");
        Sample(output, "haproxy_process_relative_process_id", null, 1);
        Family(output, "haproxy_process_uptime_seconds", "gauge", "Seconds since the process started.");
        Sample(output, "haproxy_process_uptime_seconds", null, hub.UptimeSeconds);
        Family(output, "haproxy_process_start_time_seconds", "gauge", "Start time of the process, in seconds since the epoch.");
        Sample(output, "haproxy_process_start_time_seconds", null, hub.StartTime.ToUnixTimeSeconds());
        Family(output, "haproxy_process_pool_allocated_bytes", "gauge", "Managed memory allocated by the process, in bytes.");
        Sample(output, "haproxy_process_pool_allocated_bytes", null, Info("PoolAlloc_bytes"));
        Family(output, "haproxy_process_pool_used_bytes", "gauge", "Managed memory in use by the process, in bytes.");
        Sample(output, "haproxy_process_pool_used_bytes", null, Info("PoolUsed_bytes"));
        Family(output, "haproxy_process_max_connections", "gauge", "Global connection limit (0 when none is set).");
        Sample(output, "haproxy_process_max_connections", null, Info("Maxconn"));
        Family(output, "haproxy_process_current_connections", "gauge", "Client connections open now.");
        Sample(output, "haproxy_process_current_connections", null, hub.CurrentConnections);
        Family(output, "haproxy_process_connections_total", "counter", "Client connections accepted since start.");
        Sample(output, "haproxy_process_connections_total", null, hub.TotalConnections);
        Family(output, "haproxy_process_requests_total", "counter", "HTTP requests received since start.");
        Sample(output, "haproxy_process_requests_total", null, hub.TotalRequests);
        Family(output, "haproxy_process_current_connection_rate", "gauge", "Client connections accepted over the last second.");
        Sample(output, "haproxy_process_current_connection_rate", null, Info("ConnRate"));
        Family(output, "haproxy_process_max_connection_rate", "gauge", "Highest connection rate seen since start.");
        Sample(output, "haproxy_process_max_connection_rate", null, Info("MaxConnRate"));
        Family(output, "haproxy_process_current_session_rate", "gauge", "Sessions started over the last second.");
        Sample(output, "haproxy_process_current_session_rate", null, Info("SessRate"));
        Family(output, "haproxy_process_max_session_rate", "gauge", "Highest session rate seen since start.");
        Sample(output, "haproxy_process_max_session_rate", null, Info("MaxSessRate"));
        Family(output, "haproxy_process_limit_connection_rate", "gauge", "Connection rate limit (maxconnrate), 0 when none.");
        Sample(output, "haproxy_process_limit_connection_rate", null, Info("ConnRateLimit"));
        Family(output, "haproxy_process_limit_session_rate", "gauge", "Session rate limit (maxsessrate), 0 when none.");
        Sample(output, "haproxy_process_limit_session_rate", null, Info("SessRateLimit"));
        Family(output, "haproxy_process_limit_ssl_rate", "gauge", "TLS connection rate limit (maxsslrate), 0 when none.");
        Sample(output, "haproxy_process_limit_ssl_rate", null, Info("SslRateLimit"));
        Family(output, "haproxy_process_max_ssl_connections", "gauge", "TLS client connection limit (maxsslconn), 0 when none.");
        Sample(output, "haproxy_process_max_ssl_connections", null, Info("MaxSslConns"));
        Family(output, "haproxy_process_current_ssl_connections", "gauge", "TLS client connections open now.");
        Sample(output, "haproxy_process_current_ssl_connections", null, Info("CurrSslConns"));
        Family(output, "haproxy_process_ssl_connections_total", "counter", "TLS client connections accepted since start.");
        Sample(output, "haproxy_process_ssl_connections_total", null, Info("CumSslConns"));
        Family(output, "haproxy_process_current_ssl_rate", "gauge", "TLS client connections accepted over the last second.");
        Sample(output, "haproxy_process_current_ssl_rate", null, Info("SslRate"));
        Family(output, "haproxy_process_max_ssl_rate", "gauge", "Highest TLS connection rate seen since start.");
        Sample(output, "haproxy_process_max_ssl_rate", null, Info("MaxSslRate"));
        Family(output, "haproxy_process_bytes_out_total", "counter", "Bytes sent to clients since start.");
        Sample(output, "haproxy_process_bytes_out_total", null, hub.TotalBytesOut);
        Family(output, "haproxy_process_listeners", "gauge", "Listening sockets.");
        Sample(output, "haproxy_process_listeners", null, Info("Listeners"));
        Family(output, "haproxy_process_jobs", "gauge", "Active jobs: client connections and listeners.");
        Sample(output, "haproxy_process_jobs", null, Info("Jobs"));
        Family(output, "haproxy_process_stopping", "gauge", "1 while the process is stopping.");
        Sample(output, "haproxy_process_stopping", null, 0);
        Family(output, "haproxy_process_build_info", "gauge", "Build information.");
        output.Append("haproxy_process_build_info{version=\"").Append(Label(Hosting.BuildInfo.Version)).Append("\"} 1\n");
    }

    private static void Frontends(StringBuilder output, StatsHub hub, long now)
    {
        var frontends = hub.Frontends;
        var labels = new string[frontends.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = string.Concat("proxy=\"", Label(frontends[i].Name), "\"");
        }

        void Each(string name, string type, string help, Func<FrontendStats, long> value)
        {
            Family(output, name, type, help);
            for (var i = 0; i < frontends.Count; i++)
            {
                Sample(output, name, labels[i], value(frontends[i]));
            }
        }

        Family(output, "haproxy_frontend_status", "gauge", "Current status of the frontend, one sample per state.");
        for (var i = 0; i < frontends.Count; i++)
        {
            var up = !frontends[i].Config.Disabled && !frontends[i].Paused;
            Sample(output, "haproxy_frontend_status", labels[i] + ",state=\"DOWN\"", up ? 0 : 1);
            Sample(output, "haproxy_frontend_status", labels[i] + ",state=\"UP\"", up ? 1 : 0);
        }

        Each("haproxy_frontend_current_sessions", "gauge", "Current sessions.", f => f.Counters.CurrentSessions);
        Each("haproxy_frontend_max_sessions", "gauge", "Highest number of current sessions seen.", f => f.Counters.MaxSessions);
        Each("haproxy_frontend_limit_sessions", "gauge", "Session limit (maxconn), 0 when none.", f => f.SessionLimit);
        Each("haproxy_frontend_sessions_total", "counter", "Sessions since start.", f => f.Counters.TotalSessions);
        Each("haproxy_frontend_max_session_rate", "gauge", "Highest sessions per second seen.", f => f.Counters.SessionRate.Max);
        Each("haproxy_frontend_limit_session_rate", "gauge", "Session rate limit (rate-limit sessions), 0 when none.", f => f.Config.SessionRateLimit);
        Each("haproxy_frontend_connections_rate_max", "gauge", "Highest connections per second seen.", f => f.Counters.ConnectionRate.Max);
        Each("haproxy_frontend_connections_total", "counter", "Connections accepted since start.", f => f.Counters.Connections);
        Each("haproxy_frontend_bytes_in_total", "counter", "Bytes received from clients.", f => f.Counters.BytesIn);
        Each("haproxy_frontend_bytes_out_total", "counter", "Bytes sent to clients.", f => f.Counters.BytesOut);
        Each("haproxy_frontend_requests_denied_total", "counter", "Requests denied by rules.", f => f.Counters.DeniedRequests);
        Each("haproxy_frontend_responses_denied_total", "counter", "Responses denied by rules.", f => f.Counters.DeniedResponses);
        Each("haproxy_frontend_request_errors_total", "counter", "Invalid requests.", f => f.Counters.RequestErrors);
        Each("haproxy_frontend_denied_connections_total", "counter", "Connections refused by tcp-request connection rules.", f => f.Counters.DeniedConnections);
        Each("haproxy_frontend_denied_sessions_total", "counter", "Sessions refused by tcp-request session rules.", f => f.Counters.DeniedSessions);
        Each("haproxy_frontend_internal_errors_total", "counter", "Internal errors.", f => f.Counters.InternalErrors);
        Each("haproxy_frontend_intercepted_requests_total", "counter", "Requests answered by the proxy itself (stats, monitor, exporter).", f => f.Counters.Intercepted);
        Each("haproxy_frontend_http_requests_rate_max", "gauge", "Highest HTTP requests per second seen.", f => f.Counters.RequestRate.Max);
        Each("haproxy_frontend_http_requests_total", "counter", "HTTP requests received.", f => f.Counters.Requests);
        Family(output, "haproxy_frontend_http_responses_total", "counter", "HTTP responses by status class.");
        for (var i = 0; i < frontends.Count; i++)
        {
            for (var c = 0; c < StatusClasses.Length; c++)
            {
                Sample(output, "haproxy_frontend_http_responses_total", string.Concat(labels[i], ",code=\"", StatusClasses[c], "\""), frontends[i].Counters.Responses(c));
            }
        }
    }

    private static void Backends(StringBuilder output, StatsHub hub, long now)
    {
        var backends = hub.Backends;
        var labels = new string[backends.Count];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = string.Concat("proxy=\"", Label(backends[i].Name), "\"");
        }

        void Each(string name, string type, string help, Func<BackendState, long> value)
        {
            Family(output, name, type, help);
            for (var i = 0; i < backends.Count; i++)
            {
                Sample(output, name, labels[i], value(backends[i]));
            }
        }

        void EachSeconds(string name, string help, Func<BackendState, long> milliseconds)
        {
            Family(output, name, "gauge", help);
            for (var i = 0; i < backends.Count; i++)
            {
                Seconds(output, name, labels[i], milliseconds(backends[i]));
            }
        }

        Family(output, "haproxy_backend_status", "gauge", "Current status of the backend, one sample per state.");
        for (var i = 0; i < backends.Count; i++)
        {
            var up = backends[i].Servers.Count == 0 || backends[i].UsableServers > 0;
            Sample(output, "haproxy_backend_status", labels[i] + ",state=\"DOWN\"", up ? 0 : 1);
            Sample(output, "haproxy_backend_status", labels[i] + ",state=\"UP\"", up ? 1 : 0);
        }

        Each("haproxy_backend_current_queue", "gauge", "Requests waiting for a server.", b => b.Queues.Shared.Count);
        Each("haproxy_backend_max_queue", "gauge", "Highest queue length seen.", b => b.Queues.Shared.MaxCount);
        Each("haproxy_backend_current_sessions", "gauge", "Current sessions.", b => b.CurrentConnections);
        Each("haproxy_backend_max_sessions", "gauge", "Highest number of current sessions seen.", b => b.Counters.MaxSessions);
        Each("haproxy_backend_sessions_total", "counter", "Sessions since start.", b => b.TotalConnections);
        Each("haproxy_backend_max_session_rate", "gauge", "Highest sessions per second seen.", b => b.Counters.SessionRate.Max);
        Each("haproxy_backend_last_session_seconds", "gauge", "Seconds since the last session, -1 for never.", b => b.Counters.LastSessionMs == 0 ? -1 : (now - b.Counters.LastSessionMs) / 1000);
        Each("haproxy_backend_bytes_in_total", "counter", "Bytes received from clients.", b => b.Counters.BytesIn);
        Each("haproxy_backend_bytes_out_total", "counter", "Bytes sent to clients.", b => b.Counters.BytesOut);
        Each("haproxy_backend_requests_denied_total", "counter", "Requests denied by rules.", b => b.Counters.DeniedRequests);
        Each("haproxy_backend_responses_denied_total", "counter", "Responses denied by rules.", b => b.Counters.DeniedResponses);
        Each("haproxy_backend_connection_errors_total", "counter", "Failed connections to servers.", b => b.ConnectFailures);
        Each("haproxy_backend_response_errors_total", "counter", "Invalid or failed responses.", b => b.Counters.ResponseErrors);
        Each("haproxy_backend_retry_warnings_total", "counter", "Retried connections.", b => b.Retries);
        Each("haproxy_backend_redispatch_warnings_total", "counter", "Requests redispatched to another server.", b => b.Redispatches);
        Each("haproxy_backend_internal_errors_total", "counter", "Internal errors.", b => b.Counters.InternalErrors);
        Each("haproxy_backend_client_aborts_total", "counter", "Transfers aborted by the client.", b => b.Counters.ClientAborts);
        Each("haproxy_backend_server_aborts_total", "counter", "Transfers aborted by the server.", b => b.Counters.ServerAborts);
        Each("haproxy_backend_weight", "gauge", "Sum of the usable servers' weights.", BackendWeight);
        Each("haproxy_backend_active_servers", "gauge", "Usable active servers.", b => b.UsableActiveServers);
        Each("haproxy_backend_backup_servers", "gauge", "Usable backup servers.", b => CountUsable(b, backup: true));
        Each("haproxy_backend_loadbalanced_total", "counter", "Times a server was picked.", b => b.TotalConnections);
        Each("haproxy_backend_http_requests_total", "counter", "HTTP requests.", b => b.Counters.Requests);
        Family(output, "haproxy_backend_http_responses_total", "counter", "HTTP responses by status class.");
        for (var i = 0; i < backends.Count; i++)
        {
            for (var c = 0; c < StatusClasses.Length; c++)
            {
                Sample(output, "haproxy_backend_http_responses_total", string.Concat(labels[i], ",code=\"", StatusClasses[c], "\""), backends[i].Counters.Responses(c));
            }
        }

        EachSeconds("haproxy_backend_queue_time_average_seconds", "Average queue time over the last 1024 requests.", b => b.Counters.QueueTimeAverageMs);
        EachSeconds("haproxy_backend_connect_time_average_seconds", "Average connect time over the last 1024 requests.", b => b.Counters.ConnectTimeAverageMs);
        EachSeconds("haproxy_backend_response_time_average_seconds", "Average response time over the last 1024 requests.", b => b.Counters.ResponseTimeAverageMs);
        EachSeconds("haproxy_backend_total_time_average_seconds", "Average total time over the last 1024 requests.", b => b.Counters.TotalTimeAverageMs);
        EachSeconds("haproxy_backend_max_queue_time_seconds", "Highest queue time seen.", b => b.Counters.QueueTimeMaxMs);
        EachSeconds("haproxy_backend_max_connect_time_seconds", "Highest connect time seen.", b => b.Counters.ConnectTimeMaxMs);
        EachSeconds("haproxy_backend_max_response_time_seconds", "Highest response time seen.", b => b.Counters.ResponseTimeMaxMs);
        EachSeconds("haproxy_backend_max_total_time_seconds", "Highest total time seen.", b => b.Counters.TotalTimeMaxMs);
        Family(output, "sluice_backend_response_time_seconds", "histogram", "Time from sending the request to receiving the response head (HAProxy's Tr).");
        for (var i = 0; i < backends.Count; i++)
        {
            Histogram(output, "sluice_backend_response_time_seconds", labels[i], backends[i].Counters);
        }
    }

    private static long BackendWeight(BackendState backend)
    {
        long weight = 0;
        foreach (var server in backend.Servers)
        {
            if (server.IsUsable && !server.IsBackup)
            {
                weight += server.Weight;
            }
        }

        return weight;
    }

    private static long CountUsable(BackendState backend, bool backup)
    {
        var count = 0;
        foreach (var server in backend.Servers)
        {
            if (server.IsUsable && server.IsBackup == backup)
            {
                count++;
            }
        }

        return count;
    }

    private static void Histogram(StringBuilder output, string name, string labels, TrafficCounters counters)
    {
        long cumulative = 0;
        var bounds = TrafficCounters.ResponseTimeBucketsMs;
        for (var b = 0; b < bounds.Length; b++)
        {
            cumulative += counters.ResponseTimeBucket(b);
            output.Append(name).Append("_bucket{").Append(labels).Append(",le=\"")
                .Append((bounds[b] / 1000.0).ToString("0.###", CultureInfo.InvariantCulture)).Append("\"} ")
                .Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        cumulative += counters.ResponseTimeBucket(bounds.Length);
        output.Append(name).Append("_bucket{").Append(labels).Append(",le=\"+Inf\"} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
        output.Append(name).Append("_sum{").Append(labels).Append("} ")
            .Append((counters.ResponseTimeSumMs / 1000.0).ToString("0.000", CultureInfo.InvariantCulture)).Append('\n');
        output.Append(name).Append("_count{").Append(labels).Append("} ").Append(cumulative.ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    private static void Servers(StringBuilder output, StatsHub hub, long now, bool noMaint)
    {
        var servers = new List<(BackendState Backend, ServerState Server, string Labels)>();
        foreach (var backend in hub.Backends)
        {
            foreach (var server in backend.Servers)
            {
                if (noMaint && server.AdminState == ServerAdminState.Maint)
                {
                    continue;
                }

                servers.Add((backend, server, string.Concat("proxy=\"", Label(backend.Name), "\",server=\"", Label(server.Name), "\"")));
            }
        }

        void Each(string name, string type, string help, Func<ServerState, long> value)
        {
            Family(output, name, type, help);
            foreach (var (_, server, labels) in servers)
            {
                Sample(output, name, labels, value(server));
            }
        }

        void EachSeconds(string name, string help, Func<ServerState, long> milliseconds)
        {
            Family(output, name, "gauge", help);
            foreach (var (_, server, labels) in servers)
            {
                Seconds(output, name, labels, milliseconds(server));
            }
        }

        Family(output, "haproxy_server_status", "gauge", "Current status of the server, one sample per state.");
        foreach (var (_, server, labels) in servers)
        {
            var state = server.AdminState switch
            {
                ServerAdminState.Maint => "MAINT",
                ServerAdminState.Drain when server.IsUp => "DRAIN",
                _ => server.IsUp ? "UP" : "DOWN",
            };
            foreach (var candidate in ServerStates)
            {
                Sample(output, "haproxy_server_status", string.Concat(labels, ",state=\"", candidate, "\""), candidate == state ? 1 : 0);
            }
        }

        Each("haproxy_server_current_queue", "gauge", "Requests waiting for this server.", s => s.Queue.Count);
        Each("haproxy_server_max_queue", "gauge", "Highest queue length seen.", s => s.Queue.MaxCount);
        Each("haproxy_server_current_sessions", "gauge", "Current sessions.", s => s.CurrentConnections);
        Each("haproxy_server_max_sessions", "gauge", "Highest number of current sessions seen.", s => s.Counters.MaxSessions);
        Each("haproxy_server_limit_sessions", "gauge", "Session limit (maxconn), 0 when none.", s => s.MaxConn);
        Each("haproxy_server_sessions_total", "counter", "Sessions since start.", s => s.TotalConnections);
        Each("haproxy_server_max_session_rate", "gauge", "Highest sessions per second seen.", s => s.Counters.SessionRate.Max);
        Each("haproxy_server_last_session_seconds", "gauge", "Seconds since the last session, -1 for never.", s => s.Counters.LastSessionMs == 0 ? -1 : (now - s.Counters.LastSessionMs) / 1000);
        Each("haproxy_server_bytes_in_total", "counter", "Bytes received from clients.", s => s.Counters.BytesIn);
        Each("haproxy_server_bytes_out_total", "counter", "Bytes sent to clients.", s => s.Counters.BytesOut);
        Each("haproxy_server_responses_denied_total", "counter", "Responses denied by rules.", s => s.Counters.DeniedResponses);
        Each("haproxy_server_connection_errors_total", "counter", "Failed connections.", s => s.ConnectFailures);
        Each("haproxy_server_response_errors_total", "counter", "Invalid or failed responses.", s => s.Counters.ResponseErrors);
        Each("haproxy_server_retry_warnings_total", "counter", "Retried connections.", s => s.Retries);
        Each("haproxy_server_redispatch_warnings_total", "counter", "Requests redispatched away from this server.", s => s.Redispatches);
        Each("haproxy_server_internal_errors_total", "counter", "Internal errors.", s => s.Counters.InternalErrors);
        Each("haproxy_server_client_aborts_total", "counter", "Transfers aborted by the client.", s => s.Counters.ClientAborts);
        Each("haproxy_server_server_aborts_total", "counter", "Transfers aborted by the server.", s => s.Counters.ServerAborts);
        Each("haproxy_server_weight", "gauge", "Effective weight.", s => s.AdminState == ServerAdminState.Ready ? s.EffectiveWeight : 0);
        Each("haproxy_server_uweight", "gauge", "Weight set by configuration or the runtime API.", s => s.Weight);
        Each("haproxy_server_check_failures_total", "counter", "Failed checks while up.", s => s.Counters.CheckFailures);
        Each("haproxy_server_check_up_down_total", "counter", "Transitions from UP to DOWN.", s => s.Counters.CheckDowns);
        Each("haproxy_server_check_last_change_seconds", "gauge", "Seconds since the last change of state.", s => (now - s.Counters.LastChangeMs) / 1000);
        Each("haproxy_server_downtime_seconds_total", "counter", "Seconds spent DOWN.", s => s.Counters.DowntimeMs(now) / 1000);
        Each("haproxy_server_loadbalanced_total", "counter", "Times this server was picked.", s => s.TotalConnections);
        Family(output, "haproxy_server_http_responses_total", "counter", "HTTP responses by status class.");
        foreach (var (_, server, labels) in servers)
        {
            for (var c = 0; c < StatusClasses.Length; c++)
            {
                Sample(output, "haproxy_server_http_responses_total", string.Concat(labels, ",code=\"", StatusClasses[c], "\""), server.Counters.Responses(c));
            }
        }

        EachSeconds("haproxy_server_queue_time_average_seconds", "Average queue time over the last 1024 requests.", s => s.Counters.QueueTimeAverageMs);
        EachSeconds("haproxy_server_connect_time_average_seconds", "Average connect time over the last 1024 requests.", s => s.Counters.ConnectTimeAverageMs);
        EachSeconds("haproxy_server_response_time_average_seconds", "Average response time over the last 1024 requests.", s => s.Counters.ResponseTimeAverageMs);
        EachSeconds("haproxy_server_total_time_average_seconds", "Average total time over the last 1024 requests.", s => s.Counters.TotalTimeAverageMs);
        EachSeconds("haproxy_server_max_response_time_seconds", "Highest response time seen.", s => s.Counters.ResponseTimeMaxMs);
        Family(output, "haproxy_server_check_status", "gauge", "Status of the last check, one sample per state.");
        foreach (var (_, server, labels) in servers)
        {
            if (!server.Config.Check.Enabled)
            {
                continue;
            }

            var current = server.Counters.Check is { } check ? StatsRows.CheckStatusName(check.Result.Status) : null;
            foreach (var state in CheckStates)
            {
                Sample(output, "haproxy_server_check_status", string.Concat(labels, ",state=\"", state, "\""), state == current ? 1 : 0);
            }
        }

        Family(output, "haproxy_server_check_code", "gauge", "Layer 7 code of the last check (0 when none).");
        foreach (var (_, server, labels) in servers)
        {
            if (server.Config.Check.Enabled)
            {
                Sample(output, "haproxy_server_check_code", labels, server.Counters.Check is { Result.HasCode: true } check ? check.Result.Code : 0);
            }
        }

        Family(output, "haproxy_server_check_duration_seconds", "gauge", "Duration of the last check.");
        foreach (var (_, server, labels) in servers)
        {
            if (server.Config.Check.Enabled)
            {
                Seconds(output, "haproxy_server_check_duration_seconds", labels, server.Counters.Check?.Result.DurationMs ?? 0);
            }
        }

        Family(output, "sluice_server_response_time_seconds", "histogram", "Time from sending the request to receiving the response head (HAProxy's Tr).");
        foreach (var (_, server, labels) in servers)
        {
            Histogram(output, "sluice_server_response_time_seconds", labels, server.Counters);
        }
    }
}
