using System.Globalization;
using System.Net;
using System.Text;
using Sluice.Config.Model;

namespace Sluice.Backends;

/// <summary>
/// HAProxy's server state file, version 1: what `show servers state` prints and what `server-state-file` (with
/// `load-server-state-from-file`) reads back when a configuration starts, so that servers put in maintenance or
/// drain, reweighted or moved at run time stay so across a reload. The columns and the rules that apply them are
/// haproxy 2.6's (management.txt "show servers state", server_state.c).
/// </summary>
internal static class ServerStateFile
{
    public const char Version = '1';

    public const string ColumnHeader = "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port";

    // HAProxy's SRV_ADMF_* bits: forced (runtime API) and configured maintenance, forced drain.
    private const int ForcedMaint = 0x01;
    private const int ConfiguredMaint = 0x04;
    private const int ForcedDrain = 0x08;
    private const int ResolutionMaint = 0x20;
    private const int FqdnChanged = 0x40;

    // HAProxy's SRV_ST_*: the operational state.
    private const int Stopped = 0;
    private const int Running = 2;
    private const int Stopping = 3;

    // HAProxy's CHK_ST_* bits: check configured, enabled, paused by maintenance.
    private const int CheckConfigured = 0x02;
    private const int CheckEnabled = 0x04;
    private const int CheckPaused = 0x08;

    private const int MaxWeight = 256;

    /// <summary>The version line, the column header and one line per server of <paramref name="backends"/>.</summary>
    public static void Write(StringBuilder output, IEnumerable<BackendState> backends)
    {
        output.Append(Version).Append('\n').Append(ColumnHeader).Append('\n');
        var now = Environment.TickCount64;
        foreach (var backend in backends)
        {
            foreach (var server in backend.Servers)
            {
                WriteLine(output, backend, server, now);
            }
        }
    }

    private static void WriteLine(StringBuilder output, BackendState backend, ServerState server, long now)
    {
        var config = server.Config;
        var (address, port, fqdn) = server.Address is InetServerAddress inet
            ? (inet.Address.Equals(System.Net.IPAddress.Any) && (inet.Fqdn ?? config.SrvRecord) is not null ? "-" : inet.Address.ToString(), inet.Port, inet.Fqdn ?? "-")
            : (server.Address.Text, 0, "-");
        var maint = server.AdminState == ServerAdminState.Maint;
        var admin = server.AdminState switch
        {
            ServerAdminState.Maint when server.InResolutionMaint => ResolutionMaint,
            ServerAdminState.Maint => config.Disabled ? ForcedMaint | ConfiguredMaint : ForcedMaint,
            ServerAdminState.Drain => ForcedDrain,
            _ => 0,
        } | (server.FqdnChanged ? FqdnChanged : 0);
        var operational = maint || !server.IsUp ? Stopped : server.IsStopping ? Stopping : Running;
        var check = server.Counters.Check;
        var (checkStatus, checkResult) = check is not null ? (CheckStatusCode(check.Result.Status), check.Result.Passed ? 3 : 2)
            : server.RestoredCheck ?? (1, 0);
        var fullHealth = config.Check.Rise + config.Check.Fall - 1;
        var health = config.Check.Enabled
            ? check?.Health ?? (server.IsUp ? config.Check.Rise : 0)
            : operational == Stopped ? 0 : server.RestoredUp == true ? fullHealth : config.Check.Rise;
        var checkState = config.Check.Enabled
            ? CheckConfigured | CheckEnabled | (maint ? CheckPaused : 0)
            : maint && config.Disabled ? CheckPaused : 0;
        output.Append(string.Create(CultureInfo.InvariantCulture,
            $"{backend.Config.Id} {backend.Name} {config.Id} {server.Name} {address} {operational} {admin} {server.Weight} {server.InitialWeight} {(now - server.Counters.LastChangeMs) / 1000} {checkStatus} {checkResult} {health} {checkState} 0 0 0 {fqdn} {port} {config.SrvRecord ?? "-"} {(config.Tls is null ? 0 : 1)} {config.Check.Port} {(config.Check.Address?.ToString() ?? "-")} - 0\n"));
    }

    /// <summary>HAProxy's <c>HCHK_STATUS_*</c> numbers.</summary>
    private static int CheckStatusCode(Checks.CheckStatus status) => status switch
    {
        Checks.CheckStatus.HealthAnalyze => 4,
        Checks.CheckStatus.SocketError => 5,
        Checks.CheckStatus.L4Ok => 6,
        Checks.CheckStatus.L4Timeout => 7,
        Checks.CheckStatus.L4Connection => 8,
        Checks.CheckStatus.L6Ok => 9,
        Checks.CheckStatus.L6Timeout => 10,
        Checks.CheckStatus.L6Response => 11,
        Checks.CheckStatus.L7Timeout => 12,
        Checks.CheckStatus.L7Response => 13,
        Checks.CheckStatus.L7Ok => 15,
        Checks.CheckStatus.L7OkConditional => 16,
        _ => 17,
    };

    /// <summary>One server's line of a state file, the columns that are applied.</summary>
    internal sealed record SavedServer(string Address, int OperationalState, int AdminState,
        int UserWeight, int InitialWeight, long SecondsSinceChange, int CheckStatus, int CheckResult, int Port);

    /// <summary>
    /// The servers of a state file keyed by "backend/server"; null when the first line is not version 1. Lines too
    /// short or with a number that does not read are skipped, as HAProxy skips them.
    /// </summary>
    public static Dictionary<string, SavedServer>? Parse(string text)
    {
        var lines = text.Split('\n');
        if (lines.Length == 0 || lines[0].Trim() is not [Version])
        {
            return null;
        }

        var servers = new Dictionary<string, SavedServer>(StringComparer.Ordinal);
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 19
                || !Int(fields[5], out var operational) || !Int(fields[6], out var admin) || !Int(fields[7], out var userWeight)
                || !Int(fields[8], out var initialWeight) || !long.TryParse(fields[9], NumberStyles.None, CultureInfo.InvariantCulture, out var since)
                || !Int(fields[10], out var checkStatus) || !Int(fields[11], out var checkResult) || !Int(fields[18], out var port))
            {
                continue;
            }

            servers[fields[1] + "/" + fields[3]] = new SavedServer(fields[4], operational, admin, userWeight, initialWeight, since, checkStatus, checkResult, port);
        }

        return servers;
    }

    private static bool Int(string text, out int value) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    /// <summary>
    /// Applies the saved states to the servers of every backend with `load-server-state-from-file`, before checks
    /// start and traffic flows. A missing or unreadable file leaves the servers as configured, with HAProxy's warning.
    /// </summary>
    public static void Load(GlobalConfig global, IReadOnlyList<BackendState> backends, Action<string> warn)
    {
        Dictionary<string, SavedServer>? globalFile = null;
        var globalRead = false;
        foreach (var backend in backends)
        {
            Dictionary<string, SavedServer>? saved;
            switch (backend.Config.LoadServerState)
            {
                case ServerStateSource.Global:
                    if (!globalRead)
                    {
                        globalRead = true;
                        if (global.ServerStateFile is { } name)
                        {
                            var path = Resolve(global, name);
                            globalFile = Read(path, why => $"config: Can't open global server state file '{path}': {why}", $"config: Can't get version of the global server state file '{path}'.", warn);
                        }
                    }

                    if (global.ServerStateFile is null)
                    {
                        warn($"backend '{backend.Name}' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!");
                    }

                    saved = globalFile;
                    break;
                case ServerStateSource.Local:
                    var local = Resolve(global, backend.Config.ServerStateFileName ?? backend.Name);
                    saved = Read(local, why => $"Proxy '{backend.Name}': Can't open server state file '{local}': {why}.", $"Proxy '{backend.Name}': Can't get version of the server state file '{local}'.", warn);
                    break;
                default:
                    continue;
            }

            if (saved is null)
            {
                continue;
            }

            foreach (var server in backend.Servers)
            {
                if (saved.TryGetValue(backend.Name + "/" + server.Name, out var entry))
                {
                    Apply(backend, server, entry, warn);
                }
            }
        }
    }

    /// <summary>A file name as HAProxy reads it: absolute as is, else under `server-state-base` (or the current directory).</summary>
    internal static string Resolve(GlobalConfig global, string name) =>
        name.StartsWith('/') || global.ServerStateBase is not { Length: > 0 } directory ? name : Path.Combine(directory, name);

    /// <summary>The file's servers; null, after <paramref name="warn"/>, when it cannot be read or is not version 1.</summary>
    private static Dictionary<string, SavedServer>? Read(string path, Func<string, string> cannotOpen, string badVersion, Action<string> warn)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warn(cannotOpen(e is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory" : e.Message));
            return null;
        }

        var servers = Parse(text);
        if (servers is null)
        {
            warn(badVersion);
        }

        return servers;
    }

    /// <summary>
    /// HAProxy 2.6's rules: the configuration's `disabled` wins when it changed since the file was written, else
    /// the saved maintenance stands; a saved drain stands unless it only came from a configured weight of 0 that is
    /// no longer 0; the saved weight applies only if the configured one is unchanged; the saved port applies, and the
    /// saved address too for a server named by a host name. A checked server starts in its saved up or down state.
    /// </summary>
    private static void Apply(BackendState backend, ServerState server, SavedServer saved, Action<string> warn)
    {
        var configured = server.Config.Disabled;
        var savedConfigured = (saved.AdminState & ConfiguredMaint) != 0;
        var savedForced = (saved.AdminState & ForcedMaint) != 0;
        var maint = savedConfigured != configured ? configured : savedForced;

        var state = maint ? ServerAdminState.Maint : ServerAdminState.Ready;
        if (!maint && (saved.AdminState & ForcedDrain) != 0 && (saved.InitialWeight > 0 || server.InitialWeight == 0))
        {
            state = ServerAdminState.Drain;
            warn($"Server {backend.Name}/{server.Name} remains in forced drain mode.");
        }

        server.AdminState = state;
        if (saved.InitialWeight == server.InitialWeight && saved.UserWeight <= MaxWeight)
        {
            server.Weight = saved.UserWeight;
        }

        if (server.Address is InetServerAddress { PortIsOffset: false } inet)
        {
            // HAProxy's `init-addr last` (first in its default order) takes the saved address of a server named by a
            // host name only; the saved port applies to every server.
            var ip = inet.Fqdn is not null && IPAddress.TryParse(saved.Address, out var savedIp) ? savedIp : inet.Address;
            var port = saved.Port > 0 ? saved.Port : inet.Port;
            if (!ip.Equals(inet.Address) || port != inet.Port)
            {
                server.Address = inet with { Address = ip, Port = port, Text = Config.Parsing.AddressParser.FormatEndPoint(ip, port) };
            }
        }

        server.RestoredUp = saved.OperationalState != Stopped;
        server.RestoredCheck = (saved.CheckStatus, saved.CheckResult);
        server.Counters.RestoreLastChange(saved.SecondsSinceChange);
    }
}
