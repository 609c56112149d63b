using Sluice.Timers;

namespace Sluice.Tests.Timers;

public class SideWatchTests
{
    [Fact]
    public void IsExpired_OnlyWhileWaiting()
    {
        var time = new ManualTimeProvider();
        using var clock = new Heartbeat(time, TimeSpan.FromMilliseconds(100));
        var watch = new SideWatch(clock) { LimitMs = 1000 };

        time.Advance(TimeSpan.FromSeconds(5));
        clock.Tick();
        Assert.False(watch.IsExpired(clock.NowMs));

        watch.BeginWait();
        time.Advance(TimeSpan.FromMilliseconds(999));
        clock.Tick();
        Assert.False(watch.IsExpired(clock.NowMs));
        time.Advance(TimeSpan.FromMilliseconds(1));
        clock.Tick();
        Assert.True(watch.IsExpired(clock.NowMs));

        watch.EndWait();
        Assert.False(watch.IsExpired(clock.NowMs));
        Assert.Equal(clock.NowMs, watch.LastActivityMs);
    }

    [Fact]
    public void IsExpired_NoLimit_Never()
    {
        var time = new ManualTimeProvider();
        using var clock = new Heartbeat(time, TimeSpan.FromMilliseconds(100));
        var watch = new SideWatch(clock);
        watch.BeginWait();
        time.Advance(TimeSpan.FromDays(1));
        clock.Tick();
        Assert.False(watch.IsExpired(clock.NowMs));
    }

    [Fact]
    public void Restart_CountsAgainFromNow()
    {
        var time = new ManualTimeProvider();
        using var clock = new Heartbeat(time, TimeSpan.FromMilliseconds(100));
        var watch = new SideWatch(clock) { LimitMs = 1000 };
        watch.BeginWait();
        time.Advance(TimeSpan.FromMilliseconds(900));
        clock.Tick();
        watch.Restart();
        time.Advance(TimeSpan.FromMilliseconds(900));
        clock.Tick();
        Assert.False(watch.IsExpired(clock.NowMs));
    }
}
