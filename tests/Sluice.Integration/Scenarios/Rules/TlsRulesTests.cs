using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>The seeds' TLS rules: client certificate facts in headers and the log, compared with haproxy 2.6 (004); https redirect (003).</summary>
public sealed class TlsRulesTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    /// <summary>
    /// Seed 004's frontend as written (its bind lines, headers and log-format), under haproxy and Sluice with the same
    /// client certificates: `verify required` with a valid certificate, with none and with one of another CA; `verify
    /// optional` with a valid one and with none; and the cleartext bind. The servers see the same headers and the
    /// logs say the same, dates, ports and timers aside. The seed's log-format is quoted: haproxy 2.6 takes one word.
    /// </summary>
    [Fact]
    public async Task Seed004_ClientCertificateHeadersAndLog_SameAsHAProxy()
    {
        var site = _certs.Server("server.pem", "www.example.test");
        var client = _certs.Client("client1", "E=ba@haproxy.com, CN=client1, O=haproxy.com, L=Jouy en Josas, S=Ile de France, C=FR");
        using var otherCa = new TestCertificates("Other CA");
        var untrusted = otherCa.Client("untrusted", "CN=untrusted");
        await using var backend = RecordingBackend.Start();
        var syslogs = new List<SyslogListener>();
        try
        {
            string Config(int port, string socket) => $$"""
                global
                    stats socket {{socket}} level admin
                    log 127.0.0.1:{{syslogs[^1].Port}} format raw local0
                defaults
                    mode http
                    log global
                    timeout connect 2s
                    timeout client 10s
                    timeout server 10s
                frontend ft_www
                    bind 127.0.0.1:{{port + 2}} name http
                    bind 127.0.0.1:{{port}} name https ssl crt {{site}} ca-file {{_certs.CaFile}} verify required
                    bind 127.0.0.1:{{port + 1}} name https-optional ssl crt {{site}} ca-file {{_certs.CaFile}} verify optional
                    log-format "%ci:%cp [%t] %ft %b/%s %Tq/%Tw/%Tc/%Tr/%Tt %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs {%[ssl_c_verify],%{+Q}[ssl_c_s_dn],%{+Q}[ssl_c_i_dn]} %{+Q}r"
                    http-request set-header X-SSL                  %[ssl_fc]
                    http-request set-header X-SSL-Client-Verify    %[ssl_c_verify]
                    http-request set-header X-SSL-Client-DN        %{+Q}[ssl_c_s_dn]
                    http-request set-header X-SSL-Client-CN        %{+Q}[ssl_c_s_dn(cn)]
                    http-request set-header X-SSL-Issuer           %{+Q}[ssl_c_i_dn]
                    http-request set-header X-SSL-Client-NotBefore %{+Q}[ssl_c_notbefore]
                    http-request set-header X-SSL-Client-NotAfter  %{+Q}[ssl_c_notafter]
                    default_backend bk_www
                backend bk_www
                    cookie SRVID insert nocache
                    server server1 {{backend.Address}} maxconn 1
                """;

            Task Reset()
            {
                syslogs.Add(SyslogListener.Udp());
                return Task.CompletedTask;
            }

            async Task<(string[] Requests, string[] Log, bool[] Served)> RunAsync(int port, string socket, int processId, LineCollector output)
            {
                var syslog = syslogs[^1];
                var seen = backend.Requests.Count;
                var served = new List<bool>();

                async Task Send(int onPort, string scheme, params string[] arguments)
                {
                    var url = $"{scheme}://www.example.test:{onPort}/";
                    var result = await Http.CurlAsync(["-o", "/dev/null", "--cacert", _certs.CaFile, "--resolve", $"www.example.test:{onPort}:127.0.0.1", "-H", "Host: www.example.test", .. arguments, url]);
                    served.Add(result.ExitCode == 0);
                    // One log line per connection, served or refused, before the next one: the lines keep the order.
                    await syslog.Lines.WaitForAsync(_ => true, served.Count);
                }

                await Send(port, "https", "--cert", client.Certificate, "--key", client.Key);
                await Send(port, "https");
                await Send(port, "https", "--cert", untrusted.Certificate, "--key", untrusted.Key);
                await Send(port + 1, "https", "--cert", client.Certificate, "--key", client.Key);
                await Send(port + 1, "https");
                await Send(port + 2, "http");
                // Names lower-cased: haproxy sends every name in lower case, Sluice the client's own in its case (RFC 9110 §5.1: the same name).
                var requests = backend.Requests.Skip(seen).Select(r => string.Join('\n', [$"{r.Method} {r.Target} {r.Version}", .. r.Headers.Select(h => $"{h.Key.ToLowerInvariant()}: {h.Value}")]));
                return ([.. requests], [.. syslog.Lines.Lines.Select(LogPeers.Normalize)], [.. served]);
            }

            var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync, ports: 3, reset: Reset);

            // haproxy's own observations show each case does what it is meant to (so that equality below says something).
            Assert.Equal([true, false, false, true, true, true], reference.Served);
            Assert.Equal(4, reference.Requests.Length);
            var notBefore = client.Issued.NotBefore.ToUniversalTime().ToString("yyMMddHHmmss", CultureInfo.InvariantCulture) + "Z";
            var notAfter = client.Issued.NotAfter.ToUniversalTime().ToString("yyMMddHHmmss", CultureInfo.InvariantCulture) + "Z";
            // `%{+Q}` quotes in logs only: haproxy 2.6 sets the headers unquoted (the seed shows an older version's quotes).
            Assert.EndsWith($"""

                x-ssl: 1
                x-ssl-client-verify: 0
                x-ssl-client-dn: /C=FR/ST=Ile de France/L=Jouy en Josas/O=haproxy.com/CN=client1/emailAddress=ba@haproxy.com
                x-ssl-client-cn: client1
                x-ssl-issuer: /C=FR/O=Sluice/CN=Sluice Test CA
                x-ssl-client-notbefore: {notBefore}
                x-ssl-client-notafter: {notAfter}
                """.ReplaceLineEndings("\n"), reference.Requests[0], StringComparison.Ordinal);
            Assert.Equal(reference.Requests[0], reference.Requests[1]);
            Assert.Contains("\nx-ssl: 1\nx-ssl-client-verify: 0\nx-ssl-client-dn: \n", reference.Requests[2], StringComparison.Ordinal);
            Assert.Contains("\nx-ssl: 0\nx-ssl-client-verify: \n", reference.Requests[3], StringComparison.Ordinal);
            Assert.Equal(6, reference.Log.Length);
            Assert.EndsWith(" {0,\"/C=FR/ST=Ile de France/L=Jouy en Josas/O=haproxy.com/CN=client1/emailAddress=ba@haproxy.com\",\"/C=FR/O=Sluice/CN=Sluice Test CA\"} \"GET / HTTP/1.1\"", reference.Log[0], StringComparison.Ordinal);
            Assert.Equal("127.0.0.1:PORT [DATE] ft_www/https: SSL handshake failure", reference.Log[1]);
            Assert.Equal("127.0.0.1:PORT [DATE] ft_www/https: SSL client certificate not trusted", reference.Log[2]);
            Assert.EndsWith(" {-,\"\",\"\"} \"GET / HTTP/1.1\"", reference.Log[5], StringComparison.Ordinal);

            Assert.Equal(reference.Served, ours.Served);
            Assert.Equal(reference.Requests.Length, ours.Requests.Length);
            for (var i = 0; i < reference.Requests.Length; i++)
            {
                Assert.Equal(reference.Requests[i], ours.Requests[i]);
            }

            Assert.Equal(reference.Log, ours.Log);
        }
        finally
        {
            syslogs.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task RedirectSchemeHttps_UnlessSslFc_OnlyCleartextIsRedirected()
    {
        var site = _certs.Server("site.pem", "shop.example.test");
        await using var backend = RecordingBackend.Start();
        var tlsPort = Ports.FreeListeningPort();
        var plainPort = Ports.FreeListeningPort();
        var config = $"""
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{plainPort}
                bind 127.0.0.1:{tlsPort} ssl crt {site} alpn h2,http/1.1
                http-request redirect scheme https unless {"{"} ssl_fc {"}"}
                default_backend be
            backend be
                server s1 {backend.Address}
            """;
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(tlsPort));

        var plain = await Http.CurlAsync("-i", "-H", "Host: shop.example.test", $"http://127.0.0.1:{plainPort}/cart");
        Assert.StartsWith("HTTP/1.1 302 Found", plain.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("location: https://shop.example.test/cart\r\n", plain.StandardOutput, StringComparison.OrdinalIgnoreCase);
        var secure = await Http.CurlAsync("--http2", "--cacert", _certs.CaFile, "--resolve", $"shop.example.test:{tlsPort}:127.0.0.1", $"https://shop.example.test:{tlsPort}/cart");
        Assert.True(secure.ExitCode == 0, secure.StandardError);
        Assert.Equal("ok", secure.StandardOutput);
        Assert.Equal("/cart", Assert.Single(backend.Requests).Target);
    }

    [Fact]
    public async Task ConnectionReject_OnSslBind_BeforeTheHandshake()
    {
        var site = _certs.Server("site.pem", "www.example.test");
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        var config = $"""
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{port} ssl crt {site}
                tcp-request connection reject if {"{"} src 127.0.0.2 {"}"}
                default_backend be
            backend be
                server s1 {backend.Address}
            """;
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port));

        var url = $"https://www.example.test:{port}/";
        var resolve = $"www.example.test:{port}:127.0.0.1";
        var refused = await Http.CurlAsync("--cacert", _certs.CaFile, "--resolve", resolve, "--interface", "127.0.0.2", "-w", "%{ssl_verify_result}", url);
        // The connection is reset before any handshake, as haproxy resets it: curl says 35 (the handshake failed) or,
        // when the reset comes before it notices the connection made, 7; after a handshake it would be 52.
        Assert.Contains(refused.ExitCode, new[] { 7, 35 });
        var served = await Http.CurlAsync("--cacert", _certs.CaFile, "--resolve", resolve, "--interface", "127.0.0.1", url);
        Assert.True(served.ExitCode == 0, served.StandardError);
        Assert.Equal("ok", served.StandardOutput);
        Assert.Single(backend.Requests);

        // The refused connection was closed before any handshake: no handshake of 127.0.0.2 failed (the readiness
        // probe's own connection, from 127.0.0.1, does fail one).
        Assert.DoesNotContain(sluice.Output.Lines, l => l.StartsWith("127.0.0.2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ModeTcpOffload_SessionAndContentRules_ReadTheTlsFacts()
    {
        var site = _certs.Server("site.pem", "www.example.test", ["www.example.test", "other.example.test"]);
        await using var www = RecordingBackend.Start(_ => CannedResponse.Ok("www"));
        await using var other = RecordingBackend.Start(_ => CannedResponse.Ok("other"));
        var port = Ports.FreeListeningPort();
        var config = $"""
            defaults
                mode tcp
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{port} ssl crt {site}
                tcp-request session set-var(sess.sni) ssl_fc_sni
                tcp-request session reject unless {"{"} ssl_fc {"}"}
                tcp-request content reject if {"{"} var(sess.sni) -m beg refused. {"}"}
                use_backend be_other if {"{"} ssl_fc_sni other.example.test {"}"}
                default_backend be_www
            backend be_www
                server s1 {www.Address}
            backend be_other
                server s1 {other.Address}
            """;
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port));

        async Task<Sluice.TestKit.Processes.CommandResult> Get(string name) =>
            await Http.CurlAsync("-k", "--resolve", $"{name}:{port}:127.0.0.1", $"https://{name}:{port}/");
        var toWww = await Get("www.example.test");
        Assert.True(toWww.ExitCode == 0, toWww.StandardError);
        Assert.Equal("www", toWww.StandardOutput);
        Assert.Equal("other", (await Get("other.example.test")).StandardOutput);
        // The content rule closes the tunnel once the handshake is done: curl sees the connection end, nothing comes.
        var refused = await Get("refused.example.test");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Equal(string.Empty, refused.StandardOutput);
        Assert.Single(www.Requests);
        Assert.Single(other.Requests);
    }
}
