using Sluice.Transport;

namespace Sluice.Tests.Transport;

public class AsyncTurnTests
{
    [Fact]
    public void FreeTurn_IsTakenAtOnce_AndAgainAfterItIsGiven()
    {
        var turn = new AsyncTurn();
        Assert.True(TakenAtOnce(turn.TakeAsync()));
        turn.Give();
        Assert.True(TakenAtOnce(turn.TakeAsync()));
        turn.Give();
        Assert.Equal(0, turn.Waiting);
    }

    [Fact]
    public async Task Waiters_GetTheTurnInTheOrderTheyCame_OneAtATime()
    {
        var turn = new AsyncTurn();
        await turn.TakeAsync();
        var order = new List<int>();
        var holders = 0;
        var overlapped = false;
        var waits = Enumerable.Range(0, 5).Select(async i =>
        {
            await turn.TakeAsync();
            overlapped |= Interlocked.Increment(ref holders) > 1;
            lock (order)
            {
                order.Add(i);
            }

            await Task.Yield();
            Interlocked.Decrement(ref holders);
            turn.Give();
        }).ToArray();
        Assert.Equal(5, turn.Waiting);
        Assert.All(waits, wait => Assert.False(wait.IsCompleted));

        turn.Give();
        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([0, 1, 2, 3, 4], order);
        Assert.False(overlapped);
        Assert.Equal(0, turn.Waiting);
        Assert.True(TakenAtOnce(turn.TakeAsync()));
    }

    [Fact]
    public async Task AWaiter_IsNotResumedInsideTheGiversCall()
    {
        var turn = new AsyncTurn();
        await turn.TakeAsync();
        var resumedOn = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiter = Task.Run(async () =>
        {
            await turn.TakeAsync();
            resumedOn.SetResult(Environment.CurrentManagedThreadId);
            turn.Give();
        });
        while (turn.Waiting == 0)
        {
            await Task.Delay(1);
        }

        // A thread of its own (no loop's, no pool's): resumed inline, the waiter would run on it.
        var giver = new Thread(turn.Give);
        giver.Start();
        giver.Join();
        await waiter.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEqual(giver.ManagedThreadId, await resumedOn.Task);
    }

    [Fact]
    public async Task ManyThreads_TakingAndGiving_NeverHoldTogether_AndAllFinish()
    {
        var turn = new AsyncTurn();
        var holders = 0;
        var overlaps = 0;
        var counter = 0;
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                await turn.TakeAsync();
                if (Interlocked.Increment(ref holders) != 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                // Not atomic on purpose: only the turn keeps the count right.
                counter++;
                if (i % 64 == 0)
                {
                    await Task.Yield();
                }

                Interlocked.Decrement(ref holders);
                turn.Give();
            }
        })).ToArray();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, overlaps);
        Assert.Equal(8 * 5_000, counter);
        Assert.Equal(0, turn.Waiting);
        Assert.True(TakenAtOnce(turn.TakeAsync()));
    }

    private static bool TakenAtOnce(ValueTask take) => take.IsCompletedSuccessfully;
}
