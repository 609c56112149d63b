using System.Buffers;
using System.Net.Sockets;
using Sluice.Messages;

namespace Sluice.Mux.Http2;

/// <summary>
/// The writer's side of the connection: control frames queued by anyone, and the one lock that every frame passes
/// through on its way out.
/// </summary>
internal sealed partial class Http2BackConnection
{
    private bool HasControlFrames()
    {
        lock (_sync)
        {
            return _control.WrittenCount > 0;
        }
    }

    private void ScheduleControlFlush()
    {
        // Most releases queue nothing: no task, no lock then.
        if (HasControlFrames() && Interlocked.Exchange(ref _controlFlushScheduled, 1) == 0)
        {
            _ = FlushControlQuietlyAsync();
        }
    }

    private async Task FlushControlQuietlyAsync()
    {
        try
        {
            await FlushControlAsync().ConfigureAwait(false);
        }
        catch (HttpBodyException)
        {
            // The connection is gone; its read loop ends on its own.
        }
    }

    private async ValueTask FlushControlAsync()
    {
        await AcquireWriterAsync().ConfigureAwait(false);
        try
        {
            Volatile.Write(ref _controlFlushScheduled, 0);
            DrainControl();
            await CompleteWriteAsync(flush: true).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Copies the pending control frames to the output; under the write lock. Throws once the connection is over.</summary>
    private void DrainControl()
    {
        if (_outputClosed)
        {
            throw new HttpBodyException(BodyFailure.Closed, clientSide: false);
        }

        lock (_sync)
        {
            if (_control.WrittenCount == 0)
            {
                return;
            }

            _io.Output.Write(_control.WrittenSpan);
            _control.ResetWrittenCount();
            _flushOwed = true;
        }
    }

    /// <summary>
    /// Waits for the writer's turn. Counting the writers in line lets the one in front leave its flush to the next
    /// (<see cref="CompleteWriteAsync"/>): under load, the frames of many streams leave in one system call.
    /// </summary>
    private async ValueTask AcquireWriterAsync()
    {
        Interlocked.Increment(ref _writersWaiting);
        await _writeLock.WaitAsync().ConfigureAwait(false);
        Interlocked.Decrement(ref _writersWaiting);
    }

    /// <summary>Flushes what was written, unless another writer is in line and will, or the caller's next write will; under the write lock.</summary>
    private ValueTask CompleteWriteAsync(bool flush)
    {
        if (!_flushOwed || !flush || Volatile.Read(ref _writersWaiting) > 0)
        {
            return default;
        }

        _flushOwed = false;
        return FlushLockedAsync();
    }

    private async ValueTask FlushLockedAsync()
    {
        try
        {
            var result = await _io.Output.FlushAsync().ConfigureAwait(false);
            if (result.IsCanceled || result.IsCompleted)
            {
                throw new HttpBodyException(BodyFailure.Closed, clientSide: false);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            throw new HttpBodyException(BodyFailure.Closed, clientSide: false);
        }
    }
}
