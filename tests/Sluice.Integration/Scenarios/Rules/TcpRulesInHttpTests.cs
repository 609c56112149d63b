using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// `tcp-request session`, `tcp-request content` (frontend and backend) and `tcp-response content` in mode http: the
/// same configuration under haproxy 2.6 and under Sluice, driven by curl; answers and log lines must be the same.
/// </summary>
public class TcpRulesInHttpTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The server is a frontend of the same file answering by itself, so each proxy brings its own.</summary>
    private static string Config(int syslog, int port, int deniedPort, int serverPort) => $$"""
        global
            log 127.0.0.1:{{Port(syslog)}} format raw local0
        defaults
            mode http
            log global
            option httplog
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{{Port(port)}}
            tcp-request session set-var(sess.client) src
            tcp-request content reject if { path /fe-reject }
            tcp-request content set-var(txn.path) path
            tcp-request content capture req.hdr(host) len 8
            http-request set-var-fmt(txn.fmt) %[method]@%[var(txn.path)]
            http-request return status 200 content-type text/plain lf-string "path=%[var(txn.path)] client=%[var(sess.client)] host=%[capture.req.hdr(0)] fmt=%[var(txn.fmt)]" if { path /show }
            use_backend be_nodelay if { path_beg /nodelay }
            default_backend be
        frontend denied
            bind 127.0.0.1:{{Port(deniedPort)}}
            tcp-request session reject if { src 127.0.0.0/8 }
            default_backend be
        backend be_nodelay
            tcp-response content reject if { status 404 }
            server s1 127.0.0.1:{{Port(serverPort)}}
        backend be
            tcp-response inspect-delay 2s
            tcp-request content reject if { path /be-reject }
            tcp-request content set-var-fmt(txn.be) %[be_name]:%[var(txn.path)]
            tcp-response content set-var(txn.status) status
            tcp-response content reject if { status 404 }
            tcp-response content close if { status 405 }
            http-response set-header x-status %[var(txn.status)]
            http-response set-header x-be %[var(txn.be)]
            server s1 127.0.0.1:{{Port(serverPort)}}
        frontend srv
            bind 127.0.0.1:{{Port(serverPort)}}
            http-request return status 404 if { path /nf } || { path /nodelay-nf }
            http-request return status 405 if { path /na }
            http-request return status 200 content-type text/plain string "ok"
        """ + "\n";

    private static readonly string[] Paths = ["/show", "/fe-reject", "/be-reject", "/ok", "/nf", "/na", "/nodelay-nf"];

    /// <summary>Each path once, then the refused frontend: curl's exit code, status and the headers set by rules.</summary>
    private static async Task<(List<string> Answers, List<string> Lines)> RunAsync(SyslogListener syslog, int port, int deniedPort)
    {
        var answers = new List<string>();
        foreach (var path in Paths)
        {
            var result = await Http.CurlAsync("-i", "-H", "Host: www.example.com", Http.Url(port, path));
            var kept = result.StandardOutput.Split("\r\n").Where(l => l.StartsWith("HTTP/", StringComparison.Ordinal)
                || l.StartsWith("x-", StringComparison.OrdinalIgnoreCase) || !l.Contains(':', StringComparison.Ordinal));
            answers.Add($"{path} exit={result.ExitCode} {string.Join('|', kept.Where(l => l.Length > 0))}");
        }

        // Closed at accept: whether curl's request was already in the socket (a reset, 56) or not (52) is a race.
        var refused = await Http.CurlAsync(Http.Url(deniedPort, "/"));
        answers.Add($"denied exit={(refused.ExitCode == 56 ? 52 : refused.ExitCode)}");
        var lines = await syslog.Lines.WaitForAsync(l => l.Contains("] fe ", StringComparison.Ordinal), Paths.Length);
        return (answers, [.. lines.Where(l => l.Contains("] fe ", StringComparison.Ordinal)).Select(LogPeers.NormalizeWithoutCounts)]);
    }

    [Fact]
    public async Task SessionContentAndResponseRules_SameAnswersAndLinesAsHAProxy()
    {
        using var haproxyLog = SyslogListener.Udp();
        var (hPort, hDenied, hServer) = (Ports.FreeListeningPort(), Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var haproxy = await LogPeers.StartHAProxyAsync(Config(haproxyLog.Port, hPort, hDenied, hServer), hServer);
        var reference = await RunAsync(haproxyLog, hPort, hDenied);

        using var sluiceLog = SyslogListener.Udp();
        var (sPort, sDenied, sServer) = (Ports.FreeListeningPort(), Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync(Config(sluiceLog.Port, sPort, sDenied, sServer), [ReadyProbe.Tcp(sServer)]);
        var ours = await RunAsync(sluiceLog, sPort, sDenied);

        Assert.Equal(reference.Answers, ours.Answers);
        Assert.Equal(reference.Lines, ours.Lines);

        // What the rules did, spelled out so that a change on both sides still shows.
        Assert.Equal("/show exit=0 HTTP/1.1 200 OK|path=/show client=127.0.0.1 host=www.exam fmt=GET@/show", ours.Answers[0]);
        Assert.Equal("/fe-reject exit=52 ", ours.Answers[1]);
        Assert.Equal("/be-reject exit=52 ", ours.Answers[2]);
        Assert.Equal("/ok exit=0 HTTP/1.1 200 OK|x-status: 200|x-be: be:/ok|ok", ours.Answers[3]);
        Assert.Equal("/nf exit=52 ", ours.Answers[4]);
        Assert.Equal("/na exit=0 HTTP/1.1 405 Method Not Allowed|x-status: 405|x-be: be:/na", ours.Answers[5]);
        // Without `tcp-response inspect-delay` the rules ran before the response came: the 404 is not refused.
        Assert.Equal("/nodelay-nf exit=0 HTTP/1.1 404 Not Found", ours.Answers[6]);
        Assert.Equal("denied exit=52", ours.Answers[7]);
        Assert.Contains(ours.Lines, l => l.Contains(" PR-- ", StringComparison.Ordinal) && l.EndsWith("\"<BADREQ>\"", StringComparison.Ordinal));
        Assert.Contains(ours.Lines, l => l.Contains(" 404 ", StringComparison.Ordinal) && l.Contains(" PD-- ", StringComparison.Ordinal));
    }
}
