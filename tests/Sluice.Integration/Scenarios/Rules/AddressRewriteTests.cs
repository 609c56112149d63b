using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// `http-request set-src|set-src-port|set-dst|set-dst-port` (and the `tcp-request content` form): later rules, the `src`/`dst` fetches, the log line
/// (%ci %cp %fi %fp) and `option forwardfor` see the new addresses, for that request only (the next request of
/// the connection has the connection's own, as haproxy 2.6); the
/// same configuration under haproxy 2.6 and under Sluice must give the same answers and log lines.
/// </summary>
public class AddressRewriteTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The server is a frontend of the same file that answers with what it received.</summary>
    private static string Config(int syslog, int port, int serverPort) => $$"""
        global
            log 127.0.0.1:{{Port(syslog)}} format raw local0
        defaults
            mode http
            log global
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{{Port(port)}}
            log-format "fe ci=%ci cp=%cp fi=%fi fp=%fp %HP"
            option forwardfor
            tcp-request content set-dst-port hdr(x-dp) if { hdr(x-dp) -m found }
            http-request set-src hdr(x-src) if { hdr(x-src) -m found }
            http-request set-src-port hdr(x-sp) if { hdr(x-sp) -m found }
            http-request set-dst hdr(x-dst) if { hdr(x-dst) -m found }
            http-request set-header x-doc yes if { src 192.0.2.0/24 }
            http-request set-header x-seen "src=%[src] dst=%[dst] dp=%[dst_port]"
            default_backend be
        backend be
            server s1 127.0.0.1:{{Port(serverPort)}}
        frontend srv
            bind 127.0.0.1:{{Port(serverPort)}}
            http-request return status 200 content-type text/plain lf-string "xff=%[req.hdr(x-forwarded-for)] doc=%[req.hdr(x-doc)] %[req.hdr(x-seen)]\n"
        """ + "\n";

    private static async Task<(List<string> Answers, List<string> Lines)> RunAsync(SyslogListener syslog, int port)
    {
        string[][] requests =
        [
            ["-H", "x-src: 192.0.2.7", "-H", "x-sp: 99", Http.Url(port, "/a")],
            ["-H", "x-src: 2001:db8::1", "-H", "x-sp: 7", Http.Url(port, "/b")],
            ["-H", "x-dst: 198.51.100.8", "-H", "x-dp: 81", "-H", "x-sp: 5", Http.Url(port, "/c")],
            ["-H", "x-src: junk", "-H", "x-sp: 6", Http.Url(port, "/d")],
            // One connection: the second request does not rewrite, and sees the connection's own source again.
            ["-H", "x-src: 192.0.2.9", "-H", "x-sp: 8", Http.Url(port, "/e"), "--next", Http.Url(port, "/f")],
        ];
        var answers = new List<string>();
        foreach (var request in requests)
        {
            answers.Add((await FetchParityTests.CurlAsync(request)).Replace(Port(port), "PORT", StringComparison.Ordinal));
        }

        var lines = await syslog.Lines.WaitForAsync(l => l.StartsWith("fe ", StringComparison.Ordinal), 6);
        return (answers, [.. lines.Where(l => l.StartsWith("fe ", StringComparison.Ordinal))
            .Select(l => l.Replace(Port(port), "PORT", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]);
    }

    [Fact]
    public async Task SetSrcAndDst_SeenByRulesLogsAndForwardFor_AsHAProxy()
    {
        using var haproxyLog = SyslogListener.Udp();
        var (hPort, hServer) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var haproxy = await LogPeers.StartHAProxyAsync(Config(haproxyLog.Port, hPort, hServer), hServer);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var (sPort, sServer) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync(Config(sluiceLog.Port, sPort, sServer), [ReadyProbe.Tcp(sServer)]);
        var ours = await RunAsync(sluiceLog, sPort);

        Assert.Equal(reference.Answers, ours.Answers);
        Assert.Equal(reference.Lines.Where(l => !l.EndsWith("/f", StringComparison.Ordinal)), ours.Lines.Where(l => !l.EndsWith("/f", StringComparison.Ordinal)));
        Assert.Equal("xff=192.0.2.7 doc=yes src=192.0.2.7 dst=127.0.0.1 dp=PORT\n", ours.Answers[0]);
        Assert.Equal("xff=2001:db8::1 doc= src=2001:db8::1 dst=127.0.0.1 dp=PORT\n", ours.Answers[1]);
        Assert.Equal("xff=127.0.0.1 doc= src=127.0.0.1 dst=198.51.100.8 dp=81\n", ours.Answers[2]);
        Assert.StartsWith("xff=127.0.0.1 doc= src=127.0.0.1 ", ours.Answers[3], StringComparison.Ordinal);
        Assert.Contains("fe ci=192.0.2.7 cp=99 fi=127.0.0.1 fp=PORT /a", ours.Lines);
        Assert.Contains("fe ci=127.0.0.1 cp=5 fi=198.51.100.8 fp=81 /c", ours.Lines);
        Assert.Equal("xff=192.0.2.9 doc=yes src=192.0.2.9 dst=127.0.0.1 dp=PORT\nxff=127.0.0.1 doc= src=127.0.0.1 dst=127.0.0.1 dp=PORT\n", ours.Answers[4]);
        Assert.Contains("fe ci=192.0.2.9 cp=8 fi=127.0.0.1 fp=PORT /e", ours.Lines);
    }

    /// <summary>
    /// `set-src`/`set-dst-port` in `tcp-request connection` rules and `set-src-port` in `tcp-request session` rules of
    /// an HTTP frontend rewrite the connection: every request of it sees the new addresses (rules, log); the session
    /// rules see what the connection rules set; behind `accept-proxy` the PROXY header's addresses replace those of
    /// the connection rules, which ran before it. haproxy 2.6, then Sluice.
    /// </summary>
    [Fact]
    public async Task ConnectionAndSessionRules_RewriteTheConnection_EveryRequestSeesIt_AsHAProxy()
    {
        using var logs = SyslogListener.Udp();
        var proxied = 0;
        var seen = 0;
        string Config(int port, string socket)
        {
            proxied = Ports.FreeListeningPort();
            return $$"""
                {{Stats.HaproxyOracle.Preamble(socket)}}
                frontend fe
                    bind 127.0.0.1:{{Port(port)}}
                    bind 127.0.0.1:{{Port(proxied)}} accept-proxy
                    log 127.0.0.1:{{Port(logs.Port)}} format raw local0
                    log-format "fe ci=%ci cp=%cp fi=%fi fp=%fp %HP"
                    tcp-request connection set-src ipv4(192.0.2.1)
                    tcp-request connection set-dst-port int(8081)
                    tcp-request session set-src-port int(4444) if { dst_port 8081 }
                    http-request return status 200 content-type text/plain lf-string "src=%[src]:%[src_port] dst=%[dst]:%[dst_port]\n"
                """;
        }

        async Task<(string Plain, string Proxied, List<string> Lines)> RunAsync(int port, string socket)
        {
            var plain = await FetchParityTests.CurlAsync([Http.Url(port, "/a"), "--next", Http.Url(port, "/b")]);
            using var client = await TestClient.ConnectTcpAsync(proxied);
            await client.SendAsync("PROXY TCP4 198.51.100.5 127.0.0.1 5555 80\r\nGET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"u8.ToArray());
            var answer = await TestClient.ReadToEndAsync(client);
            seen += 3;
            var lines = await logs.Lines.WaitForAsync(l => l.StartsWith("fe ", StringComparison.Ordinal), seen);
            return (plain, answer[answer.IndexOf("\r\n\r\n", StringComparison.Ordinal)..].Trim(),
                [.. lines.Skip(seen - 3).Select(l => l.Replace(Port(port), "PORT", StringComparison.Ordinal).Replace(Port(proxied), "PROXIED", StringComparison.Ordinal)).Order(StringComparer.Ordinal)]);
        }

        var (reference, ours) = await Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("src=192.0.2.1:4444 dst=127.0.0.1:8081\nsrc=192.0.2.1:4444 dst=127.0.0.1:8081\n", reference.Plain);
        Assert.Equal("src=198.51.100.5:5555 dst=127.0.0.1:80", reference.Proxied);
        Assert.Equal((reference.Plain, reference.Proxied), (ours.Plain, ours.Proxied));
        Assert.Equal(reference.Lines, ours.Lines);
    }

    /// <summary>
    /// HAProxy's way to connect where a rule says: `set-dst-port` (and `set-dst`) with a server at `0.0.0.0:0`. Two
    /// requests of one connection name two nginx servers; each reaches its own, and the log's `%si:%sp` is where it
    /// went. haproxy 2.6, then Sluice.
    /// </summary>
    [Fact]
    public async Task SetDstPort_ServerAtZeroAddress_EachRequestGoesWhereItsDestinationSays_AsHAProxy()
    {
        await using var first = await NginxBackend.StartAsync(new NginxOptions { SmallBody = "first\n" });
        await using var second = await NginxBackend.StartAsync(new NginxOptions { SmallBody = "second\n" });
        using var logs = SyslogListener.Udp();
        var seen = 0;
        string Config(int port, string socket) => $$"""
            {{Stats.HaproxyOracle.Preamble(socket)}}
            frontend fe
                bind 127.0.0.1:{{Port(port)}}
                log 127.0.0.1:{{Port(logs.Port)}} format raw local0
                log-format "%b/%s %si:%sp %HP"
                http-request set-dst str(127.0.0.1) if { hdr(x-port) -m found }
                http-request set-dst-port hdr(x-port) if { hdr(x-port) -m found }
                default_backend be
            backend be
                server clear 0.0.0.0:0
            """;

        async Task<(string Answers, List<string> Lines)> RunAsync(int port, string socket)
        {
            var answers = await FetchParityTests.CurlAsync([
                "-H", "x-port: " + Port(first.Port), Http.Url(port, NginxBackend.SmallPath),
                "--next", "-H", "x-port: " + Port(second.Port), Http.Url(port, NginxBackend.SmallPath),
                "--next", "-H", "x-port: " + Port(first.Port), Http.Url(port, NginxBackend.SmallPath)]);
            seen += 3;
            var lines = await logs.Lines.WaitForAsync(l => l.StartsWith("be/", StringComparison.Ordinal), seen);
            return (answers, [.. lines.Skip(seen - 3)]);
        }

        var (reference, ours) = await Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("first\nsecond\nfirst\n", reference.Answers);
        Assert.Equal(reference.Answers, ours.Answers);
        string[] expected = [$"be/clear 127.0.0.1:{Port(first.Port)} /small", $"be/clear 127.0.0.1:{Port(second.Port)} /small", $"be/clear 127.0.0.1:{Port(first.Port)} /small"];
        Assert.Equal(expected, reference.Lines);
        Assert.Equal(expected, ours.Lines);
    }
}
