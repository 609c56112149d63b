using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// Checks made of rules: `tcp-check` sequences, several `http-check` steps, and the protocol checks (redis,
/// PostgreSQL, SMTP, MySQL, LDAP, SSL hello) against real servers (redis-server, postgres, openssl s_server) and
/// python peers that play a protocol's first exchange. HAProxy 2.6 runs the same configuration as the oracle:
/// the servers it takes down, and its words, are the ones expected.
/// </summary>
public class RuleCheckTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>A DOWN line without what depends on timing or on the order of the checks.</summary>
    private static string Normalized(string line)
    {
        var text = Regex.Replace(line, @"^\[WARNING\]\s+(\(\d+\) : )?", string.Empty);
        return Regex.Replace(text, @"check duration: \d+ms\. \d+ active and \d+ backup servers left\.", "check duration: Xms. N active and 0 backup servers left.");
    }

    [Fact]
    public async Task ProtocolAndTcpChecks_ServersTakenDownWithHAProxysWords()
    {
        await using var redis = await RedisPeer.StartAsync();
        await using var postgres = await PostgresPeer.StartAsync();
        await using var smtp = await PythonPeer.StartCheckProtocolServerAsync("smtp");
        await using var smtpBad = await PythonPeer.StartCheckProtocolServerAsync("smtpbad");
        await using var mysql = await PythonPeer.StartCheckProtocolServerAsync("mysql");
        await using var mysqlDeny = await PythonPeer.StartCheckProtocolServerAsync("mysqldeny");
        await using var ldap = await PythonPeer.StartCheckProtocolServerAsync("ldap");
        await using var ldapBad = await PythonPeer.StartCheckProtocolServerAsync("ldapbad");
        await using var junk = await PythonPeer.StartCheckProtocolServerAsync("junk");
        await using var silent = await PythonPeer.StartCheckProtocolServerAsync("silent");
        using var certificates = new TestCertificates();
        var pem = certificates.Server("server.pem", "tls.test");
        var tlsPort = Ports.FreeListeningPort();
        await using var tls = PeerProcess.Start(CommandRunner.Require("openssl", "openssl"), ["s_server", "-quiet", "-accept", "127.0.0.1:" + Port(tlsPort), "-cert", pem, "-key", pem]);
        var refused = "127.0.0.1:" + Port(Ports.FreeListeningPort());

        string Config(int port) => $"""
            defaults
                mode tcp
                timeout connect 1s
                timeout client 5s
                timeout server 5s
                timeout check 500ms
                default-server inter 300 rise 1 fall 1
            listen front
                bind 127.0.0.1:{Port(port)}
                server r {redis.Address}
            backend redis
                option redis-check
                server ok {redis.Address} check
                server junk {junk.Address} check
                server refused {refused} check
            backend pgsql
                option pgsql-check user haproxy
                server ok {postgres.Address} check
                server junk {junk.Address} check
            backend smtp
                option smtpchk EHLO sluice.test
                server ok {smtp.Address} check
                server bad {smtpBad.Address} check
            backend mysql
                option mysql-check user haproxy
                server ok {mysql.Address} check
                server deny {mysqlDeny.Address} check
            backend mysqlhandshake
                option mysql-check
                server ok {mysql.Address} check
            backend ldap
                option ldap-check
                server ok {ldap.Address} check
                server bad {ldapBad.Address} check
                server junk {junk.Address} check
            backend sslhello
                option ssl-hello-chk
                server ok 127.0.0.1:{Port(tlsPort)} check
                server junk {junk.Address} check
            backend seq
                option tcp-check
                tcp-check comment "say hi"
                tcp-check send hi\r\n
                tcp-check expect string hello
                tcp-check expect ! string bye comment nobye
                server ok {junk.Address} check
                server silent {silent.Address} check
                server refused {refused} check
            backend seqport
                option tcp-check
                tcp-check connect port {Port(junk.Port)}
                tcp-check send hi\r\n
                tcp-check expect rstring ^hello
                tcp-check expect string nothere
                server other {refused} check
            backend seqbinary
                option tcp-check
                tcp-check send-binary 68690d0a
                tcp-check expect binary 68656c6c6f on-success "all good" on-error "no hello" error-status L7STS
                server refused {refused} check
                server ok {junk.Address} check
                server silent {silent.Address} check
            backend seqmiss
                option tcp-check
                tcp-check send hi\r\n
                tcp-check expect rbinary ^4845 min-recv 3
                server junk {junk.Address} check
            backend plain
                option tcp-check
                server refused {refused} check
                server ok {junk.Address} check
            """;

        string[] expectedDown =
        [
            "redis/junk", "redis/refused", "pgsql/junk", "smtp/bad", "mysql/deny", "ldap/bad", "ldap/junk", "sslhello/junk",
            "seq/silent", "seq/refused", "seqport/other", "seqbinary/refused", "seqbinary/silent", "seqmiss/junk", "plain/refused",
        ];

        async Task<List<string>> DownLinesAsync(LineCollector output)
        {
            foreach (var server in expectedDown)
            {
                await output.WaitForAsync(l => l.Contains($"Server {server} is DOWN", StringComparison.Ordinal));
            }

            // Two more rounds of checks: a server that should stay up has had time to go down.
            await Task.Delay(800);
            return [.. output.Lines.Where(l => l.Contains(" is DOWN", StringComparison.Ordinal)).Select(Normalized).Order(StringComparer.Ordinal)];
        }

        List<string> oracle;
        var haproxyPort = Ports.FreeListeningPort();
        await using (var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort), haproxyPort))
        {
            oracle = await DownLinesAsync(haproxy.Output);
        }

        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port), [ReadyProbe.Tcp(port)]);
        var lines = await DownLinesAsync(sluice.Output);

        Assert.Equal(expectedDown.Length, oracle.Count);
        Assert.Equal(oracle, lines);
        Assert.Contains("Server redis/junk is DOWN, reason: Layer7 wrong status, code: 0, info: \"hello there\", check duration: Xms. N active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.", lines);
        Assert.Contains(lines, l => l.StartsWith("Server seq/silent is DOWN, reason: Layer7 timeout, info: \" at step 3 of tcp-check (expect string 'hello')\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Server seqport/other is DOWN, reason: Layer7 invalid response, info: \"TCPCHK did not match content 'nothere' at step 4\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Server mysql/deny is DOWN, reason: Layer7 wrong status, code: 1045, info: \"#28000Access denied for user 'haproxy'\"", StringComparison.Ordinal));

        // What the checks sent, as the peers saw it.
        await smtp.Output.WaitForAsync(l => l == "GOT " + Convert.ToHexString("QUIT\r\n"u8).ToLowerInvariant());
        Assert.Contains("GOT " + Convert.ToHexString("EHLO sluice.test\r\n"u8).ToLowerInvariant(), smtp.Output.Lines);
        Assert.Contains("GOT 300c020101600702010304008000", ldap.Output.Lines);
    }

    [Fact]
    public async Task RedisCheck_RedisKilledThenRestarted_DownThenUpWithRedisServerIsOk_ClientsUseTheOther()
    {
        await using var first = await RedisPeer.StartAsync();
        await using var second = await RedisPeer.StartAsync();
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode tcp
                timeout connect 1s
                timeout client 5s
                timeout server 5s
                # inter alone would bound the whole check to 300 ms, which a loaded machine can miss on the healthy server
                timeout check 3s
            listen redis
                bind 127.0.0.1:{Port(port)}
                balance roundrobin
                option redis-check
                server first {first.Address} check inter 300 fall 2 rise 2
                server second {second.Address} check inter 300 fall 2 rise 2
            """, [ReadyProbe.Tcp(port)]);

        var cli = CommandRunner.Require("redis-cli", "redis-tools");
        async Task PingAsync()
        {
            var result = await CommandRunner.RunAsync(cli, ["-h", "127.0.0.1", "-p", Port(port), "PING"], timeout: TimeSpan.FromSeconds(20));
            Assert.True(result.StandardOutput.Trim() == "PONG", $"redis-cli: {result.StandardOutput}{result.StandardError}\n{sluice.Output.Text}");
        }

        await PingAsync();
        await first.StopAsync();
        // Usually "Connection refused"; a check that was talking to redis as it stopped fails at layer 7 instead.
        var down = await sluice.Output.WaitForAsync(l => l.Contains("Server redis/first is DOWN", StringComparison.Ordinal));
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(down[0], @"^\[WARNING\] Server redis/first is DOWN, reason: Layer[47] [a-z ]+(, code: \d+)?, info: ""[^""]*"", check duration: \d+ms\. 1 active and 0 backup servers left\. \d+ sessions active, 0 requeued, 0 remaining in queue\.$"), down[0]);
        for (var i = 0; i < 4; i++)
        {
            await PingAsync();
        }

        await first.RestartAsync();
        var up = await sluice.Output.WaitForAsync(l => l.Contains("Server redis/first is UP", StringComparison.Ordinal));
        Assert.Matches(@"^\[WARNING\] Server redis/first is UP, reason: Layer7 check passed, code: 0, info: ""Redis server is ok"", check duration: \d+ms\. 2 active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.$", up[0]);
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("redis/second is DOWN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HttpCheck_ConnectSendExpectSteps_EachExchangeOnItsConnection_SecondPortFailing_Down()
    {
        await using var health = await CheckPeer.StartAsync("healthy");
        await using var ready = await CheckPeer.StartAsync("ready");
        await using var notReady = await CheckPeer.StartAsync("busy", status: 503);
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{Port(port)}
                default_backend be
            backend be
                option httpchk
                http-check connect
                http-check send meth GET uri /health ver HTTP/1.1 hdr Host check.test
                http-check expect status 200
                http-check expect string healthy
                http-check connect port {Port(ready.Port)}
                http-check send meth GET uri /ready
                http-check expect status 200-299
                # A slow check on a loaded machine must not take the good server down before the last request.
                timeout check 5s
                server good {health.Address} check inter 300 rise 1 fall 5
            backend be2
                option httpchk
                http-check connect
                http-check send meth GET uri /health
                http-check expect status 200
                http-check connect port {Port(notReady.Port)} comment "readiness"
                http-check send meth GET uri /ready
                http-check expect status 200
                server bad {health.Address} check inter 300 rise 1 fall 1
            """, [ReadyProbe.Tcp(port)]);

        await health.Output.WaitForAsync(l => l == "REQ GET /health HTTP/1.1 host=check.test", count: 2);
        await ready.Output.WaitForAsync(l => l == "REQ GET /ready HTTP/1.0 host=None", count: 2);
        var down = await sluice.Output.WaitForAsync(l => l.Contains("Server be2/bad is DOWN", StringComparison.Ordinal));
        Assert.Matches(@"^\[WARNING\] Server be2/bad is DOWN, reason: Layer7 wrong status, code: 503, info: ""Service Unavailable"", check duration: \d+ms\. 0 active and 0 backup servers left\.", down[0]);
        await notReady.Output.WaitForAsync(l => l == "REQ GET /ready HTTP/1.0 host=None");
        Assert.DoesNotContain(sluice.Output.Lines, l => l.Contains("be/good is DOWN", StringComparison.Ordinal));
        Assert.Equal("healthy", await CurlBodyAsync(port));
    }

    private static async Task<string> CurlBodyAsync(int port)
    {
        var result = await CommandRunner.RunAsync(CommandRunner.Require("curl", "curl"), ["-sS", "--max-time", "10", "http://127.0.0.1:" + Port(port) + "/"], timeout: TimeSpan.FromSeconds(20));
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }
}
