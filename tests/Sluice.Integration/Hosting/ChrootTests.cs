using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;
using Sluice.Integration.Scenarios.Stats;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Hosting;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// The global <c>chroot</c>: Debian's packaged haproxy.cfg starts with it. Once the listeners are bound the process's
/// root is the directory (read back from /proc/PID/root); TLS with HTTP/2, userlist passwords through libcrypt,
/// regex ACLs and the runtime API still work; `log /dev/log` and a unix-socket server are found inside the
/// directory, as with HAProxy; a reload reads the files from the real root while the process is root, and is
/// refused with the reason once `user` has dropped root.
/// </summary>
public sealed class ChrootTests : IDisposable
{
    private readonly TestCertificates _certificates = new();

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    public void Dispose() => _certificates.Dispose();

    private static string Jail()
    {
        var jail = Path.Combine(Ports.TempDirectory(), "jail");
        Directory.CreateDirectory(Path.Combine(jail, "dev"));
        return jail;
    }

    /// <summary>The process's root; the listeners accept a moment before the process enters the directory.</summary>
    private static async Task<string> RootOfAsync(int pid, string expected)
    {
        var root = string.Empty;
        for (var attempt = 0; attempt < 50 && root != expected; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(100);
            }

            root = (await CommandRunner.RunAsync("readlink", [$"/proc/{P(pid)}/root"])).StandardOutput.Trim();
        }

        return root;
    }

    private static async Task<string> FetchAsync(params string[] arguments)
    {
        var result = await Http.CurlAsync(["-s", "-k", "-w", " %{http_code} %{http_version}", .. arguments]);
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }

    /// <summary>A frontend that answers <paramref name="body"/> itself, in a process confined to <paramref name="directory"/>.</summary>
    private static string Answering(string directory, int port, string body, string global = "", string bind = "") => $"""
        global
            chroot {directory}
        {global}
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        frontend fe
            bind 127.0.0.1:{P(port)}
            {bind}
            http-request return status 200 content-type text/plain string "{body}"
        """;

    private static Task ReloadAsync(SluiceProcess sluice, string config, string outcome) => sluice.ReloadAsync(config, 0, outcome);

    [Fact]
    public async Task Chroot_TlsH2AuthLogsUnixServerAndRuntimeApi_WorkInsideTheDirectory()
    {
        var jail = Jail();
        using var syslog = SyslogListener.Unix(Path.Combine(jail, "dev", "log"));
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions { ExtraServerDirectives = $"listen unix:{jail}/web.sock;" });
        var hash = (await CommandRunner.RunAsync(CommandRunner.Require("openssl", "openssl"), ["passwd", "-1", "s3cret"])).StandardOutput.Trim();
        var admin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        var crt = _certificates.Server("site.pem", "localhost", ["localhost"]);
        var port = Ports.FreeListeningPort();
        var config = $"""
            global
                chroot {jail}
                log /dev/log local0
                stats socket {admin} mode 600 level admin
            userlist staff
                user bob password {hash}
            defaults
                mode http
                log global
                option httplog
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{P(port)} ssl crt {crt} alpn h2,http/1.1
                http-request deny if {"{"} path_reg ^/forbidden[0-9]+$ {"}"}
                http-request auth realm Staff if {"{"} path_beg /staff {"}"} !{"{"} http_auth(staff) {"}"}
                use_backend unix if {"{"} path_beg /unix {"}"}
                default_backend tcp
            backend tcp
                http-request set-path /small
                server n {nginx.Address}
            backend unix
                http-request set-path /small
                server u /web.sock
            """;
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);

        Assert.Equal(jail, await RootOfAsync(sluice.ProcessId, jail));
        var url = "https://localhost:" + P(port);
        var resolve = $"localhost:{P(port)}:127.0.0.1";
        var small = nginx.Options.SmallBody;
        Assert.Equal(small + " 200 2", await FetchAsync("--http2", "--resolve", resolve, url + "/tcp"));
        Assert.Equal(small + " 200 1.1", await FetchAsync("--http1.1", "--resolve", resolve, url + "/unix"));
        Assert.EndsWith(" 403 2", await FetchAsync("--http2", "--resolve", resolve, url + "/forbidden12"), StringComparison.Ordinal);
        Assert.EndsWith(" 401 2", await FetchAsync("--http2", "--resolve", resolve, "-u", "bob:wrong", url + "/staff"), StringComparison.Ordinal);
        Assert.Equal(small + " 200 2", await FetchAsync("--http2", "--resolve", resolve, "-u", "bob:s3cret", url + "/staff"));

        // The unix-socket server was reached through the path inside the directory.
        Assert.Contains(nginx.AccessLog, l => l.StartsWith("GET /small HTTP/1.1", StringComparison.Ordinal));
        Assert.Equal(3, nginx.AccessLog.Count);

        var lines = await syslog.Lines.WaitForAsync(l => l.Contains("fe~ ", StringComparison.Ordinal), 5);
        var all = string.Join('\n', syslog.Lines.Lines);
        Assert.True(lines.Any(l => l.Contains("fe~ unix/u ", StringComparison.Ordinal) && l.EndsWith("\"GET /unix HTTP/1.1\"", StringComparison.Ordinal)), all);
        Assert.Contains(lines, l => l.Contains(" 403 ", StringComparison.Ordinal) && l.Contains("/forbidden12 HTTP/2.0\"", StringComparison.Ordinal));

        var info = await StatsPeers.UnixAsync(admin, "show info");
        Assert.Contains("Pid: " + P(sluice.ProcessId), info, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chroot_ReloadAsRoot_ReadsTheNewFilesFromTheRealRoot_AndReturnsInside()
    {
        var jail = Jail();
        var port = Ports.FreeListeningPort();
        var newPort = Ports.FreeListeningPort();
        var crt = _certificates.Server("site.pem", "localhost", ["localhost"]);
        await using var sluice = await SluiceProcess.StartAsync(Answering(jail, port, "before"), [ReadyProbe.Tcp(port)]);
        Assert.Equal(jail, await RootOfAsync(sluice.ProcessId, jail));

        // The new configuration names a certificate file outside the directory: only the real root has it.
        await ReloadAsync(sluice, Answering(jail, port, "after", bind: $"bind 127.0.0.1:{P(newPort)} ssl crt {crt}"), "[NOTICE] Reload done");

        Assert.Equal("after 200 1.1", await FetchAsync(Http.Url(port, "/")));
        Assert.Equal("after 200 1.1", await FetchAsync("--http1.1", $"https://127.0.0.1:{P(newPort)}/"));
        Assert.Equal(jail, await RootOfAsync(sluice.ProcessId, jail));
    }

    [Fact]
    public async Task Chroot_WithRootDropped_ReloadIsRefusedWithTheReason_AndTheRunningConfigurationStays()
    {
        var jail = Jail();
        var port = Ports.FreeListeningPort();
        const string dropRoot = "    user nobody\n    group nogroup";
        await using var sluice = await SluiceProcess.StartAsync(Answering(jail, port, "before", dropRoot), [ReadyProbe.Tcp(port)]);
        Assert.Equal(jail, await RootOfAsync(sluice.ProcessId, jail));
        // The listeners answer before the process leaves root: wait for that.
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        string user;
        while ((user = (await CommandRunner.RunAsync("ps", ["-o", "user=", "-p", P(sluice.ProcessId)])).StandardOutput.Trim()) != "nobody" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal("nobody", user);

        await ReloadAsync(sluice, Answering(jail, port, "after", dropRoot), "[ALERT] Reload failed");

        Assert.Contains(sluice.Output.Lines, l => l.Contains("may not leave it", StringComparison.Ordinal) && l.Contains("-x and -sf", StringComparison.Ordinal));
        Assert.Equal("before 200 1.1", await FetchAsync(Http.Url(port, "/")));
        Assert.False(sluice.HasExited);
    }

    [Fact]
    public async Task Chroot_DirectoryMissing_RefusedAtStartAsHAProxy()
    {
        var port = Ports.FreeListeningPort();
        var missing = Path.Combine(Ports.TempDirectory(), "missing");
        var config = Path.Combine(Ports.TempDirectory(), "sluice.cfg");
        await File.WriteAllTextAsync(config, Answering(missing, port, "never"));

        var result = await SluiceBinary.RunAsync(["-db", "-f", config]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"[ALERT] [sluice.main()] Cannot chroot({missing}).", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DebiansPackagedConfiguration_IsValid()
    {
        const string packaged = "/etc/haproxy/haproxy.cfg";
        Assert.True(File.Exists(packaged), "Debian's haproxy package provides " + packaged + " (scripts/test.sh installs it)");

        var result = await SluiceBinary.RunAsync(["-c", "-f", packaged]);

        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Contains("Configuration file is valid", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OnlyAStatsSocket_IsAListener_TheProcessRuns()
    {
        var admin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        await using var sluice = await SluiceProcess.StartAsync($"""
            global
                stats socket {admin} level admin
            """, []);
        for (var waited = 0; !File.Exists(admin) && waited < 150; waited++)
        {
            await Task.Delay(100);
        }

        Assert.False(sluice.HasExited, sluice.Output.Text);
        var info = await StatsPeers.UnixAsync(admin, "show info");
        Assert.Contains("Pid: " + P(sluice.ProcessId), info, StringComparison.Ordinal);
    }
}
