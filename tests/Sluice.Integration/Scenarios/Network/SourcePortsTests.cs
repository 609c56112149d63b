using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Network;

/// <summary>
/// Where server connections leave from, in a namespace of the test's whose kernel ephemeral range is cut down to
/// four ports: a server's `source ADDR:LOW-HIGH` range takes Sluice past what the kernel alone allows towards
/// one server, a `defaults` section's `source` is its proxies' source address, and `source ... interface NAME`
/// binds the server connection to that interface.
/// </summary>
[Collection(nameof(NamespaceBindTests))]
public sealed class SourcePortsTests : IAsyncLifetime
{
    private const int Clients = 10;
    private readonly NetworkNamespaces _net = new();
    private string _ns = string.Empty;

    private static string P(int value) => value.ToString(CultureInfo.InvariantCulture);

    public async Task InitializeAsync()
    {
        _ns = await _net.AddAsync("p");
        await _net.ExecAsync(_ns, "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=50000 50003");
        // An interface of its own, not the loopback: one end of a veth pair kept in the namespace.
        await _net.ExecAsync(_ns, NetworkNamespaces.Ip, "link", "add", "va" + _net.Tag, "type", "veth", "peer", "name", "vb" + _net.Tag);
        await _net.ExecAsync(_ns, NetworkNamespaces.Ip, "addr", "add", "10.254.0.1/24", "dev", "va" + _net.Tag);
        await _net.ExecAsync(_ns, NetworkNamespaces.Ip, "link", "set", "va" + _net.Tag, "up");
        await _net.ExecAsync(_ns, NetworkNamespaces.Ip, "link", "set", "vb" + _net.Tag, "up");
    }

    public async Task DisposeAsync() => await _net.DisposeAsync();

    [Fact]
    public async Task AServersRange_ReachesPastTheKernelsEphemeralPorts_DefaultsGiveTheAddress_InterfaceBinds()
    {
        await using var sluice = await SluiceProcess.StartInNamespaceAsync(_ns, $"""
            defaults sourced
                mode tcp
                timeout connect 2s
                timeout client 20s
                timeout server 20s
                source 127.0.0.2
            listen defaulted
                bind 127.0.0.1:80
                server hold 127.0.0.1:90
            defaults
                mode tcp
                timeout connect 2s
                timeout client 20s
                timeout server 20s
            listen ranged
                bind 127.0.0.1:81
                server hold 127.0.0.1:90 source 127.0.0.1:20000-20019
            listen kernel
                bind 127.0.0.1:82
                server hold 127.0.0.1:90
            listen on-lo
                bind 127.0.0.1:83
                server hold 127.0.0.1:90 source 127.0.0.1:20100-20109 interface lo
            listen on-veth
                bind 127.0.0.1:84
                server hold 127.0.0.1:90 source 127.0.0.1:20110-20119 interface va{_net.Tag}
            frontend hold
                mode http
                bind 127.0.0.1:90
                http-request return status 200
            """);

        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (!(await ExchangeAsync(90)).Contains("HTTP/1.1 200", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "sluice never answered:\n" + sluice.Output.Text);
            await Task.Delay(100);
        }

        // Ten clients, each from a port of its own, stay connected to each listener; the server holds the
        // connections Sluice opens, waiting for a request that never comes.
        var ranged = await HeldServerConnectionsAsync(81, 30000);
        var kernel = await HeldServerConnectionsAsync(82, 30100);
        Assert.Equal(Clients, ranged.Count);
        Assert.All(ranged, source => Assert.Matches(@"^127\.0\.0\.1:200[01][0-9]$", source));
        Assert.True(kernel.Count is >= 1 and <= 4, "kernel ports: " + string.Join(' ', kernel));
        Assert.All(kernel, source => Assert.Matches(@"^127\.0\.0\.1:5000[0-3]$", source));

        // The `source` of a defaults section is the address of its proxies' server connections.
        var defaulted = await HeldServerConnectionsAsync(80, 30200);
        Assert.NotEmpty(defaulted);
        Assert.All(defaulted, source => Assert.StartsWith("127.0.0.2:", source, StringComparison.Ordinal));

        var onLo = await ExchangeAsync(83);
        var onVeth = await ExchangeAsync(84);
        Assert.Contains("HTTP/1.1 200", onLo, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP/1.1 200", onVeth, StringComparison.Ordinal);
    }

    /// <summary>
    /// Connects <see cref="Clients"/> clients to <paramref name="port"/> inside the namespace, then counts the
    /// connections the server at port 90 holds from Sluice through that listener; their source addresses and ports.
    /// </summary>
    private async Task<List<string>> HeldServerConnectionsAsync(int port, int firstClientPort)
    {
        var before = await ServerSidePortsAsync();
        await using var clients = PeerProcess.Start(NetworkNamespaces.Ip,
        [
            "netns", "exec", _ns, PythonPeer.Python, "-u", "-c",
            $"""
            import socket, sys, time
            held = []
            for i in range({Clients}):
                s = socket.socket()
                s.bind(("127.0.0.1", {firstClientPort} + i))
                s.connect(("127.0.0.1", {port}))
                held.append(s)
            print("connected", flush=True)
            time.sleep(30)
            """,
        ]);
        await clients.WaitForLineAsync(l => l == "connected");
        List<string> now = [];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        do
        {
            await Task.Delay(300);
            var count = now.Count;
            now = [.. (await ServerSidePortsAsync()).Except(before)];
            if (now.Count == Clients || (now.Count == count && count > 0))
            {
                break;
            }
        }
        while (DateTime.UtcNow < deadline);
        return now;
    }

    /// <summary>The source `address:port` of each established connection to the server at 127.0.0.1:90.</summary>
    private async Task<List<string>> ServerSidePortsAsync()
    {
        var ss = await _net.ExecAsync(_ns, CommandRunner.Require("ss", "iproute2"), "-Htn", "state", "established", "( dport = :90 )");
        return [.. ss.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2])];
    }

    /// <summary>
    /// An HTTP request through <paramref name="port"/> inside the namespace; what came back, or curl's error. curl
    /// leaves from ports of its own: the held connections may have taken the namespace's four ephemeral ones.
    /// </summary>
    private async Task<string> ExchangeAsync(int port)
    {
        var result = await NetworkNamespaces.TryRunAsync(NetworkNamespaces.Ip, "netns", "exec", _ns,
            CommandRunner.Require("curl", "curl"), "-sS", "-i", "--max-time", "5", "--local-port", "31000-31099", $"http://127.0.0.1:{P(port)}/");
        return result.StandardOutput + result.StandardError;
    }
}
