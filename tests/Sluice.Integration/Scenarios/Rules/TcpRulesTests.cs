using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>`tcp-request connection|content` rules and `use_backend` in mode tcp: SNI routing without terminating TLS.</summary>
public class TcpRulesTests
{
    /// <summary>A server that keeps the first bytes of each connection it gets, then closes.</summary>
    private sealed class FirstBytes
    {
        public ConcurrentQueue<byte[]> Received { get; } = new();

        public async Task Handle(Socket socket)
        {
            var buffer = new byte[16384];
            var read = 0;
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }

            Received.Enqueue(buffer[..read]);
            socket.Close();
        }
    }

    private static string SniConfig(int port, string alpha, string other) => $"""
        defaults
            mode tcp
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        frontend tls_in
            bind 127.0.0.1:{port}
            tcp-request inspect-delay 5s
            tcp-request content accept if {"{"} req.ssl_hello_type 1 {"}"}
            tcp-request content reject
            use_backend be_alpha if {"{"} req.ssl_sni -i alpha.example {"}"}
            default_backend be_other
        backend be_alpha
            server a {alpha}
        backend be_other
            server o {other}
        """;

    [Fact]
    public async Task SniRouting_CurlClientHello_GoesToTheBackendOfItsName()
    {
        var alpha = new FirstBytes();
        var other = new FirstBytes();
        await using var alphaServer = TestServer.Tcp(alpha.Handle);
        await using var otherServer = TestServer.Tcp(other.Handle);
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(SniConfig(port, alphaServer.Address, otherServer.Address), ReadyProbe.Tcp(port));

        // The servers are not TLS servers, so the handshakes fail; what matters is where the hello went.
        await Http.CurlAsync("-k", "--max-time", "5", "--resolve", $"ALPHA.example:{port}:127.0.0.1", $"https://ALPHA.example:{port}/");
        await Http.CurlAsync("-k", "--max-time", "5", "--resolve", $"beta.example:{port}:127.0.0.1", $"https://beta.example:{port}/");
        await WaitUntil(() => alpha.Received.Count + other.Received.Count >= 2);

        var toAlpha = Assert.Single(alpha.Received);
        var toOther = Assert.Single(other.Received);
        Assert.Equal(0x16, toAlpha[0]);
        Assert.Contains("alpha.example", System.Text.Encoding.ASCII.GetString(toAlpha), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("beta.example", System.Text.Encoding.ASCII.GetString(toOther), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContentReject_PlainTextClient_ClosedAndNothingForwarded()
    {
        var alpha = new FirstBytes();
        var other = new FirstBytes();
        await using var alphaServer = TestServer.Tcp(alpha.Handle);
        await using var otherServer = TestServer.Tcp(other.Handle);
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(SniConfig(port, alphaServer.Address, otherServer.Address), ReadyProbe.Tcp(port));

        using var client = await TestClient.ConnectTcpAsync(port);
        await client.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        var answer = await TestClient.ReadToEndAsync(client);
        Assert.Equal(string.Empty, answer);
        await Task.Delay(200);
        Assert.Empty(alpha.Received);
        Assert.Empty(other.Received);
    }

    [Fact]
    public async Task InspectDelay_ClientSendsNothing_RulesDecideWhenItEnds()
    {
        var other = new FirstBytes();
        await using var otherServer = TestServer.Tcp(other.Handle);
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($"""
            defaults
                mode tcp
                timeout connect 2s
                timeout client 5s
                timeout server 5s
            listen quiet
                bind 127.0.0.1:{port}
                tcp-request inspect-delay 600ms
                tcp-request content reject if {"{"} req.len gt 0 {"}"} ! {"{"} req.ssl_hello_type 1 {"}"}
                server o {otherServer.Address}
            """, ReadyProbe.Tcp(port));

        // A server-speaks-first protocol: the client waits; after the delay its connection goes through.
        // The readiness probe's connection goes through the same delay first: count from after it.
        await Task.Delay(900);
        var before = other.Received.Count;
        using var client = await TestClient.ConnectTcpAsync(port);
        var started = DateTime.UtcNow;
        await WaitUntil(() => other.Received.Count > before);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(5));
        Assert.Empty(other.Received.Last());
    }

    /// <summary>
    /// `tcp-request content` rules with their `tcp-request inspect-delay`, in the frontend or in a mode tcp backend of
    /// its own: a client whose first bytes say QUIT is closed before any server sees it; one that sends its four bytes
    /// in two pieces is held until they are in (`req.len` and `req.payload` wait while more may come), then goes
    /// through. haproxy 2.6 first, then Sluice.
    /// </summary>
    [Theory]
    [InlineData("frontend")]
    [InlineData("backend")]
    public async Task ContentRules_WaitForTheBytesTheyTest_InFrontendOrBackend_AsHAProxy(string where)
    {
        const string rules = """
                tcp-request inspect-delay 3s
                tcp-request content reject if { req.payload(0,4) -m str QUIT }
                tcp-request content accept if { req.len ge 4 }
            """;
        string Config(int port, string socket, string server) => $"""
            {Stats.HaproxyOracle.Preamble(socket, "tcp")}
            frontend f
                bind 127.0.0.1:{port}
            {(where == "frontend" ? rules : string.Empty)}
                default_backend b
            backend b
            {(where == "backend" ? rules : string.Empty)}
                server s {server}
            """;

        static async Task<List<string>> RunAsync(int port, TestServer echo)
        {
            var seen = new List<string>();
            using (var quit = await TestClient.ConnectTcpAsync(port))
            {
                await quit.SendAsync("QUIT\r\n"u8.ToArray());
                seen.Add("quit [" + await TestClient.ReadToEndAsync(quit) + "]");
            }

            using (var split = await TestClient.ConnectTcpAsync(port))
            {
                await split.SendAsync("HE"u8.ToArray());
                await Task.Delay(300);
                seen.Add("servers after HE: " + echo.Total);
                await split.SendAsync("LO"u8.ToArray());
                seen.Add("split [" + await TestClient.ReadExactlyAsync(split, 4) + "]");
            }

            seen.Add("servers: " + echo.Total);
            return seen;
        }

        List<string> reference;
        await using (var echo = TestServer.Tcp(TestServer.Echo))
        {
            var (port, socket) = (Ports.FreeListeningPort(), Path.Combine(Ports.TempDirectory(), "h.sock"));
            await using var haproxy = await Stats.HaproxyOracle.StartAsync(Config(port, socket, echo.Address), socket);
            reference = await RunAsync(port, echo);
        }

        await using (var echo = TestServer.Tcp(TestServer.Echo))
        {
            var (port, socket) = (Ports.FreeListeningPort(), Path.Combine(Ports.TempDirectory(), "s.sock"));
            await using var sluice = await SluiceProcess.StartAsync(Config(port, socket, echo.Address), []);
            await Stats.StatsPeers.WaitForUnixSocketAsync(socket);
            var ours = await RunAsync(port, echo);

            Assert.Equal(["quit []", "servers after HE: 0", "split [HELO]", "servers: 1"], reference);
            Assert.Equal(reference, ours);
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("http")]
    public async Task ConnectionReject_BySourceAddress(string mode)
    {
        await using var server = TestServer.Tcp(mode == "tcp" ? TestServer.SayName("served") : TestServer.HttpHello);
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($"""
            defaults
                mode {mode}
                timeout connect 2s
                timeout client 5s
                timeout server 5s
            listen app
                bind 127.0.0.1:{port}
                acl blocked src 127.0.0.2
                tcp-request connection reject if blocked
                server s {server.Address}
            """, ReadyProbe.Tcp(port));

        // The readiness probe's own connection may have reached the server: count from here.
        await Task.Delay(300);
        var before = server.Total;
        // The refused connection is reset, as haproxy resets it: the reset may already be there when connect returns.
        Socket? refused = null;
        try
        {
            refused = await TestClient.ConnectTcpAsync(port, IPAddress.Parse("127.0.0.2"));
        }
        catch (SocketException)
        {
        }

        using (refused)
        {
            if (refused is not null)
            {
                if (mode == "http")
                {
                    await SendQuietly(refused, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray());
                }

                Assert.Equal(string.Empty, await TestClient.ReadToEndQuietlyAsync(refused));
            }
        }

        await Task.Delay(200);
        Assert.Equal(before, server.Total);

        using var allowed = await TestClient.ConnectTcpAsync(port, IPAddress.Loopback);
        if (mode == "http")
        {
            await allowed.SendAsync("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"u8.ToArray());
            Assert.StartsWith("HTTP/1.1 200", await TestClient.ReadToEndAsync(allowed), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal("served", await TestClient.ReadToEndAsync(allowed));
        }
    }

    /// <summary>
    /// `set-src` in `tcp-request session` (or `connection`) rules and `set-src-port`/`set-dst-port` in content rules
    /// of a mode tcp frontend: the tunnel's addresses from then on, as the PROXY header sent to the server shows them
    /// (the echo server sends it back with the data). haproxy 2.6 first, then Sluice.
    /// </summary>
    [Theory]
    [InlineData("session")]
    [InlineData("connection")]
    public async Task SetSrc_SessionOrConnectionAndContentRules_ModeTcp_ProxyHeaderShowsThem_AsHAProxy(string rules)
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        string Config(int port, string socket) => $$"""
            {{Stats.HaproxyOracle.Preamble(socket, "tcp")}}
            frontend f
                bind 127.0.0.1:{{port}}
                tcp-request inspect-delay 2s
                tcp-request {{rules}} set-src ipv4(10.1.2.3)
                tcp-request content set-src-port int(4242) if { req.len ge 5 }
                tcp-request content set-dst-port int(8080) if { req.len ge 5 }
                tcp-request content accept if { req.len ge 5 }
                default_backend b
            backend b
                server s {{echo.Address}} send-proxy
            """;

        static async Task<string> RunAsync(int port, string socket)
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            await client.SendAsync("hello"u8.ToArray());
            client.Shutdown(SocketShutdown.Send);
            return await TestClient.ReadToEndAsync(client);
        }

        var (reference, ours) = await Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("PROXY TCP4 10.1.2.3 127.0.0.1 4242 8080\r\nhello", reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `use-server` in mode tcp on the inspected bytes, with a plain name and a log-format one: servers of weight 0
    /// take what the rules send them; a rendered name that names no server, or no rule, leaves it to the balancer.
    /// </summary>
    [Fact]
    public async Task UseServer_ModeTcp_OnTheClientBytes_AsHAProxy()
    {
        await using var s1 = TestServer.Tcp(TestServer.SayName("s1"));
        await using var s2 = TestServer.Tcp(TestServer.SayName("s2"));
        await using var s3 = TestServer.Tcp(TestServer.SayName("s3"));
        string Config(int port, string socket) => $$"""
            {{Stats.HaproxyOracle.Preamble(socket, "tcp")}}
            listen l
                bind 127.0.0.1:{{port}}
                tcp-request inspect-delay 2s
                tcp-request content accept if { req.len ge 3 }
                use-server s2 if { req.payload(0,3) -m str two }
                use-server s%[req.payload(0,1)] if { req.payload(0,1) -m reg [0-9] }
                server s1 {{s1.Address}}
                server s2 {{s2.Address}} weight 0
                server s3 {{s3.Address}} weight 0
            """;

        static async Task<string> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            foreach (var first in (string[])["two", "3xx", "abc", "9zz", "2yy"])
            {
                using var client = await TestClient.ConnectTcpAsync(port);
                await client.SendAsync(System.Text.Encoding.ASCII.GetBytes(first));
                client.Shutdown(SocketShutdown.Send);
                seen.Add(await TestClient.ReadToEndAsync(client));
            }

            return string.Join(' ', seen);
        }

        var (reference, ours) = await Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("s2 s3 s1 s1 s2", reference);
        Assert.Equal(reference, ours);
    }

    private static async Task SendQuietly(Socket socket, byte[] data)
    {
        try
        {
            await socket.SendAsync(data);
        }
        catch (SocketException)
        {
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), "condition not reached in 10 s");
    }
}
