using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;

namespace Sluice.Tests.Config;

/// <summary>`accept-proxy`, `expect-proxy`, `send-proxy*` and `proxy-v2-options`, with HAProxy 2.6's messages.</summary>
public sealed class ProxyProtocolKeywordsTests : IDisposable
{
    private const string Defaults = "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-pp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (SluiceConfig? Config, List<string> Lines) Load(string frontend, string servers)
    {
        var path = Path.Combine(_dir, "t.cfg");
        File.WriteAllText(path, $"{Defaults}frontend f\n    bind 127.0.0.1:8080 accept-proxy\n{frontend}    default_backend b\nbackend b\n{servers}");
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load([path], _ => null, diagnostics);
        return (config, diagnostics.Items.Select(d => AlertFormatter.Format(d).Replace(path, "t.cfg", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public void SendProxyOptionsCombineAsHAProxys()
    {
        var (config, lines) = Load(
            "    tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }\n",
            "    default-server send-proxy-v2-ssl-cn\n    server a 127.0.0.1:80\n    server b 127.0.0.1:80 no-send-proxy-v2-ssl-cn proxy-v2-options crc32c,authority\n    server c 127.0.0.1:80 no-send-proxy-v2 send-proxy\n");
        Assert.Empty(lines);
        Assert.True(config!.Frontends[0].Binds[0].AcceptProxy);
        Assert.True(config.Frontends[0].ExpectsProxyHeader);
        var servers = config.Backends[0].Servers;
        Assert.Equal(new SendProxyConfig(false, true, ProxyV2Options.Ssl | ProxyV2Options.CertCn), servers[0].SendProxy);
        Assert.Equal(new SendProxyConfig(false, true, ProxyV2Options.Ssl | ProxyV2Options.Crc32c | ProxyV2Options.Authority), servers[1].SendProxy);
        Assert.Equal(new SendProxyConfig(true, false, ProxyV2Options.Ssl | ProxyV2Options.CertCn), servers[2].SendProxy);
    }

    [Theory]
    [InlineData("    tcp-request connection expect-proxy\n", "", "[ALERT] parsing [t.cfg:8] : 'tcp-request connection expect-proxy' only supports 'layer4' in frontend 'f' (got '')")]
    [InlineData("    tcp-request connection expect-proxy layer5\n", "", "[ALERT] parsing [t.cfg:8] : 'tcp-request connection expect-proxy' only supports 'layer4' in frontend 'f' (got 'layer5')")]
    [InlineData("", "    server s 127.0.0.1:80 send-proxy-v2 proxy-v2-options ssl,foo\n", "[ALERT] parsing [t.cfg:10] : 'server b/s' : 'foo' : proxy v2 option not implemented.")]
    [InlineData("", "    server s 127.0.0.1:80 send-proxy-v2 proxy-v2-options\n", "[ALERT] parsing [t.cfg:10] : 'server b/s' : '' : proxy v2 option not implemented.")]
    public void MistakesAreAlerts(string frontend, string servers, string alert)
    {
        var (config, lines) = Load(frontend, servers == string.Empty ? "    server s 127.0.0.1:80\n" : servers);
        Assert.Null(config);
        Assert.Contains(alert, lines);
    }
}
