using Sluice.Config.Model;

namespace Sluice.Tests.Balancing;

public class StaticRoundRobinBalancerTests
{
    [Theory]
    [InlineData(new[] { 90, 10 }, 1000, new[] { 900, 100 })]
    [InlineData(new[] { 1, 2, 3 }, 600, new[] { 100, 200, 300 })]
    [InlineData(new[] { 7 }, 10, new[] { 10 })]
    public void Pick_Weights_ExactProportions(int[] weights, int picks, int[] expected)
    {
        var backend = TestBackends.Create(BalanceAlgorithm.StaticRoundRobin, weights);
        var counts = TestBackends.Count(TestBackends.PickReleasing(backend, picks));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], counts.GetValueOrDefault("s" + (i + 1)));
        }
    }

    /// <summary>HAProxy 2.6's map order (recalc_server_map), seen with haproxy itself: weights 1,2,1 give s1 s2 s2 s3.</summary>
    [Fact]
    public void Pick_Weights121_InHAProxysMapOrder()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.StaticRoundRobin, 1, 2, 1);
        Assert.Equal(["s1", "s2", "s2", "s3", "s1", "s2", "s2", "s3"], TestBackends.PickReleasing(backend, 8));
    }

    /// <summary>Weights are divided by their greatest common divisor first: 20,30,10 is 2,3,1, a map of six (haproxy 2.6 gives s1 s2 s1 s2 s2 s3).</summary>
    [Fact]
    public void Pick_Weights203010_ReducedByTheirDivisor()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.StaticRoundRobin, 20, 30, 10);
        Assert.Equal(["s1", "s2", "s1", "s2", "s2", "s3", "s1", "s2"], TestBackends.PickReleasing(backend, 8));
    }

    [Fact]
    public void Pick_Weights31_ThreeThenOne()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.StaticRoundRobin, 3, 1);
        Assert.Equal(["s1", "s1", "s1", "s2", "s1", "s1", "s1", "s2"], TestBackends.PickReleasing(backend, 8));
    }

    [Fact]
    public void Pick_ServerDown_OthersOnly()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.StaticRoundRobin, 1, 1, 1);
        backend.Servers[1].IsUp = false;
        var counts = TestBackends.Count(TestBackends.PickReleasing(backend, 100));
        Assert.False(counts.ContainsKey("s2"));
        Assert.Equal(50, counts["s1"]);
        Assert.Equal(50, counts["s3"]);
    }
}
