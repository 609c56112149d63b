using System.Buffers;
using Sluice.Messages;

namespace Sluice.Transactions;

/// <summary>
/// The request body as it goes to an HTTP/2 server, with a copy of its start (up to `tune.bufsize`, HAProxy's limit
/// for replaying a request), so that a request the server did not process (REFUSED_STREAM, or a GOAWAY below its
/// stream: RFC 9113 §8.7) goes again with its body on another connection, even once part of it had left.
/// Each piece read from the client is copied and the client's source advanced at once; the copy is handed out, and
/// <see cref="Rewind"/> hands it out again from its start. A body longer than the copy is passed through as it is and
/// can no longer be replayed. One per transaction, reused; the copy is rented for the request and returned by
/// <see cref="Release"/>.
/// </summary>
internal sealed class ReplayableRequestBody : IHttpBodySource
{
    private IHttpBodySource? _inner;
    private int _limit;
    private byte[]? _copy;

    // Bytes in _copy, and how many of them the reader has taken (Advance); _pending is what the last read handed out.
    private int _filled;
    private int _delivered;
    private int _pending;
    private bool _passThrough;
    private bool _innerEnded;
    private HttpHeaderList? _trailers;

    /// <summary>True while the whole body read so far is in the copy.</summary>
    public bool CanReplay => !_passThrough;

    public bool MoreDataBuffered => _passThrough ? _inner!.MoreDataBuffered : _delivered + _pending < _filled;

    public ReplayableRequestBody Begin(IHttpBodySource inner, int limit)
    {
        _inner = inner;
        _limit = limit;
        _filled = _delivered = _pending = 0;
        _passThrough = _innerEnded = false;
        _trailers = null;
        return this;
    }

    /// <summary>The next reader starts again from the first byte. Only once the previous reader stopped.</summary>
    public void Rewind()
    {
        _delivered = 0;
        _pending = 0;
    }

    public async ValueTask<BodyChunk> ReadAsync()
    {
        if (_delivered < _filled)
        {
            _pending = _filled - _delivered;
            return BodyChunk.FromData(new ReadOnlySequence<byte>(_copy!, _delivered, _pending));
        }

        if (_innerEnded)
        {
            return BodyChunk.End(_trailers);
        }

        var chunk = await _inner!.ReadAsync().ConfigureAwait(false);
        if (chunk.IsEnd)
        {
            _innerEnded = true;
            _trailers = chunk.Trailers;
            return chunk;
        }

        if (_passThrough || _filled + chunk.Data.Length > _limit)
        {
            // Too long to replay: from now on the body goes as it comes.
            _passThrough = true;
            return chunk;
        }

        _copy ??= ArrayPool<byte>.Shared.Rent(_limit);
        chunk.Data.CopyTo(_copy.AsSpan(_filled));
        _pending = (int)chunk.Data.Length;
        _filled += _pending;
        _inner.Advance();
        return BodyChunk.FromData(new ReadOnlySequence<byte>(_copy, _delivered, _pending));
    }

    public void Advance()
    {
        if (_pending > 0)
        {
            _delivered += _pending;
            _pending = 0;
            return;
        }

        _inner!.Advance();
    }

    /// <summary>Returns the copy to the pool; the body is not replayable any more.</summary>
    public void Release()
    {
        if (_copy is not null)
        {
            ArrayPool<byte>.Shared.Return(_copy);
            _copy = null;
        }

        _inner = null;
        _trailers = null;
        _passThrough = true;
    }
}
