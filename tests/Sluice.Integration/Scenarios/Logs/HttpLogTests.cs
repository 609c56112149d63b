using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Logs;

/// <summary>
/// `option httplog` and `option tcplog`: the same configuration and the same traffic through haproxy and Sluice,
/// each logging to its own UDP syslog receiver; the lines must be the same field by field, dates, client ports and
/// timers aside.
/// </summary>
public class HttpLogTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string HttpConfig(int syslog, int port, int h2Port, string backend, int deadPort, string options = "option httplog") => $$"""
        global
            log 127.0.0.1:{{Port(syslog)}} format raw local0
        defaults
            mode http
            log global
            {{options}}
            timeout connect 1s
            timeout client 5s
            timeout server 1s
        frontend fe
            bind 127.0.0.1:{{Port(port)}}
            bind 127.0.0.1:{{Port(h2Port)}} proto h2
            capture request header Host len 32
            capture response header Content-Type len 20
            http-request deny if { path /deny }
            http-request return status 200 content-type text/plain string "hello" if { path /ret }
            use_backend dead if { path /dead }
            default_backend be
        backend be
            server s1 {{backend}}
        backend dead
            retries 0
            server s1 127.0.0.1:{{Port(deadPort)}}
        """ + "\n";

    /// <summary>Sends the same requests to a proxy and returns its log lines for them, in order.</summary>
    private static async Task<List<string>> RunTrafficAsync(SyslogListener syslog, int port, int h2Port)
    {
        var url = "http://127.0.0.1:" + Port(port);
        var expected = 0;
        async Task Step(Task<Sluice.TestKit.Processes.CommandResult> request)
        {
            var result = await request;
            Assert.True(result.ExitCode is 0 or 28 or 52 or 56, result.StandardError);
            expected++;
            await syslog.Lines.WaitForAsync(l => !l.Contains("<BADREQ>", StringComparison.Ordinal), expected);
        }

        await Step(LogPeers.CurlAsync("-H", "Host: example.test", url + "/one?a=1"));
        await Step(LogPeers.CurlAsync("-H", "Host: example.test", url + "/deny"));
        await Step(LogPeers.CurlAsync("-H", "Host: example.test", url + "/ret"));
        await Step(LogPeers.CurlAsync("-H", "Host: example.test", url + "/dead"));
        await Step(LogPeers.CurlAsync("-H", "Host: example.test", "-d", "abcdefghij", url + "/upload"));
        await Step(LogPeers.CurlAsync("--http2-prior-knowledge", "--connect-to", "example.test:80:127.0.0.1:" + Port(h2Port), "http://example.test/one"));
        await Step(LogPeers.CurlAsync("-H", "Host: example.test", url + "/slow"));

        // A client that goes away in the middle of its request body.
        using (var client = await TestClient.ConnectTcpAsync(port))
        {
            await client.SendAsync(Encoding.ASCII.GetBytes("POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 100000\r\n\r\n0123456789"));
            await Task.Delay(300);
        }

        expected++;
        return (await syslog.Lines.WaitForAsync(l => !l.Contains("<BADREQ>", StringComparison.Ordinal), expected))[..expected];
    }

    [Fact]
    public async Task HttpLog_SameTrafficThroughHAProxy_SameLines()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        var deadPort = Ports.FreeListeningPort();

        using var haproxyLog = SyslogListener.Udp();
        var (hPort, hH2) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var haproxy = await LogPeers.StartHAProxyAsync(HttpConfig(haproxyLog.Port, hPort, hH2, backend.Address, deadPort), hPort);
        var reference = await RunTrafficAsync(haproxyLog, hPort, hH2);

        using var sluiceLog = SyslogListener.Udp();
        var (sPort, sH2) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync(HttpConfig(sluiceLog.Port, sPort, sH2, backend.Address, deadPort), [ReadyProbe.Tcp(sPort)]);
        var ours = await RunTrafficAsync(sluiceLog, sPort, sH2);

        Assert.Equal(reference.Select(LogPeers.NormalizeWithoutCounts), ours.Select(LogPeers.NormalizeWithoutCounts));
        Assert.Contains(ours, l => l.Contains(" SC-- ", StringComparison.Ordinal));
        Assert.Contains(ours, l => l.Contains(" sH-- ", StringComparison.Ordinal));
        Assert.Contains(ours, l => l.Contains(" CD-- ", StringComparison.Ordinal));
        Assert.Contains(ours, l => l.Contains(" PR-- ", StringComparison.Ordinal));
        Assert.Contains(ours, l => l.EndsWith("\"GET http://example.test/one HTTP/2.0\"", StringComparison.Ordinal));

        // The server timeout shows in the timers: Tr is missing and Ta covers `timeout server`.
        var slow = LogPeers.Timers(ours.Single(l => l.Contains("/slow", StringComparison.Ordinal)));
        Assert.Equal(-1, slow[3]);
        Assert.InRange(slow[4], 900, 3000);
    }

    [Fact]
    public async Task HttpLogClf_SameTrafficThroughHAProxy_SameLines()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        var deadPort = Ports.FreeListeningPort();
        const string options = "option httplog clf";

        using var haproxyLog = SyslogListener.Udp();
        var (hPort, hH2) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var haproxy = await LogPeers.StartHAProxyAsync(HttpConfig(haproxyLog.Port, hPort, hH2, backend.Address, deadPort, options), hPort);
        await LogPeers.CurlAsync("-H", "Host: example.test", "http://127.0.0.1:" + Port(hPort) + "/one");
        var reference = await haproxyLog.Lines.WaitForAsync(l => l.Contains("/one", StringComparison.Ordinal));

        using var sluiceLog = SyslogListener.Udp();
        var (sPort, sH2) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync(HttpConfig(sluiceLog.Port, sPort, sH2, backend.Address, deadPort, options), [ReadyProbe.Tcp(sPort)]);
        await LogPeers.CurlAsync("-H", "Host: example.test", "http://127.0.0.1:" + Port(sPort) + "/one");
        var ours = await sluiceLog.Lines.WaitForAsync(l => l.Contains("/one", StringComparison.Ordinal));

        // CLF: the date in GMT, the timers as separate fields, every field quoted but the client address.
        static string[] Fields(string line) => System.Text.RegularExpressions.Regex.Replace(line, @"\[[^\]]+\]", "[DATE]").Split(' ');
        var expectedFields = Fields(reference[0]);
        var ourFields = Fields(ours[0]);
        Assert.Equal(expectedFields.Length, ourFields.Length);
        int[] variable = [11, 12, 16, 17, 18, 19, 20];
        for (var i = 0; i < expectedFields.Length; i++)
        {
            if (!variable.Contains(i))
            {
                Assert.True(expectedFields[i] == ourFields[i], $"field {i}: {reference[0]}\n{ours[0]}");
            }
        }
    }

    private static string CookieConfig(int syslog, int port, string backend) => LogPeers.HttpLogConfig(syslog, port, $"""
            cookie SRVID insert indirect nocache
            server s1 {backend} cookie a
            server s2 {backend} cookie b
        """);

    [Fact]
    public async Task PersistenceCookie_TerminationStateCharacters_AsHAProxy()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();

        static bool IsRequest(string line) => line.Contains(" be/", StringComparison.Ordinal);

        async Task<List<string>> RunAsync(SyslogListener syslog, int port)
        {
            var url = "http://127.0.0.1:" + Port(port) + "/c";
            string[][] requests = [[], ["-H", "Cookie: SRVID=b"], ["-H", "Cookie: SRVID=zz"]];
            for (var i = 0; i < requests.Length; i++)
            {
                await LogPeers.CurlAsync([.. requests[i], url]);
                await syslog.Lines.WaitForAsync(IsRequest, i + 1);
            }

            // The readiness probe's connection is logged too (`<NOSRV>`): only the requests' lines are compared.
            return [.. syslog.Lines.Lines.Where(IsRequest)];
        }

        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPort();
        await using var haproxy = await LogPeers.StartHAProxyAsync(CookieConfig(haproxyLog.Port, hPort, backend.Address), hPort);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(CookieConfig(sluiceLog.Port, sPort, backend.Address), [ReadyProbe.Tcp(sPort)]);
        var ours = await RunAsync(sluiceLog, sPort);

        Assert.Equal(reference.Select(LogPeers.Normalize), ours.Select(LogPeers.Normalize));
        Assert.Contains(ours, l => l.Contains(" --NI ", StringComparison.Ordinal));
        Assert.Contains(ours, l => l.Contains(" --VN ", StringComparison.Ordinal));
    }

    private static string TcpConfig(int syslog, int port, string backend, string options) => $"""
        global
            log 127.0.0.1:{Port(syslog)} format raw local0
        defaults
            mode tcp
            log global
            {options}
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        listen tl
            bind 127.0.0.1:{Port(port)}
            server s1 {backend}
        """ + "\n";

    [Fact]
    public async Task TcpLog_SameTrafficThroughHAProxy_SameLines()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        async Task<string> RunAsync(SyslogListener log, int port)
        {
            // The readiness probe's connection must be over (logged) first, or it counts in the request's line.
            await log.Lines.WaitForAsync(l => l.Contains(" tl/s1 ", StringComparison.Ordinal) && System.Text.RegularExpressions.Regex.IsMatch(l, @" 0 [-A-Za-z]{2} "));
            using (var client = await TestClient.ConnectTcpAsync(port))
            {
                await client.SendAsync("GET /one HTTP/1.0\r\nHost: example.test\r\n\r\n"u8.ToArray());
                Assert.Contains("hello", await TestClient.ReadToEndAsync(client), StringComparison.Ordinal);
            }

            // The readiness probe's connection is logged too, with no bytes (`0 --`, or `0 CC` when it left before
            // the server connection was up): the line of the request is the one with bytes.
            return (await log.Lines.WaitForAsync(l => l.Contains(" tl/s1 ", StringComparison.Ordinal)
                && !System.Text.RegularExpressions.Regex.IsMatch(l, @" 0 [-A-Za-z]{2} ")))[0];
        }

        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPort();
        await using var haproxy = await LogPeers.StartHAProxyAsync(TcpConfig(haproxyLog.Port, hPort, backend.Address, "option tcplog"), hPort);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(TcpConfig(sluiceLog.Port, sPort, backend.Address, "option tcplog"), [ReadyProbe.Tcp(sPort)]);
        var ours = await RunAsync(sluiceLog, sPort);

        Assert.Equal(LogPeers.Normalize(reference), LogPeers.Normalize(ours));
        Assert.EndsWith(" -- 1/1/0/0/0 0/0", ours, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadRequests_LoggedAsHAProxy()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        async Task<List<string>> RunAsync(SyslogListener log, int port)
        {
            var before = log.Lines.Lines.Count;
            foreach (var bytes in new[] { ""u8.ToArray(), "GET / HT"u8.ToArray(), "BAD\r\n\r\n"u8.ToArray() })
            {
                using var client = await TestClient.ConnectTcpAsync(port);
                await client.SendAsync(bytes);
                await Task.Delay(200);
            }

            // actconn/feconn depend on when each proxy sees the previous connection close: they are left out.
            return [.. (await log.Lines.WaitForAsync(_ => true, before + 3)).Skip(before)
                .Select(l => System.Text.RegularExpressions.Regex.Replace(LogPeers.Normalize(l), @" \d+/\d+/(\d+/\d+/\d+) ", " C/C/$1 "))];
        }

        using var haproxyLog = SyslogListener.Udp();
        var (hPort, hH2) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var haproxy = await LogPeers.StartHAProxyAsync(HttpConfig(haproxyLog.Port, hPort, hH2, backend.Address, Ports.FreeListeningPort()), hPort);
        await haproxyLog.Lines.WaitForAsync(_ => true);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var (sPort, sH2) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync(HttpConfig(sluiceLog.Port, sPort, sH2, backend.Address, Ports.FreeListeningPort()), [ReadyProbe.Tcp(sPort)]);
        await sluiceLog.Lines.WaitForAsync(_ => true);
        var ours = await RunAsync(sluiceLog, sPort);

        Assert.Equal(string.Join('\n', reference), string.Join('\n', ours));
        Assert.Equal(["CR--", "CR--", "PR--"], ours.Select(l => l.Split(' ')[9]));
    }

    [Fact]
    public async Task NoFormat_ConnectLineAtAccept_AsHAProxy()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        async Task<string> RunAsync(SyslogListener log, int port)
        {
            // The readiness probe opened and closed a connection without a request: it is not logged.
            await LogPeers.CurlAsync("http://127.0.0.1:" + Port(port) + "/one");
            var lines = await log.Lines.WaitForAsync(_ => true);
            await Task.Delay(200);
            Assert.Single(log.Lines.Lines);
            return System.Text.RegularExpressions.Regex.Replace(lines[0], @":\d+", ":PORT");
        }

        string Config(int syslog, int port) => HttpConfig(syslog, port, Ports.FreeListeningPort(), backend.Address, Ports.FreeListeningPort(), options: "option dontlognull\n    no option dontlognull");

        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPort();
        await using var haproxy = await LogPeers.StartHAProxyAsync(Config(haproxyLog.Port, hPort), hPort);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(sluiceLog.Port, sPort), [ReadyProbe.Tcp(sPort)]);
        var ours = await RunAsync(sluiceLog, sPort);

        Assert.Equal(reference, ours);
        Assert.Equal("Connect from 127.0.0.1:PORT to 127.0.0.1:PORT (fe/HTTP)", ours);
    }

    [Fact]
    public async Task TcpLogAsap_LoggedWhenServerConnected_AsHAProxy()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        async Task<string> RunAsync(SyslogListener log, int port)
        {
            var before = log.Lines.Lines.Count;
            using var client = await TestClient.ConnectTcpAsync(port);
            await client.SendAsync("GET /one HTTP/1.1\r\nHost: example.test\r\n\r\n"u8.ToArray());

            // The line comes while the connection is still open.
            var line = (await log.Lines.WaitForAsync(_ => true, before + 1))[before];
            Assert.True(client.Connected);

            // actconn/feconn/beconn/srv_conn depend on when each proxy saw the readiness probe close: left out.
            return System.Text.RegularExpressions.Regex.Replace(LogPeers.Normalize(line), @" \d+/\d+/\d+/\d+/(\d+) ", " C/C/C/C/$1 ");
        }

        const string options = "option tcplog\n    option logasap";
        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPort();
        await using var haproxy = await LogPeers.StartHAProxyAsync(TcpConfig(haproxyLog.Port, hPort, backend.Address, options), hPort);
        await haproxyLog.Lines.WaitForAsync(_ => true);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(TcpConfig(sluiceLog.Port, sPort, backend.Address, options), [ReadyProbe.Tcp(sPort)]);
        await sluiceLog.Lines.WaitForAsync(_ => true);
        var ours = await RunAsync(sluiceLog, sPort);

        Assert.Equal(reference, ours);
        Assert.EndsWith(" tl tl/s1 T/T/+T +0 -- C/C/C/C/0 0/0", ours, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DontLogNull_EmptyConnection_NotLogged()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        using var syslog = SyslogListener.Udp();
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(TcpConfig(syslog.Port, port, backend.Address, "option tcplog\n    option dontlognull"), [ReadyProbe.Tcp(port)]);

        // A connection that sends nothing, then one that does: only the second is logged.
        using (var empty = await TestClient.ConnectTcpAsync(port))
        {
            empty.Shutdown(SocketShutdown.Send);
            await TestClient.ReadToEndAsync(empty);
        }

        using (var client = await TestClient.ConnectTcpAsync(port))
        {
            await client.SendAsync("GET /one HTTP/1.0\r\n\r\n"u8.ToArray());
            await TestClient.ReadToEndAsync(client);
        }

        await syslog.Lines.WaitForAsync(l => l.Contains(" tl/s1 ", StringComparison.Ordinal));
        await Task.Delay(300);
        Assert.Single(syslog.Lines.Lines);

        // Without the option the empty connections (the readiness probe, this one) are logged too.
        using var all = SyslogListener.Udp();
        var port2 = Ports.FreeListeningPort();
        await using var logsAll = await SluiceProcess.StartAsync(TcpConfig(all.Port, port2, backend.Address, "option tcplog"), [ReadyProbe.Tcp(port2)]);
        using (var empty = await TestClient.ConnectTcpAsync(port2))
        {
            empty.Shutdown(SocketShutdown.Send);
            await TestClient.ReadToEndAsync(empty);
        }

        await all.Lines.WaitForAsync(l => l.Contains(" tl/s1 ", StringComparison.Ordinal), 2);
    }

    private static string AddressConfig(int syslog, int httpPort, int tcpPort, string backend) => $$"""
        global
            log 127.0.0.1:{{Port(syslog)}} format raw local0
        defaults
            log global
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend web
            mode http
            bind 127.0.0.1:{{Port(httpPort)}}
            log-format "%f %{+Q}bi:%bp %si:%sp %{+X}bp"
            default_backend be
        frontend raw
            mode tcp
            bind 127.0.0.1:{{Port(tcpPort)}}
            log-format "%f %bi:%bp %si:%sp"
            default_backend tcpbe
        backend be
            mode http
            server s1 {{backend}}
        backend tcpbe
            mode tcp
            server s1 {{backend}}
        """ + "\n";

    /// <summary>`%bi:%bp`, our address on the server connection, in mode http and tcp: its shape as haproxy's, and `+X` writing the same port in hexadecimal.</summary>
    [Fact]
    public async Task BackendSourceAddress_SameShapeAsHAProxy()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();

        async Task<List<string>> RunAsync(SyslogListener syslog, int httpPort, int tcpPort)
        {
            Assert.Equal(0, (await LogPeers.CurlAsync("http://127.0.0.1:" + Port(httpPort) + "/a")).ExitCode);
            Assert.Equal(0, (await LogPeers.CurlAsync("http://127.0.0.1:" + Port(tcpPort) + "/b")).ExitCode);
            await syslog.Lines.WaitForAsync(l => l.StartsWith("raw 127", StringComparison.Ordinal));
            return [.. syslog.Lines.Lines.Where(l => l.StartsWith("web \"127", StringComparison.Ordinal) || l.StartsWith("raw 127", StringComparison.Ordinal))];
        }

        static string Shape(string line) => Regex.Replace(line, @"(?<=:)\d+|(?<= )[0-9A-F]{4}$", "N");

        using var haproxyLog = SyslogListener.Udp();
        var (hHttp, hTcp) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var haproxy = await LogPeers.StartHAProxyAsync(AddressConfig(haproxyLog.Port, hHttp, hTcp, backend.Address), hHttp);
        var reference = await RunAsync(haproxyLog, hHttp, hTcp);

        using var sluiceLog = SyslogListener.Udp();
        var (sHttp, sTcp) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync(AddressConfig(sluiceLog.Port, sHttp, sTcp, backend.Address), [ReadyProbe.Tcp(sHttp)]);
        var ours = await RunAsync(sluiceLog, sHttp, sTcp);

        Assert.Equal(reference.Select(Shape), ours.Select(Shape));
        Assert.Equal($"web \"127.0.0.1\":N 127.0.0.1:{Port(backend.Port)} N", Regex.Replace(ours[0], @"(?<=:)\d+(?= 127)|(?<= )[0-9A-F]{4}$", "N"));
        var http = Regex.Match(ours[0], @"^web ""127\.0\.0\.1"":(\d+) \S+ ([0-9A-F]{4})$");
        Assert.True(http.Success, ours[0]);
        Assert.Equal(int.Parse(http.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(http.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }
}
