using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Rules.Actions;

/// <summary>
/// `tcp-request session`, `tcp-request content` in HTTP proxies and backends, and `tcp-response content`: where
/// each may be written, with haproxy 2.6's messages, and what the compiled rules do.
/// </summary>
public sealed class TcpRuleSetsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-tcprules-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (SluiceConfig? Config, List<string> Lines) Load(string frontend, string backend = "", string mode = "http")
    {
        var path = Path.Combine(_dir, "t.cfg");
        File.WriteAllText(path, $"defaults\n    mode {mode}\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\n"
            + $"frontend f\n    bind 127.0.0.1:8080\n    default_backend b\n{frontend}backend b\n    server s 127.0.0.1:80\n{backend}");
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load([path], _ => null, diagnostics);
        return (config, diagnostics.Items.Select(d => AlertFormatter.Format(d).Replace(path, "t.cfg", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public void HttpProxy_AllRuleSetsLoad_InTheirPlaces()
    {
        var (config, lines) = Load(
            "    tcp-request session set-var(sess.client) src\n"
            + "    tcp-request content reject if { path /no }\n"
            + "    tcp-request content capture req.hdr(host) len 8\n"
            + "    tcp-request content set-var-fmt(txn.where) %[path]-%[var(sess.client)]\n",
            "    tcp-request content accept if { be_name b }\n"
            + "    tcp-response content close if { status 405 }\n"
            + "    tcp-response content reject if { status 404 }\n");
        Assert.Empty(lines);
        var frontend = config!.Frontends[0];
        Assert.Single(frontend.TcpSessionRules);
        Assert.Equal(3, frontend.TcpContentRules.Count);
        Assert.Single(frontend.RequestCaptures);
        var backend = config.Backends[0];
        Assert.Single(backend.TcpContentRules);
        Assert.Equal([TcpRuleAction.Close, TcpRuleAction.Reject], backend.TcpResponseRules.Select(r => r.Action));
    }

    [Fact]
    public void ContentRules_SeeTheHttpRequest_SetVarFmtAndCapture()
    {
        var (config, lines) = Load(
            "    tcp-request content set-var-fmt(txn.where) %[path]@%[src]\n"
            + "    tcp-request content capture req.hdr(host) len 8\n"
            + "    tcp-request content reject if { path /no }\n");
        Assert.Empty(lines);
        var rules = config!.Frontends[0].TcpContentRules;
        using var request = Request("GET", "/yes", "Host: www.example.com");
        using var ctx = Context(request);
        ctx.Captures.Prepare([8], []);
        Assert.Equal(TcpVerdict.Accept, TcpRuleRunner.Run(rules, ctx));
        Assert.Equal("/yes@192.0.2.10", Evaluate(ctx, "var(txn.where)"));
        Assert.Equal("www.exam", Evaluate(ctx, "capture.req.hdr(0)"));

        using var refused = Request("GET", "/no");
        using var other = Context(refused);
        Assert.Equal(TcpVerdict.Reject, TcpRuleRunner.Run(rules, other));
    }

    [Fact]
    public void ResponseRules_CloseAndRejectOnStatus()
    {
        var (config, _) = Load("", "    tcp-response content set-var(txn.st) status\n    tcp-response content close if { status 405 }\n    tcp-response content reject if { status 404 }\n");
        var rules = config!.Backends[0].TcpResponseRules;
        foreach (var (status, verdict) in new[] { (200, TcpVerdict.Accept), (404, TcpVerdict.Reject), (405, TcpVerdict.Close) })
        {
            using var response = Response(status);
            using var ctx = Context(response: response);
            Assert.Equal(verdict, TcpRuleRunner.Run(rules, ctx));
            Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), Evaluate(ctx, "var(txn.st)"));
        }
    }

    [Fact]
    public void SessionVariables_CopiedIntoAnotherStore()
    {
        var (config, _) = Load("    tcp-request session set-var(sess.client) src\n    tcp-request session set-var(txn.not) str(x)\n");
        using var ctx = Context();
        Assert.Equal(TcpVerdict.Accept, TcpRuleRunner.Run(config!.Frontends[0].TcpSessionRules, ctx));
        Assert.True(ctx.Variables.HasSessionValues);
        using var later = Context();
        later.Variables.CopySessionFrom(ctx.Variables);
        Assert.Equal("192.0.2.10", Evaluate(later, "var(sess.client)"));
        Assert.Null(Evaluate(later, "var(txn.not)"));
    }

    [Theory]
    [InlineData("    tcp-response content accept\n", "", "[ALERT] parsing [t.cfg:9] : tcp-response content is only allowed in 'backend' sections or 'defaults' section with a name")]
    [InlineData("", "    tcp-request session accept\n", "[ALERT] parsing [t.cfg:11] : tcp-request session is not allowed because backend b is not a frontend")]
    [InlineData("", "    tcp-request connection reject\n", "[ALERT] parsing [t.cfg:11] : tcp-request connection is not allowed because backend b is not a frontend")]
    [InlineData("", "    tcp-response foo\n", "[ALERT] parsing [t.cfg:11] : 'tcp-response' expects 'inspect-delay' or 'content' in backend 'b' (got 'foo')")]
    [InlineData("", "    tcp-response inspect-delay\n", "[ALERT] parsing [t.cfg:11] : 'tcp-response inspect-delay' expects a positive delay in milliseconds, in backend 'b'")]
    [InlineData("", "    tcp-response content foo\n", "[ALERT] parsing [t.cfg:11] : 'tcp-response content' expects 'accept', 'close', 'reject', 'ot-group', 'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-mark', 'set-tos', 'silent-drop' in backend 'b' (got 'foo').")]
    [InlineData("", "    tcp-response content set-var(txn.x) req.hdr(foo)\n", "[ALERT] parsing [t.cfg:11] : fetch method 'set-var(txn.x)' extracts information from 'HTTP request headers', none of which is available here")]
    [InlineData("    tcp-request session set-var(sess.x) req.hdr(host)\n", "", "[ALERT] parsing [t.cfg:9] : fetch method 'set-var(sess.x)' extracts information from 'HTTP request headers', none of which is available here")]
    [InlineData("    tcp-request session capture src len 10\n", "", "[ALERT] parsing [t.cfg:9] : 'capture src' is not allowed in 'tcp-request session' rules in frontend 'f'")]
    [InlineData("    tcp-request session expect-proxy layer4\n", "", "[ALERT] parsing [t.cfg:9] : 'expect-proxy layer4' is not allowed in 'tcp-request session' rules in frontend 'f'")]
    [InlineData("    tcp-request content use-service prometheus-exporter\n", "", "[ALERT] parsing [t.cfg:9] : Prometheus exporter service only available on 'http-request' rulesets")]
    [InlineData("    tcp-request session close\n", "", "[ALERT] parsing [t.cfg:9] : 'tcp-request session' expects 'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', 'track-sc0' ... 'track-sc2', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', 'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop' in frontend 'f' (got 'close').")]
    public void Mistakes_AlertAsHAProxy(string frontend, string backend, string alert)
    {
        var (config, lines) = Load(frontend, backend);
        Assert.Null(config);
        Assert.Contains(alert, lines);
    }

    [Theory]
    [InlineData("    tcp-request content reject if { status 200 }\n", "", "[WARNING] parsing [t.cfg:9] : anonymous acl will never match in 'tcp-request content' because it uses keyword 'status' which is incompatible with 'frontend tcp-request content rule'")]
    [InlineData("", "    tcp-response content accept if { path /x }\n", "[WARNING] parsing [t.cfg:11] : anonymous acl will never match in 'tcp-response content' because it uses keyword 'path' which is incompatible with 'backend tcp-response content rule'")]
    [InlineData("    tcp-request content accept\n    tcp-request session accept\n", "", "[WARNING] parsing [t.cfg:10] : a 'tcp-request' rule placed after a 'tcp-request content' rule will still be processed before.")]
    public void Doubtful_WarnAsHAProxy(string frontend, string backend, string warning)
    {
        var (config, lines) = Load(frontend, backend);
        Assert.NotNull(config);
        Assert.Contains(warning, lines);
    }

    /// <summary>HAProxy's check-time warning for conditions on raw bytes in an HTTP proxy, once per rule, proxy by proxy.</summary>
    [Fact]
    public void HttpProxy_Layer6Conditions_WarnAsHAProxy()
    {
        var (config, lines) = Load(
            "    tcp-request content reject if { req.len gt 0 }\n    tcp-request content set-var(txn.x) req.len\n",
            "    tcp-response content reject if { res.payload(0,2) -m bin 0102 }\n    http-request deny if { req.payload(0,1) -m bin 00 } || { path /x }\n");
        Assert.NotNull(config);
        Assert.Equal(
            [
                "[WARNING] config : Proxy 'f': L6 sample fetches ignored on HTTP proxies (declared at t.cfg:9).",
                "[WARNING] config : Proxy 'b': L6 sample fetches ignored on HTTP proxies (declared at t.cfg:13).",
                "[WARNING] config : Proxy 'b': L6 sample fetches ignored on HTTP proxies (declared at t.cfg:14).",
            ],
            lines);
    }

    [Fact]
    public void ModeTcpBackend_ResponseRules_ReadTheResponseBuffer()
    {
        var (config, lines) = Load("", "    tcp-response inspect-delay 1s\n    tcp-response content reject if { res.payload(0,4) -m str BAD! }\n"
            + "    tcp-response content accept if { res.len ge 4 } || { res.payload_lv(0,1,+1) -m found }\n", mode: "tcp");
        Assert.Empty(lines);
        Assert.Equal(2, config!.Backends[0].TcpResponseRules.Count);
        Assert.Equal(TimeSpan.FromSeconds(1), config.Backends[0].ResponseInspectDelay);
    }
}
