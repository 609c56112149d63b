using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;

namespace Sluice.Integration.Scenarios.Rules;

/// <summary>
/// `errorloc`, `errorloc302`, `errorloc303`: the error becomes a redirect with haproxy 2.6's status line, fields and
/// values. Sluice's replies keep the case of field names as configured and put `content-length` last, where haproxy
/// lower-cases them in its order: the fields are compared as a set of lower-cased lines.
/// </summary>
public class ErrorLocTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Config(int found, int seeOther, int legacy) => $"""
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend found
            bind 127.0.0.1:{Port(found)}
            errorloc302 403 http://example.test/denied
            http-request deny
        frontend seeother
            bind 127.0.0.1:{Port(seeOther)}
            errorloc303 403 /denied
            http-request deny
        frontend legacy
            bind 127.0.0.1:{Port(legacy)}
            errorloc 403 /a extra-word
            http-request deny
        """ + "\n";

    private static async Task<string[]> AskAsync(params int[] ports)
    {
        var answers = new List<string>();
        foreach (var port in ports)
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"u8.ToArray());
            var lines = (await TestClient.ReadToEndAsync(client)).Split("\r\n");
            var fields = lines[1..].Where(l => l.Length > 0 && !l.StartsWith("connection:", StringComparison.OrdinalIgnoreCase))
                .Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)].ToLowerInvariant() + l[l.IndexOf(':', StringComparison.Ordinal)..]).Order(StringComparer.Ordinal);
            answers.Add(lines[0] + "\n" + string.Join("\n", fields));
        }

        return [.. answers];
    }

    [Fact]
    public async Task ErrorLoc_DeniedRequest_RedirectAsHAProxy()
    {
        var (h1, h2, h3) = (Ports.FreeListeningPort(), Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var haproxy = await LogPeers.StartHAProxyAsync(Config(h1, h2, h3), h1);
        var reference = await AskAsync(h1, h2, h3);

        var (s1, s2, s3) = (Ports.FreeListeningPort(), Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync(Config(s1, s2, s3), [ReadyProbe.Tcp(s1)]);
        var ours = await AskAsync(s1, s2, s3);

        Assert.Equal(reference, ours);
        Assert.Equal("HTTP/1.1 303 See Other\ncache-control: no-cache\ncontent-length: 0\nlocation: /denied", ours[1]);
        Assert.Equal("HTTP/1.1 302 Found\ncache-control: no-cache\ncontent-length: 0\nlocation: /a", ours[2]);
    }
}
