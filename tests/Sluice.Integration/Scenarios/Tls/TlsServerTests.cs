using System.Security.Cryptography.X509Certificates;
using Sluice.Integration.Fixtures;
using HttpHelpers = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// TLS towards servers (`server ... ssl`), against nginx with TLS: verification against a `ca-file`, the SNI and
/// ALPN sent, a client certificate presented, failures answered 503 with the reason logged (RELIABILITY TLS-13),
/// TLS in mode tcp, and health checks over TLS.
/// </summary>
public sealed class TlsServerTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    /// <summary>nginx with TLS on its port; <c>/tls</c> answers what it saw of the handshake.</summary>
    private Task<NginxBackend> StartNginxAsync(string certificate, string extra = "") => NginxBackend.StartAsync(new NginxOptions
    {
        ListenParameters = " ssl",
        ExtraServerDirectives = $$"""
            ssl_protocols TLSv1.2 TLSv1.3;
            ssl_certificate {{certificate}};
            ssl_certificate_key {{certificate}};
            {{extra}}
            location = /tls {
                default_type text/plain;
                return 200 "sni=$ssl_server_name alpn=$ssl_alpn_protocol protocol=$ssl_protocol client=$ssl_client_s_dn\n";
            }
            """,
    });

    private static async Task<(ISluiceInstance Sluice, int Port)> StartSluiceAsync(string serverLine, string global = "")
    {
        var port = Ports.FreeListeningPort();
        var config = HttpHelpers.Config(port, serverLine, extra: string.Empty).Replace("global\n", "global\n" + global + "\n", StringComparison.Ordinal);
        return (await HttpHelpers.StartAsync(config, port), port);
    }

    [Fact]
    public async Task VerifyRequiredWithCaFile_200_SniAndAlpnSent()
    {
        var site = _certs.Server("backend.pem", "backend.test");
        await using var nginx = await StartNginxAsync(site);
        var (sluice, port) = await StartSluiceAsync($"server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} sni str(backend.test) alpn http/1.1");
        await using var _ = sluice;

        var result = await HttpHelpers.CurlAsync(HttpHelpers.Url(port, "/tls"));
        Assert.Equal("sni=backend.test alpn=http/1.1 protocol=TLSv1.3 client=\n", result.StandardOutput);
        var small = await HttpHelpers.CurlAsync(HttpHelpers.Url(port, NginxBackend.SmallPath));
        Assert.Equal("hello from nginx\n", small.StandardOutput);
    }

    [Fact]
    public async Task NoSniByDefault_KeepAliveReusesTheTlsConnection()
    {
        var site = _certs.Server("backend.pem", "backend.test");
        await using var nginx = await StartNginxAsync(site);
        var (sluice, port) = await StartSluiceAsync($"server s {nginx.Address} ssl verify required ca-file {_certs.CaFile}");
        await using var _ = sluice;

        var url = HttpHelpers.Url(port, "/tls");
        var result = await HttpHelpers.CurlAsync(url, url, url);
        Assert.Equal(string.Concat(Enumerable.Repeat("sni= alpn= protocol=TLSv1.3 client=\n", 3)), result.StandardOutput);
        // One TLS connection carried the three requests (nginx numbers its connections).
        Assert.Single(nginx.AccessLog.Select(l => l.Split(' ')[^2]).Distinct());
    }

    /// <summary>RELIABILITY TLS-13: a server whose certificate fails verification gets 503 after the retries, and the reason is logged.</summary>
    [Fact]
    public async Task Tls13_UntrustedServerCertificate_VerifyRequired503WithReason_VerifyNone200()
    {
        var otherCa = new TestCertificates("Other CA");
        using var __ = otherCa;
        var site = otherCa.Server("self.pem", "backend.test");
        await using var nginx = await StartNginxAsync(site);

        var (strict, strictPort) = await StartSluiceAsync($"server s {nginx.Address} ssl verify required ca-file {_certs.CaFile}");
        await using (strict)
        {
            var result = await HttpHelpers.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpHelpers.Url(strictPort, "/tls"));
            Assert.Equal("503", result.StandardOutput);
            await strict.Output.WaitForAsync(l => l.Contains("[be/s] SSL handshake failure: certificate verify failed", StringComparison.Ordinal));
            var line = await HttpHelpers.WaitLineAsync(strict, l => l.Contains(" 503 ", StringComparison.Ordinal));
            Assert.Contains(" SC ", line, StringComparison.Ordinal);
            Assert.Contains("retries=3", line, StringComparison.Ordinal);
        }

        var (lenient, lenientPort) = await StartSluiceAsync($"server s {nginx.Address} ssl verify none");
        await using (lenient)
        {
            var result = await HttpHelpers.CurlAsync(HttpHelpers.Url(lenientPort, "/tls"));
            Assert.StartsWith("sni= ", result.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Tls13_WrongSniName_VerifyRequired503Mismatch()
    {
        var site = _certs.Server("backend.pem", "backend.test");
        await using var nginx = await StartNginxAsync(site);
        var (sluice, port) = await StartSluiceAsync($"server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} sni str(other.test)");
        await using var _ = sluice;

        var result = await HttpHelpers.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpHelpers.Url(port, "/tls"));
        Assert.Equal("503", result.StandardOutput);
        await sluice.Output.WaitForAsync(l => l.Contains("SSL_MISMATCH", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Verifyhost_NameCheckedWithoutSni_NoVerifyhostTurnsTheCheckOff()
    {
        var site = _certs.Server("backend.pem", "backend.test");
        await using var nginx = await StartNginxAsync(site);
        foreach (var (options, expected) in new[]
        {
            ("verifyhost other.test", "503"),
            ("verifyhost backend.test", "200"),
            ("sni str(other.test) verifyhost backend.test", "200"),
            ("sni str(other.test) no-verifyhost", "200"),
        })
        {
            var (sluice, port) = await StartSluiceAsync($"server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} {options}");
            await using var _ = sluice;
            var result = await HttpHelpers.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpHelpers.Url(port, "/tls"));
            Assert.True(expected == result.StandardOutput, $"{options}: {result.StandardOutput}");
            if (expected == "503")
            {
                await sluice.Output.WaitForAsync(l => l.Contains("certificate name does not match 'other.test' (SSL_MISMATCH)", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public async Task ClientCertificate_PresentedToServerThatRequiresOne()
    {
        var site = _certs.Server("backend.pem", "backend.test");
        var (certificate, key, _) = _certs.Client("proxy", "CN=sluice-proxy, O=Sluice, C=FR");
        var crt = Path.Combine(_certs.Directory, "proxy.pem");
        File.WriteAllText(crt, File.ReadAllText(certificate) + File.ReadAllText(key));
        await using var nginx = await StartNginxAsync(site, $"ssl_client_certificate {_certs.CaFile};\nssl_verify_client on;");

        var (without, withoutPort) = await StartSluiceAsync($"server s {nginx.Address} ssl verify none");
        await using (without)
        {
            var refused = await HttpHelpers.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpHelpers.Url(withoutPort, "/tls"));
            Assert.Equal("400", refused.StandardOutput);
        }

        var (with, withPort) = await StartSluiceAsync($"server s {nginx.Address} ssl verify none crt {crt}");
        await using (with)
        {
            var result = await HttpHelpers.CurlAsync(HttpHelpers.Url(withPort, "/tls"));
            Assert.Equal("sni= alpn= protocol=TLSv1.3 client=CN=sluice-proxy,O=Sluice,C=FR\n", result.StandardOutput);
        }
    }

    [Fact]
    public async Task ModeTcp_ServerSsl_TlsOriginatedForCleartextClients()
    {
        var site = _certs.Server("backend.pem", "backend.test");
        await using var nginx = await StartNginxAsync(site);
        var port = Ports.FreeListeningPort();
        var config = $"""
            defaults
                mode tcp
                timeout connect 2s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{port}
                default_backend be
            backend be
                server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} sni str(backend.test)
            """;
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port));
        var result = await HttpHelpers.CurlAsync(HttpHelpers.Url(port, "/tls"));
        Assert.Equal("sni=backend.test alpn= protocol=TLSv1.3 client=\n", result.StandardOutput);
    }

    [Fact]
    public async Task HealthCheck_SslServer_CheckedOverTls()
    {
        var site = _certs.Server("backend.pem", "backend.test");
        await using var nginx = await StartNginxAsync(site);
        // `timeout check 5s`: a loaded machine may take longer than `inter` to finish a TLS handshake, and three
        // checks timed out would take the server down whatever the ones before said.
        var (sluice, port) = await StartSluiceAsync($"option httpchk GET /small\n    timeout check 5s\n    server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} check inter 200ms rise 1");
        await using var _ = sluice;

        // nginx logs the checks: they arrived over TLS as HTTP requests (a cleartext request to a TLS port gets 400).
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (!nginx.AccessLog.Any(l => l.StartsWith("GET /small HTTP/1.0 200", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, string.Join('\n', nginx.AccessLog));
            await Task.Delay(100);
        }

        var result = await HttpHelpers.CurlAsync(HttpHelpers.Url(port, NginxBackend.SmallPath));
        Assert.Equal("hello from nginx\n", result.StandardOutput);
    }

    [Fact]
    public async Task ServerSslWithoutCaFile_RefusedAtStartWithHAProxyMessage()
    {
        var port = Ports.FreeListeningPort();
        var directory = Ports.TempDirectory();
        var path = Path.Combine(directory, "sluice.cfg");
        await File.WriteAllTextAsync(path, HttpHelpers.Config(port, "server s 127.0.0.1:1 ssl"));
        var result = await Sluice.TestKit.Processes.SluiceBinary.RunAsync(["-c", "-f", path], directory);
        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"\[ALERT\] config : \[.*sluice\.cfg:\d+\] : 'server be/s' : verify is enabled by default but no CA file specified\.", result.StandardError);
    }

    /// <summary>`crl-file` on a server line: a server whose certificate the list revokes is refused (503, reason logged); another list lets it through.</summary>
    [Fact]
    public async Task ServerCrlFile_RevokedCertificate503_OtherList200()
    {
        var site = _certs.Server("backend.pem", "backend.test");
        var other = _certs.Server("other.pem", "other.test");
        using var siteCertificate = X509Certificate2.CreateFromPemFile(site);
        using var otherCertificate = X509Certificate2.CreateFromPemFile(other);
        var revokesSite = _certs.Crl("site.crl", siteCertificate);
        var revokesOther = _certs.Crl("other.crl", otherCertificate);
        await using var nginx = await StartNginxAsync(site);

        var (refused, refusedPort) = await StartSluiceAsync($"server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} crl-file {revokesSite}");
        await using (refused)
        {
            var result = await HttpHelpers.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", HttpHelpers.Url(refusedPort, "/tls"));
            Assert.Equal("503", result.StandardOutput);
            await refused.Output.WaitForAsync(l => l.Contains("[be/s] SSL handshake failure: certificate verify failed (certificate revoked)", StringComparison.Ordinal));
        }

        var (accepted, acceptedPort) = await StartSluiceAsync($"server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} crl-file {revokesOther}");
        await using (accepted)
        {
            var result = await HttpHelpers.CurlAsync(HttpHelpers.Url(acceptedPort, "/tls"));
            Assert.Equal("sni= alpn= protocol=TLSv1.3 client=\n", result.StandardOutput);
        }
    }

    /// <summary>
    /// `check-sni` and `check-alpn`: health checks send their own SNI and ALPN offer (nginx answers /check 200 only for
    /// them), while traffic keeps the server's `sni` and sends no ALPN.
    /// </summary>
    [Fact]
    public async Task CheckSniAndCheckAlpn_ChecksUseThem_TrafficKeepsSni()
    {
        var site = _certs.Server("backend.pem", "backend.test", ["backend.test", "check.test"]);
        await using var nginx = await StartNginxAsync(site, """
            location = /check {
                if ($ssl_server_name != "check.test") { return 500; }
                if ($ssl_alpn_protocol != "http/1.1") { return 501; }
                return 200 "ok";
            }
            """);
        var (sluice, port) = await StartSluiceAsync(
            $"option httpchk GET /check\n    server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} sni str(backend.test) check-sni check.test check-alpn http/1.1 check inter 200ms rise 1 fall 1");
        await using var _ = sluice;

        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (nginx.AccessLog.Count(l => l.StartsWith("GET /check HTTP/1.0 ", StringComparison.Ordinal)) < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, string.Join('\n', nginx.AccessLog));
            await Task.Delay(100);
        }

        Assert.All(nginx.AccessLog.Where(l => l.StartsWith("GET /check ", StringComparison.Ordinal)), l => Assert.StartsWith("GET /check HTTP/1.0 200", l, StringComparison.Ordinal));
        var result = await HttpHelpers.CurlAsync(HttpHelpers.Url(port, "/tls"));
        Assert.Equal("sni=backend.test alpn= protocol=TLSv1.3 client=\n", result.StandardOutput);
    }

    [Theory]
    [InlineData("check-sni", "'check-sni' : missing SNI")]
    [InlineData("check-alpn", "'check-alpn' : missing the comma-delimited ALPN protocol suite")]
    [InlineData("crl-file", "'crl-file' : missing CRLfile path")]
    public async Task CheckSniCheckAlpnCrlFile_MissingArgument_AlertAsHAProxy(string keyword, string message)
    {
        var port = Ports.FreeListeningPort();
        var directory = Ports.TempDirectory();
        var path = Path.Combine(directory, "sluice.cfg");
        await File.WriteAllTextAsync(path, HttpHelpers.Config(port, "server s 127.0.0.1:1 ssl verify none " + keyword));
        var result = await Sluice.TestKit.Processes.SluiceBinary.RunAsync(["-c", "-f", path], directory);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'server be/s' : " + message, result.StandardError, StringComparison.Ordinal);
    }

    /// <summary>
    /// `ssl-reuse` (the default) resumes the server's TLS session on the next connection to it (nginx says `r`);
    /// `no-ssl-reuse` makes a full handshake each time.
    /// </summary>
    [Theory]
    [InlineData("", "r")]
    [InlineData("no-ssl-reuse", ".")]
    public async Task SslReuse_NextConnectionResumes_NoSslReuseDoesNot(string option, string laterConnections)
    {
        var site = _certs.Server("backend.pem", "backend.test");
        await using var nginx = await StartNginxAsync(site, """
            location = /reused {
                default_type text/plain;
                return 200 "$ssl_session_reused";
            }
            """);
        var (sluice, port) = await StartSluiceAsync($"http-reuse never\n    server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} sni str(backend.test) {option}");
        await using var _ = sluice;

        var seen = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            // Each curl is a client connection of its own, hence (http-reuse never) a server connection of its own.
            seen.Add((await HttpHelpers.CurlAsync(HttpHelpers.Url(port, "/reused"))).StandardOutput);
        }

        Assert.Equal(".", seen[0]);
        Assert.Equal([laterConnections, laterConnections, laterConnections], seen[1..]);
        Assert.Equal(4, nginx.AccessLog.Select(l => l.Split(' ')[^2]).Distinct().Count());
    }

    /// <summary>
    /// `sni req.hdr(host)`: each new connection sends the request's Host as SNI (and checks it in the certificate);
    /// an idle connection made for one name is not reused for another, and is reused for its own.
    /// </summary>
    [Fact]
    public async Task SniExpression_HostHeader_SentPerConnection_PoolKeepsNamesApart()
    {
        var site = _certs.Server("backend.pem", "a.test", ["a.test", "b.test"]);
        await using var nginx = await StartNginxAsync(site);
        var (sluice, port) = await StartSluiceAsync($"http-reuse always\n    server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} sni req.hdr(host)");
        await using var _ = sluice;

        var answers = new List<string>();
        foreach (var host in new[] { "a.test", "b.test", "a.test" })
        {
            answers.Add((await HttpHelpers.CurlAsync("-H", "Host: " + host, HttpHelpers.Url(port, "/tls"))).StandardOutput);
        }

        Assert.Equal("sni=a.test alpn= protocol=TLSv1.3 client=\n", answers[0]);
        Assert.Equal("sni=b.test alpn= protocol=TLSv1.3 client=\n", answers[1]);
        Assert.Equal("sni=a.test alpn= protocol=TLSv1.3 client=\n", answers[2]);
        // c.test is not in the certificate: verify required refuses the server's answer to that name.
        var refused = await HttpHelpers.CurlAsync("-H", "Host: c.test", "-o", "/dev/null", "-w", "%{http_code}", HttpHelpers.Url(port, "/tls"));
        Assert.Equal("503", refused.StandardOutput);
        await sluice.Output.WaitForAsync(l => l.Contains("certificate name does not match 'c.test' (SSL_MISMATCH)", StringComparison.Ordinal));

        // nginx numbers its connections: a.test's came back for the third request, b.test had its own.
        var connections = nginx.AccessLog.Select(l => l.Split(' ')[^2]).ToList();
        Assert.Equal(3, connections.Count);
        Assert.NotEqual(connections[0], connections[1]);
        Assert.Equal(connections[0], connections[2]);
    }

    /// <summary>`sni ssl_fc_sni` in mode tcp: the client's SNI, read as TLS ends in front, is the SNI towards the server.</summary>
    [Fact]
    public async Task SniExpression_TcpModeClientSni_SentToServer()
    {
        var front = _certs.Server("front.pem", "front.test", ["front.test", "*.front.test"]);
        var site = _certs.Server("backend.pem", "backend.test", ["backend.test", "*.front.test"]);
        await using var nginx = await StartNginxAsync(site);
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($"""
            defaults
                mode tcp
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{port} ssl crt {front}
                default_backend be
            backend be
                server s {nginx.Address} ssl verify required ca-file {_certs.CaFile} sni ssl_fc_sni
            """, ReadyProbe.Tcp(port));

        var result = await TlsPeers.CurlAsync("www.front.test", port, "/tls", "--cacert", _certs.CaFile);
        Assert.Equal("sni=www.front.test alpn= protocol=TLSv1.3 client=\n", result.StandardOutput);
    }

    [Theory]
    [InlineData("sni nosuch(x)", "'server be/s' : error detected while parsing sni expression : unknown fetch method 'nosuch'")]
    [InlineData("sni req.hdr(host) alpn h2", "'server be/s' : 'sni' with a sample expression on an HTTP/2 server is not supported yet.")]
    public async Task SniExpression_RefusedAtStart(string options, string message)
    {
        var port = Ports.FreeListeningPort();
        var directory = Ports.TempDirectory();
        var path = Path.Combine(directory, "sluice.cfg");
        await File.WriteAllTextAsync(path, HttpHelpers.Config(port, "server s 127.0.0.1:1 ssl verify none " + options));
        var result = await Sluice.TestKit.Processes.SluiceBinary.RunAsync(["-c", "-f", path], directory);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.StandardError, StringComparison.Ordinal);
    }
}
