using System.Diagnostics;
using System.Net.Sockets;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Hosting;

/// <summary>
/// The program as a process: pid file, HAProxy's signals and exit statuses, and daemon mode, each with
/// a real client connecting to the listener.
/// </summary>
public sealed class ProcessLifetimeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-life-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Config, int Port) WriteConfig(string global = "")
    {
        var port = Ports.FreeListeningPort();
        var path = Path.Combine(_dir, "sluice.cfg");
        File.WriteAllText(path, $"global\n{global}\ndefaults\n    mode tcp\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\nlisten l\n    bind 127.0.0.1:{port}\n    server s 127.0.0.1:1\n");
        return (path, port);
    }

    private static Process Start(params string[] args)
    {
        // Through `env --default-signal`: a test run started in the background inherits SIGINT ignored, which the
        // program keeps, as haproxy does; the signal tests need the default disposition whatever launched them.
        var info = new ProcessStartInfo("env") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("--default-signal");
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(SluiceBinary.DllPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    private static async Task WaitListeningAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(50);
            }
        }
    }

    private static async Task<bool> IsListeningAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("INT", 130)]
    [InlineData("USR1", 0)]
    public async Task Signal_RunningProxy_StopsWithHAProxyStatus(string signal, int expected)
    {
        var (config, port) = WriteConfig();
        var pidFile = Path.Combine(_dir, "sluice.pid");
        using var process = Start("-db", "-f", config, "-p", pidFile);
        await WaitListeningAsync(port);
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(pidFile) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        Assert.Equal($"{process.Id}\n", File.ReadAllText(pidFile));

        var kill = await CommandRunner.RunAsync("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Assert.Equal(0, kill.ExitCode);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(expected, process.ExitCode);
        Assert.False(File.Exists(pidFile), "the pid file is removed at exit");
        Assert.False(await IsListeningAsync(port));
    }

    [Fact]
    public async Task Daemon_GlobalKeyword_ParentExitsChildServes()
    {
        var pidFile = Path.Combine(_dir, "daemon.pid");
        var (config, port) = WriteConfig($"    daemon\n    pidfile {pidFile}\n");
        using var parent = Start("-f", config);
        await parent.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, parent.ExitCode);

        var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            Assert.NotEqual(parent.Id, pid);
            Assert.True(await IsListeningAsync(port));
        }
        finally
        {
            await CommandRunner.RunAsync("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        var deadline = Stopwatch.StartNew();
        while (await IsListeningAsync(port) && deadline.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        Assert.False(await IsListeningAsync(port));
    }

    [Fact]
    public async Task Daemon_BindFails_ParentReportsAlertAndExitsOne()
    {
        using var occupied = new TcpListener(System.Net.IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((System.Net.IPEndPoint)occupied.LocalEndpoint).Port;
        var path = Path.Combine(_dir, "busy.cfg");
        File.WriteAllText(path, $"global\n    daemon\ndefaults\n    mode tcp\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\nlisten busy\n    bind 127.0.0.1:{port}\n    server s 127.0.0.1:1\n");

        var result = await SluiceBinary.RunAsync(["-f", path]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"[ALERT] Starting frontend busy: cannot bind socket (Address already in use) [127.0.0.1:{port}]", result.StandardError);
    }
}
