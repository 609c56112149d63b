using System.Globalization;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Logs;

/// <summary>
/// `unique-id-format`, `unique-id-header`, the `unique-id` fetch and `%ID`; `capture cookie` with `%CC`/`%CS`
/// in a log-format and in httplog's layout. The same configuration and traffic go through haproxy and Sluice.
/// </summary>
public class UniqueIdTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Config(int syslog, int idPort, int httplogPort, string backend) => $$"""
        global
            log 127.0.0.1:{{Port(syslog)}} format raw local0
        defaults
            mode http
            log global
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend ids
            bind 127.0.0.1:{{Port(idPort)}}
            unique-id-format %{+X}o\ %fi_%[req.hdr(x-tag)]_%rt
            unique-id-header X-Unique-ID
            capture cookie SESS len 10
            log-format "{%ID} %CC %CS %{+Q}r"
            http-request set-header X-Seen %[unique-id]
            default_backend be
        frontend plain
            bind 127.0.0.1:{{Port(httplogPort)}}
            option httplog
            capture cookie SESS= len 32
            http-request deny if { path /deny }
            default_backend be
        backend be
            server s1 {{backend}}
        """ + "\n";

    private static readonly string[][] Requests =
    [
        ["-H", "X-Tag: one", "-H", "Cookie: a=b; SESS=client-value; c=d", "/setcookie"],
        ["-H", "X-Tag: two", "-H", "Cookie: X=1, SESSX = y ; c=d", "/x"],
        ["-H", "X-Tag: three", "/x"],
        ["-H", "Cookie: SESS", "-H", "Cookie: SESSION=abc", "/deny"],
    ];

    private static async Task<List<string>> RunAsync(SyslogListener syslog, int idPort, int httplogPort)
    {
        var sent = 0;
        foreach (var port in new[] { idPort, httplogPort })
        {
            foreach (var request in Requests)
            {
                var result = await LogPeers.CurlAsync([.. request[..^1], "http://127.0.0.1:" + Port(port) + request[^1]]);
                Assert.Equal(0, result.ExitCode);
                sent++;
                await syslog.Lines.WaitForAsync(l => !l.Contains("<BADREQ>", StringComparison.Ordinal), sent);
            }
        }

        return [.. syslog.Lines.Lines.Where(l => !l.Contains("<BADREQ>", StringComparison.Ordinal))];
    }

    private static bool IsExtraField(string line) => line.StartsWith("field x-", StringComparison.OrdinalIgnoreCase);

    [Fact]
    public async Task UniqueIdAndCapturedCookies_SameTrafficThroughHAProxy_SameLines()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();

        using var haproxyLog = SyslogListener.Udp();
        var (hIds, hPlain) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var haproxy = await LogPeers.StartHAProxyAsync(Config(haproxyLog.Port, hIds, hPlain, backend.Address), hIds);
        var reference = await RunAsync(haproxyLog, hIds, hPlain);
        var haproxyFieldCount = backend.Output.Lines.Count(IsExtraField);

        using var sluiceLog = SyslogListener.Udp();
        var (sIds, sPlain) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync(Config(sluiceLog.Port, sIds, sPlain, backend.Address), [ReadyProbe.Tcp(sIds)]);
        var ours = await RunAsync(sluiceLog, sIds, sPlain);

        // The request counter in the ID depends on the readiness probes each process saw.
        static string Normalize(string line) => LogPeers.Normalize(Regex.Replace(line, @"^\{(7F000001_\w*_)[0-9A-F]{4}\}", "{$1RT}"));
        Assert.Equal(string.Join("\n", reference.Select(Normalize)), string.Join("\n", ours.Select(Normalize)));
        Assert.Equal("{7F000001_one_RT} SESS=clien SESS=serve \"GET /setcookie HTTP/1.1\"", Normalize(ours[0]));
        Assert.Equal("{7F000001_two_RT} SESSX=y - \"GET /x HTTP/1.1\"", Normalize(ours[1]));
        Assert.Contains(" 403 192 - - PR-- ", ours[^1], StringComparison.Ordinal);
        Assert.Contains(" 200 111 SESS=client-value SESS=server-value ---- ", ours[Requests.Length], StringComparison.Ordinal);

        // The server saw the ID of the log line in the header and through the fetch (the rule's field comes first,
        // as in HAProxy), and the same fields as haproxy's.
        var ids = ours.Take(Requests.Length).Select(l => l[1..l.IndexOf('}', StringComparison.Ordinal)]).ToList();
        var fields = backend.Output.Lines.Where(IsExtraField).ToList();
        var ourFields = fields.Skip(haproxyFieldCount).ToList();
        Assert.Equal(
            ids.SelectMany(id => new[] { "field x-seen: " + id, "field x-unique-id: " + id }),
            ourFields.Where(f => f.StartsWith("field x-seen", StringComparison.Ordinal) || f.StartsWith("field x-unique-id", StringComparison.Ordinal)));
        // Sluice keeps the case of the client's field names, haproxy lower-cases them.
        static string WithoutCounter(string field) => Regex.Replace(field, "_[0-9A-F]{4}$", "_RT").ToLowerInvariant();
        Assert.Equal(fields.Take(haproxyFieldCount).Select(WithoutCounter), ourFields.Select(WithoutCounter));
    }
}
