using System.Text;
using Sluice.Balancing;
using Sluice.Config.Model;

namespace Sluice.Tests.Balancing;

public class HashBalancerTests
{
    private static Sluice.Backends.BackendState Backend(bool consistent, params int[] weights) => new(new BackendConfig
    {
        Name = "be",
        Location = "test.cfg:1",
        Id = 1,
        Balance = new BalanceConfig(BalanceAlgorithm.Uri),
        HashType = new HashTypeConfig(consistent, HashFunction.Sdbm, Avalanche: true),
        Servers = weights.Select((w, i) => TestBackends.Server(i + 1, w)).ToArray(),
    });

    private static string PickName(Sluice.Backends.BackendState backend, uint hash)
    {
        var server = ((IHashBalancer)backend.Balancer).PickByHash(hash, avoid: null);
        Assert.NotNull(server);
        server.Release();
        return server.Name;
    }

    private static uint Key(int i) => HashFunctions.Avalanche(HashFunctions.Sdbm(Encoding.ASCII.GetBytes("/object/" + i)));

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PickByHash_SameKey_SameServerEveryTime(bool consistent)
    {
        var backend = Backend(consistent, 1, 1, 1, 1);
        for (var i = 0; i < 200; i++)
        {
            var first = PickName(backend, Key(i));
            Assert.Equal(first, PickName(backend, Key(i)));
        }
    }

    [Fact]
    public void Consistent_OneOfFourServersDown_OnlyItsKeysMove_AboutAQuarter()
    {
        var backend = Backend(consistent: true, 1, 1, 1, 1);
        const int keys = 20000;
        var before = Enumerable.Range(0, keys).Select(i => PickName(backend, Key(i))).ToArray();
        backend.Servers[2].IsUp = false;
        var after = Enumerable.Range(0, keys).Select(i => PickName(backend, Key(i))).ToArray();

        var moved = Enumerable.Range(0, keys).Where(i => before[i] != after[i]).ToArray();
        Assert.All(moved, i => Assert.Equal("s3", before[i]));
        Assert.Equal(before.Count(n => n == "s3"), moved.Length);
        Assert.InRange(moved.Length / (double)keys, 0.10, 0.40);

        // Back up: every key returns to where it was.
        backend.Servers[2].IsUp = true;
        Assert.Equal(before, Enumerable.Range(0, keys).Select(i => PickName(backend, Key(i))));
    }

    [Fact]
    public void MapBased_OneOfFourServersDown_MostKeysMove()
    {
        var backend = Backend(consistent: false, 1, 1, 1, 1);
        const int keys = 4000;
        var before = Enumerable.Range(0, keys).Select(i => PickName(backend, Key(i))).ToArray();
        backend.Servers[2].IsUp = false;
        var moved = Enumerable.Range(0, keys).Count(i => before[i] != PickName(backend, Key(i)));
        Assert.True(moved > keys / 2, $"{moved} moved");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Weights13_ShareFollowsWeights(bool consistent)
    {
        var backend = Backend(consistent, 1, 3);
        var counts = TestBackends.Count(Enumerable.Range(0, 20000).Select(i => PickName(backend, Key(i))));
        Assert.InRange(counts["s2"] / 20000.0, 0.60, 0.90);
    }

    [Fact]
    public void Consistent_ServerFull_NextServerOnTheRing()
    {
        var backend = new Sluice.Backends.BackendState(new BackendConfig
        {
            Name = "be",
            Location = "test.cfg:1",
            Id = 1,
            Balance = new BalanceConfig(BalanceAlgorithm.Uri),
            HashType = new HashTypeConfig(true, HashFunction.Sdbm, false),
            Servers = [TestBackends.Server(1, maxConn: 1), TestBackends.Server(2, maxConn: 1)],
        });
        var balancer = (IHashBalancer)backend.Balancer;
        var first = balancer.PickByHash(12345, null);
        var second = balancer.PickByHash(12345, null);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.NotEqual(first, second);
        Assert.Null(balancer.PickByHash(12345, null));
    }

    [Fact]
    public void HashFunctions_KnownValues()
    {
        Assert.Equal(5381u, HashFunctions.Djb2([]));
        Assert.Equal(97u, HashFunctions.Sdbm("a"u8));
        Assert.Equal(0xCBF43926u, HashFunctions.Crc32("123456789"u8));
        Assert.NotEqual(HashFunctions.Wt6("a"u8), HashFunctions.Wt6("b"u8));
        Assert.NotEqual(HashFunctions.Avalanche(1), HashFunctions.Avalanche(2));
    }

    [Theory]
    [InlineData("/a/b/c?x=1", 0, 0, false, false, "/a/b/c")]
    [InlineData("/a/b/c?x=1", 0, 0, true, false, "/a/b/c?x=1")]
    [InlineData("/a/b/c?x=1", 0, 2, false, false, "/a/b")]
    [InlineData("/a/b/c?x=1", 4, 0, false, false, "/a/b")]
    [InlineData("http://h.example/a/b?q", 0, 0, false, true, "/a/b")]
    [InlineData("http://h.example/a/b?q", 0, 0, false, false, "http://h.example/a/b")]
    public void UriKey_Options(string uri, int len, int depth, bool whole, bool pathOnly, string expected)
    {
        var balance = new BalanceConfig(BalanceAlgorithm.Uri) { UriLength = len, UriDepth = depth, UriWhole = whole, UriPathOnly = pathOnly };
        Assert.Equal(expected, Encoding.ASCII.GetString(RequestHash.UriKey(Encoding.ASCII.GetBytes(uri), balance)));
    }

    [Theory]
    [InlineData("/p?user=bob&x=1", "user", "bob")]
    [InlineData("/p?x=1;user=al", "user", "al")]
    [InlineData("/p?username=bob", "user", null)]
    [InlineData("/p", "user", null)]
    public void TryQueryParameter_FindsExactName(string uri, string name, string? expected)
    {
        var found = RequestHash.TryQueryParameter(Encoding.ASCII.GetBytes(uri), Encoding.ASCII.GetBytes(name), out var value);
        Assert.Equal(expected is not null, found);
        if (found)
        {
            Assert.Equal(expected, Encoding.ASCII.GetString(value));
        }
    }

    [Theory]
    [InlineData("haproxy.1wt.eu", "1wt")]
    [InlineData("example.com", "example")]
    [InlineData("localhost", "localhost")]
    public void MainDomain_UseDomainOnly(string host, string expected) =>
        Assert.Equal(expected, Encoding.ASCII.GetString(RequestHash.MainDomain(Encoding.ASCII.GetBytes(host))));
}
