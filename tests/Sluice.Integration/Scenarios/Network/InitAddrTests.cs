using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Network;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// `init-addr` with a server name that never resolves (`.invalid`, RFC 6761): the fallback address serves, `none`
/// leaves the server out, as under haproxy 2.6.
/// </summary>
public class InitAddrTests
{
    private static RecordingBackend Named(string name) => RecordingBackend.Start(_ => CannedResponse.Ok(name));

    private static string Config(int port, string servers) => Http.Config(port, servers, backend: "    balance roundrobin");

    [Fact]
    public async Task UnresolvableName_FallsBackToConfiguredAddress_SameAnswersAsHAProxy()
    {
        await using var backend = Named("fallback");
        var servers = $"server s1 nosuchhost.invalid:{backend.Port} init-addr libc,127.0.0.1";

        var haproxyPort = Ports.FreeListeningPort();
        string reference;
        await using (var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort, servers), haproxyPort))
        {
            reference = (await Http.CurlAsync(Http.Url(haproxyPort, "/"))).StandardOutput;
        }

        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, servers), [ReadyProbe.Tcp(port)]);
        var answer = await Http.CurlAsync(Http.Url(port, "/"));

        Assert.Equal("fallback", reference);
        Assert.Equal(reference, answer.StandardOutput);
        await sluice.Output.WaitForAsync(l => l.Contains("'server be/s1' : could not resolve address 'nosuchhost.invalid', falling back to configured address.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InitAddrNone_ServerWithoutAddressInMaintenance_OthersServe()
    {
        await using var unused = Named("s1");
        await using var other = Named("s2");

        // Were s1 not in maintenance, 0.0.0.0 on its port would reach `unused` through loopback.
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(
            Config(port, $"server s1 nosuchhost.invalid:{unused.Port} init-addr libc,none\n    server s2 {other.Address}"), [ReadyProbe.Tcp(port)]);
        var answers = await Http.CurlAsync("-w", "\\n", Http.Url(port, "/[1-6]"));

        Assert.Equal(Enumerable.Repeat("s2", 6), answers.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(unused.Requests);
        await sluice.Output.WaitForAsync(l => l.Contains("could not resolve address 'nosuchhost.invalid', disabling server.", StringComparison.Ordinal));
    }
}
