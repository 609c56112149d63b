using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// The server keyword `ws auto|h1|h2`: which protocol websocket streams take towards a server whose other requests
/// go in HTTP/2. Servers: nginx with TLS offering h2 and http/1.1 by ALPN (it has no RFC 8441 websockets) in front of
/// a python3-websockets echo server, and that echo server alone behind `proto h2`; clients: python3-websockets and
/// curl. Each case runs under haproxy 2.6, then Sluice: the same outcomes and the same requests at the server.
/// </summary>
public sealed class WebSocketProtocolTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static string Config(int port, string socket, string serverLine) => $"""
        global
            stats socket {socket} level admin
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
            timeout tunnel 10s
        frontend f
            bind 127.0.0.1:{port}
            default_backend b
        backend b
            {serverLine}
        """;

    private static async Task<string> WebSocketAsync(int port)
    {
        var result = await WebSocketClient.RunAsync($"ws://127.0.0.1:{port}/ws", 3, new WebSocketClientOptions { Timeout = TimeSpan.FromSeconds(10) });
        return "websocket " + (result.Succeeded && result.Output.Contains("ok 3", StringComparison.Ordinal) ? "echoed" : "failed");
    }

    /// <summary>
    /// With ALPN `h2,http/1.1`: `ws auto` (the default) and `ws h1` offer `http/1.1` alone for websockets, which nginx
    /// then upgrades; `ws h2` offers `h2` alone, and a server without RFC 8441 cannot take them. Plain requests stay
    /// in HTTP/2 throughout.
    /// </summary>
    [Theory]
    [InlineData("", "echoed")]
    [InlineData(" ws auto", "echoed")]
    [InlineData(" ws h1", "echoed")]
    [InlineData(" ws h2", "failed")]
    public async Task TlsServerOfferingBothByAlpn_WebSocketsTakeTheProtocolWsAsks_AsHAProxy(string ws, string expected)
    {
        var site = _certs.Server("backend.pem", "backend.test");
        await using var echo = await WebSocketEchoServer.StartAsync();
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions
        {
            ListenParameters = " ssl http2",
            ExtraServerDirectives = $$"""
                ssl_protocols TLSv1.2 TLSv1.3;
                ssl_certificate {{site}};
                ssl_certificate_key {{site}};
                location /ws {
                    proxy_pass http://{{echo.Address}};
                    proxy_http_version 1.1;
                    proxy_set_header Upgrade $http_upgrade;
                    proxy_set_header Connection "upgrade";
                }
                """,
        });
        var seenLines = 0;
        async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string> { await WebSocketAsync(port) };
            var small = await Http.Http.CurlAsync(Http.Http.Url(port, NginxBackend.SmallPath));
            seen.Add("small " + small.StandardOutput.Trim());
            await Task.Delay(200);
            // nginx's log lines of this run: method, path and protocol of each request that reached it.
            var lines = nginx.AccessLog;
            seen.AddRange(lines.Skip(seenLines).Select(l => string.Join(' ', l.Split(' ').Take(4))));
            seenLines = lines.Count;
            return seen;
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(
            (port, socket) => Config(port, socket, $"server s {nginx.Address} ssl verify none alpn h2,http/1.1{ws}"), RunAsync);

        Assert.Equal(["websocket " + expected, "small hello from nginx"], reference[..2]);
        Assert.Contains("GET /small HTTP/2.0 200", reference);
        Assert.Equal(expected == "echoed", reference.Contains("GET /ws HTTP/1.1 101"));
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `proto h2` towards a server that speaks HTTP/1.1 only: websockets reach it with `ws h1`, and fail without it
    /// (the HTTP/2 preface is not what it reads).
    /// </summary>
    [Theory]
    [InlineData("", "failed")]
    [InlineData(" ws h1", "echoed")]
    public async Task ProtoH2ServerSpeakingHttp1_WsH1CarriesWebSockets_AsHAProxy(string ws, string expected)
    {
        await using var echo = await WebSocketEchoServer.StartAsync();
        var (reference, ours) = await HaproxyOracle.CompareAsync(
            (port, socket) => Config(port, socket, $"server s {echo.Address} proto h2{ws}"),
            async (port, _) => new List<string> { await WebSocketAsync(port) });

        Assert.Equal(["websocket " + expected], reference);
        Assert.Equal(reference, ours);
    }
}
