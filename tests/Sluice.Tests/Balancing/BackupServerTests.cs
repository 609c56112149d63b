using Sluice.Config.Model;

namespace Sluice.Tests.Balancing;

public class BackupServerTests
{
    // The algorithm travels as an int: the enum is internal and test methods are public.
    public static TheoryData<int> Algorithms => new()
    {
        (int)BalanceAlgorithm.RoundRobin,
        (int)BalanceAlgorithm.StaticRoundRobin,
        (int)BalanceAlgorithm.LeastConn,
        (int)BalanceAlgorithm.First,
        (int)BalanceAlgorithm.Source,
        (int)BalanceAlgorithm.Random,
    };

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Pick_ActiveUp_BackupsNeverUsed(int algorithmValue)
    {
        var algorithm = (BalanceAlgorithm)algorithmValue;
        var backend = Build(algorithm, allBackups: false);
        Assert.All(TestBackends.PickReleasing(backend, 50), name => Assert.StartsWith("s", name, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Pick_ActivesDown_FirstBackupOnly(int algorithmValue)
    {
        var algorithm = (BalanceAlgorithm)algorithmValue;
        var backend = Build(algorithm, allBackups: false);
        backend.Servers[0].IsUp = false;
        backend.Servers[1].IsUp = false;
        Assert.All(TestBackends.PickReleasing(backend, 20), name => Assert.Equal("b3", name));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Pick_ActivesDownAllBackups_BackupsShare(int algorithmValue)
    {
        var algorithm = (BalanceAlgorithm)algorithmValue;
        var backend = Build(algorithm, allBackups: true);
        backend.Servers[0].IsUp = false;
        backend.Servers[1].IsUp = false;
        var names = TestBackends.PickReleasing(backend, 60, System.Net.IPAddress.Parse("10.0.0.9"));
        Assert.All(names, name => Assert.StartsWith("b", name, StringComparison.Ordinal));
        if (algorithm is not (BalanceAlgorithm.First or BalanceAlgorithm.Source))
        {
            Assert.Equal(2, names.Distinct().Count());
        }
    }

    [Fact]
    public void Pick_ActiveComesBack_BackupsLeft()
    {
        var backend = Build(BalanceAlgorithm.RoundRobin, allBackups: true);
        backend.Servers[0].IsUp = false;
        backend.Servers[1].IsUp = false;
        Assert.StartsWith("b", TestBackends.PickReleasing(backend, 1)[0], StringComparison.Ordinal);
        backend.Servers[1].IsUp = true;
        Assert.All(TestBackends.PickReleasing(backend, 10), name => Assert.Equal("s2", name));
    }

    [Fact]
    public void Pick_FirstBackupDisabled_NextBackup()
    {
        var backend = TestBackends.Create(new BalanceConfig(BalanceAlgorithm.RoundRobin), false,
            TestBackends.Server(1, disabled: true), TestBackends.Server(2, backup: true, disabled: true), TestBackends.Server(3, backup: true));
        Assert.All(TestBackends.PickReleasing(backend, 5), name => Assert.Equal("s3", name));
    }

    [Fact]
    public void Pick_NothingUsable_Null()
    {
        var backend = TestBackends.Create(new BalanceConfig(BalanceAlgorithm.LeastConn), false, TestBackends.Server(1, disabled: true));
        Assert.Null(backend.Balancer.Pick(null, null));
    }

    private static Sluice.Backends.BackendState Build(BalanceAlgorithm algorithm, bool allBackups)
    {
        var servers = new[]
        {
            TestBackends.Server(1) with { Name = "s1" },
            TestBackends.Server(2) with { Name = "s2" },
            TestBackends.Server(3, backup: true) with { Name = "b3" },
            TestBackends.Server(4, backup: true) with { Name = "b4" },
        };
        return TestBackends.Create(new BalanceConfig(algorithm), allBackups, servers);
    }
}
