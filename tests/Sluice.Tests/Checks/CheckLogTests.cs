using System.Net;
using Sluice.Backends;
using Sluice.Checks;
using Sluice.Config.Model;
using Sluice.Timers;
using Sluice.Tests.Timers;

namespace Sluice.Tests.Checks;

/// <summary>The lines a change of state prints, compared with what HAProxy 2.6 prints for the same events.</summary>
public class CheckLogTests
{
    private static BackendState Backend(bool listen = false, params (string Name, bool Backup)[] servers) => new(new BackendConfig
    {
        Name = "be",
        Location = "t.cfg:1",
        Id = 1,
        IsListen = listen,
        Servers = servers.Select((s, i) => new ServerConfig
        {
            Name = s.Name,
            Location = "t.cfg:" + (i + 2),
            Id = i + 1,
            Address = new InetServerAddress { Text = "127.0.0.1:1", Address = IPAddress.Loopback, Port = 1 },
            Backup = s.Backup,
            Check = new ServerCheckConfig { Enabled = true },
        }).ToArray(),
    });

    private static (HealthChecker Checker, StringWriter Log) Checker(BackendState backend, int index)
    {
        var log = new StringWriter { NewLine = "\n" };
        using var heartbeat = new Heartbeat(new ManualTimeProvider(), TimeSpan.FromMilliseconds(100));
        return (new HealthChecker(backend.Servers[index], backend, heartbeat, log, firstDueMs: 0), log);
    }

    [Fact]
    public void Down_ConnectionRefused_HAProxyLine()
    {
        var backend = Backend(false, ("s1", false), ("s2", false));
        var (checker, log) = Checker(backend, 0);
        checker.Apply(new CheckResult(CheckStatus.L4Connection, Info: "Connection refused"));
        Assert.False(backend.Servers[0].IsUp);
        Assert.Equal(
            "[WARNING] Server be/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n",
            log.ToString());
    }

    [Fact]
    public void Down_LastServer_NoServerAvailableAlert()
    {
        var backend = Backend(false, ("s1", false));
        var (checker, log) = Checker(backend, 0);
        checker.Apply(new CheckResult(CheckStatus.L7Status, 500, "Internal Server Error", 3));
        Assert.Equal(
            "[WARNING] Server be/s1 is DOWN, reason: Layer7 wrong status, code: 500, info: \"Internal Server Error\", check duration: 3ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n" +
            "[ALERT] backend 'be' has no server available!\n",
            log.ToString());
    }

    [Fact]
    public void Down_ListenSection_ProxyInAlert_TimeoutWithoutInfo()
    {
        var backend = Backend(true, ("s1", false));
        var (checker, log) = Checker(backend, 0);
        checker.Apply(new CheckResult(CheckStatus.L7Timeout, DurationMs: 301));
        Assert.Equal(
            "[WARNING] Server be/s1 is DOWN, reason: Layer7 timeout, check duration: 301ms. 0 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n" +
            "[ALERT] proxy 'be' has no server available!\n",
            log.ToString());
    }

    [Fact]
    public void Down_OnlyBackupLeft_RunningOnBackup()
    {
        var backend = Backend(false, ("s1", false), ("b1", true));
        var (checker, log) = Checker(backend, 0);
        checker.Apply(new CheckResult(CheckStatus.L4Timeout, DurationMs: 2000));
        Assert.Equal(
            "[WARNING] Server be/s1 is DOWN, reason: Layer4 timeout, check duration: 2000ms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.\n",
            log.ToString());
    }

    [Fact]
    public void Up_AfterRiseSuccesses_HAProxyLine()
    {
        var backend = Backend(false, ("t1", false), ("t2", false));
        var (checker, log) = Checker(backend, 0);
        checker.Apply(new CheckResult(CheckStatus.L4Connection, Info: "Connection refused"));
        log.GetStringBuilder().Clear();
        checker.Apply(new CheckResult(CheckStatus.L4Ok));
        Assert.Equal(string.Empty, log.ToString());
        Assert.False(backend.Servers[0].IsUp);
        checker.Apply(new CheckResult(CheckStatus.L4Ok));
        Assert.True(backend.Servers[0].IsUp);
        Assert.Equal(
            "[WARNING] Server be/t1 is UP, reason: Layer4 check passed, check duration: 0ms. 2 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.\n",
            log.ToString());
    }

    [Fact]
    public void Up_HttpCheck_CodeAndInfo()
    {
        var backend = Backend(false, ("s1", false));
        var (checker, log) = Checker(backend, 0);
        checker.Apply(new CheckResult(CheckStatus.L7Response));
        log.GetStringBuilder().Clear();
        checker.Apply(new CheckResult(CheckStatus.L7Ok, 200, "OK", 1));
        checker.Apply(new CheckResult(CheckStatus.L7Ok, 200, "OK", 1));
        Assert.Equal(
            "[WARNING] Server be/s1 is UP, reason: Layer7 check passed, code: 200, info: \"OK\", check duration: 1ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue.\n",
            log.ToString());
    }

    [Fact]
    public void Down_MissingUnixSocket_SocketError()
    {
        var backend = Backend(false, ("u1", false), ("u2", false));
        var (checker, log) = Checker(backend, 0);
        checker.Apply(new CheckResult(CheckStatus.SocketError, Info: "General socket error (No such file or directory)"));
        Assert.Equal(
            "[WARNING] Server be/u1 is DOWN, reason: Socket error, info: \"General socket error (No such file or directory)\", check duration: 0ms. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.\n",
            log.ToString());
    }
}
