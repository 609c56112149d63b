using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;

namespace Sluice.Tests.Config;

/// <summary>`maxconnrate`, `maxsessrate`, `maxsslrate`, `maxsslconn` and `rate-limit sessions`, with haproxy 2.6's messages.</summary>
public sealed class RateLimitKeywordsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-ratelimit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (SluiceConfig? Config, List<string> Lines) Load(string text)
    {
        var path = Path.Combine(_dir, "t.cfg");
        File.WriteAllText(path, text);
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load([path], _ => null, diagnostics);
        return (config, diagnostics.Items.Select(d => AlertFormatter.Format(d).Replace(path, "t.cfg", StringComparison.Ordinal)).ToList());
    }

    private const string Timeouts = "    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\n";

    [Fact]
    public void LimitsAreRead_AndRateLimitIsInheritedFromDefaults()
    {
        var (config, lines) = Load("global\n    maxconnrate 100\n    maxsessrate 50\n    maxsslrate 10\n    maxsslconn 7\n"
            + "defaults\n" + Timeouts + "    rate-limit sessions 5\nfrontend a\n    bind :8080\nfrontend b\n    bind :8081\n    rate-limit sessions 0\n");
        Assert.Empty(lines);
        var global = config!.Global;
        Assert.Equal((100, 50, 10, 7), (global.MaxConnRate, global.MaxSessRate, global.MaxSslRate, global.MaxSslConn));
        Assert.Equal((5, 0), (config.Frontends[0].SessionRateLimit, config.Frontends[1].SessionRateLimit));
    }

    [Theory]
    [InlineData("    rate-limit sessions\n", "[ALERT] parsing [t.cfg:7] : 'rate-limit sessions' expects expects an integer value (in sessions/second)")]
    [InlineData("    rate-limit foo 3\n", "[ALERT] parsing [t.cfg:7] : 'rate-limit' only supports 'sessions' (got 'foo')")]
    public void MistakesAreAlerts(string line, string alert)
    {
        var (config, lines) = Load("defaults\n" + Timeouts + "frontend f\n    bind :8080\n" + line);
        Assert.Null(config);
        Assert.Contains(alert, lines);
    }

    [Fact]
    public void InABackend_IgnoredWithHaproxysWarning()
    {
        var (config, lines) = Load("defaults\n" + Timeouts + "backend b\n    rate-limit sessions 3\n    server s 127.0.0.1:80\n");
        Assert.NotNull(config);
        Assert.Contains("[WARNING] parsing [t.cfg:6] : rate-limit sessions will be ignored because backend 'b' has no frontend capability", lines);
    }
}
