using Sluice.Logging;
using Sluice.Rules.Samples;
using Sluice.Tests.Balancing;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Logging;

/// <summary>
/// The log-format compiler and renderer. Expected texts are haproxy 2.6's: a traffic log line (`log-format`)
/// for the log site, and `lf-string`/`set-header` for HTTP rule sites, where samples are written unquoted,
/// a missing one is empty and control characters are %-encoded.
/// </summary>
public sealed class LogFormatTests
{
    private static readonly RuleSite Http = RuleSite.HttpRequest(backend: false);

    private static string Log(string format, string target = "/p/q?x=1", params string[] headers)
    {
        using var request = Request("GET", target, headers);
        using var response = Response(200);
        using var ctx = Context(request, response);
        return Render(ctx, Format(format, RuleSite.Log));
    }

    private static string InRule(string format, params string[] headers)
    {
        using var request = Request("GET", "/p/q?x=1", headers);
        using var ctx = Context(request);
        return Render(ctx, Format(format, Http));
    }

    [Theory]
    [InlineData("%ci", "192.0.2.10")]
    [InlineData("%{+Q}ci", "\"192.0.2.10\"")]
    [InlineData("%{+X}ci", "C000020A")]
    [InlineData("%cp", "51000")]
    [InlineData("%{+X}cp", "C738")]
    [InlineData("%{+Q}cp", "51000")]
    [InlineData("%fi:%fp", "127.0.0.1:8080")]
    [InlineData("%f", "fe")]
    [InlineData("%b", "fe")]
    [InlineData("%{+Q}b", "\"fe\"")]
    [InlineData("%s", "<NOSRV>")]
    [InlineData("%{+Q}s", "\"<NOSRV>\"")]
    [InlineData("%HM", "GET")]
    [InlineData("%{+Q}HM", "\"GET\"")]
    [InlineData("%HU", "/p/q?x=1")]
    [InlineData("%{+Q}HU", "\"/p/q?x=1\"")]
    [InlineData("%HP", "/p/q")]
    [InlineData("%HPO", "/p/q")]
    [InlineData("%HQ", "?x=1")]
    [InlineData("%HV", "HTTP/1.1")]
    [InlineData("%r", "GET /p/q?x=1 HTTP/1.1")]
    [InlineData("%{+Q}r", "\"GET /p/q?x=1 HTTP/1.1\"")]
    [InlineData("%ST", "200")]
    [InlineData("%{+X}ST", "200")]
    [InlineData("%{+X}fp", "1F90")]
    [InlineData("%{+X}ac|%{+X}B|%{+X}Tt", "0|0|-1")]
    [InlineData("%ID|%CC|%CS", "-|-|-")]
    [InlineData("%{+Q}ST", "200")]
    [InlineData("100%% sure", "100% sure")]
    [InlineData("%%%ci%%", "%192.0.2.10%")]
    [InlineData("%ci:%cp [%f] %HM", "192.0.2.10:51000 [fe] GET")]
    public void Variable_InLogLine_AsHAProxy(string format, string expected) => Assert.Equal(expected, Log(format));

    [Theory]
    [InlineData("%HQ", "")]
    [InlineData("%{+Q}HQ", "\"\"")]
    [InlineData("%HP", "/p")]
    public void Variable_NoQuery_AsHAProxy(string format, string expected) => Assert.Equal(expected, Log(format, "/p"));

    [Theory]
    [InlineData("%[var(txn.nope)]", "-")]
    [InlineData("%{+Q}[var(txn.nope)]", "\"\"")]
    [InlineData("%[str(x)]", "x")]
    [InlineData("%{+Q}[str(x)]", "\"x\"")]
    [InlineData("%{+X}[int(255)]", "255")]
    [InlineData("%{+Q}[int(3)]", "\"3\"")]
    [InlineData("%[int(-3)]", "-3")]
    [InlineData("%{+X}[src]", "192.0.2.10")]
    [InlineData("%{+Q}[src]", "\"192.0.2.10\"")]
    [InlineData("%[src]:%[src_port]", "192.0.2.10:51000")]
    [InlineData("%{+X}[str(ab)]", "ab")]
    [InlineData("%[bool(1)]", "1")]
    [InlineData("%{+Q}[str(a),b64dec]", "\"\"")]
    [InlineData("%[str(YQpi),b64dec]", "a\nb")]
    [InlineData("%[req.hdr(x-e)]", "a\"b\\c]d")]
    [InlineData("%{+E}[req.hdr(x-e)]", "a\\\"b\\\\c\\]d")]
    [InlineData("%{+Q,+E}[req.hdr(x-e)]", "\"a\\\"b\\\\c\\]d\"")]
    [InlineData("%{+Z}[str(a)]", "a")]
    public void Sample_InLogLine_AsHAProxy(string format, string expected) =>
        Assert.Equal(expected, Log(format, "/p/q?x=1", "X-E: a\"b\\c]d"));

    [Theory]
    [InlineData("[%[hdr(nope)]]", "[]")]
    [InlineData("[%{+Q}[hdr(nope)]]", "[]")]
    [InlineData("%{+Q}[str(q)]", "q")]
    [InlineData("%{+X}[int(255)]", "255")]
    [InlineData("%{+Q}[int(3)]", "3")]
    [InlineData("%{+Q}[src]", "192.0.2.10")]
    [InlineData("%{+E}[hdr(x-e)]", "a\\\"b\\\\c\\]d/")]
    [InlineData("%{+Q,+E}[hdr(x-e)]", "a\\\"b\\\\c\\]d/")]
    [InlineData("%[hdr(x-e),json]", "a\\\"b\\\\c]d\\/")]
    [InlineData("[%[str(YQpi),b64dec]]", "[a%0Ab]")]
    [InlineData("[%[str(YQli),b64dec]]", "[a\tb]")]
    [InlineData("[%[str(YX9i),b64dec]]", "[a%7Fb]")]
    [InlineData("[%[str(YSUyMA==),b64dec]]", "[a%20]")]
    [InlineData("%{+Q}HM %{+X}ci", "\"GET\" C000020A")]
    [InlineData("%HQ|%{+Q}HQ", "?x=1|\"?x=1\"")]
    [InlineData("be_%[req.hdr(host),lower]", "be_example.com")]
    public void Sample_InHttpRule_AsHAProxy(string format, string expected) =>
        Assert.Equal(expected, InRule(format, "Host: Example.COM", "X-E: a\"b\\c]d/"));

    [Fact]
    public void Backend_AndServer_OnceChosen()
    {
        var backend = TestBackends.Create(Sluice.Config.Model.BalanceAlgorithm.RoundRobin, 1, 1);
        using var request = Request("GET", "/");
        using var ctx = Context(request);
        ctx.Backend = backend;
        ctx.Server = backend.Servers[1];
        Assert.Equal("fe be/s2 \"be\"", Render(ctx, Format("%f %b/%s %{+Q}b", RuleSite.Log)));
    }

    [Fact]
    public void NoRequest_RequestVariablesWriteBadReq()
    {
        using var ctx = Context();
        Assert.Equal("<BADREQ> <BADREQ> <BADREQ> <BADREQ> <BADREQ> <BADREQ> \"<BADREQ>\"", Render(ctx, Format("%HM %HU %HP %HPO %HQ %r %{+Q}HV", RuleSite.Log)));
    }

    [Fact]
    public void Constant_TextOnly()
    {
        var format = Format("abc%%def", Http);
        Assert.True(format.IsConstant);
        Assert.Equal("abc%def", System.Text.Encoding.Latin1.GetString(format.ConstantBytes));
        Assert.False(Format("a%[str(b)]", Http).IsConstant);
    }

    [Fact]
    public void Needs_CollectsTheSourcesOfItsExpressions()
    {
        Assert.Equal(SampleSources.HttpRequest | SampleSources.Connection, Format("%[hdr(a)] %[src]", Http).Needs);
        Assert.Equal(SampleSources.None, Format("%ci", Http).Needs);
    }

    [Theory]
    [InlineData("%[hdr(x)", "missing ']' after 'hdr(x)'")]
    [InlineData("%ZZ", "no such format variable 'ZZ'. If you wanted to emit the '%' character verbatim, you need to use '%%'")]
    [InlineData("%", "truncated line after '%'")]
    [InlineData("%[res.hdr(x)]", "sample fetch <res.hdr(x)]> may not be reliably used here because it needs 'HTTP response headers' which is not available here")]
    [InlineData("%[nosuch]", "failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'")]
    [InlineData("%[hdr(x]", "failed to parse sample expression <hdr(x]> : fetch method 'hdr' : expected ')'")]
    [InlineData("%[]", "failed to parse sample expression <]> : missing fetch method")]
    [InlineData("%[hdr(x,a)]", "failed to parse sample expression <hdr(x,a)]> : fetch method 'hdr' : failed to parse 'a' as type 'integer' at position 2")]
    [InlineData("%[str(a),field(a,:)]", "failed to parse sample expression <str(a),field(a,:)]> : invalid arg 1 in converter 'field' : failed to parse 'a' as type 'integer' at position 1")]
    [InlineData("%[str(a),bytes(x)]", "failed to parse sample expression <str(a),bytes(x)]> : invalid arg 1 in converter 'bytes' : failed to parse 'x' as type 'integer' at position 1")]
    [InlineData("%[str(a),nosuch]", "failed to parse sample expression <str(a),nosuch]> : unknown converter 'nosuch'")]
    public void Error_WordedAsHAProxy(string format, string expected)
    {
        Assert.Null(LogFormat.Parse(format, Http, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void UniqueId_RenderedOnce_ThenTheSameUntilTheNextTransaction()
    {
        using var request = Request("GET", "/", "x: v");
        using var ctx = Context(request);
        ctx.UniqueIdFormat = LogFormat.Parse("%{+X}o %ci_%[hdr(x)]_%rt", Http, out _, spacesSeparate: true);
        var first = Render(ctx, Format("%ID", RuleSite.Log));
        Assert.Matches("^C000020A_v_[0-9A-F]{4}$", first);
        Assert.Equal(first, Render(ctx, Format("%[unique-id]", Http)));
        Assert.Equal(first, Render(ctx, Format("%ID", RuleSite.Log)));
        ctx.ResetTransaction();
        Assert.NotEqual(first, Render(ctx, Format("%ID", RuleSite.Log)));
    }

    [Fact]
    public void UniqueId_WithoutFormat_Missing()
    {
        using var request = Request("GET", "/");
        using var ctx = Context(request);
        Assert.Equal("-", Render(ctx, Format("%ID", RuleSite.Log)));
        Assert.Equal("", Render(ctx, Format("%[unique-id]", Http)));
    }

    [Fact]
    public void UniqueId_CutAt128Bytes()
    {
        using var request = Request("GET", "/", "x: " + new string('a', 300));
        using var ctx = Context(request);
        ctx.UniqueIdFormat = LogFormat.Parse("%[hdr(x)]", Http, out _, spacesSeparate: true);
        Assert.Equal(SampleContext.UniqueIdLength, Render(ctx, Format("%ID", RuleSite.Log)).Length);
    }

    [Fact]
    public void UniqueId_FormatReadingItself_Missing()
    {
        using var request = Request("GET", "/");
        using var ctx = Context(request);
        ctx.UniqueIdFormat = LogFormat.Parse("a%[unique-id]b", Http, out _, spacesSeparate: true);
        Assert.Equal("ab", Render(ctx, Format("%ID", RuleSite.Log)));
    }

    [Fact]
    public void CapturedCookies_WrittenByCcAndCs()
    {
        using var request = Request("GET", "/");
        using var ctx = Context(request);
        ctx.Captures.PrepareCookies(8);
        ctx.Captures.SetCookie(response: false, "SESS"u8, "client-value"u8);
        ctx.Captures.SetCookie(response: true, "S"u8, "v"u8);
        Assert.Equal("SESS=cli \"S=v\"", Render(ctx, Format("%CC %{+Q}CS", RuleSite.Log)));
    }
}
