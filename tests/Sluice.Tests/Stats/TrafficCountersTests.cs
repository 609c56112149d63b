using Sluice.Stats;

namespace Sluice.Tests.Stats;

public class TrafficCountersTests
{
    [Theory]
    [InlineData(101, 0)]
    [InlineData(200, 1)]
    [InlineData(304, 2)]
    [InlineData(404, 3)]
    [InlineData(503, 4)]
    [InlineData(600, 5)]
    [InlineData(99, 5)]
    public void CountResponse_StatusClass(int status, int statusClass)
    {
        var counters = new TrafficCounters();
        counters.CountResponse(status);
        for (var c = 0; c < 6; c++)
        {
            Assert.Equal(c == statusClass ? 1 : 0, counters.Responses(c));
        }
    }

    [Fact]
    public void CountResponse_NoStatus_NotCounted()
    {
        var counters = new TrafficCounters();
        counters.CountResponse(0);
        Assert.Equal(0, Enumerable.Range(0, 6).Sum(c => counters.Responses(c)));
    }

    [Fact]
    public void RecordTimes_AveragesMaximaAndHistogram()
    {
        var counters = new TrafficCounters();
        counters.RecordTimes(0, 2, 4, 10);
        counters.RecordTimes(0, 4, 300, 320);
        Assert.Equal(2, counters.TimedTransactions);
        Assert.Equal(3, counters.ConnectTimeAverageMs);
        // HAProxy's sliding sum: 4, then 4 - ceil(4/2) + 300 = 302, read as ceil(302/2).
        Assert.Equal(151, counters.ResponseTimeAverageMs);
        Assert.Equal(300, counters.ResponseTimeMaxMs);
        Assert.Equal(320, counters.TotalTimeMaxMs);
        Assert.Equal(304, counters.ResponseTimeSumMs);

        // 4 ms lands in the "<= 5 ms" bucket, 300 ms in "<= 500 ms".
        Assert.Equal(1, counters.ResponseTimeBucket(Array.IndexOf(TrafficCounters.ResponseTimeBucketsMs, 5L)));
        Assert.Equal(1, counters.ResponseTimeBucket(Array.IndexOf(TrafficCounters.ResponseTimeBucketsMs, 500L)));
    }

    [Fact]
    public void Sessions_CurrentMaxTotal()
    {
        var counters = new TrafficCounters();
        counters.OnConnectionAccepted(1000);
        counters.OnConnectionAccepted(1000);
        counters.OnSessionEnd();
        counters.OnConnectionAccepted(1001);
        counters.OnConnectionDenied();
        Assert.Equal(2, counters.CurrentSessions);
        Assert.Equal(2, counters.MaxSessions);
        Assert.Equal(2, counters.TotalSessions);
        Assert.Equal(3, counters.Connections);
        Assert.Equal(1, counters.DeniedConnections);
    }

    [Fact]
    public void Clear_MaximaOnlyUnlessAll()
    {
        var counters = new TrafficCounters();
        counters.OnConnectionAccepted(1000);
        counters.CountRequest(1000);
        counters.RecordTimes(0, 1, 50, 60);
        counters.Clear(all: false);
        Assert.Equal(0, counters.MaxSessions);
        Assert.Equal(0, counters.ResponseTimeMaxMs);
        Assert.Equal(1, counters.Requests);
        counters.Clear(all: true);
        Assert.Equal(0, counters.Requests);
        Assert.Equal(0, counters.TotalSessions);
        Assert.Equal(1, counters.CurrentSessions);
    }
}
