using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Network;

/// <summary>
/// The TCP options of a bind line seen from outside: `mss` in the segment size the client is offered,
/// `defer-accept` in a connection that stays out of the proxy until its first bytes, `tfo` in the kernel's count
/// of SYNs whose data a listener took (in a namespace of the test's own, so the count is this test's alone).
/// </summary>
[Collection(nameof(NamespaceBindTests))]
public sealed class BindSocketOptionTests
{
    private const int TcpMaxSegment = 2;

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Frontend(string name, string bind) => $"""
        frontend {name}
            bind {bind}
            http-request return status 200 content-type text/plain string "{name}"
        """;

    private const string Defaults = """
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        """;

    private static int SegmentSizeOfferedBy(int port)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(IPAddress.Loopback, port);
        var value = new byte[4];
        client.GetRawSocketOption((int)SocketOptionLevel.Tcp, TcpMaxSegment, value);
        return BitConverter.ToInt32(value);
    }

    [Fact]
    public async Task Mss_IsTheSegmentSizeTheClientIsOffered()
    {
        var limited = Ports.FreeListeningPort();
        var plain = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            {Defaults}
            {Frontend("limited", $"127.0.0.1:{P(limited)} mss 1000")}
            {Frontend("plain", $"127.0.0.1:{P(plain)}")}
            """, [ReadyProbe.Tcp(plain)]);

        // The client's segment size is the offered 1000 less the TCP timestamps option it carries (12 bytes).
        Assert.InRange(SegmentSizeOfferedBy(limited), 960, 1000);
        Assert.True(SegmentSizeOfferedBy(plain) > 10000, "loopback's segment size without mss");
    }

    [Fact]
    public async Task DeferAccept_KeepsASilentConnectionOutOfTheProxyUntilItSends()
    {
        var port = Ports.FreeListeningPort();
        var admin = Path.Combine(Ports.TempDirectory(), "admin.sock");
        await using var sluice = await SluiceProcess.StartAsync($"""
            global
                stats socket {admin} level admin
            {Defaults}
            {Frontend("deferred", $"127.0.0.1:{P(port)} defer-accept")}
            """, []);
        await StatsPeers.WaitForUnixSocketAsync(admin);

        async Task<string> CurrentConnectionsAsync()
        {
            var info = await StatsPeers.UnixAsync(admin, "show info");
            return info.Split('\n').Single(l => l.StartsWith("CurrConns:", StringComparison.Ordinal))["CurrConns:".Length..].Trim();
        }

        // The kernel hands the silent connection over after its first SYN-ACK retransmission, about 1 s after the
        // connect: the count is read well before that, and read again on a new connection when a busy machine
        // made the reading itself come too late to tell.
        Socket? client = null;
        for (var attempt = 0; ; attempt++)
        {
            if (client is not null)
            {
                client.Dispose();
                await TestTimeout.WaitUntilAsync(async () => await CurrentConnectionsAsync() == "0");
            }

            client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var connected = System.Diagnostics.Stopwatch.StartNew();
            await client.ConnectAsync(IPAddress.Loopback, port);
            await Task.Delay(400);
            var current = await CurrentConnectionsAsync();
            if (connected.ElapsedMilliseconds < 800)
            {
                Assert.Equal("0", current);
                break;
            }

            Assert.True(attempt < 4, "every reading came more than 800 ms after its connect");
        }

        using var _ = client;

        await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        var answer = new byte[4096];
        var read = await client.ReceiveAsync(answer);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(answer, 0, read), StringComparison.Ordinal);
        Assert.Equal("1", await CurrentConnectionsAsync());
    }

    [Fact]
    public async Task Tfo_TakesTheRequestCarriedByTheSyn()
    {
        await using var net = new NetworkNamespaces();
        var ns = await net.AddAsync("t");
        await net.ExecAsync(ns, "sysctl", "-q", "-w", "net.ipv4.tcp_fastopen=3");
        await using var sluice = await SluiceProcess.StartInNamespaceAsync(ns, $"""
            {Defaults}
            {Frontend("fast", "127.0.0.1:8020 tfo")}
            """);

        var curl = CommandRunner.Require("curl", "curl");
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while ((await NetworkNamespaces.TryRunAsync(NetworkNamespaces.Ip, "netns", "exec", ns, curl, "-sS", "--max-time", "3", "http://127.0.0.1:8020/")).StandardOutput != "fast")
        {
            Assert.True(DateTime.UtcNow < deadline, "never served:\n" + sluice.Output.Text);
            await Task.Delay(100);
        }

        // The first fast-open connection fetches a cookie; the ones after it carry their request in the SYN.
        for (var i = 0; i < 3; i++)
        {
            var fetched = await net.ExecAsync(ns, curl, "-sS", "--tcp-fastopen", "--max-time", "3", "http://127.0.0.1:8020/");
            Assert.Equal("fast", fetched.StandardOutput);
        }

        var counters = await net.ExecAsync(ns, "cat", "/proc/net/netstat");
        Assert.True(PassiveFastOpens(counters.StandardOutput) >= 2, counters.StandardOutput);
    }

    /// <summary>TcpExt's TCPFastOpenPassive: SYNs with data that a listener accepted.</summary>
    private static long PassiveFastOpens(string netstat)
    {
        var lines = netstat.Split('\n').Where(l => l.StartsWith("TcpExt:", StringComparison.Ordinal)).ToArray();
        var names = lines[0].Split(' ');
        var values = lines[1].Split(' ');
        return long.Parse(values[Array.IndexOf(names, "TCPFastOpenPassive")], CultureInfo.InvariantCulture);
    }
}
