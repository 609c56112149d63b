using Sluice.Stats;

namespace Sluice.Tests.Stats;

public class RateCounterTests
{
    [Fact]
    public void Read_EventsInCurrentSecond_Counted()
    {
        var rate = new RateCounter();
        for (var i = 0; i < 5; i++)
        {
            rate.Add(10_000 + i);
        }

        Assert.Equal(5, rate.Read(10_500));
        Assert.Equal(5, rate.Max);
    }

    [Fact]
    public void Read_PreviousSecond_WeightedByRemainingPart()
    {
        var rate = new RateCounter();
        for (var i = 0; i < 10; i++)
        {
            rate.Add(10_100);
        }

        // 250 ms into the next second, three quarters of the previous one still count.
        Assert.Equal(7, rate.Read(11_250));
        rate.Add(11_250);
        Assert.Equal(1 + 7, rate.Read(11_250));
    }

    [Fact]
    public void Read_AfterTwoIdleSeconds_Zero()
    {
        var rate = new RateCounter();
        rate.Add(10_000);
        Assert.Equal(0, rate.Read(12_001));
        rate.Add(13_000);
        Assert.Equal(1, rate.Read(13_000));
        Assert.Equal(1, rate.Max);
    }

    [Fact]
    public void ClearMax_KeepsRate()
    {
        var rate = new RateCounter();
        rate.Add(5_000);
        rate.ClearMax();
        Assert.Equal(0, rate.Max);
        Assert.Equal(1, rate.Read(5_000));
    }
}
