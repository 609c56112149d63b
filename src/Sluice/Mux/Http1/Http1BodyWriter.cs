using System.Runtime.CompilerServices;
using System.Buffers;
using System.IO.Pipelines;
using Sluice.Messages;
using Sluice.Protocols.Http1;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Mux.Http1;

/// <summary>
/// Writes one HTTP/1 body to a connection's output pipe in the framing its head announced: as it is for a
/// Content-Length or a close-delimited body, as chunks otherwise. Every write is flushed, and the flush waits
/// while the socket does not take the bytes: that wait is the back-pressure on the reading side.
/// </summary>
internal sealed class Http1BodyWriter : IHttpBodySink
{
    private readonly SocketDuplex _io;
    private readonly PipeWriter _output;
    private readonly SideWatch _watch;
    private readonly bool _clientSide;
    private Http1BodyMode _mode;

    public Http1BodyWriter(SocketDuplex io, SideWatch watch, bool clientSide)
    {
        _io = io;
        _output = io.Output;
        _watch = watch;
        _clientSide = clientSide;
    }

    /// <summary>Body bytes written since <see cref="Start"/>, framing excluded.</summary>
    public long BytesWritten { get; private set; }

    public bool Ended { get; private set; }

    public void Start(Http1BodyMode mode)
    {
        _mode = mode;
        BytesWritten = 0;
        Ended = mode == Http1BodyMode.None;
    }

    public ValueTask WriteAsync(ReadOnlySequence<byte> data, bool flush = true)
    {
        if (data.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }

        if (_mode != Http1BodyMode.Chunked && data.Length >= DirectWriteThreshold)
        {
            return WriteDirectAsync(data);
        }

        if (_mode == Http1BodyMode.Chunked)
        {
            Http1ChunkedEncoder.WriteChunkHeader(_output, data.Length);
        }

        foreach (var segment in data)
        {
            _output.Write(segment.Span);
        }

        if (_mode == Http1BodyMode.Chunked)
        {
            "\r\n"u8.CopyTo(_output.GetSpan(2));
            _output.Advance(2);
        }

        BytesWritten += data.Length;
        return flush || _output.UnflushedBytes >= HeldBackLimit ? FlushAsync() : ValueTask.CompletedTask;
    }

    /// <summary>Most bytes held back between writes that asked not to flush.</summary>
    private const int HeldBackLimit = 16384;

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    public async ValueTask EndAsync(HttpHeaderList? trailers)
    {
        Ended = true;
        if (_mode == Http1BodyMode.UntilClose)
        {
            // The end of a close-delimited body or of one direction of a tunnel is a FIN.
            await FlushAsync().ConfigureAwait(false);
            _io.ShutdownSend();
            return;
        }

        if (_mode != Http1BodyMode.Chunked)
        {
            await FlushAsync().ConfigureAwait(false);
            return;
        }

        "0\r\n"u8.CopyTo(_output.GetSpan(3));
        _output.Advance(3);
        if (trailers is not null)
        {
            for (var i = 0; i < trailers.SlotCount; i++)
            {
                if (!trailers.IsRemoved(i))
                {
                    Http1HeadWriter.WriteHeader(_output, trailers.Name(i), trailers.Value(i));
                }
            }
        }

        Http1HeadWriter.WriteEndOfHeaders(_output);
        await FlushAsync().ConfigureAwait(false);
    }

    /// <summary>Below this size body data is copied into the output pipe (and may share a send with a head).</summary>
    private const int DirectWriteThreshold = 8192;

    /// <summary>Large pieces of a body go from the reading side's buffer to the socket with no copy.</summary>
    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private async ValueTask WriteDirectAsync(ReadOnlySequence<byte> data)
    {
        if (_output.UnflushedBytes > 0)
        {
            await FlushAsync().ConfigureAwait(false);
        }

        _watch.BeginWait();
        try
        {
            foreach (var segment in data)
            {
                await _io.WriteDirectAsync(segment).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (Http1BodyReader.IsConnectionFailure(ex))
        {
            throw new HttpBodyException(BodyFailure.Closed, _clientSide);
        }
        finally
        {
            _watch.EndWait();
        }

        BytesWritten += data.Length;
    }

    /// <summary>
    /// Sends what is buffered; fails with <see cref="HttpBodyException"/> when the peer is gone. A send that the
    /// socket takes at once completes without an async method.
    /// </summary>
    public ValueTask FlushAsync()
    {
        _watch.BeginWait();
        ValueTask<FlushResult> flush;
        try
        {
            flush = _output.FlushAsync();
        }
        catch (Exception ex) when (Http1BodyReader.IsConnectionFailure(ex))
        {
            _watch.EndWait();
            return ValueTask.FromException(new HttpBodyException(BodyFailure.Closed, _clientSide));
        }

        if (!flush.IsCompletedSuccessfully)
        {
            return AwaitFlushAsync(flush);
        }

        _watch.EndWait();
        return Failure(flush.Result) is { } failure ? ValueTask.FromException(failure) : default;
    }

    [AsyncMethodBuilder(typeof(PooledValueTaskBuilder))]
    private async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush)
    {
        FlushResult result;
        try
        {
            result = await flush.ConfigureAwait(false);
        }
        catch (Exception ex) when (Http1BodyReader.IsConnectionFailure(ex))
        {
            throw new HttpBodyException(BodyFailure.Closed, _clientSide);
        }
        finally
        {
            _watch.EndWait();
        }

        if (Failure(result) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>A flush that ended the output (cancelled, or the reading side gone) fails the body.</summary>
    private HttpBodyException? Failure(FlushResult result) =>
        result.IsCanceled || result.IsCompleted ? new HttpBodyException(result.IsCanceled ? BodyFailure.Aborted : BodyFailure.Closed, _clientSide) : null;
}
