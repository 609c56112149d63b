using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Balance;

/// <summary>
/// `hash-balance-factor` (bounded-load consistent hashing) under haproxy 2.6 and Sluice: clients that all hash to
/// the same server stay connected one after the other, and each next one goes where the bound sends it; the
/// sequence of servers must be the same, for equal and unequal weights.
/// </summary>
public sealed class BoundedLoadTests
{
    [Theory]
    [InlineData(150, new[] { 1, 1 }, 8)]
    [InlineData(125, new[] { 2, 1, 1 }, 12)]
    public async Task HeldConnections_GoWhereTheBoundSendsThem_AsHAProxy(int factor, int[] weights, int clients)
    {
        var names = weights.Select((_, i) => ((char)('a' + i)).ToString()).ToArray();
        var servers = names.Select(n => TestServer.Tcp(async socket =>
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes(n));
            await TestServer.DrainAsync(socket);
        })).ToArray();
        try
        {
            string Config(int port, string socket) => $"""
                {HaproxyOracle.Preamble(socket, "tcp")}
                listen app
                    bind 127.0.0.1:{port}
                    balance source
                    hash-type consistent
                    hash-balance-factor {factor}
                {string.Join('\n', names.Select((n, i) => $"    server {n} {servers[i].Address} weight {weights[i]}"))}
                """;

            async Task<string> RunAsync(int port, string socket)
            {
                var held = new List<Socket>();
                var sequence = new StringBuilder();
                try
                {
                    for (var i = 0; i < clients; i++)
                    {
                        var client = await TestClient.ConnectTcpAsync(port);
                        held.Add(client);
                        var name = new byte[1];
                        Assert.Equal(1, await client.ReceiveAsync(name, SocketFlags.None, TestTimeout.Token()));
                        sequence.Append((char)name[0]);
                    }
                }
                finally
                {
                    foreach (var client in held)
                    {
                        client.Dispose();
                    }
                }

                return sequence.ToString();
            }

            var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);
            Assert.True(reference.Distinct().Count() > 1, "every client went to one server: " + reference);
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
}
