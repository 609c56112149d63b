using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Balance;

/// <summary>
/// `balance roundrobin` is HAProxy's fast weighted round robin: the same configuration under haproxy 2.6 and then
/// Sluice gives the same sequence of servers, connection by connection, through weights, servers leaving and coming
/// back, weight changes at run time and backup servers taking over.
/// </summary>
public sealed class RoundRobinOracleTests
{
    [Fact]
    public async Task Sequence_ThroughStateAndWeightChanges_AsHAProxy()
    {
        var names = new[] { "a", "b", "c", "d", "e" };
        var servers = names.Select(n => TestServer.Tcp(TestServer.SayName(n))).ToArray();
        try
        {
            string Config(int port, string socket) => $"""
                {HaproxyOracle.Preamble(socket, "tcp")}
                listen app
                    bind 127.0.0.1:{port}
                    balance roundrobin
                    server a {servers[0].Address} weight 3
                    server b {servers[1].Address} weight 2
                    server c {servers[2].Address} weight 1
                    server d {servers[3].Address} backup
                    server e {servers[4].Address} backup weight 4
                """;

            async Task<List<string>> RunAsync(int port, string socket)
            {
                var steps = new List<string>();
                async Task ConnectAsync(int count)
                {
                    var sequence = new System.Text.StringBuilder();
                    for (var i = 0; i < count; i++)
                    {
                        using var client = await TestClient.ConnectTcpAsync(port);
                        sequence.Append(await TestClient.ReadToEndAsync(client));
                    }

                    steps.Add(sequence.ToString());
                }

                async Task CommandAsync(string command) => steps.Add(command + ": " + (await StatsPeers.UnixAsync(socket, command)).Trim());

                await ConnectAsync(13);
                await CommandAsync("disable server app/b");
                await ConnectAsync(7);
                await CommandAsync("set weight app/a 1");
                await ConnectAsync(5);
                await CommandAsync("enable server app/b");
                await ConnectAsync(11);
                await CommandAsync("set weight app/c 5");
                await ConnectAsync(9);
                await CommandAsync("set weight app/b 0");
                await ConnectAsync(6);
                await CommandAsync("disable server app/a");
                await CommandAsync("disable server app/c");
                await ConnectAsync(3);
                await CommandAsync("disable server app/d");
                await ConnectAsync(3);
                await CommandAsync("set weight app/b 2");
                await ConnectAsync(4);
                return steps;
            }

            var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);
            Assert.Equal("abacababacaba", reference[0]);
            Assert.True(reference.SequenceEqual(ours), "haproxy:\n" + string.Join("\n", reference) + "\nsluice:\n" + string.Join("\n", ours));
            Assert.Equal(reference, ours);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// `hash-type consistent` with requests that carry no key (`url_param` absent): HAProxy walks the ring from the
    /// point the last such request took; the same sequence through a server leaving and coming back. Requests with
    /// a key land on the same servers as with haproxy (`hash-type consistent` without `avalanche`).
    /// </summary>
    [Fact]
    public async Task ConsistentHash_KeylessRequests_WalkTheRing_AsHAProxy()
    {
        var names = new[] { "a", "b", "c" };
        var servers = names.Select(n => TestServer.Tcp(TestServer.HttpSayName(n))).ToArray();
        try
        {
            string Config(int port, string socket) => $"""
                {HaproxyOracle.Preamble(socket)}
                listen app
                    bind 127.0.0.1:{port}
                    balance url_param id
                    hash-type consistent
                    server a {servers[0].Address} weight 1
                    server b {servers[1].Address} weight 2
                    server c {servers[2].Address} weight 1
                """;

            async Task<List<string>> RunAsync(int port, string socket)
            {
                var steps = new List<string>();
                async Task RequestAsync(int count, string query = "")
                {
                    var sequence = new System.Text.StringBuilder();
                    for (var i = 0; i < count; i++)
                    {
                        sequence.Append((await Sluice.Integration.Scenarios.Http.Http.CurlAsync("-s", Sluice.Integration.Scenarios.Http.Http.Url(port, "/" + query))).StandardOutput);
                    }

                    steps.Add(sequence.ToString());
                }

                await RequestAsync(20);
                foreach (var id in new[] { "1", "2", "42", "abc", "hello", "7", "99", "x" })
                {
                    await RequestAsync(1, "?id=" + id);
                }

                await StatsPeers.UnixAsync(socket, "disable server app/b");
                await RequestAsync(10);
                await StatsPeers.UnixAsync(socket, "enable server app/b");
                await RequestAsync(12);
                return steps;
            }

            var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);
            Assert.Equal(20, reference[0].Length);
            Assert.Equal("c b b a b b a c", string.Join(' ', reference.Skip(1).Take(8)));
            Assert.True(reference.SequenceEqual(ours), "haproxy:\n" + string.Join("\n", reference) + "\nsluice:\n" + string.Join("\n", ours));
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }
}
