using Sluice.Timers;

namespace Sluice.Tests.Timers;

public class HeartbeatTests
{
    [Fact]
    public void Tick_RegisteredTargets_CalledWithCurrentTime()
    {
        var time = new ManualTimeProvider();
        using var heartbeat = new Heartbeat(time, TimeSpan.FromMilliseconds(100));
        var target = new RecordingTarget();
        heartbeat.Register(target);
        time.Advance(TimeSpan.FromMilliseconds(250));
        heartbeat.Tick();
        Assert.Equal([250L], target.Seen);
        heartbeat.Unregister(target);
        heartbeat.Tick();
        Assert.Single(target.Seen);
    }

    [Fact]
    public void NowMs_BetweenTicks_Coarse()
    {
        var time = new ManualTimeProvider();
        using var heartbeat = new Heartbeat(time, TimeSpan.FromMilliseconds(100));
        heartbeat.Tick();
        time.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal(0, heartbeat.NowMs);
        Assert.Equal(40, heartbeat.Refresh());
        Assert.Equal(40, heartbeat.NowMs);
    }

    [Fact]
    public async Task NowMs_SystemClockWithoutTicks_FollowsRealTimeAndStaysBehindRefresh()
    {
        // A tick held up (here: none for a minute) must not leave activity stamped with an old time.
        using var heartbeat = new Heartbeat(TimeProvider.System, TimeSpan.FromMinutes(1));
        var before = heartbeat.NowMs;
        await Task.Delay(120);
        var stamped = heartbeat.NowMs;
        Assert.InRange(stamped - before, 100, 5_000);
        for (var i = 0; i < 100_000; i++)
        {
            var coarse = heartbeat.NowMs;
            Assert.True(coarse <= heartbeat.Refresh(), $"NowMs {coarse} ran ahead of the precise time");
        }
    }

    private sealed class RecordingTarget : IHeartbeatTarget
    {
        public List<long> Seen { get; } = [];

        public void OnHeartbeat(long nowMs) => Seen.Add(nowMs);
    }
}
