using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using HttpTools = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.ProxyProtocol;

/// <summary>
/// `proxy-v2-options unique-id,cert-key,cert-sig` with the others, and `send-proxy-v2-ssl`, `send-proxy-v2-ssl-cn`:
/// haproxy 2.6 and Sluice run the same configuration towards a server that keeps the header it receives, and the
/// TLVs (everything after the addresses) must be the same bytes, for an RSA and an ECDSA certificate and for a
/// client without TLS.
/// </summary>
public sealed class ProxyV2OptionsTests
{
    private const string AllOptions = "send-proxy-v2 proxy-v2-options ssl,cert-cn,ssl-cipher,authority,cert-sig,cert-key,unique-id";

    private static string Config(int port, string serverAddress, string certificates, string backendMode, string sendProxy) => $"""
        defaults
            mode {backendMode}
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        frontend fe
            bind 127.0.0.1:{port} ssl crt {certificates}/rsa.pem alpn http/1.1
            bind 127.0.0.1:{port + 1} ssl crt {certificates}/ec.pem
            bind 127.0.0.1:{port + 2}
            unique-id-format id-%[src]-%[ssl_fc]
            default_backend be
        backend be
            server s {serverAddress} {sendProxy}
        """;

    [Theory]
    [InlineData("http", AllOptions)]
    [InlineData("tcp", AllOptions)]
    [InlineData("http", "send-proxy-v2-ssl")]
    [InlineData("tcp", "send-proxy-v2-ssl-cn")]
    public async Task TheTlvsAreHAProxys_ForRsaEcdsaAndPlainClients(string mode, string sendProxy)
    {
        using var certificates = new TestCertificates();
        certificates.Server("rsa.pem", "rsa.test", rsa: true);
        certificates.Server("ec.pem", "ec.test");
        using var server = new HeaderKeepingServer();

        var haproxyPort = Ports.FreeListeningPortRange(3);
        List<string> expected;
        await using (var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort, server.Address, certificates.Directory, mode, sendProxy), haproxyPort + 2))
        {
            expected = await RequestsAsync(haproxyPort, server);
        }

        var sluicePort = Ports.FreeListeningPortRange(3);
        await using var sluice = await InProcessSluice.StartAsync(Config(sluicePort, server.Address, certificates.Directory, mode, sendProxy), ReadyProbe.Tcp(sluicePort + 2));
        var actual = await RequestsAsync(sluicePort, server);

        Assert.True(expected.SequenceEqual(actual), $"haproxy:\n{string.Join("\n", expected)}\nSluice:\n{string.Join("\n", actual)}");
        Assert.Contains("TLSv1.3", Encoding.ASCII.GetString(Convert.FromHexString(actual[0])), StringComparison.Ordinal);
        if (sendProxy != AllOptions)
        {
            return;
        }

        Assert.Contains("RSA2048", Encoding.ASCII.GetString(Convert.FromHexString(actual[0])), StringComparison.Ordinal);
        Assert.Contains("ecdsa-with-SHA256", Encoding.ASCII.GetString(Convert.FromHexString(actual[1])), StringComparison.Ordinal);
        Assert.Contains("EC256", Encoding.ASCII.GetString(Convert.FromHexString(actual[1])), StringComparison.Ordinal);
        Assert.Contains("id-127.0.0.1-0", Encoding.ASCII.GetString(Convert.FromHexString(actual[2])), StringComparison.Ordinal);
    }

    /// <summary>One request per bind line (RSA with SNI, ECDSA, plain); the TLVs of each header, in hex.</summary>
    private static async Task<List<string>> RequestsAsync(int port, HeaderKeepingServer server)
    {
        var tlvs = new List<string>();
        string[][] requests =
        [
            ["-k", "--http1.1", "--resolve", $"rsa.test:{port}:127.0.0.1", $"https://rsa.test:{port}/"],
            ["-k", "--http1.1", $"https://127.0.0.1:{port + 1}/"],
            [HttpTools.Url(port + 2, "/")],
        ];
        foreach (var request in requests)
        {
            var result = await HttpTools.CurlAsync(["-o", "/dev/null", "-w", "%{http_code}", .. request]);
            Assert.Equal("200", result.StandardOutput);
            tlvs.Add(Convert.ToHexString(await server.NextTlvsAsync()));
        }

        return tlvs;
    }

    /// <summary>
    /// A server that reads a PROXY v2 header (IPv4) and one request head, answers 200 and closes, and hands out the
    /// header's TLV bytes.
    /// </summary>
    private sealed class HeaderKeepingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly System.Threading.Channels.Channel<byte[]> _tlvs = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();
        private readonly CancellationTokenSource _stop = new();

        public HeaderKeepingServer()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public string Address => "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async Task<byte[]> NextTlvsAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await _tlvs.Reader.ReadAsync(timeout.Token);
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = ServeAsync(client);
            }
        }

        private async Task ServeAsync(Socket client)
        {
            using (client)
            {
                var received = new List<byte>();
                var buffer = new byte[4096];
                while (!HeadComplete(received))
                {
                    var read = await client.ReceiveAsync(buffer, SocketFlags.None);
                    if (read == 0)
                    {
                        return;
                    }

                    received.AddRange(buffer.AsSpan(0, read));
                }

                // 12 bytes of signature, version/command, family, length; then 12 bytes of IPv4 addresses and ports.
                var length = (received[14] << 8) | received[15];
                await _tlvs.Writer.WriteAsync(received.GetRange(16 + 12, length - 12).ToArray());
                await client.SendAsync("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None);
                client.Shutdown(SocketShutdown.Send);
            }
        }

        private static bool HeadComplete(List<byte> received) =>
            received.Count > 16 && received.Count >= 16 + ((received[14] << 8) | received[15]) + 4
            && Encoding.Latin1.GetString(received.ToArray(), 16 + ((received[14] << 8) | received[15]), received.Count - 16 - ((received[14] << 8) | received[15])).Contains("\r\n\r\n", StringComparison.Ordinal);
    }
}
