using System.Text;
using System.Text.RegularExpressions;
using Sluice.Logging;
using Sluice.Messages;
using Sluice.Rules.Acls;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Rules.Actions;

/// <summary>
/// http-request and http-response actions on message heads. Expected heads are what haproxy 2.6 forwards for
/// the same rule (read back with `lf-string "%[req.hdrs]"`, `%[url]`, or the redirect it answers).
/// </summary>
public sealed class HttpActionsTests
{
    private static readonly RuleSite Site = RuleSite.HttpRequest(backend: false);

    private static LogFormat Fmt(string text) => Format(text, Site);

    private static HttpRequestHead WithHeaders(string target = "/a/b?q=1") => Request("GET", target,
        "host: h.com", "x-a: one, two", "x-a: three", "x-foo-1: a", "x-foo-2: b", "x-bar: c");

    private static RuleVerdict Run(HttpAction action, SampleContext ctx, HttpMessageHead message, HttpRuleResult? result = null)
    {
        var rules = new List<HttpRule> { new(action, null, "test.cfg:1") };
        return HttpRuleRunner.Run(rules, 0, ctx, message, result ?? new HttpRuleResult(), out _);
    }

    public static TheoryData<string, string, string, string> RequestLineCases => new()
    {
        { "/a/b?q=1", "set-path", "/x/y", "GET /x/y?q=1" },
        { "/a/b?q=1", "set-pathq", "/x?z=2", "GET /x?z=2" },
        { "/a/b?q=1", "set-query", "z=2", "GET /a/b?z=2" },
        { "/a/b?q=1", "set-query", "?z=2", "GET /a/b??z=2" },
        { "/a/b?q=1", "set-query", "%[hdr(nope)]", "GET /a/b?" },
        { "/a/b", "set-query", "z=2", "GET /a/b?z=2" },
        { "/a/b?q=1", "set-uri", "/u?v", "GET /u?v" },
        { "/a/b?q=1", "set-method", "POST", "POST /a/b?q=1" },
        { "/a/b?q=1", "set-path", "%[path,regsub(^/a,/c)]", "GET /c/b?q=1" },
        { "/a/b?q=1", "set-path", "%[hdr(nope)]", "GET ?q=1" },
        { "http://h.com:81/a/b?q=1", "set-path", "/x/y", "GET http://h.com:81/x/y?q=1" },
        { "http://h.com:81/a/b?q=1", "set-pathq", "/x?z=2", "GET http://h.com:81/x?z=2" },
        { "http://h.com:81/a/b?q=1", "set-query", "z=2", "GET http://h.com:81/a/b?z=2" },
        { "http://h.com:81/a/b?q=1", "set-query", "?z=2", "GET http://h.com:81/a/b??z=2" },
        { "http://h.com:81/a/b?q=1", "set-uri", "/u?v", "GET /u?v" },
        { "http://h.com:81/a/b?q=1", "set-path", "%[path,regsub(^/a,/c)]", "GET http://h.com:81/c/b?q=1" },
    };

    [Theory]
    [MemberData(nameof(RequestLineCases))]
    public void SetRequestLine_AsHAProxy(string target, string action, string format, string expected)
    {
        var part = action switch
        {
            "set-path" => RequestLinePart.Path,
            "set-pathq" => RequestLinePart.PathAndQuery,
            "set-query" => RequestLinePart.Query,
            "set-uri" => RequestLinePart.Uri,
            _ => RequestLinePart.Method,
        };
        using var request = Request("GET", target, "host: h.com:81");
        using var ctx = Context(request);
        Assert.Equal(RuleVerdict.Continue, Run(new SetRequestLineAction(part, Fmt(format)), ctx, request));
        Assert.Equal(expected, $"{Encoding.Latin1.GetString(request.MethodBytes)} {Encoding.Latin1.GetString(request.Target)}");
    }

    [Fact]
    public void SetMethod_ClassifiesTheNewMethod()
    {
        using var request = Request("GET", "/");
        using var ctx = Context(request);
        Run(new SetRequestLineAction(RequestLinePart.Method, Fmt("POST")), ctx, request);
        Assert.Equal(Sluice.Messages.HttpMethod.Post, request.Method);
        Assert.True(Matches(ctx, "method", "POST"));
    }

    public static TheoryData<string, string[]> HeaderCases => new()
    {
        { "replace-header x-a ^(t)(.*) \\2-\\1", ["host: h.com", "x-a: one, two", "x-a: hree-t", "x-foo-1: a", "x-foo-2: b", "x-bar: c"] },
        { "replace-value x-a ^(t)(.*) \\2-\\1", ["host: h.com", "x-a: one,wo-t", "x-a: hree-t", "x-foo-1: a", "x-foo-2: b", "x-bar: c"] },
        { "replace-header x-a (.*) [\\1]", ["host: h.com", "x-a: [one, two]", "x-a: [three]", "x-foo-1: a", "x-foo-2: b", "x-bar: c"] },
        { "replace-value x-a (.*) [\\1]", ["host: h.com", "x-a: [one],[two]", "x-a: [three]", "x-foo-1: a", "x-foo-2: b", "x-bar: c"] },
        { "replace-header x-a nomatch x", ["host: h.com", "x-a: one, two", "x-a: three", "x-foo-1: a", "x-foo-2: b", "x-bar: c"] },
        { "del-header x-a", ["host: h.com", "x-foo-1: a", "x-foo-2: b", "x-bar: c"] },
        { "del-header X-A", ["host: h.com", "x-foo-1: a", "x-foo-2: b", "x-bar: c"] },
        { "del-header x-foo -m beg", ["host: h.com", "x-a: one, two", "x-a: three", "x-bar: c"] },
        { "del-header -1 -m end", ["host: h.com", "x-a: one, two", "x-a: three", "x-foo-2: b", "x-bar: c"] },
        { "del-header foo -m sub", ["host: h.com", "x-a: one, two", "x-a: three", "x-bar: c"] },
        { "del-header ^x-f.*2$ -m reg", ["host: h.com", "x-a: one, two", "x-a: three", "x-foo-1: a", "x-bar: c"] },
        { "del-header X-FOO-1 -m str", ["host: h.com", "x-a: one, two", "x-a: three", "x-foo-2: b", "x-bar: c"] },
        { "set-header x-a new", ["host: h.com", "x-foo-1: a", "x-foo-2: b", "x-bar: c", "x-a: new"] },
        { "add-header x-a new", ["host: h.com", "x-a: one, two", "x-a: three", "x-foo-1: a", "x-foo-2: b", "x-bar: c", "x-a: new"] },
        { "set-header x-new %[hdr(x-a,1)]", ["host: h.com", "x-a: one, two", "x-a: three", "x-foo-1: a", "x-foo-2: b", "x-bar: c", "x-new: one"] },
        { "set-header x-a %[hdr(x-a)]-%[req.fhdr_cnt(x-a)]", ["host: h.com", "x-foo-1: a", "x-foo-2: b", "x-bar: c", "x-a: three-2"] },
        { "set-header x-ssl-client-cn %{+Q}[str(abc)]", ["host: h.com", "x-a: one, two", "x-a: three", "x-foo-1: a", "x-foo-2: b", "x-bar: c", "x-ssl-client-cn: abc"] },
    };

    [Theory]
    [MemberData(nameof(HeaderCases))]
    public void HeaderActions_AsHAProxy(string rule, string[] expected)
    {
        using var request = WithHeaders();
        using var ctx = Context(request);
        Run(Parse(rule), ctx, request);
        Assert.Equal(expected, Fields(request));
    }

    /// <summary>The action of `http-request RULE` for the header actions, compiled as the configuration does.</summary>
    private static HttpAction Parse(string rule)
    {
        var words = rule.Split(' ');
        var name = Encoding.Latin1.GetBytes(words[1].ToLowerInvariant());
        return words[0] switch
        {
            "set-header" or "add-header" => new SetHeaderAction(name, Fmt(words[2]), words[0] == "set-header"),
            "replace-header" or "replace-value" => new ReplaceHeaderAction(name, new Regex(words[2]), Fmt(words[3]), words[0] == "replace-value"),
            _ => words.Length > 2
                ? new DeleteHeaderAction(words[3] == "reg" ? Encoding.Latin1.GetBytes(words[1]) : name, AclParser.ParseMethod(words[3])!.Value, words[3] == "reg" ? new Regex(words[1]) : null)
                : new DeleteHeaderAction(name, MatchMethod.Str, null),
        };
    }

    [Fact]
    public void DeleteHeaderRegex_MatchesTheLowerCaseName()
    {
        using var request = Request("GET", "/", "Host: h", "X-Foo-1: a", "X-Foo-2: b");
        using var ctx = Context(request);
        Run(new DeleteHeaderAction("^x-f.*2$"u8.ToArray(), MatchMethod.Reg, new Regex("^x-f.*2$")), ctx, request);
        Assert.Equal(["Host: h", "X-Foo-1: a"], Fields(request));
    }

    [Fact]
    public void SetHeader_OnResponse()
    {
        using var request = Request("GET", "/", "host: h");
        using var response = Response(200, "server: x", "Server: y");
        using var ctx = Context(request, response);
        Run(new SetHeaderAction("server"u8.ToArray(), Format("%[status]-%[req.hdr(host)]", RuleSite.HttpResponse(backend: false)), replace: true), ctx, response);
        Assert.Equal(["server: 200-h"], Fields(response));
    }

    [Theory]
    [InlineData(404, null, "Not Found")]
    [InlineData(503, "Gone Fishing", "Gone Fishing")]
    public void SetStatus_StatusAndReason(int status, string? reason, string expectedReason)
    {
        using var response = Response(200);
        using var ctx = Context(Request("GET", "/"), response);
        Run(new SetStatusAction(status, reason is null ? null : Encoding.Latin1.GetBytes(reason)), ctx, response);
        Assert.Equal((status, expectedReason), (response.Status, Encoding.Latin1.GetString(response.Reason)));
    }

    [Fact]
    public void SetStatus_OnRequest_NoEffect()
    {
        using var request = Request("GET", "/");
        using var ctx = Context(request);
        Assert.Equal(RuleVerdict.Continue, Run(new SetStatusAction(404, null), ctx, request));
    }

    [Fact]
    public void SetVar_ThenUnsetVar()
    {
        VariableNames.TryResolve("txn.actiontest", out var variable);
        using var request = Request("GET", "/path", "host: h");
        using var ctx = Context(request);
        Run(new SetVariableAction(variable!, Compile("req.hdr(host),upper")), ctx, request);
        Assert.Equal("H", Evaluate(ctx, "var(txn.actiontest)"));
        Run(new SetVariableAction(variable!, Compile("hdr(nope)")), ctx, request);
        Assert.Equal("H", Evaluate(ctx, "var(txn.actiontest)"));
        Run(new SetVariableAction(variable!, null), ctx, request);
        Assert.Null(Evaluate(ctx, "var(txn.actiontest)"));
    }

    public static TheoryData<string, string, int, bool, bool, string?, string, string[]> RedirectCases => new()
    {
        { "Location", "/new", 302, false, false, null, "/a/b?q=1", ["location: /new", "cache-control: no-cache"] },
        { "Location", "/new", 301, false, false, null, "/a/b?q=1", ["location: /new"] },
        { "Prefix", "/p", 302, false, false, null, "/a/b?q=1", ["location: /p/a/b?q=1", "cache-control: no-cache"] },
        { "Prefix", "/", 302, false, false, null, "/a/b?q=1", ["location: /a/b?q=1", "cache-control: no-cache"] },
        { "Prefix", "https://x.org", 302, true, false, null, "/a/b?q=1", ["location: https://x.org/a/b", "cache-control: no-cache"] },
        { "Prefix", "/p", 302, false, true, null, "/a/b?q=1", ["location: /p/a/b?q=1/", "cache-control: no-cache"] },
        { "Prefix", "/p", 302, true, true, null, "/a/b?q=1", ["location: /p/a/b/", "cache-control: no-cache"] },
        { "Prefix", "/p", 302, false, true, null, "/a/", ["location: /p/a/", "cache-control: no-cache"] },
        { "Scheme", "https", 302, false, false, null, "/a/b?q=1", ["location: https://h.com/a/b?q=1", "cache-control: no-cache"] },
        { "Scheme", "https", 308, true, true, null, "/a/b?q=1", ["location: https://h.com/a/b/"] },
        { "Scheme", "https", 307, false, false, null, "/a/b?q=1", ["location: https://h.com/a/b?q=1", "cache-control: no-cache"] },
        { "Location", "/l", 302, false, false, "SEEN=1; path=/;", "/a/b?q=1", ["location: /l", "cache-control: no-cache", "set-cookie: SEEN=1; path=/;"] },
        { "Location", "/%[hdr(host)]/x", 303, false, false, null, "/a/b?q=1", ["location: /h.com/x", "cache-control: no-cache"] },
        { "Location", "/x/%[hdr(nope)]/%{+Q}[str(q)]", 302, false, false, null, "/a/b?q=1", ["location: /x//q", "cache-control: no-cache"] },
    };

    [Theory]
    [MemberData(nameof(RedirectCases))]
    public void Redirect_AsHAProxy(string kind, string target, int code, bool dropQuery, bool appendSlash, string? cookie, string path, string[] expected)
    {
        using var request = Request("GET", path, "host: h.com");
        using var ctx = Context(request);
        var result = new HttpRuleResult();
        Assert.Equal(RuleVerdict.Reply, Run(new RedirectAction(Enum.Parse<RedirectAction.Kind>(kind), Fmt(target), code, dropQuery, appendSlash, cookie), ctx, request, result));
        Assert.Equal(code, result.Status);
        Assert.NotNull(result.Reply);
        Assert.Equal(expected, result.Reply!.Headers.Select(h => $"{Encoding.Latin1.GetString(h.Name)}: {Encoding.Latin1.GetString(h.Value)}"));
    }

    [Fact]
    public void Runner_StopsAtFinalAction_SkipsFalseConditions()
    {
        using var request = Request("GET", "/", "host: h");
        using var ctx = Context(request);
        var never = ConditionParser.Parse(["if", "FALSE"], 0, _ => null, Site, [], out _);
        var rules = new List<HttpRule>
        {
            new(new SetHeaderAction("x-1"u8.ToArray(), Fmt("a"), replace: true), never, "t:1"),
            new(new SetHeaderAction("x-2"u8.ToArray(), Fmt("b"), replace: true), null, "t:2"),
            new(new AllowAction(), null, "t:3"),
            new(new SetHeaderAction("x-3"u8.ToArray(), Fmt("c"), replace: true), null, "t:4"),
        };
        Assert.Equal(RuleVerdict.Allow, HttpRuleRunner.Run(rules, 0, ctx, request, new HttpRuleResult(), out var next));
        Assert.Equal(3, next);
        Assert.Equal(["host: h", "x-2: b"], Fields(request));
    }

    [Fact]
    public void EarlyHint_ConsecutiveRulesGrouped_ConditionOrOtherActionEndsTheGroup()
    {
        using var request = WithHeaders();
        using var ctx = Context(request);
        var result = new HttpRuleResult();
        // `unless` nothing: a condition that always holds.
        var always = new Condition(unless: true, [], "unless");
        List<HttpRule> rules =
        [
            new(new EarlyHintAction("link"u8.ToArray(), Fmt("</a.css>")), null, "t:1"),
            new(new EarlyHintAction("link"u8.ToArray(), Fmt("</b.js>")), null, "t:2"),
            new(new EarlyHintAction("x-path"u8.ToArray(), Fmt("%[path]")), always, "t:3"),
            new(new SetHeaderAction("x-b"u8.ToArray(), Fmt("1"), replace: true), null, "t:4"),
        ];

        Assert.Equal(RuleVerdict.SendEarlyHints, HttpRuleRunner.Run(rules, 0, ctx, request, result, out var next));
        Assert.Equal(2, next);
        Assert.Equal(103, result.EarlyHints.Status);
        var hints = result.EarlyHints.Headers;
        var first = hints.IndexOf("link"u8);
        Assert.Equal("</a.css>", Encoding.Latin1.GetString(hints.Value(first)));
        Assert.Equal("</b.js>", Encoding.Latin1.GetString(hints.Value(hints.IndexOf("link"u8, first + 1))));
        result.EarlyHintsPending = false;

        Assert.Equal(RuleVerdict.SendEarlyHints, HttpRuleRunner.Run(rules, next, ctx, request, result, out next));
        Assert.Equal(3, next);
        Assert.False(result.EarlyHints.Headers.Contains("link"u8));
        result.EarlyHintsPending = false;
        Assert.Equal(RuleVerdict.Continue, HttpRuleRunner.Run(rules, next, ctx, request, result, out _));
    }

    [Fact]
    public void EarlyHint_Http10Request_NothingToSend()
    {
        using var request = Request("GET", "/", "host: h");
        request.Version = HttpVersion.Http10;
        using var ctx = Context(request);
        Assert.Equal(RuleVerdict.Continue, Run(new EarlyHintAction("link"u8.ToArray(), Fmt("x")), ctx, request));
    }
}
