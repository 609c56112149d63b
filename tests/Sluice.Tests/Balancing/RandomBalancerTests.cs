using Sluice.Balancing;
using Sluice.Config.Model;

namespace Sluice.Tests.Balancing;

public class RandomBalancerTests
{
    [Fact]
    public void Pick_OneDrawWeighted_RoughlyProportional()
    {
        var backend = TestBackends.Create(new BalanceConfig(BalanceAlgorithm.Random, RandomDraws: 1), false,
            TestBackends.Server(1, weight: 3), TestBackends.Server(2, weight: 1));
        var counts = TestBackends.Count(TestBackends.PickReleasing(backend, 4000));
        Assert.InRange(counts["s1"], 2700, 3300);
        Assert.InRange(counts["s2"], 700, 1300);
    }

    [Fact]
    public void Pick_TwoDrawsHeldConnections_LoadStaysEven()
    {
        var backend = TestBackends.Create(new BalanceConfig(BalanceAlgorithm.Random, RandomDraws: 2), false,
            TestBackends.Server(1), TestBackends.Server(2), TestBackends.Server(3), TestBackends.Server(4));
        for (var i = 0; i < 400; i++)
        {
            Assert.NotNull(backend.Balancer.Pick(null, null));
        }

        // Power of two choices keeps the spread far tighter than plain random (which would vary by ~±20).
        Assert.All(backend.Servers, s => Assert.InRange(s.CurrentConnections, 90, 110));
    }

    [Fact]
    public void Pick_SeededDrawsOverIdleServers_AllServersUsed()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.Random, 1, 1, 1);
        var balancer = new RandomBalancer(backend, 2, new Random(42));
        var names = new HashSet<string>();
        for (var i = 0; i < 60; i++)
        {
            var server = balancer.Pick(null, null)!;
            names.Add(server.Name);
            server.Release();
        }

        Assert.Equal(3, names.Count);
    }
}
