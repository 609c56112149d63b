using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;

namespace Sluice.Integration.Scenarios.Rules;

/// <summary>`http-request early-hint`: the 103 responses, byte for byte as haproxy 2.6 sends them, and curl reading them over HTTP/2.</summary>
public class EarlyHintTests
{
    private static string Config(int port) => $"""
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
            http-request early-hint Link "</style.css>; rel=preload; as=style"
            http-request early-hint Link "</script.js>; rel=preload; as=script"
            http-request early-hint X-Path %[path] if {"{"} path /cond {"}"}
            http-request return status 200 content-type text/plain string ok
        """ + "\n";

    /// <summary>What comes before the final response: the 103s of an HTTP/1.1 request, nothing for HTTP/1.0.</summary>
    private static async Task<(string Http11, string Http10)> InterimAsync(int port)
    {
        async Task<string> AskAsync(string request)
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(request));
            var answer = await TestClient.ReadToEndAsync(client);
            var final = answer.IndexOf("HTTP/1.1 200", StringComparison.Ordinal);
            Assert.True(final >= 0, answer);
            return answer[..final];
        }

        return (await AskAsync("GET /cond HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), await AskAsync("GET /cond HTTP/1.0\r\n\r\n"));
    }

    [Fact]
    public async Task EarlyHint_ConsecutiveRulesOneResponse_SameBytesAsHAProxy()
    {
        var hPort = Ports.FreeListeningPort();
        await using var haproxy = await LogPeers.StartHAProxyAsync(Config(hPort), hPort);
        var reference = await InterimAsync(hPort);

        var sPort = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(sPort), [ReadyProbe.Tcp(sPort)]);
        var ours = await InterimAsync(sPort);

        Assert.Equal(reference, ours);
        Assert.Equal(
            "HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload; as=style\r\nlink: </script.js>; rel=preload; as=script\r\n\r\n"
            + "HTTP/1.1 103 Early Hints\r\nx-path: /cond\r\n\r\n", ours.Http11);
        Assert.Equal("", ours.Http10);

        var h2 = await Http.Http.CurlAsync("-sv", "--http2-prior-knowledge", "-o", "/dev/null", "http://127.0.0.1:" + sPort.ToString(CultureInfo.InvariantCulture) + "/cond");
        Assert.Equal(0, h2.ExitCode);
        Assert.Equal(2, h2.StandardError.Split('\n').Count(l => l.StartsWith("< HTTP/2 103", StringComparison.Ordinal)));
        Assert.Contains("< link: </script.js>; rel=preload; as=script", h2.StandardError, StringComparison.Ordinal);
    }
}
