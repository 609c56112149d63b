using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Persistence;

/// <summary>
/// RDP routing in mode tcp with FreeRDP's xfreerdp as the client: `balance rdp-cookie` on the user's `mstshash`
/// cookie, `persist rdp-cookie` on a broker's `msts` token, the `rdp_cookie` fetches and the `RDP_COOKIE` ACL. Each
/// scenario runs under haproxy 2.6, then Sluice, with fresh servers: the servers each connection reached must be the same.
/// </summary>
public class RdpCookieTests
{
    private const string Defaults = """
        defaults
            mode tcp
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        """;

    /// <summary>The proxy's first lines: the stats socket both proxies are awaited on, and a listener that waits for the cookie.</summary>
    private static string ListenFor(int port, string socket) => $"""
        global
            stats socket {socket} level admin
        {Defaults}
        listen rdp
            bind 127.0.0.1:{port}
            tcp-request inspect-delay 5s
            tcp-request content accept if RDP_COOKIE
        """;

    /// <summary>A broker's token for 127.0.0.1:PORT, as Windows writes it: the address and port bytes read little-endian.</summary>
    private static string BrokerToken(int port) => $"Cookie: msts=16777343.{((port & 0xff) << 8) | (port >> 8)}.0000";

    /// <summary>
    /// Starts three recording servers, the proxy on <paramref name="config"/>(port, socket, servers), and runs the
    /// clients; returns what the servers saw, one "server cookie" line per connection, in the clients' order.
    /// </summary>
    private static async Task<List<string>> RunAsync(bool underHaproxy, Func<int, string, string[], string> config, Func<RdpClient, int, Task> clients)
    {
        var recorder = new RdpCookieRecorder();
        await using var s1 = TestServer.Tcp(recorder.Server("s1"));
        await using var s2 = TestServer.Tcp(recorder.Server("s2"));
        await using var s3 = TestServer.Tcp(recorder.Server("s3"));
        string[] servers = [s1.Address, s2.Address, s3.Address];
        var (port, socket) = (Ports.FreeListeningPort(), Path.Combine(Ports.TempDirectory(), "p.sock"));
        await using var rdp = await RdpClient.StartAsync();
        if (underHaproxy)
        {
            await using var haproxy = await Stats.HaproxyOracle.StartAsync(config(port, socket, servers), socket);
            await clients(rdp, port);
        }
        else
        {
            await using var sluice = await SluiceProcess.StartAsync(config(port, socket, servers), []);
            await Stats.StatsPeers.WaitForUnixSocketAsync(socket);
            await clients(rdp, port);
        }

        return [.. recorder.Seen.Select(s => $"{s.Server} {s.Cookie}")];
    }

    private static async Task<(List<string> Reference, List<string> Ours)> CompareAsync(Func<int, string, string[], string> config, Func<RdpClient, int, Task> clients) =>
        (await RunAsync(underHaproxy: true, config, clients), await RunAsync(underHaproxy: false, config, clients));

    /// <summary>
    /// Thirty users, each twice (six clients at a time): the cookie's hash picks the server (map-based sdbm over the
    /// weights, as haproxy's), the same one each time.
    /// </summary>
    [Fact]
    public async Task BalanceRdpCookie_EachUserReachesTheServerHAProxyPicks()
    {
        var users = Enumerable.Range(0, 30).Select(i => $"user{i:00}").ToArray();
        var (reference, ours) = await CompareAsync((port, socket, servers) => $"""
            {ListenFor(port, socket)}
                balance rdp-cookie
                server s1 {servers[0]}
                server s2 {servers[1]} weight 20
                server s3 {servers[2]} weight 10
            """, async (rdp, port) =>
            {
                foreach (var batch in users.Concat(users).Chunk(6))
                {
                    await Task.WhenAll(batch.Select(user => rdp.ConnectAsync(port, user)));
                }
            });

        Assert.Equal(60, reference.Count);
        var byUser = reference.Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(30, byUser.Count);
        Assert.Equal(3, byUser.Select(line => line[..2]).Distinct().Count());
        Assert.Equal(byUser, ours.Distinct().Order(StringComparer.Ordinal));
        Assert.Equal(60, ours.Count);
    }

    /// <summary>
    /// `persist rdp-cookie`: a broker's token naming a server's address and port sends the connection there whatever
    /// the balancer would say; a token naming a server in maintenance, or no server, leaves it to the balancer.
    /// </summary>
    [Fact]
    public async Task PersistRdpCookie_BrokerTokenNamesTheServer()
    {
        var ports = new List<int>();
        var (reference, ours) = await CompareAsync((port, socket, servers) =>
            {
                ports.Clear();
                ports.AddRange(servers.Select(s => int.Parse(s[(s.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture)));
                return $"""
                    {ListenFor(port, socket)}
                        persist rdp-cookie
                        balance rdp-cookie
                        server s1 {servers[0]}
                        server s2 {servers[1]}
                        server s3 {servers[2]} disabled
                    """;
            }, async (rdp, port) =>
            {
                foreach (var i in (int[])[1, 0, 1, 0])
                {
                    await rdp.ConnectAsync(port, "bob", BrokerToken(ports[i]));
                }

                await rdp.ConnectAsync(port, "bob", BrokerToken(ports[2]));
                await rdp.ConnectAsync(port, "bob", BrokerToken(ports[2] == 65535 ? 1 : ports[2] + 1));
            });

        Assert.Equal(6, reference.Count);
        Assert.Equal(["s2", "s1", "s2", "s1"], reference[..4].Select(line => line[..2]));
        Assert.DoesNotContain(reference, line => line.StartsWith("s3", StringComparison.Ordinal));
        Assert.Equal(reference.Select(line => line[..2]), ours.Select(line => line[..2]));
    }

    /// <summary>
    /// The fetches in rules: `req.rdp_cookie(mstshash)` rejects one user before any server sees it, `rdp_cookie`
    /// routes administrators to their backend, `rdp_cookie()` (any cookie) catches brokered connections; a request
    /// sent in two pieces is held until the cookie line is whole.
    /// </summary>
    [Fact]
    public async Task Fetches_RouteAndRejectOnTheCookie_AsHAProxy()
    {
        var (reference, ours) = await CompareAsync((port, socket, servers) => $$"""
            global
                stats socket {{socket}} level admin
            {{Defaults}}
            frontend rdp
                bind 127.0.0.1:{{port}}
                tcp-request inspect-delay 5s
                tcp-request content reject if { req.rdp_cookie(mstshash) -m str mallory }
                tcp-request content accept if { req.rdp_cookie_cnt gt 0 }
                use_backend admins if { rdp_cookie(mstshash) -m beg admin }
                use_backend brokered if { rdp_cookie() -m beg 16777343. }
                default_backend users
            backend users
                server s1 {{servers[0]}}
            backend admins
                server s2 {{servers[1]}}
            backend brokered
                server s3 {{servers[2]}}
            """, async (rdp, port) =>
            {
                await rdp.ConnectAsync(port, "alice");
                await rdp.ConnectAsync(port, "mallory");
                await rdp.ConnectAsync(port, "admin7");
                await rdp.ConnectAsync(port, "carol", BrokerToken(3389));
                await SplitRequestAsync(port);
            });

        Assert.Equal(["s1 mstshash=alice", "s2 mstshash=admin7", "s3 msts=16777343.15629.0000", "s2 mstshash=admin-dave"], reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// A raw connection request for `admin-dave`, cut inside its cookie line: routed on the first piece it would go to
    /// `users`; the rules wait for the line to end and send it to `admins`.
    /// </summary>
    private static async Task SplitRequestAsync(int port)
    {
        var line = "Cookie: mstshash=admin-dave\r\n"u8.ToArray();
        byte[] request = [0x03, 0x00, 0x00, (byte)(11 + line.Length), (byte)(6 + line.Length), 0xe0, 0, 0, 0, 0, 0, .. line];
        using var client = await TestClient.ConnectTcpAsync(port);
        await client.SendAsync(request.AsMemory(0, 20));
        await Task.Delay(400);
        await client.SendAsync(request.AsMemory(20));
        await TestClient.ReadToEndAsync(client);
    }
}
