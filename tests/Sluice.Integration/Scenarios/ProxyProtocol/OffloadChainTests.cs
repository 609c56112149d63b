using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Tls;

namespace Sluice.Integration.Scenarios.ProxyProtocol;

/// <summary>
/// Seed 000 with the PROXY protocol: a TLS offload layer in mode tcp hands decrypted connections over a unix socket
/// with a v2 header carrying ALPN, and the HTTP frontend behind it picks HTTP/2 or HTTP/1.1 from that ALPN. The
/// offloader is Sluice itself (with the SSL and authority TLVs) or haproxy.
/// </summary>
public sealed class OffloadChainTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static string Clean(string socket) => $"""
        frontend clean
            mode http
            bind unix@{socket} accept-proxy
            http-request return status 200 content-type text/plain lf-string "%[req.ver] %[fc_pp_authority] %[fc_pp_tlv(SSL_VERSION)] %[fc_pp_tlv(SSL_CN)]|"
        """;

    private async Task AssertBothProtocolsAsync(int port, string expected, params string[] curlArguments)
    {
        foreach (var (protocol, version) in new[] { ("--http2", "2.0"), ("--http1.1", "1.1") })
        {
            var result = await TlsPeers.CurlAsync("shop.test", port, "/", ["--cacert", _certs.CaFile, protocol, .. curlArguments]);
            Assert.True(result.ExitCode == 0, result.StandardError);
            Assert.Equal($"{version} {expected}|", result.StandardOutput);
        }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task SluiceOffloads_V2HeaderWithAlpnSslAndAuthority()
    {
        var site = _certs.Server("shop.pem", "shop.test");
        var client = _certs.Client("client", "CN=client.example, O=Acme");
        var socket = Path.Combine(Ports.TempDirectory(), "clean.sock");
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($"""
            defaults
                timeout client 10s
                timeout server 10s
                timeout connect 2s
            frontend offload
                mode tcp
                bind 127.0.0.1:{port} ssl crt {site} alpn h2,http/1.1 ca-file {_certs.CaFile} verify optional
                default_backend to-clean
            backend to-clean
                mode tcp
                server clean {socket} send-proxy-v2-ssl-cn proxy-v2-options authority,crc32c
            {Clean(socket)}
            """, ReadyProbe.Tcp(port));

        await AssertBothProtocolsAsync(port, "shop.test TLSv1.3 client.example", "--cert", client.Certificate, "--key", client.Key);

        // Without a client certificate the SSL TLV holds the version and no CN.
        await AssertBothProtocolsAsync(port, "shop.test TLSv1.3 ");
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task HAProxyOffloads_V2HeaderWithAlpn()
    {
        var site = _certs.Server("shop.pem", "shop.test");
        var socket = Path.Combine(Ports.TempDirectory(), "clean.sock");
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($"""
            defaults
                timeout client 10s
                timeout server 10s
                timeout connect 2s
            {Clean(socket)}
            """, ReadyProbe.Unix(socket));
        await using var haproxy = await HAProxyPeer.StartAsync($"""
            defaults
                timeout client 10s
                timeout server 10s
                timeout connect 2s
            frontend offload
                mode tcp
                bind 127.0.0.1:{port} ssl crt {site} alpn h2,http/1.1
                default_backend to-clean
            backend to-clean
                mode tcp
                server clean {socket} send-proxy-v2-ssl proxy-v2-options authority
            """, port);

        await AssertBothProtocolsAsync(port, "shop.test TLSv1.3 ");
    }
}
