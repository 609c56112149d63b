using System.Runtime.CompilerServices;
using System.Buffers;
using System.IO.Pipelines;
using Sluice.Messages;
using Sluice.Protocols.Http1;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Mux.Http1;

/// <summary>How an HTTP/1 body is delimited on the wire, as this reader reads it.</summary>
internal enum Http1BodyMode
{
    None = 0,
    Length = 1,
    Chunked = 2,
    /// <summary>Until the peer closes: HTTP/1 responses without length, and tunnels after an upgrade.</summary>
    UntilClose = 3,
}

/// <summary>
/// Reads one HTTP/1 body from a connection's input pipe and hands out its decoded data: exactly the
/// Content-Length bytes, the payload of chunks (extensions dropped, trailers collected), or everything until
/// the peer closes. Bytes after the body stay in the pipe for the next message. One per connection, restarted
/// for each message.
/// </summary>
internal sealed class Http1BodyReader : IHttpBodySource, IDisposable
{
    private readonly PipeReader _input;
    private readonly SideWatch _watch;
    private readonly bool _clientSide;
    private readonly HttpHeaderList _trailers = new();
    private Http1ParserOptions _options;
    private Http1BodyMode _mode;
    private long _remaining;
    private Http1ChunkedDecoder _chunked;
    private SequencePosition _consumed;
    private bool _hasPending;
    private bool _complete;

    public Http1BodyReader(PipeReader input, SideWatch watch, bool clientSide)
    {
        _input = input;
        _watch = watch;
        _clientSide = clientSide;
    }

    /// <summary>Body bytes handed out since <see cref="Start"/> (payload only, no framing).</summary>
    public long BytesRead { get; private set; }

    /// <summary>True once the end of the body was read (always true for a message without body).</summary>
    public bool IsComplete => _complete;

    public Http1BodyMode Mode => _mode;

    /// <summary>
    /// The start of the body already received, left in place: a body of known length as it is, a chunked body
    /// decoded (framing and extensions dropped). Returns -1 once forwarding has begun.
    /// </summary>
    public int CopyBuffered(Span<byte> destination)
    {
        if (_mode is Http1BodyMode.None or Http1BodyMode.UntilClose)
        {
            return _mode == Http1BodyMode.None ? 0 : -1;
        }

        if (BytesRead > 0 || _hasPending)
        {
            return -1;
        }

        if (!_input.TryRead(out var result))
        {
            return 0;
        }

        var copied = _mode == Http1BodyMode.Length
            ? CopyLengthPrefix(result.Buffer, destination)
            : DecodeChunkedPrefix(result.Buffer, destination, destination.Length);
        _input.AdvanceTo(result.Buffer.Start);
        return copied;
    }

    private int CopyLengthPrefix(in ReadOnlySequence<byte> buffer, Span<byte> destination)
    {
        var take = (int)Math.Min(Math.Min(_remaining, buffer.Length), destination.Length);
        buffer.Slice(0, take).CopyTo(destination);
        return take;
    }

    /// <summary>
    /// Decodes the chunks received so far with a decoder of its own, so the reading of the body is left as it
    /// was: counts up to <paramref name="maxCount"/> payload bytes and copies what fits into <paramref name="destination"/>.
    /// </summary>
    private int DecodeChunkedPrefix(ReadOnlySequence<byte> buffer, Span<byte> destination, long maxCount)
    {
        var decoder = default(Http1ChunkedDecoder);
        var trailers = default(IgnoredTrailers);
        var counted = 0;
        while (counted < maxCount
            && decoder.Read(buffer, ref trailers, _options, out var data, out var consumed, out _) == Http1ChunkedStatus.Data)
        {
            var take = (int)Math.Min(data.Length, maxCount - counted);
            if (counted < destination.Length)
            {
                data.Slice(0, Math.Min(take, destination.Length - counted)).CopyTo(destination[counted..]);
            }

            counted += take;
            buffer = buffer.Slice(consumed);
        }

        return counted;
    }

    public void Start(Http1BodyMode mode, long length, Http1ParserOptions options)
    {
        _mode = mode;
        _remaining = length;
        _options = options;
        _chunked = default;
        _trailers.Clear();
        _hasPending = false;
        BytesRead = 0;
        _complete = mode == Http1BodyMode.None || (mode == Http1BodyMode.Length && length == 0);
    }

    /// <summary>
    /// The next piece of the body, or its end. Bytes already received are taken without an async method: a small
    /// response's body nearly always came with its head.
    /// </summary>
    public ValueTask<BodyChunk> ReadAsync()
    {
        if (_hasPending)
        {
            Advance();
        }

        if (_complete)
        {
            return new ValueTask<BodyChunk>(BodyChunk.End(_trailers.Count > 0 ? _trailers : null));
        }

        try
        {
            if (TryReadBuffered(out var result) && TryTake(result, out var chunk))
            {
                return new ValueTask<BodyChunk>(chunk);
            }
        }
        catch (HttpBodyException ex)
        {
            return ValueTask.FromException<BodyChunk>(ex);
        }

        return ReadWaitingAsync();
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private async ValueTask<BodyChunk> ReadWaitingAsync()
    {
        while (true)
        {
            if (TryTake(await ReadInputAsync().ConfigureAwait(false), out var chunk))
            {
                return chunk;
            }
        }
    }

    private bool TryReadBuffered(out ReadResult result)
    {
        try
        {
            return _input.TryRead(out result);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw new HttpBodyException(BodyFailure.Closed, _clientSide);
        }
    }

    /// <summary>
    /// Takes the next piece of the body (or its end) from what the input holds; false, with the input advanced, when
    /// more bytes are needed. Throws <see cref="HttpBodyException"/> for a body cut short or malformed.
    /// </summary>
    private bool TryTake(in ReadResult result, out BodyChunk chunk)
    {
        if (result.IsCanceled)
        {
            throw new HttpBodyException(BodyFailure.Aborted, _clientSide);
        }

        var buffer = result.Buffer;
        switch (_mode)
        {
            case Http1BodyMode.Length:
            {
                if (buffer.IsEmpty)
                {
                    _input.AdvanceTo(buffer.Start);
                    throw new HttpBodyException(BodyFailure.Closed, _clientSide);
                }

                var take = Math.Min(_remaining, buffer.Length);
                var data = buffer.Slice(0, take);
                _remaining -= take;
                _complete = _remaining == 0;
                chunk = Hand(data);
                return true;
            }

            case Http1BodyMode.UntilClose:
            {
                if (buffer.IsEmpty && result.IsCompleted)
                {
                    _input.AdvanceTo(buffer.End);
                    _complete = true;
                    chunk = BodyChunk.End(null);
                    return true;
                }

                chunk = Hand(buffer);
                return true;
            }

            default:
            {
                var handler = new TrailerCollector(_trailers);
                var status = _chunked.Read(buffer, ref handler, _options, out var data, out var consumed, out var examined);
                switch (status)
                {
                    case Http1ChunkedStatus.Data:
                        _consumed = consumed;
                        _hasPending = true;
                        BytesRead += data.Length;
                        MoreDataBuffered = NextChunkBuffered(buffer.Slice(consumed));
                        chunk = BodyChunk.FromData(data);
                        return true;
                    case Http1ChunkedStatus.Complete:
                        _input.AdvanceTo(consumed);
                        _complete = true;
                        chunk = BodyChunk.End(_trailers.Count > 0 ? _trailers : null);
                        return true;
                    case Http1ChunkedStatus.NeedMoreData:
                        _input.AdvanceTo(consumed, examined);
                        if (result.IsCompleted)
                        {
                            throw new HttpBodyException(BodyFailure.Closed, _clientSide);
                        }

                        chunk = default;
                        return false;
                    default:
                        _input.AdvanceTo(consumed, examined);
                        RejectReason = _chunked.RejectReason;
                        throw new HttpBodyException(BodyFailure.Invalid, _clientSide);
                }
            }
        }
    }

    /// <summary>
    /// Waits until the body is all in the input pipe, or <paramref name="limit"/> bytes of it are
    /// (`option http-buffer-request`), or <paramref name="atLeast"/> bytes of its payload when that is above 0
    /// (`wait-for-body ... at-least`, counted after de-chunking), without consuming anything: the reads that
    /// follow find the bytes there. False when the wait was cancelled (`timeout http-request`).
    /// </summary>
    public async ValueTask<bool> BufferAsync(long limit, long atLeast)
    {
        if (_complete || _mode is Http1BodyMode.None or Http1BodyMode.UntilClose)
        {
            return true;
        }

        // One wait for the whole body, not one per read: a body trickled byte by byte must not reset the count.
        var wanted = _mode == Http1BodyMode.Length ? Math.Min(_remaining, limit) : limit;
        if (atLeast > 0 && _mode == Http1BodyMode.Length)
        {
            wanted = Math.Min(wanted, atLeast);
        }

        _watch.BeginWait();
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (buffer.Length >= wanted || result.IsCompleted || result.IsCanceled || EndsWithLastChunk(buffer)
                    || (atLeast > 0 && _mode == Http1BodyMode.Chunked && DecodeChunkedPrefix(buffer, [], atLeast) >= atLeast))
                {
                    _input.AdvanceTo(buffer.Start);
                    return !result.IsCanceled;
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw new HttpBodyException(BodyFailure.Closed, _clientSide);
        }
        finally
        {
            _watch.EndWait();
        }
    }

    private bool EndsWithLastChunk(in ReadOnlySequence<byte> buffer)
    {
        if (_mode != Http1BodyMode.Chunked || buffer.Length < 5)
        {
            return false;
        }

        Span<byte> tail = stackalloc byte[5];
        buffer.Slice(buffer.Length - 5).CopyTo(tail);
        return tail.SequenceEqual("0\r\n\r\n"u8);
    }

    /// <summary>Why a chunked body was refused, after an <see cref="BodyFailure.Invalid"/> failure.</summary>
    public Http1RejectReason RejectReason { get; private set; }

    public void Advance()
    {
        if (_hasPending)
        {
            _hasPending = false;
            try
            {
                _input.AdvanceTo(_consumed);
            }
            catch (InvalidOperationException)
            {
                // The connection was closed under the reader; the next read reports it.
            }
        }
    }

    public void Dispose() => _trailers.Dispose();

    /// <summary>One read of the input pipe, timed by the side's watch; a broken connection becomes a body failure.</summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder<>))]
    private async ValueTask<ReadResult> ReadInputAsync()
    {
        _watch.BeginWait();
        try
        {
            return await _input.ReadAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            throw new HttpBodyException(BodyFailure.Closed, _clientSide);
        }
        finally
        {
            _watch.EndWait();
        }
    }

    public void ReleaseBuffers() => _trailers.ReleaseBuffers();

    public bool MoreDataBuffered { get; private set; }

    /// <summary>
    /// True when what follows a piece of chunk data (its CRLF, then the next size line) is all here, so that the
    /// next read yields data or the end without waiting for the network.
    /// </summary>
    private static bool NextChunkBuffered(in ReadOnlySequence<byte> rest) =>
        rest.Length > 2 && rest.Slice(2).PositionOf((byte)'\n') is not null;

    private BodyChunk Hand(ReadOnlySequence<byte> data)
    {
        MoreDataBuffered = false;
        _consumed = data.End;
        _hasPending = true;
        BytesRead += data.Length;
        return BodyChunk.FromData(data);
    }

    internal static bool IsConnectionFailure(Exception ex) =>
        ex is IOException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException;

    /// <summary>Trailers seen while peeking at a chunked body: the reading proper collects them.</summary>
    private readonly struct IgnoredTrailers : IHttp1HeadersHandler
    {
        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
        }

        public void OnHeadersComplete()
        {
        }
    }

    /// <summary>Keeps trailer fields, except those that could change framing or routing (RFC 9110 §6.5.1).</summary>
    private readonly struct TrailerCollector(HttpHeaderList trailers) : IHttp1HeadersHandler
    {
        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (!Http1FieldNames.IsForbiddenInTrailers(name))
            {
                trailers.Add(name, value);
            }
        }

        public void OnHeadersComplete()
        {
        }
    }
}
