using System.Net;
using Sluice.Backends;
using Sluice.Config.Model;

namespace Sluice.Tests.Balancing;

/// <summary>Builds backends from a compact description for balancer tests.</summary>
internal static class TestBackends
{
    public static BackendState Create(BalanceAlgorithm algorithm, params int[] weights) =>
        Create(new BalanceConfig(algorithm), allBackups: false, weights.Select((w, i) => Server(i + 1, w)).ToArray());

    public static BackendState Create(BalanceConfig balance, bool allBackups, params ServerConfig[] servers) =>
        new(new BackendConfig
        {
            Name = "be",
            Location = "test.cfg:1",
            Id = 1,
            Balance = balance,
            Servers = servers,
            AllBackups = allBackups,
        });

    public static ServerConfig Server(int id, int weight = 1, int maxConn = 0, bool backup = false, bool disabled = false) => new()
    {
        Name = "s" + id,
        Location = "test.cfg:" + id,
        Id = id,
        Address = new InetServerAddress { Text = "127.0.0.1:1", Address = IPAddress.Loopback, Port = 1 },
        Weight = weight,
        MaxConn = maxConn,
        Backup = backup,
        Disabled = disabled,
    };

    /// <summary>Picks <paramref name="count"/> times, releasing each server at once, and returns the names in order.</summary>
    public static List<string> PickReleasing(BackendState backend, int count, IPAddress? client = null)
    {
        var names = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            var server = backend.Balancer.Pick(client, avoid: null);
            Assert.NotNull(server);
            names.Add(server.Name);
            server.Release();
        }

        return names;
    }

    public static Dictionary<string, int> Count(IEnumerable<string> names)
    {
        var counts = new Dictionary<string, int>();
        foreach (var name in names)
        {
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }

        return counts;
    }
}
