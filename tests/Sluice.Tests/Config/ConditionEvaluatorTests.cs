using Sluice.Config.Conditions;

namespace Sluice.Tests.Config;

public class ConditionEvaluatorTests
{
    private static (string? Error, bool Value) Evaluate(params string[] words)
    {
        var environment = new Dictionary<string, string> { ["SET"] = "1", ["NAME"] = "sluice" };
        var error = new ConditionEvaluator(name => environment.GetValueOrDefault(name)).Evaluate(words, out var value);
        return (error, value);
    }

    [Theory]
    [InlineData(true, "1")]
    [InlineData(false, "0")]
    [InlineData(true, "-3")]
    [InlineData(true, "defined(SET)")]
    [InlineData(false, "defined(UNSET)")]
    [InlineData(true, "!defined(UNSET)")]
    [InlineData(true, "streq(a,a)")]
    [InlineData(false, "streq(a,b)")]
    [InlineData(true, "strneq(a,b)")]
    [InlineData(true, "strstr(haystack,st)")]
    [InlineData(true, "version_atleast(2.4)")]
    [InlineData(true, "version_atleast(3.0)")]
    [InlineData(false, "version_atleast(3.0.1)")]
    [InlineData(false, "version_before(2.6)")]
    [InlineData(true, "version_before(3.1-dev2)")]
    [InlineData(true, "feature(THREAD)")]
    [InlineData(false, "feature(LUA)")]
    [InlineData(false, "feature(NO_SUCH_FEATURE)")]
    [InlineData(true, "defined(SET)", "&&", "streq(x,x)")]
    [InlineData(false, "defined(SET)", "&&", "streq(x,y)")]
    [InlineData(true, "defined(UNSET)", "||", "streq(x,x)")]
    [InlineData(true, "!", "(", "defined(UNSET)", "||", "0", ")")]
    [InlineData(true, "(defined(SET)||0)&&1")]
    [InlineData(false, "1", "&&", "0", "||", "0")]
    [InlineData(true, "0", "||", "1", "&&", "1")]
    public void Evaluate_ValidExpression_Value(bool expected, params string[] words)
    {
        var (error, value) = Evaluate(words);
        Assert.Null(error);
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("unknown conditional predicate 'nope'", "nope(x)")]
    [InlineData("unparsable conditional expression 'word'", "word")]
    [InlineData("missing condition")]
    [InlineData("expected ')' at position 3", "(1")]
    [InlineData("'streq' expects 2 arguments", "streq(a)")]
    [InlineData("invalid version 'x.y'", "version_atleast(x.y)")]
    [InlineData("unexpected character ')' at position 2", "1)")]
    public void Evaluate_InvalidExpression_Error(string expected, params string[] words)
    {
        Assert.Equal(expected, Evaluate(words).Error);
    }
}
