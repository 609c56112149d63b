using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;

namespace Sluice.Integration.Scenarios.Rules;

/// <summary>
/// `http-request normalize-uri`: every normalizer on a set of awkward targets, sent as they are (no client
/// normalizes them first) to haproxy 2.6 and to Sluice with the same configuration; the targets the rules leave
/// must be the same, and the strict failures the same 400s.
/// </summary>
public class NormalizeUriTests
{
    private static readonly string[] Normalizers =
    [
        "path-merge-slashes", "path-strip-dot", "path-strip-dotdot", "path-strip-dotdot full", "percent-decode-unreserved",
        "percent-decode-unreserved strict", "percent-to-uppercase", "percent-to-uppercase strict", "query-sort-by-name",
    ];

    private static readonly string[] Targets =
    [
        "//a///b//?x//y", "/./a/./b/.", "/a/./?x=/./", "//./a", "/a/../b", "/../a", "/a/b/..", "/a/../../b", "/a/b/../../..",
        "/a/..b/../c", "/..?q=/../", "/a//../b", "/a/./../b", "/a/b/../", "/%41%62%2F%7e%7E%2e%20%5f%2D", "/%4", "/%zz%41",
        "/a?%41=%42", "/%2f%aB%zz", "/%4x", "/a?c=1&b=2&a=3&b=1", "/a?b&a&&c=", "/a?", "/a?b=2&a=1&ab=3&a=0",
        "http://h.example/a//b/../c?z&y",
    ];

    /// <summary>One backend per normalizer, chosen by the `n` header; each answers with the target it ends with.</summary>
    private static string Config(int port)
    {
        var config = new StringBuilder($$"""
            global
                expose-experimental-directives
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{{port.ToString(CultureInfo.InvariantCulture)}}
                use_backend %[req.hdr(n)]

            """);
        foreach (var normalizer in Normalizers)
        {
            config.Append(CultureInfo.InvariantCulture, $"backend {normalizer.Replace(' ', '_')}\n");
            config.Append(CultureInfo.InvariantCulture, $"    http-request normalize-uri {normalizer}\n");
            config.Append("    http-request return status 200 content-type text/plain lf-string \"%[url]\"\n");
        }

        return config.ToString();
    }

    /// <summary>The status and body of one raw request (the target exactly as written).</summary>
    private static async Task<string> AskAsync(int port, string normalizer, string target)
    {
        using var socket = await TestClient.ConnectTcpAsync(port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: x\r\nn: {normalizer}\r\nConnection: close\r\n\r\n"));
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        var text = Encoding.ASCII.GetString(received.ToArray());
        var status = text.Length > 12 ? text[9..12] : "none";
        return status == "200" ? $"{normalizer} {target} -> {text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]}" : $"{normalizer} {target} -> {status}";
    }

    private static async Task<List<string>> RunAsync(int port)
    {
        var answers = new List<string>();
        foreach (var normalizer in Normalizers)
        {
            foreach (var target in Targets)
            {
                answers.Add(await AskAsync(port, normalizer.Replace(' ', '_'), target));
            }
        }

        return answers;
    }

    [Fact]
    public async Task EveryNormalizer_SameTargetsAsHAProxy()
    {
        var hPort = Ports.FreeListeningPort();
        List<string> reference;
        await using (var haproxy = await LogPeers.StartHAProxyAsync(Config(hPort), hPort))
        {
            reference = await RunAsync(hPort);
        }

        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(sPort), [ReadyProbe.Tcp(sPort)]);
        var ours = await RunAsync(sPort);

        Assert.Equal(reference, ours);
        Assert.Contains("path-strip-dotdot_full /a/b/../../.. -> /", ours);
        Assert.Contains("path-strip-dotdot /a/b/../../.. -> /../", ours);
        Assert.Contains("percent-decode-unreserved_strict /%4 -> 400", ours);
        Assert.Contains("query-sort-by-name /a?b=2&a=1&ab=3&a=0 -> /a?a=1&a=0&ab=3&b=2", ours);
    }
}
