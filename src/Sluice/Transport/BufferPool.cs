using System.Buffers;

namespace Sluice.Transport;

/// <summary>
/// The buffers of tunnels, sized by `tune.bufsize`. They come from the shared array pool; each is rented only
/// while data is waiting (after a zero-byte receive said so) and returned by the loop that rented it, so idle
/// connections hold no buffer.
/// </summary>
internal sealed class BufferPool(int bufferSize)
{
    public int BufferSize { get; } = bufferSize > 0 ? bufferSize : 16384;

    public byte[] Rent() => ArrayPool<byte>.Shared.Rent(BufferSize);

    public static void Return(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);
}
