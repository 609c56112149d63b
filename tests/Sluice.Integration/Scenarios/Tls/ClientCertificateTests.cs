using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// Client certificates on bind lines (RELIABILITY TLS-05): `verify required|optional`, `ca-file`, `crl-file`,
/// `crt-ignore-err`, against openssl s_client; and the `ssl_c_*` / `ssl_fc_*` fetches, rendered by a rule and
/// tested by an ACL, under haproxy and Sluice on the same configuration and traffic.
/// </summary>
public sealed class ClientCertificateTests : IDisposable
{
    private const string Request = "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";

    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private async Task<(ISluiceInstance Sluice, int Port)> StartAsync(string bindOptions)
    {
        var port = Ports.FreeListeningPort();
        var sluice = await InProcessSluice.StartAsync(TlsFrontTests.Config(port, bindOptions), ReadyProbe.Tcp(port));
        return (sluice, port);
    }

    private static async Task<bool> ServedAsync(int port, params string[] arguments)
    {
        var result = await TlsPeers.SClientAsync(port, ["-servername", "a.test", "-ign_eof", .. arguments], Request);
        return result.Output.Contains("HTTP/1.1 200", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls05_VerifyRequired_OnlyValidCertificatesServed()
    {
        var site = _certs.Server("a.pem", "a.test");
        var valid = _certs.Client("valid", "CN=valid, O=Acme, C=FR");
        var expired = _certs.Client("expired", "CN=expired", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        var revoked = _certs.Client("revoked", "CN=revoked");
        var crl = _certs.Crl("ca.crl", revoked.Issued);
        using var otherCa = new TestCertificates("Other CA");
        var untrusted = otherCa.Client("untrusted", "CN=untrusted");
        var (sluice, port) = await StartAsync($"ssl crt {site} ca-file {_certs.CaFile} crl-file {crl} verify required");
        await using var _ = sluice;

        Assert.True(await ServedAsync(port, "-cert", valid.Certificate, "-key", valid.Key));
        Assert.False(await ServedAsync(port));
        Assert.False(await ServedAsync(port, "-cert", expired.Certificate, "-key", expired.Key));
        Assert.False(await ServedAsync(port, "-cert", revoked.Certificate, "-key", revoked.Key));
        Assert.False(await ServedAsync(port, "-cert", untrusted.Certificate, "-key", untrusted.Key));
        // HAProxy's reasons: no certificate fails the handshake; one refused for an error at depth 0 (expired,
        // revoked, unknown issuer) is "not trusted".
        await sluice.Output.WaitForAsync(l => l.EndsWith(": SSL handshake failure", StringComparison.Ordinal), 1);
        await sluice.Output.WaitForAsync(l => l.EndsWith(": SSL client certificate not trusted", StringComparison.Ordinal), 3);
    }

    [Fact]
    public async Task VerifyOptional_NoCertificateServed_BadOneRefusedUnlessIgnored()
    {
        var site = _certs.Server("a.pem", "a.test");
        var expired = _certs.Client("expired", "CN=expired", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        var (optional, port) = await StartAsync($"ssl crt {site} ca-file {_certs.CaFile} verify optional");
        await using (optional)
        {
            Assert.True(await ServedAsync(port));
            // HAProxy's verify callback refuses a bad certificate with `optional` too.
            Assert.False(await ServedAsync(port, "-cert", expired.Certificate, "-key", expired.Key));
        }

        var (ignoring, port2) = await StartAsync($"ssl crt {site} ca-file {_certs.CaFile} verify optional crt-ignore-err 10");
        await using (ignoring)
        {
            Assert.True(await ServedAsync(port2, "-cert", expired.Certificate, "-key", expired.Key));
        }
    }

    [Fact]
    public async Task ConnectionRecord_SameRenderingAndRulesAsHAProxy()
    {
        var site = _certs.Server("a.pem", "a.test", rsa: true);
        var client = _certs.Client("client", "CN=client.example, OU=Ops, OU=Edge, O=\"Acme, Inc\", L=Paris, ST=Ile-de-France, C=FR");
        var expired = _certs.Client("expired", "CN=expired", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        const string Fetches = "%[ssl_c_s_dn]|%[ssl_c_s_dn(cn)]|%[ssl_c_s_dn(OU,2)]|%[ssl_c_s_dn(ou,-1)]|%[ssl_c_i_dn]|%[ssl_c_i_dn(cn)]"
            + "|%[ssl_c_notbefore]|%[ssl_c_notafter]|%[ssl_c_serial,hex]|%[ssl_c_sha1,hex]|%[ssl_c_verify]|%[ssl_c_used]"
            + "|%[ssl_fc_protocol]|%[ssl_fc_cipher]|%[ssl_fc_sni]|%[ssl_fc_alpn]";
        // The certificate-has-expired verdict (X509_V_ERR_CERT_HAS_EXPIRED) is visible to rules: it takes the 403 branch.
        string Config(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket)}
            frontend fe
                bind 127.0.0.1:{port} ssl crt {site} ca-file {_certs.CaFile} verify optional crt-ignore-err all alpn h2,http/1.1
                acl client_cert_expired ssl_c_verify 10
                http-request return status 403 content-type text/plain lf-string "[expired|{Fetches}]" if client_cert_expired
                http-request return status 200 content-type text/plain lf-string "[{Fetches}]"
            """;

        async Task<string[]> RenderAsync(int port, string socket) =>
        [
            await RenderedAsync(port, "-alpn", "http/1.1", "-tls1_3", "-cert", client.Certificate, "-key", client.Key),
            await RenderedAsync(port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"),
            await RenderedAsync(port, "-cert", expired.Certificate, "-key", expired.Key),
        ];

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RenderAsync);

        // haproxy's own renderings show each case does what it is meant to (so that equality below says something).
        Assert.StartsWith("HTTP/1.1 200 [/C=FR/ST=Ile-de-France/L=Paris/O=Acme, Inc/OU=Edge/OU=Ops/CN=client.example|client.example|Ops|Ops|/C=FR/O=Sluice/CN=Sluice Test CA|Sluice Test CA|", reference[0], StringComparison.Ordinal);
        Assert.EndsWith("|0|1|TLSv1.3|TLS_AES_256_GCM_SHA384|a.test|http/1.1]", reference[0], StringComparison.Ordinal);
        // No client certificate: the certificate fetches have no value, ssl_c_verify says 0.
        Assert.Equal("HTTP/1.1 200 [||||||||||0|0|TLSv1.2|ECDHE-RSA-AES128-GCM-SHA256|a.test|]", reference[1]);
        Assert.StartsWith("HTTP/1.1 403 [expired|/CN=expired|", reference[2], StringComparison.Ordinal);
        Assert.Contains("|10|1|TLSv1.3|", reference[2], StringComparison.Ordinal);
        Assert.Equal(reference, ours);
    }

    /// <summary>The status line and the bracketed, bar-separated values of the response s_client printed.</summary>
    private static async Task<string> RenderedAsync(int port, params string[] arguments)
    {
        var result = await TlsPeers.SClientAsync(port, ["-servername", "a.test", "-ign_eof", .. arguments], Request);
        // s_client interleaves its session printout with the response.
        var status = Regex.Match(result.Output, @"HTTP/1\.1 \d{3}");
        var values = Regex.Match(result.Output, @"\[([^\[\]\n]*\|[^\[\]\n]*)\]");
        Assert.True(status.Success && values.Success, result.Output);
        return status.Value + " [" + values.Groups[1].Value + "]";
    }
}
