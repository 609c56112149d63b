using System.Buffers;
using System.Net;
using Sluice.Messages;
using HttpVersion = Sluice.Messages.HttpVersion;
using Sluice.Rules.Samples;
using Sluice.Tests.Balancing;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Rules.Samples;

/// <summary>
/// Sample fetches against message heads. Expected values are what haproxy 2.6 returns for the same request
/// (`http-request return ... lf-string "%[fetch]"`); null stands for "no value".
/// </summary>
public sealed class HttpFetchesTests
{
    private static HttpRequestHead Standard() => Request("GET", "/a/b?x=1&y=2;z=3&x=4",
        "Host: Example.com", "X-A: 1, 2", "X-A: 3", "Cookie: a=1; b=2", "Cookie: a=3", "X-Q: \"p,q\", r");

    [Theory]
    [InlineData("method", "GET")]
    [InlineData("path", "/a/b")]
    [InlineData("pathq", "/a/b?x=1&y=2;z=3&x=4")]
    [InlineData("url", "/a/b?x=1&y=2;z=3&x=4")]
    [InlineData("query", "x=1&y=2;z=3&x=4")]
    [InlineData("base", "Example.com/a/b")]
    [InlineData("req.ver", "1.1")]
    [InlineData("hdr(host),lower", "example.com")]
    [InlineData("req.hdr(HOST)", "Example.com")]
    [InlineData("hdr(x-a)", "3")]
    [InlineData("hdr(x-a,1)", "1")]
    [InlineData("hdr(x-a,2)", "2")]
    [InlineData("hdr(x-a,3)", "3")]
    [InlineData("hdr(x-a,4)", null)]
    [InlineData("hdr(x-a,-1)", "3")]
    [InlineData("hdr(x-a,-3)", "1")]
    [InlineData("hdr(x-a,-4)", null)]
    [InlineData("req.hdr(x-a,0)", "3")]
    [InlineData("req.fhdr(x-a)", "3")]
    [InlineData("req.fhdr(x-a,1)", "1, 2")]
    [InlineData("req.fhdr(x-a,-2)", "1, 2")]
    [InlineData("hdr(nope)", null)]
    [InlineData("hdr_cnt(x-a)", "3")]
    [InlineData("req.hdr_cnt(x-a)", "3")]
    [InlineData("req.fhdr_cnt(x-a)", "2")]
    [InlineData("hdr_cnt(nope)", "0")]
    [InlineData("hdr_cnt", "8")]
    [InlineData("req.fhdr_cnt", "6")]
    [InlineData("hdr(x-q)", "r")]
    [InlineData("hdr(x-q,1)", "\"p,q\"")]
    [InlineData("hdr_cnt(x-q)", "2")]
    [InlineData("cook(a)", "3")]
    [InlineData("req.cook(a)", "3")]
    [InlineData("req.cook(b)", "2")]
    [InlineData("cook(zz)", null)]
    [InlineData("req.cook_cnt(a)", "2")]
    [InlineData("cook_cnt(b)", "1")]
    [InlineData("req.cook_cnt", "3")]
    [InlineData("url_param(x)", "1")]
    [InlineData("urlp(y)", "2")]
    [InlineData("url_param(z,;)", "3")]
    [InlineData("url_param(y,;)", null)]
    [InlineData("url_param(nope)", null)]
    [InlineData("urlp", "1")]
    public void Fetch_StandardRequest_AsHAProxy(string expression, string? expected)
    {
        using var request = Standard();
        using var ctx = Context(request);
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Theory]
    [InlineData("hdr(x-a)", new[] { "1", "2", "3" })]
    [InlineData("req.hdr(x-a)", new[] { "1", "2", "3" })]
    [InlineData("req.fhdr(x-a)", new[] { "1, 2", "3" })]
    [InlineData("hdr(x-a,1)", new[] { "1" })]
    [InlineData("hdr(x-a,-1)", new[] { "3" })]
    [InlineData("hdr(x-q)", new[] { "\"p,q\"", "r" })]
    [InlineData("cook(a)", new[] { "1", "3" })]
    [InlineData("url_param(x)", new[] { "1", "4" })]
    [InlineData("hdr(nope)", new string[0])]
    public void Fetch_InAcl_EveryValueInOrder(string expression, string[] expected)
    {
        using var request = Standard();
        using var ctx = Context(request);
        Assert.Equal(expected, AllValues(ctx, expression));
    }

    [Fact]
    public void Cookie_LastOfAFieldThenNextField_AllIterated()
    {
        using var request = Request("GET", "/", "Cookie: a=1; b=2", "Cookie: b=3");
        using var ctx = Context(request);
        Assert.Equal(["2", "3"], AllValues(ctx, "cook(b)"));
        Assert.Equal("3", Evaluate(ctx, "req.cook_cnt"));
        Assert.Equal("2", Evaluate(ctx, "req.cook_cnt(b)"));
    }

    [Theory]
    [InlineData("hdr(x-a) 2", true)]
    [InlineData("req.fhdr(x-a) 2", false)]
    [InlineData("req.fhdr(x-a) 3", true)]
    [InlineData("hdr(x-a,1) 2", false)]
    [InlineData("hdr(x-a,2) 2", true)]
    [InlineData("cook(a) 1", true)]
    [InlineData("cook(a) 3", true)]
    [InlineData("url_param(x) 4", true)]
    [InlineData("url_param(x) 1", true)]
    [InlineData("hdr(x-q) p,q", false)]
    [InlineData("hdr(x-q) \"p,q\"", true)]
    [InlineData("hdr_cnt(x-a) eq 3", true)]
    [InlineData("req.cook_cnt(a) 2", true)]
    public void Acl_OverOccurrences_AsHAProxy(string line, bool expected)
    {
        using var request = Standard();
        using var ctx = Context(request);
        Assert.Equal(expected, Matches(ctx, Words(line)));
    }

    [Theory]
    [InlineData("GET", "http://h.com:81/p/q?r=1", "h.com:81", "/p/q|/p/q?r=1|http://h.com:81/p/q?r=1|r=1|h.com:81/p/q|1")]
    [InlineData("GET", "/p", "h", "/p|/p|/p|<none>|h/p|<none>")]
    [InlineData("GET", "/p?", "h", "/p|/p?|/p?||h/p|<none>")]
    [InlineData("GET", "http://h.com", "h.com", "||http://h.com|<none>|h.com|<none>")]
    [InlineData("GET", "/p", null, "/p|/p|/p|<none>|/p|<none>")]
    public void Fetch_TargetForms_AsHAProxy(string method, string target, string? host, string expected)
    {
        using var request = host is null ? Request(method, target) : Request(method, target, "Host: " + host);
        using var ctx = Context(request);
        var parts = new[] { "path", "pathq", "url", "query", "base", "url_param(r)" }.Select(e => Evaluate(ctx, e) ?? "<none>");
        Assert.Equal(expected, string.Join('|', parts));
    }

    [Theory]
    [InlineData(0x10, "1.0")]
    [InlineData(0x11, "1.1")]
    [InlineData(0x20, "2.0")]
    public void ReqVer_EachVersion(int version, string expected)
    {
        using var request = Request("GET", "/");
        request.Version = (HttpVersion)version;
        using var ctx = Context(request);
        Assert.Equal(expected, Evaluate(ctx, "req.ver"));
        Assert.Equal(expected, Evaluate(ctx, "req_ver"));
    }

    [Fact]
    public void ReqHdrs_FieldsAsHttp1WritesThem()
    {
        // haproxy 2.6 gives the names in lower case, whatever the client sent.
        using var request = Request("GET", "/", "Host: h", "X-A: 1, 2");
        using var ctx = Context(request);
        Assert.Equal("host: h\r\nx-a: 1, 2\r\n\r\n", Evaluate(ctx, "req.hdrs"));
        Assert.Equal("22", Evaluate(ctx, "req.hdrs,length"));
    }

    [Fact]
    public void ReqHdrs_RemovedFieldLeftOut()
    {
        using var request = Request("GET", "/", "host: h", "x-a: 1");
        request.Headers.RemoveAll("x-a"u8);
        using var ctx = Context(request);
        Assert.Equal("host: h\r\n\r\n", Evaluate(ctx, "req.hdrs"));
        Assert.Equal("0", Evaluate(ctx, "hdr_cnt(x-a)"));
        Assert.Null(Evaluate(ctx, "hdr(x-a)"));
    }

    [Theory]
    [InlineData("res.hdr(x-r)", "b")]
    [InlineData("res.hdr(x-r,1)", "a")]
    [InlineData("shdr(x-r)", "b")]
    [InlineData("res.fhdr(x-r)", "a, b")]
    [InlineData("res.hdr_cnt(x-r)", "2")]
    [InlineData("res.fhdr_cnt(x-r)", "1")]
    [InlineData("status", "404")]
    [InlineData("res.ver", "1.1")]
    [InlineData("res.cook(s)", "1")]
    [InlineData("scook(t)", "2")]
    [InlineData("res.cook_cnt(s)", "1")]
    [InlineData("hdr(x-r)", "b")]
    [InlineData("hdr_cnt(x-r)", "2")]
    [InlineData("req.hdr(x-r)", "request")]
    public void Fetch_Response_AsHAProxy(string expression, string? expected)
    {
        using var request = Request("GET", "/", "X-R: request");
        using var response = Response(404, "X-R: a, b", "Set-Cookie: s=1; path=/; Max-Age=3", "Set-Cookie: t=2");
        using var ctx = Context(request, response);
        // configuration.txt: `hdr` is req.hdr on requests and res.hdr on responses.
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Theory]
    [InlineData("src", "192.0.2.10")]
    [InlineData("src_port", "51000")]
    [InlineData("dst", "127.0.0.1")]
    [InlineData("dst_port", "8080")]
    [InlineData("fe_name", "fe")]
    [InlineData("fe_id", "3")]
    [InlineData("be_name", null)]
    [InlineData("srv_name", null)]
    [InlineData("ssl_fc", "false")]
    public void Fetch_Connection_BeforeBackend(string expression, string? expected)
    {
        using var ctx = Context(Request("GET", "/"));
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Fact]
    public void FeConnAndSoId_FromTheFrontendCountersAndTheListener()
    {
        using var ctx = Context(Request("GET", "/"));
        Assert.Null(Evaluate(ctx, "fe_conn"));
        Assert.Null(Evaluate(ctx, "so_id"));
        var counters = new Sluice.Stats.TrafficCounters();
        counters.OnSessionStart(0);
        counters.OnSessionStart(0);
        ctx.FrontendCounters = counters;
        ctx.Listener = new ListenerIdentity(2, "second"u8.ToArray());
        Assert.Equal("2", Evaluate(ctx, "fe_conn"));
        Assert.Equal("2", Evaluate(ctx, "so_id"));
        Assert.Equal("second", Evaluate(ctx, "so_name"));
        Assert.True(Matches(ctx, "fe_conn", "gt", "1"));
    }

    [Fact]
    public void Src_Ipv4MappedClient_ReadAsIpv4()
    {
        using var ctx = Context(Request("GET", "/"));
        ctx.ClientEndPoint = new IPEndPoint(IPAddress.Parse("::ffff:10.1.2.3"), 1);
        Assert.Equal("10.1.2.3", Evaluate(ctx, "src"));
        Assert.True(Matches(ctx, "src", "10.0.0.0/8"));
    }

    [Fact]
    public void Src_Ipv6Client()
    {
        using var ctx = Context(Request("GET", "/"));
        ctx.ClientEndPoint = new IPEndPoint(IPAddress.Parse("2001:db8::7"), 1);
        Assert.Equal("2001:db8::7", Evaluate(ctx, "src"));
        Assert.True(Matches(ctx, "src", "2001:db8::/32"));
        Assert.False(Matches(ctx, "src", "10.0.0.0/8"));
    }

    [Fact]
    public void BackendAndServerFetches_OnceChosen()
    {
        var backend = TestBackends.Create(Sluice.Config.Model.BalanceAlgorithm.RoundRobin, 1, 1, 1);
        using var ctx = Context(Request("GET", "/"));
        ctx.Backend = backend;
        ctx.Server = backend.Servers[1];
        ctx.FindBackend = name => name == "be" ? backend : null;
        Assert.Equal("be", Evaluate(ctx, "be_name"));
        Assert.Equal("1", Evaluate(ctx, "be_id"));
        Assert.Equal("s2", Evaluate(ctx, "srv_name"));
        Assert.Equal("2", Evaluate(ctx, "srv_id"));
        Assert.Equal("3", Evaluate(ctx, "nbsrv"));
        Assert.Equal("3", Evaluate(ctx, "nbsrv(be)"));
        Assert.Null(Evaluate(ctx, "nbsrv(other)"));
    }

    [Theory]
    [InlineData("str(abc)", "abc", "Str")]
    [InlineData("int(-5)", "-5", "Int")]
    [InlineData("bool(1)", "true", "Bool")]
    [InlineData("bool(0)", "false", "Bool")]
    [InlineData("ipv4(10.0.0.1)", "10.0.0.1", "Address")]
    [InlineData("ipv6(2001:db8::1)", "2001:db8::1", "Address")]
    [InlineData("always_true", "true", "Bool")]
    [InlineData("always_false", "false", "Bool")]
    public void Constants_ValueAndType(string expression, string expected, string type)
    {
        using var ctx = Context();
        Assert.True(Compile(expression).TryEvaluate(ctx, out var sample));
        Assert.Equal(type, sample.Type.ToString());
        Assert.Equal(expected, sample.ToString());
    }

    [Theory]
    [InlineData("ipv4(10.0.0.256)", "fetch method 'ipv4' : failed to parse '10.0.0.256' as type 'ipv4' at position 1")]
    [InlineData("ipv4(::1)", "fetch method 'ipv4' : failed to parse '::1' as type 'ipv4' at position 1")]
    [InlineData("nosuch", "unknown fetch method 'nosuch'")]
    [InlineData("str(a,b)", "fetch method 'str' : end of arguments expected at position 2, but got 'b'")]
    [InlineData("var(foo)", "fetch method 'var' : invalid variable name 'foo'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'")]
    [InlineData("", "missing fetch method")]
    public void Fetch_InvalidArguments_Error(string expression, string expected)
    {
        Assert.Null(SampleExpressionParser.Parse(expression, forAcl: false, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Var_SetThenRead_ThenClearedWithTransaction()
    {
        using var ctx = Context(Request("GET", "/"));
        Assert.Null(Evaluate(ctx, "var(txn.fetchtest)"));
        Assert.Equal("abc", Evaluate(ctx, "str(abc),set-var(txn.fetchtest)"));
        Assert.Equal("abc", Evaluate(ctx, "var(txn.fetchtest)"));
        Assert.Equal("7", Evaluate(ctx, "int(7),set-var(sess.fetchtest)"));
        ctx.ResetTransaction();
        Assert.Null(Evaluate(ctx, "var(txn.fetchtest)"));
        Assert.Equal("7", Evaluate(ctx, "var(sess.fetchtest)"));
    }

    [Fact]
    public void Var_TextValue_CopiedOutOfScratch()
    {
        using var ctx = Context(Request("GET", "/"));
        Assert.Equal("ABC", Evaluate(ctx, "str(abc),upper,set-var(txn.copied)"));
        Assert.Equal("xyz", Evaluate(ctx, "str(XYZ),lower"));
        Assert.Equal("ABC", Evaluate(ctx, "var(txn.copied)"));
    }

    [Fact]
    public void Env_ReadsTheEnvironment()
    {
        Environment.SetEnvironmentVariable("SLUICE_RULES_TEST_ENV", "from-env");
        using var ctx = Context();
        Assert.Equal("from-env", Evaluate(ctx, "env(SLUICE_RULES_TEST_ENV)"));
        Assert.Null(Evaluate(ctx, "env(SLUICE_RULES_TEST_ENV_MISSING)"));
    }

    [Theory]
    [InlineData("req.len", "5")]
    [InlineData("req_len", "5")]
    [InlineData("req.payload(0,3),hex", "160301")]
    [InlineData("req.payload(1,0),hex", "03010002")]
    [InlineData("req.payload(4,1),hex", "02")]
    [InlineData("req.payload(3,5)", null)]
    [InlineData("req.payload(6,0)", null)]
    public void Payload_WaitingBytes(string expression, string? expected)
    {
        using var ctx = Context();
        ctx.RequestPayload = SplitSequence([0x16, 0x03, 0x01, 0x00, 0x02], 2);
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    /// <summary>
    /// `payload_lv`: the size in the length field (big-endian), the block just after it, at an absolute offset, or
    /// relative to the field's end when signed; a block short of bytes waits while more may come, one beyond the
    /// buffer never matches.
    /// </summary>
    [Theory]
    [InlineData("res.payload_lv(0,1),hex", true, "0A0B")]
    [InlineData("res.payload_lv(0,2),hex", true, null)]
    [InlineData("res.payload_lv(0,1,4),hex", true, "0C0D")]
    [InlineData("res.payload_lv(0,1,+3),hex", true, "0C0D")]
    [InlineData("res.payload_lv(0,1,-1),hex", true, "020A")]
    [InlineData("res.payload_lv(0,1,5)", true, null)]
    [InlineData("res.payload_lv(0,1,5)", false, null)]
    [InlineData("res.payload_lv(4,1)", false, null)]
    [InlineData("res.len", true, "6")]
    [InlineData("res.payload(1,2),hex", true, "0A0B")]
    public void PayloadLv_LengthValuedBlock(string expression, bool complete, string? expected)
    {
        using var ctx = Context();
        ctx.ResponsePayload = SplitSequence([0x02, 0x0a, 0x0b, 0x00, 0x0c, 0x0d], 3);
        ctx.PayloadComplete = complete;
        Assert.Equal(expected, Evaluate(ctx, expression));
        Assert.Equal(expression is "res.payload_lv(0,1,5)" or "res.payload_lv(4,1)" && !complete, ctx.NeedsMoreData);
    }

    [Fact]
    public void PayloadLv_BlockBeyondTheBuffer_NeverMatches()
    {
        using var ctx = Context();
        ctx.ResponsePayload = SplitSequence([0xff, 0xff, 0x01], 1);
        ctx.PayloadComplete = false;
        ctx.PayloadCapacity = 16384;
        Assert.Null(Evaluate(ctx, "res.payload_lv(0,2)"));
        Assert.False(ctx.NeedsMoreData);
    }

    [Fact]
    public void Fetch_WithoutRequest_NoValue()
    {
        using var ctx = Context();
        foreach (var expression in new[] { "method", "path", "url", "query", "base", "hdr(host)", "hdr_cnt(host)", "req.cook(a)", "url_param(a)", "status", "res.hdr(a)" })
        {
            Assert.Null(Evaluate(ctx, expression));
        }
    }

    /// <summary>A sequence made of segments of <paramref name="size"/> bytes, as data arrives in several reads.</summary>
    private static ReadOnlySequence<byte> SplitSequence(byte[] data, int size)
    {
        Segment? first = null;
        Segment? last = null;
        for (var i = 0; i < data.Length; i += size)
        {
            var segment = new Segment(data.AsMemory(i, Math.Min(size, data.Length - i)), last);
            first ??= segment;
            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}

/// <summary>Body fetches over a body the front mux holds (`option http-buffer-request`), values as haproxy 2.6 gives them.</summary>
public sealed class RequestBodyFetchesTests
{
    private sealed class HeldBody(string text) : IBufferedRequestBody
    {
        public int CopyBufferedBody(Span<byte> destination)
        {
            var bytes = System.Text.Encoding.Latin1.GetBytes(text);
            var take = Math.Min(bytes.Length, destination.Length);
            bytes.AsSpan(0, take).CopyTo(destination);
            return take;
        }
    }

    private static SampleContext ContextWithBody(string body, long contentLength)
    {
        var request = Request("POST", "/form");
        request.ContentLength = contentLength;
        var ctx = Context(request);
        ctx.RequestBody = new HeldBody(body);
        return ctx;
    }

    [Theory]
    [InlineData("req.body", "a=1&Word=x&word=y&e")]
    [InlineData("req.body_len", "19")]
    [InlineData("req.body_param(word)", "y")]
    [InlineData("req.body_param(Word)", "x")]
    [InlineData("req.body_param(word,i)", "x")]
    [InlineData("req.body_param", "1")]
    [InlineData("req.body_param(e)", null)]
    [InlineData("req.body_param(zz)", null)]
    public void BodyFetch_ChunkedBody(string expression, string? expected)
    {
        using var ctx = ContextWithBody("a=1&Word=x&word=y&e", contentLength: -1);
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Theory]
    [InlineData(-1, "5")]
    [InlineData(100, "100")]
    public void BodySize_AnnouncedLengthOrWhatCame(long contentLength, string expected)
    {
        using var ctx = ContextWithBody("a=1&b", contentLength);
        Assert.Equal(expected, Evaluate(ctx, "req.body_size"));
    }
}
