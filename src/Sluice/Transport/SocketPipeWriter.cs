using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sluice.Transport;

/// <summary>
/// The output of a cleartext connection: bytes are written into blocks of the connection pool and a flush sends
/// them with non-blocking <c>send(2)</c> calls, without the stream, the socket operation object and the async
/// machinery that <see cref="PipeWriter.Create(Stream, StreamPipeWriterOptions)"/> over a network stream goes
/// through for each flush. Only when the socket has no room does the rest go through the runtime's
/// <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>, which waits for it.
/// Failures are <see cref="IOException"/>s, as a network stream reports them; the blocks go back once sent.
/// </summary>
/// <remarks>
/// One writer at a time, as for any pipe. <see cref="Complete"/> may come from another thread while a flush waits
/// for room: the blocks that flush sends from go back only when it ends.
/// </remarks>
internal sealed class SocketPipeWriter : PipeWriter
{
    private const int Idle = 0;
    private const int Flushing = 1;
    private const int Completed = 2;
    private const int CompletedWhileFlushing = 3;

    private readonly Socket _socket;
    private readonly BlockMemoryPool _pool;
    private readonly int _minimumBufferSize;

    // The blocks written and not yet sent, in order: from _first to _count, each sent up to its Sent offset.
    private Written[] _blocks = new Written[2];
    private int _first;
    private int _count;
    private long _unflushed;
    private int _state;

    public SocketPipeWriter(Socket socket, BlockMemoryPool pool, int minimumBufferSize)
    {
        _socket = socket;
        _pool = pool;
        _minimumBufferSize = Math.Min(minimumBufferSize, pool.BlockSize);
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _unflushed;

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        ref var tail = ref Tail(sizeHint);
        return tail.Memory[tail.Length..];
    }

    public override Span<byte> GetSpan(int sizeHint = 0)
    {
        ref var tail = ref Tail(sizeHint);
        return tail.Memory.Span[tail.Length..];
    }

    public override void Advance(int bytes)
    {
        ThrowIfCompleted();
        if (_count == 0)
        {
            ArgumentOutOfRangeException.ThrowIfNotEqual(bytes, 0);
            return;
        }

        ref var tail = ref _blocks[_count - 1];
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, tail.Free);
        tail.Length += bytes;
        _unflushed += bytes;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        var state = Interlocked.CompareExchange(ref _state, Flushing, Idle);
        if (state != Idle)
        {
            throw new InvalidOperationException(state == Flushing ? "A flush is already in progress." : "Writing is not allowed after the writer was completed.");
        }

        var handle = _socket.SafeHandle;
        while (_first < _count)
        {
            ref var block = ref _blocks[_first];
            var pending = block.Memory.Span[block.Sent..block.Length];
            if (pending.IsEmpty)
            {
                block.Owner.Dispose();
                block = default;
                _first++;
                continue;
            }

            int sent;
            try
            {
                sent = EventLoop.TrySend(handle, pending);
            }
            catch (ObjectDisposedException ex)
            {
                EndFlush();
                throw WriteFailure(ex.Message, ex);
            }

            if (sent >= 0)
            {
                block.Sent += sent;
                _unflushed -= sent;
            }
            else if (sent == -Errno.Again)
            {
                return SendWaitingForRoomAsync(cancellationToken);
            }
            else
            {
                EndFlush();
                throw WriteFailure(Marshal.GetPInvokeErrorMessage(-sent));
            }
        }

        EndFlush();
        return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
    }

    /// <summary>Not offered: a flush either sends at once or waits for the runtime's send, which ends when the connection is aborted.</summary>
    public override void CancelPendingFlush() =>
        throw new NotSupportedException("A connection's output is not cancelled but aborted.");

    public override void Complete(Exception? exception = null)
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state is Completed or CompletedWhileFlushing)
            {
                return;
            }

            var next = state == Flushing ? CompletedWhileFlushing : Completed;
            if (Interlocked.CompareExchange(ref _state, next, state) == state)
            {
                if (next == Completed)
                {
                    ReleaseAll();
                }

                return;
            }
        }
    }

    /// <summary>The socket had no room: the rest goes through the runtime's send, which waits for it.</summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private async ValueTask<FlushResult> SendWaitingForRoomAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (_first < _count)
            {
                var block = _blocks[_first];
                var pending = block.Memory[block.Sent..block.Length];
                while (!pending.IsEmpty)
                {
                    var sent = await _socket.SendAsync(pending, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    _unflushed -= sent;
                    pending = pending[sent..];
                }

                block.Owner.Dispose();
                _blocks[_first++] = default;
            }

            return new FlushResult(isCanceled: false, isCompleted: false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            throw WriteFailure(ex.Message, ex);
        }
        finally
        {
            EndFlush();
        }
    }

    /// <summary>Back to idle after a flush, or, when the writer was completed meanwhile, the blocks go back now.</summary>
    private void EndFlush()
    {
        if (_first == _count)
        {
            _first = 0;
            _count = 0;
        }

        if (Interlocked.CompareExchange(ref _state, Idle, Flushing) != Flushing)
        {
            ReleaseAll();
        }
    }

    /// <summary>The block the next bytes go into: the last one, or a new one when it has less room than asked.</summary>
    private ref Written Tail(int sizeHint)
    {
        ThrowIfCompleted();
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        var needed = Math.Max(sizeHint, 1);
        if (_count == 0 || _blocks[_count - 1].Free < needed)
        {
            Add(_pool.Rent(Math.Max(needed, _minimumBufferSize)));
        }

        return ref _blocks[_count - 1];
    }

    private void Add(IMemoryOwner<byte> owner)
    {
        if (_count == _blocks.Length)
        {
            if (_first > 0)
            {
                Array.Copy(_blocks, _first, _blocks, 0, _count - _first);
                Array.Clear(_blocks, _count - _first, _first);
                _count -= _first;
                _first = 0;
            }
            else
            {
                Array.Resize(ref _blocks, _blocks.Length * 2);
            }
        }

        _blocks[_count++] = new Written(owner);
    }

    private void ReleaseAll()
    {
        for (var i = _first; i < _count; i++)
        {
            _blocks[i].Owner?.Dispose();
            _blocks[i] = default;
        }

        _first = 0;
        _count = 0;
        _unflushed = 0;
    }

    private void ThrowIfCompleted()
    {
        if (Volatile.Read(ref _state) >= Completed)
        {
            throw new InvalidOperationException("Writing is not allowed after the writer was completed.");
        }
    }

    /// <summary>A failed send as a network stream reports it: an <see cref="IOException"/> naming the socket's error.</summary>
    private static IOException WriteFailure(string reason, Exception? inner = null) =>
        new($"Unable to write data to the transport connection: {reason}.", inner);

    /// <summary>One block of written bytes: how far it is filled and how far sent.</summary>
    private struct Written(IMemoryOwner<byte> owner)
    {
        public readonly IMemoryOwner<byte> Owner = owner;
        public readonly Memory<byte> Memory = owner.Memory;
        public int Length;
        public int Sent;

        public readonly int Free => Memory.Length - Length;
    }
}
