using Sluice.Timers;
using Sluice.Transport;

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

    [Fact]
    public async Task OnAnEventLoop_TimeIsTheLoopsWake_AndMovesOnAtItsNextWake()
    {
        Assert.True(EventLoop.Supported);
        using var heartbeat = new Heartbeat(TimeProvider.System, TimeSpan.FromMinutes(1));
        var (outer, inner) = await Sluice.Tests.Transport.TestSockets.ConnectedPairAsync();
        using var outerSocket = outer;
        using var innerSocket = inner;
        var waiter = new ReadinessWaiter();
        var loop = EventLoop.Pick();
        loop.RegisterForReading(waiter, inner.SafeHandle);
        try
        {
            var first = await ReadTwiceOnTheLoopAsync(waiter, outer, heartbeat);
            Assert.Equal(first.Before, first.After);
            Assert.Equal(first.Before, first.NowBefore);
            Assert.Equal(first.Before, first.NowAfter);

            // Off the loop the clock is read each time: the sleep on the loop shows.
            Assert.InRange(heartbeat.Refresh() - first.Before, 40, 5_000);

            var second = await ReadTwiceOnTheLoopAsync(waiter, outer, heartbeat);
            Assert.InRange(second.Before - first.Before, 40, 5_000);
            Assert.Equal(second.Before, second.After);
        }
        finally
        {
            loop.Unregister(waiter, inner.SafeHandle);
        }
    }

    /// <summary>Reads the clock on the loop before and after a 50 ms sleep, in the turn that the peer's byte wakes.</summary>
    private static async Task<(long Before, long After, long NowBefore, long NowAfter)> ReadTwiceOnTheLoopAsync(ReadinessWaiter waiter, System.Net.Sockets.Socket peer, Heartbeat heartbeat)
    {
        var read = new TaskCompletionSource<(long, long, long, long)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.True(waiter.ContinueWhenSignalled(
            _ =>
            {
                var before = heartbeat.Refresh();
                var nowBefore = heartbeat.NowMs;
                Thread.Sleep(50);
                read.SetResult((before, heartbeat.Refresh(), nowBefore, heartbeat.NowMs));
            },
            waiter));
        peer.Send([1]);
        return await read.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    private sealed class RecordingTarget : IHeartbeatTarget
    {
        public List<long> Seen { get; } = [];

        public void OnHeartbeat(long nowMs) => Seen.Add(nowMs);
    }
}
