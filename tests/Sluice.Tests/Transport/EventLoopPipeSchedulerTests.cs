using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using Sluice.Transport;

namespace Sluice.Tests.Transport;

public class EventLoopPipeSchedulerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task WriteOnALoop_ResumesTheWaitingReaderOnThatLoop_AfterTheWriterReturns()
    {
        var (peer, socket) = await TestSockets.ConnectedPairAsync();
        using var peerSocket = peer;
        using var loopSocket = socket;
        var socketReader = new SocketPipeReader(socket, new BlockMemoryPool(4096), 1024, waitWithoutBuffer: true);
        var pipe = NewPipe();
        var order = new ConcurrentQueue<string>();
        var readerThread = ReadOneAsync(pipe.Reader, order);

        // Nothing sent yet: the socket read waits for the loop's signal, and what follows it runs on the loop's thread.
        var read = socketReader.ReadAsync();
        Assert.False(read.IsCompleted);
        var writerThread = WriteAfterAsync(read, socketReader, pipe.Writer, order);
        await peer.SendAsync("go"u8.ToArray());

        var writer = await writerThread.WaitAsync(Wait);
        var reader = await readerThread.WaitAsync(Wait);
        Assert.StartsWith("Sluice loop", writer);
        Assert.Equal(writer, reader.Thread);
        Assert.Equal("body", reader.Body);
        Assert.Equal(["written", "read"], order.ToArray());
        socketReader.Complete();
    }

    [Fact]
    public async Task WriteOffTheLoops_ResumesTheWaitingReaderOnTheThreadPool()
    {
        var pipe = NewPipe();
        var order = new ConcurrentQueue<string>();
        var readerThread = ReadOneAsync(pipe.Reader, order);

        await Task.Run(async () => await pipe.Writer.WriteAsync("body"u8.ToArray()));
        var reader = await readerThread.WaitAsync(Wait);
        Assert.True(reader.Pooled);
        Assert.DoesNotContain("Sluice loop", reader.Thread ?? string.Empty);
        Assert.Equal("body", reader.Body);
    }

    private static async Task<string?> WriteAfterAsync(ValueTask<ReadResult> read, PipeReader socketReader, PipeWriter writer, ConcurrentQueue<string> order)
    {
        var result = await read.ConfigureAwait(false);
        socketReader.AdvanceTo(result.Buffer.End);
        await writer.WriteAsync("body"u8.ToArray()).ConfigureAwait(false);
        order.Enqueue("written");
        return Thread.CurrentThread.Name;
    }

    private static Pipe NewPipe() => new(new PipeOptions(
        readerScheduler: EventLoop.PipeScheduler, writerScheduler: EventLoop.PipeScheduler, useSynchronizationContext: false));

    private static async Task<(string? Thread, bool Pooled, string Body)> ReadOneAsync(PipeReader reader, ConcurrentQueue<string> order)
    {
        var result = await reader.ReadAsync().ConfigureAwait(false);
        order.Enqueue("read");
        var body = System.Text.Encoding.ASCII.GetString(result.Buffer.ToArray());
        reader.AdvanceTo(result.Buffer.End);
        return (Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread, body);
    }
}
