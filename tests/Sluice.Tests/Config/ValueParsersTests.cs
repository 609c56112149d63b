using Sluice.Config.Keywords;

namespace Sluice.Tests.Config;

public class ValueParsersTests
{
    [Theory]
    [InlineData("500", 500)]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5000)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("3600s", 3_600_000)]
    [InlineData("0", 0)]
    public void ParseTime_Valid_Milliseconds(string text, long expectedMs)
    {
        Assert.Null(ValueParsers.ParseTime(text, out var value));
        Assert.Equal(expectedMs, (long)value.TotalMilliseconds);
    }

    [Fact]
    public void ParseTime_Microseconds_Ticks()
    {
        Assert.Null(ValueParsers.ParseTime("100us", out var value));
        Assert.Equal(TimeSpan.FromMicroseconds(100), value);
    }

    [Theory]
    [InlineData("5x", "unexpected character 'x'")]
    [InlineData("s", "unexpected character 's'")]
    [InlineData("", "missing value")]
    [InlineData("25d", "timer overflow")]
    [InlineData("99999999999999999999", "timer overflow")]
    [InlineData("-5s", "unexpected character '-'")]
    public void ParseTime_Invalid_Error(string text, string expected)
    {
        Assert.Equal(expected, ValueParsers.ParseTime(text, out _));
    }

    [Theory]
    [InlineData("16384", 16384)]
    [InlineData("16k", 16384)]
    [InlineData("1m", 1 << 20)]
    [InlineData("1g", 1L << 30)]
    public void ParseSize_Valid_Bytes(string text, long expected)
    {
        Assert.Null(ValueParsers.ParseSize(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("k")]
    [InlineData("12q")]
    [InlineData("")]
    public void ParseSize_Invalid_Error(string text)
    {
        Assert.NotNull(ValueParsers.ParseSize(text, out _));
    }
}
