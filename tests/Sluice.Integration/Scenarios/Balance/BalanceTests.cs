using System.Net;
using System.Net.Sockets;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Balance;

public class BalanceTests
{
    private static string Config(int port, string balance, string servers) => $"""
        defaults
            mode tcp
            timeout connect 500ms
            timeout client 5s
            timeout server 5s
        listen app
            bind 127.0.0.1:{port}
            balance {balance}
        {servers}
        """;

    private static async Task<Dictionary<string, int>> CountNamesAsync(int port, int connections, IPAddress? from = null)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < connections; i++)
        {
            using var client = await TestClient.ConnectTcpAsync(port, from);
            var name = await TestClient.ReadToEndAsync(client);
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }

        return counts;
    }

    [Fact]
    public async Task RoundRobin_Weights31_Exactly30And10()
    {
        await using var a = TestServer.Tcp(TestServer.SayName("a"));
        await using var b = TestServer.Tcp(TestServer.SayName("b"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(
            Config(port, "roundrobin", $"    server a {a.Address} weight 3\n    server b {b.Address} weight 1"), ReadyProbe.Tcp(port));

        var counts = await CountNamesAsync(port, 40);
        Assert.Equal(30, counts.GetValueOrDefault("a"));
        Assert.Equal(10, counts.GetValueOrDefault("b"));
    }

    [Fact]
    public async Task StaticRr_Weights21_Exactly20And10()
    {
        await using var a = TestServer.Tcp(TestServer.SayName("a"));
        await using var b = TestServer.Tcp(TestServer.SayName("b"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(
            Config(port, "static-rr", $"    server a {a.Address} weight 2\n    server b {b.Address} weight 1"), ReadyProbe.Tcp(port));

        var counts = await CountNamesAsync(port, 30);
        Assert.Equal(20, counts.GetValueOrDefault("a"));
        Assert.Equal(10, counts.GetValueOrDefault("b"));
    }

    [Fact]
    public async Task LeastConn_HeldConnections_SpreadEvenly()
    {
        await using var a = TestServer.Tcp(TestServer.Echo);
        await using var b = TestServer.Tcp(TestServer.Echo);
        await using var c = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start(
            Config(port, "leastconn", $"    server a {a.Address}\n    server b {b.Address}\n    server c {c.Address}"));

        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < 9; i++)
            {
                var client = await TestClient.ConnectTcpAsync(port);
                held.Add(client);
                Assert.Equal("x", await TestClient.EchoRoundTripAsync(client, "x"));
            }

            Assert.Equal([3, 3, 3], new[] { a.Current, b.Current, c.Current });

            // Free two slots on a: the next two connections go there.
            held[0].Dispose();
            held[3].Dispose();
            await TestTimeout.WaitUntilAsync(() => a.Current == 1 && sluice.Host.Backends.Single().Servers[0].CurrentConnections == 1);
            for (var i = 0; i < 2; i++)
            {
                var client = await TestClient.ConnectTcpAsync(port);
                held.Add(client);
                Assert.Equal("y", await TestClient.EchoRoundTripAsync(client, "y"));
            }

            Assert.Equal(3, a.Current);
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task First_MaxConnPerServer_FillsServersInOrder()
    {
        await using var a = TestServer.Tcp(TestServer.Echo);
        await using var b = TestServer.Tcp(TestServer.Echo);
        await using var c = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start(
            Config(port, "first", $"    server a {a.Address} maxconn 2\n    server b {b.Address} maxconn 2\n    server c {c.Address} maxconn 2"));

        var held = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var client = await TestClient.ConnectTcpAsync(port);
                held.Add(client);
                Assert.Equal("x", await TestClient.EchoRoundTripAsync(client, "x"));
            }

            Assert.Equal([2, 1, 0], new[] { a.Current, b.Current, c.Current });
        }
        finally
        {
            held.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Source_SameClientAddress_SameServerEveryTime()
    {
        await using var a = TestServer.Tcp(TestServer.SayName("a"));
        await using var b = TestServer.Tcp(TestServer.SayName("b"));
        await using var c = TestServer.Tcp(TestServer.SayName("c"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(
            Config(port, "source", $"    server a {a.Address}\n    server b {b.Address}\n    server c {c.Address}"), ReadyProbe.Tcp(port));

        var used = new HashSet<string>();
        for (var host = 1; host <= 12; host++)
        {
            var counts = await CountNamesAsync(port, 4, IPAddress.Parse("127.0.0." + host));
            var only = Assert.Single(counts);
            Assert.Equal(4, only.Value);
            used.Add(only.Key);
        }

        // XOR of 127.0.0.N over a map of 3: N 1..12 reach every server.
        Assert.Equal(3, used.Count);
    }

    [Fact]
    public async Task Random_TwoServers_BothUsedRoughlyEvenly()
    {
        await using var a = TestServer.Tcp(TestServer.SayName("a"));
        await using var b = TestServer.Tcp(TestServer.SayName("b"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(
            Config(port, "random", $"    server a {a.Address}\n    server b {b.Address}"), ReadyProbe.Tcp(port));

        var counts = await CountNamesAsync(port, 200);
        Assert.InRange(counts.GetValueOrDefault("a"), 50, 150);
        Assert.InRange(counts.GetValueOrDefault("b"), 50, 150);
    }

    [Fact]
    public async Task Backup_ActiveServerDisabled_BackupServes()
    {
        await using var a = TestServer.Tcp(TestServer.SayName("a"));
        await using var b = TestServer.Tcp(TestServer.SayName("b"));
        await using var c = TestServer.Tcp(TestServer.SayName("c"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(
            Config(port, "roundrobin", $"    server a {a.Address} disabled\n    server b {b.Address} backup\n    server c {c.Address} backup"),
            ReadyProbe.Tcp(port));

        var counts = await CountNamesAsync(port, 10);
        Assert.Equal(10, counts.GetValueOrDefault("b"));
    }
}
