namespace Sluice.Hosting;

/// <summary>What to do, as read from HAProxy's command-line flags.</summary>
internal enum RunAction
{
    Run = 0,
    Check = 1,
    Version = 2,
    VersionVerbose = 3,
    EvaluateCondition = 4,
    Usage = 5,
}

/// <summary>
/// HAProxy's command line (management.txt §3), the part Sluice implements: <c>-f FILE|DIR</c> (repeatable,
/// and every argument after <c>--</c>), <c>-c</c>, <c>-d</c>, <c>-db</c>, <c>-D</c>, <c>-q</c>, <c>-dW</c>,
/// <c>-p PIDFILE</c>, <c>-v</c>, <c>-vv</c>, <c>-cc EXPR</c>, <c>-sf PID...</c>, <c>-st PID...</c>, <c>-x SOCKET</c>, <c>-W</c>,
/// <c>-Ws</c>, <c>-S BIND[,OPTIONS]</c>. Known flags not
/// implemented yet are refused by name.
/// </summary>
internal sealed record CommandLine
{
    public RunAction Action { get; init; }
    public List<string> ConfigPaths { get; init; } = [];
    public bool Debug { get; init; }
    public bool Foreground { get; init; }
    public bool Daemon { get; init; }
    public bool Quiet { get; init; }
    public bool ZeroWarning { get; init; }
    public string? PidFile { get; init; }
    public string? Condition { get; init; }
    /// <summary>`-sf PID...`: processes told to finish (SIGUSR1) once this one listens.</summary>
    public List<int> FinishPids { get; init; } = [];
    /// <summary>`-st PID...`: processes told to terminate (SIGTERM) once this one listens.</summary>
    public List<int> TerminatePids { get; init; } = [];
    /// <summary>`-x PATH`: the old process's stats socket, asked for its listening sockets before binding.</summary>
    public string? ListenersFrom { get; init; }
    /// <summary>`-W`: master-worker mode, as the global `master-worker`.</summary>
    public bool MasterWorker { get; init; }
    /// <summary>`-Ws`: master-worker mode that tells systemd (`Type=notify`) when it is ready, reloading or stopping.</summary>
    public bool SystemdNotify { get; init; }
    /// <summary>`-S BIND[,OPTION,VALUE...]`: the master CLI sockets, as written.</summary>
    public List<string> MasterCliSockets { get; init; } = [];
    /// <summary>Set when the arguments are wrong; the message to print before the usage text.</summary>
    public string? Error { get; init; }

    public const string Usage =
        "Usage : sluice -f <cfgfile|cfgdir>* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]\n" +
        "        [ -p <pidfile> ] [ -m <max megs> ] [ -C <dir> ] [-- <cfgfile>*]\n" +
        "        -v displays version ; -vv shows known build options.\n" +
        "        -d enters debug mode ; -db only disables background mode.\n" +
        "        -dW fails if any warning is emitted\n" +
        "        -W master-worker mode ; -Ws with systemd notify support.\n" +
        "        -S <bind>[,<bind options>...] new master CLI\n" +
        "        -D goes daemon ; -q quiet mode\n" +
        "        -p writes pids of all children to this file\n" +
        "        -c check mode : only check config files and exit\n" +
        "        -cc check condition : evaluate a condition and exit\n" +
        "        -sf/-st [pid ]* finishes/terminates old pids.\n" +
        "        -x <unix_socket> get listening sockets from a unix socket\n" +
        "        -- <cfgfile>* loads all the configuration files listed after it\n";

    private static readonly string[] NotSupportedYet = ["-n", "-N", "-m", "-C", "-L", "-V", "-de", "-dp", "-dS", "-dR", "-dr", "-dV", "-dM", "-dG", "-dk", "-dL", "-dD", "-dC"];

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var result = new CommandLine();
        var paths = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--":
                    for (i++; i < args.Count; i++)
                    {
                        paths.Add(args[i]);
                    }

                    break;
                case "-f":
                    if (i + 1 >= args.Count)
                    {
                        return Fail("-f requires a configuration file or directory.");
                    }

                    paths.Add(args[++i]);
                    break;
                case "-c":
                    result = result with { Action = RunAction.Check };
                    break;
                case "-d":
                    result = result with { Debug = true, Foreground = true };
                    break;
                case "-db":
                    result = result with { Foreground = true };
                    break;
                case "-D":
                    result = result with { Daemon = true };
                    break;
                case "-q":
                    result = result with { Quiet = true };
                    break;
                case "-dW":
                    result = result with { ZeroWarning = true };
                    break;
                case "-p":
                    if (i + 1 >= args.Count)
                    {
                        return Fail("-p requires a file name.");
                    }

                    result = result with { PidFile = args[++i] };
                    break;
                case "-v":
                    return new CommandLine { Action = RunAction.Version };
                case "-vv":
                    return new CommandLine { Action = RunAction.VersionVerbose };
                case "-cc":
                    if (i + 1 >= args.Count)
                    {
                        return Fail("-cc requires a condition.");
                    }

                    result = result with { Action = RunAction.EvaluateCondition, Condition = args[++i] };
                    break;
                case "-sf" or "-st":
                    // Every following argument that is a number is a pid, as in HAProxy.
                    var pids = arg == "-sf" ? result.FinishPids : result.TerminatePids;
                    while (i + 1 < args.Count && int.TryParse(args[i + 1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
                    {
                        pids.Add(pid);
                        i++;
                    }

                    break;
                case "-x":
                    if (i + 1 >= args.Count)
                    {
                        return Fail("-x requires the path of a unix socket.");
                    }

                    result = result with { ListenersFrom = args[++i] };
                    break;
                case "-W":
                    result = result with { MasterWorker = true };
                    break;
                case "-Ws":
                    result = result with { MasterWorker = true, SystemdNotify = true };
                    break;
                case "-S":
                    if (i + 1 >= args.Count)
                    {
                        return Fail("-S requires a socket address.");
                    }

                    result.MasterCliSockets.Add(args[++i]);
                    break;
                case "-h" or "--help":
                    return new CommandLine { Action = RunAction.Usage };
                default:
                    if (Array.IndexOf(NotSupportedYet, arg) >= 0)
                    {
                        return Fail($"option '{arg}' is not supported yet.");
                    }

                    return Fail($"unknown option '{arg}'.");
            }
        }

        if (result.Action is RunAction.Run or RunAction.Check && paths.Count == 0)
        {
            return Fail("No configuration file was given (use -f <cfgfile|cfgdir>).");
        }

        return result with { ConfigPaths = paths };
    }

    private static CommandLine Fail(string message) => new() { Action = RunAction.Usage, Error = message };
}
