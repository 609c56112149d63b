using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Http;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>The rules written in the seeds, replayed with real clients: routing, denials, redirects, websocket validation.</summary>
public class SeedRulesTests
{
    private static CannedResponse Named(string name) => CannedResponse.Ok(name);

    private static string TwoBackends(int port, RecordingBackend main, RecordingBackend other, string frontend, string otherName = "other") =>
        Http.Config(port, $"server s1 {main.Address}", frontend: frontend,
            extra: $"backend {otherName}\n    server s2 {other.Address}\n");

    [Fact]
    public async Task Grpc_RoutedByContentType_OverHttp2()
    {
        await using var web = RecordingBackend.Start(_ => Named("web"));
        await using var grpc = RecordingBackend.Start(_ => Named("grpc"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(TwoBackends(port, web, grpc,
            "    acl isgrpc req.hdr(content-type) -m str \"application/grpc\"\n    use_backend grp_servers if isgrpc", "grp_servers"), port);

        var asGrpc = await Http.CurlAsync("--http2-prior-knowledge", "-H", "content-type: application/grpc", "-d", "x", Http.Url(port, "/svc/Method"));
        var plain = await Http.CurlAsync("--http2-prior-knowledge", "-H", "content-type: application/grpc+proto", Http.Url(port, "/svc/Method"));
        Assert.Equal("grpc", asGrpc.StandardOutput);
        Assert.Equal("web", plain.StandardOutput);
        Assert.Equal("/svc/Method", Assert.Single(grpc.Requests).Target);
    }

    [Fact]
    public async Task Grpc_RoutedByPath()
    {
        await using var codenames = RecordingBackend.Start(_ => Named("codenames"));
        await using var others = RecordingBackend.Start(_ => Named("others"));
        var port = Ports.FreeListeningPort();
        var config = Http.Config(port, "server s0 127.0.0.1:1", frontend: """
                acl is_codename_path path /CodenameCreator/KeepGettingCodenames
                acl is_otherservice_path path /AnotherService/SomeFunction
                use_backend be_codenameservers if is_codename_path
                use_backend be_otherservers if is_otherservice_path
            """,
            extra: $"backend be_codenameservers\n    server c {codenames.Address}\nbackend be_otherservers\n    server o {others.Address}\n");
        await using var sluice = await Http.StartAsync(config, port);

        Assert.Equal("codenames", (await Http.CurlAsync("--http2-prior-knowledge", Http.Url(port, "/CodenameCreator/KeepGettingCodenames"))).StandardOutput);
        Assert.Equal("others", (await Http.CurlAsync("--http2-prior-knowledge", Http.Url(port, "/AnotherService/SomeFunction"))).StandardOutput);
        var unmatched = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, "/AnotherService/Other"));
        Assert.Equal("503", unmatched.StandardOutput);
    }

    [Fact]
    public async Task Passphrase_DenyUnless_403WithoutIt_PassesWithIt()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            frontend: "    http-request deny unless { req.hdr(mysecretpassphrase) -m str \"abc123\" }"), port);

        var denied = await Http.CurlAsync("-i", Http.Url(port, "/"));
        Assert.StartsWith("HTTP/1.1 403 Forbidden", denied.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Request forbidden by administrative rules.", denied.StandardOutput, StringComparison.Ordinal);
        var wrong = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "-H", "mysecretpassphrase: abc1234", Http.Url(port, "/"));
        Assert.Equal("403", wrong.StandardOutput);
        var allowed = await Http.CurlAsync("--http2-prior-knowledge", "-H", "mysecretpassphrase: abc123", Http.Url(port, "/"));
        Assert.Equal("ok", allowed.StandardOutput);
        Assert.Equal("abc123", Assert.Single(backend.Requests).Header("mysecretpassphrase"));
    }

    [Fact]
    public async Task RedirectScheme_UnlessSslFc_302ToHttps()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1",
            frontend: "    http-request redirect scheme https unless { ssl_fc }"), port);

        var result = await Http.CurlAsync("-i", "-H", "Host: shop.example.com", Http.Url(port, "/cart?id=7"));
        Assert.StartsWith("HTTP/1.1 302 Found", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("location: https://shop.example.com/cart?id=7\r\n", result.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("cache-control: no-cache\r\n", result.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("content-length: 0\r\n", result.StandardOutput, StringComparison.OrdinalIgnoreCase);
    }

    private static string WebSocketConfig(int port, string web, string ws) => $$"""
        global
            maxconn 200
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
            timeout tunnel 30s
        frontend ft_web
            bind 127.0.0.1:{{port}}
            acl host_ws hdr_beg(Host) -i ws.
            use_backend bk_ws if host_ws
            acl hdr_connection_upgrade hdr(Connection)  -i upgrade
            acl hdr_upgrade_websocket  hdr(Upgrade)     -i websocket
            use_backend bk_ws if hdr_connection_upgrade hdr_upgrade_websocket
            default_backend bk_web
        backend bk_web
            server websrv1 {{web}}
        backend bk_ws
            acl hdr_connection_upgrade hdr(Connection)                 -i upgrade
            acl hdr_upgrade_websocket  hdr(Upgrade)                    -i websocket
            acl hdr_websocket_key      hdr_cnt(Sec-WebSocket-Key)      eq 1
            acl hdr_websocket_version  hdr_cnt(Sec-WebSocket-Version)  eq 1
            http-request deny if ! hdr_connection_upgrade ! hdr_upgrade_websocket ! hdr_websocket_key ! hdr_websocket_version
            acl ws_valid_protocol hdr(Sec-WebSocket-Protocol) echo-protocol
            http-request deny if ! ws_valid_protocol
            server websrv1 {{ws}}
        """;

    [Fact]
    public async Task WebSocket_RoutedByUpgradeHeaders_ValidProtocolPasses()
    {
        await using var web = RecordingBackend.Start(_ => Named("web"));
        await using var echo = await WebSocketEchoServer.StartAsync("echo-protocol");
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(WebSocketConfig(port, web.Address, echo.Address), port);

        var result = await WebSocketClient.RunAsync($"ws://127.0.0.1:{port}/chat", 20, new WebSocketClientOptions { Subprotocol = "echo-protocol" });
        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("web", (await Http.CurlAsync(Http.Url(port, "/page"))).StandardOutput);
        Assert.Single(web.Requests);
    }

    [Fact]
    public async Task WebSocket_WithoutValidProtocol_Denied403_NothingReachesTheServer()
    {
        await using var web = RecordingBackend.Start(_ => Named("web"));
        await using var echo = await WebSocketEchoServer.StartAsync("echo-protocol");
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(WebSocketConfig(port, web.Address, echo.Address), port);

        var result = await WebSocketClient.RunAsync($"ws://127.0.0.1:{port}/chat", 1);
        Assert.False(result.Succeeded);
        Assert.Contains("403", result.ToString(), StringComparison.Ordinal);

        // A request routed to bk_ws by its Host but without the upgrade is denied by the first validation rule.
        var plain = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: ws.domain.com", Http.Url(port, "/"));
        Assert.Equal("403", plain.StandardOutput);
        await Task.Delay(200);
        Assert.DoesNotContain(echo.Output.Lines, l => l.StartsWith("open ", StringComparison.Ordinal));
        Assert.Empty(web.Requests);
    }
}
