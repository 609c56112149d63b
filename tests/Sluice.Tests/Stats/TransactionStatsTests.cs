using System.Text;
using Sluice.Stats;

namespace Sluice.Tests.Stats;

public class TransactionStatsTests
{
    [Theory]
    [InlineData("GE\u0001T / HTTP/1.1\r\n\r\n", 0, 2)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\u0000b\r\n\r\n", 16, 23)]
    [InlineData("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 16, 16)]
    [InlineData("GET /\u007f HTTP/1.1\r\n\r\n", 0, 5)]
    public void ErrorPosition_FirstControlByteOfTheLine(string head, long lineStart, long expected) =>
        Assert.Equal(expected, TransactionStats.ErrorPosition(Encoding.Latin1.GetBytes(head), lineStart));
}
