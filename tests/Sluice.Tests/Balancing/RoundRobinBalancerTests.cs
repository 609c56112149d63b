using Sluice.Config.Model;

namespace Sluice.Tests.Balancing;

public class RoundRobinBalancerTests
{
    [Fact]
    public void Pick_Weights511_HAProxysSequence()
    {
        // haproxy 2.6 with `balance roundrobin` and these weights, 14 connections.
        var backend = TestBackends.Create(BalanceAlgorithm.RoundRobin, 5, 1, 1);
        var names = TestBackends.PickReleasing(backend, 14);
        Assert.Equal(
            ["s1", "s1", "s1", "s2", "s1", "s1", "s3", "s1", "s1", "s1", "s2", "s1", "s1", "s3"],
            names);
    }

    [Theory]
    [InlineData(new[] { 1, 1, 1 }, 300, new[] { 100, 100, 100 })]
    [InlineData(new[] { 3, 1 }, 400, new[] { 300, 100 })]
    [InlineData(new[] { 90, 10 }, 1000, new[] { 900, 100 })]
    public void Pick_Weights_ProportionalDistribution(int[] weights, int picks, int[] expected)
    {
        var backend = TestBackends.Create(BalanceAlgorithm.RoundRobin, weights);
        var counts = TestBackends.Count(TestBackends.PickReleasing(backend, picks));
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], counts.GetValueOrDefault("s" + (i + 1)));
        }
    }

    [Fact]
    public void Pick_WeightChangedAtRunTime_NewProportions()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.RoundRobin, 1, 1);
        backend.Servers[1].Weight = 3;
        var counts = TestBackends.Count(TestBackends.PickReleasing(backend, 400));
        Assert.Equal(100, counts["s1"]);
        Assert.Equal(300, counts["s2"]);
    }

    [Fact]
    public void Pick_NeverTwoHeavyBurstsOfLightServer_Smooth()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.RoundRobin, 2, 2, 1);
        var names = TestBackends.PickReleasing(backend, 50);
        for (var i = 1; i < names.Count; i++)
        {
            Assert.False(names[i] == "s3" && names[i - 1] == "s3", "s3 picked twice in a row");
        }
    }

    [Fact]
    public void Pick_ServerAtMaxConn_Skipped()
    {
        var backend = TestBackends.Create(
            new BalanceConfig(BalanceAlgorithm.RoundRobin), false, TestBackends.Server(1, maxConn: 1), TestBackends.Server(2));
        var first = backend.Balancer.Pick(null, null);
        Assert.Equal("s1", first!.Name);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("s2", backend.Balancer.Pick(null, null)!.Name);
        }

        Assert.Equal(1, backend.Servers[0].CurrentConnections);
        Assert.Equal(5, backend.Servers[1].CurrentConnections);
    }

    [Fact]
    public void Pick_DisabledServer_NeverPicked()
    {
        var backend = TestBackends.Create(
            new BalanceConfig(BalanceAlgorithm.RoundRobin), false, TestBackends.Server(1, disabled: true), TestBackends.Server(2));
        Assert.All(TestBackends.PickReleasing(backend, 10), name => Assert.Equal("s2", name));
    }

    [Fact]
    public void Pick_AvoidWithOtherCandidates_OtherServer()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.RoundRobin, 1, 1);
        var avoid = backend.Servers[0];
        for (var i = 0; i < 4; i++)
        {
            var server = backend.Balancer.Pick(null, avoid);
            Assert.Equal("s2", server!.Name);
            server.Release();
        }
    }
}
