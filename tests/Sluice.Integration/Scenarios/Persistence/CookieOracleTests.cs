using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;

namespace Sluice.Integration.Scenarios.Persistence;

/// <summary>
/// `cookie ... maxidle/maxlife/attr/dynamic` under haproxy 2.6 and Sluice with the same configuration and the same
/// requests: the log lines (cookie characters included) and the Set-Cookie fields must be the same, dates aside.
/// </summary>
public class CookieOracleTests
{
    private const string Base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>A Unix time as a cookie date: 4-second units, 30 bits in 5 base64 characters.</summary>
    private static string Date(long unixSeconds)
    {
        var units = unixSeconds >> 2;
        return string.Concat(Enumerable.Range(0, 5).Select(i => Base64[(int)(units >> (24 - (6 * i))) & 0x3F]));
    }

    private static long Undate(string text) => text.Aggregate(0L, (value, c) => (value << 6) + Base64.IndexOf(c, StringComparison.Ordinal)) << 2;

    private static bool IsRequest(string line) => line.Contains(" fe be/", StringComparison.Ordinal);

    /// <summary>Sends each request (curl arguments) in turn; returns the log lines and each response's Set-Cookie fields.</summary>
    private static async Task<(List<string> Lines, List<string> SetCookies)> RunAsync(SyslogListener syslog, int port, string[][] requests)
    {
        var setCookies = new List<string>();
        for (var i = 0; i < requests.Length; i++)
        {
            var result = await LogPeers.CurlAsync([.. requests[i], "-D", "-", "http://127.0.0.1:" + HAProxyPeer.Port(port) + "/c"]);
            Assert.Equal(0, result.ExitCode);
            var fields = result.StandardOutput.Split("\r\n")
                .Where(l => l.StartsWith("set-cookie:", StringComparison.OrdinalIgnoreCase))
                .Select(l => l["set-cookie:".Length..].Trim());
            setCookies.Add(string.Join(" || ", fields));
            await syslog.Lines.WaitForAsync(IsRequest, i + 1);
        }

        return ([.. syslog.Lines.Lines.Where(IsRequest)], setCookies);
    }

    /// <param name="settle">How long to wait before the requests (health checks marking a server down).</param>
    private static async Task<((List<string> Lines, List<string> SetCookies) Reference, (List<string> Lines, List<string> SetCookies) Ours)> CompareAsync(
        Func<string> backendLines, Func<string[][]> requests, int settle = 0)
    {
        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPort();
        (List<string>, List<string>) reference;
        await using (var haproxy = await LogPeers.StartHAProxyAsync(LogPeers.HttpLogConfig(haproxyLog.Port, hPort, backendLines()), hPort))
        {
            await Task.Delay(settle);
            reference = await RunAsync(haproxyLog, hPort, requests());
        }

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(LogPeers.HttpLogConfig(sluiceLog.Port, sPort, backendLines()), [ReadyProbe.Tcp(sPort)]);
        await Task.Delay(settle);
        var ours = await RunAsync(sluiceLog, sPort, requests());
        return (reference, ours);
    }

    private static string MaskDates(string setCookie) => Regex.Replace(setCookie, @"\|[A-Za-z0-9+/]{5}", "|DATE");

    [Fact]
    public async Task MaxIdleMaxLife_ExpiredAndOldCookiesReset_DatesRefreshed_AsHAProxy()
    {
        await using var a = await PythonPeer.StartLogBackendAsync();
        await using var b = await PythonPeer.StartLogBackendAsync();
        var backend = $"""
                cookie SRVID insert indirect maxidle 30m maxlife 2h domain .a.example domain .b.example attr "SameSite=Lax" attr Partitioned
                server s1 {a.Address} cookie a
                server s2 {b.Address} cookie b
            """;

        // Built at each run: the dates are relative to the moment the requests go.
        string[][] Requests()
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            return
            [
                [],
                ["-H", $"Cookie: SRVID=a|{Date(now - 3600)}"],
                ["-H", $"Cookie: SRVID=b|{Date(now)}|{Date(now - (3 * 3600))}"],
                ["-H", $"Cookie: SRVID=b|{Date(now)}"],
                ["-H", "Cookie: SRVID=a"],
                ["-H", $"Cookie: SRVID=b|{Date(now + 40)}|{Date(now)}"],
                ["-H", $"Cookie: SRVID=a|{Date(now + (3 * 86400))}"],
            ];
        }

        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var (reference, ours) = await CompareAsync(() => backend, Requests);
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        Assert.Equal(reference.Lines.Select(LogPeers.NormalizeWithoutCounts), ours.Lines.Select(LogPeers.NormalizeWithoutCounts));
        Assert.Equal(reference.SetCookies.Select(MaskDates), ours.SetCookies.Select(MaskDates));
        foreach (var code in new[] { " --NI ", " --EI ", " --OI ", " --VU ", " --VN " })
        {
            Assert.Contains(ours.Lines, l => l.Contains(code, StringComparison.Ordinal));
        }

        // The dates Sluice wrote are now, rounded up to the next 4-second unit.
        var dates = Regex.Matches(string.Concat(ours.SetCookies), @"\|([A-Za-z0-9+/]{5})").Select(m => Undate(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(dates);
        Assert.All(dates, d => Assert.InRange(d, before - 4, after + 4));
        Assert.EndsWith("; path=/; domain=.a.example; domain=.b.example; SameSite=Lax; Partitioned", ours.SetCookies[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dynamic_ServersWithoutCookie_GetHAProxysHashOfKeyAddressAndPort()
    {
        await using var a = await PythonPeer.StartLogBackendAsync();
        await using var b = await PythonPeer.StartLogBackendAsync();
        const string backend = """
                cookie SRVID insert dynamic
                dynamic-cookie-key "s3cr3t key"
            """;
        var servers = $"\n    server s1 {a.Address}\n    server s2 {b.Address}\n    server s3 {b.Address} cookie fixed";
        string[][] requests = [[], [], [], ["-H", "Cookie: SRVID=fixed"]];

        var (reference, ours) = await CompareAsync(() => backend + servers, () => requests);

        Assert.Equal(reference.Lines.Select(LogPeers.NormalizeWithoutCounts), ours.Lines.Select(LogPeers.NormalizeWithoutCounts));
        Assert.Equal(reference.SetCookies, ours.SetCookies);
        Assert.Matches("^SRVID=[0-9a-f]{16}; path=/$", ours.SetCookies[0]);
        Assert.Equal("SRVID=fixed; path=/", ours.SetCookies[2]);
        Assert.Equal(3, ours.SetCookies.Take(3).Distinct().Count());
    }

    /// <summary>
    /// The runtime API's `set dynamic-cookie-key backend`, `disable|enable dynamic-cookie backend` and `set server
    /// addr ... port` change the values servers without `cookie` get: the Set-Cookie of each answer, the answers
    /// to the commands and the cookie that still selects a server are haproxy 2.6's; a server left without a value
    /// (dynamic cookies off) answers with the cookie's removal.
    /// </summary>
    [Fact]
    public async Task Dynamic_RuntimeKeyEnableDisableAndAddress_AsHAProxy()
    {
        await using var a = await PythonPeer.StartLogBackendAsync();
        await using var b = await PythonPeer.StartLogBackendAsync();
        var bPort = b.Address[(b.Address.LastIndexOf(':') + 1)..];
        var (reference, ours) = await Stats.HaproxyOracle.CompareAsync((port, socket) => $"""
            {Stats.HaproxyOracle.Preamble(socket)}
            listen l
                bind 127.0.0.1:{port}
                balance first
                cookie SRVID insert dynamic
                dynamic-cookie-key first
                server s1 {a.Address}
                server s2 {b.Address} cookie fixed
            backend plain
                server p1 {a.Address}
            """, async (port, socket) =>
            {
                var seen = new List<string>();
                async Task Request(string? cookie = null)
                {
                    var (_, head, body) = await Stats.StatsPeers.CurlAsync([.. cookie is null ? Array.Empty<string>() : ["-H", "Cookie: " + cookie], Stats.StatsPeers.Url(port, "/")]);
                    var setCookie = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("set-cookie:", StringComparison.OrdinalIgnoreCase));
                    seen.Add($"{(cookie ?? "-")} => {setCookie?["set-cookie:".Length..].Trim() ?? "(none)"}");
                }

                async Task Command(string command) => seen.Add($"{command}: [{(await Stats.StatsPeers.UnixAsync(socket, command)).Trim()}]");

                await Request();
                var first = seen[^1].Split(' ')[2].TrimEnd(';');
                await Command("set dynamic-cookie-key backend l second");
                await Request(first);
                await Command("disable dynamic-cookie backend l");
                await Request();
                await Request("SRVID=fixed");
                await Command("enable dynamic-cookie backend l");
                await Command("set server l/s1 addr 127.0.0.1 port " + bPort);
                await Request();
                await Command("set dynamic-cookie-key backend l");
                await Command("set dynamic-cookie-key backend");
                await Command("enable dynamic-cookie backend nowhere");
                await Command("disable dynamic-cookie backend plain");
                return seen;
            });

        Assert.Equal(reference, ours);
        Assert.Matches("^- => SRVID=[0-9a-f]{16}; path=/$", ours[0]);
        Assert.Equal("- => SRVID=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/", ours[4]);
        // Three values for s1: the first key, the second key, the second key at its new port.
        Assert.Equal(3, ours.Select(l => Regex.Match(l, "=> SRVID=([0-9a-f]{16});")).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Count());
    }

    /// <summary>
    /// `use-server` (a plain name and a log-format one) before the persistence cookie, which is then logged `U` and
    /// not set again; a rule naming a DOWN server is skipped unless `force-persist` applies, which also lets a
    /// cookie reach a DOWN server; `ignore-persist` leaves the cookie unused and inserts none; a rendered name that
    /// names no server leaves the choice to the cookie and the balancer.
    /// </summary>
    [Fact]
    public async Task UseServer_ForcePersist_IgnorePersist_AsHAProxy()
    {
        await using var a = await PythonPeer.StartLogBackendAsync();
        await using var b = await PythonPeer.StartLogBackendAsync();
        var down = Ports.FreeListeningPort();
        var backend = $"""
                cookie SRV insert indirect nocache
                use-server s2 if {"{"} hdr(x-us) -m found {"}"}
                use-server s3 if {"{"} hdr(x-us3) -m found {"}"}
                use-server s%[req.hdr(x-dyn)] if {"{"} hdr(x-dyn) -m found {"}"}
                force-persist if {"{"} hdr(x-force) -m found {"}"}
                ignore-persist if {"{"} hdr(x-ign) -m found {"}"}
                server s1 {a.Address} cookie a
                server s2 {b.Address} cookie b
                server s3 127.0.0.1:{down} cookie c check inter 100 fall 1
            """;
        string[][] requests =
        [
            ["-H", "Cookie: SRV=a"],
            ["-H", "Cookie: SRV=a", "-H", "x-us: 1"],
            ["-H", "x-us: 1"],
            ["-H", "Cookie: SRV=a", "-H", "x-ign: 1"],
            ["-H", "x-ign: 1"],
            ["-H", "Cookie: SRV=c"],
            ["-H", "Cookie: SRV=c", "-H", "x-force: 1"],
            ["-H", "x-us3: 1"],
            ["-H", "x-us3: 1", "-H", "x-force: 1"],
            ["-H", "x-dyn: 2"],
            ["-H", "x-dyn: 9", "-H", "Cookie: SRV=a"],
            ["-H", "Cookie: SRV=zz", "-H", "x-us: 1"],
        ];

        var (reference, ours) = await CompareAsync(() => backend, () => requests, settle: 700);

        // The connection counts (actconn/feconn/beconn/srv_conn) depend on when the previous client's close was
        // seen, which a loaded machine delays; the retries that follow them are compared.
        static string Compared(string line) => Regex.Replace(LogPeers.Normalize(line), @" \d+/\d+/\d+/\d+/(\d+) ", " N/N/N/N/$1 ");
        Assert.Equal(reference.Lines.Select(Compared), ours.Lines.Select(Compared));
        Assert.Equal(reference.SetCookies, ours.SetCookies);
        foreach (var code in new[] { " be/s2 ", " --UN ", " be/s3 ", " SCDN ", " SCNN " })
        {
            Assert.Contains(ours.Lines, l => l.Contains(code, StringComparison.Ordinal));
        }
    }
}
