using System.Globalization;
using System.Text;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Stats;

namespace Sluice.RuntimeApi;

/// <summary>
/// What the master CLI sees of the process. Sluice's master and workers are one process: the worker is the running
/// configuration, the old workers are the configurations a reload replaced that still finish their connections.
/// </summary>
internal interface IMasterProcess
{
    DateTime StartedUtc { get; }

    /// <summary>Reloads asked for since the start, the failed ones included.</summary>
    int Reloads { get; }

    int FailedReloads { get; }

    bool LastReloadFailed { get; }

    /// <summary>The running configuration first, then the replaced ones that still run.</summary>
    IReadOnlyList<WorkerView> Workers();

    /// <summary>Reads the configuration again and starts it; returns whether it runs and the messages of the attempt.</summary>
    (bool Success, string Messages) Reload();
}

/// <summary>One configuration that runs: its statistics, when it started, and how many reloads it outlived.</summary>
internal sealed record WorkerView(StatsHub Hub, DateTime StartedUtc, int Reloads);

/// <summary>
/// HAProxy's master CLI (management.txt §9.4), bound by `-S` in master-worker mode. Its own commands are
/// `show proc`, `reload`, `show version`, `show cli level`, `operator`, `user`, `help`, `prompt` and `quit`; a
/// command prefixed by `@1` or `@!PID` (or every command after `@1` alone, until `@`) goes to the running
/// configuration's runtime API, at the session's level. `@` and `@master` name the master. Since the worker is this
/// very process, `@!PID` takes the process's own id.
/// </summary>
internal static class MasterCli
{
    private static readonly CliCommand[] Table =
    [
        new(["@!<pid>"], "@!<pid>", "send a command to the <pid> process", CliLevel.User, static (_, _) => { }),
        new(["@<relative pid>"], "@<relative pid>", "send a command to the <relative pid> process", CliLevel.User, static (_, _) => { }),
        new(["@master"], "@master", "send a command to the master process", CliLevel.User, static (_, _) => { }),
        CliCommands.Named("operator"),
        new(["reload"], "reload", "reload the configuration", CliLevel.Operator, Reload),
        CliCommands.Named("show", "cli", "level"),
        new(["show", "proc"], "show proc", "show processes status", CliLevel.User, ShowProc),
        CliCommands.Named("show", "version"),
        CliCommands.Named("user"),
        new(["help"], "help [<command>]", "list matching or all commands", CliLevel.User, static (r, o) => CliCommands.WriteHelp(r, o, Table!)),
        CliCommands.Named("prompt"),
        CliCommands.Named("quit"),
    ];

    private static readonly string[][] NotSupported =
    [
        ["show", "cli", "sockets"], ["show", "startup-logs"], ["expert-mode"], ["experimental-mode"], ["mcli-debug-mode"],
    ];

    /// <summary>Opens the `-S` sockets; null after an alert, as HAProxy's "Some protocols failed to start their listeners".</summary>
    public static CliServer? Start(IReadOnlyList<StatsSocketConfig> sockets, IMasterProcess process, GlobalConfig global, DiagnosticBag diagnostics) =>
        CliServer.Start(sockets, global.StatsMaxConn, "Binding [master-socket:0] for proxy MASTER", diagnostics,
            (socket, config) => new CliConnection(socket, hub: null, config.Level, global.StatsTimeout, master: new MasterCliSession(process)));

    /// <summary>Runs a command of the master itself; true when it answered, which a blank line then ends.</summary>
    internal static bool Execute(IMasterProcess process, CliConnection connection, IReadOnlyList<string> args, StringBuilder output)
    {
        var before = output.Length;
        CliCommands.Execute(new CliRequest(connection, args, process.Workers()[0].Hub), output, Table, NotSupported);
        return output.Length > before;
    }

    /// <summary>HAProxy 2.7's answer (2.6 answers nothing); the session ends with it, as a reload ends it in HAProxy.</summary>
    private static void Reload(CliRequest request, StringBuilder output)
    {
        var (success, messages) = request.Connection.Master!.Process.Reload();
        output.Append("Success=").Append(success ? '1' : '0').Append("\n--\n").Append(messages);
        request.Connection.Quit = true;
    }

    private static void ShowProc(CliRequest request, StringBuilder output)
    {
        var process = request.Connection.Master!.Process;
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var version = Hosting.BuildInfo.Version;
        var now = DateTime.UtcNow;
        output.Append(CultureInfo.InvariantCulture, $"#{"<PID>",-14} {"<type>",-15} {"<reloads>",-15} {"<uptime>",-15} {"<version>",-15}\n");
        output.Append(CultureInfo.InvariantCulture, $"{pid,-15} {"master",-15} {$"{process.Reloads} [failed: {process.FailedReloads}]",-15} {Uptime(now - process.StartedUtc),-15} {version,-15}\n");
        output.Append("# workers\n");
        var workers = process.Workers();
        AppendWorker(workers[0]);
        if (workers.Count > 1)
        {
            output.Append("# old workers\n");
            foreach (var old in workers.Skip(1))
            {
                AppendWorker(old);
            }
        }

        output.Append("# programs\n");

        void AppendWorker(WorkerView worker) =>
            output.Append(CultureInfo.InvariantCulture, $"{pid,-15} {"worker",-15} {worker.Reloads,-15} {Uptime(now - worker.StartedUtc),-15} {version,-15}\n");
    }

    /// <summary>`0d00h02m07s`, as `show proc` writes an uptime.</summary>
    private static string Uptime(TimeSpan uptime) => string.Create(CultureInfo.InvariantCulture,
        $"{(int)uptime.TotalDays}d{uptime.Hours:00}h{uptime.Minutes:00}m{uptime.Seconds:00}s");
}

/// <summary>One master CLI client: where its commands go (the master, or the running configuration after `@1`).</summary>
internal sealed class MasterCliSession(IMasterProcess process)
{
    private bool _onWorker;

    public IMasterProcess Process { get; } = process;

    /// <summary>`master> `, `master[ReloadFailed]> ` after a failed reload, or the process id on the worker.</summary>
    public string Prompt => _onWorker
        ? Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "> "
        : Process.LastReloadFailed ? "master[ReloadFailed]> " : "master> ";

    /// <summary>Runs one command; true when it answered, which a blank line then ends.</summary>
    public bool Execute(CliConnection connection, IReadOnlyList<string> args, string? payload, StringBuilder output)
    {
        var onWorker = _onWorker;
        if (args[0].StartsWith('@'))
        {
            if (Target(args[0]) is not { } target)
            {
                // HAProxy answers and ends the session.
                output.Append("Can't find the target PID matching the prefix '").Append(args[0]).Append("'\n");
                connection.Quit = true;
                return false;
            }

            if (args.Count == 1)
            {
                _onWorker = target;
                return false;
            }

            onWorker = target;
            args = args.Skip(1).ToList();
        }

        if (!onWorker)
        {
            return MasterCli.Execute(Process, connection, args, output);
        }

        CliCommands.Execute(new CliRequest(connection, args, Process.Workers()[0].Hub, payload), output);
        return true;
    }

    /// <summary>True for the running configuration, false for the master, null for a process that is not there.</summary>
    private static bool? Target(string prefix) => prefix switch
    {
        "@" or "@master" or "@0" => false,
        "@1" => true,
        _ when prefix.StartsWith("@!", StringComparison.Ordinal)
            && int.TryParse(prefix.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && pid == Environment.ProcessId => true,
        _ => null,
    };
}
