using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Tls;

namespace Sluice.Integration.Scenarios.ProxyProtocol;

/// <summary>
/// examples/proxy-protocol-offload.cfg as written, with only its machine-specific parts replaced (the listening port,
/// the certificate directory, the socket directory and the application's address): through Sluice curl gets the
/// application's answer over TLS with HTTP/2 and with HTTP/1.1.
/// </summary>
public sealed class OffloadExampleTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    [Fact]
    public async Task TheExampleAsWritten_ServesHttp2AndHttp11ThroughBothLayers()
    {
        await using var app = await NginxBackend.StartAsync();
        var sites = Directory.CreateDirectory(Path.Combine(Ports.TempDirectory(), "sites")).FullName;
        File.Copy(_certs.Server("shop.pem", "shop.test"), Path.Combine(sites, "shop.pem"));
        var sockets = Ports.TempDirectory();
        var port = Ports.FreeListeningPort();
        var example = await File.ReadAllTextAsync(RepositoryFiles.Path("examples", "proxy-protocol-offload.cfg"));
        var config = example
            .Replace("bind :8443 ", $"bind 127.0.0.1:{port} ", StringComparison.Ordinal)
            .Replace("/etc/ssl/sites/", sites + "/", StringComparison.Ordinal)
            .Replace("/run/sluice/", sockets + "/", StringComparison.Ordinal)
            .Replace("127.0.0.1:8080", app.Address, StringComparison.Ordinal);
        Assert.NotEqual(example, config);
        Assert.DoesNotContain(":8443", config, StringComparison.Ordinal);

        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);
        foreach (var protocol in new[] { "--http2", "--http1.1" })
        {
            var result = await TlsPeers.CurlAsync("shop.test", port, "/headers", ["--cacert", _certs.CaFile, protocol, "-w", "\n%{http_version}"]);
            Assert.True(result.ExitCode == 0, result.StandardError + sluice.Output.Text);
            var lines = result.StandardOutput.Split('\n');
            Assert.Equal(protocol == "--http2" ? "2" : "1.1", lines[^1]);
            Assert.Contains("x-forwarded-proto: https", lines);
        }
    }
}
