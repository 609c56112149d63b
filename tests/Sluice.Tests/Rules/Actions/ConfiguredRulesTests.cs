using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Rules.Actions;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Rules.Actions;

/// <summary>
/// The seeds' rules as a configuration writes them, loaded and run on a request head: the whole path from
/// `haproxy.cfg` words to the changed head, and ACL errors with haproxy 2.6's full `[ALERT]` text.
/// </summary>
public sealed class ConfiguredRulesTests : IDisposable
{
    private const string Defaults = "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-rules-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (SluiceConfig? Config, List<string> Lines) Load(string frontend)
    {
        var path = Path.Combine(_dir, "t.cfg");
        File.WriteAllText(path, $"{Defaults}frontend f\n    bind 127.0.0.1:8080\n    default_backend b\n{frontend}backend b\n    server s 127.0.0.1:80\n");
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load([path], _ => null, diagnostics);
        return (config, diagnostics.Items.Select(d => AlertFormatter.Format(d).Replace(path, "t.cfg", StringComparison.Ordinal)).ToList());
    }

    private static RuleVerdict Run(SluiceConfig config, Sluice.Messages.HttpRequestHead request, out HttpRuleResult result)
    {
        using var ctx = Context(request);
        result = new HttpRuleResult();
        return HttpRuleRunner.Run(config.Frontends[0].HttpRequestRules, 0, ctx, request, result, out _);
    }

    [Fact]
    public void Seed004_WebsocketRules()
    {
        var (config, lines) = Load(
            "    acl is_websocket hdr(Upgrade) -i WebSocket\n"
            + "    acl is_websocket hdr_beg(Host) -i ws.\n"
            + "    http-request deny if is_websocket !{ hdr(Connection) -i upgrade }\n"
            + "    http-request deny if is_websocket !{ hdr_cnt(Sec-WebSocket-Key) eq 1 }\n"
            + "    http-request set-header X-SSL-Client-CN %{+Q}[str(abc)]\n");
        Assert.Empty(lines);
        using var good = Request("GET", "/chat", "Host: ws.example.com", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: k");
        Assert.Equal(RuleVerdict.Continue, Run(config!, good, out _));
        Assert.Equal("X-SSL-Client-CN: abc".ToLowerInvariant(), Fields(good)[^1].ToLowerInvariant());
        using var noKey = Request("GET", "/chat", "Host: ws.example.com", "Connection: Upgrade", "Upgrade: websocket");
        Assert.Equal(RuleVerdict.Reply, Run(config!, noKey, out var result));
        Assert.Equal((403, true), (result.Status, result.IsDenial));
        using var plain = Request("GET", "/", "Host: www.example.com");
        Assert.Equal(RuleVerdict.Continue, Run(config!, plain, out _));
    }

    [Fact]
    public void Seed002_PassphraseDeny()
    {
        var (config, lines) = Load("    http-request deny unless { req.hdr(mysecretpassphrase) -m str \"abc123\" }\n");
        Assert.Empty(lines);
        using var good = Request("POST", "/svc/Method", "mysecretpassphrase: abc123", "Content-Type: application/grpc");
        Assert.Equal(RuleVerdict.Continue, Run(config!, good, out _));
        using var bad = Request("POST", "/svc/Method", "mysecretpassphrase: ABC123");
        Assert.Equal(RuleVerdict.Reply, Run(config!, bad, out var result));
        Assert.Equal(403, result.Status);
    }

    [Fact]
    public void SetVarFmt_RendersTheFormatIntoTheVariable()
    {
        var (config, lines) = Load("    http-request set-var-fmt(txn.x) %[method]:%[path],%[src]\n    http-request set-var-fmt(txn.empty)\n    http-request set-header X-Var %[var(txn.x)]\n");
        Assert.Empty(lines);
        using var request = Request("PUT", "/a/b?q");
        Assert.Equal(RuleVerdict.Continue, Run(config!, request, out _));
        Assert.Equal("PUT:/a/b,192.0.2.10", Fields(request)[^1].Split(": ", 2)[1]);
    }

    [Theory]
    [InlineData("    acl a nosuch 1\n", "[ALERT] parsing [t.cfg:9] : error detected while parsing ACL 'a' : unknown fetch method 'nosuch' in ACL expression 'nosuch'.")]
    [InlineData("    acl a hdr(x) -m nosuch 1\n", "[ALERT] parsing [t.cfg:9] : error detected while parsing ACL 'a' : unknown matching method 'nosuch' when parsing ACL expression.")]
    [InlineData("    acl a src 1.2.3.999\n", "[ALERT] parsing [t.cfg:9] : error detected while parsing ACL 'a' : '1.2.3.999' is not a valid IPv4 or IPv6 address.")]
    [InlineData("    acl a hdr_cnt(x) eq abc\n", "[ALERT] parsing [t.cfg:9] : error detected while parsing ACL 'a' : 'abc' is not a number.")]
    [InlineData("    http-request deny if nosuch\n", "[ALERT] parsing [t.cfg:9] : error detected while parsing an 'http-request deny' condition : no such ACL : 'nosuch'.")]
    [InlineData("    http-request set-header X %[nosuch]\n", "[ALERT] parsing [t.cfg:9] : error detected in frontend 'f' while parsing 'http-request set-header' rule : failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'.")]
    public void Error_FullAlertAsHAProxy(string line, string expected)
    {
        var (_, lines) = Load(line);
        Assert.Contains(expected, lines);
    }
}
