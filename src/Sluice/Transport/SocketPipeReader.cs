using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Sluice.Transport;

/// <summary>
/// The input of a cleartext connection: receives from the socket straight into blocks of the connection pool, with
/// the semantics of <see cref="PipeReader.Create(Stream, StreamPipeReaderOptions)"/> over a network stream
/// (examined bytes, cancellation, zero-byte waits, errors as <see cref="IOException"/>) but without the stream in
/// between. On an event loop a read that has to wait is the reader itself as the value task's source, finished from
/// the loop's signal: the reader's continuation runs straight after the receive, with no async method in between.
/// Through the runtime's socket engine (`noepoll`) a wait runs on <see cref="PooledValueTaskBuilder{TResult}"/>: the
/// framework's reader keeps one box per thread and core for its waits, and with a hundred server connections waiting
/// for their responses at once nearly every wait allocated one.
/// </summary>
/// <remarks>
/// One reader at a time, as for any pipe; <see cref="CancelPendingRead"/> and <see cref="Complete"/> may come from
/// other threads. A block that a receive in flight writes into goes back to the pool only once that receive ends.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A pipe reader ends with Complete, which disposes the cancellation source.")]
internal sealed class SocketPipeReader : PipeReader, IValueTaskSource<ReadResult>
{
    private const int MaxSpareSegments = 4;

    private readonly Socket _socket;
    private readonly BlockMemoryPool _pool;
    private readonly int _minimumReadSize;
    private readonly bool _waitWithoutBuffer;
    private readonly Lock _sync = new();
    private readonly Stack<Segment> _spareSegments = new();

    // The unconsumed bytes: from _headIndex in _head to _tail's end. Null when nothing is held.
    private Segment? _head;
    private int _headIndex;
    private Segment? _tail;

    // The last AdvanceTo examined every byte held: the next read waits for more from the socket.
    private bool _examinedEverything;
    private bool _socketEnded;
    // The last receive left nothing in the socket: the next one waits for the loop's signal before it tries.
    private bool _drained;
    private bool _completed;
    private bool _receiving;
    private int _cancelPending;
    private CancellationTokenSource _cancel = new();

    // Set when the connection's waits go through an event loop rather than the runtime's socket engine.
    private readonly ReadinessWaiter? _waiter;

    // The read waiting on the loop, and what it carries from one signal to the next.
    private ManualResetValueTaskSourceCore<ReadResult> _loopRead;
    private bool _peekNext;
    private CancellationToken _externalToken;
    private CancellationTokenRegistration _externalRegistration;

    /// <param name="waitWithoutBuffer">With nothing held, wait for the peer's bytes with a zero-byte receive before taking a block.</param>
    /// <param name="onEventLoop">Wait on an <see cref="EventLoop"/> rather than through the runtime's socket engine (`noepoll`).</param>
    public SocketPipeReader(Socket socket, BlockMemoryPool pool, int minimumReadSize, bool waitWithoutBuffer, bool onEventLoop = true)
    {
        _socket = socket;
        _pool = pool;
        _minimumReadSize = Math.Min(minimumReadSize, pool.BlockSize);
        _waitWithoutBuffer = waitWithoutBuffer;
        _waiter = onEventLoop && EventLoop.Supported ? new ReadinessWaiter() : null;
    }

    public override bool TryRead(out ReadResult result)
    {
        ThrowIfCompleted();
        if (Interlocked.Exchange(ref _cancelPending, 0) != 0)
        {
            result = new ReadResult(Buffered(), isCanceled: true, isCompleted: _socketEnded);
            return true;
        }

        if (HasBytes && !_examinedEverything)
        {
            result = new ReadResult(Buffered(), isCanceled: false, isCompleted: _socketEnded);
            return true;
        }

        result = default;
        return false;
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        if (Interlocked.Exchange(ref _cancelPending, 0) != 0)
        {
            return new ValueTask<ReadResult>(new ReadResult(Buffered(), isCanceled: true, isCompleted: _socketEnded));
        }

        if (_socketEnded || (HasBytes && !_examinedEverything))
        {
            return new ValueTask<ReadResult>(new ReadResult(Buffered(), isCanceled: false, isCompleted: _socketEnded));
        }

        return _waiter is null ? ReceiveAsync(cancellationToken) : ReceiveOnLoop(cancellationToken);
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        ThrowIfCompleted();
        if (_head is null)
        {
            return;
        }

        var examinedSegment = examined.GetObject() as Segment ?? _head;
        _examinedEverything = examinedSegment.RunningIndex + examined.GetInteger() >= EndIndex;

        if (consumed.GetObject() is not Segment consumedSegment)
        {
            return;
        }

        // The segments before the consumed position are done with: their blocks go back.
        while (!ReferenceEquals(_head, consumedSegment))
        {
            var done = _head!;
            _head = done.NextSegment ?? throw new InvalidOperationException("The position is not in the buffer the reader gave.");
            Recycle(done);
        }

        _headIndex = consumed.GetInteger();
        while (_headIndex >= _head.End && !ReferenceEquals(_head, _tail))
        {
            var done = _head;
            _head = done.NextSegment!;
            _headIndex = 0;
            Recycle(done);
        }

        if (_headIndex >= _head.End && !_receiving)
        {
            // Everything read is consumed: hold no block while the connection waits.
            Recycle(_head);
            _head = null;
            _tail = null;
            _headIndex = 0;
        }
    }

    public override void CancelPendingRead()
    {
        // Set before the receive in flight (if any) is cancelled, so that it ends as a canceled read, not an error;
        // a read that starts after this sees the flag.
        Interlocked.Exchange(ref _cancelPending, 1);
        CancelReceive();
    }

    public override void Complete(Exception? exception = null)
    {
        lock (_sync)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (_waiter is not null)
            {
                // A receive waiting on a loop ends now, as the runtime's would once the socket is closed.
                _waiter.Loop?.Unregister(_waiter, _socket.SafeHandle);
                _waiter.Signal();
            }

            if (!_receiving)
            {
                ReleaseAll();
            }
        }
    }

    /// <summary>
    /// A receive on a loop: tries the socket, and when it has nothing, hands back the reader as the pending read and
    /// goes on from the loop's signal (<see cref="ContinueOnLoop"/>).
    /// </summary>
    private ValueTask<ReadResult> ReceiveOnLoop(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            ThrowIfCompleted();
            _receiving = true;
        }

        _loopRead.Reset();
        _peekNext = _waitWithoutBuffer && _head is null;
        if (cancellationToken.CanBeCanceled)
        {
            _externalToken = cancellationToken;
            _externalRegistration = cancellationToken.UnsafeRegister(static state => ((SocketPipeReader)state!)._waiter!.Signal(), this);
        }

        if (!ContinueOnLoop(waited: false, mayTry: !_drained || _waiter!.PeerEnded, out var result, out var failure))
        {
            return new ValueTask<ReadResult>(this, _loopRead.Version);
        }

        return failure is null ? new ValueTask<ReadResult>(result) : ValueTask.FromException<ReadResult>(failure);
    }

    /// <summary>
    /// Receives until bytes (or the end, a cancellation, a failure) come, or the loop's signal is to be awaited: then
    /// false, and the signal calls this again. True once the read is over and the reader ready for the next.
    /// After a receive that did not fill its buffer (the socket was emptied) the first try waits for the signal.
    /// </summary>
    private bool ContinueOnLoop(bool waited, bool mayTry, out ReadResult result, out Exception? failure)
    {
        result = default;
        failure = null;
        var waiter = _waiter!;
        try
        {
            while (true)
            {
                if (waited)
                {
                    ObjectDisposedException.ThrowIf(Volatile.Read(ref _completed), this);

                    // Signalled: bytes (or the end) are most likely there, so the next try takes a block at once.
                    _peekNext = false;
                }

                if (_externalToken.IsCancellationRequested)
                {
                    Interlocked.Exchange(ref _cancelPending, 0);
                    throw new OperationCanceledException(_externalToken);
                }

                if (Interlocked.Exchange(ref _cancelPending, 0) != 0)
                {
                    result = new ReadResult(Buffered(), isCanceled: true, isCompleted: _socketEnded);
                    break;
                }

                int received;
                if (mayTry && (received = TryReceiveOnLoop(ref _peekNext)) >= 0)
                {
                    result = Received(received);
                    break;
                }

                mayTry = true;
                if (waiter.Loop is null)
                {
                    EventLoop.Pick().RegisterForReading(waiter, _socket.SafeHandle);
                }

                if (waiter.ContinueWhenSignalled(static state => ((SocketPipeReader)state!).OnSignalled(), this))
                {
                    return false;
                }

                waited = true;
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // As a network stream reports them: the socket's failure, or its closing by Abort, inside an IOException.
            failure = ReadFailure(ex.Message, ex);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        EndReceive();
        return true;
    }

    /// <summary>The loop's signal (or a wake-up from another thread) for a read that waits: it goes on, and ends the pending read when over.</summary>
    private void OnSignalled()
    {
        if (!ContinueOnLoop(waited: true, mayTry: true, out var result, out var failure))
        {
            return;
        }

        if (failure is null)
        {
            _loopRead.SetResult(result);
        }
        else
        {
            _loopRead.SetException(failure);
        }
    }

    /// <summary>The bytes of a receive join the held ones (none: the peer's end).</summary>
    private ReadResult Received(int received)
    {
        if (received == 0)
        {
            _socketEnded = true;
        }
        else
        {
            _tail!.Append(received);
        }

        _examinedEverything = false;
        return new ReadResult(Buffered(), isCanceled: false, isCompleted: _socketEnded);
    }

    private void EndReceive()
    {
        if (_externalToken.CanBeCanceled)
        {
            _externalRegistration.Dispose();
            _externalRegistration = default;
            _externalToken = default;
        }

        StopReceiving();
    }

    private void StopReceiving()
    {
        lock (_sync)
        {
            // A block taken for a receive that brought nothing stays until the reader's next AdvanceTo: the
            // result handed out may point into it.
            _receiving = false;
            if (_completed)
            {
                ReleaseAll();
            }
        }
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token) => _loopRead.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token) => _loopRead.GetStatus(token);

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _loopRead.OnCompleted(continuation, state, token, flags);

    /// <summary>A receive through the runtime's socket engine (`noepoll`).</summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private async ValueTask<ReadResult> ReceiveAsync(CancellationToken cancellationToken)
    {
        CancellationTokenRegistration external = default;
        lock (_sync)
        {
            ThrowIfCompleted();
            _receiving = true;
            if (_cancel.IsCancellationRequested)
            {
                // A cancellation that came while no receive waited was answered already; its source is spent.
                _cancel.Dispose();
                _cancel = new CancellationTokenSource();
            }
        }

        var token = _cancel.Token;
        try
        {
            if (cancellationToken.CanBeCanceled)
            {
                external = cancellationToken.UnsafeRegister(static state => ((SocketPipeReader)state!).CancelReceive(), this);
            }

            if (Volatile.Read(ref _cancelPending) != 0)
            {
                throw new OperationCanceledException(token);
            }

            return Received(await ReceiveThroughRuntimeAsync(token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Interlocked.Exchange(ref _cancelPending, 0);
            throw new OperationCanceledException(cancellationToken);
        }
        catch (OperationCanceledException) when (Interlocked.Exchange(ref _cancelPending, 0) != 0)
        {
            return new ReadResult(Buffered(), isCanceled: true, isCompleted: _socketEnded);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // As a network stream reports them: the socket's failure, or its closing by Abort, inside an IOException.
            throw ReadFailure(ex.Message, ex);
        }
        finally
        {
            external.Dispose();
            StopReceiving();
        }
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private async ValueTask<int> ReceiveThroughRuntimeAsync(CancellationToken token)
    {
        if (_waitWithoutBuffer && _head is null)
        {
            await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
        }

        return await _socket.ReceiveAsync(WritableTail(), SocketFlags.None, token).ConfigureAwait(false);
    }

    /// <summary>
    /// Receives without blocking for a connection on a loop: the bytes received (0 at the peer's end), or -1 when the
    /// socket has nothing and the loop's signal is to be awaited. After a receive that did not fill its buffer (the
    /// socket was emptied) the caller waits first, sparing the receive that would find nothing. A zero-byte wait
    /// is a one-byte peek, so that an idle connection holds no block.
    /// </summary>
    private int TryReceiveOnLoop(ref bool peek)
    {
        while (true)
        {
            var buffer = peek ? default : WritableTail();
            var received = EventLoop.TryReceive(_socket.SafeHandle, buffer.Span, peek);
            if (received > 0 && peek)
            {
                peek = false;
                continue;
            }

            if (received >= 0)
            {
                _drained = !peek && received < buffer.Length;
                return received;
            }

            if (received != -Errno.Again)
            {
                throw ReadFailure(Marshal.GetPInvokeErrorMessage(-received));
            }

            ReleaseEmptyTail();
            return -1;
        }
    }

    /// <summary>A failed receive as a network stream reports it: an <see cref="IOException"/> naming the socket's error.</summary>
    private static IOException ReadFailure(string reason, Exception? inner = null) =>
        new($"Unable to read data from the transport connection: {reason}.", inner);

    private void CancelReceive()
    {
        lock (_sync)
        {
            if (!_completed)
            {
                _cancel.Cancel();
            }
        }

        _waiter?.Signal();
    }

    /// <summary>Wakes a receive that waits on a loop: the socket was closed under it, which the loop does not see.</summary>
    public void WakeReceive() => _waiter?.Signal();

    /// <summary>Room at the end of the held bytes for the next receive: at least the minimum read size, in a new block if need be.</summary>
    private Memory<byte> WritableTail()
    {
        if (_tail is null || _tail.Available < _minimumReadSize)
        {
            var segment = _spareSegments.Count > 0 ? _spareSegments.Pop() : new Segment();
            segment.Attach(_pool.Rent(_pool.BlockSize), _tail is null ? 0 : _tail.RunningIndex + _tail.End);
            if (_tail is null)
            {
                _head = segment;
                _headIndex = 0;
            }
            else
            {
                _tail.SetNext(segment);
            }

            _tail = segment;
        }

        return _tail.FreeMemory;
    }

    /// <summary>Gives back a block taken for a receive that found nothing, when it holds no other bytes: idle connections hold none.</summary>
    private void ReleaseEmptyTail()
    {
        if (ReferenceEquals(_head, _tail) && _tail is { End: 0 } && _headIndex == 0)
        {
            Recycle(_tail);
            _head = null;
            _tail = null;
        }
    }

    /// <summary>Bytes are held (a block taken for a receive that brought nothing holds none).</summary>
    private bool HasBytes => _head is not null && _head.RunningIndex + _headIndex < EndIndex;

    /// <summary>Where the held bytes end, counted as the sequence's positions count.</summary>
    private long EndIndex => _tail!.RunningIndex + _tail.End;

    private ReadOnlySequence<byte> Buffered() =>
        _head is null ? default : new ReadOnlySequence<byte>(_head, _headIndex, _tail!, _tail!.End);

    private void Recycle(Segment segment)
    {
        segment.Detach();
        if (_spareSegments.Count < MaxSpareSegments)
        {
            _spareSegments.Push(segment);
        }
    }

    private void ReleaseAll()
    {
        for (var segment = _head; segment is not null;)
        {
            var next = segment.NextSegment;
            segment.Detach();
            segment = next;
        }

        _head = null;
        _tail = null;
        _spareSegments.Clear();
        _cancel.Dispose();
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
        }
    }

    /// <summary>One block of received bytes in the chain the reader hands out.</summary>
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        private IMemoryOwner<byte>? _block;

        /// <summary>Where the received bytes end in the block.</summary>
        public int End { get; private set; }

        public int Available => _block!.Memory.Length - End;

        public Memory<byte> FreeMemory => _block!.Memory[End..];

        public Segment? NextSegment => (Segment?)Next;

        public void Attach(IMemoryOwner<byte> block, long runningIndex)
        {
            _block = block;
            End = 0;
            RunningIndex = runningIndex;
            Memory = default;
            Next = null;
        }

        public void Append(int count)
        {
            End += count;
            Memory = _block!.Memory[..End];
        }

        public void SetNext(Segment next) => Next = next;

        public void Detach()
        {
            _block?.Dispose();
            _block = null;
            Memory = default;
            Next = null;
            End = 0;
        }
    }
}
