using System.Diagnostics;
using System.Net.Sockets;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// The real program: writes the configuration to a temporary directory, runs
/// <c>dotnet sluice.dll -f FILE -d</c> (sluice.dll sits next to the test assembly), captures stdout and stderr,
/// waits until a listening address accepts, and at dispose kills the process it started, by its id.
/// </summary>
internal sealed class SluiceProcess : ISluiceInstance
{
    private readonly Process _process;
    private readonly string _directory;

    private SluiceProcess(Process process, string directory)
    {
        _process = process;
        _directory = directory;
    }

    public LineCollector Output { get; } = new();

    public int ProcessId => _process.Id;

    /// <summary>The configuration file the program was started with (rewrite it, then SIGUSR2, to reload).</summary>
    public string ConfigPath => Path.Combine(_directory, "sluice.cfg");

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static Task<SluiceProcess> StartAsync(string config, IReadOnlyList<ReadyProbe> ready, params string[] extraArguments) =>
        StartAsync(config, ready, [], extraArguments);

    /// <summary>
    /// The program run inside network namespace <paramref name="name"/> (`ip netns exec`); the caller waits for
    /// it from a client in a namespace that reaches it.
    /// </summary>
    public static Task<SluiceProcess> StartInNamespaceAsync(string name, string config) =>
        StartAsync(config, [], [NetworkNamespaces.Ip, "netns", "exec", name], []);

    /// <summary>The program started by <paramref name="launcher"/> (a command that runs its arguments, e.g. to open
    /// file descriptors first).</summary>
    public static Task<SluiceProcess> StartUnderAsync(string[] launcher, string config, IReadOnlyList<ReadyProbe> ready, params string[] extraArguments) =>
        StartAsync(config, ready, launcher, extraArguments);

    private static async Task<SluiceProcess> StartAsync(string config, IReadOnlyList<ReadyProbe> ready, string[] launcher, string[] extraArguments)
    {
        var directory = Ports.TempDirectory();
        var configPath = Path.Combine(directory, "sluice.cfg");
        await File.WriteAllTextAsync(configPath, config);
        var info = new ProcessStartInfo(launcher.Length > 0 ? launcher[0] : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var word in launcher.Skip(1))
        {
            info.ArgumentList.Add(word);
        }

        if (launcher.Length > 0)
        {
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sluice.dll"));
        info.ArgumentList.Add("-f");
        info.ArgumentList.Add(configPath);
        info.ArgumentList.Add("-d");
        foreach (var argument in extraArguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start sluice");
        var instance = new SluiceProcess(process, directory);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { instance.Output.AddLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { instance.Output.AddLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await WaitReadyAsync(process, ready, instance.Output);

            // Each probe was a transaction of its own (a failed handshake on a TLS or PROXY bind): wait for its `-d` line
            // so that it has left the backends before the test counts what reaches them.
            if (ready.Count > 0)
            {
                await instance.Output.WaitForAsync(
                    l => l.Contains(" retries=", StringComparison.Ordinal) || l.EndsWith(": SSL handshake failure", StringComparison.Ordinal)
                        || l.EndsWith(": Connection closed during SSL handshake", StringComparison.Ordinal)
                        || l.EndsWith(": " + Sluice.Transport.ProxyHeaderReceiver.Empty, StringComparison.Ordinal),
                    ready.Count);
            }
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    /// <summary>
    /// Rewrites the configuration, sends SIGUSR2 and waits for the <paramref name="reloadsSoFar"/>+1-th line starting
    /// with <paramref name="outcome"/>.
    /// </summary>
    public async Task ReloadAsync(string config, int reloadsSoFar = 0, string outcome = "[NOTICE] Reload done")
    {
        await File.WriteAllTextAsync(ConfigPath, config);
        var kill = await Sluice.TestKit.Processes.CommandRunner.RunAsync("kill", ["-USR2", ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(0, kill.ExitCode);
        await Output.WaitForAsync(l => l.StartsWith(outcome, StringComparison.Ordinal), reloadsSoFar + 1);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
            }

            await _process.WaitForExitAsync(TestTimeout.Token());
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task WaitReadyAsync(Process process, IReadOnlyList<ReadyProbe> ready, LineCollector output)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        foreach (var probe in ready)
        {
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"sluice exited with {process.ExitCode}:\n{output.Text}");
                }

                using var socket = probe.CreateSocket();
                try
                {
                    await socket.ConnectAsync(probe.EndPoint);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }
            }
        }
    }
}
