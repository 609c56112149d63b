using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// HTTP/2 over TLS 1.2 (RFC 9113 §9.2): a connection on a cipher suite of Appendix A is refused with
/// GOAWAY(INADEQUATE_SECURITY) (RELIABILITY TLS-02), and a client's renegotiation ends the connection before any
/// further request is served (TLS-07), both seen from real clients: Python's ssl module and openssl s_client.
/// </summary>
public sealed class Http2OverTlsTests : IDisposable
{
    /// <summary>The client preface and an empty SETTINGS frame.</summary>
    private const string Preface = @"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

    /// <summary>HEADERS of `GET https://a.test/` on stream 1 (static-table :method, :scheme, :path; a literal :authority), ending the stream.</summary>
    private const string Request = @"\x00\x00\x0b\x01\x05\x00\x00\x00\x01\x82\x87\x84\x41\x06a.test";

    /// <summary>The head of the answer to stream 1: HEADERS, END_HEADERS, stream 1, `:status 200` from the static table.</summary>
    private const string AnswerHex = "01040000000188";

    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private async Task<(ISluiceInstance Sluice, int Port)> StartAsync(string bindOptions)
    {
        var site = _certs.Server("a.pem", "a.test", rsa: true);
        var port = Ports.FreeListeningPort();
        var config = TlsFrontTests.Config(port, $"ssl crt {site} alpn h2,http/1.1 {bindOptions}");
        return (await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port)), port);
    }

    /// <summary>
    /// Python's ssl client on TLS 1.2 with only <paramref name="cipher"/>, ALPN h2: sends the preface, SETTINGS and a
    /// request, and prints the suite, then each frame type it receives and a GOAWAY's error code.
    /// </summary>
    private static async Task<string> PythonH2OverTls12Async(int port, string cipher)
    {
        var script = """
            import socket, ssl, sys
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(sys.argv[2])
            ctx.set_alpn_protocols(['h2'])
            s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1]))), server_hostname='a.test')
            print('suite', s.cipher()[0], s.selected_alpn_protocol())
            s.sendall(b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00')
            s.sendall(b'\x00\x00\x0b\x01\x05\x00\x00\x00\x01\x82\x87\x84\x41\x06a.test')
            s.settimeout(5)
            data = b''
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                    if b'ok' in data:
                        break
            except (socket.timeout, ssl.SSLError, ConnectionError):
                pass
            i = 0
            while i + 9 <= len(data):
                length, kind = int.from_bytes(data[i:i + 3], 'big'), data[i + 3]
                payload = data[i + 9:i + 9 + length]
                print('frame', kind, 'goaway', int.from_bytes(payload[4:8], 'big')) if kind == 7 else print('frame', kind)
                i += 9 + length
            """;
        var result = await CommandRunner.RunAsync(PythonPeer.Python, ["-c", script, port.ToString(CultureInfo.InvariantCulture), cipher], timeout: TestTimeout.Value);
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }

    [Fact]
    public async Task Tls02_H2OnAProhibitedTls12Suite_GoAwayInadequateSecurity()
    {
        // The bind allows CBC and static-RSA suites, which HTTP/2 prohibits: only a bind's own `ciphers` can let them in.
        var (sluice, port) = await StartAsync("ciphers ECDHE-RSA-AES128-SHA:AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
        await using var _ = sluice;

        foreach (var prohibited in new[] { "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256" })
        {
            var output = await PythonH2OverTls12Async(port, prohibited);
            Assert.Contains($"suite {prohibited} h2", output, StringComparison.Ordinal);
            Assert.Contains("frame 7 goaway 12", output, StringComparison.Ordinal);
            Assert.DoesNotContain("frame 1\n", output, StringComparison.Ordinal);
        }

        var adequate = await PythonH2OverTls12Async(port, "ECDHE-RSA-AES128-GCM-SHA256");
        Assert.Contains("suite ECDHE-RSA-AES128-GCM-SHA256 h2", adequate, StringComparison.Ordinal);
        Assert.DoesNotContain("frame 7", adequate, StringComparison.Ordinal);
        Assert.Contains("frame 1\n", adequate, StringComparison.Ordinal);
    }

    /// <summary>
    /// s_client over TLS 1.2 with ALPN h2: the preface, then (with <paramref name="renegotiate"/>) its `R` command,
    /// then a request; returns what it received, in hex, and its diagnostics.
    /// </summary>
    private async Task<(string Hex, string Diagnostics)> SClientH2Async(int port, bool renegotiate)
    {
        var p = port.ToString(CultureInfo.InvariantCulture);
        var diagnostics = Path.Combine(_certs.Directory, "s_client-" + (renegotiate ? "r" : "n") + ".txt");
        // s_client reads its `R` command only when it arrives alone: the input comes in steps.
        var renegotiation = renegotiate ? "sleep 1; printf 'R\\n'; " : string.Empty;
        var script = $"(printf '{Preface}'; sleep 1; {renegotiation}sleep 1; printf '{Request}'; sleep 2) "
            + $"| {TlsPeers.OpenSsl} s_client -connect 127.0.0.1:{p} -tls1_2 -alpn h2 -servername a.test 2>{diagnostics} | od -An -v -tx1 | tr -d ' \\n'";
        var result = await CommandRunner.RunAsync("bash", ["-c", script], timeout: TestTimeout.Value);
        return (result.StandardOutput, await File.ReadAllTextAsync(diagnostics));
    }

    [Fact]
    public async Task Tls07_RenegotiationOverH2_ConnectionEndsBeforeAnotherRequest()
    {
        var (sluice, port) = await StartAsync(string.Empty);
        await using var _ = sluice;

        var (served, _) = await SClientH2Async(port, renegotiate: false);
        Assert.Contains(AnswerHex, served, StringComparison.Ordinal);

        var (hex, diagnostics) = await SClientH2Async(port, renegotiate: true);
        Assert.Contains("RENEGOTIATING", diagnostics, StringComparison.Ordinal);
        // The server's SETTINGS came before the attempt; no answer to the request sent after it.
        Assert.Contains("000018040000000000", hex, StringComparison.Ordinal);
        Assert.DoesNotContain(AnswerHex, hex, StringComparison.Ordinal);
    }
}
