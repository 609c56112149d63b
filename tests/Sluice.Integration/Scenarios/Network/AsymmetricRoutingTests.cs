using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Network;

/// <summary>
/// Seed 004's asymmetric routing: a proxy with two default gateways, the second with a higher metric. A client
/// that reaches the proxy through the second gateway gets its answers only where the bind line says
/// `interface`: otherwise the kernel sends them to the first gateway, which has no way back to the client.
/// Five namespaces of the test's own (proxy, two gateways, client) joined by veth pairs.
/// </summary>
[Collection(nameof(NamespaceBindTests))]
public sealed class AsymmetricRoutingTests : IAsyncLifetime
{
    private readonly NetworkNamespaces _net = new();
    private string _proxy = string.Empty;
    private string _client = string.Empty;
    private string _secondLink = string.Empty;
    private string _proxyOnSecondLink = string.Empty;

    public async Task InitializeAsync()
    {
        _proxy = await _net.AddAsync("p");
        var first = await _net.AddAsync("g1");
        var second = await _net.AddAsync("g2");
        _client = await _net.AddAsync("c");
        var net = "10." + _net.Subnet.ToString(CultureInfo.InvariantCulture);
        var ip = NetworkNamespaces.Ip;
        _secondLink = $"vq{_net.Tag}";
        _proxyOnSecondLink = $"{net}.2.1";

        await _net.LinkAsync(_proxy, $"vp{_net.Tag}", $"{net}.1.1/24", first, $"va{_net.Tag}", $"{net}.1.254/24");
        await _net.LinkAsync(_proxy, _secondLink, $"{net}.2.1/24", second, $"vb{_net.Tag}", $"{net}.2.254/24");
        await _net.LinkAsync(second, $"vr{_net.Tag}", $"{net}.3.254/24", _client, $"vc{_net.Tag}", $"{net}.3.2/24");

        // The proxy: two default routes, the first gateway preferred (seed 004's `ip route default metric N`).
        await _net.ExecAsync(_proxy, ip, "route", "add", "default", "via", $"{net}.1.254", "metric", "1");
        await _net.ExecAsync(_proxy, ip, "route", "add", "default", "via", $"{net}.2.254", "metric", "2");
        await _net.ExecAsync(_proxy, "sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0", $"net.ipv4.conf.{_secondLink}.rp_filter=0");

        // Only the second gateway forwards, and only it knows the client's network.
        await _net.ExecAsync(second, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        await _net.ExecAsync(_client, ip, "route", "add", "default", "via", $"{net}.3.254");
    }

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private async Task<string?> CurlAsync(string ns, string address, int port)
    {
        var url = $"http://{address}:{port.ToString(CultureInfo.InvariantCulture)}/";
        var result = await NetworkNamespaces.TryRunAsync(NetworkNamespaces.Ip, "netns", "exec", ns, CommandRunner.Require("curl", "curl"), "-sS", "--max-time", "3", url);
        return result.ExitCode == 0 ? result.StandardOutput : null;
    }

    [Fact]
    public async Task ABindOnTheSecondInterface_AnswersThroughItsOwnGateway_APlainBindCannot()
    {
        await using var sluice = await SluiceProcess.StartInNamespaceAsync(_proxy, $"""
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend bound
                bind {_proxyOnSecondLink}:8010 interface {_secondLink}
                http-request return status 200 content-type text/plain string "through the second gateway"
            frontend plain
                bind {_proxyOnSecondLink}:8011
                http-request return status 200 content-type text/plain string "plain"
            """);

        // Served inside the proxy's namespace first: the listeners are up.
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (await CurlAsync(_proxy, _proxyOnSecondLink, 8011) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "never served:\n" + sluice.Output.Text);
            await Task.Delay(100);
        }

        Assert.Equal("through the second gateway", await CurlAsync(_client, _proxyOnSecondLink, 8010));
        Assert.Null(await CurlAsync(_client, _proxyOnSecondLink, 8011));
    }
}
