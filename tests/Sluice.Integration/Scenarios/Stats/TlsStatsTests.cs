using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Stats;

/// <summary>
/// The ssl module's columns of `show stat` (`ssl_sess`, `ssl_reused_sess`, `ssl_failed_handshake`) under haproxy 2.6
/// and Sluice with the same configuration and traffic: full and resumed handshakes (openssl s_client -reconnect),
/// a plaintext request and an empty connection on a TLS bind, per frontend and per listener (`option socket-stats`),
/// and failed handshakes towards a server that speaks no TLS, per server and backend.
/// </summary>
public sealed class TlsStatsTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    [Fact]
    public async Task HandshakesAreCountedAsHAProxyCountsThem()
    {
        var site = _certs.Server("site.pem", "site.test");
        string Config(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket)}
            frontend fe
                option socket-stats
                bind 127.0.0.1:{P(port)} ssl crt {site} name tls1
                bind 127.0.0.1:{P(port + 1)} name plain
                http-request return status 200 content-type text/plain string ok
            frontend fe2
                bind 127.0.0.1:{P(port + 2)} ssl crt {site}
                http-request return status 200 content-type text/plain string ok
            frontend fwd
                bind 127.0.0.1:{P(port + 3)}
                default_backend be
            backend be
                server bad 127.0.0.1:{P(port + 4)} ssl verify none
            frontend cleartext
                bind 127.0.0.1:{P(port + 4)}
                http-request return status 200 content-type text/plain string ok
            """;

        async Task<string[]> Run(int port, string socket)
        {
            for (var i = 0; i < 2; i++)
            {
                await Http.Http.CurlAsync(["-k", "-o", "/dev/null", $"https://127.0.0.1:{P(port)}/"]);
            }

            // One full handshake, then five that resume its session.
            var openssl = await CommandRunner.RunAsync(CommandRunner.Require("openssl", "openssl"),
                ["s_client", "-connect", $"127.0.0.1:{P(port)}", "-reconnect", "-tls1_2"], timeout: TimeSpan.FromSeconds(30), standardInput: string.Empty);
            Assert.Contains("Reused", openssl.StandardOutput, StringComparison.Ordinal);

            using (var plaintext = await TestClient.ConnectTcpAsync(port))
            {
                await plaintext.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n"));
                await TestClient.ReadToEndAsync(plaintext);
            }

            using (var empty = await TestClient.ConnectTcpAsync(port))
            {
                empty.Shutdown(SocketShutdown.Send);
                await TestClient.ReadToEndAsync(empty);
            }

            await Http.Http.CurlAsync(["-k", "-o", "/dev/null", $"https://127.0.0.1:{P(port + 2)}/"]);
            await Http.Http.CurlAsync(["-o", "/dev/null", $"http://127.0.0.1:{P(port + 1)}/"]);
            for (var i = 0; i < 2; i++)
            {
                await Http.Http.CurlAsync(["-o", "/dev/null", $"http://127.0.0.1:{P(port + 3)}/"]);
            }

            await Task.Delay(300);
            var rows = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"));
            return [.. new[] { "fe/FRONTEND", "fe/tls1", "fe/plain", "fe2/FRONTEND", "be/bad", "be/BACKEND" }
                .Select(key => $"{key} {rows[key]["ssl_sess"]} {rows[key]["ssl_reused_sess"]} {rows[key]["ssl_failed_handshake"]}")];
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync((port, socket) => Config(port, socket), (port, socket) => Run(port, socket), ports: 5);
        Assert.Equal(["fe/FRONTEND 3 5 2", "fe/tls1 3 5 2", "fe/plain 0 0 0", "fe2/FRONTEND 1 0 0", "be/bad 0 0 8", "be/BACKEND 0 0 8"], reference);
        Assert.Equal(reference, ours);
    }

    private static string P(int value) => value.ToString(CultureInfo.InvariantCulture);
}
