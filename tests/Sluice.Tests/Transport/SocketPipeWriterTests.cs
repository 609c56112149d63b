using System.Buffers;
using System.Net.Sockets;
using Sluice.Transport;

namespace Sluice.Tests.Transport;

public class SocketPipeWriterTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task FlushAsync_WritesInPieces_PeerGetsThemInOrder()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        using var ownSocket = socket;
        var writer = new SocketPipeWriter(socket, new BlockMemoryPool(4096), 1024);

        writer.Write("GET / HTTP/1.1\r\n"u8);
        var span = writer.GetSpan(6);
        "Host: "u8.CopyTo(span);
        writer.Advance(6);
        writer.Write("a\r\n\r\n"u8);
        Assert.Equal(27, writer.UnflushedBytes);

        var flush = await writer.FlushAsync().AsTask().WaitAsync(Wait);
        Assert.False(flush.IsCanceled);
        Assert.Equal(0, writer.UnflushedBytes);
        Assert.Equal("GET / HTTP/1.1\r\nHost: a\r\n\r\n", await ReceiveTextAsync(peer, 27));
        writer.Complete();
    }

    [Fact]
    public async Task FlushAsync_MoreThanABlock_AcrossBlocksAndOversized_AllArrive()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        using var ownSocket = socket;
        var writer = new SocketPipeWriter(socket, new BlockMemoryPool(4096), 1024);
        var expected = new byte[3 * 4096 + 10000];
        Random.Shared.NextBytes(expected);

        // Blocks filled to the brim, then one request larger than a block.
        var offset = 0;
        for (var i = 0; i < 3; i++)
        {
            expected.AsSpan(offset, 4096).CopyTo(writer.GetSpan(4096));
            writer.Advance(4096);
            offset += 4096;
        }

        expected.AsSpan(offset).CopyTo(writer.GetSpan(10000));
        writer.Advance(10000);
        await writer.FlushAsync().AsTask().WaitAsync(Wait);

        Assert.Equal(expected, await ReceiveAsync(peer, expected.Length));
        writer.Complete();
    }

    [Fact]
    public async Task FlushAsync_PeerNotReading_WaitsForRoomThenSendsTheRest()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        using var ownSocket = socket;
        // Small buffers (the kernel doubles them; a few times 64 KiB in flight), not so small that each round trip
        // waits for a delayed acknowledgement.
        socket.SendBufferSize = 65536;
        peer.ReceiveBufferSize = 65536;
        var writer = new SocketPipeWriter(socket, new BlockMemoryPool(16384), 4096);
        var expected = new byte[4 << 20];
        Random.Shared.NextBytes(expected);
        for (var offset = 0; offset < expected.Length; offset += 16384)
        {
            expected.AsSpan(offset, 16384).CopyTo(writer.GetSpan(16384));
            writer.Advance(16384);
        }

        // Far more than the socket's buffers take: the flush cannot end before the peer reads.
        var flush = writer.FlushAsync();
        await Task.Delay(100);
        Assert.False(flush.IsCompleted);

        var received = ReceiveAsync(peer, expected.Length);
        await flush.AsTask().WaitAsync(Wait);
        Assert.Equal(0, writer.UnflushedBytes);
        Assert.Equal(expected, await received.WaitAsync(Wait));

        // And the writer goes on as before.
        writer.Write("next"u8);
        await writer.FlushAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("next", await ReceiveTextAsync(peer, 4));
        writer.Complete();
    }

    [Fact]
    public async Task FlushAsync_PeerReset_IOException()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var ownSocket = socket;
        var writer = new SocketPipeWriter(socket, new BlockMemoryPool(4096), 1024);
        peer.LingerState = new LingerOption(true, 0);
        peer.Dispose();
        await Task.Delay(50);

        // The first send may still be taken by the socket; the reset is reported by the next ones at the latest.
        var failure = await Assert.ThrowsAsync<IOException>(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                writer.Write("data"u8);
                await writer.FlushAsync();
                await Task.Delay(10);
            }
        });
        Assert.StartsWith("Unable to write data to the transport connection", failure.Message);
        writer.Complete();
    }

    [Fact]
    public async Task FlushAsync_SocketClosedUnderAWaitingFlush_IOException_AndCompleteAfterwards()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        socket.SendBufferSize = 65536;
        peer.ReceiveBufferSize = 65536;
        var writer = new SocketPipeWriter(socket, new BlockMemoryPool(16384), 4096);
        for (var i = 0; i < 256; i++)
        {
            writer.GetSpan(16384);
            writer.Advance(16384);
        }

        var flush = writer.FlushAsync();
        Assert.False(flush.IsCompleted);

        // As SocketDuplex.Abort and Dispose do from another thread: the socket closes, the writer completes.
        socket.Shutdown(SocketShutdown.Both);
        socket.Dispose();
        writer.Complete();
        await Assert.ThrowsAsync<IOException>(async () => await flush.AsTask().WaitAsync(Wait));
        Assert.Throws<InvalidOperationException>(() => writer.GetSpan());
        Assert.Equal(0, writer.UnflushedBytes);
    }

    [Fact]
    public async Task Write_AfterComplete_InvalidOperation()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        using var ownSocket = socket;
        var writer = new SocketPipeWriter(socket, new BlockMemoryPool(4096), 1024);
        writer.Write("unsent"u8);
        writer.Complete();
        Assert.Equal(0, writer.UnflushedBytes);
        Assert.Throws<InvalidOperationException>(() => writer.GetMemory());
        Assert.Throws<InvalidOperationException>(() => { _ = writer.FlushAsync().AsTask(); });
        writer.Complete();
    }

    [Fact]
    public async Task Flushes_OnceWarm_AllocateNothing()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        using var ownSocket = socket;
        var writer = new SocketPipeWriter(socket, new BlockMemoryPool(4096), 1024);
        long allocated = 0;
        for (var round = 0; round < 4; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 8; i++)
            {
                writer.Write("0123456789"u8);
                var flush = writer.FlushAsync();
                Assert.True(flush.IsCompletedSuccessfully);
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            await ReceiveAsync(peer, 80);
        }

        Assert.Equal(0, allocated);
        writer.Complete();
    }

    private static async Task<byte[]> ReceiveAsync(Socket peer, int count)
    {
        var buffer = new byte[count];
        var received = 0;
        while (received < count)
        {
            var n = await peer.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None).AsTask().WaitAsync(Wait);
            Assert.NotEqual(0, n);
            received += n;
        }

        return buffer;
    }

    private static async Task<string> ReceiveTextAsync(Socket peer, int count) =>
        System.Text.Encoding.ASCII.GetString(await ReceiveAsync(peer, count));
}
