using System.Buffers;

namespace Sluice.Tls;

/// <summary>
/// The socket's stream with bytes already read from it put back in front: the ClientHello that was read to choose
/// the handshake's options goes to SslStream again. The pooled buffer that holds them is returned once they are
/// consumed (or at dispose); from then on reads and writes go straight to the inner stream.
/// </summary>
internal sealed class ReplayStream : Stream
{
    private readonly Stream _inner;
    private byte[]? _replay;
    private int _position;
    private readonly int _length;

    private byte[]? _clientSessionId;
    private bool _watchingServerHello = true;

    /// <param name="replay">Rented from <see cref="ArrayPool{T}.Shared"/>; this stream owns it from now on.</param>
    /// <param name="clientSessionId">The ClientHello's legacy_session_id, to tell a TLS 1.2 resumption by its echo.</param>
    public ReplayStream(Stream inner, byte[] replay, int length, byte[]? clientSessionId = null)
    {
        _inner = inner;
        _replay = replay;
        _length = length;
        _clientSessionId = clientSessionId;
    }

    /// <summary>
    /// The server's ServerHello resumed a session (`ssl_fc_is_resumed`). SslStream does not say it; the first
    /// bytes the server writes do (RFC 8446 §4.2.11 pre_shared_key, RFC 5246 §7.4.1.3 session ID echo).
    /// </summary>
    public bool Resumed { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_replay is null)
        {
            return _inner.ReadAsync(buffer, cancellationToken);
        }

        return ValueTask.FromResult(Replay(buffer.Span));
    }

    public override int Read(Span<byte> buffer) => _replay is null ? _inner.Read(buffer) : Replay(buffer);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        WatchServerHello(buffer.Span);
        return _inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        WatchServerHello(buffer.AsSpan(offset, count));
        return _inner.WriteAsync(buffer, offset, count, cancellationToken);
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        WatchServerHello(buffer.AsSpan(offset, count));
        _inner.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        WatchServerHello(buffer);
        _inner.Write(buffer);
    }

    public override void Flush() => _inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReturnBuffer();
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Reads the ServerHello in the server's first flight; a HelloRetryRequest defers to the next one.</summary>
    private void WatchServerHello(ReadOnlySpan<byte> written)
    {
        if (!_watchingServerHello)
        {
            return;
        }

        if (Sluice.Protocols.Tls.ServerHelloReader.TryRead(written, out var hello) && hello.IsHelloRetryRequest)
        {
            return;
        }

        _watchingServerHello = false;
        Resumed = hello.Resumes(written, _clientSessionId);
        _clientSessionId = null;
    }

    /// <summary>A zero-byte read returns at once: the replayed bytes are there.</summary>
    private int Replay(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _length - _position);
        _replay.AsSpan(_position, count).CopyTo(destination);
        _position += count;
        if (_position == _length)
        {
            ReturnBuffer();
        }

        return count;
    }

    private void ReturnBuffer()
    {
        if (_replay is { } buffer)
        {
            _replay = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
