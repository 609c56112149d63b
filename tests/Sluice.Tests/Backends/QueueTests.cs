using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Tests.Balancing;

namespace Sluice.Tests.Backends;

public class QueueTests
{
    private static BackendState Backend(params ServerConfig[] servers) =>
        TestBackends.Create(new BalanceConfig(BalanceAlgorithm.RoundRobin), allBackups: false, servers);

    [Fact]
    public async Task Assign_AllFull_QueuedThenServedInArrivalOrderAsSlotsFree()
    {
        var backend = Backend(TestBackends.Server(1, maxConn: 1));
        Assert.Equal(AssignStatus.Assigned, ServerAssignment.Assign(backend, null, null, false, new QueueWaiter(), long.MaxValue, out var holder));
        var waiters = Enumerable.Range(0, 3).Select(_ => new QueueWaiter()).ToArray();
        var tasks = waiters.Select(w =>
        {
            Assert.Equal(AssignStatus.Queued, ServerAssignment.Assign(backend, null, null, false, w, long.MaxValue, out _));
            return w.WaitAsync().AsTask();
        }).ToArray();
        Assert.Equal([0, 1, 2], waiters.Select(w => w.BackendQueuePosition));
        Assert.Equal(3, backend.Queues.Shared.Count);

        holder!.Release();
        Assert.Equal(QueueOutcome.Served, await tasks[0].WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(tasks[1].IsCompleted);
        Assert.Equal(1, backend.Servers[0].CurrentConnections);

        waiters[0].Server!.Release();
        Assert.Equal(QueueOutcome.Served, await tasks[1].WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.False(tasks[2].IsCompleted);
    }

    [Fact]
    public void Assign_WhileOthersWait_NewRequestGoesBehindThem()
    {
        var backend = Backend(TestBackends.Server(1, maxConn: 1));
        ServerAssignment.Assign(backend, null, null, false, new QueueWaiter(), long.MaxValue, out var holder);
        var first = new QueueWaiter();
        ServerAssignment.Assign(backend, null, null, false, first, long.MaxValue, out _);

        // The slot is freed and handed over, then a newcomer arrives: it must queue, not take a slot.
        holder!.Release();
        var newcomer = new QueueWaiter();
        Assert.Equal(AssignStatus.Queued, ServerAssignment.Assign(backend, null, null, false, newcomer, long.MaxValue, out _));
        Assert.Equal(QueueOutcome.Served, first.Outcome);
        Assert.True(newcomer.IsQueued);
    }

    [Fact]
    public void Cancel_QueuedWaiter_LeavesTheQueueAndIsNotServed()
    {
        var backend = Backend(TestBackends.Server(1, maxConn: 1));
        ServerAssignment.Assign(backend, null, null, false, new QueueWaiter(), long.MaxValue, out var holder);
        var leaving = new QueueWaiter();
        var staying = new QueueWaiter();
        ServerAssignment.Assign(backend, null, null, false, leaving, long.MaxValue, out _);
        ServerAssignment.Assign(backend, null, null, false, staying, long.MaxValue, out _);

        backend.Queues.Cancel(leaving, QueueOutcome.TimedOut);
        Assert.Equal(QueueOutcome.TimedOut, leaving.Outcome);
        Assert.Equal(1, backend.Queues.Shared.Count);
        holder!.Release();
        Assert.Equal(QueueOutcome.Served, staying.Outcome);
        Assert.Null(leaving.Server);

        // A second cancel after the end changes nothing.
        backend.Queues.Cancel(staying, QueueOutcome.Aborted);
        Assert.Equal(QueueOutcome.Served, staying.Outcome);
    }

    [Fact]
    public void Assign_PinnedServerFull_ServerQueueBoundedByMaxQueue()
    {
        var backend = Backend(TestBackends.Server(1, maxConn: 1) with { MaxQueue = 2 }, TestBackends.Server(2, maxConn: 1));
        var pinned = backend.Servers[0];
        Assert.Equal(AssignStatus.Assigned, ServerAssignment.Assign(backend, null, pinned, false, new QueueWaiter(), long.MaxValue, out _));
        Assert.Equal(AssignStatus.Queued, ServerAssignment.Assign(backend, null, pinned, false, new QueueWaiter(), long.MaxValue, out _));
        Assert.Equal(AssignStatus.Queued, ServerAssignment.Assign(backend, null, pinned, false, new QueueWaiter(), long.MaxValue, out _));
        Assert.Equal(AssignStatus.QueueFull, ServerAssignment.Assign(backend, null, pinned, false, new QueueWaiter(), long.MaxValue, out var full));
        Assert.Equal(pinned, full);

        // With `option redispatch` the request goes to another server instead.
        Assert.Equal(AssignStatus.Assigned, ServerAssignment.Assign(backend, null, pinned, true, new QueueWaiter(), long.MaxValue, out var other));
        Assert.Equal("s2", other!.Name);
    }

    [Fact]
    public void Release_ServerQueueAndBackendQueue_OldestWaiterFirst()
    {
        var backend = Backend(TestBackends.Server(1, maxConn: 1));
        var server = backend.Servers[0];
        ServerAssignment.Assign(backend, null, null, false, new QueueWaiter(), long.MaxValue, out var holder);
        var shared = new QueueWaiter();
        var own = new QueueWaiter();
        ServerAssignment.Assign(backend, null, null, false, shared, long.MaxValue, out _);
        ServerAssignment.Assign(backend, null, server, false, own, long.MaxValue, out _);

        holder!.Release();
        Assert.Equal(QueueOutcome.Served, shared.Outcome);
        Assert.True(own.IsQueued);
        shared.Server!.Release();
        Assert.Equal(QueueOutcome.Served, own.Outcome);
    }

    [Fact]
    public void Assign_NoUsableServer_NoServerNotQueued()
    {
        var backend = Backend(TestBackends.Server(1, maxConn: 1));
        backend.Servers[0].IsUp = false;
        Assert.Equal(AssignStatus.NoServer, ServerAssignment.Assign(backend, null, null, false, new QueueWaiter(), long.MaxValue, out _));
        Assert.Equal(0, backend.Queues.Shared.Count);
    }

    [Fact]
    public void ServerUp_BackendQueueWaitersServed()
    {
        var backend = Backend(TestBackends.Server(1, maxConn: 1), TestBackends.Server(2, maxConn: 1));
        backend.Servers[1].IsUp = false;
        ServerAssignment.Assign(backend, null, null, false, new QueueWaiter(), long.MaxValue, out _);
        var waiter = new QueueWaiter();
        Assert.Equal(AssignStatus.Queued, ServerAssignment.Assign(backend, null, null, false, waiter, long.MaxValue, out _));
        backend.Servers[1].IsUp = true;
        Assert.Equal(QueueOutcome.Served, waiter.Outcome);
        Assert.Equal("s2", waiter.Server!.Name);
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(50, 50)]
    [InlineData(100, 100)]
    [InlineData(150, 100)]
    public void EffectiveMaxConn_MinConnAndFullConn_GrowsWithBackendLoad(int load, int expected)
    {
        var backend = new BackendState(new BackendConfig
        {
            Name = "be",
            Location = "test.cfg:1",
            Id = 1,
            FullConn = 100,
            Servers = [TestBackends.Server(1, maxConn: 100) with { MinConn = 10 }, TestBackends.Server(2)],
        });
        var other = backend.Servers[1];
        for (var i = 0; i < load; i++)
        {
            Assert.True(other.TryAcquire());
        }

        Assert.Equal(expected, backend.Servers[0].EffectiveMaxConn);
    }
}
