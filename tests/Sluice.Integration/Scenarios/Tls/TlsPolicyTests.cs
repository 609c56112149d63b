using System.Globalization;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// Vhosts that differ in certificate or client-certificate policy on one TLS port: a request for another vhost
/// than the handshake's gets 421 (RELIABILITY TLS-04), and a session never resumes under another policy
/// (TLS-06); crt-list lines with their own `verify`/`ca-file`, against openssl s_client and curl.
/// </summary>
public sealed class TlsPolicyTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static string Config(string binds, RecordingBackend backend) => $"""
        global
            maxconn 200
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        frontend fe
        {binds}
            default_backend be
        backend be
            server app {backend.Address}
        """;

    private static string Request(string host) => $"GET /{host} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n";

    private static async Task<string?> StatusAsync(int port, string serverName, string host, params string[] arguments)
    {
        var result = await TlsPeers.SClientAsync(port, ["-servername", serverName, "-ign_eof", .. arguments], Request(host));
        var start = result.Output.IndexOf("HTTP/1.1 ", StringComparison.Ordinal);
        return start < 0 ? null : result.Output.Substring(start + 9, 3);
    }

    /// <summary>A crt-list with `a.test`, `b.test` on another certificate, and `admin.test` on a's certificate under `verify required`.</summary>
    private string VhostList()
    {
        var a = _certs.Server("a.pem", "a.test", ["a.test", "admin.test"]);
        var b = _certs.Server("b.pem", "b.test");
        var list = Path.Combine(_certs.Directory, "vhosts.txt");
        File.WriteAllText(list, $"{a} a.test\n{b} b.test\n{a} [verify required ca-file {_certs.CaFile}] admin.test\n");
        return list;
    }

    [Fact]
    public async Task Tls04_HostOfAnotherCertificateOrPolicy_421NothingForwarded_Http1()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(Config($"    bind 127.0.0.1:{port} ssl crt-list {VhostList()}", backend), ReadyProbe.Tcp(port));

        Assert.Equal("421", await StatusAsync(port, "a.test", "b.test"));
        Assert.Equal("421", await StatusAsync(port, "a.test", "admin.test"));
        Assert.Equal("421", await StatusAsync(port, "a.test", "ADMIN.test:443"));
        Assert.Empty(backend.Requests);
        await sluice.Output.WaitForAsync(l => l.Contains(" 421 ", StringComparison.Ordinal) && l.Contains(" PR ", StringComparison.Ordinal), 3);

        // The handshake's own vhost, and a name no certificate claims (left to the rules), are served.
        Assert.Equal("200", await StatusAsync(port, "a.test", "a.test:443"));
        Assert.Equal("200", await StatusAsync(port, "a.test", "other.test"));
        Assert.Equal("200", await StatusAsync(port, "b.test", "b.test"));
        Assert.Equal(["/a.test:443", "/other.test", "/b.test"], backend.Requests.Select(r => r.Target));
    }

    [Fact]
    public async Task Tls04_AuthorityOfAnotherCertificateOrPolicy_421NothingForwarded_Http2()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(Config($"    bind 127.0.0.1:{port} ssl crt-list {VhostList()} alpn h2,http/1.1", backend), ReadyProbe.Tcp(port));

        async Task<string> StatusH2(string authority)
        {
            var result = await TlsPeers.CurlAsync("a.test", port, "/" + authority, "--http2", "-k", "-H", "Host: " + authority, "-o", "/dev/null", "-w", "%{http_code} %{http_version}");
            return result.StandardOutput;
        }

        Assert.Equal("421 2", await StatusH2("b.test"));
        Assert.Equal("421 2", await StatusH2("admin.test"));
        Assert.Empty(backend.Requests);
        Assert.Equal("200 2", await StatusH2("a.test"));
        Assert.Equal("/a.test", Assert.Single(backend.Requests).Target);
    }

    /// <summary>Resumes a session saved from <paramref name="fromPort"/> on <paramref name="toPort"/>; returns s_client's report.</summary>
    private async Task<SClientResult> ResumeAsync(string version, int fromPort, string fromName, int toPort, string toName, params string[] arguments)
    {
        var session = Path.Combine(_certs.Directory, "session-" + Guid.NewGuid().ToString("n"));
        var first = await TlsPeers.SClientAsync(fromPort, [version, "-servername", fromName, "-sess_out", session, "-ign_eof"], Request(fromName));
        Assert.Contains("HTTP/1.1 200", first.Output, StringComparison.Ordinal);
        return await TlsPeers.SClientAsync(toPort, [version, "-servername", toName, "-sess_in", session, "-ign_eof", .. arguments], Request(toName));
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task Tls06_SessionFromOpenVhost_NeverResumedWhereClientCertificateRequired(string version)
    {
        await using var backend = RecordingBackend.Start();
        var site = _certs.Server("site.pem", "a.test");
        var client = _certs.Client("client", "CN=client");
        var list = Path.Combine(_certs.Directory, "list.txt");
        File.WriteAllText(list, $"{site} open.test\n{site} [verify required ca-file {_certs.CaFile}] secure.test\n");
        var open = Ports.FreeListeningPort();
        var secure = Ports.FreeListeningPort();
        var shared = Ports.FreeListeningPort();
        var binds = string.Join('\n',
            $"    bind 127.0.0.1:{open} ssl crt {site}",
            $"    bind 127.0.0.1:{secure} ssl crt {site} ca-file {_certs.CaFile} verify required",
            $"    bind 127.0.0.1:{shared} ssl crt-list {list}");
        await using var sluice = await InProcessSluice.StartAsync(Config(binds, backend), ReadyProbe.Tcp(shared));

        // Resumption works where the policy is the same, so the refusals below are the policy's doing.
        var same = await ResumeAsync(version, open, "a.test", open, "a.test");
        Assert.Equal(1, same.ReusedCount);

        // Another bind line, then another crt-list line of the same bind, with the same certificate.
        foreach (var (port, name) in new[] { (secure, "a.test"), (shared, "secure.test") })
        {
            var fromPort = port == shared ? shared : open;
            var fromName = port == shared ? "open.test" : "a.test";
            var withoutCertificate = await ResumeAsync(version, fromPort, fromName, port, name);
            Assert.Equal(0, withoutCertificate.ReusedCount);
            Assert.DoesNotContain("HTTP/1.1 200", withoutCertificate.Output, StringComparison.Ordinal);

            var withCertificate = await ResumeAsync(version, fromPort, fromName, port, name, "-cert", client.Certificate, "-key", client.Key);
            Assert.Equal(0, withCertificate.ReusedCount);
            Assert.Contains("HTTP/1.1 200", withCertificate.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// RELIABILITY TLS-06 across a reload: a session made under one CA file resumes (the control), but after a reload
    /// that revokes the client's certificate by a CRL, or trusts another CA only, it does not: the certificate is
    /// checked again and refused.
    /// </summary>
    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task Tls06_AfterAReloadChangingCrlOrCa_SessionsOfTheOldPolicyNotResumed(string version)
    {
        await using var backend = RecordingBackend.Start();
        var site = _certs.Server("site.pem", "a.test");
        var client = _certs.Client("client", "CN=client");
        var crl = _certs.Crl("revoked.crl", client.Issued);
        using var otherCa = new TestCertificates("Other CA");
        var port = Ports.FreeListeningPort();
        string ConfigWith(string options) => Config($"    bind 127.0.0.1:{port} ssl crt {site} verify required {options}", backend);
        await using var sluice = await SluiceProcess.StartAsync(ConfigWith($"ca-file {_certs.CaFile}"), [ReadyProbe.Tcp(port)]);
        string[] certificate = ["-cert", client.Certificate, "-key", client.Key];

        async Task<SClientResult> ConnectAsync(string session, bool resume)
        {
            string[] sessionArguments = resume ? ["-sess_in", session] : ["-sess_out", session];
            return await TlsPeers.SClientAsync(port, [version, "-servername", "a.test", .. sessionArguments, "-ign_eof", .. certificate], Request("a.test"));
        }

        var before = Path.Combine(_certs.Directory, "before-" + version);
        Assert.Contains("HTTP/1.1 200", (await ConnectAsync(before, resume: false)).Output, StringComparison.Ordinal);
        var resumed = await ConnectAsync(before, resume: true);
        Assert.Equal(1, resumed.ReusedCount);
        Assert.Contains("HTTP/1.1 200", resumed.Output, StringComparison.Ordinal);

        var reloads = 0;
        foreach (var options in new[] { $"ca-file {_certs.CaFile} crl-file {crl}", $"ca-file {otherCa.CaFile}" })
        {
            // A fresh session from the configuration before this reload, so that only the reload stands between.
            var session = Path.Combine(_certs.Directory, "session-" + version + reloads.ToString(CultureInfo.InvariantCulture));
            Assert.Contains("HTTP/1.1 200", (await ConnectAsync(session, resume: false)).Output, StringComparison.Ordinal);
            await sluice.ReloadAsync(ConfigWith(options), reloads++);
            var after = await ConnectAsync(session, resume: true);
            Assert.Equal(0, after.ReusedCount);
            Assert.DoesNotContain("HTTP/1.1 200", after.Output, StringComparison.Ordinal);
            await sluice.ReloadAsync(ConfigWith($"ca-file {_certs.CaFile}"), reloads++);
        }
    }
}
