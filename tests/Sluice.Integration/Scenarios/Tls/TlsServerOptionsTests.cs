using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

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

    /// <summary>nginx with TLS; <c>/tls</c> answers the protocol and cipher of the connection.</summary>
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
}
