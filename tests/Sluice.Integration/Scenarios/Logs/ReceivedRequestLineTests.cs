using System.Globalization;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Logs;

/// <summary>
/// The request line in logs (`%r`, `%HM`, `%HU`, `%HP`, `%HQ`) and the `capture.req.*` fetches are the line as the
/// client sent it: `set-method`, `set-path` and `set-query` change what the server gets, not what is logged. The same
/// curl requests through haproxy 2.6 and Sluice give the same lines and the same echoed fetches.
/// </summary>
public sealed class ReceivedRequestLineTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Config(int syslogPort, int port, string backend) => $$"""
        global
            log 127.0.0.1:{{Port(syslogPort)}} format raw local0
        defaults
            mode http
            log global
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{{Port(port)}} proto h2
            bind 127.0.0.1:{{Port(port + 1)}}
            log-format "%{+Q}r %HM %HU %HP %HQ %HV %ST"
            http-request set-method PUT if { path_beg /m }
            http-request set-path /rewritten
            http-request set-query x=1
            http-response set-header x-captured "%[capture.req.method] %[capture.req.uri] %[capture.req.ver] %[capture.res.ver]"
            default_backend be
        backend be
            server s1 {{backend}}
        """ + "\n";

    private static async Task<List<string>> RunAsync(SyslogListener syslog, int port)
    {
        var headers = new List<string>();
        foreach (var (version, target) in new[] { ("--http1.1", Port(port + 1) + "/m/one?a=b"), ("--http2-prior-knowledge", Port(port) + "/two") })
        {
            var result = await LogPeers.CurlAsync("-s", "-D", "-", "-o", "/dev/null", version, "http://127.0.0.1:" + target);
            Assert.True(result.ExitCode == 0, result.StandardError);
            headers.Add(result.StandardOutput.Split('\n').Single(l => l.StartsWith("x-captured:", StringComparison.OrdinalIgnoreCase)).Trim());
        }

        var lines = await syslog.Lines.WaitForAsync(l => l.Contains("HTTP/", StringComparison.Ordinal), 2);
        return [.. headers, .. lines.Select(l => l.Replace(":" + Port(port) + "/", ":PORT/", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public async Task RewrittenRequests_LogAndCaptureTheReceivedLine_AsHAProxy()
    {
        await using var backend = await PythonPeer.StartLogBackendAsync();

        using var haproxyLog = SyslogListener.Udp();
        var hPort = Ports.FreeListeningPortRange(2);
        await using var haproxy = await LogPeers.StartHAProxyAsync(Config(haproxyLog.Port, hPort, backend.Address), hPort);
        var reference = await RunAsync(haproxyLog, hPort);

        using var sluiceLog = SyslogListener.Udp();
        var sPort = Ports.FreeListeningPortRange(2);
        await using var sluice = await SluiceProcess.StartAsync(Config(sluiceLog.Port, sPort, backend.Address), [ReadyProbe.Tcp(sPort + 1)]);
        var ours = await RunAsync(sluiceLog, sPort);

        Assert.True(reference.SequenceEqual(ours), string.Join("\n", reference) + "\n---\n" + string.Join("\n", ours));
        Assert.Contains("\"GET /m/one?a=b HTTP/1.1\" GET /m/one?a=b /m/one ?a=b HTTP/1.1 200", ours);
        Assert.Contains("\"GET http://127.0.0.1:PORT/two HTTP/2.0\" GET http://127.0.0.1:PORT/two http://127.0.0.1:PORT/two  HTTP/2.0 200", ours);
    }
}
