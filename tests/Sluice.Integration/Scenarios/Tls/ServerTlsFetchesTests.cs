using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using HttpHelpers = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// The server side's TLS fetches in the log line (`bc_err`, `bc_err_str`, `ssl_bc_err`, `ssl_bc_err_str`, `ssl_bc`,
/// `ssl_bc_protocol`, `ssl_bc_cipher`, `ssl_bc_alpn`): how a server's handshake ended, with the reason it failed
/// (RELIABILITY TLS-13's "log names the reason"), line for line as haproxy 2.6 writes them for the same servers.
/// </summary>
public sealed class ServerTlsFetchesTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task ServerHandshakeOutcomes_LoggedAsHAProxyLogsThem()
    {
        var site = _certs.Server("backend.pem", "backend.test");
        using var otherCa = new TestCertificates("Other CA");
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions
        {
            ListenParameters = " ssl",
            ExtraServerDirectives = $"ssl_protocols TLSv1.2 TLSv1.3;\nssl_certificate {site};\nssl_certificate_key {site};\n",
        });
        using var cleartext = new CleartextAnswerer();
        var refusedPort = Ports.FreeListeningPort();
        var ca = _certs.CaFile;

        string Config(int port, string socket) => $"""
            global
                stats socket {socket} level admin
                log stdout format raw local0
            defaults
                mode http
                log global
                retries 0
                timeout connect 2s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{Port(port)}
                log-format "%ST %tsc %b/%s bc_err=%[bc_err] [%[bc_err_str]] ssl_bc_err=%[ssl_bc_err] [%[ssl_bc_err_str]] ssl_bc=%[ssl_bc] p=%[ssl_bc_protocol] c=%[ssl_bc_cipher] a=%[ssl_bc_alpn]"
                use_backend %[path,field(2,/)]
            backend ok
                server s1 {nginx.Address} ssl verify required ca-file {ca} sni str(backend.test) alpn http/1.1
            backend mismatch
                server s1 {nginx.Address} ssl verify required ca-file {ca} sni str(other.test)
            backend verifyhost
                server s1 {nginx.Address} ssl verify required ca-file {ca} verifyhost other.test
            backend untrusted
                server s1 {nginx.Address} ssl verify required ca-file {otherCa.CaFile}
            backend cleartext
                server s1 127.0.0.1:{Port(cleartext.Port)} ssl verify none
            backend refused
                server s1 127.0.0.1:{Port(refusedPort)} ssl verify none
            backend plain
                server s1 {cleartext.Address}
            """;

        string[] paths = ["ok", "mismatch", "verifyhost", "untrusted", "cleartext", "refused", "plain", "ok"];
        async Task<List<string>> RunAsync(int port, string socket, int processId, LineCollector output)
        {
            for (var i = 0; i < paths.Length; i++)
            {
                await HttpHelpers.CurlAsync("-o", "/dev/null", HttpHelpers.Url(port, "/" + paths[i]));
                await output.WaitForAsync(IsTransactionLine, i + 1);
            }

            return (await output.WaitForAsync(IsTransactionLine, paths.Length))[..paths.Length];
        }

        var (reference, ours) = await Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal(reference, ours);
        // What the comparison covers: a success (then again on the kept connection), the two name mismatches, a
        // certificate of another authority, a cleartext answer to the handshake, a refused connection (no handshake at
        // all), and a server without TLS.
        Assert.Equal("404 ---- ok/s1 bc_err=0 [Success] ssl_bc_err=0 [-] ssl_bc=1 p=TLSv1.3 c=TLS_AES_256_GCM_SHA384 a=http/1.1", ours[0]);
        Assert.StartsWith("503 SC-- mismatch/s1 bc_err=33 [Server presented an SSL certificate different from the expected one] ssl_bc_err=167772294 [error:0A000086:SSL routines::certificate verify failed]", ours[1], StringComparison.Ordinal);
        Assert.StartsWith("503 SC-- verifyhost/s1 bc_err=32 ", ours[2], StringComparison.Ordinal);
        Assert.StartsWith("503 SC-- untrusted/s1 bc_err=34 [SSL handshake failure] ssl_bc_err=167772294 ", ours[3], StringComparison.Ordinal);
        Assert.StartsWith("503 SC-- cleartext/s1 bc_err=34 [SSL handshake failure] ssl_bc_err=167772427 [error:0A00010B:SSL routines::wrong version number]", ours[4], StringComparison.Ordinal);
        Assert.Equal("503 SC-- refused/s1 bc_err=- [-] ssl_bc_err=- [-] ssl_bc=1 p=TLSv1.3 c=(NONE) a=-", ours[5]);
        Assert.Equal("400 ---- plain/s1 bc_err=0 [Success] ssl_bc_err=- [-] ssl_bc=0 p=- c=- a=-", ours[6]);
        Assert.Equal(ours[0], ours[7]);
    }

    private static bool IsTransactionLine(string line) => line.Contains(" bc_err=", StringComparison.Ordinal);

    /// <summary>A cleartext HTTP server: whatever comes, it answers a 400 and closes, as a server without TLS answers a ClientHello.</summary>
    private sealed class CleartextAnswerer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public CleartextAnswerer()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptSocketAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    return;
                }

                using (client)
                {
                    try
                    {
                        await client.ReceiveAsync(new byte[4096], SocketFlags.None);
                        await client.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), SocketFlags.None);
                    }
                    catch (SocketException)
                    {
                    }
                }
            }
        }

        public void Dispose() => _listener.Stop();
    }
}
