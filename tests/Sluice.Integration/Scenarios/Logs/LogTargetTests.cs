using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Logs;

/// <summary>
/// Log targets: UDP syslog with rfc3164 and rfc5424 headers (compared with haproxy's for the same `log` lines), a unix
/// datagram socket, custom formats, logasap on a streaming response, and a log target that never reads.
/// </summary>
public class LogTargetTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Config(string logLines, int port, string backend, string frontend = "", string options = "option httplog") => $"""
        global
        {logLines}
        defaults
            mode http
            log global
            {options}
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{Port(port)}
        {frontend}
            default_backend be
        backend be
            server s1 {backend}
        """ + "\n";

    /// <summary>The header of a syslog line with its varying parts (date, pid) replaced.</summary>
    private static string HeaderShape(string line, int pid)
    {
        var shape = Regex.Replace(line, @"^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ", "<$1>DATE ");
        shape = Regex.Replace(shape, @"^<(\d+)>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d ", "<$1>1 ISODATE ");
        shape = shape.Replace("[" + Port(pid) + "]: ", "[PID]: ", StringComparison.Ordinal).Replace(" " + Port(pid) + " - ", " PID - ", StringComparison.Ordinal);
        var body = shape.IndexOf("127.0.0.1:", StringComparison.Ordinal);
        return body < 0 ? shape : shape[..body];
    }

    [Fact]
    public async Task ServerEvents_GoToTheBackendsLogTargets_AsHAProxy()
    {
        // Dates, pids and the check's duration (a timer) aside.
        static string Shape(string line) => Regex.Replace(
            Regex.Replace(Regex.Replace(line, @"^<(\d+)>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d ", "<$1>DATE "), @"haproxy\[\d+\]: ", "haproxy[PID]: "),
            @"check duration: \d+ms", "check duration: Tms");

        async Task<List<string>> RunAsync(Func<int, string, Task<IAsyncDisposable>> start)
        {
            using var syslog = SyslogListener.Udp();
            var dead = Ports.FreeListeningPort();
            var config = Config($"    log 127.0.0.1:{Port(syslog.Port)} local0", Ports.FreeListeningPort(), $"127.0.0.1:{Port(dead)} check inter 200 fall 1");
            await using var process = await start(dead, config);
            await syslog.Lines.WaitForAsync(l => l.Contains("has no server available", StringComparison.Ordinal));
            // The readiness probes are connections of their own, logged too: only the events are compared.
            return [.. syslog.Lines.Lines.Where(l => l.Contains("Server be/s1 is ", StringComparison.Ordinal) || l.Contains("has no server", StringComparison.Ordinal)).Select(Shape)];
        }

        var reference = await RunAsync(async (_, config) =>
        {
            var port = int.Parse(Regex.Match(config, @"bind 127\.0\.0\.1:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            return await LogPeers.StartHAProxyAsync(config, port);
        });
        var ours = await RunAsync(async (_, config) =>
        {
            var port = int.Parse(Regex.Match(config, @"bind 127\.0\.0\.1:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            return await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);
        });

        Assert.Equal(reference, ours);
        Assert.Contains(ours, l => l.StartsWith("<129>DATE haproxy[PID]: Server be/s1 is DOWN, reason: Layer4 connection problem", StringComparison.Ordinal));
        Assert.Contains("<128>DATE haproxy[PID]: backend be has no server available!", ours);
    }

    [Fact]
    public async Task UdpSyslog_Rfc3164AndRfc5424_HeadersAsHAProxy()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        async Task<List<string>> RunAsync(Func<int, int, int, Task<(int Pid, IAsyncDisposable Process)>> start)
        {
            using var rfc3164 = SyslogListener.Udp();
            using var rfc5424 = SyslogListener.Udp();
            var port = Ports.FreeListeningPort();
            var (pid, process) = await start(rfc3164.Port, rfc5424.Port, port);
            await using var _ = process;
            await LogPeers.CurlAsync("http://127.0.0.1:" + Port(port) + "/one");
            var a = await rfc3164.Lines.WaitForAsync(l => l.Contains("/one", StringComparison.Ordinal));
            var b = await rfc5424.Lines.WaitForAsync(l => l.Contains("/one", StringComparison.Ordinal));
            var tagged = await rfc3164.Lines.WaitForAsync(l => l.Contains("/one", StringComparison.Ordinal), 2);
            return [HeaderShape(a[0], pid), HeaderShape(b[0], pid), HeaderShape(tagged[1], pid)];
        }

        string LogLines(int rfc3164, int rfc5424) => $"""
                log 127.0.0.1:{Port(rfc3164)} local0
                log udp@127.0.0.1:{Port(rfc5424)} format rfc5424 local1 info
                log 127.0.0.1:{Port(rfc3164)} len 300 local2 debug info
            """;

        var reference = await RunAsync(async (a, b, port) =>
        {
            var haproxy = await LogPeers.StartHAProxyAsync(Config(LogLines(a, b), port, backend.Address, "    log-format-sd \"[exampleSDID@32473 iut=\\\"3\\\"]\""), port);
            return (haproxy.ProcessId, haproxy);
        });
        var ours = await RunAsync(async (a, b, port) =>
        {
            var sluice = await SluiceProcess.StartAsync(Config(LogLines(a, b), port, backend.Address, "    log-format-sd \"[exampleSDID@32473 iut=\\\"3\\\"]\""), [ReadyProbe.Tcp(port)]);
            return (sluice.ProcessId, sluice);
        });

        Assert.Equal(reference, ours);
        Assert.Equal("<134>DATE haproxy[PID]: ", ours[0]);
        Assert.Equal("<142>1 ISODATE - haproxy PID - [exampleSDID@32473 iut=\"3\"] ", ours[1]);
        Assert.Equal("<150>DATE haproxy[PID]: ", ours[2]);
    }

    [Fact]
    public async Task FileDescriptors_Fd1IsStdout_AndAnInheritedFdGetsItsLines()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        var file = Path.Combine(Ports.TempDirectory(), "fd3.log");
        var port = Ports.FreeListeningPort();
        var config = Config("    log fd@1 format raw local0\n    log fd@3 format short local0", port, backend.Address);
        await using var sluice = await SluiceProcess.StartUnderAsync(["bash", "-c", "exec 3>>\"$0\"; exec \"$@\"", file], config, [ReadyProbe.Tcp(port)]);

        var get = await Http.Http.CurlAsync(Http.Http.Url(port, "/fd"));
        Assert.Equal(0, get.ExitCode);
        // The raw httplog line on stdout (the `-d` line of the same request has another layout).
        var raw = await sluice.Output.WaitForAsync(l => l.Contains("\"GET /fd HTTP/1.1\"", StringComparison.Ordinal) && l.Contains("] fe be/s1 ", StringComparison.Ordinal));
        Assert.StartsWith("127.0.0.1:", raw[0], StringComparison.Ordinal);

        var deadline = DateTime.UtcNow + TestTimeout.Value;
        string[] lines;
        while (!(lines = File.ReadAllLines(file)).Any(l => l.Contains("\"GET /fd HTTP/1.1\"", StringComparison.Ordinal)))
        {
            Assert.True(DateTime.UtcNow < deadline, "nothing on fd 3: " + string.Join('\n', lines));
            await Task.Delay(50);
        }

        // `format short`: the level in angle brackets (info is 6), then the message.
        Assert.StartsWith("<6>127.0.0.1:", lines.Single(l => l.Contains("\"GET /fd HTTP/1.1\"", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    /// <summary>With `error-log-format`, a failed TLS handshake is logged in that format, as haproxy 2.6 renders a session without a stream.</summary>
    [Fact]
    public async Task FailedHandshakes_ErrorLogFormat_AsHAProxy()
    {
        using var certs = new TestCertificates();
        var site = certs.Server("site.pem", "example.test");
        string TlsConfig(int syslogPort, int port) => $$"""
            global
                log 127.0.0.1:{{Port(syslogPort)}} format raw local0
            defaults
                mode http
                log global
                option httplog
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{{Port(port)}} ssl crt {{site}} name tls1
                unique-id-format %ci
                capture request header Host len 10
                error-log-format "E %ci [%tr] %ft %f %b/%s %TR/%Tw/%Tc/%Tr/%Ta %Ti %Tq %ST %B %U %ts %tsc %{+Q}r %ID %ac/%fc/%bc/%sc/%rc %sq/%bq %CC %CS %hr %HM %{+Q}HU %HQ %fi %bi:%bp %si:%sp %[so_name] %[so_id] end"
                http-request return status 200
            """ + "\n";

        async Task<List<string>> RunAsync(SyslogListener syslog, int port)
        {
            await Task.Delay(300);
            var start = syslog.Lines.Lines.Count;
            var before = syslog.Lines.Lines.Count(l => l.StartsWith("E ", StringComparison.Ordinal));
            using (var marker = await TestClient.ConnectTcpAsync(port))
            {
                await marker.SendAsync("\u0016marker"u8.ToArray());
                await TestClient.ReadToEndAsync(marker);
            }

            // The readiness probes' connections, closed during their handshakes, were logged before `start`.
            await syslog.Lines.WaitForAsync(l => l.StartsWith("E ", StringComparison.Ordinal), before + 1);
            return [.. syslog.Lines.Lines.Skip(start).Where(l => l.StartsWith("E ", StringComparison.Ordinal))
                .Select(l => Regex.Replace(l, @"^E 127\.0\.0\.1 \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] ", "E 127.0.0.1 [DATE] "))];
        }

        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPort();
        await using var haproxy = await LogPeers.StartHAProxyAsync(TlsConfig(haproxyLog.Port, hPort), hPort);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(TlsConfig(sluiceLog.Port, sPort), [ReadyProbe.Tcp(sPort)]);
        var ours = await RunAsync(sluiceLog, sPort);

        Assert.Equal(reference, ours);
        Assert.Equal("E 127.0.0.1 [DATE] fe~ fe fe/<NOSRV> -1/-1/-1/-1/0 0 -1 0 0 0 PR PR-- \"<BADREQ>\" - 1/1/0/0/0 0/0 - - <BADREQ> \"<BADREQ>\" <BADREQ> 127.0.0.1 -:- -:- tls1 1 end", ours.Single());
    }

    /// <summary>Failed TLS handshakes reach the log targets as HAProxy sends them, `option dontlognull` dropping the empty ones.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("option dontlognull")]
    public async Task FailedHandshakes_LoggedAsHAProxy(string option)
    {
        using var certs = new TestCertificates();
        var site = certs.Server("site.pem", "example.test");
        string TlsConfig(int syslogPort, int port) => $$"""
            global
                log 127.0.0.1:{{Port(syslogPort)}} format raw local0
            defaults
                mode http
                log global
                option httplog
                {{option}}
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{{Port(port)}} ssl crt {{site}}
                http-request return status 200
            """ + "\n";

        static string Shape(string line) => Regex.Replace(line, @"^127\.0\.0\.1:\d+ \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\] ", "127.0.0.1:PORT [DATE] ");

        async Task<List<string>> RunAsync(SyslogListener syslog, int port)
        {
            // The readiness probes' own lines come first: they are left out.
            await Task.Delay(300);
            var start = syslog.Lines.Lines.Count;
            using (var plain = await TestClient.ConnectTcpAsync(port))
            {
                await plain.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
                await TestClient.ReadToEndAsync(plain);
            }

            using (var empty = await TestClient.ConnectTcpAsync(port))
            {
                await Task.Delay(100);
            }

            using (var marker = await TestClient.ConnectTcpAsync(port))
            {
                await marker.SendAsync("\u0016marker"u8.ToArray());
                await TestClient.ReadToEndAsync(marker);
            }

            await syslog.Lines.WaitForAsync(l => l.EndsWith("SSL handshake failure", StringComparison.Ordinal), 2);
            await Task.Delay(300);
            return [.. syslog.Lines.Lines.Skip(start).Select(Shape)];
        }

        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPort();
        await using var haproxy = await LogPeers.StartHAProxyAsync(TlsConfig(haproxyLog.Port, hPort), hPort);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(TlsConfig(sluiceLog.Port, sPort), [ReadyProbe.Tcp(sPort)]);
        var ours = await RunAsync(sluiceLog, sPort);

        // Connections are handled side by side: the lines are compared as sets of lines, not in order.
        Assert.True(reference.Order(StringComparer.Ordinal).SequenceEqual(ours.Order(StringComparer.Ordinal)), string.Join("\n", reference) + "\n---\n" + string.Join("\n", ours));
        Assert.Equal(2, ours.Count(l => l == "127.0.0.1:PORT [DATE] fe/1: SSL handshake failure"));
        Assert.Equal(option.Length == 0, ours.Contains("127.0.0.1:PORT [DATE] fe/1: Connection closed during SSL handshake"));
    }

    [Fact]
    public async Task UnixDatagram_LogTagAndHostname_Received()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        var directory = Ports.TempDirectory();
        var path = Path.Combine(directory, "log.sock");
        using var syslog = SyslogListener.Unix(path);
        var port = Ports.FreeListeningPort();
        var logLines = $"    log unix@{path} local0\n    log-send-hostname edge1\n    log-tag sluicetest";
        await using var sluice = await SluiceProcess.StartAsync(Config(logLines, port, backend.Address), [ReadyProbe.Tcp(port)]);

        await LogPeers.CurlAsync("http://127.0.0.1:" + Port(port) + "/one");
        var line = (await syslog.Lines.WaitForAsync(l => l.Contains("/one", StringComparison.Ordinal)))[0];
        Assert.Matches(@"^<134>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d edge1 sluicetest\[" + Port(sluice.ProcessId) + @"\]: 127\.0\.0\.1:\d+ \[", line);
        Assert.EndsWith("\"GET /one HTTP/1.1\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogFormat_CustomVariablesAndFlags_AsHAProxy()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        const string format = "log-format \"%{+Q}o %HM %HU %HP %HPO %HQ %HV %ST %b/%s %[capture.req.hdr(0)] %{-Q}[capture.req.hdr(0)] %{+E}[capture.req.hdr(1)] %[capture.res.hdr(0)] %{+X}cp%{-Q}ci %ts %U %f %{+Q}r %hrl %hsl %si:%sp %%\"";
        const string captures = "    capture request header x-test len 10\n    capture request header x-esc len 10\n    capture response header content-type len 5\n    " + format;

        async Task<string> RunAsync(SyslogListener syslog, int port)
        {
            await LogPeers.CurlAsync("-H", "x-test: a b", "-H", "x-esc: q\"u]", "http://127.0.0.1:" + Port(port) + "/one/two?a=1&b=2");
            var line = (await syslog.Lines.WaitForAsync(l => l.Contains("/one/two", StringComparison.Ordinal)))[0];
            // The client port in hex sits between two fields; the rest does not vary.
            return Regex.Replace(line, @" [0-9A-F]{4}127\.0\.0\.1 ", " PORT127.0.0.1 ");
        }

        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPort();
        await using var haproxy = await LogPeers.StartHAProxyAsync(
            Config($"    log 127.0.0.1:{Port(haproxyLog.Port)} format raw local0", hPort, backend.Address, captures), hPort);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(
            Config($"    log 127.0.0.1:{Port(sluiceLog.Port)} format raw local0", sPort, backend.Address, captures), [ReadyProbe.Tcp(sPort)]);
        var ours = await RunAsync(sluiceLog, sPort);

        Assert.Equal(reference, ours);
    }

    [Fact]
    public async Task TlsFrontend_TildeAndTlsVariables_AsHAProxy()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        using var certs = new TestCertificates();
        var site = certs.Server("site.pem", "example.test", rsa: true);
        string TlsConfig(int syslogPort, int port) => $$"""
            global
                log 127.0.0.1:{{Port(syslogPort)}} format raw local0
            defaults
                mode http
                log global
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{{Port(port)}} ssl crt {{site}} alpn h2,http/1.1
                log-format "%ft %b/%s %ST %{+Q}r %sslv %sslc"
                default_backend be
            backend be
                server s1 {{backend.Address}}
            """ + "\n";

        async Task<List<string>> RunAsync(SyslogListener syslog, int port)
        {
            foreach (var version in new[] { "--http1.1", "--http2" })
            {
                var result = await LogPeers.CurlAsync("-k", "--tlsv1.3", version, "--connect-to", "example.test:443:127.0.0.1:" + Port(port), "https://example.test/one");
                Assert.True(result.ExitCode == 0, result.StandardError);
            }

            return [.. await syslog.Lines.WaitForAsync(l => l.Contains("/one", StringComparison.Ordinal), 2)];
        }

        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPort();
        await using var haproxy = await LogPeers.StartHAProxyAsync(TlsConfig(haproxyLog.Port, hPort), hPort);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(TlsConfig(sluiceLog.Port, sPort), [ReadyProbe.Tcp(sPort)]);
        var ours = await RunAsync(sluiceLog, sPort);

        Assert.Equal(reference, ours);
        Assert.StartsWith("fe~ be/s1 200 \"GET /one HTTP/1.1\" TLSv1.3 TLS_", ours[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task LogAsap_StreamingResponse_LoggedAtHeadWithPlusCounters()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        using var syslog = SyslogListener.Udp();
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(
            Config($"    log 127.0.0.1:{Port(syslog.Port)} format raw local0", port, backend.Address, options: "option httplog\n    option logasap"), [ReadyProbe.Tcp(port)]);

        // The body comes in three parts 300 ms apart: the line must arrive before the body ends.
        var request = LogPeers.CurlAsync("http://127.0.0.1:" + Port(port) + "/stream");
        var line = (await syslog.Lines.WaitForAsync(l => l.Contains("/stream", StringComparison.Ordinal)))[0];
        Assert.False(request.IsCompleted, "the line came only after the whole response");
        Assert.Equal(0, (await request).ExitCode);

        Assert.Matches(@" \d+/\d+/\d+/\d+/\+\d+ 200 \+\d+ - - ---- ", line);
        Assert.EndsWith("\"GET /stream HTTP/1.1\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Levels_SeparateErrorsDontLogNormalAndSilent_AsHAProxy()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        const string frontend = "    http-request set-log-level silent if { path /quiet }\n    http-request deny if { path /deny }";

        // `short` shows the level alone: <6> info, <3> err. The second target takes only what is at least `err`.
        async Task<(List<string> All, List<string> Errors)> RunAsync(Func<string, Task<(int Port, IAsyncDisposable Process)>> start)
        {
            using var all = SyslogListener.Udp();
            using var errors = SyslogListener.Udp();
            var (port, process) = await start($"    log 127.0.0.1:{Port(all.Port)} format short local0\n    log 127.0.0.1:{Port(errors.Port)} format short local0 err");
            await using var _ = process;
            foreach (var path in new[] { "/one", "/quiet", "/deny", "/one?last" })
            {
                await LogPeers.CurlAsync("http://127.0.0.1:" + Port(port) + path);
            }

            var lines = await all.Lines.WaitForAsync(l => l.Contains("/one?last", StringComparison.Ordinal) || l.Contains("/deny", StringComparison.Ordinal), 2);
            await Task.Delay(200);
            static string Shape(string l) => Regex.Replace(l, @"^(<\d>).*(""[^""]*"")$", "$1 $2");
            return ([.. all.Lines.Lines.Where(l => !l.Contains("<BADREQ>", StringComparison.Ordinal)).Select(Shape)],
                [.. errors.Lines.Lines.Where(l => !l.Contains("<BADREQ>", StringComparison.Ordinal)).Select(Shape)]);
        }

        const string options = "option httplog\n    option log-separate-errors";
        var reference = await RunAsync(async logLines =>
        {
            var port = Ports.FreeListeningPort();
            return (port, await LogPeers.StartHAProxyAsync(Config(logLines, port, backend.Address, frontend, options), port));
        });
        var ours = await RunAsync(async logLines =>
        {
            var port = Ports.FreeListeningPort();
            return (port, await SluiceProcess.StartAsync(Config(logLines, port, backend.Address, frontend, options), [ReadyProbe.Tcp(port)]));
        });

        Assert.Equal(reference.All, ours.All);
        Assert.Equal(reference.Errors, ours.Errors);
        Assert.Equal(["<6> \"GET /one HTTP/1.1\"", "<3> \"GET /deny HTTP/1.1\"", "<6> \"GET /one?last HTTP/1.1\""], ours.All);
        Assert.Equal(["<3> \"GET /deny HTTP/1.1\""], ours.Errors);

        // `option dontlog-normal`: only the denial is left.
        using var normal = SyslogListener.Udp();
        var normalPort = Ports.FreeListeningPort();
        await using var quiet = await SluiceProcess.StartAsync(
            Config($"    log 127.0.0.1:{Port(normal.Port)} format raw local0", normalPort, backend.Address, frontend, "option httplog\n    option dontlog-normal"), [ReadyProbe.Tcp(normalPort)]);
        await LogPeers.CurlAsync("http://127.0.0.1:" + Port(normalPort) + "/one");
        await LogPeers.CurlAsync("http://127.0.0.1:" + Port(normalPort) + "/deny");
        await normal.Lines.WaitForAsync(l => l.Contains("/deny", StringComparison.Ordinal));
        await Task.Delay(200);
        Assert.DoesNotContain(normal.Lines.Lines, l => l.Contains("/one", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DeadAndDeafLogTargets_TrafficNotSlowed()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();
        var directory = Ports.TempDirectory();
        var deafPath = Path.Combine(directory, "deaf.sock");
        using var deaf = SyslogListener.Deaf(deafPath);
        using var counted = SyslogListener.Udp();
        var port = Ports.FreeListeningPort();
        var logLines = $"""
                log unix@{deafPath} local0
                log unix@{Path.Combine(directory, "absent.sock")} local0
                log 127.0.0.1:{Port(Ports.FreeListeningPort())} local0
                log 127.0.0.1:{Port(counted.Port)} format raw local0
            """;
        await using var sluice = await SluiceProcess.StartAsync(Config(logLines, port, backend.Address), [ReadyProbe.Tcp(port)]);

        // Far more lines than the deaf socket's queue holds (it fills after a few hundred datagrams): every
        // request still completes at once, and the target that listens still gets its lines.
        var urls = Enumerable.Repeat("http://127.0.0.1:" + Port(port) + "/one", 100).ToArray();
        var watch = Stopwatch.StartNew();
        for (var round = 0; round < 10; round++)
        {
            var result = await LogPeers.CurlAsync(urls);
            Assert.Equal(0, result.ExitCode);
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), watch.Elapsed.ToString());
        await counted.Lines.WaitForAsync(l => l.Contains("/one", StringComparison.Ordinal), 1000);
    }
}
