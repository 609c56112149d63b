using Sluice.Listeners;
using Sluice.Stats;

namespace Sluice.Tests.Listeners;

public sealed class AcceptPacingTests
{
    [Fact]
    public async Task BelowTheLimitOrWithout_CompletesAtOnce()
    {
        var rate = new RateCounter();
        var now = Environment.TickCount64;
        for (var i = 0; i < 5; i++)
        {
            rate.Add(now);
        }

        Assert.True(AcceptPacing.WaitBelowAsync(rate, 0, CancellationToken.None).AsTask().IsCompletedSuccessfully);
        Assert.True(AcceptPacing.WaitBelowAsync(rate, 1000, CancellationToken.None).AsTask().IsCompletedSuccessfully);
        var held = AcceptPacing.WaitBelowAsync(rate, 5, CancellationToken.None).AsTask();
        Assert.False(held.IsCompleted);
        // The window moves on: the wait ends within about two seconds.
        await held.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData(20, 20, 100_250, 50)] // one event over: the previous second's share loses one every 50 ms
    [InlineData(25, 20, 100_250, 300)] // six over
    [InlineData(40, 20, 100_900, 100)] // never past the next second
    [InlineData(1, 1, 100_999, 1)]
    public void Delay_PerEventOverTheLimit_BoundedByTheNextSecond(int seen, int limit, long now, int expected) =>
        Assert.Equal(expected, AcceptPacing.DelayMs(seen, limit, now));
}
