using Sluice.Messages;
using Sluice.Rules.Acls;
using Sluice.Rules.Samples;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Rules.Acls;

/// <summary>Every matching method, each row checked against haproxy 2.6 (`http-request return ... if { ACL }`).</summary>
public sealed class MatchMethodsTests
{
    private static HttpRequestHead Standard() => Request("GET", "/img/logo.png?x=1",
        "Host: www.Example.com:8080", "X-N: 42", "X-S: Hello World", "X-IP: 10.1.2.3", "X-IP6: 2001:db8::1", "X-E: ");

    [Theory]
    [InlineData(new[] { "hdr(x-s)", "-m", "found" }, true)]
    [InlineData(new[] { "hdr(nope)", "-m", "found" }, false)]
    [InlineData(new[] { "hdr(x-e)", "-m", "found" }, true)]
    [InlineData(new[] { "hdr(x-e)", "-m", "len", "0" }, true)]
    [InlineData(new[] { "int(0)", "-m", "bool" }, false)]
    [InlineData(new[] { "int(2)", "-m", "bool" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "bool" }, false)]
    [InlineData(new[] { "hdr(x-e)", "-m", "bool" }, false)]
    [InlineData(new[] { "hdr(x-n)", "-m", "bool" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "42" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "40:45" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", ":41" }, false)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", ":42" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "43:" }, false)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "42:" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "gt", "41" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "gt", "42" }, false)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "lt", "42" }, false)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "lt", "43" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "le", "42" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "ge", "43" }, false)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "ge", "42" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "eq", "42" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "1", "2", "42" }, true)]
    [InlineData(new[] { "hdr(x-n)", "-m", "int", "--", "-5:-1" }, false)]
    [InlineData(new[] { "int(-3)", "-m", "int", "--", "-5:-1" }, true)]
    [InlineData(new[] { "hdr_val(x-n)", "eq", "42" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "int", "0" }, true)]
    [InlineData(new[] { "hdr(x-ip)", "-m", "ip", "10.0.0.0/8" }, true)]
    [InlineData(new[] { "hdr(x-ip)", "-m", "ip", "10.1.2.0/255.255.255.0" }, true)]
    [InlineData(new[] { "hdr(x-ip)", "-m", "ip", "10.1.3.0/24" }, false)]
    [InlineData(new[] { "hdr(x-ip)", "-m", "ip", "10.1.2.3" }, true)]
    [InlineData(new[] { "hdr(x-ip)", "-m", "ip", "10.1.2.2/31" }, true)]
    [InlineData(new[] { "hdr(x-ip)", "-m", "ip", "10.1.2.4/31" }, false)]
    [InlineData(new[] { "hdr_ip(x-ip6)", "2001:db8::/32" }, true)]
    [InlineData(new[] { "hdr_ip(x-ip6)", "2001:db9::/32" }, false)]
    [InlineData(new[] { "hdr_ip(x-ip6)", "2001:db8::1" }, true)]
    [InlineData(new[] { "hdr_ip(x-ip)", "::ffff:10.1.2.3" }, true)]
    [InlineData(new[] { "hdr_ip(x-ip6)", "10.0.0.0/8" }, false)]
    [InlineData(new[] { "hdr_ip(x-s)", "0.0.0.0/0" }, false)]
    [InlineData(new[] { "str(10.1.2.256)", "-m", "ip", "0.0.0.0/0" }, false)]
    [InlineData(new[] { "str(10.1.2)", "-m", "ip", "0.0.0.0/0" }, false)]
    [InlineData(new[] { "str(10.1.2.3.4)", "-m", "ip", "0.0.0.0/0" }, false)]
    [InlineData(new[] { "str(010.001.002.003)", "-m", "ip", "10.1.2.3" }, true)]
    [InlineData(new[] { "str(::ffff:10.1.2.3)", "-m", "ip", "10.0.0.0/8" }, true)]
    [InlineData(new[] { "str(AB)", "-m", "bin", "4142" }, true)]
    [InlineData(new[] { "str(AB)", "-m", "bin", "41" }, false)]
    [InlineData(new[] { "hdr(x-s)", "-m", "len", "11" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "len", "gt", "11" }, false)]
    [InlineData(new[] { "hdr(x-s)", "-m", "len", "10:12" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "str", "hello world" }, false)]
    [InlineData(new[] { "hdr(x-s)", "-m", "str", "Hello World" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "str", "-i", "hello world" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-i", "-m", "str", "hello world" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "str", "Hello" }, false)]
    [InlineData(new[] { "hdr(x-s)", "-m", "sub", "lo W" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "sub", "lo w" }, false)]
    [InlineData(new[] { "hdr(x-s)", "-m", "sub", "-i", "LO W" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "beg", "Hell" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "beg", "hell" }, false)]
    [InlineData(new[] { "hdr(x-s)", "-m", "beg", "-i", "hell" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "beg", "Hello World!" }, false)]
    [InlineData(new[] { "hdr(x-s)", "-m", "end", "World" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "end", "world" }, false)]
    [InlineData(new[] { "hdr(x-s)", "-m", "end", "-i", "WORLD" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "reg", "^H.*d$" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "reg", "^h" }, false)]
    [InlineData(new[] { "hdr(x-s)", "-m", "reg", "-i", "^h" }, true)]
    [InlineData(new[] { "hdr(x-s)", "-m", "reg", "x", "o\\sW" }, true)]
    [InlineData(new[] { "path", "-m", "dir", "img" }, true)]
    [InlineData(new[] { "path", "-m", "dir", "/img" }, true)]
    [InlineData(new[] { "path", "-m", "dir", "im" }, false)]
    [InlineData(new[] { "path", "-m", "dir", "logo.png" }, true)]
    [InlineData(new[] { "path", "-m", "dir", "img/logo.png" }, true)]
    [InlineData(new[] { "path", "-m", "dir", "IMG" }, false)]
    [InlineData(new[] { "path", "-m", "dir", "-i", "IMG" }, true)]
    [InlineData(new[] { "path_dir", "/img/" }, true)]
    [InlineData(new[] { "url", "-m", "dir", "x=1" }, true)]
    [InlineData(new[] { "hdr(host)", "-m", "dom", "example.com" }, false)]
    [InlineData(new[] { "hdr(host)", "-m", "dom", "-i", "example.com" }, true)]
    [InlineData(new[] { "hdr(host)", "-m", "dom", "-i", "Example" }, true)]
    [InlineData(new[] { "hdr(host)", "-m", "dom", "-i", "ample.com" }, false)]
    [InlineData(new[] { "hdr(host)", "-m", "dom", "-i", "www" }, true)]
    [InlineData(new[] { "hdr(host)", "-m", "dom", "-i", "8080" }, true)]
    [InlineData(new[] { "hdr(host)", "-m", "dom", "-i", ".example.com." }, true)]
    [InlineData(new[] { "hdr_dom(host)", "-i", "com:8080" }, true)]
    [InlineData(new[] { "path_end", ".png", ".jpg" }, true)]
    [InlineData(new[] { "path_end", ".jpg" }, false)]
    [InlineData(new[] { "path_beg", "/api", "/img" }, true)]
    [InlineData(new[] { "path_sub", "logo" }, true)]
    [InlineData(new[] { "path_reg", "^/img/[a-z]+\\.png$" }, true)]
    [InlineData(new[] { "path_len", "13" }, true)]
    [InlineData(new[] { "url_beg", "/img" }, true)]
    [InlineData(new[] { "hdr_beg(host)", "-i", "www." }, true)]
    [InlineData(new[] { "hdr_beg(host)", "WWW." }, false)]
    [InlineData(new[] { "hdr_end(host)", ":8080" }, true)]
    [InlineData(new[] { "hdr_sub(x-s)", "o W" }, true)]
    [InlineData(new[] { "hdr_reg(x-s)", "o\\sW" }, true)]
    [InlineData(new[] { "url_param(x)", "-m", "int", "1" }, true)]
    [InlineData(new[] { "urlp_val(x)", "1" }, true)]
    [InlineData(new[] { "method", "GET" }, true)]
    [InlineData(new[] { "method", "get" }, false)]
    [InlineData(new[] { "req.ver", "1.1" }, true)]
    [InlineData(new[] { "hdr(x-s)", "--", "-x", "hello" }, false)]
    [InlineData(new[] { "hdr(x-s)", "--", "-x", "Hello World" }, true)]
    public void Match_AsHAProxy(string[] words, bool expected)
    {
        using var request = Standard();
        using var ctx = Context(request);
        Assert.Equal(expected, Matches(ctx, words));
    }

    /// <summary>`method` compares well-known methods as an enum: `-i` has no effect on them (haproxy 2.6).</summary>
    [Theory]
    [InlineData("GET", new[] { "method", "GET" }, true)]
    [InlineData("GET", new[] { "method", "-i", "get" }, false)]
    [InlineData("GET", new[] { "method", "-i", "GET" }, true)]
    [InlineData("get", new[] { "method", "-i", "GET" }, false)]
    [InlineData("get", new[] { "method", "-i", "get" }, true)]
    [InlineData("get", new[] { "method", "get" }, true)]
    [InlineData("Foo", new[] { "method", "-i", "FOO" }, true)]
    [InlineData("Foo", new[] { "method", "FOO" }, false)]
    [InlineData("PATCH", new[] { "method", "-i", "patch" }, true)]
    [InlineData("GET", new[] { "method", "-i", "-m", "str", "get" }, true)]
    [InlineData("GET", new[] { "method,lower", "-i", "get" }, true)]
    [InlineData("POST", new[] { "method", "GET", "POST" }, true)]
    public void Method_WellKnownAsEnum(string method, string[] words, bool expected)
    {
        using var request = Request(method, "/");
        using var ctx = Context(request);
        Assert.Equal(expected, Matches(ctx, words));
    }

    public static TheoryData<bool, string, bool> ManyStrings => new()
    {
        { false, "Hello World", true },
        { false, "hello world", false },
        { true, "hello world", true },
        { true, "HELLO WORLD", true },
        { true, "hello", false },
        { false, "p3", true },
        { true, "P19", true },
        { false, "P19", false },
    };

    /// <summary>More than eight `-m str` patterns switch to a hash index: same answers, with and without `-i`.</summary>
    [Theory]
    [MemberData(nameof(ManyStrings))]
    public void Str_ManyPatterns_HashIndexAsLinear(bool ignoreCase, string value, bool expected)
    {
        var words = new List<string> { "hdr(x-s)", "-m", "str" };
        if (ignoreCase)
        {
            words.Add("-i");
        }

        words.AddRange(Enumerable.Range(0, 20).Select(i => "p" + i));
        words.Add("Hello World");
        using var request = Request("GET", "/", "X-S: " + value);
        using var ctx = Context(request);
        var acl = ParseAcl([.. words]);
        Assert.Equal(21, acl.Patterns.Count);
        Assert.Equal(expected, acl.Evaluate(ctx));
    }

    [Fact]
    public void Str_HashIndex_ReturnsIndexOfPatternForMaps()
    {
        var set = new PatternSet(MatchMethod.Str, ignoreCase: false);
        for (var i = 0; i < 12; i++)
        {
            Assert.Null(set.Add("k" + i));
        }

        using var ctx = Context();
        Assert.Equal(10, set.Match(ctx, Sample.FromString("k10"u8.ToArray())));
        Assert.Equal(3, set.Match(ctx, Sample.FromString("k3"u8.ToArray())));
        Assert.Equal(-1, set.Match(ctx, Sample.FromString("k12"u8.ToArray())));
    }

    [Fact]
    public void Ip_LongestPrefixWins()
    {
        var set = new PatternSet(MatchMethod.Ip, ignoreCase: false);
        Assert.Null(set.Add("10.0.0.0/8"));
        Assert.Null(set.Add("10.1.2.0/24"));
        Assert.Null(set.Add("10.1.0.0/16"));
        using var ctx = Context();
        Assert.Equal(1, set.Match(ctx, Sample.FromAddress(System.Net.IPAddress.Parse("10.1.2.9"))));
        Assert.Equal(2, set.Match(ctx, Sample.FromAddress(System.Net.IPAddress.Parse("10.1.3.9"))));
        Assert.Equal(0, set.Match(ctx, Sample.FromAddress(System.Net.IPAddress.Parse("10.2.3.9"))));
        Assert.Equal(-1, set.Match(ctx, Sample.FromAddress(System.Net.IPAddress.Parse("11.2.3.9"))));
    }

    [Theory]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("10.0.0.0/255.0.0.0", true)]
    [InlineData("10.0.0.0/255.0.255.0", false)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("::1/128", true)]
    [InlineData("::1/129", false)]
    [InlineData("2001:db8::/ffff::", false)]
    [InlineData("1.2.3.999", false)]
    public void ParseNetwork_Forms(string text, bool valid) =>
        Assert.Equal(valid, PatternSet.TryParseNetwork(text, out _, out _));
}
