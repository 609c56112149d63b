using System.Diagnostics;
using System.Runtime.InteropServices;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;

namespace Sluice.Hosting;

/// <summary>
/// Runs a loaded configuration as a process: daemon mode, pid file, file-descriptor limit, the proxy
/// itself, privilege dropping once the listeners are bound, and HAProxy's signals (management.txt §4):
/// SIGTERM and SIGINT stop at once after closing the listeners (exit status 128 + signal, as HAProxy's),
/// SIGUSR1 stops gracefully (listeners closed, connections in flight finish, bounded by
/// <c>hard-stop-after</c>; exit status 0). SIGUSR2 reloads inside the process: the configuration files are
/// read again, and a valid configuration replaces the running one without closing the listeners they share,
/// while connections in flight finish on the one they began with (see <see cref="ProxyHost.Start"/>).
/// </summary>
internal static class ProcessRunner
{
    /// <summary>Set in the environment of the re-executed daemon: the file where it reports its start.</summary>
    private const string DaemonReadyVariable = "SLUICE_DAEMON_READY";
    private const string ReadyMarker = "ready";
    private const PosixSignal SigUsr1 = (PosixSignal)10;
    private const PosixSignal SigUsr2 = (PosixSignal)12;
    private static readonly TimeSpan DaemonStartTimeout = TimeSpan.FromSeconds(30);

    /// <param name="reload">Reads the configuration files again, for SIGUSR2 and the master CLI; null where reloading is not offered.</param>
    public static int Run(SluiceConfig config, CommandLine commandLine, Func<DiagnosticBag, SluiceConfig?>? reload = null)
    {
        var readyFile = Environment.GetEnvironmentVariable(DaemonReadyVariable);
        var daemon = (config.Global.Daemon || commandLine.Daemon) && !commandLine.Foreground;
        if (daemon && readyFile is null)
        {
            return StartDaemon();
        }

        var diagnostics = new DiagnosticBag();
        var pidFile = commandLine.PidFile ?? config.Global.PidFile;
        if (!ProcessLimits.Apply(config.Global, diagnostics))
        {
            return Fail(diagnostics, readyFile);
        }

        ProcessLimits.BindCpus(config.Global, diagnostics);

        var masterWorker = commandLine.MasterWorker || config.Global.MasterWorker;
        List<StatsSocketConfig> masterSockets = [];
        foreach (var spec in commandLine.MasterCliSockets)
        {
            if (Config.Sections.StatsKeywordParsers.ParseMasterCli(spec, diagnostics) is not { } socket)
            {
                return Fail(diagnostics, readyFile);
            }

            masterSockets.Add(socket);
        }

        if (masterSockets.Count > 0 && !masterWorker)
        {
            diagnostics.ConfigWarning("a master CLI socket was defined, but master-worker mode (-W) is not enabled.");
            masterSockets.Clear();
        }

        // Connected before the chroot, which would hide its path.
        using var systemd = commandLine.SystemdNotify ? SystemdNotifier.Connect() : null;

        // Signals are taken over before the listeners open: a signal that arrives while starting is
        // remembered and applied once the proxy runs, instead of killing the process by default.
        var debugOutput = commandLine.Debug ? Console.Error : null;
        var running = new RunningHosts((next, found, predecessor) => ProxyHost.Start(next, found, debugOutput, predecessor: predecessor), reload, systemd);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => running.Request(context, 143));
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => running.Request(context, 130));
        using var graceful = PosixSignalRegistration.Create(SigUsr1, context => running.Request(context, RunningHosts.Graceful));
        using var reloading = PosixSignalRegistration.Create(SigUsr2, context =>
        {
            context.Cancel = true;
            _ = Task.Run(running.Reload);
        });

        Listeners.InheritedSockets? handedOver = null;
        if (commandLine.ListenersFrom is { } oldSocket && oldSocket != "/dev/null")
        {
            handedOver = Listeners.ListenerHandover.Receive(oldSocket, out var why);
            if (handedOver is null)
            {
                diagnostics.Add(new(Config.Diagnostics.DiagnosticSeverity.Alert, "Failed to get the sockets from the old process! (" + why + ")"));
                return Fail(diagnostics, readyFile);
            }
        }

        var host = ProxyHost.Start(config, diagnostics, debugOutput, handedOver: handedOver);
        if (host is null)
        {
            return Fail(diagnostics, readyFile);
        }

        running.Attach(host);

        // The master CLI is bound before privileges are dropped, as HAProxy's master keeps its own.
        RuntimeApi.CliServer? masterCli = null;
        if (masterSockets.Count > 0 && (masterCli = RuntimeApi.MasterCli.Start(masterSockets, running, config.Global, diagnostics)) is null)
        {
            diagnostics.Add(new(DiagnosticSeverity.Alert, "[sluice.main()] Some protocols failed to start their listeners! Exiting."));
            host.StopNow();
            return Fail(diagnostics, readyFile);
        }

        // The pid file is written before the process enters its chroot, as HAProxy does, so its path is the real one.
        if (pidFile is not null)
        {
            TryWritePidFile(pidFile, diagnostics);
        }

        if (ProcessLimits.ResolveIdentity(config.Global, diagnostics) is not { } identity
            || (config.Global.Chroot is { } jail && !ChrootJail.Enter(jail, diagnostics))
            || !ProcessLimits.DropPrivileges(identity, diagnostics))
        {
            host.StopNow();
            masterCli?.Stop();
            return Fail(diagnostics, readyFile);
        }

        Report(diagnostics);
        if (readyFile is not null)
        {
            WriteAtomically(readyFile, ReadyMarker);
            DetachConsole();
        }

        // `-sf`/`-st`: the old processes stop once this one listens. With `-x` it listens on their very sockets and
        // takes the connections still queued; without it, beside them (SO_REUSEPORT), and what waits in an old
        // process's queue when it closes is lost.
        ProcessLimits.Signal(commandLine.FinishPids, (int)SigUsr1);
        ProcessLimits.Signal(commandLine.TerminatePids, 15);

        systemd?.Ready();
        running.WaitUntilStopped();
        masterCli?.Stop();
        if (pidFile is not null)
        {
            _ = ChrootJail.TryRunOutside(() => TryDelete(pidFile), out _);
        }

        return running.ExitCode;
    }

    private static int Fail(DiagnosticBag diagnostics, string? readyFile)
    {
        Report(diagnostics);
        if (readyFile is not null)
        {
            using var writer = new StringWriter();
            diagnostics.WriteTo(writer);
            WriteAtomically(readyFile, writer.ToString());
        }

        return 1;
    }

    private static void Report(DiagnosticBag diagnostics) => diagnostics.WriteTo(Console.Error);

    /// <summary>
    /// HAProxy forks; .NET cannot, so Sluice starts itself again in a new session (setsid) with no
    /// terminal, waits until the new process has bound its listeners or failed, relays its messages,
    /// and exits with 0 or 1 accordingly.
    /// </summary>
    private static int StartDaemon()
    {
        var readyFile = Path.Combine(Path.GetTempPath(), $"sluice-daemon-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var startInfo = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("exec setsid -f \"$@\" </dev/null >/dev/null 2>&1");
        startInfo.ArgumentList.Add("sluice");
        foreach (var argument in SelfCommand())
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment[DaemonReadyVariable] = readyFile;
        using (var launcher = Process.Start(startInfo))
        {
            launcher?.WaitForExit();
        }

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < DaemonStartTimeout)
        {
            if (File.Exists(readyFile))
            {
                var text = File.ReadAllText(readyFile);
                if (text == ReadyMarker || text.Length > 0)
                {
                    TryDelete(readyFile);
                    if (text == ReadyMarker)
                    {
                        return 0;
                    }

                    Console.Error.Write(text);
                    return 1;
                }
            }

            Thread.Sleep(20);
        }

        Console.Error.WriteLine(AlertFormatter.Format(new ConfigDiagnostic(DiagnosticSeverity.Alert, "the daemon did not report its start in time.")));
        return 1;
    }

    /// <summary>The command line that started this process: the dotnet host and the assembly, or the app host.</summary>
    private static IEnumerable<string> SelfCommand()
    {
        var host = Environment.ProcessPath ?? "dotnet";
        yield return host;
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            yield return typeof(ProcessRunner).Assembly.Location;
        }

        foreach (var argument in Environment.GetCommandLineArgs().Skip(1))
        {
            yield return argument;
        }
    }

    /// <summary>A daemon has no terminal: its standard streams lead nowhere and writing to them must not fail.</summary>
    private static void DetachConsole()
    {
        Console.SetOut(TextWriter.Null);
        Console.SetError(TextWriter.Null);
    }

    private static void TryWritePidFile(string path, DiagnosticBag diagnostics)
    {
        try
        {
            WriteAtomically(path, FormattableString.Invariant($"{Environment.ProcessId}\n"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            diagnostics.Add(new(DiagnosticSeverity.Alert, $"[sluice.main()] Cannot create pidfile {path}: {e.Message}"));
        }
    }

    /// <summary>Writes aside and renames, so that a reader never sees an empty or partial file.</summary>
    private static void WriteAtomically(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file may already be gone or belong to someone else: nothing to clean.
        }
    }
}
