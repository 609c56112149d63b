using System.Net.Sockets;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.RuntimeApi;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// `show table`, `set table`, `clear table` compared with haproxy 2.6 answer for answer, on tables filled by
/// `http-request track-sc0` and `tcp-request connection track-sc0` with the same traffic.
/// </summary>
public partial class StickTableCommandsTests
{
    [GeneratedRegex(@"^0x[0-9a-f]+:", RegexOptions.Multiline)]
    private static partial Regex EntryAddress();

    [GeneratedRegex(@"exp=\d+")]
    private static partial Regex Expiry();

    private static string Config(int httpPort, int tcpPort, string server, string socket) => $"""
        global
            stats socket {socket} level admin
        defaults
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        frontend web
            mode http
            bind 127.0.0.1:{httpPort}
            stick-table type ip size 100 expire 30s store gpc0,conn_cur,conn_cnt,conn_rate(10s),http_req_cnt,http_req_rate(10s),http_err_cnt,http_err_rate(10s),server_id
            http-request track-sc0 src
            http-request return status 200
        frontend raw
            mode tcp
            bind 127.0.0.1:{tcpPort}
            stick-table type ip size 10 expire 30s store conn_cnt,conn_cur,conn_rate(10s)
            tcp-request connection track-sc0 src
            tcp-request connection reject if {"{"} sc0_conn_rate gt 2 {"}"}
            default_backend echo
        backend echo
            mode tcp
            server s {server}
        backend numbers
            stick-table type integer size 10
        backend v6
            stick-table type ipv6 size 10 store gpc0
        """;

    private static readonly string[] Script =
    [
        "show table", "show table web", "show table raw", "show table web data.http_req_cnt gt 1", "show table web key 127.0.0.1",
        "show table web key 127.0.0.2", "show table nope", "show table web data.foo gt 1", "show table web data.http_req_cnt zz 1",
        "show table web data.http_req_cnt gt x", "set table web key 127.0.0.2 data.gpc0 5", "set table web key 127.0.0.2 data.conn_rate 5",
        "set table web key 127.0.0.3 data.foo 5", "set table web data.gpc0 4", "set table numbers key 12 data.gpc0 1",
        "show table web data.gpc0 gt 1", "show table web foo", "show table web data.gpc0 eq 0 key 1.2.3.4", "clear table", "set table",
        "set table web key 127.0.0.9 data.gpc0",
        "show table web data.gpc0 eq 0 data.gpc0 eq 0 data.gpc0 eq 0 data.gpc0 eq 0 data.gpc0 eq 0",
        "set table web key 127.0.0.9 data.gpt0 1", "show table web data.gpt0 eq 0", "clear table web key 127.0.0.1", "show table web",
        "clear table web data.gpc0 gt 1", "show table web", "clear table web", "show table web", "show table numbers key abc",
        "clear table web key", "set table numbers key 12", "show table numbers", "set table v6 key ::1 data.gpc0 3",
        "set table v6 key 127.0.0.1 data.gpc0 3", "show table v6",
    ];

    private static async Task<List<string>> RunAsync(int httpPort, int tcpPort, string socket)
    {
        await Http.CurlAsync(Http.Url(httpPort, "/"));
        await Http.CurlAsync(Http.Url(httpPort, "/"));
        for (var i = 0; i < 4; i++)
        {
            try
            {
                using var client = await TestClient.ConnectTcpAsync(tcpPort, System.Net.IPAddress.Loopback);
                await TestClient.ReadToEndAsync(client);
            }
            catch (Exception ex) when (ex is SocketException or IOException)
            {
                // The connections over the rate are reset.
            }
        }

        var answers = new List<string>();
        foreach (var command in Script)
        {
            var answer = await StatsPeers.SocatAsync("UNIX-CONNECT:" + socket, command + "\n");
            answers.Add($"{command}\n{Expiry().Replace(EntryAddress().Replace(answer, "0xADDR:"), "exp=E")}");
        }

        return answers;
    }

    [Fact]
    public async Task ShowSetClear_SameAnswersAsHAProxy()
    {
        await using var server = TestServer.Tcp(TestServer.SayName("served"));
        var haHttp = Ports.FreeListeningPort();
        var haTcp = Ports.FreeListeningPort();
        // Only the http port is probed for readiness: a probe of the tcp one would be tracked.
        var haSocket = Path.Combine(Ports.TempDirectory(), "h.sock");
        List<string> expected;
        await using (var haproxy = await HAProxyPeer.StartAsync(Config(haHttp, haTcp, server.Address, haSocket), haHttp))
        {
            expected = await RunAsync(haHttp, haTcp, haSocket);
        }

        var httpPort = Ports.FreeListeningPort();
        var tcpPort = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        await using var sluice = await SluiceProcess.StartAsync(Config(httpPort, tcpPort, server.Address, socket), [ReadyProbe.Tcp(httpPort)]);
        var actual = await RunAsync(httpPort, tcpPort, socket);
        for (var i = 0; i < Script.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }

        // The tables were filled by the traffic, not only by `set table`.
        Assert.Contains("key=127.0.0.1 use=0 exp=E conn_cnt=4 conn_rate(10000)=4 conn_cur=0", actual[2], StringComparison.Ordinal);
        Assert.Contains("http_req_cnt=2 http_req_rate(10000)=2", actual[1], StringComparison.Ordinal);
    }
}
