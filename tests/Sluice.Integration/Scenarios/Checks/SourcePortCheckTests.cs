using System.Globalization;
using System.Net.Sockets;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// Seed 004: "if you see SOCKERR in the logs (mainly on health checks), you may be running out of TCP source ports".
/// Checks leave from the server's `source` like the traffic; once the traffic holds every port of its range, the
/// check fails with HAProxy's socket error and the server goes down; ports given back bring it up again.
/// </summary>
public sealed class SourcePortCheckTests
{
    [Fact]
    public async Task ExhaustedSourceRange_CheckFailsWithSocketError_ThenRecovers()
    {
        await using var server = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        var first = Ports.FreeListeningPortRange(3);
        var range = $"{first.ToString(CultureInfo.InvariantCulture)}-{(first + 2).ToString(CultureInfo.InvariantCulture)}";
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode tcp
                timeout connect 2s
                timeout client 30s
                timeout server 30s
            listen tunnel
                bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
                server s {server.Address} source 127.0.0.1:{range} check inter 150 fall 1 rise 1
            """, [ReadyProbe.Tcp(port)]);

        // Take every port of the range with tunnels that echo (a tunnel opened while a check held a port fails: retry).
        var held = new List<Socket>();
        try
        {
            var deadline = DateTime.UtcNow + TestTimeout.Value;
            while (held.Count < 3)
            {
                Assert.True(DateTime.UtcNow < deadline, "could not hold three tunnels:\n" + sluice.Output.Text);
                var tunnel = await TestClient.ConnectTcpAsync(port);
                try
                {
                    Assert.Equal("held", await TestClient.EchoRoundTripAsync(tunnel, "held").WaitAsync(TimeSpan.FromSeconds(2)));
                    held.Add(tunnel);
                }
                catch (Exception ex) when (ex is IOException or SocketException or TimeoutException or Xunit.Sdk.XunitException)
                {
                    tunnel.Dispose();
                }
            }

            var down = await sluice.Output.WaitForAsync(l => l.Contains("Server tunnel/s is DOWN", StringComparison.Ordinal));
            Assert.Contains("Server tunnel/s is DOWN, reason: Socket error, info: \"Source port range exhausted\"", down[0], StringComparison.Ordinal);
        }
        finally
        {
            foreach (var tunnel in held)
            {
                tunnel.Dispose();
            }
        }

        await sluice.Output.WaitForAsync(l => l.Contains("Server tunnel/s is UP", StringComparison.Ordinal));
    }
}
