using Sluice.Config.Model;

namespace Sluice.Tests.Balancing;

public class FirstBalancerTests
{
    [Fact]
    public void Pick_MaxConnPerServer_FillsInIdOrder()
    {
        var backend = TestBackends.Create(
            new BalanceConfig(BalanceAlgorithm.First), false,
            TestBackends.Server(1, maxConn: 2), TestBackends.Server(2, maxConn: 3), TestBackends.Server(3, maxConn: 2));
        var names = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            names.Add(backend.Balancer.Pick(null, null)!.Name);
        }

        Assert.Equal(["s1", "s1", "s2", "s2", "s2", "s3", "s3"], names);
        Assert.Null(backend.Balancer.Pick(null, null));
    }

    [Fact]
    public void Pick_SlotFreedOnFirstServer_FirstServerAgain()
    {
        var backend = TestBackends.Create(
            new BalanceConfig(BalanceAlgorithm.First), false, TestBackends.Server(1, maxConn: 1), TestBackends.Server(2, maxConn: 1));
        var a = backend.Balancer.Pick(null, null)!;
        Assert.Equal("s2", backend.Balancer.Pick(null, null)!.Name);
        a.Release();
        Assert.Equal("s1", backend.Balancer.Pick(null, null)!.Name);
    }

    [Fact]
    public void Pick_NoMaxConn_FirstServerTakesAll()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.First, 1, 1);
        Assert.All(TestBackends.PickReleasing(backend, 10), name => Assert.Equal("s1", name));
    }
}
