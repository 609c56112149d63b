using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Sluice.Transport;

namespace Sluice.Tests.Transport;

public class SocketPipeReaderTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ReadAsync_AllExamined_WaitsForMoreBytes()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        var reader = new SocketPipeReader(socket, new BlockMemoryPool(4096), 1024, waitWithoutBuffer: true);

        await peer.SendAsync("hello"u8.ToArray());
        var first = await reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("hello", Text(first.Buffer));
        reader.AdvanceTo(first.Buffer.Start, first.Buffer.End);

        var second = reader.ReadAsync();
        await Task.Delay(50);
        Assert.False(second.IsCompleted);
        await peer.SendAsync(" world"u8.ToArray());
        var result = await second.AsTask().WaitAsync(Wait);
        Assert.Equal("hello world", Text(result.Buffer));
        Assert.False(result.IsCompleted);
        reader.AdvanceTo(result.Buffer.End);
        reader.Complete();
        socket.Dispose();
    }

    [Fact]
    public async Task ReadAsync_PartlyExamined_ReturnsAtOnceWithWhatIsLeft()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        var reader = new SocketPipeReader(socket, new BlockMemoryPool(4096), 1024, waitWithoutBuffer: false);

        await peer.SendAsync("abcdef"u8.ToArray());
        var first = await ReadAtLeastAsync(reader, 6);
        reader.AdvanceTo(first.Buffer.GetPosition(2), first.Buffer.GetPosition(3));
        var second = reader.ReadAsync().AsTask();
        Assert.True(second.IsCompleted);
        Assert.Equal("cdef", Text((await second).Buffer));
        Assert.True(reader.TryRead(out var again));
        Assert.Equal("cdef", Text(again.Buffer));
        reader.AdvanceTo(again.Buffer.End);
        Assert.False(reader.TryRead(out _));
        reader.Complete();
        socket.Dispose();
    }

    [Fact]
    public async Task ReadAsync_BytesAcrossManyBlocks_SequenceHoldsThemInOrder()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        var reader = new SocketPipeReader(socket, new BlockMemoryPool(4096), 1024, waitWithoutBuffer: true);
        var sent = new byte[50_000];
        new Random(7).NextBytes(sent);
        var send = peer.SendAsync(sent);

        // Nothing is consumed until all has come: the bytes pile up over a dozen blocks.
        var result = await ReadAtLeastAsync(reader, sent.Length);
        await send;
        Assert.Equal(sent, result.Buffer.ToArray());
        Assert.False(result.Buffer.IsSingleSegment);

        // Consuming part of the chain releases the blocks before the position, and the rest reads the same.
        reader.AdvanceTo(result.Buffer.GetPosition(30_000));
        var rest = await reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(sent.AsSpan(30_000).ToArray(), rest.Buffer.ToArray());
        reader.AdvanceTo(rest.Buffer.End);
        reader.Complete();
        socket.Dispose();
    }

    [Fact]
    public async Task ReadAsync_PeerClosed_CompletedWithTheLastBytes()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        var reader = new SocketPipeReader(socket, new BlockMemoryPool(4096), 1024, waitWithoutBuffer: true);
        await peer.SendAsync("last"u8.ToArray());
        peer.Shutdown(SocketShutdown.Send);

        var result = await ReadAtLeastAsync(reader, 4);
        reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        result = await reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.True(result.IsCompleted);
        Assert.Equal("last", Text(result.Buffer));
        reader.AdvanceTo(result.Buffer.End);
        result = await reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.True(result.IsCompleted);
        Assert.True(result.Buffer.IsEmpty);
        reader.Complete();
        peer.Dispose();
        socket.Dispose();
    }

    [Fact]
    public async Task CancelPendingRead_WhileWaitingOrBefore_ReadEndsCanceledAndReadingGoesOn()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        var reader = new SocketPipeReader(socket, new BlockMemoryPool(4096), 1024, waitWithoutBuffer: true);

        var waiting = reader.ReadAsync();
        await Task.Delay(50);
        reader.CancelPendingRead();
        var canceled = await waiting.AsTask().WaitAsync(Wait);
        Assert.True(canceled.IsCanceled);
        reader.AdvanceTo(canceled.Buffer.End);

        reader.CancelPendingRead();
        var early = await reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.True(early.IsCanceled);
        reader.AdvanceTo(early.Buffer.End);

        await SendAndReadAsync(peer, reader, "after");
        reader.Complete();
        socket.Dispose();
    }

    [Fact]
    public async Task ReadAsync_CallerTokenCanceled_ThrowsAndTheNextReadWorks()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        var reader = new SocketPipeReader(socket, new BlockMemoryPool(4096), 1024, waitWithoutBuffer: false);

        using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reader.ReadAsync(cts.Token).AsTask().WaitAsync(Wait));
        }

        await SendAndReadAsync(peer, reader, "x");
        reader.Complete();
        socket.Dispose();
    }

    [Fact]
    public async Task ReadAsync_SocketClosedWhileWaiting_IOException_ThenCompleteReleases()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        var reader = new SocketPipeReader(socket, new BlockMemoryPool(4096), 1024, waitWithoutBuffer: false);
        var waiting = reader.ReadAsync();
        await Task.Delay(50);

        // What SocketDuplex.Dispose does: close the socket, then complete the reader while its read is in flight.
        socket.Shutdown(SocketShutdown.Both);
        socket.Dispose();
        reader.Complete();
        var failure = await Record.ExceptionAsync(() => waiting.AsTask().WaitAsync(Wait));
        Assert.True(failure is IOException or null, $"unexpected {failure}");
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await reader.ReadAsync());
    }

    [Fact]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2012:Use ValueTasks correctly", Justification = "The reads must all wait at once; each is awaited exactly once.")]
    public async Task WaitingReads_ManyAtOnce_OnceWarm_AllocateNothing()
    {
        const int Connections = 8;
        var pairs = new (Socket Peer, Socket Socket)[Connections];
        var readers = new SocketPipeReader[Connections];
        var pool = new BlockMemoryPool(4096);
        for (var i = 0; i < Connections; i++)
        {
            pairs[i] = await TestSockets.ConnectedPairAsync();
            readers[i] = new SocketPipeReader(pairs[i].Socket, pool, 1024, waitWithoutBuffer: false);
        }

        var pending = new ValueTask<ReadResult>[Connections];
        long allocated = 0;
        for (var round = 0; round < 4; round++)
        {
            // The reads that wait (nothing sent yet) are started on this thread, where their boxes are taken.
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Connections; i++)
            {
                pending[i] = readers[i].ReadAsync();
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            for (var i = 0; i < Connections; i++)
            {
                await pairs[i].Peer.SendAsync(new byte[] { (byte)round });
                var result = await pending[i];
                Assert.Equal(1, result.Buffer.Length);
                readers[i].AdvanceTo(result.Buffer.End);
            }
        }

        Assert.Equal(0, allocated);
        for (var i = 0; i < Connections; i++)
        {
            readers[i].Complete();
            pairs[i].Socket.Dispose();
            pairs[i].Peer.Dispose();
        }
    }

    /// <summary>The peer sends <paramref name="text"/>: the next read, not canceled, returns exactly it, which is consumed.</summary>
    private static async Task SendAndReadAsync(Socket peer, PipeReader reader, string text)
    {
        await peer.SendAsync(Encoding.ASCII.GetBytes(text));
        var result = await reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.False(result.IsCanceled);
        Assert.Equal(text, Text(result.Buffer));
        reader.AdvanceTo(result.Buffer.End);
    }

    [Fact]
    public async Task ReadAsync_LastBytesAndEndInOneEvent_TheEndIsStillRead()
    {
        // A waiting reader gets the peer's last bytes and its FIN, often in one epoll event: the receive that takes
        // the bytes does not fill its buffer, and no further event will come for the end, which the next read must
        // find all the same. Many rounds, since whether the two arrive in one event is up to the scheduler.
        for (var round = 0; round < 200; round++)
        {
            var (peer, socket) = await TestSockets.ConnectedPairAsync();
            var reader = new SocketPipeReader(socket, new BlockMemoryPool(4096), 1024, waitWithoutBuffer: false);
            var waiting = reader.ReadAsync();
            peer.Send("last"u8);
            peer.Shutdown(SocketShutdown.Send);

            var result = await waiting.AsTask().WaitAsync(Wait);
            while (!result.IsCompleted)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                result = await reader.ReadAsync().AsTask().WaitAsync(Wait);
            }

            Assert.Equal("last", Text(result.Buffer));
            reader.AdvanceTo(result.Buffer.End);
            reader.Complete();
            peer.Dispose();
            socket.Dispose();
        }
    }

    [Fact]
    public async Task ReadAsync_ThroughTheRuntimesEngine_AsOnTheLoop()
    {
        // `noepoll`: the same reads through the runtime's socket engine.
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        var reader = new SocketPipeReader(socket, new BlockMemoryPool(4096), 1024, waitWithoutBuffer: true, onEventLoop: false);
        var waiting = reader.ReadAsync();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        await peer.SendAsync("hello"u8.ToArray());
        var first = await waiting.AsTask().WaitAsync(Wait);
        Assert.Equal("hello", Text(first.Buffer));
        reader.AdvanceTo(first.Buffer.End);
        peer.Shutdown(SocketShutdown.Send);
        var end = await reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.True(end.IsCompleted);
        reader.Complete();
        peer.Dispose();
        socket.Dispose();
    }

    private static async Task<ReadResult> ReadAtLeastAsync(PipeReader reader, int count)
    {
        while (true)
        {
            var result = await reader.ReadAsync().AsTask().WaitAsync(Wait);
            if (result.Buffer.Length >= count || result.IsCompleted)
            {
                return result;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static string Text(ReadOnlySequence<byte> bytes) => Encoding.ASCII.GetString(bytes.ToArray());
}
