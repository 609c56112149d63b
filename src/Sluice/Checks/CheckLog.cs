using System.Globalization;
using System.Text;
using Sluice.Backends;

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
        text.Append(CultureInfo.InvariantCulture, $" {server.CurrentConnections} sessions active, 0 requeued, 0 remaining in queue.");
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

    /// <summary>HAProxy's alert when the last server of a backend goes down ("proxy" for a listen section).</summary>
    public static string NoServerAvailable(BackendState backend) =>
        $"{(backend.Config.IsListen ? "proxy" : "backend")} '{backend.Name}' has no server available!";

    /// <summary>The same event as HAProxy sends it to log targets: the name without quotes.</summary>
    public static string NoServerAvailableForLog(BackendState backend) =>
        $"{(backend.Config.IsListen ? "proxy" : "backend")} {backend.Name} has no server available!";

    private static StringBuilder Start(ServerState server, BackendState backend, string state, CheckResult result)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Server {backend.Name}/{server.Name} is {state}, reason: {result.Description}");
        if (result.HasCode)
        {
            text.Append(CultureInfo.InvariantCulture, $", code: {result.Code}");
        }

        if (!string.IsNullOrEmpty(result.Info))
        {
            text.Append(", info: \"").Append(result.Info).Append('"');
        }

        text.Append(CultureInfo.InvariantCulture, $", check duration: {result.DurationMs}ms");
        return text;
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
