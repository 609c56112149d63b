using System.Globalization;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// Debian's Dante SOCKS server (danted, SOCKS4 and SOCKS5) on a free loopback port, in the foreground with one
/// process, its configuration in a private directory. It lets clients of 127.0.0.0/8 connect to 127.0.0.0/8,
/// except to <see cref="RefusedPort"/>, which it refuses (SOCKS4 reply 91). Killed by its id at dispose.
/// </summary>
internal sealed class DanteSocksProxy : IAsyncDisposable
{
    private readonly PeerProcess _process;

    private DanteSocksProxy(PeerProcess process, int port, int refusedPort)
    {
        _process = process;
        Port = port;
        RefusedPort = refusedPort;
    }

    public int Port { get; }

    /// <summary>A loopback port the proxy refuses to connect to.</summary>
    public int RefusedPort { get; }

    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public static async Task<DanteSocksProxy> StartAsync()
    {
        var danted = CommandRunner.Require("danted", "dante-server");
        var (port, refused) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        var config = Path.Combine(Ports.TempDirectory(), "danted.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
            logoutput: stderr
            internal: 127.0.0.1 port = {{port}}
            external: 127.0.0.1
            clientmethod: none
            socksmethod: none
            user.privileged: root
            user.unprivileged: nobody
            client pass {
                from: 127.0.0.0/8 to: 0.0.0.0/0
            }
            socks block {
                from: 0.0.0.0/0 to: 127.0.0.1/32 port = {{refused}}
                command: connect
            }
            socks pass {
                from: 127.0.0.0/8 to: 127.0.0.0/8
                command: connect
                protocol: tcp
            }

            """));
        var proxy = new DanteSocksProxy(PeerProcess.Start(danted, ["-f", config, "-N", "1"]), port, refused);
        try
        {
            await proxy._process.WaitForLineAsync(l => l.Contains("running", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception)
        {
            await proxy.DisposeAsync();
            throw;
        }

        return proxy;
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
