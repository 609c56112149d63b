using Sluice.Rules.Samples;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Rules.Samples;

/// <summary>
/// Converters, each row checked against haproxy 2.6 (`lf-string "%[str(...),converter]"`); null stands for
/// "no value" (haproxy renders it empty).
/// </summary>
public sealed class SampleConvertersTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-maps-").FullName;

    public SampleConvertersTests()
    {
        File.WriteAllText(Path.Combine(_dir, "str.map"), "key1 v1\nkey2   v2 with spaces\n# comment\n\n");
        File.WriteAllText(Path.Combine(_dir, "beg.map"), "/api api\n/api/v2 api2\n/ root\n");
        File.WriteAllText(Path.Combine(_dir, "ip.map"), "10.0.0.0/8 ten\n10.1.0.0/16 ten-one\n10.1.2.0/24 ten-one-two\n2001:db8::/32 doc6\n");
        File.WriteAllText(Path.Combine(_dir, "int.map"), "a 1\nb 20\n");
        File.WriteAllText(Path.Combine(_dir, "dom.map"), "example.com ex\n");
        File.WriteAllText(Path.Combine(_dir, "ints.map"), "1 one\n10 ten\n");
        File.WriteAllText(Path.Combine(_dir, "badint.map"), "a 1\n# comment\nc x\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("str(HeLLo),lower", "hello")]
    [InlineData("str(HeLLo),upper", "HELLO")]
    [InlineData("str(AB),hex", "4142")]
    [InlineData("str(hex),hex,upper", "686578")]
    [InlineData("str(hello),base64", "aGVsbG8=")]
    [InlineData("str(aGVsbG8=),b64dec", "hello")]
    [InlineData("str(a%20b+c%2F),url_dec", "a b+c/")]
    [InlineData("str(a%2),url_dec", null)]
    [InlineData("str(a b/c~d.e_f-g),url_enc", "a%20b%2Fc~d.e_f-g")]
    [InlineData("str(hello),sha1,hex", "AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D")]
    [InlineData("str(hello),sha2,hex", "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824")]
    [InlineData("str(hello),sha2(256),hex", "2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824")]
    [InlineData("str(hello),sha2(512),hex", "9B71D224BD62F3785D96D46AD3EA3D73319BFBC2890CAADAE2DFF72519673CA72323C3D99BA5C11D7C7ACC6E14B8C5DA0C4663475C2E5C3ADEF46F73BCDEC043")]
    [InlineData("str(hello),sha2(384),hex", "59E1748777448C69DE6B800D7A33BBFB9FF1B463E44354C3553BCDB9C666FA90125A3C79F90397BDF5F6A13DE828684F")]
    [InlineData("str(hello),sha2(224),hex", "EA09AE9CC6768C50FCEE903ED054556E5BFC8347907F12598AA24193")]
    [InlineData("str(hello),crc32", "907060870")]
    [InlineData("str(hello),crc32(1)", "3902247103")]
    [InlineData("str(hello),djb2", "261238937")]
    [InlineData("str(hello),djb2(1)", "1119739105")]
    [InlineData("str(hello),sdbm", "684824882")]
    [InlineData("str(hello),sdbm(1)", "2061535398")]
    [InlineData("str(hello),wt6", "3538347703")]
    [InlineData("str(hello),wt6(1)", "140457739")]
    [InlineData("str(hello),length", "5")]
    [InlineData("str(hello),bytes(1,2)", "el")]
    [InlineData("str(hello),bytes(2)", "llo")]
    [InlineData("str(hello),bytes(5)", null)]
    [InlineData("str(hello),bytes(3,10)", "lo")]
    [InlineData("int(12),hex", "000000000000000C")]
    [InlineData("int(1700000000),http_date", "Tue, 14 Nov 2023 22:13:20 GMT")]
    [InlineData("int(1700000000),http_date(3600)", "Tue, 14 Nov 2023 23:13:20 GMT")]
    [InlineData("int(1700000000),http_date(-1,s)", "Tue, 14 Nov 2023 22:13:19 GMT")]
    [InlineData("int(1700000000123),http_date(0,ms)", "Tue, 14 Nov 2023 22:13:20.123 GMT")]
    [InlineData("int(1700000000123456),http_date(1000,us)", "Tue, 14 Nov 2023 22:13:20.124456 GMT")]
    [InlineData("int(0),http_date", "Thu, 01 Jan 1970 00:00:00 GMT")]
    [InlineData("int(1700000000),utime(%Y-%m-%dT%H:%M:%S %a %b %j %Z %%)", "2023-11-14T22:13:20 Tue Nov 318 GMT %")]
    [InlineData("int(1700000000),utime(%d/%b/%Y,-86400)", "13/Nov/2023")]
    [InlineData("int(1700000000),ltime(%s)", "1700000000")]
    [InlineData("int(1700000000),utime()", "")]
    public void Converter_Text_AsHAProxy(string expression, string? expected)
    {
        using var ctx = Context();
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Theory]
    [InlineData("str(a:b:c:d),field(2,:)", "b")]
    [InlineData("str(a:b:c:d),field(-1,:)", "d")]
    [InlineData("str(a:b:c:d),field(2,:,2)", "b:c")]
    [InlineData("str(a:b:c:d),field(-2,:,2)", "b:c")]
    [InlineData("str(a:b:c:d),field(2,:,0)", "b:c:d")]
    [InlineData("str(a:b:c:d),field(-2,:,0)", "a:b:c")]
    [InlineData("str(a:b:c:d),field(5,:)", null)]
    [InlineData("str(a:b:c:d),field(-5,:)", null)]
    [InlineData("str(a::b),field(2,:)", "")]
    [InlineData("str(a:b/c),field(2,:/)", "b")]
    [InlineData("str(a:b/c),field(3,:/)", "c")]
    [InlineData("str(/x//y/z),word(2,/)", "y")]
    [InlineData("str(/x//y/z),word(-1,/)", "z")]
    [InlineData("str(/x//y/z),word(1,/,2)", "x//y")]
    [InlineData("str(/x//y/z),word(-2,/,2)", "x//y")]
    [InlineData("str(/x//y/z),word(1,/,0)", "x//y/z")]
    [InlineData("str(/x//y/z),word(-2,/,0)", "/x//y")]
    [InlineData("str(/x//y/z),word(4,/)", null)]
    [InlineData("str(xxabcxx),ltrim(x)", "abcxx")]
    [InlineData("str(xxabcxx),rtrim(x)", "xxabc")]
    [InlineData("str(\" ab \"),ltrim(\" \"),rtrim(\" \")", "ab")]
    public void Converter_FieldsAndTrims_AsHAProxy(string expression, string? expected)
    {
        using var ctx = Context();
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Theory]
    [InlineData("str(banana),regsub(a,o)", "bonana")]
    [InlineData("str(banana),regsub(a,o,g)", "bonono")]
    [InlineData("str(bAnAna),regsub(a,o,gi)", "bonono")]
    [InlineData("str(bAnAna),regsub(a,o,g)", "bAnAno")]
    [InlineData("str(abc),regsub(\"(b)(c)\",\"\\2\\1\")", "acb")]
    [InlineData("str(a.b.c),regsub(\\.,-,g)", "a-b-c")]
    [InlineData("str(cost),regsub(o,$1)", "c$1st")]
    [InlineData("str(abc),regsub(z,y)", "abc")]
    public void Converter_Regsub_AsHAProxy(string expression, string? expected)
    {
        using var ctx = Context();
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Theory]
    [InlineData("str(10.1.2.3),ipmask(24)", "10.1.2.0")]
    [InlineData("ipv4(10.1.2.3),ipmask(255.255.0.0)", "10.1.0.0")]
    [InlineData("ipv4(10.1.2.3),ipmask(0)", "0.0.0.0")]
    [InlineData("str(2001:db8:1:2::1),ipmask(24,64)", "2001:db8:1:2::")]
    [InlineData("src,ipmask(16)", "192.0.0.0")]
    [InlineData("str(nope),ipmask(24)", null)]
    public void Converter_Ipmask_AsHAProxy(string expression, string? expected)
    {
        using var ctx = Context();
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Theory]
    [InlineData("int(7),add(3)", "10")]
    [InlineData("int(7),sub(10)", "-3")]
    [InlineData("int(7),mul(-2)", "-14")]
    [InlineData("int(7),div(2)", "3")]
    [InlineData("int(-7),div(2)", "-3")]
    [InlineData("int(7),div(0)", "9223372036854775807")]
    [InlineData("int(7),mod(3)", "1")]
    [InlineData("int(-7),mod(3)", "-1")]
    [InlineData("int(7),mod(0)", "0")]
    [InlineData("int(7),neg", "-7")]
    [InlineData("str(-12),neg", "12")]
    [InlineData("int(0),not", "true")]
    [InlineData("int(5),not", "false")]
    [InlineData("int(5),bool", "true")]
    [InlineData("int(0),bool", "false")]
    [InlineData("int(3),odd", "true")]
    [InlineData("int(3),even", "false")]
    [InlineData("int(6),and(3)", "2")]
    [InlineData("int(6),or(3)", "7")]
    [InlineData("int(6),xor(3)", "5")]
    [InlineData("str(12abc),add(1)", "13")]
    [InlineData("str(a),add(1)", "1")]
    [InlineData("int(3),sub(txn.n)", "-2")]
    [InlineData("str(ab),length,mul(txn.n)", "10")]
    [InlineData("int(3),add(txn.missing)", null)]
    public void Converter_Arithmetic_AsHAProxy(string expression, string? expected)
    {
        using var ctx = Context();
        Evaluate(ctx, "int(5),set-var(txn.n)");
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Theory]
    [InlineData("str(abc),concat(<,,>)", "abc<>")]
    [InlineData("str(a),concat(<,txn.n,>)", "a<5>")]
    [InlineData("str(a),concat(,txn.missing,)", "a")]
    [InlineData("str(a),concat(-,txn.s)", "a-xy")]
    public void Converter_Concat_AsHAProxy(string expression, string? expected)
    {
        using var ctx = Context();
        Evaluate(ctx, "int(5),set-var(txn.n)");
        Evaluate(ctx, "str(xy),set-var(txn.s)");
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Theory]
    [InlineData("a\"b\\c/d", "a\\\"b\\\\c\\/d")]
    [InlineData("h\u00c3\u00a9\u00c2\u007f", "h\\u00c3\\u00a9\\u00c2\\u007f")]
    [InlineData("tab\there\n", "tab\\there\\n")]
    public void Converter_Json_AsHAProxy(string input, string expected)
    {
        using var request = Request("GET", "/", "X-J: " + input);
        using var ctx = Context(request);
        Assert.Equal(expected, Evaluate(ctx, "req.hdr(x-j),json"));
    }

    [Fact]
    public void SetVarConverter_StoresAndPassesOn()
    {
        using var ctx = Context();
        Assert.Equal("hello", Evaluate(ctx, "str(Hello),set-var(txn.h),lower"));
        Assert.Equal("Hello", Evaluate(ctx, "var(txn.h)"));
        Assert.Equal("x", Evaluate(ctx, "str(x),unset-var(txn.h)"));
        Assert.Null(Evaluate(ctx, "var(txn.h)"));
    }

    [Theory]
    [InlineData("str(key1),map(DIR/str.map)", "v1")]
    [InlineData("str(key2),map_str(DIR/str.map)", "v2 with spaces")]
    [InlineData("str(key3),map(DIR/str.map,dflt)", "dflt")]
    [InlineData("str(key3),map(DIR/str.map)", null)]
    [InlineData("str(KEY1),map(DIR/str.map)", null)]
    [InlineData("str(/api/v2/x),map_beg(DIR/beg.map)", "api2")]
    [InlineData("str(/apix),map_beg(DIR/beg.map)", "api")]
    [InlineData("str(/other),map_beg(DIR/beg.map)", "root")]
    [InlineData("str(10.1.2.3),map_ip(DIR/ip.map)", "ten-one-two")]
    [InlineData("str(10.1.9.3),map_ip(DIR/ip.map)", "ten-one")]
    [InlineData("str(10.9.9.3),map_ip(DIR/ip.map)", "ten")]
    [InlineData("str(11.0.0.1),map_ip(DIR/ip.map,none)", "none")]
    [InlineData("str(2001:db8::5),map_ip(DIR/ip.map)", "doc6")]
    [InlineData("src,map_ip(DIR/ip.map,none)", "none")]
    [InlineData("str(b),map_str_int(DIR/int.map)", "20")]
    [InlineData("str(b),map_str_int(DIR/int.map),add(1)", "21")]
    [InlineData("str(z),map_str_int(DIR/int.map,7)", "7")]
    [InlineData("str(www.example.com),map_dom(DIR/dom.map)", "ex")]
    [InlineData("str(example.org),map_dom(DIR/dom.map)", null)]
    [InlineData("int(10),map_int(DIR/ints.map)", "ten")]
    [InlineData("str(1),map_int(DIR/ints.map)", "one")]
    public void Converter_Maps_AsHAProxy(string expression, string? expected)
    {
        using var ctx = Context();
        Assert.Equal(expected, Evaluate(ctx, expression.Replace("DIR", _dir, StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("req.hdr(x-e),length", "0")]
    [InlineData("req.hdr(x-e),add(1)", null)]
    [InlineData("req.hdr(x-e),lower", "")]
    public void Converter_EmptyValue_AsHAProxy(string expression, string? expected)
    {
        using var request = Request("GET", "/", "X-E: ");
        using var ctx = Context(request);
        Assert.Equal(expected, Evaluate(ctx, expression));
    }

    [Fact]
    public void MapIntOutput_IsAnInteger()
    {
        using var ctx = Context();
        Assert.True(Compile($"str(a),map_str_int({_dir}/int.map)").TryEvaluate(ctx, out var sample));
        Assert.Equal((SampleType.Int, 1L), (sample.Type, sample.Integer));
    }

    [Theory]
    [InlineData("str(a),sha2(100)", "invalid args in converter 'sha2' : Unsupported number of bits: '100'")]
    [InlineData("str(a),url_enc(foo)", "invalid args in converter 'url_enc' : Unexpected encode type. Allowed value is 'query'.")]
    [InlineData("str(a),nosuch", "unknown converter 'nosuch'")]
    [InlineData("str(a),field(0,:)", "invalid args in converter 'field' : Unexpected value 0 for index")]
    [InlineData("str(a),field(a,:)", "invalid arg 1 in converter 'field' : failed to parse 'a' as type 'integer' at position 1")]
    [InlineData("str(a),ipmask(40)", "invalid arg 1 in converter 'ipmask' : failed to parse '40' as type 'IPv4 mask' at position 1")]
    [InlineData("str(a),map(/nonexistent/x.map)", "invalid args in converter 'map' : failed to open map file '/nonexistent/x.map' : Could not find a part of the path '/nonexistent/x.map'.")]
    public void Converter_InvalidArguments_Error(string expression, string expected)
    {
        Assert.Null(SampleExpressionParser.Parse(expression, forAcl: false, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void MapInt_ValueNotAnInteger_RefusedAtLoadAsHAProxy()
    {
        var file = Path.Combine(_dir, "badint.map");
        Assert.Null(SampleExpressionParser.Parse($"str(a),map_str_int({file})", forAcl: false, out var error));
        Assert.Equal($"invalid args in converter 'map_str_int' : unable to parse 'x' at line 3 of file '{file}'", error);
        Assert.NotNull(SampleExpressionParser.Parse($"str(a),map_str({file})", forAcl: false, out _));
    }

    [Theory]
    [InlineData("int(1),http_date(0,xx)", "invalid args in converter 'http_date' : expects 's', 'ms' or 'us', got 'xx'")]
    [InlineData("int(1),http_date(abc)", "invalid arg 1 in converter 'http_date' : failed to parse 'abc' as type 'integer' at position 1")]
    [InlineData("int(1),utime(%Y,abc)", "invalid arg 2 in converter 'utime' : failed to parse 'abc' as type 'integer' at position 2")]
    public void DateConverter_BadArguments_RefusedAsHAProxy(string expression, string message)
    {
        Assert.Null(SampleExpressionParser.Parse(expression, forAcl: false, out var error));
        Assert.Equal(message, error);
    }

    [Fact]
    public void Converter_ScratchExhausted_NoValue()
    {
        using var request = Request("GET", "/", "X-Big: " + new string('a', 100));
        using var ctx = new SampleContext(scratchSize: 64) { Request = request };
        Assert.Null(Evaluate(ctx, "req.hdr(x-big),upper"));
        Assert.Equal("AAAA", Evaluate(ctx, "req.hdr(x-big),bytes(0,4),upper"));
    }
}
