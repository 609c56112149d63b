using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using Sluice.Config.Model;
using Sluice.Integration.Fixtures;
using Sluice.Tls;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// Client certificates on bind lines (RELIABILITY TLS-05): `verify required|optional`, `ca-file`, `crl-file`,
/// `crt-ignore-err`, against openssl s_client; and the `ssl_c_*` / `ssl_fc_*` values of the connection record
/// compared with what haproxy itself renders for the same certificate.
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
        await sluice.Output.WaitForAsync(l => l.EndsWith(": SSL handshake failure", StringComparison.Ordinal), 4);
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
    public async Task ConnectionRecord_FormatsAsHAProxy()
    {
        var site = _certs.Server("a.pem", "a.test", rsa: true);
        var client = _certs.Client("client", "CN=client.example, OU=Ops, OU=Edge, O=\"Acme, Inc\", L=Paris, ST=Ile-de-France, C=FR");
        var expired = _certs.Client("expired", "CN=expired", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));
        var port = Ports.FreeListeningPort();
        var config = Path.Combine(_certs.Directory, "haproxy.cfg");
        File.WriteAllText(config, $"""
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 5s
            frontend fe
                bind 127.0.0.1:{port} ssl crt {site} ca-file {_certs.CaFile} verify optional crt-ignore-err all alpn h2,http/1.1
                http-request return status 200 content-type text/plain lf-string "[%[ssl_c_s_dn]|%[ssl_c_s_dn(cn)]|%[ssl_c_s_dn(OU,2)]|%[ssl_c_s_dn(ou,-1)]|%[ssl_c_i_dn]|%[ssl_c_notbefore]|%[ssl_c_notafter]|%[ssl_c_serial,hex]|%[ssl_c_sha1,hex]|%[ssl_c_verify]|%[ssl_c_used]|%[ssl_fc_protocol]|%[ssl_fc_cipher]|%[ssl_fc_sni]|%[ssl_fc_alpn]]"
            """ + "\n");
        var haproxy = PeerProcess.Start(Sluice.TestKit.Processes.CommandRunner.Require("haproxy", "haproxy"), ["-db", "-f", config]);
        await using var _ = haproxy;
        await WaitListeningAsync(port, haproxy);

        var rendered = await HAProxyRenderAsync(port, "-alpn", "http/1.1", "-tls1_3", "-cert", client.Certificate, "-key", client.Key);
        var info = new TlsConnectionInfo("a.test", SslApplicationProtocol.Http11, SslProtocols.Tls13, TlsCipherSuite.TLS_AES_256_GCM_SHA384, client.Issued, 0);
        var ours = string.Join('|',
            info.ClientSubject(), info.ClientSubject("cn"), info.ClientSubject("OU", 2), info.ClientSubject("ou", -1), info.ClientIssuer(),
            info.ClientNotBefore, info.ClientNotAfter, Convert.ToHexString(info.ClientSerial!), Convert.ToHexString(info.ClientSha1!),
            info.VerifyResult.ToString(CultureInfo.InvariantCulture), info.ClientCertificateUsed ? "1" : "0", info.ProtocolText, info.CipherText,
            info.ServerName, info.AlpnText);
        Assert.Equal(rendered, ours);

        var tls12 = await HAProxyRenderAsync(port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        var parts = tls12.Split('|');
        Assert.Equal(parts[11], TlsConnectionInfo.ProtocolName(SslProtocols.Tls12));
        Assert.Equal(parts[12], TlsCipherNames.OpenSslName(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256));
        Assert.Equal("0", parts[10]);

        // ssl_c_verify of an expired certificate: OpenSSL's X509_V_ERR_CERT_HAS_EXPIRED.
        var expiredVerify = (await HAProxyRenderAsync(port, "-cert", expired.Certificate, "-key", expired.Key)).Split('|')[9];
        var verifier = new ClientCertificateVerifier(TlsVerify.Optional, [_certs.Ca], null, TlsIgnoredErrors.Nothing, new TlsIgnoredErrors(true, new HashSet<int>()));
        Assert.True(verifier.Verify(expired.Issued, null, out var code));
        Assert.Equal(expiredVerify, code.ToString(CultureInfo.InvariantCulture));
    }

    private static async Task<string> HAProxyRenderAsync(int port, params string[] arguments)
    {
        var result = await TlsPeers.SClientAsync(port, ["-servername", "a.test", "-ign_eof", .. arguments], Request);
        // s_client interleaves its session printout with the body: the values are between brackets, separated by bars.
        var match = System.Text.RegularExpressions.Regex.Match(result.Output, @"\[([^\[\]\n]*\|[^\[\]\n]*)\]");
        Assert.True(match.Success, result.Output);
        return match.Groups[1].Value;
    }

    private static async Task WaitListeningAsync(int port, PeerProcess process)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (true)
        {
            Assert.False(process.HasExited, process.Output.Text);
            try
            {
                using var socket = await TestClient.ConnectTcpAsync(port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
