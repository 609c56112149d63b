using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Network;

/// <summary>
/// `source 0.0.0.0 usesrc client|clientip|ADDR` (seed 004's transparent proxying): client, Sluice and a haproxy
/// server each in a namespace of the test's, the server routing back through Sluice's namespace, where the
/// replies to the client's address are delivered locally. The server reports the source it saw. And the other
/// half of transparent proxying: connections the client makes to the server's addresses are delivered to Sluice
/// (`bind ... transparent`), which forwards each to the address it was meant for (`server NAME 0.0.0.0`).
/// </summary>
[Collection(nameof(NamespaceBindTests))]
public sealed class UseSourceTests : IAsyncLifetime
{
    private readonly NetworkNamespaces _net = new();
    private string _client = string.Empty;
    private string _proxy = string.Empty;
    private string _server = string.Empty;
    private string _net10 = string.Empty;

    public async Task InitializeAsync()
    {
        _client = await _net.AddAsync("c");
        _proxy = await _net.AddAsync("p");
        _server = await _net.AddAsync("s");
        _net10 = "10." + _net.Subnet.ToString(CultureInfo.InvariantCulture);
        await _net.LinkAsync(_client, $"vc{_net.Tag}", $"{_net10}.0.2/24", _proxy, $"vp{_net.Tag}", $"{_net10}.0.1/24");
        await _net.LinkAsync(_proxy, $"vq{_net.Tag}", $"{_net10}.1.1/24", _server, $"vs{_net.Tag}", $"{_net10}.1.2/24");
        await _net.ExecAsync(_server, NetworkNamespaces.Ip, "route", "add", "default", "via", $"{_net10}.1.1");
        // What comes back from the server is for a socket of Sluice's, whatever its destination.
        await _net.ExecAsync(_proxy, NetworkNamespaces.Ip, "rule", "add", "from", $"{_net10}.1.2", "lookup", "100");
        await _net.ExecAsync(_proxy, NetworkNamespaces.Ip, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100");
    }

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private async Task<string?> CurlAsync(string ns, string url)
    {
        var result = await NetworkNamespaces.TryRunAsync(NetworkNamespaces.Ip, "netns", "exec", ns, CommandRunner.Require("curl", "curl"), "-sS", "--max-time", "5", url);
        return result.ExitCode == 0 ? result.StandardOutput : null;
    }

    private async Task<string> WaitServedAsync(string ns, string url, string what)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (true)
        {
            if (await CurlAsync(ns, url) is { } body)
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task TheServerSeesTheClientsAddress()
    {
        await using var server = await StartServerAsync($"http://{_net10}.1.2/", $"""
                bind {_net10}.1.2:80
                http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port] %[req.hdr(x-client-port)]"
            """);

        string Pair(int port, string usesrc) => $"""
            frontend f{port}
                bind {_net10}.0.1:{port}
                http-request set-header X-Client-Port %[src_port]
                default_backend b{port}
            backend b{port}
                server app {_net10}.1.2:80 source 0.0.0.0 usesrc {usesrc}
            """;
        await using var sluice = await SluiceProcess.StartInNamespaceAsync(_proxy, $"""
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 2s
            {Pair(81, "client")}
            {Pair(82, "clientip")}
            {Pair(83, _net10 + ".7.7")}
            """);

        // usesrc client: the client's address and port.
        var body = await WaitServedAsync(_client, $"http://{_net10}.0.1:81/", "sluice never answered:\n" + sluice.Output.Text);
        var (seen, clientPort) = (body.Split(' ')[0], body.Split(' ')[1]);
        Assert.Equal($"{_net10}.0.2:{clientPort}", seen);

        // usesrc clientip: the client's address.
        body = (await CurlAsync(_client, $"http://{_net10}.0.1:82/"))!;
        Assert.StartsWith($"{_net10}.0.2:", body, StringComparison.Ordinal);

        // usesrc ADDR: an address nobody owns.
        body = (await CurlAsync(_client, $"http://{_net10}.0.1:83/"))!;
        Assert.StartsWith($"{_net10}.7.7:", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InterceptedConnections_ServerAtZeroAddress_EachGoesToItsOriginalDestination()
    {
        // The client reaches the server's network through Sluice's namespace, which takes every packet of the
        // client's for itself; the server answers on two addresses with the destination it saw.
        await _net.ExecAsync(_client, NetworkNamespaces.Ip, "route", "add", $"{_net10}.1.0/24", "via", $"{_net10}.0.1");
        await _net.ExecAsync(_proxy, NetworkNamespaces.Ip, "rule", "add", "from", $"{_net10}.0.2", "lookup", "101");
        await _net.ExecAsync(_proxy, NetworkNamespaces.Ip, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "101");
        // Not .1.2, whose packets the proxy namespace keeps for itself (the replies of usesrc above).
        await _net.ExecAsync(_server, NetworkNamespaces.Ip, "addr", "add", $"{_net10}.1.3/24", "dev", $"vs{_net.Tag}");
        await _net.ExecAsync(_server, NetworkNamespaces.Ip, "addr", "add", $"{_net10}.1.4/24", "dev", $"vs{_net.Tag}");
        await using var server = await StartDestinationEchoAsync($"http://{_net10}.1.2/", 8080, 8081);

        await using var sluice = await SluiceProcess.StartInNamespaceAsync(_proxy, $"""
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 2s
            frontend intercept
                bind 0.0.0.0:80 transparent
                bind 0.0.0.0:8080 transparent
                default_backend original
            backend original
                server clear 0.0.0.0
            frontend persist
                bind 0.0.0.0:8081 transparent
                default_backend layer7
            backend layer7
                option transparent
                cookie SRV
                server a {_net10}.1.3:8080 cookie a
            """);

        Assert.Equal($"{_net10}.1.3:80", await WaitServedAsync(_client, $"http://{_net10}.1.3/", "sluice never answered:\n" + sluice.Output.Text));
        Assert.Equal($"{_net10}.1.4:80", await CurlAsync(_client, $"http://{_net10}.1.4/"));
        Assert.Equal($"{_net10}.1.3:8080", await CurlAsync(_client, $"http://{_net10}.1.3:8080/"));

        // `option transparent`: the original destination, unless a cookie names a server.
        Assert.Equal($"{_net10}.1.4:8081", await CurlAsync(_client, $"http://{_net10}.1.4:8081/"));
        var persisted = await NetworkNamespaces.TryRunAsync(NetworkNamespaces.Ip, "netns", "exec", _client, CommandRunner.Require("curl", "curl"), "-sS", "--max-time", "5", "-b", "SRV=a", $"http://{_net10}.1.4:8081/");
        Assert.Equal($"{_net10}.1.3:8080", persisted.StandardOutput);
        Assert.Contains(sluice.Output.Lines, l => l.Contains("layer7/<NOSRV>", StringComparison.Ordinal));
    }

    /// <summary>
    /// Connections netfilter redirected to Sluice (nftables `redirect`): `dst` is the destination the client asked
    /// for (SO_ORIGINAL_DST), as in HAProxy, so a server at `0.0.0.0` forwards each where it was going.
    /// </summary>
    [Fact]
    public async Task RedirectedConnections_DestinationIsTheOriginalOne()
    {
        var nft = CommandRunner.Require("nft", "nftables");
        await _net.ExecAsync(_client, NetworkNamespaces.Ip, "route", "add", $"{_net10}.1.0/24", "via", $"{_net10}.0.1");
        await _net.ExecAsync(_server, NetworkNamespaces.Ip, "addr", "add", $"{_net10}.1.3/24", "dev", $"vs{_net.Tag}");
        await _net.ExecAsync(_proxy, nft, "add", "table", "ip", "nat");
        await _net.ExecAsync(_proxy, nft, "add chain ip nat prerouting { type nat hook prerouting priority -100; }");
        await _net.ExecAsync(_proxy, nft, "add", "rule", "ip", "nat", "prerouting", "ip", "saddr", $"{_net10}.0.2", "tcp", "dport", "8082", "redirect", "to", ":9082");
        await using var server = await StartDestinationEchoAsync($"http://{_net10}.1.3/", 8082);

        await using var sluice = await SluiceProcess.StartInNamespaceAsync(_proxy, $"""
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 2s
            frontend redirected
                bind 0.0.0.0:9082
                http-request set-header x-dst %[dst]:%[dst_port]
                default_backend original
            backend original
                server clear 0.0.0.0
            """);

        Assert.Equal($"{_net10}.1.3:8082", await WaitServedAsync(_client, $"http://{_net10}.1.3:8082/", "sluice never answered:\n" + sluice.Output.Text));
    }

    /// <summary>
    /// haproxy in the server's namespace, answering on port 80 and <paramref name="ports"/> with the destination it
    /// saw (`dst:dst_port`); returned once <paramref name="probeUrl"/> answers from the proxy's namespace.
    /// </summary>
    private Task<PeerProcess> StartDestinationEchoAsync(string probeUrl, params int[] ports) =>
        StartServerAsync(probeUrl, "    bind :80\n" + string.Concat(ports.Select(p => $"    bind :{p}\n"))
            + "    http-request return status 200 content-type text/plain lf-string \"%[dst]:%[dst_port]\"\n");

    /// <summary>
    /// haproxy in the server's namespace with one HTTP frontend of <paramref name="frontend"/>'s lines; returned once
    /// <paramref name="probeUrl"/> answers from the proxy's namespace.
    /// </summary>
    private async Task<PeerProcess> StartServerAsync(string probeUrl, string frontend)
    {
        var config = Path.Combine(Ports.TempDirectory(), "server.cfg");
        await File.WriteAllTextAsync(config, "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 2s\nfrontend app\n" + frontend + "\n");
        var server = PeerProcess.Start(NetworkNamespaces.Ip, ["netns", "exec", _server, CommandRunner.Require("haproxy", "haproxy"), "-db", "-f", config]);
        try
        {
            await WaitServedAsync(_proxy, probeUrl, "haproxy never answered:\n" + server.Output.Text);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }
}
