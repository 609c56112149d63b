using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Stats;

/// <summary>
/// `option socket-stats`: a stats row per listener (type 3), named after `bind ... name` or `sock-N`, counting the
/// sessions, bytes, denied requests and invalid requests of the connections it accepted. Requests from curl and a
/// raw invalid one, haproxy 2.6 first, then Sluice: the same listener rows in CSV and `show stat typed` (ports aside).
/// </summary>
public class ListenerStatsTests
{
    [Fact]
    public async Task SocketStats_ListenerRows_AsHAProxy()
    {
        var ports = new Dictionary<int, (int Web, int Other, int Plain)>();
        string Config(int port, string socket)
        {
            var (web, other, plain) = (Ports.FreeListeningPort(), Ports.FreeListeningPort(), Ports.FreeListeningPort());
            ports[port] = (web, other, plain);
            return $$"""
                {{HaproxyOracle.Preamble(socket)}}
                frontend f
                    bind 127.0.0.1:{{port}}
                    bind 127.0.0.1:{{web}} name web maxconn 50
                    bind 127.0.0.1:{{other}}
                    option socket-stats
                    http-request deny if { path_beg /deny }
                    http-request return status 200 content-type text/plain string ok
                frontend g
                    bind 127.0.0.1:{{plain}}
                    http-request return status 200 content-type text/plain string ok
                """;
        }

        async Task<List<string>> RunAsync(int port, string socket)
        {
            var (web, other, plain) = ports[port];
            Assert.Equal(0, (await Http.Http.CurlAsync("-o", "/dev/null", Http.Http.Url(web, "/"))).ExitCode);
            Assert.Equal(0, (await Http.Http.CurlAsync("-o", "/dev/null", Http.Http.Url(other, "/deny"))).ExitCode);
            Assert.Equal(0, (await Http.Http.CurlAsync("-o", "/dev/null", Http.Http.Url(other, "/"), Http.Http.Url(other, "/again"))).ExitCode);
            Assert.Equal(0, (await Http.Http.CurlAsync("-o", "/dev/null", Http.Http.Url(plain, "/"))).ExitCode);
            using (var bad = await TestClient.ConnectTcpAsync(web))
            {
                await bad.SendAsync("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"u8.ToArray());
                await TestClient.ReadToEndAsync(bad);
            }

            await Task.Delay(200);
            // The ports differ between the runs, and the most sessions at once depends on when each side saw a
            // connection close.
            static string Normalize(string line)
            {
                line = Regex.Replace(line, @"127\.0\.0\.1:\d+", "127.0.0.1:PORT");
                line = Regex.Replace(line, @"^(L\.\d+\.\d+\.5\.smax\.1:MMP:u32:)\d+$", "$1N");
                var fields = line.Split(',');
                if (fields.Length > 5)
                {
                    fields[5] = "N";
                }

                return string.Join(',', fields);
            }
            var csv = (await StatsPeers.UnixAsync(socket, "show stat")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var typed = (await StatsPeers.UnixAsync(socket, "show stat typed")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var sockets = (await StatsPeers.UnixAsync(socket, "show stat -1 8 -1")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            // The listener rows (type 3) only: the frontends' own rows differ in what this test does not look at
            // (haproxy derives a default `slim` from the file limit).
            return [.. csv.Where(l => !l.StartsWith('#') && l.Split(',')[32] == "3").Select(Normalize), .. typed.Where(l => l.StartsWith("L.", StringComparison.Ordinal)).Select(Normalize),
                "only sockets: " + string.Join(",", sockets.Where(l => !l.StartsWith('#')).Select(l => l.Split(',')[1]))];
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Contains(reference, l => l.StartsWith("f,web,,,0,N,50,2,82,", StringComparison.Ordinal));
        Assert.Contains(reference, l => l.StartsWith("f,sock-1,", StringComparison.Ordinal));
        Assert.Contains(reference, l => l.StartsWith("f,sock-3,", StringComparison.Ordinal));
        Assert.Equal("only sockets: sock-1,web,sock-3", reference[^1]);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// A session refused by `tcp-request session` rules, in mode tcp and in mode http: a denied session (`dses`) on the
    /// frontend and its listener, a session on the listener but not on the frontend, and no log line, as haproxy 2.6.
    /// </summary>
    [Fact]
    public async Task SessionRulesReject_DeniedSessions_NotLogged_AsHAProxy()
    {
        using var logs = Logs.SyslogListener.Udp();
        var http = new Dictionary<int, int>();
        string Config(int port, string socket)
        {
            http[port] = Ports.FreeListeningPort();
            return $"""
                {HaproxyOracle.Preamble(socket, "tcp")}
                    log 127.0.0.1:{logs.Port} local0
                    option socket-stats
                frontend ft
                    bind 127.0.0.1:{port}
                    option tcplog
                    tcp-request session reject
                    default_backend b
                frontend fh
                    mode http
                    bind 127.0.0.1:{http[port]}
                    option httplog
                    tcp-request session reject
                    default_backend bh
                backend b
                    server s 127.0.0.1:1
                backend bh
                    mode http
                    server s 127.0.0.1:1
                """;
        }

        async Task<string> RunAsync(int port, string socket)
        {
            using (var tcp = await TestClient.ConnectTcpAsync(port))
            {
                await TestClient.ReadToEndQuietlyAsync(tcp);
            }

            using (var web = await TestClient.ConnectTcpAsync(http[port]))
            {
                await web.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
                await TestClient.ReadToEndQuietlyAsync(web);
            }

            await Task.Delay(300);
            var csv = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"));
            var rows = new[] { "ft/FRONTEND", "ft/sock-1", "fh/FRONTEND", "fh/sock-1" }
                .Select(row => $"{row} stot={csv[row]["stot"]} dreq={csv[row]["dreq"]} dses={csv[row]["dses"]}");
            return string.Join('\n', rows) + "\nlog lines: " + logs.Lines.Lines.Count;
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("ft/FRONTEND stot=0 dreq=0 dses=1\nft/sock-1 stot=1 dreq=0 dses=1\nfh/FRONTEND stot=0 dreq=0 dses=1\nfh/sock-1 stot=1 dreq=0 dses=1\nlog lines: 0", reference);
        Assert.Equal(reference, ours);
    }
}
