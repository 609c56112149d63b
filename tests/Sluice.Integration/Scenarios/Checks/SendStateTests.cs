using System.Globalization;
using System.Text;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// `http-check send-state`: the check request carries `x-haproxy-server-state`, byte for byte as haproxy 2.6 sends
/// it on the same configuration to the same server (a python peer that prints what arrives).
/// </summary>
public class SendStateTests
{
    private static string Config(int port, string server) => $"""
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
            default_backend be
        backend be
            option httpchk
            http-check send meth GET uri /health ver HTTP/1.1 hdr Host check.test
            http-check send-state
            server s1 {server} check inter 300 weight 3
        """;

    /// <summary>The first two check requests the peer receives after <paramref name="seen"/> lines, as text.</summary>
    private static async Task<string[]> NextChecksAsync(PythonPeer peer, int seen)
    {
        var lines = await peer.Output.WaitForAsync(l => l.StartsWith("GOT ", StringComparison.Ordinal), seen + 2);
        return [.. lines.Skip(seen).Take(2).Select(l => Encoding.Latin1.GetString(Convert.FromHexString(l["GOT ".Length..])))];
    }

    [Fact]
    public async Task SendState_CheckRequestsCarryTheServerState_AsHAProxy()
    {
        var reply = Path.Combine(Ports.TempDirectory(), "reply");
        await File.WriteAllTextAsync(reply, "HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n");
        await using var peer = await PythonPeer.StartAgentServerAsync(reply);

        string[] expected;
        var haPort = Ports.FreeListeningPort();
        await using (var haproxy = await HAProxyPeer.StartAsync(Config(haPort, peer.Address), haPort))
        {
            expected = await NextChecksAsync(peer, 0);
        }

        var seen = peer.Output.Lines.Count(l => l.StartsWith("GOT ", StringComparison.Ordinal));
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, peer.Address), [ReadyProbe.Tcp(port)]);
        var actual = await NextChecksAsync(peer, seen);

        // The first check finds the server "going down" (health at rise), the second fully up.
        Assert.Contains($"x-haproxy-server-state: UP 1/3; address=127.0.0.1; port={peer.Port.ToString(CultureInfo.InvariantCulture)}; name=be/s1; node=", expected[0], StringComparison.Ordinal);
        Assert.Contains("; weight=3/3; scur=0/0; qcur=0\r\n", expected[1], StringComparison.Ordinal);
        Assert.Equal(expected, actual);
    }
}
