using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Http;
using Sluice.Integration.Scenarios.Logs;
using Sluice.TestKit.Processes;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// Websockets towards HTTP/2 servers (`server ... proto h2`): the upgrade leaves as an extended CONNECT (RFC 8441)
/// and the server's 200 opens the tunnel. Clients speak HTTP/1.1 (`Upgrade: websocket`, python3-websockets) or
/// HTTP/2 (extended CONNECT, python3-h2); the servers are haproxy 2.6 (`bind ... proto h2`, in front of a websocket
/// echo server) and a python-h2 server that reports what it received.
/// </summary>
public class Http2BackendWebSocketTests
{
    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>A websocket handshake with RFC 6455 §1.3's example key.</summary>
    private static string UpgradeRequest(string target, string upgrade = "websocket") =>
        $"GET {target} HTTP/1.1\r\nHost: chat.test\r\nConnection: Upgrade\r\nUpgrade: {upgrade}\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    [Fact]
    public async Task WebSocketsClient_HAProxyH2ServerBehind_MessagesEchoed()
    {
        await using var chain = await HAProxyServerChain.StartAsync();
        var result = await WebSocketClient.RunAsync($"ws://127.0.0.1:{P(chain.Port)}/chat", 5, new WebSocketClientOptions { MessageBytes = 3000 });
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("ok 5", result.Output, StringComparison.Ordinal);

        var handshake = Assert.Single(await chain.Echo.WaitForHandshakesAsync());
        Assert.Equal("/chat", handshake.Path);
        var closed = Assert.Single(await chain.Echo.WaitForClosedAsync());
        Assert.Equal((5, (int?)1000), closed);
    }

    [Fact]
    public async Task ExtendedConnectClient_HAProxyH2ServerBehind_MessagesEchoed()
    {
        await using var chain = await HAProxyServerChain.StartAsync();
        var script = Path.Combine(Ports.TempDirectory(), "client.py");
        await File.WriteAllTextAsync(script, Http2ExtendedConnectTests.ClientScript);
        var result = await CommandRunner.RunAsync(PythonPeers.Python, [script, P(chain.Port), "3"], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        Assert.Equal(
            ["enable_connect_protocol 1", "status 200 no-accept", "echo 1 hello 0 over h2", "echo 1 hello 1 over h2", "echo 1 hello 2 over h2", "close 8 1000"],
            result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var closed = Assert.Single(await chain.Echo.WaitForClosedAsync());
        Assert.Equal((3, (int?)1000), closed);
    }

    [Fact]
    public async Task Http1Upgrade_ReportingServer_ExtendedConnectOut_101WithTheKeysProofBack_TunnelBothWaysAndItsEnd()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync(extendedConnect: true);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(
            Proxy.Config(port, $"server s1 {server.Address} proto h2", defaults: "    timeout tunnel 30s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(UpgradeRequest("/chat?room=1", upgrade: "websocket, other"));
        var response = await client.ReadResponseAsync(forHead: true);
        Assert.NotNull(response);
        Assert.Equal(101, response.Status);
        Assert.Equal("websocket", response.Header("Upgrade"));
        Assert.True(response.ConnectionHas("upgrade"), response.Head);

        // RFC 6455 §1.3's example: the proof of this key, which the HTTP/2 server never gave.
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", response.Header("Sec-WebSocket-Accept"));
        Assert.Equal("open", response.Header("x-tunnel"));

        await server.Output.WaitForAsync(l => l.StartsWith("tunnel 1 ", StringComparison.Ordinal));
        await server.Output.WaitForAsync(l => l.StartsWith("field 1 sec-websocket-version", StringComparison.Ordinal));
        var fields = server.Output.Lines.Where(l => l.StartsWith("field 1 ", StringComparison.Ordinal)).Select(l => l["field 1 ".Length..]).ToList();
        Assert.Equal([":method: CONNECT", ":scheme: http", ":authority: chat.test", ":path: /chat?room=1", ":protocol: websocket"], fields[..5]);
        Assert.Contains("sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==", fields);
        Assert.DoesNotContain(fields, f => f.StartsWith("upgrade", StringComparison.Ordinal) || f.StartsWith("connection", StringComparison.Ordinal) || f.StartsWith("host", StringComparison.Ordinal));

        await client.SendAsync("raw bytes one way");
        Assert.Equal("raw bytes one way", await client.ReadTextAsync("raw bytes one way".Length));
        await client.SendAsync("and again");
        Assert.Equal("and again", await client.ReadTextAsync("and again".Length));

        // The client's FIN ends our side of the stream; the server ends its side, and the client's connection closes.
        client.Socket.Shutdown(SocketShutdown.Send);
        await server.Output.WaitForAsync(l => l == "tunnel-end 1 26");
        Assert.NotNull(await client.WaitClosedAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Http1Connect_ReportingServer_StreamStaysOpenForTheTunnel()
    {
        await using var server = await PythonPeer.StartH2ReportServerAsync(extendedConnect: true);
        var port = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(
            Proxy.Config(port, $"server s1 {server.Address} proto h2", defaults: "    timeout tunnel 30s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync("CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n");
        var response = await client.ReadResponseAsync(forHead: true);
        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        await server.Output.WaitForAsync(l => l == "field 1 :authority: example.test:443");
        Assert.DoesNotContain(server.Output.Lines, l => l.StartsWith("field 1 :path", StringComparison.Ordinal) || l.StartsWith("field 1 :protocol", StringComparison.Ordinal));

        await client.SendAsync("through the tunnel");
        Assert.Equal("through the tunnel", await client.ReadTextAsync("through the tunnel".Length));
        client.Socket.Shutdown(SocketShutdown.Send);
        await server.Output.WaitForAsync(l => l == "tunnel-end 1 18");
    }

    [Fact]
    public async Task ServerWithoutExtendedConnect_502WithoutRequest_AsHAProxy()
    {
        // The reporting server leaves SETTINGS_ENABLE_CONNECT_PROTOCOL out: no websocket may be asked of it (RFC 8441 §3).
        await using var server = await PythonPeer.StartH2ReportServerAsync();
        using var logs = SyslogListener.Udp();
        string Config(int port) => Proxy.Config(port, $"server s1 {server.Address} proto h2",
            frontend: $"    log 127.0.0.1:{P(logs.Port)} format raw local0\n    log-format \"%ST %ts %HM %HU\"");

        var port = Ports.FreeListeningPort();
        var haproxyPort = Ports.FreeListeningPort();
        await using var sluice = await Proxy.StartAsync(Config(port), port);
        await using var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort), haproxyPort);

        foreach (var target in new[] { port, haproxyPort })
        {
            using var client = await RawHttpConnection.ConnectAsync(target);
            await client.SendAsync(UpgradeRequest("/chat"));
            var response = await client.ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(502, response.Status);
        }

        var lines = await logs.Lines.WaitForAsync(l => l.StartsWith("502 ", StringComparison.Ordinal), 2);
        Assert.Equal(["502 SH GET /chat", "502 SH GET /chat"], lines.Where(l => l.StartsWith("502 ", StringComparison.Ordinal)));

        // Neither proxy asked it: the server saw connections and no request.
        Assert.DoesNotContain(server.Output.Lines, l => l.StartsWith("request ", StringComparison.Ordinal));

        // A plain request on the same server still goes.
        var plain = await Proxy.CurlAsync("-s", "-o", "/dev/null", "-w", "%{http_code}", Proxy.Url(port, "/plain"));
        Assert.Equal("200", plain.StandardOutput);
    }

    /// <summary>
    /// A websocket echo server behind haproxy as the HTTP/2 server (its h2 frontend accepts extended CONNECT and hands
    /// the websocket to the HTTP/1.1 echo server), behind Sluice on <see cref="Port"/> with `server ... proto h2`.
    /// </summary>
    private sealed record HAProxyServerChain(WebSocketEchoServer Echo, PeerProcess HAProxy, ISluiceInstance Sluice, int Port) : IAsyncDisposable
    {
        public static async Task<HAProxyServerChain> StartAsync()
        {
            var echo = await WebSocketEchoServer.StartAsync();
            var h2Port = Ports.FreeListeningPort();
            var haproxy = await HAProxyPeer.StartAsync($"""
                defaults
                    mode http
                    timeout connect 2s
                    timeout client 20s
                    timeout server 20s
                    timeout tunnel 20s
                frontend h2in
                    bind 127.0.0.1:{P(h2Port)} proto h2
                    default_backend ws
                backend ws
                    server echo {echo.Address}
                """, h2Port);
            var port = Ports.FreeListeningPort();
            var sluice = await Proxy.StartAsync(Proxy.Config(port, $"server s1 127.0.0.1:{P(h2Port)} proto h2", defaults: "    timeout tunnel 30s"), port);
            return new HAProxyServerChain(echo, haproxy, sluice, port);
        }

        public async ValueTask DisposeAsync()
        {
            await Sluice.DisposeAsync();
            await HAProxy.DisposeAsync();
            await Echo.DisposeAsync();
        }
    }
}
