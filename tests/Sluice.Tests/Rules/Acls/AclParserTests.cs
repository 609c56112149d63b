using Sluice.Rules.Acls;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Rules.Acls;

/// <summary>
/// ACL words: flags, derived keywords and errors. Error texts are haproxy 2.6's (`haproxy -c`), without the
/// "error detected while parsing ACL 'a' : " prefix and the final period the configuration adds.
/// </summary>
public sealed class AclParserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-acl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("hdr_beg(host)", "beg")]
    [InlineData("hdr_end(host)", "end")]
    [InlineData("hdr_sub(host)", "sub")]
    [InlineData("hdr_reg(host)", "reg")]
    [InlineData("hdr_dom(host)", "dom")]
    [InlineData("hdr_dir(host)", "dir")]
    [InlineData("hdr_len(host)", "len")]
    [InlineData("hdr_val(host)", "int")]
    [InlineData("hdr_ip(host)", "ip")]
    [InlineData("path_beg", "beg")]
    [InlineData("url_param(a)", "str")]
    [InlineData("hdr_cnt(host)", "int")]
    [InlineData("src", "ip")]
    [InlineData("ssl_fc", "bool")]
    [InlineData("req.payload(0,1)", "bin")]
    [InlineData("hdr(host)", "str")]
    public void Method_FromKeywordOrFetchType(string criterion, string method)
    {
        var expected = AclParser.ParseMethod(method)!.Value;
        var words = expected is MatchMethod.Bool ? new[] { criterion } : new[] { criterion, expected == MatchMethod.Ip ? "10.0.0.0/8" : expected == MatchMethod.Bin ? "16" : "1" };
        Assert.Equal(expected, ParseAcl(words).Patterns.Method);
    }

    [Fact]
    public void Flags_IgnoreCaseAndMethodAnyOrder_LastMethodWins()
    {
        var entry = ParseAcl("hdr(host)", "-m", "beg", "-i", "-m", "end", "-n", "-u", "7", "x");
        Assert.Equal(MatchMethod.End, entry.Patterns.Method);
        Assert.True(entry.Patterns.IgnoreCase);
        Assert.Equal(1, entry.Patterns.Count);
    }

    [Fact]
    public void UniqueIdMustBeAnInteger_AsInHAProxy()
    {
        var entry = AclParser.Parse(["hdr(host)", "-u", "x", "foo"], 0, 4, [], out var error);
        Assert.Null(entry);
        Assert.Equal("the argument of -u must be an integer", error);
    }

    [Fact]
    public void DoubleDash_EndsFlags_PatternsMayStartWithDash()
    {
        var entry = ParseAcl("hdr(x)", "-i", "--", "-i", "-m");
        Assert.Equal(2, entry.Patterns.Count);
        using var request = Request("GET", "/", "X: -M");
        using var ctx = Context(request);
        Assert.True(entry.Evaluate(ctx));
    }

    [Fact]
    public void PatternFile_OnePatternPerLine_CommentsAndBlanksSkipped_AddedToInlinePatterns()
    {
        var file = Path.Combine(_dir, "hosts.lst");
        File.WriteAllText(file, "# hosts\na.example\n\n  b.example  \n");
        var entry = ParseAcl("hdr(host)", "-i", "-f", file, "c.example");
        Assert.Equal(3, entry.Patterns.Count);
        foreach (var (host, expected) in new[] { ("B.EXAMPLE", true), ("c.example", true), ("d.example", false), ("# hosts", false) })
        {
            using var request = Request("GET", "/", "Host: " + host);
            using var ctx = Context(request);
            Assert.Equal(expected, entry.Evaluate(ctx));
        }
    }

    [Fact]
    public void PatternFile_IntegersWithOperator()
    {
        var file = Path.Combine(_dir, "ports.lst");
        File.WriteAllText(file, "10\n20:30\n");
        var entry = ParseAcl("int(25)", "-f", file);
        using var ctx = Context();
        Assert.True(entry.Evaluate(ctx));
    }

    [Theory]
    [InlineData("nosuch 1", "unknown fetch method 'nosuch' in ACL expression 'nosuch'")]
    [InlineData("bad^name 1", "unknown fetch method 'bad' in ACL expression 'bad^name'")]
    [InlineData("hdr(x) -m nosuch 1", "unknown matching method 'nosuch' when parsing ACL expression")]
    [InlineData("hdr(x) -m", "unknown matching method '' when parsing ACL expression")]
    [InlineData("hdr(x) -x foo", "'-x' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'")]
    [InlineData("hdr_cnt(x) eq abc", "'abc' is not a number")]
    [InlineData("hdr_cnt(x) abc", "'abc' is not a number")]
    [InlineData("src_port 1:2:3", "'1:2:3' is not a valid number range")]
    [InlineData("src 1.2.3.999", "'1.2.3.999' is not a valid IPv4 or IPv6 address")]
    [InlineData("hdr(x) -f /nonexistent/file", "failed to open pattern file </nonexistent/file>")]
    [InlineData("str(AB) -m bin 4", "an even number of hex digit is expected")]
    [InlineData("str(AB) -m bin zz", "an hex digit is expected (found 'z')")]
    [InlineData("hdr(x -m found", "ACL keyword 'hdr' : expected ')'")]
    [InlineData("hdr(x),nosuch foo", "ACL keyword 'hdr' : unknown converter 'nosuch'")]
    [InlineData("hdr(x,a) foo", "ACL keyword 'hdr' : failed to parse 'a' as type 'integer' at position 2")]
    [InlineData("", "missing fetch method in ACL expression ''")]
    public void Error_WordedAsHAProxy(string line, string expected) =>
        Assert.Equal(expected, AclError(Words(line)));

    [Fact]
    public void Error_InvalidRegex_NamesThePattern() =>
        Assert.StartsWith("regex '(' is invalid (error=", AclError("hdr(x)", "-m", "reg", "("));

    [Theory]
    [InlineData("hdr(x) -m found foo")]
    [InlineData("hdr(x) -m bool foo")]
    [InlineData("hdr(x) -i")]
    [InlineData("hdr(x) --")]
    public void Accepted_AsHAProxy(string line) => Assert.Null(AclError(Words(line)));

    [Theory]
    [InlineData("hdr(x) -m found foo", true)]
    [InlineData("hdr(y) -m found foo", false)]
    [InlineData("hdr(x) -m bool foo", true)]
    public void FoundOrBool_PatternsIgnored_AsHAProxy(string line, bool expected)
    {
        using var request = Request("GET", "/", "X: 1");
        using var ctx = Context(request);
        Assert.Equal(expected, Matches(ctx, Words(line)));
    }

    [Theory]
    [InlineData("hdr(x)", "hdr(x)")]
    [InlineData("path_beg", "path_beg")]
    [InlineData("hdr_cnt(x)", "hdr_cnt(x)")]
    public void NoPattern_WarnsAsHAProxy(string line, string criterion)
    {
        var warnings = new List<string>();
        var words = Words(line);
        Assert.NotNull(AclParser.Parse(words, 0, words.Length, warnings, out _));
        Assert.Equal(
            $"parsing acl keyword '{criterion}' :\n"
            + "  no pattern to match against were provided, so this ACL will never match.\n"
            + "  If this is what you intended, please add '--' to get rid of this warning.\n"
            + "  If you intended to match only for existence, please use '-m found'.\n"
            + "  If you wanted to force an int to match as a bool, please use '-m bool'.\n",
            Assert.Single(warnings));
    }

    [Theory]
    [InlineData("hdr(x) --")]
    [InlineData("hdr(x) -m found")]
    [InlineData("ssl_fc")]
    [InlineData("hdr(x) -i")]
    [InlineData("hdr(x) -m str")]
    public void NoPattern_NoWarning(string line)
    {
        var warnings = new List<string>();
        var words = Words(line);
        Assert.NotNull(AclParser.Parse(words, 0, words.Length, warnings, out _));
        Assert.Empty(warnings);
    }
}
