using System.Net;
using Sluice.Balancing;
using Sluice.Config.Model;

namespace Sluice.Tests.Balancing;

public class SourceBalancerTests
{
    [Fact]
    public void Pick_SameAddress_SameServerEveryTime()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.Source, 1, 1, 1, 1);
        for (var a = 1; a < 50; a++)
        {
            var client = IPAddress.Parse("10.0.0." + a);
            var names = TestBackends.PickReleasing(backend, 5, client);
            Assert.All(names, n => Assert.Equal(names[0], n));
        }
    }

    [Fact]
    public void Pick_ManyAddresses_EveryServerUsed()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.Source, 1, 1, 1);
        var names = new List<string>();
        for (var a = 1; a < 200; a++)
        {
            names.AddRange(TestBackends.PickReleasing(backend, 1, IPAddress.Parse("192.168.1." + a)));
        }

        var counts = TestBackends.Count(names);
        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, c => Assert.InRange(c, 40, 90));
    }

    [Theory]
    [InlineData("10.0.0.1", 0x0A000001u)]
    [InlineData("::ffff:10.0.0.1", 0x0A000001u)]
    [InlineData("2001:db8::1", 0x20010db8u ^ 0x00000001u)]
    public void Hash_Address_XorOfWords(string address, uint expected) =>
        Assert.Equal(expected, SourceBalancer.Hash(IPAddress.Parse(address)));

    [Fact]
    public void Pick_ChosenServerDown_OtherServerAndBackWhenUp()
    {
        var backend = TestBackends.Create(BalanceAlgorithm.Source, 1, 1);
        var client = IPAddress.Parse("10.1.2.3");
        var before = TestBackends.PickReleasing(backend, 1, client)[0];
        var index = before == "s1" ? 0 : 1;
        backend.Servers[index].IsUp = false;
        Assert.NotEqual(before, TestBackends.PickReleasing(backend, 1, client)[0]);
        backend.Servers[index].IsUp = true;
        Assert.Equal(before, TestBackends.PickReleasing(backend, 1, client)[0]);
    }
}
