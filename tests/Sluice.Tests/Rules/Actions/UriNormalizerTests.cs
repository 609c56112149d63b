using System.Buffers;
using System.Text;
using Sluice.Rules.Actions;

namespace Sluice.Tests.Rules.Actions;

/// <summary>`normalize-uri`: each row read from haproxy 2.6 answering `lf-string "%[url]"` after the normalizer.</summary>
public sealed class UriNormalizerTests
{
    [Theory]
    [InlineData("PathMergeSlashes", false, "//a///b//?x//y", "/a/b/?x//y")]
    [InlineData("PathStripDot", false, "/./a/./b/.", "/a/b/")]
    [InlineData("PathStripDot", false, "/a/.?x", "/a/?x")]
    [InlineData("PathStripDot", false, "//./a", "//a")]
    [InlineData("PathStripDot", false, "/.a/b./c", "/.a/b./c")]
    [InlineData("PathStripDotDot", false, "/a/../b", "/b")]
    [InlineData("PathStripDotDot", false, "/a/../../b", "/../b")]
    [InlineData("PathStripDotDot", true, "/a/../../b", "/b")]
    [InlineData("PathStripDotDot", false, "/a/b/../../..", "/../")]
    [InlineData("PathStripDotDot", true, "/a/b/../../..", "/")]
    [InlineData("PathStripDotDot", false, "/a//../b", "/a/b")]
    [InlineData("PathStripDotDot", false, "/a/b/../", "/a/")]
    [InlineData("PathStripDotDot", true, "/..?q=/../", "/?q=/../")]
    [InlineData("PercentDecodeUnreserved", false, "/%41%62%2F%7e%20%5f%2D", "/Ab%2F~%20_-")]
    [InlineData("PercentDecodeUnreserved", false, "/%zz%41", "/%zzA")]
    [InlineData("PercentDecodeUnreserved", true, "/a?%41=%42", "/a?A=B")]
    [InlineData("PercentToUppercase", false, "/%2f%aB%zz", "/%2F%AB%zz")]
    [InlineData("QuerySortByName", false, "/a?b=2&a=1&ab=3&a=0", "/a?a=1&a=0&ab=3&b=2")]
    [InlineData("QuerySortByName", false, "/a?b&a&&c=", "/a?&a&b&c=")]
    [InlineData("QuerySortByName", false, "/a?", "/a?")]
    [InlineData("FragmentStrip", false, "/a?x#y#z", "/a?x")]
    [InlineData("FragmentEncode", false, "/a?x#y#z", "/a?x%23y%23z")]
    [InlineData("PathStripDotDot", false, "http://h.example/a/../b?c", "http://h.example/b?c")]
    public void Normalize_AsHAProxy(string kind, bool option, string target, string expected)
    {
        var output = new ArrayBufferWriter<byte>();
        Assert.True(UriNormalizer.TryNormalize(Enum.Parse<UriNormalizerKind>(kind), option, Encoding.ASCII.GetBytes(target), output));
        Assert.Equal(expected, Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Theory]
    [InlineData("PercentDecodeUnreserved", "/%4")]
    [InlineData("PercentDecodeUnreserved", "/%zz%41")]
    [InlineData("PercentToUppercase", "/%4x")]
    public void Strict_InvalidPercent_Refused(string kind, string target) =>
        Assert.False(UriNormalizer.TryNormalize(Enum.Parse<UriNormalizerKind>(kind), option: true, Encoding.ASCII.GetBytes(target), new ArrayBufferWriter<byte>()));
}
