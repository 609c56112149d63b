using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// `option httpslog`: the same TLS traffic through haproxy and Sluice, each logging to its own syslog receiver;
/// the lines, with their TLS part (`fc_err`, `ssl_fc_err`, `ssl_c_err`, `ssl_c_ca_err`, `ssl_fc_is_resumed`, SNI,
/// version, cipher), must be the same, dates, client ports and timers aside.
/// </summary>
public sealed class HttpsLogTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private string Config(int syslog, int port, string site) => $"""
        global
            log 127.0.0.1:{Port(syslog)} format raw local0
        defaults
            mode http
            log global
            option httpslog
            timeout connect 1s
            timeout client 5s
            timeout server 1s
        frontend fe
            bind 127.0.0.1:{Port(port)} ssl crt {site} ca-file {_certs.CaFile} verify optional crt-ignore-err 10
            http-request return status 200 content-type text/plain string "ok"
        """ + "\n";

    private async Task<List<string>> RunTrafficAsync(SyslogListener syslog, int port, (string Certificate, string Key) expired)
    {
        const string Request = "GET /s HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";
        var session = Path.Combine(_certs.Directory, "session-" + Port(port));
        var first = await TlsPeers.SClientAsync(port, ["-tls1_3", "-servername", "a.test", "-sess_out", session, "-ign_eof"], Request);
        Assert.Contains("HTTP/1.1 200", first.Output, StringComparison.Ordinal);
        await syslog.Lines.WaitForAsync(IsRequestLine, 1);
        var resumed = await TlsPeers.SClientAsync(port, ["-tls1_3", "-servername", "a.test", "-sess_in", session, "-ign_eof"], Request);
        Assert.Equal(1, resumed.ReusedCount);
        await syslog.Lines.WaitForAsync(IsRequestLine, 2);
        var tls12 = await TlsPeers.SClientAsync(port, ["-tls1_2", "-noservername", "-cert", expired.Certificate, "-key", expired.Key, "-ign_eof"], Request);
        Assert.Contains("HTTP/1.1 200", tls12.Output, StringComparison.Ordinal);
        return (await syslog.Lines.WaitForAsync(IsRequestLine, 3))[..3];
    }

    /// <summary>The requests' lines: haproxy also logs the readiness probe's connection, closed during its handshake.</summary>
    private static bool IsRequestLine(string line) => line.Contains(" fe~ ", StringComparison.Ordinal);

    [Fact]
    public async Task HttpsLog_SameTlsTrafficThroughHAProxy_SameLines()
    {
        var site = _certs.Server("site.pem", "a.test");
        var expired = _certs.Client("expired", "CN=expired", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-1));

        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPort();
        List<string> reference;
        await using (var haproxy = await LogPeers.StartHAProxyAsync(Config(haproxyLog.Port, hPort, site), hPort))
        {
            reference = await RunTrafficAsync(haproxyLog, hPort, (expired.Certificate, expired.Key));
        }

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(sluiceLog.Port, sPort, site), [ReadyProbe.Tcp(sPort)]);
        var ours = await RunTrafficAsync(sluiceLog, sPort, (expired.Certificate, expired.Key));

        Assert.Equal(reference.Select(LogPeers.Normalize), ours.Select(LogPeers.Normalize));
        Assert.EndsWith(" 0/0000000000000000/0/0/0 a.test/TLSv1.3/TLS_AES_256_GCM_SHA384", ours[0], StringComparison.Ordinal);
        // Resumed; then an expired client certificate let through by `crt-ignore-err 10`, over TLS 1.2 without SNI.
        Assert.EndsWith(" 0/0000000000000000/0/0/1 a.test/TLSv1.3/TLS_AES_256_GCM_SHA384", ours[1], StringComparison.Ordinal);
        Assert.EndsWith(" 0/0000000000000000/10/0/0 -/TLSv1.2/ECDHE-ECDSA-AES256-GCM-SHA384", ours[2], StringComparison.Ordinal);
    }
}
