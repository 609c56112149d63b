using System.Globalization;
using System.Text;
using Sluice.Hosting;

namespace Sluice.Stats;

/// <summary>
/// The fields of `show info` in HAProxy 2.6's order and spelling, so that scripts reading them by name keep
/// working. Facts Sluice does not have (SSL caches, pipes, compression) are 0 as in a HAProxy that does not use them.
/// </summary>
internal static class ProcessInfo
{
    public static List<(string Name, string Value, string Type, string Description)> Collect(StatsHub hub)
    {
        var now = Environment.TickCount64;
        var uptime = hub.UptimeSeconds;
        var memory = GC.GetTotalMemory(forceFullCollection: false);
        var listeners = 0;
        foreach (var frontend in hub.Frontends)
        {
            listeners += frontend.Config.Binds.Count;
        }

        var accept = hub.Accept;
        var maxConn = hub.GlobalLimit?.Max ?? 0;
        var jobs = (hub.Sessions?.Invoke().Count ?? 0) + listeners;
        var fields = new List<(string, string, string, string)>
        {
            ("Name", "Sluice", "POS:str", "Product name"),
            ("Version", BuildInfo.Version, "POS:str", "Product version"),
            ("Release_date", BuildInfo.ReleaseDate, "POS:str", "Date of latest source code update"),
            ("Nbthread", N(hub.Global.NbThread > 0 ? hub.Global.NbThread : Environment.ProcessorCount), "CGS:u32", "Number of started threads (global.nbthread)"),
            ("Nbproc", "1", "CGS:u32", "Number of started worker processes (historical, always 1)"),
            ("Process_num", "1", "KGP:u32", "Relative worker process number (1)"),
            ("Pid", N(Environment.ProcessId), "SGP:u32", "This worker process identifier for the system"),
            ("Uptime", Uptime(uptime), "MDP:str", "How long ago this worker process was started (days+hours+minutes+seconds)"),
            ("Uptime_sec", N(uptime), "MDP:u32", "How long ago this worker process was started (seconds)"),
            ("Memmax_MB", "0", "CLP:u32", "Worker process's hard limit on memory usage in MB (-m on command line)"),
            ("PoolAlloc_MB", N(memory >> 20), "MGP:u32", "Amount of memory allocated in pools (in MB)"),
            ("PoolUsed_MB", N(memory >> 20), "MGP:u32", "Amount of pool memory currently used (in MB)"),
            ("PoolFailed", "0", "MCP:u32", "Number of failed pool allocations since this worker was started"),
            ("Ulimit-n", N(hub.Global.UlimitN ?? 0), "CGP:u32", "Hard limit on the number of per-process file descriptors"),
            ("Maxsock", N(hub.Global.UlimitN ?? 0), "CGP:u32", "Hard limit on the number of per-process sockets"),
            ("Maxconn", N(maxConn), "CGP:u32", "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)"),
            ("Hard_maxconn", N(hub.Global.MaxConn > 0 ? hub.Global.MaxConn : maxConn), "CGP:u32", "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)"),
            ("CurrConns", N(hub.CurrentConnections), "MGP:u32", "Current number of connections on this worker process"),
            ("CumConns", N(hub.TotalConnections), "MCP:u32", "Total number of connections on this worker process since started"),
            ("CumReq", N(hub.TotalRequests), "MCP:u32", "Total number of requests on this worker process since started"),
            ("MaxSslConns", N(accept.MaxSslConn), "CGP:u32", "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited"),
            ("CurrSslConns", N(accept.CurrentTlsConnections), "MGP:u32", "Current number of SSL endpoints on this worker process (front+back)"),
            ("CumSslConns", N(accept.TotalTlsConnections), "MCP:u32", "Total number of SSL endpoints on this worker process since started (front+back)"),
            ("Maxpipes", N(Transport.SplicePipes.Limit), "CGP:u32", "Hard limit on the number of pipes for splicing, 0=unlimited"),
            ("PipesUsed", N(Transport.SplicePipes.Used), "MGP:u32", "Current number of pipes in use in this worker process"),
            ("PipesFree", N(Transport.SplicePipes.FreeCount), "MGP:u32", "Current number of allocated and available pipes in this worker process"),
            ("ConnRate", N(accept.Connections.Read(now)), "MRP:u32", "Number of front connections created on this worker process over the last second"),
            ("ConnRateLimit", N(accept.MaxConnRate), "CLP:u32", "Hard limit for ConnRate (global.maxconnrate)"),
            ("MaxConnRate", N(accept.Connections.Max), "MMP:u32", "Highest ConnRate reached on this worker process since started (in connections per second)"),
            ("SessRate", N(accept.Sessions.Read(now)), "MRP:u32", "Number of sessions created on this worker process over the last second"),
            ("SessRateLimit", N(accept.MaxSessRate), "CLP:u32", "Hard limit for SessRate (global.maxsessrate)"),
            ("MaxSessRate", N(accept.Sessions.Max), "MMP:u32", "Highest SessRate reached on this worker process since started (in sessions per second)"),
            ("SslRate", N(accept.TlsConnections.Read(now)), "MRP:u32", "Number of SSL connections created on this worker process over the last second"),
            ("SslRateLimit", N(accept.MaxSslRate), "CLP:u32", "Hard limit for SslRate (global.maxsslrate)"),
            ("MaxSslRate", N(accept.TlsConnections.Max), "MMP:u32", "Highest SslRate reached on this worker process since started (in connections per second)"),
            ("SslFrontendKeyRate", "0", "MRP:u32", "Number of SSL keys created on frontends in this worker process over the last second"),
            ("SslFrontendMaxKeyRate", "0", "MMP:u32", "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)"),
            ("SslFrontendSessionReuse_pct", "0", "MRP:u32", "Percent of frontend SSL connections which did not require a new key"),
            ("SslBackendKeyRate", "0", "MRP:u32", "Number of SSL keys created on backends in this worker process over the last second"),
            ("SslBackendMaxKeyRate", "0", "MMP:u32", "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)"),
            ("SslCacheLookups", "0", "MCP:u32", "Total number of SSL session ID lookups in the SSL session cache on this worker since started"),
            ("SslCacheMisses", "0", "MCP:u32", "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started"),
            ("CompressBpsIn", "0", "MRP:u32", "Number of bytes submitted to the HTTP compressor in this worker process over the last second"),
            ("CompressBpsOut", "0", "MRP:u32", "Number of bytes emitted by the HTTP compressor in this worker process over the last second"),
            ("CompressBpsRateLim", "0", "CLP:u32", "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled"),
            ("Tasks", N(jobs), "MGP:u32", "Total number of tasks in the current worker process (active + sleeping)"),
            ("Run_queue", "0", "MGP:u32", "Total number of active tasks+tasklets in the current worker process"),
            ("Idle_pct", "100", "MRP:u32", "Percentage of last second spent waiting in the current worker thread"),
            ("node", hub.Global.Node ?? Environment.MachineName, "COS:str", "Node name (global.node)"),
        };

        if (hub.Global.Description is { } description)
        {
            fields.Add(("description", description, "COS:str", "Node description (global.description)"));
        }

        fields.AddRange(
        [
            ("Stopping", hub.Stopping ? "1" : "0", "SGP:u32", "1 if the worker process is currently stopping, otherwise zero"),
            ("Jobs", N(jobs), "MGP:u32", "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)"),
            ("Unstoppable Jobs", "0", "MGP:u32", "Current number of unstoppable jobs on the current worker process (master connections)"),
            ("Listeners", N(listeners), "MGP:u32", "Current number of active listeners on the current worker process"),
            ("ActivePeers", "0", "MGP:u32", "Current number of verified active peers connections on the current worker process"),
            ("ConnectedPeers", "0", "MGP:u32", "Current number of peers having passed the connection step on the current worker process"),
            ("DroppedLogs", "0", "MCP:u32", "Total number of dropped logs for current worker process since started"),
            ("BusyPolling", "0", "SGP:u32", "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)"),
            ("FailedResolutions", "0", "MCP:u32", "Total number of failed DNS resolutions in current worker process since started"),
            ("TotalBytesOut", N(hub.TotalBytesOut), "MCP:u64", "Total number of bytes emitted by current worker process since started"),
            ("TotalSplicdedBytesOut", "0", "MCP:u64", "Total number of bytes emitted by current worker process through a kernel pipe since started"),
            ("BytesOutRate", "0", "MRP:u64", "Number of bytes emitted by current worker process over the last second"),
            ("DebugCommandsIssued", "0", "MCP:u32", "Number of debug commands issued on this process (anything > 0 is unsafe)"),
            ("CumRecvLogs", "0", "MCP:u64", "Total number of log messages received by log-forwarding listeners on this worker process since started"),
            ("Build info", BuildInfo.Version, "COS:str", "Build info"),
            ("Memmax_bytes", "0", "CLP:u64", "Worker process's hard limit on memory usage in byes (-m on command line)"),
            ("PoolAlloc_bytes", N(memory), "MGP:u64", "Amount of memory allocated in pools (in bytes)"),
            ("PoolUsed_bytes", N(memory), "MGP:u64", "Amount of pool memory currently used (in bytes)"),
            ("Start_time_sec", N(hub.StartTime.ToUnixTimeSeconds()), "MGP:u32", "Start time in seconds"),
            ("Tainted", "0", "CGS:u32", "Experimental features used"),
        ]);
        return fields;
    }

    /// <summary>`show info [typed|json|desc]`.</summary>
    public static void Write(StatsHub hub, StringBuilder output, bool typed, bool json, bool desc)
    {
        var fields = Collect(hub);
        if (json)
        {
            output.Append('[');
            for (var i = 0; i < fields.Count; i++)
            {
                var (name, value, type, description) = fields[i];
                var kind = type[(type.IndexOf(':', StringComparison.Ordinal) + 1)..];
                output.Append(i == 0 ? string.Empty : ",").Append("{\"field\":{\"pos\":").Append(N(i)).Append(",\"name\":");
                StatsCsv.AppendJsonString(output, name);
                output.Append("},\"processNum\":1,\"tags\":{\"origin\":\"Metric\",\"nature\":\"Gauge\",\"scope\":\"Process\"},\"value\":{\"type\":\"").Append(kind).Append("\",\"value\":");
                if (kind == "str")
                {
                    StatsCsv.AppendJsonString(output, value);
                }
                else
                {
                    output.Append(value);
                }

                output.Append("}}");
            }

            output.Append("]\n");
            return;
        }

        for (var i = 0; i < fields.Count; i++)
        {
            var (name, value, type, description) = fields[i];
            if (typed)
            {
                output.Append(N(i)).Append('.').Append(name).Append(".1:").Append(type).Append(':').Append(value);
            }
            else
            {
                output.Append(name).Append(": ").Append(value);
            }

            if (desc)
            {
                output.Append(":\"").Append(description).Append('"');
            }

            output.Append('\n');
        }
    }

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Uptime(long seconds) => string.Create(CultureInfo.InvariantCulture,
        $"{seconds / 86400}d {seconds / 3600 % 24}h{seconds / 60 % 60:00}m{seconds % 60:00}s");
}
