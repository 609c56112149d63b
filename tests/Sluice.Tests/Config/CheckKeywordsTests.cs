using System.Text.RegularExpressions;
using System.Net;
using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Config.Sections;

namespace Sluice.Tests.Config;

/// <summary>The health-check keywords of server lines and proxies.</summary>
public sealed class CheckKeywordsTests : IDisposable
{
    private const string Defaults = "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-checks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (SluiceConfig? Config, List<string> Lines) Load(string text)
    {
        var path = Path.Combine(_dir, "t.cfg");
        File.WriteAllText(path, text);
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load([path], _ => null, diagnostics);
        return (config, diagnostics.Items.Select(d => AlertFormatter.Format(d).Replace(path, "t.cfg", StringComparison.Ordinal)).ToList());
    }

    private (SluiceConfig? Config, List<string> Lines) LoadBackend(string lines) =>
        Load($"{Defaults}frontend f\n    bind 127.0.0.1:8080\n    default_backend b\nbackend b\n{lines}");

    [Fact]
    public void Server_NoCheckSettings_HAProxyDefaults()
    {
        var (config, lines) = LoadBackend("    server s 127.0.0.1:80\n");
        Assert.Empty(lines);
        var check = config!.Backends[0].Servers[0].Check;
        Assert.False(check.Enabled);
        Assert.Equal((TimeSpan.FromSeconds(2), 2, 3), (check.Inter, check.Rise, check.Fall));
        Assert.Null(check.FastInter);
        Assert.Null(check.DownInter);
        Assert.Equal(HealthCheckKind.Tcp, config.Backends[0].HealthCheck.Kind);
    }

    [Fact]
    public void Server_CheckSettings_Parsed()
    {
        var (config, lines) = LoadBackend("    server s 127.0.0.1:80 check inter 500 fastinter 100ms downinter 3s rise 4 fall 5 port 8081 addr 127.0.0.2\n");
        Assert.Empty(lines);
        var check = config!.Backends[0].Servers[0].Check;
        Assert.True(check.Enabled);
        Assert.Equal(TimeSpan.FromMilliseconds(500), check.Inter);
        Assert.Equal(TimeSpan.FromMilliseconds(100), check.FastInter);
        Assert.Equal(TimeSpan.FromSeconds(3), check.DownInter);
        Assert.Equal((4, 5, 8081), (check.Rise, check.Fall, check.Port));
        Assert.Equal(IPAddress.Parse("127.0.0.2"), check.Address);
    }

    [Fact]
    public void Server_ObserveSettings_Read()
    {
        var (config, lines) = LoadBackend("    server s 127.0.0.1:80 check observe layer7 error-limit 3 on-error sudden-death on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions slowstart 20s\n");
        Assert.Empty(lines);
        var check = config!.Backends[0].Servers[0].Check;
        Assert.Equal((ObserveMode.Layer7, 3, ObserveErrorAction.SuddenDeath), (check.Observe, check.ErrorLimit, check.OnError));
        Assert.True(check.ShutdownSessionsOnDown);
        Assert.True(check.ShutdownBackupSessionsOnUp);
        Assert.Equal(TimeSpan.FromSeconds(20), check.SlowStart);
    }

    [Fact]
    public void DefaultServer_CheckInherited_NoCheckTurnsItOff()
    {
        var (config, lines) = LoadBackend("    default-server check inter 1s fall 2\n    server a 127.0.0.1:80\n    server b 127.0.0.1:81 no-check\n");
        Assert.Empty(lines);
        var (a, b) = (config!.Backends[0].Servers[0].Check, config.Backends[0].Servers[1].Check);
        Assert.True(a.Enabled);
        Assert.Equal((TimeSpan.FromSeconds(1), 2), (a.Inter, a.Fall));
        Assert.False(b.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(1), b.Inter);
    }

    [Theory]
    [InlineData("server s 127.0.0.1:80 check rise 0", "'server b/s' : 'rise' has to be > 0.")]
    [InlineData("server s 127.0.0.1:80 check fall x", "'server b/s' : 'fall' expects an integer argument.")]
    [InlineData("server s 127.0.0.1:80 check inter 0", "'server b/s' : invalid value 0 for argument 'inter'.")]
    [InlineData("server s 127.0.0.1:80 check inter 2x", "'server b/s' : unexpected character 'x' in 'inter' argument.")]
    [InlineData("server s 127.0.0.1:80 check port 70000", "'server b/s' : 'port' : invalid port '70000', expects an integer between 1 and 65535.")]
    [InlineData("server s 127.0.0.1:80 check addr nowhere", "'server b/s' : 'addr' expects <ipv4|ipv6> as argument (got 'nowhere').")]
    [InlineData("server s 127.0.0.1:80 check agent-check", "'server b/s' : server s does not have agent port. Agent check has been disabled.")]
    [InlineData("server s 127.0.0.1:80 agent-check agent-port 80 agent-addr nowhere", "'server b/s' : parsing agent-addr failed. Check if 'nowhere' is correct address..")]
    [InlineData("server s 127.0.0.1:80 agent-check agent-port 80 agent-send", "'server b/s' : 'agent-send' expects a string as argument..")]
    [InlineData("server s 127.0.0.1:80 check check-sni", "'server b/s' : 'check-sni' : missing SNI")]
    [InlineData("server s 127.0.0.1:80 check slowstart x", "'server b/s' : unexpected character 'x' in 'slowstart' argument of server s..")]
    [InlineData("server s 127.0.0.1:80 check observe layer9", "'server b/s' : 'observe' expects one of 'none', 'layer4', 'layer7' but got 'layer9'.")]
    [InlineData("server s 127.0.0.1:80 check error-limit 0", "'server b/s' : error-limit has to be > 0..")]
    [InlineData("server s 127.0.0.1:80 check error-limit", "'server b/s' : 'error-limit' expects an integer argument..")]
    [InlineData("server s 127.0.0.1:80 check on-error foo", "'server b/s' : 'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got 'foo'.")]
    [InlineData("server s 127.0.0.1:80 check on-marked-down x", "'server b/s' : 'on-marked-down' expects 'shutdown-sessions' but got 'x'.")]
    [InlineData("server s 127.0.0.1:80 check on-marked-up y", "'server b/s' : 'on-marked-up' expects 'shutdown-backup-sessions' but got 'y'.")]
    [InlineData("mode tcp\n    server s 127.0.0.1:80 check observe layer7", "'server b/s' : 'layer7' can only be used in http proxies.")]
    [InlineData("http-check expect hdr name x", "'http-check expect' : 'hdr' is not supported yet.")]
    [InlineData("http-check expect status", "'http-check expect' : 'status' expects <pattern> as an argument.")]
    [InlineData("http-check expect status 2x0", "'http-check expect' : invalid status codes '2x0'.")]
    [InlineData("http-check expect rstatus (", "'http-check expect' : failed to compile regex '(': Invalid pattern '(' at offset 1. Not enough )'s.")]
    [InlineData("http-check expect bogus x", "'http-check expect' : 'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got 'bogus' as argument..")]
    [InlineData("tcp-check expect bogus x", "'tcp-check expect' : 'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got 'bogus' as argument..")]
    [InlineData("tcp-check expect min-recv", "'tcp-check expect' : 'min-recv' expects a integer as argument..")]
    [InlineData("tcp-check send x\n    tcp-check connect", "'tcp-check connect' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset.")]
    [InlineData("option httpchk\n    http-check expect status 200\n    http-check connect", "'http-check connect' : first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset.")]
    [InlineData("tcp-check connect sni a.test", "'tcp-check connect' : 'sni' is not supported yet.")]
    [InlineData("tcp-check send-lf %[src]", "'tcp-check send-lf' : log-format arguments are not supported yet.")]
    [InlineData("http-check send uri-lf /%[src]", "'http-check send' : 'uri-lf' is not supported yet.")]
    [InlineData("http-check send meth", "'http-check send' : 'meth' expects a method as argument.")]
    [InlineData("http-check send foo", "'http-check send' expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got 'foo' as argument.")]
    [InlineData("option httpchk GET / HTTP/1.1 extra", "'option httpchk' cannot handle unexpected argument 'extra'.")]
    [InlineData("option spop-check", "option 'spop-check' is not supported yet.")]
    public void BadOrUnsupported_Alert(string line, string message)
    {
        var (config, lines) = LoadBackend("    " + line + "\n");
        Assert.Null(config);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^\[ALERT\] parsing \[t\.cfg:1\d\] : ") && l.EndsWith(" : " + message, StringComparison.Ordinal));
    }

    [Fact]
    public void HttpChk_NoArgument_OptionsSlashHttp10()
    {
        var (config, lines) = LoadBackend("    option httpchk\n    server s 127.0.0.1:80 check\n");
        Assert.Empty(lines);
        var check = config!.Backends[0].HealthCheck;
        Assert.Equal(HealthCheckKind.Http, check.Kind);
        Assert.Equal(("OPTIONS", "/", "HTTP/1.0"), (check.Request.Method, check.Request.Uri, check.Request.Version));
        Assert.Null(check.Expect);
    }

    [Fact]
    public void HttpChk_UriOnly_And_MethodUri()
    {
        var (one, _) = LoadBackend("    option httpchk /health\n");
        Assert.Equal(("OPTIONS", "/health"), (one!.Backends[0].HealthCheck.Request.Method, one.Backends[0].HealthCheck.Request.Uri));
        var (two, _) = LoadBackend("    option httpchk HEAD /ping\n");
        Assert.Equal(("HEAD", "/ping", "HTTP/1.0"), (two!.Backends[0].HealthCheck.Request.Method, two.Backends[0].HealthCheck.Request.Uri, two.Backends[0].HealthCheck.Request.Version));
    }

    [Fact]
    public void HttpChk_LegacyHeadersInVersion_SplitWithHAProxyWarning()
    {
        var (config, lines) = LoadBackend("    option httpchk GET /health HTTP/1.1\\r\\nHost:\\ www.example.com\\r\\nX-A:\\ b\n");
        Assert.Equal(["[WARNING] parsing [t.cfg:10] : 'option httpchk' : hiding headers or body at the end of the version string is deprecated. Please, consider to use 'http-check send' directive instead."], lines);
        var request = config!.Backends[0].HealthCheck.Request;
        Assert.Equal(("GET", "/health", "HTTP/1.1"), (request.Method, request.Uri, request.Version));
        Assert.Equal([new("Host", "www.example.com"), new("X-A", "b")], request.Headers);
        Assert.Null(request.Body);
    }

    [Fact]
    public void HttpChk_LegacyBodyInVersion_Split()
    {
        var ok = CheckKeywordParsers.ParseLegacyVersion("HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", out var version, out var headers, out var body, out var hidden);
        Assert.Null(ok);
        Assert.True(hidden);
        Assert.Equal("HTTP/1.1", version);
        Assert.Equal([new("Content-Length", "2")], headers);
        Assert.Equal("hi", body);
    }

    [Fact]
    public void HttpChk_LegacyHeaderWithoutColon_Alert()
    {
        var (config, lines) = LoadBackend("    option httpchk GET / HTTP/1.1\\r\\nHost\n");
        Assert.Null(config);
        Assert.Contains("[ALERT] parsing [t.cfg:10] : 'option httpchk' : invalid header 'Host' at the end of the version string.", lines);
    }

    [Fact]
    public void HttpCheckSend_OverridesOptionHttpChk()
    {
        var (config, lines) = LoadBackend("    option httpchk GET /a\n    http-check send meth HEAD ver HTTP/1.1 hdr Host www\n");
        Assert.Empty(lines);
        var request = config!.Backends[0].HealthCheck.Request;
        Assert.Equal(("HEAD", "/a", "HTTP/1.1"), (request.Method, request.Uri, request.Version));
        Assert.Equal([new("Host", "www")], request.Headers);
    }

    [Theory]
    [InlineData("status 200", 0, false)]
    [InlineData("! status 500", 0, true)]
    [InlineData("rstatus ^2", 1, false)]
    [InlineData("string ok", 2, false)]
    [InlineData("! rstring err", 3, true)]
    public void HttpCheckExpect_Parsed(string rule, int kind, bool negated)
    {
        var (config, lines) = LoadBackend($"    option httpchk\n    http-check expect {rule}\n");
        Assert.Empty(lines);
        var expect = config!.Backends[0].HealthCheck.Expect!;
        Assert.Equal(((HttpCheckExpectKind)kind, negated), (expect.Kind, expect.Negated));
    }

    [Fact]
    public void HttpCheckExpect_StatusList_Ranges()
    {
        Assert.Equal([(200, 200), (300, 399)], CheckKeywordParsers.ParseStatusCodes("200,300-399"));
        Assert.Null(CheckKeywordParsers.ParseStatusCodes("300-200"));
    }

    [Fact]
    public void HttpCheck_InheritedFromDefaults_BackendReplacesExpect()
    {
        var (config, lines) = Load(Defaults + "    option httpchk GET /d\n    http-check expect status 204\nfrontend f\n    bind 127.0.0.1:8080\n    default_backend b\nbackend b\n    http-check expect status 200\nbackend c\n");
        Assert.Empty(lines);
        Assert.Equal("/d", config!.Backends[0].HealthCheck.Request.Uri);
        Assert.Equal("200", config.Backends[0].HealthCheck.Expect!.Pattern);
        Assert.Equal("204", config.Backends[1].HealthCheck.Expect!.Pattern);
    }

    [Fact]
    public void NoOptionHttpChk_And_TcpCheck_BackToConnectChecks()
    {
        var (config, lines) = Load(Defaults + "    option httpchk\nfrontend f\n    bind 127.0.0.1:8080\n    default_backend b\nbackend b\n    no option httpchk\nbackend c\n    option tcp-check\nbackend d\n");
        Assert.Empty(lines);
        Assert.Equal([HealthCheckKind.Tcp, HealthCheckKind.Tcp, HealthCheckKind.Http], config!.Backends.Select(b => b.HealthCheck.Kind));
    }

    [Fact]
    public void TimeoutCheck_Read()
    {
        var (config, _) = LoadBackend("    timeout check 700ms\n");
        Assert.Equal(TimeSpan.FromMilliseconds(700), config!.Backends[0].Timeouts.Check);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:+1")]
    public void Check_ServerWithoutPort_NeedsCheckPort(string address)
    {
        var (config, lines) = LoadBackend($"    server t1 {address} check\n");
        Assert.Null(config);
        Assert.Contains("[ALERT] config : config: backend 'b': server 't1' has neither service port nor check port.", lines);
        var (withPort, none) = LoadBackend($"    server t1 {address} check port 8080\n");
        Assert.NotNull(withPort);
        Assert.Empty(none);
    }

    [Fact]
    public void HttpCheckRules_WithoutOptionHttpChk_IgnoredWithHAProxyWarning()
    {
        var (config, lines) = LoadBackend("    http-check expect status 200\n    server s 127.0.0.1:80 check\n");
        Assert.NotNull(config);
        Assert.Equal(["[WARNING] config : backend 'b' uses http-check rules without 'option httpchk', so the rules are ignored."], lines);
        Assert.Equal(HealthCheckKind.Tcp, config!.Backends[0].HealthCheck.Kind);
    }
}
