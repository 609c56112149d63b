using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>Debian's redis-server on a port of its own, without persistence; it can be killed and started again on that port.</summary>
internal sealed class RedisPeer : IAsyncDisposable
{
    private PeerProcess? _process;

    private RedisPeer(int port) => Port = port;

    public int Port { get; }

    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public static async Task<RedisPeer> StartAsync()
    {
        var peer = new RedisPeer(Ports.FreeListeningPort());
        await peer.RestartAsync();
        return peer;
    }

    public async Task RestartAsync()
    {
        var program = CommandRunner.Require("redis-server", "redis-server");
        _process = PeerProcess.Start(program, ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]);
        await _process.WaitForLineAsync(l => l.Contains("Ready to accept connections", StringComparison.Ordinal)).WaitAsync(TestTimeout.Value);
    }

    /// <summary>Kills redis by its id: the port refuses connections from then on.</summary>
    public async Task StopAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
            _process = null;
        }
    }

    public ValueTask DisposeAsync() => _process?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>
/// Debian's PostgreSQL 15 in a fresh cluster of a temporary directory (trust authentication, user `haproxy`). As
/// PostgreSQL refuses to run as root, the cluster belongs to the `postgres` account when the tests run as root.
/// </summary>
internal sealed class PostgresPeer : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";

    private readonly PeerProcess _process;

    private PostgresPeer(PeerProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public static async Task<PostgresPeer> StartAsync()
    {
        if (!File.Exists(Path.Combine(Bin, "postgres")))
        {
            throw new InvalidOperationException("PostgreSQL 15 is required by this test: install the Debian package 'postgresql' (scripts/test.sh does)");
        }

        var directory = Ports.TempDirectory();
        var data = Path.Combine(directory, "data");
        var asRoot = Environment.UserName == "root";
        string[] prefix = asRoot ? [CommandRunner.Require("setpriv", "util-linux"), "--reuid=postgres", "--regid=postgres", "--init-groups"] : [];
        if (asRoot)
        {
            var chown = await CommandRunner.RunAsync("chown", ["postgres", directory], timeout: TimeSpan.FromSeconds(10));
            Assert.True(chown.ExitCode == 0, chown.StandardError);
        }

        var init = await CommandRunner.RunAsync(asRoot ? prefix[0] : Path.Combine(Bin, "initdb"),
            [.. prefix.Skip(1), .. asRoot ? new[] { Path.Combine(Bin, "initdb") } : [], "-D", data, "-A", "trust", "-U", "haproxy"],
            timeout: TimeSpan.FromSeconds(60));
        Assert.True(init.ExitCode == 0, $"initdb failed: {init.StandardError}");

        var port = Ports.FreeListeningPort();
        string[] server = [Path.Combine(Bin, "postgres"), "-D", data, "-p", port.ToString(CultureInfo.InvariantCulture), "-k", directory, "-c", "listen_addresses=127.0.0.1"];
        var process = asRoot ? PeerProcess.Start(prefix[0], [.. prefix.Skip(1), .. server]) : PeerProcess.Start(server[0], server.Skip(1));
        await process.WaitForLineAsync(l => l.Contains("database system is ready to accept connections", StringComparison.Ordinal)).WaitAsync(TestTimeout.Value);
        return new PostgresPeer(process, port);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
