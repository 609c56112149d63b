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

    /// <param name="replay">Rented from <see cref="ArrayPool{T}.Shared"/>; this stream owns it from now on.</param>
    public ReplayStream(Stream inner, byte[] replay, int length)
    {
        _inner = inner;
        _replay = replay;
        _length = length;
    }

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

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => _inner.Write(buffer);

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
