using System.Net;
using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;

namespace Sluice.Tests.Config;

/// <summary>`source ... [usesrc ...] [interface ...]` on backends and server lines, with HAProxy 2.6's messages.</summary>
public sealed class SourceKeywordsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-source-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (SluiceConfig? Config, List<string> Lines) Load(string backend)
    {
        var path = Path.Combine(_dir, "t.cfg");
        File.WriteAllText(path, $"defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\nbackend b\n{backend}");
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load([path], _ => null, diagnostics);
        return (config, diagnostics.Items.Select(d => AlertFormatter.Format(d).Replace(path, "t.cfg", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public void UseSourceAndInterfaceAreRead_AndServerOptionsGoOnAfterThem()
    {
        var (config, lines) = Load("    source 0.0.0.0 usesrc 10.0.0.1:99 interface lo\n    server a 127.0.0.1:80 source 0.0.0.0 usesrc client interface eth0 check\n    server b 127.0.0.1:80 source 10.0.0.2:2000-3000 usesrc clientip weight 7\n");
        Assert.Empty(lines);
        var backend = config!.Backends[0];
        Assert.Equal(UseSource.Address, backend.Source!.UseSource);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 99), backend.Source.UseSourceAddress);
        Assert.Equal("lo", backend.Source.Interface);
        Assert.Equal((UseSource.Client, "eth0"), (backend.Servers[0].Source!.UseSource, backend.Servers[0].Source!.Interface));
        Assert.True(backend.Servers[0].Check.Enabled);
        Assert.Equal((UseSource.ClientIp, 2000, 3000, 7), (backend.Servers[1].Source!.UseSource, backend.Servers[1].Source!.FirstPort, backend.Servers[1].Source!.LastPort, backend.Servers[1].Weight));
    }

    [Theory]
    [InlineData("    source 0.0.0.0 usesrc\n", "[ALERT] parsing [t.cfg:7] : 'usesrc' expects <addr>[:<port>], 'client', or 'clientip' as argument.")]
    [InlineData("    source 127.0.0.1:2000-2010 usesrc clientip\n", "[ALERT] parsing [t.cfg:7] : 'source 127.0.0.1:2000-2010' : port range not permitted here in '127.0.0.1:2000-2010'")]
    [InlineData("    source 0.0.0.0 bar\n", "[ALERT] parsing [t.cfg:7] : 'source' only supports optional keywords 'interface' and 'usesrc'.")]
    [InlineData("    server s 127.0.0.1:80 source 0.0.0.0 usesrc clientip interface\n", "[ALERT] parsing [t.cfg:7] : 'server b/s' : 'interface' : missing interface name.")]
    [InlineData("    server s 127.0.0.1:80 source 0.0.0.0 usesrc hdr_ip(x-forwarded-for,-1)\n", "[ALERT] parsing [t.cfg:7] : 'server b/s' : 'usesrc hdr_ip(...)' is not supported yet.")]
    public void MistakesAreAlerts(string backend, string alert)
    {
        var (config, lines) = Load(backend + "    server z 127.0.0.1:80\n");
        Assert.Null(config);
        Assert.Contains(alert, lines);
    }
}
