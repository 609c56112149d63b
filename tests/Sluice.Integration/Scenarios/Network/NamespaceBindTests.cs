using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Network;

/// <summary>
/// `bind ... interface`, `namespace` and `transparent`, with Sluice run inside a network namespace of the test's
/// and curl in another, joined by a veth pair: nothing outside those namespaces is touched.
/// </summary>
[Collection(nameof(NamespaceBindTests))]
public sealed class NamespaceBindTests : IAsyncLifetime
{
    private readonly NetworkNamespaces _net = new();
    private string _proxy = string.Empty;
    private string _client = string.Empty;
    private string _proxyAddress = string.Empty;

    private const string Defaults = """
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        """;

    public async Task InitializeAsync()
    {
        _proxy = await _net.AddAsync("p");
        _client = await _net.AddAsync("c");
        var subnet = _net.Subnet.ToString(CultureInfo.InvariantCulture);
        _proxyAddress = $"10.{subnet}.0.1";
        await _net.LinkAsync(_proxy, $"vp{_net.Tag}", _proxyAddress + "/24", _client, $"vc{_net.Tag}", $"10.{subnet}.0.2/24");
    }

    public async Task DisposeAsync() => await _net.DisposeAsync();

    private static string Frontend(string name, string bind) => $"""
        frontend {name}
            bind {bind}
            http-request return status 200 content-type text/plain string "{name}"
        """;

    /// <summary>curl from inside a namespace; the body, or null when the connection failed.</summary>
    private async Task<string?> CurlAsync(string ns, string address, int port)
    {
        var url = $"http://{address}:{port.ToString(CultureInfo.InvariantCulture)}/";
        var result = await NetworkNamespaces.TryRunAsync(NetworkNamespaces.Ip, "netns", "exec", ns, CommandRunner.Require("curl", "curl"), "-sS", "--max-time", "5", url);
        return result.ExitCode == 0 ? result.StandardOutput : null;
    }

    /// <summary>Waits until Sluice answers there (it starts inside the namespace, out of the test's reach).</summary>
    private async Task WaitServedAsync(SluiceProcess sluice, string ns, string address, int port)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (await CurlAsync(ns, address, port) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "never served:\n" + sluice.Output.Text);
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Interface_AcceptsOnlyWhatArrivesOnIt()
    {
        var device = $"vp{_net.Tag}";
        await using var sluice = await SluiceProcess.StartInNamespaceAsync(_proxy, $"""
            {Defaults}
            {Frontend("onveth", $"0.0.0.0:8001 interface {device}")}
            {Frontend("onlo", "0.0.0.0:8002 interface lo")}
            """);
        await WaitServedAsync(sluice, _proxy, "127.0.0.1", 8002);

        Assert.Equal("onveth", await CurlAsync(_client, _proxyAddress, 8001));
        Assert.Null(await CurlAsync(_client, _proxyAddress, 8002));
        Assert.Equal("onlo", await CurlAsync(_proxy, "127.0.0.1", 8002));
        Assert.Null(await CurlAsync(_proxy, "127.0.0.1", 8001));
    }

    [Fact]
    public async Task Namespace_OpensTheSocketInTheNamedNamespace()
    {
        await using var sluice = await SluiceProcess.StartInNamespaceAsync(_proxy, $"""
            {Defaults}
            {Frontend("home", "127.0.0.1:8003")}
            {Frontend("away", $"127.0.0.1:8004 namespace {_client}")}
            """);
        await WaitServedAsync(sluice, _client, "127.0.0.1", 8004);

        Assert.Equal("away", await CurlAsync(_client, "127.0.0.1", 8004));
        Assert.Null(await CurlAsync(_proxy, "127.0.0.1", 8004));
        Assert.Equal("home", await CurlAsync(_proxy, "127.0.0.1", 8003));
        Assert.Null(await CurlAsync(_client, "127.0.0.1", 8003));
    }

    [Fact]
    public async Task Transparent_BindsAndServesAnAddressTheHostDoesNotOwn()
    {
        // Traffic for 10.N.9.0/24 is routed to the proxy's namespace and delivered locally there by a rule of its
        // own table, while the address stays unassigned: only a transparent socket may bind it.
        var subnet = _net.Subnet.ToString(CultureInfo.InvariantCulture);
        var foreign = $"10.{subnet}.9.9";
        await _net.ExecAsync(_proxy, NetworkNamespaces.Ip, "rule", "add", "to", $"10.{subnet}.9.0/24", "lookup", "100");
        await _net.ExecAsync(_proxy, NetworkNamespaces.Ip, "route", "add", "local", $"10.{subnet}.9.0/24", "dev", "lo", "table", "100");
        await _net.ExecAsync(_client, NetworkNamespaces.Ip, "route", "add", $"10.{subnet}.9.0/24", "via", _proxyAddress);

        var plain = Path.Combine(Ports.TempDirectory(), "plain.cfg");
        await File.WriteAllTextAsync(plain, $"{Defaults}\n{Frontend("plain", foreign + ":8005")}\n");
        var refused = await NetworkNamespaces.TryRunAsync(NetworkNamespaces.Ip, "netns", "exec", _proxy, "dotnet", SluiceBinary.DllPath, "-f", plain);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"[ALERT] Starting frontend plain: cannot bind socket (Cannot assign requested address) [{foreign}:8005]", refused.StandardError, StringComparison.Ordinal);

        await using var sluice = await SluiceProcess.StartInNamespaceAsync(_proxy, $"""
            {Defaults}
            {Frontend("transparent", foreign + ":8005 transparent")}
            """);
        await WaitServedAsync(sluice, _client, foreign, 8005);
        Assert.Equal("transparent", await CurlAsync(_client, foreign, 8005));
    }
}
