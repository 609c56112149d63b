using System.Net.Sockets;
using System.Text;
using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.RuntimeApi;
using Sluice.Stats;
using Sluice.Tests.Balancing;

namespace Sluice.Tests.RuntimeApi;

public sealed class CliCommandsTests : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly BackendState _backend = TestBackends.Create(BalanceAlgorithm.RoundRobin, 1, 2);
    private readonly StatsHub _hub;

    public CliCommandsTests()
    {
        var frontend = new FrontendConfig { Name = "fe", Location = "t.cfg:1", Id = 2, Binds = [], Mode = ProxyMode.Http };
        _hub = new StatsHub(new GlobalConfig(), [new FrontendStats(frontend, new TrafficCounters(), null, null)], [_backend], null);
    }

    public void Dispose() => _socket.Dispose();

    private string Run(string line, CliLevel level = CliLevel.Admin)
    {
        var connection = new CliConnection(_socket, _hub, level, TimeSpan.FromSeconds(10));
        var output = new StringBuilder();
        foreach (var args in CliConnection.Split(line))
        {
            CliCommands.Execute(new CliRequest(connection, args, _hub), output);
        }

        return output.ToString();
    }

    [Fact]
    public void Split_CommandsAndEscapes()
    {
        var commands = CliConnection.Split(@"show stat ; set server be/s1 state  maint;help a\;b");
        Assert.Equal(3, commands.Count);
        Assert.Equal(["show", "stat"], commands[0]);
        Assert.Equal(["set", "server", "be/s1", "state", "maint"], commands[1]);
        Assert.Equal(["help", "a;b"], commands[2]);
    }

    [Fact]
    public void DisableServer_MaintThenEnableReady()
    {
        Assert.Equal(string.Empty, Run("disable server be/s1"));
        Assert.Equal(ServerAdminState.Maint, _backend.Servers[0].AdminState);
        Assert.False(_backend.Servers[0].IsUsable);
        Assert.Equal(string.Empty, Run("enable server be/s1"));
        Assert.True(_backend.Servers[0].IsUsable);
    }

    [Fact]
    public void SetServerState_DrainKeepsPersistence()
    {
        Run("set server be/s2 state drain");
        var server = _backend.Servers[1];
        Assert.Equal(ServerAdminState.Drain, server.AdminState);
        Assert.False(server.IsUsable);
        Assert.True(server.AcceptsPersistent);
        Run("set server be/s2 state maint");
        Assert.False(server.AcceptsPersistent);
        Assert.Equal("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n", Run("set server be/s2 state up"));
    }

    [Fact]
    public void Weights_SetAndGet()
    {
        Assert.Equal("2 (initial 2)\n", Run("get weight be/s2"));
        Run("set weight be/s2 7");
        Assert.Equal("7 (initial 2)\n", Run("get weight be/s2"));
        Run("set server be/s2 weight 50%");
        Assert.Equal("1 (initial 2)\n", Run("get weight be/s2"));
        Assert.Equal("Absolute weight can only be between 0 and 256 inclusive.\n", Run("set weight be/s2 300"));
        Assert.Equal("Require <weight> or <weight%>.\n", Run("set weight be/s2"));
    }

    [Theory]
    [InlineData("get weight be", "Require 'backend/server'.\n")]
    [InlineData("get weight zz/s1", "No such backend.\n")]
    [InlineData("get weight be/zz", "No such server.\n")]
    [InlineData("set maxconn frontend zz 3", "No such frontend.\n")]
    [InlineData("shutdown session", "Session pointer expected (use 'show sess').\n")]
    [InlineData("show servers state zz", "Can't find backend.\n")]
    [InlineData("show stat zz 1 -1", "No such proxy.\n")]
    public void Errors_HaproxyWording(string command, string expected) => Assert.Equal(expected, Run(command));

    [Theory]
    [InlineData("disable server be/s1", 1)]
    [InlineData("set weight be/s1 3", 2)]
    [InlineData("clear counters", 1)]
    [InlineData("clear counters all", 2)]
    [InlineData("show sess", 1)]
    public void LevelTooLow_PermissionDenied(string command, int level) // 1 user, 2 operator (the enum is internal)
    {
        Assert.Equal("Permission denied\n", Run(command, (CliLevel)level));
        Assert.True(_backend.Servers[0].IsUsable);
        Assert.Equal(1, _backend.Servers[0].Weight);
    }

    [Fact]
    public void LowerLevel_ThenRefused()
    {
        Assert.Equal("admin\n", Run("show cli level"));
        Assert.Equal("user\n", Run("user; show cli level"));
        Assert.Equal("Permission denied\n", Run("user; disable server be/s1"));
    }

    [Fact]
    public void Unknown_HaproxyAnswer()
    {
        var answer = Run("foo");
        Assert.StartsWith("Unknown command, but maybe one of the following ones is a better match:\n", answer, StringComparison.Ordinal);
        Assert.Contains("  help [<command>]                        : list matching or all commands\n", answer, StringComparison.Ordinal);
    }

    [Fact]
    public void KnownHaproxyCommand_NotSupportedYet() =>
        Assert.Equal("'show fd' is not supported yet.\n", Run("show fd"));

    [Fact]
    public void Help_ListsOnlyCommandsOfTheLevel()
    {
        var admin = Run("help");
        var user = Run("help", CliLevel.User);
        Assert.StartsWith("The following commands are valid at this level:\n", user, StringComparison.Ordinal);
        Assert.Contains("  disable server (DEPRECATED)             : disable a server for maintenance (use 'set server' instead)\n", admin, StringComparison.Ordinal);
        Assert.DoesNotContain("disable server", user, StringComparison.Ordinal);
        Assert.Contains("  show stat [desc|json|no-maint|typed|up]*: report counters for each proxy and server\n", user, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowStat_FilterServersOfBackend()
    {
        var lines = Run("show stat be 4 -1").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("# pxname,svname,", lines[0], StringComparison.Ordinal);
        Assert.Equal(["be,s1", "be,s2"], lines.Skip(1).Select(l => string.Join(',', l.Split(',').Take(2))));
    }

    [Fact]
    public void ShowStat_Typed_PositionsAndTags()
    {
        var typed = Run("show stat typed");
        Assert.Contains("F.2.0.0.pxname.1:KNS:str:fe\n", typed, StringComparison.Ordinal);
        Assert.Contains("S.1.2.1.svname.1:KNS:str:s2\n", typed, StringComparison.Ordinal);
        Assert.Contains("B.1.0.17.status.1:SGP:str:UP\n", typed, StringComparison.Ordinal);
    }

    [Fact]
    public void ShowServersState_Format()
    {
        Run("set server be/s2 state drain");
        var lines = Run("show servers state").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("1", lines[0]);
        Assert.StartsWith("# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("1 be 2 s2 127.0.0.1 2 8 2 2 ", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public void ClearCounters_All()
    {
        _hub.Frontends[0].Counters.CountRequest(1000);
        Run("clear counters");
        Assert.Equal(1, _hub.Frontends[0].Counters.Requests);
        Run("clear counters all");
        Assert.Equal(0, _hub.Frontends[0].Counters.Requests);
    }
}
