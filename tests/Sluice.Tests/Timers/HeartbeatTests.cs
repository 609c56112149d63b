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

    private sealed class RecordingTarget : IHeartbeatTarget
    {
        public List<long> Seen { get; } = [];

        public void OnHeartbeat(long nowMs) => Seen.Add(nowMs);
    }

    /// <summary>A clock that moves only when told; its timers never fire on their own.</summary>
    private sealed class ManualTimeProvider : TimeProvider
    {
        private long _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;

        public override long GetTimestamp() => _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new NullTimer();

        private sealed class NullTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
