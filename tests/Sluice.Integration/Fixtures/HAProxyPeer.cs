using System.Globalization;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Fixtures;

/// <summary>Debian's haproxy run beside a test with a configuration of the test's, in the foreground (`-db`).</summary>
internal static class HAProxyPeer
{
    /// <summary>Starts haproxy on <paramref name="config"/> and waits until it listens on every port of <paramref name="ports"/>.</summary>
    public static async Task<PeerProcess> StartAsync(string config, params int[] ports)
    {
        var directory = Ports.TempDirectory();
        var file = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(file, config + "\n");
        var haproxy = PeerProcess.Start(CommandRunner.Require("haproxy", "haproxy"), ["-db", "-f", file]);
        try
        {
            foreach (var port in ports)
            {
                await WaitListeningAsync(port, haproxy);
            }
        }
        catch
        {
            await haproxy.DisposeAsync();
            throw;
        }

        return haproxy;
    }

    private static async Task WaitListeningAsync(int port, PeerProcess haproxy)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (true)
        {
            if (haproxy.HasExited)
            {
                throw new InvalidOperationException($"haproxy exited with {haproxy.ExitCode}:\n{haproxy.Output.Text}");
            }

            try
            {
                using var socket = await TestClient.ConnectTcpAsync(port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    public static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
