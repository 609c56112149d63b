using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;
using HttpHelpers = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// More of TLS towards servers, each case run under haproxy 2.6 and then Sluice with the same configuration and
/// compared: `check-ssl` and `no-check-ssl` (the check status in the runtime API's `show stat`), the
/// `ssl-default-server-*` settings of `global` and a server line's own `ciphers`/`ssl-max-ver` over them (the
/// protocol and cipher nginx saw), and the backend ALPN cases of seed 001 (the protocol nginx served).
/// </summary>
public sealed class TlsServerOptionsTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    /// <summary>
    /// nginx with TLS (and HTTP/2 by ALPN with <paramref name="http2"/>); <c>/tls</c> answers the protocol and cipher
    /// of the connection, <c>/alpn</c> the HTTP version of the request and the protocol ALPN chose.
    /// </summary>
    private Task<NginxBackend> StartTlsNginxAsync(string certificate, bool http2 = false, string protocols = "TLSv1.2 TLSv1.3") => NginxBackend.StartAsync(new NginxOptions
    {
        ListenParameters = http2 ? " ssl http2" : " ssl",
        ExtraServerDirectives = $$"""
            ssl_protocols {{protocols}};
            ssl_certificate {{certificate}};
            ssl_certificate_key {{certificate}};
            location = /tls {
                default_type text/plain;
                return 200 "$ssl_protocol $ssl_cipher\n";
            }
            location = /alpn {
                default_type text/plain;
                return 200 "$server_protocol alpn=$ssl_alpn_protocol\n";
            }
            """,
    });

    /// <summary>
    /// A server without `ssl` whose checks go to nginx's TLS port: with `check-ssl` they pass over TLS (an HTTP check
    /// L7OK, a connect check L6OK); without it the HTTP check is cleartext and nginx's TLS port answers 400 (L7STS).
    /// An `ssl` server with `no-check-ssl` is checked in cleartext, on another port or on its own (L7OK), while the
    /// same server without it fails its TLS handshake on a cleartext port (L6RSP).
    /// </summary>
    [Fact]
    public async Task CheckSslAndNoCheckSsl_CheckStatusAsHAProxy()
    {
        var site = _certs.Server("backend.pem", "backend.test");
        await using var tls = await StartTlsNginxAsync(site);
        await using var clear = await NginxBackend.StartAsync();
        var verify = $"ca-file {_certs.CaFile}";
        string[] backends = ["check_ssl_http", "check_ssl_connect", "cleartext_http_to_tls", "ssl_no_check_ssl_port", "ssl_no_check_ssl", "ssl_checked_over_tls"];
        string Config(int port, string socket) => $"""
            global
                stats socket {socket} level admin
            defaults
                mode http
                timeout connect 2s
                timeout client 5s
                timeout server 5s
                # A check's connection and TLS handshake get min(timeout connect, inter), its answer `timeout check`:
                # generous for a loaded machine, and a timed-out check is waited past below.
                timeout check 5s
                default-server inter 1s rise 1 fall 1
            frontend f
                bind 127.0.0.1:{port}
                default_backend check_ssl_http
            backend check_ssl_http
                option httpchk GET /small
                server s {clear.Address} check check-ssl port {tls.Port} {verify}
            backend check_ssl_connect
                server s {clear.Address} check check-ssl port {tls.Port} {verify}
            backend cleartext_http_to_tls
                option httpchk GET /small
                server s {clear.Address} check port {tls.Port}
            backend ssl_no_check_ssl_port
                option httpchk GET /small
                server s {tls.Address} ssl {verify} check no-check-ssl port {clear.Port}
            backend ssl_no_check_ssl
                option httpchk GET /small
                server s {clear.Address} ssl {verify} check no-check-ssl
            backend ssl_checked_over_tls
                option httpchk GET /small
                server s {clear.Address} ssl {verify} check
            """;

        async Task<List<string>> RunAsync(int port, string socket)
        {
            // rise 1 fall 1: each check sets the state; a timeout is never the settled outcome of these servers.
            List<string> rows = [];
            var deadline = DateTime.UtcNow + 2 * TestTimeout.Value;
            while (true)
            {
                var stats = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"));
                rows = [.. backends.Select(b => stats[b + "/s"]).Select(s => $"{s["status"]} {s["check_status"]} {s["check_code"]} [{s["check_desc"]}]")];
                if (rows.All(r => r.Split(' ')[1] is { Length: > 0 } status && !status.StartsWith("INI", StringComparison.Ordinal) && !status.EndsWith("TOUT", StringComparison.Ordinal) && !r.Contains(" * ", StringComparison.Ordinal)))
                {
                    return rows;
                }

                Assert.True(DateTime.UtcNow < deadline, "checks not settled:\n" + string.Join('\n', rows));
                await Task.Delay(200);
            }
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal(
        [
            "UP L7OK 200 [Layer7 check passed]",
            "UP L6OK  [Layer6 check passed]",
            "DOWN L7STS 400 [Layer7 wrong status]",
            "UP L7OK 200 [Layer7 check passed]",
            "UP L7OK 200 [Layer7 check passed]",
            "DOWN L6RSP  [Layer6 invalid response]",
        ], reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `ssl-default-server-options ssl-max-ver TLSv1.2` with `ssl-default-server-ciphers` (an ECDSA suite, as the
    /// server's key) and `ssl-default-server-ciphersuites` in `global`: a plain `ssl` server line gets TLS 1.2 and
    /// that suite, one raising its own `ssl-max-ver` gets TLS 1.3 and the default TLS 1.3 suite, and its own
    /// `ciphers`/`ciphersuites` replace the defaults; an RSA server shares no suite with the defaults (503).
    /// </summary>
    [Fact]
    public async Task SslDefaultServerOptionsCiphersCiphersuites_AndServerLinesOwn_AsHAProxy()
    {
        await using var ecdsa = await StartTlsNginxAsync(_certs.Server("ecdsa.pem", "backend.test"));
        await using var rsa = await StartTlsNginxAsync(_certs.Server("rsa.pem", "backend.test", rsa: true));
        var verify = $"ssl ca-file {_certs.CaFile}";
        var servers = new (string Backend, string Server)[]
        {
            ("defaults_only", $"{ecdsa.Address} {verify}"),
            ("own_max_ver", $"{ecdsa.Address} {verify} ssl-max-ver TLSv1.3"),
            ("own_ciphers", $"{ecdsa.Address} {verify} ciphers ECDHE-ECDSA-CHACHA20-POLY1305"),
            ("own_ciphersuites", $"{ecdsa.Address} {verify} ssl-max-ver TLSv1.3 ciphersuites TLS_AES_128_GCM_SHA256"),
            ("rsa_defaults", $"{rsa.Address} {verify}"),
            ("rsa_own_ciphers", $"{rsa.Address} {verify} ciphers ECDHE-RSA-AES128-GCM-SHA256"),
        };
        string Config(int port, string socket) => $"""
            global
                stats socket {socket} level admin
                ssl-default-server-options ssl-max-ver TLSv1.2
                ssl-default-server-ciphers ECDHE-ECDSA-AES128-GCM-SHA256
                ssl-default-server-ciphersuites TLS_CHACHA20_POLY1305_SHA256
            defaults
                mode http
                timeout connect 5s
                timeout client 10s
                timeout server 10s
                retries 0
            frontend f
                bind 127.0.0.1:{port}
            {string.Concat(servers.Select(s => $"    use_backend {s.Backend} if {{ req.hdr(x-backend) -m str {s.Backend} }}\n"))}
            {string.Concat(servers.Select(s => $"backend {s.Backend}\n    server s {s.Server}\n"))}
            """;

        async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            foreach (var (backend, _) in servers)
            {
                var result = await HttpHelpers.CurlAsync("-H", "X-Backend: " + backend, "-w", "%{http_code}", HttpHelpers.Url(port, "/tls"));
                var body = result.StandardOutput;
                seen.Add($"{backend}: {(body.EndsWith("200", StringComparison.Ordinal) ? body[..^3].Trim() : body[^3..])}");
            }

            return seen;
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal(
        [
            "defaults_only: TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256",
            "own_max_ver: TLSv1.3 TLS_CHACHA20_POLY1305_SHA256",
            "own_ciphers: TLSv1.2 ECDHE-ECDSA-CHACHA20-POLY1305",
            "own_ciphersuites: TLSv1.3 TLS_AES_128_GCM_SHA256",
            "rsa_defaults: 503",
            "rsa_own_ciphers: TLSv1.2 ECDHE-RSA-AES128-GCM-SHA256",
        ], reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// Seed 001's backend over TLS (`server ... ssl verify none alpn LIST`) behind its frontend (`bind ... ssl crt
    /// alpn h2,http/1.1`, and a cleartext bind): ALPN decides the protocol towards nginx whatever the client speaks
    /// (curl in HTTP/1.1 and HTTP/2, in cleartext with prior knowledge and over TLS): `h2` to an HTTP/2 server, HTTP/2;
    /// `h2,http/1.1` to one without HTTP/2, HTTP/1.1; `h2,http/1.1` to the HTTP/2 one, HTTP/2; `h2` alone to one
    /// without HTTP/2, no protocol in common (nginx refuses the handshake: 503).
    /// </summary>
    [Theory]
    [InlineData("h2", true, "HTTP/2.0 alpn=h2")]
    [InlineData("h2,http/1.1", false, "HTTP/1.1 alpn=http/1.1")]
    [InlineData("h2,http/1.1", true, "HTTP/2.0 alpn=h2")]
    [InlineData("h2", false, "503")]
    public async Task Seed001_ServerAlpnOverTls_ChoosesTheProtocolTowardsNginx_AsHAProxy(string alpn, bool http2Server, string expected)
    {
        var site = _certs.Server("backend.pem", "backend.test");
        var front = _certs.Server("front.pem", "localhost");
        await using var nginx = await StartTlsNginxAsync(site, http2Server);
        string Config(int port, string socket) => $"""
            global
                stats socket {socket} level admin
            frontend fe_h2
                mode http
                timeout client 10s
                bind 127.0.0.1:{port}
                bind 127.0.0.1:{port + 1} ssl crt {front} alpn h2,http/1.1
                default_backend be_h2
            backend be_h2
                mode http
                timeout connect 5s
                timeout server 10s
                retries 0
                server server1 {nginx.Address} ssl verify none alpn {alpn}
            """;

        async Task<List<string>> RunAsync(int port, string socket)
        {
            var tls = $"https://localhost:{port + 1}/alpn";
            var resolve = $"localhost:{port + 1}:127.0.0.1";
            var seen = new List<string>();
            foreach (var (client, arguments) in new (string, string[])[]
            {
                ("h1", ["--http1.1", HttpHelpers.Url(port, "/alpn")]),
                ("h2c", ["--http2-prior-knowledge", HttpHelpers.Url(port, "/alpn")]),
                ("h1 tls", ["--http1.1", "--cacert", _certs.CaFile, "--resolve", resolve, tls]),
                ("h2 tls", ["--http2", "--cacert", _certs.CaFile, "--resolve", resolve, tls]),
            })
            {
                var result = await HttpHelpers.CurlAsync(["-w", "\n%{http_version} %{http_code}", .. arguments]);
                Assert.True(result.ExitCode == 0, client + ": " + result.StandardError);
                // The client's own protocol and status, then what nginx saw (an error page is the proxy's, left out).
                var output = result.StandardOutput;
                var (body, tail) = (output[..output.LastIndexOf('\n')].Trim(), output[(output.LastIndexOf('\n') + 1)..]);
                seen.Add($"{client}: {tail}{(tail.EndsWith(" 200", StringComparison.Ordinal) ? " " + body : string.Empty)}");
            }

            return seen;
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync, ports: 2);

        var outcome = expected == "503" ? "503" : "200 " + expected;
        Assert.Equal([$"h1: 1.1 {outcome}", $"h2c: 2 {outcome}", $"h1 tls: 1.1 {outcome}", $"h2 tls: 2 {outcome}"], reference);
        Assert.Equal(reference, ours);
    }
}
