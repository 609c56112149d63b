using System.Globalization;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// Seed 000: TLS offload in mode tcp. A tcp frontend terminates TLS with a certificate directory and ALPN
/// h2,http/1.1, and passes the decrypted bytes with `balance static-rr` 90/10 to two HTTP frontends on unix
/// sockets, which detect HTTP/2 by its preface. curl over TLS, HTTP/2 and HTTP/1.1, works through both paths.
/// </summary>
public sealed class TlsOffloadTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Seed000_OffloadToUnixSockets_Http2AndHttp11ThroughBothPaths()
    {
        var certs = Path.Combine(_certs.Directory, "certs");
        _certs.Server("certs/default.pem", "default.test");
        _certs.Server("certs/shop.pem", "shop.test", ["shop.test", "*.shop.test"]);
        _certs.Server("certs/api.pem", "api.test", rsa: true);
        var sockets = Ports.TempDirectory();
        var port = Ports.FreeListeningPort();
        var original = Ports.FreeListeningPort();
        var h2 = Ports.FreeListeningPort();
        var config = $"""
            global
                maxconn 500
            defaults
                timeout client 10s
                timeout server 10s
                timeout connect 2s

            frontend h2-tls
                bind 127.0.0.1:{port} ssl crt {certs} alpn h2,http/1.1
                mode tcp
                default_backend tls-clean

            backend tls-clean
                mode tcp
                balance static-rr
                server original {sockets}/original.sock weight 90
                server h2-haproxy {sockets}/h2-haproxy.sock weight 10

            frontend original-clean
                mode http
                bind unix@{sockets}/original.sock
                default_backend original-app

            frontend h2-clean
                mode http
                bind unix@{sockets}/h2-haproxy.sock
                default_backend h2-app

            backend original-app
                mode http
                server app 127.0.0.1:{original}

            backend h2-app
                mode http
                server app 127.0.0.1:{h2}

            listen original-answer
                mode http
                bind 127.0.0.1:{original}
                http-request return status 200 content-type text/plain string "via original"

            listen h2-answer
                mode http
                bind 127.0.0.1:{h2}
                http-request return status 200 content-type text/plain string "via h2-haproxy"
            """;
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port), ReadyProbe.Tcp(original), ReadyProbe.Tcp(h2));

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, protocol) in new[] { ("shop.test", "--http2"), ("www.shop.test", "--http1.1"), ("api.test", "--http2"), ("default.test", "--http1.1") })
        {
            for (var i = 0; i < 10; i++)
            {
                var result = await TlsPeers.CurlAsync(name, port, "/", "--cacert", _certs.CaFile, protocol, "-w", " %{http_version}");
                Assert.True(result.ExitCode == 0, result.StandardError);
                var expectedVersion = protocol == "--http2" ? "2" : "1.1";
                Assert.EndsWith(" " + expectedVersion, result.StandardOutput, StringComparison.Ordinal);
                var path = result.StandardOutput[..result.StandardOutput.LastIndexOf(' ')];
                var key = path + " " + expectedVersion;
                seen[key] = seen.GetValueOrDefault(key) + 1;
            }
        }

        // static-rr 90/10: one connection in ten to the second socket, whatever the protocol.
        var total = seen.Values.Sum();
        var viaH2Haproxy = seen.Where(p => p.Key.StartsWith("via h2-haproxy", StringComparison.Ordinal)).Sum(p => p.Value);
        Assert.Equal(40, total);
        Assert.Equal(4, viaH2Haproxy);
        // Any ten consecutive picks hold one for the second socket, so each batch of one protocol reached both paths;
        // HTTP/2 was detected there by its preface, behind the offload.
        foreach (var key in new[] { "via original 2", "via original 1.1", "via h2-haproxy 2", "via h2-haproxy 1.1" })
        {
            Assert.True(seen.ContainsKey(key), string.Join(", ", seen.Select(p => p.Key + "=" + p.Value.ToString(CultureInfo.InvariantCulture))));
        }

        await sluice.Output.WaitForAsync(l => l.Contains("[h2-clean]", StringComparison.Ordinal) && l.Contains("HTTP/2.0", StringComparison.Ordinal));
    }
}
