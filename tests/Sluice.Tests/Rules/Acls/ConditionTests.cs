using System.Net;
using Sluice.Messages;
using HttpVersion = Sluice.Messages.HttpVersion;
using Sluice.Rules.Acls;
using Sluice.Rules.Samples;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Rules.Acls;

/// <summary>`if`/`unless` conditions and predefined ACLs, checked against haproxy 2.6.</summary>
public sealed class ConditionTests
{
    private static readonly Dictionary<string, Acl> Named = BuildNamed();

    private static Dictionary<string, Acl> BuildNamed()
    {
        // acl one hdr(x-n) 1 / acl one hdr(x-n) 42: several lines with one name are OR'ed.
        var one = new Acl("one");
        one.Add(ParseAcl("hdr(x-n)", "1"));
        one.Add(ParseAcl("hdr(x-n)", "42"));
        var two = new Acl("two");
        two.Add(ParseAcl("hdr(x-n)", "1"));
        var has = new Acl("has");
        has.Add(ParseAcl("hdr(x-s)", "-m", "found"));
        var resp = new Acl("resp");
        resp.Add(ParseAcl("res.hdr(x)", "foo"));
        return new Dictionary<string, Acl> { ["one"] = one, ["two"] = two, ["has"] = has, ["resp"] = resp };
    }

    private static Condition Parse(string text, List<string>? warnings = null)
    {
        var words = Words(text);
        var condition = ConditionParser.Parse(words, 0, n => Named.GetValueOrDefault(n), RuleSite.HttpRequest(backend: false), warnings ?? [], out var error);
        Assert.True(condition is not null, error);
        return condition!;
    }

    private static bool Evaluate(string text, HttpRequestHead request, IPEndPoint? client = null)
    {
        using var ctx = Context(request);
        if (client is not null)
        {
            ctx.ClientEndPoint = client;
        }

        return Parse(text).Evaluate(ctx);
    }

    private static HttpRequestHead Standard() => Request("GET", "/img/logo.png?x=1", "Host: h", "X-N: 42", "X-S: Hello World");

    [Theory]
    [InlineData("if METH_GET", true)]
    [InlineData("if HTTP_1.1", true)]
    [InlineData("if HTTP_1.0", false)]
    [InlineData("if HTTP_2.0", false)]
    [InlineData("if TRUE", true)]
    [InlineData("if FALSE", false)]
    [InlineData("if HTTP", true)]
    [InlineData("if HTTP_URL_SLASH", true)]
    [InlineData("if HTTP_URL_ABS", false)]
    [InlineData("if HTTP_URL_STAR", false)]
    [InlineData("if HTTP_CONTENT", false)]
    [InlineData("if METH_POST", false)]
    [InlineData("if !METH_GET", false)]
    [InlineData("if ! METH_GET", false)]
    [InlineData("if TRUE FALSE", false)]
    [InlineData("if TRUE || FALSE", true)]
    [InlineData("if FALSE or TRUE", true)]
    [InlineData("if ! FALSE", true)]
    [InlineData("if FALSE || FALSE TRUE", false)]
    [InlineData("if TRUE FALSE || TRUE", true)]
    [InlineData("unless TRUE", false)]
    [InlineData("unless FALSE || FALSE", true)]
    [InlineData("unless TRUE FALSE", true)]
    [InlineData("if one", true)]
    [InlineData("if two", false)]
    [InlineData("if one has", true)]
    [InlineData("if two has", false)]
    [InlineData("if !two has", true)]
    [InlineData("if two || has", true)]
    [InlineData("if { hdr(x-n) 42 }", true)]
    [InlineData("if { hdr(x-n) 41 } || { hdr(x-s) -m beg Hello }", true)]
    [InlineData("if ! { hdr(x-n) 42 }", false)]
    [InlineData("if { hdr(x-n) 42 } ! { hdr(x-n) 1 }", true)]
    [InlineData("if { hdr(x-n) 42 } !{ hdr(x-n) 1 }", true)]
    [InlineData("if !{ hdr(x-n) 42 }", false)]
    [InlineData("if { hdr_cnt(x-n) eq 1 } METH_GET", true)]
    [InlineData("if LOCALHOST", false)]
    public void Condition_AsHAProxy(string text, bool expected)
    {
        using var request = Standard();
        Assert.Equal(expected, Evaluate(text, request));
    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.3.4.5", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.0.0.1", false)]
    public void Localhost_LoopbackClients(string address, bool expected)
    {
        using var request = Standard();
        Assert.Equal(expected, Evaluate("if LOCALHOST", request, new IPEndPoint(IPAddress.Parse(address), 1)));
    }

    [Theory]
    [InlineData("HEAD", "/", 0x10, "if METH_GET HTTP_1.0", true)]
    [InlineData("GET", "http://a/", 0x11, "if HTTP_URL_ABS", true)]
    [InlineData("OPTIONS", "*", 0x11, "if HTTP_URL_STAR METH_OPTIONS", true)]
    [InlineData("GET", "/", 0x20, "if HTTP_2.0", true)]
    [InlineData("CONNECT", "h:443", 0x11, "if METH_CONNECT", true)]
    [InlineData("DELETE", "/", 0x11, "if METH_DELETE", true)]
    [InlineData("PUT", "/", 0x11, "if METH_PUT", true)]
    [InlineData("TRACE", "/", 0x11, "if METH_TRACE", true)]
    [InlineData("POST", "/", 0x11, "if METH_GET", false)]
    public void Predefined_MethodsVersionsUrls(string method, string target, int version, string text, bool expected)
    {
        using var request = Request(method, target, "Host: a");
        request.Version = (HttpVersion)version;
        Assert.Equal(expected, Evaluate(text, request));
    }

    [Fact]
    public void HttpContent_ContentLengthAboveZero()
    {
        using var request = Request("POST", "/", "Host: a", "Content-Length: 3");
        Assert.True(Evaluate("if HTTP_CONTENT", request));
    }

    [Fact]
    public void ReqContentAndWaitEnd_ReadTheWaitingData()
    {
        using var ctx = Context();
        Assert.False(Parse("if REQ_CONTENT").Evaluate(ctx));
        ctx.RequestPayload = new System.Buffers.ReadOnlySequence<byte>([1, 2]);
        Assert.True(Parse("if REQ_CONTENT").Evaluate(ctx));
        ctx.PayloadComplete = false;
        Assert.False(Parse("if WAIT_END").Evaluate(ctx));
    }

    [Theory]
    [InlineData("if nosuch", "no such ACL : 'nosuch'")]
    [InlineData("if !nosuch", "no such ACL : 'nosuch'")]
    [InlineData("if { hdr(x) foo", "missing closing '}' in condition")]
    public void Error_WordedAsHAProxy(string text, string expected)
    {
        var words = Words(text);
        Assert.Null(ConditionParser.Parse(words, 0, n => Named.GetValueOrDefault(n), RuleSite.HttpRequest(backend: false), [], out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("if resp", "acl 'resp' will never match because it only involves keywords that are incompatible with 'frontend http-request header rule'")]
    [InlineData("if { res.hdr(x) foo }", "anonymous acl will never match because it uses keyword 'res.hdr' which is incompatible with 'frontend http-request header rule'")]
    public void NeverMatches_WarnsAsHAProxy(string text, string expected)
    {
        var warnings = new List<string>();
        Parse(text, warnings);
        Assert.Equal(expected, Assert.Single(warnings));
    }

    [Fact]
    public void ResponseAclInResponseRule_NoWarning()
    {
        var warnings = new List<string>();
        var words = Words("if resp");
        Assert.NotNull(ConditionParser.Parse(words, 0, n => Named.GetValueOrDefault(n), RuleSite.HttpResponse(backend: false), warnings, out _));
        Assert.Empty(warnings);
    }

    [Fact]
    public void Condition_StartingMidLine_ReadsFromTheKeyword()
    {
        var words = new[] { "http-request", "deny", "unless", "{", "req.hdr(mysecretpassphrase)", "-m", "str", "abc123", "}" };
        var condition = ConditionParser.Parse(words, 2, _ => null, RuleSite.HttpRequest(backend: false), [], out var error);
        Assert.NotNull(condition);
        Assert.True(condition!.Unless);
        using var good = Request("GET", "/", "mysecretpassphrase: abc123");
        using var ctx = Context(good);
        Assert.False(condition.Evaluate(ctx));
        using var bad = Request("GET", "/", "mysecretpassphrase: abc1234");
        using var ctx2 = Context(bad);
        Assert.True(condition.Evaluate(ctx2));
    }
}
