using System.Net;
using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Tests.Balancing;

namespace Sluice.Tests.Backends;

/// <summary>Reading a server state file and haproxy 2.6's rules for applying it.</summary>
public class ServerStateFileTests
{
    private const string Header = "1\n" + ServerStateFile.ColumnHeader + "\n";

    private static string Line(string server, int admin, int userWeight = 1, int initialWeight = 1, int port = 1, int operational = 2) =>
        $"1 be 1 {server} 127.0.0.1 {operational} {admin} {userWeight} {initialWeight} 30 1 0 2 0 0 0 0 - {port} - 0 0 - - 0\n";

    /// <summary>Loads <paramref name="file"/> into a backend of <paramref name="servers"/> as `load-server-state-from-file global` does.</summary>
    private static (BackendState Backend, List<string> Warnings) Load(string file, params ServerConfig[] servers)
    {
        var directory = Directory.CreateTempSubdirectory("sluice-state-").FullName;
        File.WriteAllText(Path.Combine(directory, "state"), file);
        var backend = new BackendState(new BackendConfig
        {
            Name = "be",
            Location = "test.cfg:1",
            Id = 1,
            Servers = servers,
            LoadServerState = ServerStateSource.Global,
        });
        var warnings = new List<string>();
        ServerStateFile.Load(new GlobalConfig { ServerStateBase = directory, ServerStateFile = "state" }, [backend], warnings.Add);
        Directory.Delete(directory, recursive: true);
        return (backend, warnings);
    }

    [Theory]
    // Configuration unchanged: the saved forced maintenance decides.
    [InlineData(false, 0x00, "Ready")]
    [InlineData(false, 0x01, "Maint")]
    [InlineData(true, 0x05, "Maint")]
    [InlineData(true, 0x04, "Ready")]
    // `disabled` added or removed since the file was written: the configuration wins.
    [InlineData(true, 0x00, "Maint")]
    [InlineData(false, 0x05, "Ready")]
    // A saved drain stands unless the server is in maintenance.
    [InlineData(false, 0x08, "Drain")]
    [InlineData(false, 0x09, "Maint")]
    public void AdminState_FollowsHaproxysRules(bool disabled, int savedAdmin, string expected)
    {
        var (backend, _) = Load(Header + Line("s1", savedAdmin), TestBackends.Server(1, disabled: disabled));
        Assert.Equal(expected, backend.Servers[0].AdminState.ToString());
    }

    [Fact]
    public void Drain_ThatCameFromAConfiguredWeightOfZero_IsDroppedWhenTheWeightIsNoLongerZero()
    {
        var (dropped, _) = Load(Header + Line("s1", 0x08, userWeight: 0, initialWeight: 0), TestBackends.Server(1, weight: 2));
        Assert.Equal(ServerAdminState.Ready, dropped.Servers[0].AdminState);

        var (kept, warnings) = Load(Header + Line("s1", 0x08, userWeight: 2, initialWeight: 2), TestBackends.Server(1, weight: 2));
        Assert.Equal(ServerAdminState.Drain, kept.Servers[0].AdminState);
        Assert.Equal(["Server be/s1 remains in forced drain mode."], warnings);
    }

    [Fact]
    public void Weight_AppliesOnlyWhenTheConfiguredOneIsUnchanged()
    {
        var (backend, _) = Load(Header + Line("s1", 0, userWeight: 7, initialWeight: 10) + Line("s2", 0, userWeight: 7, initialWeight: 3),
            TestBackends.Server(1, weight: 10), TestBackends.Server(2, weight: 4));
        Assert.Equal(7, backend.Servers[0].Weight);
        Assert.Equal(4, backend.Servers[1].Weight);
    }

    [Fact]
    public void PortAndState_OfTheSavedLine_AreRestored_UnknownServersIgnored()
    {
        var (backend, _) = Load(Header + Line("s1", 0, port: 9100, operational: 0) + Line("zz", 1), TestBackends.Server(1), TestBackends.Server(2));
        var server = backend.Servers[0];
        Assert.Equal(9100, Assert.IsType<InetServerAddress>(server.Address).Port);
        Assert.Equal(IPAddress.Loopback, Assert.IsType<InetServerAddress>(server.Address).Address);
        Assert.False(server.RestoredUp);
        Assert.Null(backend.Servers[1].RestoredUp);
        Assert.Equal(ServerAdminState.Ready, backend.Servers[1].AdminState);
    }

    [Theory]
    [InlineData("2\n")]
    [InlineData("")]
    [InlineData("# be_id\n1 be 1 s1 127.0.0.1 0 1\n")]
    public void Parse_AnotherVersion_IsRefused(string text) => Assert.Null(ServerStateFile.Parse(text));

    [Fact]
    public void Parse_ShortOrGarbledLines_AreSkipped()
    {
        var servers = ServerStateFile.Parse(Header + "1 be 1 s1 127.0.0.1 0 1\n" + Line("s2", 1).Replace(" 30 ", " x ", StringComparison.Ordinal) + Line("s3", 8));
        Assert.NotNull(servers);
        Assert.Equal(["be/s3"], servers.Keys);
        Assert.Equal(8, servers["be/s3"].AdminState);
    }

    [Fact]
    public void GlobalWithoutServerStateFile_Warns()
    {
        var backend = new BackendState(new BackendConfig { Name = "be2", Location = "t:1", Id = 1, Servers = [TestBackends.Server(1)], LoadServerState = ServerStateSource.Global });
        var warnings = new List<string>();
        ServerStateFile.Load(new GlobalConfig(), [backend], warnings.Add);
        Assert.Equal(["backend 'be2' configured to load server state file from global section 'server-state-file' directive. Unfortunately, 'server-state-file' is not set!"], warnings);
    }

    [Fact]
    public void MissingFile_Warns_AndLeavesTheServersAsConfigured()
    {
        var backend = new BackendState(new BackendConfig { Name = "be", Location = "t:1", Id = 1, Servers = [TestBackends.Server(1, disabled: true)], LoadServerState = ServerStateSource.Local });
        var warnings = new List<string>();
        ServerStateFile.Load(new GlobalConfig { ServerStateBase = "/nonexistent-dir" }, [backend], warnings.Add);
        Assert.Equal(["Proxy 'be': Can't open server state file '/nonexistent-dir/be': No such file or directory."], warnings);
        Assert.Equal(ServerAdminState.Maint, backend.Servers[0].AdminState);
    }
}
