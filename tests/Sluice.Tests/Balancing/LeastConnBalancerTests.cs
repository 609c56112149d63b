using Sluice.Config.Model;

namespace Sluice.Tests.Balancing;

public class LeastConnBalancerTests
{
    [Fact]
    public void Pick_OneServerBusy_IdleServerPreferred()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.LeastConn, 1, 1);
        var held = backend.Balancer.Pick(null, null)!;
        for (var i = 0; i < 5; i++)
        {
            var server = backend.Balancer.Pick(null, null)!;
            Assert.NotEqual(held.Name, server.Name);
            server.Release();
        }
    }

    [Fact]
    public void Pick_HeldConnections_Balanced()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.LeastConn, 1, 1, 1);
        for (var i = 0; i < 30; i++)
        {
            Assert.NotNull(backend.Balancer.Pick(null, null));
        }

        Assert.All(backend.Servers, s => Assert.Equal(10, s.CurrentConnections));
    }

    [Fact]
    public void Pick_HeldConnectionsWeighted_ProportionalToWeight()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.LeastConn, 3, 1);
        for (var i = 0; i < 40; i++)
        {
            Assert.NotNull(backend.Balancer.Pick(null, null));
        }

        Assert.Equal(30, backend.Servers[0].CurrentConnections);
        Assert.Equal(10, backend.Servers[1].CurrentConnections);
    }

    [Fact]
    public void Pick_AllIdle_RoundRobinAmongEquals()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.LeastConn, 1, 1, 1);
        Assert.Equal(["s1", "s2", "s3", "s1", "s2", "s3"], TestBackends.PickReleasing(backend, 6));
    }
}
