using System.Globalization;
using System.Text;
using Sluice.Backends;
using Sluice.Config.Diagnostics;
using Sluice.Logging;

namespace Sluice.Checks;

/// <summary>
/// The messages HAProxy prints when a check changes a server's state (server.c <c>srv_append_status</c>,
/// check.c <c>check_reason_string</c>), word for word; the label is Sluice's run-time form (no pid).
/// </summary>
internal static class CheckLog
{
    public static string ServerDown(ServerState server, BackendState backend, CheckResult result)
    {
        var text = Start(server, backend, "DOWN", result);
        var (active, backup) = Counts(backend);
        text.Append(CultureInfo.InvariantCulture, $". {active} active and {backup} backup servers left.");
        text.Append(backup > 0 && active == 0 ? " Running on backup." : string.Empty);
        text.Append(CultureInfo.InvariantCulture, $" {server.CurrentConnections} sessions active, {server.RequeuedAtDown} requeued, {server.Queue.Count} remaining in queue.");
        return text.ToString();
    }

    public static string ServerUp(ServerState server, BackendState backend, CheckResult result)
    {
        var text = Start(server, backend, "UP", result);
        var (active, backup) = Counts(backend);
        text.Append(CultureInfo.InvariantCulture, $". {active} active and {backup} backup servers online.");
        text.Append(backup > 0 && active == 0 ? " Running on backup." : string.Empty);
        text.Append(" 0 sessions requeued, 0 total in queue.");
        return text.ToString();
    }

    /// <summary>`track`: HAProxy's line when a tracking server follows the server it tracks.</summary>
    public static string ServerVia(ServerState server, BackendState backend, ServerState tracked, BackendState trackedBackend)
    {
        var (active, backup) = Counts(backend);
        var via = $"Server {backend.Name}/{server.Name} is {(server.IsUp ? "UP" : "DOWN")} via {trackedBackend.Name}/{tracked.Name}. {active} active and {backup} backup servers";
        return server.IsUp
            ? $"{via} online.{(backup > 0 && active == 0 ? " Running on backup." : string.Empty)} 0 sessions requeued, 0 total in queue."
            : $"{via} left.{(backup > 0 && active == 0 ? " Running on backup." : string.Empty)} {server.CurrentConnections} sessions active, {server.RequeuedAtDown} requeued, {server.Queue.Count} remaining in queue.";
    }

    /// <summary>`http-check disable-on-404`: HAProxy's line when a server enters soft stop (srv_set_stopping).</summary>
    public static string ServerStopping(ServerState server, BackendState backend, CheckResult result)
    {
        var text = Start(server, backend, "stopping", result);
        var (active, backup) = Counts(backend);
        text.Append(CultureInfo.InvariantCulture, $". {active} active and {backup} backup servers online.");
        text.Append(backup > 0 && active == 0 ? " Running on backup." : string.Empty);
        text.Append(" 0 sessions requeued, 0 total in queue.");
        return text.ToString();
    }

    /// <summary>HAProxy's alert when the last server of a backend goes down ("proxy" for a listen section).</summary>
    public static string NoServerAvailable(BackendState backend) =>
        $"{(backend.Config.IsListen ? "proxy" : "backend")} '{backend.Name}' has no server available!";

    /// <summary>The same event as HAProxy sends it to log targets: the name without quotes.</summary>
    public static string NoServerAvailableForLog(BackendState backend) =>
        $"{(backend.Config.IsListen ? "proxy" : "backend")} {backend.Name} has no server available!";

    /// <summary>HAProxy's line when a server enters drain (by an agent or the runtime API).</summary>
    public static string EntersDrain(ServerState server, BackendState backend)
    {
        var (active, backup) = Counts(backend);
        return $"Server {backend.Name}/{server.Name} enters drain state. {active} active and {backup} backup servers online. 0 sessions requeued, 0 total in queue.";
    }

    /// <summary>HAProxy's line when a server enters maintenance, with the cause when one is given (`DNS NX status`).</summary>
    public static string GoingDownForMaintenance(ServerState server, BackendState backend, string? cause = null)
    {
        var (active, backup) = Counts(backend);
        var because = cause is null ? string.Empty : $" ({cause})";
        return $"Server {backend.Name}/{server.Name} is going DOWN for maintenance{because}. {active} active and {backup} backup servers left. {server.CurrentConnections} sessions active, {server.RequeuedAtDown} requeued, {server.Queue.Count} remaining in queue.";
    }

    /// <summary>HAProxy's line when a server leaves drain or maintenance for ready.</summary>
    public static string LeavesAdminState(ServerState server, BackendState backend, ServerAdminState left) =>
        left == ServerAdminState.Drain
            ? $"Server {backend.Name}/{server.Name} is UP (leaving forced drain)."
            : $"Server {backend.Name}/{server.Name} is UP/READY (leaving forced maintenance).";

    /// <summary>
    /// Logs a check's change of a server's state: on stderr as HAProxy prints it, and to the backend's log targets
    /// (DOWN at alert, UP at notice, no server available at emerg).
    /// </summary>
    public static void WriteStateChange(ServerState server, BackendState backend, CheckResult result, TextWriter log)
    {
        if (server.IsUp)
        {
            Write(backend, log, DiagnosticSeverity.Warning, ServerUp(server, backend, result), LogSender.LevelNotice);
        }
        else
        {
            Write(backend, log, DiagnosticSeverity.Warning, ServerDown(server, backend, result), LogSender.LevelAlert);
            WriteIfNoServerLeft(backend, log);
        }

        PropagateToTrackers(server, backend, log);
    }

    /// <summary>`track`: the servers tracking <paramref name="server"/> take its state, each with its line, and so on down.</summary>
    private static void PropagateToTrackers(ServerState server, BackendState backend, TextWriter log)
    {
        foreach (var tracker in server.Trackers)
        {
            if (tracker.IsUp == server.IsUp)
            {
                continue;
            }

            tracker.IsUp = server.IsUp;
            var trackerBackend = tracker.Backend;
            Write(trackerBackend, log, DiagnosticSeverity.Warning, ServerVia(tracker, trackerBackend, server, backend), server.IsUp ? LogSender.LevelNotice : LogSender.LevelAlert);
            if (!tracker.IsUp)
            {
                WriteIfNoServerLeft(trackerBackend, log);
            }

            PropagateToTrackers(tracker, trackerBackend, log);
        }
    }

    /// <summary>
    /// On stderr as HAProxy prints it, and to the backend's log targets at <paramref name="syslogLevel"/> as it sends
    /// it (<paramref name="logMessage"/> where its wording differs).
    /// </summary>
    public static void Write(BackendState backend, TextWriter log, DiagnosticSeverity severity, string message, int syslogLevel, string? logMessage = null)
    {
        backend.Log?.EmitText(syslogLevel, logMessage ?? message);
        lock (log)
        {
            log.WriteLine(AlertFormatter.Format(new ConfigDiagnostic(severity, message)));
            log.Flush();
        }
    }

    /// <summary>HAProxy's alert once the last usable server of <paramref name="backend"/> has left.</summary>
    public static void WriteIfNoServerLeft(BackendState backend, TextWriter log)
    {
        if (!HasUsableServer(backend))
        {
            Write(backend, log, DiagnosticSeverity.Alert, NoServerAvailable(backend), LogSender.LevelEmerg, NoServerAvailableForLog(backend));
        }
    }

    private static bool HasUsableServer(BackendState backend)
    {
        foreach (var server in backend.Servers)
        {
            if (server.IsUsable)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// `option log-health-checks`: HAProxy's line for a check whose status differs from the previous one, with the
    /// health counter as it stands (`status: N/M UP|DRAIN|DOWN`).
    /// </summary>
    public static string HealthCheckResult(ServerState server, BackendState backend, CheckResult result, HealthState state)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Health check for {(server.IsBackup ? "backup " : string.Empty)}server {backend.Name}/{server.Name} {(result.Passed ? "succeeded" : "failed")}");
        AppendStatus(text, result);
        var up = state.Health >= state.Rise;
        text.Append(CultureInfo.InvariantCulture, $", status: {(up ? state.Health - state.Rise + 1 : state.Health)}/{(up ? state.Fall : state.Rise)} {(up ? (server.Weight == 0 ? "DRAIN" : "UP") : "DOWN")}.");
        return text.ToString();
    }

    private static StringBuilder Start(ServerState server, BackendState backend, string state, CheckResult result)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Server {backend.Name}/{server.Name} is {state}");
        AppendStatus(text, result);
        return text;
    }

    /// <summary>HAProxy's <c>srv_append_status</c>: reason, code, info and duration of a check.</summary>
    private static void AppendStatus(StringBuilder text, CheckResult result)
    {
        text.Append(", reason: ").Append(result.Description);
        if (result.HasCode)
        {
            text.Append(CultureInfo.InvariantCulture, $", code: {result.Code}");
        }

        if (!string.IsNullOrEmpty(result.Info))
        {
            text.Append(", info: \"").Append(result.Info).Append('"');
        }

        if (result.DurationMs >= 0)
        {
            text.Append(CultureInfo.InvariantCulture, $", check duration: {result.DurationMs}ms");
        }
    }

    /// <summary>HAProxy's <c>srv_act</c> and <c>srv_bck</c>: the servers that can take traffic, after the change.</summary>
    private static (int Active, int Backup) Counts(BackendState backend)
    {
        var (active, backup) = (0, 0);
        foreach (var server in backend.Servers)
        {
            if (server.IsUsable)
            {
                if (server.IsBackup)
                {
                    backup++;
                }
                else
                {
                    active++;
                }
            }
        }

        return (active, backup);
    }
}
