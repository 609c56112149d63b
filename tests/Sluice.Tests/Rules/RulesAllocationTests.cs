using Sluice.Messages;
using Sluice.Rules.Acls;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Rules;

/// <summary>
/// The common matchers and a header rewrite allocate nothing per request once warm (issue #6: "evaluation
/// allocates nothing per request in the common cases").
/// </summary>
public sealed class RulesAllocationTests
{
    private const int Iterations = 2000;

    private static HttpRequestHead Websocket() => Request("GET", "/api/v1/items?id=7",
        "Host: ws.example.com", "Connection: Upgrade", "Upgrade: websocket", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Content-Type: application/grpc", "User-Agent: test", "X-Forwarded-For: 198.51.100.7, 10.1.2.3");

    private static long AllocatedBy(Action action)
    {
        for (var i = 0; i < 200; i++)
        {
            action();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            action();
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public static TheoryData<string, bool> Matchers => new()
    {
        { "hdr(host) -i -m str WS.example.com", true },
        { "hdr_beg(host) -i ws.", true },
        { "hdr(connection) -i upgrade", true },
        { "hdr_cnt(sec-websocket-key) eq 1", true },
        { "req.hdr(content-type) -m str application/grpc", true },
        { "path_beg /api", true },
        { "path_beg /static /images /api", true },
        { "method GET HEAD", true },
        { "method POST", false },
        { "method -i get foo", false },
        { "src 10.0.0.0/8 192.0.2.0/24", true },
        { "src 10.0.0.0/8", false },
        { "hdr(host) -m str " + string.Join(' ', Enumerable.Range(0, 20).Select(i => $"h{i}.example.com")) + " ws.example.com", true },
        { "hdr(host) -i -m str " + string.Join(' ', Enumerable.Range(0, 20).Select(i => $"h{i}.example.com")), false },
        { "url_param(id) 7", true },
        { "hdr_ip(x-forwarded-for) 10.0.0.0/8 192.0.2.0/24", true },
        { "hdr_ip(x-forwarded-for) 172.16.0.0/12", false },
        { "hdr(x-none) -m found", false },
    };

    [Theory]
    [MemberData(nameof(Matchers))]
    public void Acl_AfterWarmUp_AllocatesNothing(string line, bool expected)
    {
        using var request = Websocket();
        using var ctx = Context(request);
        var acl = ParseAcl(Words(line));
        Assert.Equal(expected, acl.Evaluate(ctx));
        Assert.Equal(0, AllocatedBy(() =>
        {
            ctx.ResetScratch();
            acl.Evaluate(ctx);
        }));
    }

    [Fact]
    public void Condition_SeedRules_AllocatesNothing()
    {
        var words = Words("if { hdr_beg(host) -i ws. } { hdr(connection) -i upgrade } { hdr_cnt(sec-websocket-key) eq 1 } || { req.hdr(content-type) -m str application/grpc } METH_GET");
        var condition = ConditionParser.Parse(words, 0, _ => null, RuleSite.HttpRequest(backend: false), [], out var error);
        Assert.NotNull(condition);
        using var request = Websocket();
        using var ctx = Context(request);
        Assert.True(condition!.Evaluate(ctx));
        Assert.Equal(0, AllocatedBy(() => condition.Evaluate(ctx)));
    }

    [Theory]
    [InlineData("%[req.hdr(host),lower]", "ws.example.com")]
    [InlineData("%{+Q}[str(abc)]", "abc")]
    [InlineData("%[src]:%[src_port] %[hdr_cnt(host)]", "192.0.2.10:51000 1")]
    public void SetHeader_AfterWarmUp_AllocatesNothing(string format, string expected)
    {
        var rules = new List<HttpRule> { new(new SetHeaderAction("x"u8.ToArray(), Format(format, RuleSite.HttpRequest(backend: false)), replace: true), null, "t:1") };
        using var request = new HttpRequestHead();
        using var ctx = Context(request);
        var result = new HttpRuleResult();
        void Once()
        {
            request.Reset();
            request.SetMethod("GET"u8);
            request.SetTarget("/api"u8);
            request.Headers.Add("host"u8, "WS.example.com"u8);
            request.Headers.Add("x"u8, "old"u8);
            HttpRuleRunner.Run(rules, 0, ctx, request, result, out _);
        }

        Once();
        Assert.Equal(["host: WS.example.com", "x: " + expected], Fields(request));
        Assert.Equal(0, AllocatedBy(Once));
    }

    [Fact]
    public void TcpContentRules_OnAnHttpRequest_AllocateNothing()
    {
        var site = RuleSite.TcpRequestContent(backend: false, http: true);
        var reject = ConditionParser.Parse(Words("if { path /no }"), 0, _ => null, site, [], out _);
        VariableNames.TryResolve("txn.path", out var path);
        VariableNames.TryResolve("txn.where", out var where);
        var rules = new List<TcpRule>
        {
            new(TcpRuleAction.Reject, reject, "t:1"),
            new(TcpRuleAction.SetVariable, null, "t:2") { Variable = path, Expression = Compile("path") },
            new(TcpRuleAction.SetVariableFormat, null, "t:3") { Variable = where, Format = Format("%[path]@%[src]", site) },
        };
        using var request = Websocket();
        using var ctx = Context(request);
        Assert.Equal(TcpVerdict.Accept, TcpRuleRunner.Run(rules, ctx));
        Assert.Equal("/api/v1/items@192.0.2.10", Evaluate(ctx, "var(txn.where)"));
        Assert.Equal(0, AllocatedBy(() => TcpRuleRunner.Run(rules, ctx)));
    }
}
