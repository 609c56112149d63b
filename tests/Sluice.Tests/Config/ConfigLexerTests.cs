using Sluice.Config.Parsing;

namespace Sluice.Tests.Config;

public class ConfigLexerTests
{
    private static readonly Dictionary<string, string> Environment = new()
    {
        ["PORT"] = "8080",
        ["ADDRS"] = "10.0.0.1 10.0.0.2  10.0.0.3",
        ["EMPTY"] = string.Empty,
        ["fe1"] = "3",
    };

    private static List<string> Lex(string line)
    {
        var words = new List<string>();
        var error = ConfigLexer.Tokenize(line, name => Environment.GetValueOrDefault(name), words);
        Assert.Null(error);
        return words;
    }

    [Theory]
    [InlineData("bind :80", new[] { "bind", ":80" })]
    [InlineData("   bind\t:80   ", new[] { "bind", ":80" })]
    [InlineData("bind :80 # a comment", new[] { "bind", ":80" })]
    [InlineData("# only a comment", new string[0])]
    [InlineData("", new string[0])]
    [InlineData(@"log-format %{+Q}o\ %t\ %s", new[] { "log-format", "%{+Q}o %t %s" })]
    [InlineData("log-format \"%{+Q}o %t %s\"", new[] { "log-format", "%{+Q}o %t %s" })]
    [InlineData("log-format '%{+Q}o %t %s'", new[] { "log-format", "%{+Q}o %t %s" })]
    [InlineData("log-format \"%{+Q}o %t\"' %s'\\ %{-Q}r", new[] { "log-format", "%{+Q}o %t %s %{-Q}r" })]
    [InlineData(@"acl a path \#x", new[] { "acl", "a", "path", "#x" })]
    [InlineData("acl a path \"#x\"", new[] { "acl", "a", "path", "#x" })]
    [InlineData(@"x a\\b", new[] { "x", @"a\b" })]
    [InlineData(@"x \'q\'", new[] { "x", "'q'" })]
    [InlineData("x \"say \\\"hi\\\"\"", new[] { "x", "say \"hi\"" })]
    [InlineData(@"x a\r\n\tb", new[] { "x", "a\r\n\tb" })]
    [InlineData(@"x \x41\x42", new[] { "x", "AB" })]
    [InlineData(@"reqrep ^([^\ :]*)\ /static/(.*) \1\ /\2", new[] { "reqrep", "^([^ :]*) /static/(.*)", @"\1 /\2" })]
    [InlineData("x \"\"", new[] { "x", "" })]
    [InlineData("x ''", new[] { "x", "" })]
    [InlineData("bind \"fd@${fe1}\"", new[] { "bind", "fd@3" })]
    [InlineData("bind \":$PORT\"", new[] { "bind", ":8080" })]
    [InlineData("bind :$PORT", new[] { "bind", ":$PORT" })]
    [InlineData("bind ':${PORT}'", new[] { "bind", ":${PORT}" })]
    [InlineData("x \"${UNSET}\"", new[] { "x", "" })]
    [InlineData("x \"${UNSET-dflt}\"", new[] { "x", "dflt" })]
    [InlineData("x \"${PORT-dflt}\"", new[] { "x", "8080" })]
    [InlineData("x \"${EMPTY}\"y", new[] { "x", "y" })]
    [InlineData("server s \"${ADDRS[*]}\" check", new[] { "server", "s", "10.0.0.1", "10.0.0.2", "10.0.0.3", "check" })]
    [InlineData("x \"\\$PORT\"", new[] { "x", "$PORT" })]
    [InlineData("x \"cost $5\"", new[] { "x", "cost $5" })]
    public void Tokenize_ValidLine_Words(string line, string[] expected)
    {
        Assert.Equal(expected, Lex(line));
    }

    [Theory]
    [InlineData("x \"unterminated", "unmatched double quote at position 3")]
    [InlineData("x 'unterminated", "unmatched single quote at position 3")]
    [InlineData(@"x \xZZ", "truncated or invalid hexadecimal sequence at position 3")]
    [InlineData(@"x \x4", "truncated or invalid hexadecimal sequence at position 3")]
    [InlineData("x \"${NAME\"", "missing closing '}' in environment variable reference at position 4")]
    [InlineData("x \"${1BAD}\"", "invalid environment variable name '1BAD' at position 4")]
    public void Tokenize_InvalidLine_Error(string line, string expected)
    {
        var words = new List<string>();
        Assert.Equal(expected, ConfigLexer.Tokenize(line, _ => null, words));
    }
}
