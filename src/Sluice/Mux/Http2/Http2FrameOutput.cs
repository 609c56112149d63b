using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Sluice.Messages;
using Sluice.Protocols.Http2;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Mux.Http2;

/// <summary>
/// The one way out of an HTTP/2 connection, in front and behind: every frame passes through one async lock, so that
/// HPACK blocks and stream identifiers leave in the order they were made. Frames made outside the writer
/// (acknowledgements, resets, window updates) go into <see cref="Control"/> under the connection's lock, and the next
/// writer sends them first. A writer that knows another is in line leaves its flush to it, and a writer that leaves
/// little behind does not flush at all: one flush is queued (on the event loop, else to the thread pool) behind the
/// work already waiting there (the other streams woken by the same read), so that under load the frames of many
/// streams leave in one system call instead of one each.
/// </summary>
internal sealed class Http2FrameOutput : IThreadPoolWorkItem
{
    /// <summary>Frames of one stream written under the write lock (<see cref="WriteAsync{TWrite}"/>).</summary>
    internal interface IFrameWrite
    {
        /// <summary>Writes the frames; false when the stream can no longer send. <paramref name="complete"/>: the write is to be completed (flushed as <see cref="CompleteWriteAsync"/> decides) now.</summary>
        bool Write(out bool complete);
    }

    /// <summary>
    /// Unflushed bytes a writer may leave to the queued flush; beyond it the writer flushes and waits for the socket
    /// itself, which keeps the back-pressure of bodies (a DATA frame of the default size is above it).
    /// </summary>
    private const int DeferredFlushLimit = 16 * 1024;

    // The stream body pipes have no pause threshold (the stream windows bound them); one options object for all. A
    // read that waited resumes on the event loop of the connection that wrote (EventLoop.PipeScheduler).
    private static readonly PipeOptions BodyPipeOptions = new(
        readerScheduler: EventLoop.PipeScheduler, writerScheduler: EventLoop.PipeScheduler,
        pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false);

    private readonly PipeWriter _output;
    private readonly Lock _sync;
    private readonly AsyncTurn _turn = new();
    private readonly SideWatch? _watch;
    private readonly bool _peerIsClient;

    // 1 while a flush is on its way (queued behind the streams' work, or started for control frames) and has not yet
    // taken the write lock.
    private int _flushQueued;

    /// <param name="output">The connection's output pipe.</param>
    /// <param name="sync">The connection's lock, which guards <see cref="Control"/>.</param>
    /// <param name="watch">Counts the waits for the peer to take our bytes (`timeout client` in front); null behind.</param>
    /// <param name="peerIsClient">Which side a failed write is charged to.</param>
    public Http2FrameOutput(PipeWriter output, Lock sync, SideWatch? watch, bool peerIsClient)
    {
        _output = output;
        _sync = sync;
        _watch = watch;
        _peerIsClient = peerIsClient;
    }

    /// <summary>Control frames waiting for the next writer; under the connection's lock.</summary>
    public ArrayBufferWriter<byte> Control { get; } = new(256);

    /// <summary>The output pipe; under the write lock.</summary>
    public PipeWriter Output => _output;

    /// <summary>Bytes were written since the last flush; under the write lock.</summary>
    public bool FlushOwed { get; set; }

    /// <summary>The connection is over: writers that get the lock fail (<see cref="DrainControl"/>); under the write lock.</summary>
    public bool Closed { get; set; }

    /// <summary>A pipe for the DATA of one stream, in either direction: the stream window, not the pipe, bounds what waits in it.</summary>
    public static Pipe NewBodyPipe() => new(BodyPipeOptions);

    /// <summary>
    /// Takes the writer's turn: at once when it is free and nobody waits for it, else after a wait that is counted,
    /// so that the writer in front may leave its flush to this one.
    /// </summary>
    public ValueTask AcquireAsync() => _turn.TakeAsync();

    public void Release() => _turn.Give();

    /// <summary>
    /// Makes <paramref name="write"/> under the write lock and completes it (<see cref="CompleteWriteAsync"/>), the lock
    /// released once its flush is done; fails with <see cref="HttpBodyException"/> when the write found its stream
    /// closed. When neither the lock nor the socket makes it wait, no async method runs.
    /// </summary>
    public ValueTask WriteAsync<TWrite>(TWrite write)
        where TWrite : struct, IFrameWrite
    {
        var acquire = AcquireAsync();
        return acquire.IsCompletedSuccessfully ? WriteHoldingLock(write) : WriteAfterWaitAsync(acquire, write);
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private async ValueTask WriteAfterWaitAsync<TWrite>(ValueTask acquire, TWrite write)
        where TWrite : struct, IFrameWrite
    {
        await acquire.ConfigureAwait(false);
        await WriteHoldingLock(write).ConfigureAwait(false);
    }

    private ValueTask WriteHoldingLock<TWrite>(TWrite write)
        where TWrite : struct, IFrameWrite
    {
        bool open;
        var completion = default(ValueTask);
        try
        {
            open = write.Write(out var complete);
            if (complete)
            {
                completion = CompleteWriteAsync();
            }
        }
        catch (Exception ex)
        {
            Release();
            return ValueTask.FromException(ex);
        }

        if (!completion.IsCompletedSuccessfully)
        {
            return ReleaseAfterAsync(completion, open);
        }

        Release();
        completion.GetAwaiter().GetResult();
        return open ? default : ValueTask.FromException(StreamClosed());
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private async ValueTask ReleaseAfterAsync(ValueTask completion, bool open)
    {
        try
        {
            await completion.ConfigureAwait(false);
        }
        finally
        {
            Release();
        }

        if (!open)
        {
            throw StreamClosed();
        }
    }

    /// <summary>
    /// DATA frames of at most <paramref name="maxFrame"/> bytes for <paramref name="data"/> (one empty frame when it is
    /// empty), END_STREAM on the last when <paramref name="endStream"/>; under the write lock. Returns the frame count.
    /// </summary>
    public int WriteDataFrames(int streamId, ReadOnlySequence<byte> data, bool endStream, int maxFrame)
    {
        var frames = 0;
        while (true)
        {
            frames++;
            var length = (int)Math.Min(data.Length, maxFrame);
            var last = length == data.Length;
            Http2FrameWriter.TryWriteFrameHeader(
                _output.GetSpan(Http2Protocol.FrameHeaderLength), length, Http2FrameType.Data, endStream && last ? Http2FrameFlags.EndStream : Http2FrameFlags.None, streamId);
            _output.Advance(Http2Protocol.FrameHeaderLength);
            foreach (var segment in data.Slice(0, length))
            {
                _output.Write(segment.Span);
            }

            data = data.Slice(length);
            if (data.IsEmpty)
            {
                FlushOwed = true;
                return frames;
            }
        }
    }

    private HttpBodyException StreamClosed() => new(BodyFailure.Closed, clientSide: _peerIsClient);

    public bool HasControlFrames()
    {
        lock (_sync)
        {
            return Control.WrittenCount > 0;
        }
    }

    /// <summary>
    /// Sends the queued control frames from a task of its own, started at once (a GOAWAY or a reset should not wait
    /// for the streams' work), unless a flush is already on its way. Any thread.
    /// </summary>
    public void ScheduleControlFlush()
    {
        // Most callers queue nothing: no task, no lock then.
        if (HasControlFrames() && Interlocked.Exchange(ref _flushQueued, 1) == 0)
        {
            _ = FlushQueuedAsync();
        }
    }

    /// <summary>Sends the queued control frames and whatever writers left unflushed, now.</summary>
    public async ValueTask FlushControlAsync()
    {
        await AcquireAsync().ConfigureAwait(false);
        try
        {
            DrainControl();
            if (FlushOwed)
            {
                FlushOwed = false;
                await FlushAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Copies the queued control frames to the output; under the write lock. Throws once the connection is <see cref="Closed"/>.</summary>
    public bool DrainControl()
    {
        if (Closed)
        {
            throw new HttpBodyException(BodyFailure.Closed, clientSide: _peerIsClient);
        }

        lock (_sync)
        {
            if (Control.WrittenCount == 0)
            {
                return false;
            }

            _output.Write(Control.WrittenSpan);
            Control.ResetWrittenCount();
            FlushOwed = true;
            return true;
        }
    }

    /// <summary>
    /// Sends what was written, unless <paramref name="flush"/> is false or another writer is in line and will; a few
    /// bytes are left to the queued flush (see <see cref="DeferredFlushLimit"/>). Under the write lock.
    /// </summary>
    public ValueTask CompleteWriteAsync(bool flush = true)
    {
        if (!FlushOwed || !flush || _turn.Waiting > 0)
        {
            return default;
        }

        if (_output.CanGetUnflushedBytes && _output.UnflushedBytes < DeferredFlushLimit)
        {
            QueueFlush();
            return default;
        }

        FlushOwed = false;
        return FlushAsync();
    }

    private async ValueTask FlushAsync()
    {
        _watch?.BeginWait();
        try
        {
            var result = await _output.FlushAsync().ConfigureAwait(false);
            if (result.IsCanceled || result.IsCompleted)
            {
                throw new HttpBodyException(BodyFailure.Closed, clientSide: _peerIsClient);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            throw new HttpBodyException(BodyFailure.Closed, clientSide: _peerIsClient);
        }
        finally
        {
            _watch?.EndWait();
        }
    }

    void IThreadPoolWorkItem.Execute() => _ = FlushQueuedAsync();

    private void QueueFlush()
    {
        if (Interlocked.Exchange(ref _flushQueued, 1) == 0)
        {
            // Behind the streams' work already queued (on this event loop, else in the thread pool's global queue),
            // whose frames then leave together.
            Sluice.Transport.EventLoop.Defer(this);
        }
    }

    private async Task FlushQueuedAsync()
    {
        try
        {
            await AcquireAsync().ConfigureAwait(false);
            try
            {
                Volatile.Write(ref _flushQueued, 0);
                DrainControl();
                if (FlushOwed)
                {
                    FlushOwed = false;
                    await FlushAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                Release();
            }
        }
        catch (HttpBodyException)
        {
            // The connection is gone; its read loop ends on its own.
        }
    }
}
