using System.Globalization;
using System.Net.Security;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Logs;

/// <summary>
/// `%Th` on TLS connections: the first request of a connection counts the time from the accept to the end of the
/// handshake (a client slow to say hello included), later requests none; `%Ti`, `%Tq`, `%Ta` and `%Tt` keep
/// HAProxy's relations. The same client runs against haproxy 2.6 and Sluice, and both lines obey the same rules.
/// </summary>
public class HandshakeTimerTests
{
    private const int HelloDelayMs = 400;
    private const int FirstIdleMs = 300;
    private const int SecondIdleMs = 200;

    private static string Config(int syslogPort, int port, string certificate, string bindOptions = "") => $$"""
        global
            log 127.0.0.1:{{Port(syslogPort)}} format raw local0
        defaults
            mode http
            log global
            timeout connect 1s
            timeout client 10s
            timeout server 10s
        frontend fe
            bind 127.0.0.1:{{Port(port)}} ssl crt {{certificate}}{{bindOptions}}
            log-format "timers Th=%Th Ti=%Ti TR=%TR Tq=%Tq Ta=%Ta Tt=%Tt %HP"
            http-request return status 200 content-type text/plain string ok
        """ + "\n";

    [Fact]
    public async Task TlsConnection_ThOnFirstRequestOnly_RelationsAsHaproxy()
    {
        using var certs = new TestCertificates();
        var site = certs.Server("site.pem", "example.test");

        using var haproxyLog = SyslogListener.Udp();
        var haproxyPort = Ports.FreeListeningPort();
        await using (var haproxy = await LogPeers.StartHAProxyAsync(Config(haproxyLog.Port, haproxyPort, site), haproxyPort))
        {
            await WarmUpAsync(haproxyPort, certs.Ca);
            await RunClientAsync(haproxyPort, certs.Ca);
            CheckLines(await WaitLinesAsync(haproxyLog), "haproxy");
        }

        using var sluiceLog = SyslogListener.Udp();
        var sluicePort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(sluiceLog.Port, sluicePort, site), [ReadyProbe.Tcp(sluicePort)]);
        await WarmUpAsync(sluicePort, certs.Ca);
        await RunClientAsync(sluicePort, certs.Ca);
        CheckLines(await WaitLinesAsync(sluiceLog), "sluice");
    }

    /// <summary>
    /// Over HTTP/2 (ALPN h2) the connection's first stream carries `Th`, the next ones none; the timers keep
    /// HAProxy's relations. A python-h2 client slow to say hello, against haproxy 2.6 and Sluice.
    /// </summary>
    [Fact]
    public async Task Http2Connection_ThOnFirstStreamOnly_AsHaproxy()
    {
        using var certs = new TestCertificates();
        var site = certs.Server("site.pem", "example.test");
        var caFile = Path.Combine(Ports.TempDirectory(), "ca.pem");
        await File.WriteAllTextAsync(caFile, certs.Ca.ExportCertificatePem());

        async Task RunAsync(SyslogListener syslog, int port, string who)
        {
            var client = await CommandRunner.RunAsync(PythonPeer.Python,
                [PythonPeer.Script("h2_delayed_client.py"), Port(port), "example.test", caFile, Port(HelloDelayMs), Port(SecondIdleMs), "/first", "/second"],
                timeout: TimeSpan.FromSeconds(30));
            Assert.True(client.ExitCode == 0, client.StandardError);
            Assert.Equal("/first 200\n/second 200\n", client.StandardOutput);
            var lines = await WaitLinesAsync(syslog);
            var all = who + ":\n" + string.Join("\n", lines);
            // %HP of an HTTP/2 request is its absolute URI.
            var first = Timers(Assert.Single(lines, l => l.EndsWith("//example.test/first", StringComparison.Ordinal)));
            var second = Timers(Assert.Single(lines, l => l.EndsWith("//example.test/second", StringComparison.Ordinal)));
            Assert.True(first["Th"] >= HelloDelayMs / 2, all);
            Assert.True(second["Th"] == 0, all);
            foreach (var timers in new[] { first, second })
            {
                Assert.True(timers["Tq"] == timers["Th"] + timers["Ti"] + timers["TR"], all);
                Assert.True(timers["Ta"] == timers["Tt"] - timers["Th"] - timers["Ti"], all);
            }
        }

        using var haproxyLog = SyslogListener.Udp();
        var haproxyPort = Ports.FreeListeningPort();
        await using (var haproxy = await LogPeers.StartHAProxyAsync(Config(haproxyLog.Port, haproxyPort, site, " alpn h2"), haproxyPort))
        {
            await RunAsync(haproxyLog, haproxyPort, "haproxy");
        }

        using var sluiceLog = SyslogListener.Udp();
        var sluicePort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(sluiceLog.Port, sluicePort, site, " alpn h2"), [ReadyProbe.Tcp(sluicePort)]);
        await WarmUpAsync(sluicePort, certs.Ca);
        await RunAsync(sluiceLog, sluicePort, "sluice");
    }

    /// <summary>
    /// In mode tcp (TLS offload) the connection dates from its accept: `Th` is the handshake, `Tw` runs from the accept
    /// to the server's slot (so it holds `Th`, as HAProxy's), and `Tt` holds both. Against haproxy 2.6 and Sluice.
    /// </summary>
    [Fact]
    public async Task ModeTcp_TlsOffload_ThTwTt_AsHaproxy()
    {
        using var certs = new TestCertificates();
        var site = certs.Server("site.pem", "example.test");
        await using var echo = TestServer.Tcp(TestServer.Echo);
        string TcpConfig(int syslogPort, int port) => $$"""
            global
                log 127.0.0.1:{{Port(syslogPort)}} format raw local0
            defaults
                mode tcp
                log global
                timeout connect 1s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{{Port(port)}} ssl crt {{site}}
                log-format "timers Th=%Th Tw=%Tw Tc=%Tc Tt=%Tt"
                default_backend be
            backend be
                server s {{echo.Address}}
            """ + "\n";

        async Task RunAsync(SyslogListener syslog, int port, string who)
        {
            using (var socket = await TestClient.ConnectTcpAsync(port))
            {
                await Task.Delay(HelloDelayMs);
                await using var tls = await HandshakeAsync(socket, certs.Ca);
                await tls.WriteAsync("ping"u8.ToArray(), TestTimeout.Token());
                var buffer = new byte[4];
                await tls.ReadExactlyAsync(buffer, TestTimeout.Token());
                await Task.Delay(SecondIdleMs);
            }

            var line = (await syslog.Lines.WaitForAsync(l => l.StartsWith("timers ", StringComparison.Ordinal)))[^1];
            var timers = Timers(line);
            var all = who + ": " + line;
            Assert.True(timers["Th"] >= HelloDelayMs / 2, all);
            Assert.True(timers["Tw"] >= timers["Th"] && timers["Tc"] >= 0, all);
            Assert.True(timers["Tt"] >= timers["Tw"] + timers["Tc"] + (SecondIdleMs / 2), all);
        }

        using var haproxyLog = SyslogListener.Udp();
        var haproxyPort = Ports.FreeListeningPort();
        await using (var haproxy = await LogPeers.StartHAProxyAsync(TcpConfig(haproxyLog.Port, haproxyPort), haproxyPort))
        {
            await RunAsync(haproxyLog, haproxyPort, "haproxy");
        }

        using var sluiceLog = SyslogListener.Udp();
        var sluicePort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(TcpConfig(sluiceLog.Port, sluicePort), [ReadyProbe.Tcp(sluicePort)]);
        await RunAsync(sluiceLog, sluicePort, "sluice");
    }

    /// <summary>One exchange first, so that the measured one does not pay for a fresh process's first TLS connection.</summary>
    private static async Task WarmUpAsync(int port, System.Security.Cryptography.X509Certificates.X509Certificate2 ca)
    {
        using var socket = await TestClient.ConnectTcpAsync(port);
        await using var tls = await HandshakeAsync(socket, ca);
        await ExchangeAsync(tls, "/warm-up");
    }

    private static async Task<SslStream> HandshakeAsync(System.Net.Sockets.Socket socket, System.Security.Cryptography.X509Certificates.X509Certificate2 ca)
    {
        var tls = new SslStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        var trust = new System.Security.Cryptography.X509Certificates.X509ChainPolicy { TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust, RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck };
        trust.CustomTrustStore.Add(ca);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "example.test", CertificateChainPolicy = trust }, TestTimeout.Token());
        return tls;
    }

    /// <summary>Connects, waits before the ClientHello, then sends two requests on the connection, each after an idle time.</summary>
    private static async Task RunClientAsync(int port, System.Security.Cryptography.X509Certificates.X509Certificate2 ca)
    {
        using var socket = await TestClient.ConnectTcpAsync(port);
        await Task.Delay(HelloDelayMs);
        await using var tls = await HandshakeAsync(socket, ca);
        await Task.Delay(FirstIdleMs);
        await ExchangeAsync(tls, "/first");
        await Task.Delay(SecondIdleMs);
        await ExchangeAsync(tls, "/second");
    }

    private static async Task ExchangeAsync(SslStream tls, string path)
    {
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: example.test\r\n\r\n"), TestTimeout.Token());
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().EndsWith("\r\n\r\nok", StringComparison.Ordinal))
        {
            var n = await tls.ReadAsync(buffer, TestTimeout.Token());
            Assert.True(n > 0, "connection closed after: " + received);
            received.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
    }

    private static async Task<List<string>> WaitLinesAsync(SyslogListener syslog)
    {
        await syslog.Lines.WaitForAsync(l => l.EndsWith("/second", StringComparison.Ordinal));
        return [.. syslog.Lines.Lines.Where(l => l.StartsWith("timers ", StringComparison.Ordinal))];
    }

    private static void CheckLines(List<string> lines, string who)
    {
        var all = who + ":\n" + string.Join("\n", lines);
        var first = Timers(Assert.Single(lines, l => l.EndsWith(" /first", StringComparison.Ordinal)));
        var second = Timers(Assert.Single(lines, l => l.EndsWith(" /second", StringComparison.Ordinal)));

        // The handshake began at the accept, before the client's late hello; idle time starts once it is done. Lower
        // bounds only, with room for a busy machine, where the proxy may accept late or see the idle time begin late.
        Assert.True(first["Th"] >= HelloDelayMs / 2, all);
        Assert.True(first["Ti"] >= FirstIdleMs / 2, all);
        Assert.True(second["Th"] == 0 && second["Ti"] >= SecondIdleMs / 2, all);
        foreach (var timers in new[] { first, second })
        {
            Assert.True(timers["Tq"] == timers["Th"] + timers["Ti"] + timers["TR"], all);
            Assert.True(timers["Ta"] == timers["Tt"] - timers["Th"] - timers["Ti"], all);
            Assert.True(timers["Tt"] >= timers["Tq"], all);
        }
    }

    private static Dictionary<string, long> Timers(string line) =>
        Regex.Matches(line, @"(\w+)=(-?\d+)").ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
