using System.Buffers;
using System.Collections.Concurrent;

namespace Sluice.Transport;

/// <summary>
/// The memory of the connection pipes: fixed-size blocks that are their own <see cref="IMemoryOwner{T}"/> and go
/// back to a free list when disposed, so a pipe segment costs no allocation once the process is warm (the
/// shared <see cref="MemoryPool{T}"/> allocates an owner object per rent). Larger requests fall back to the
/// array pool. The free list is bounded; blocks beyond it are left to the collector.
/// </summary>
internal sealed class BlockMemoryPool : MemoryPool<byte>
{
    private const int MaxFreeBlocks = 4096;

    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;

    public BlockMemoryPool(int blockSize)
    {
        BlockSize = blockSize;
    }

    public int BlockSize { get; }

    public override int MaxBufferSize => int.MaxValue;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize > BlockSize)
        {
            return new OversizedBlock(minBufferSize);
        }

        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            block.Rented = true;
            return block;
        }

        return new Block(this, new byte[BlockSize]) { Rented = true };
    }

    protected override void Dispose(bool disposing)
    {
    }

    private void Return(Block block)
    {
        if (Interlocked.Increment(ref _freeCount) <= MaxFreeBlocks)
        {
            _free.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _freeCount);
        }
    }

    private sealed class Block(BlockMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        public bool Rented;

        public Memory<byte> Memory => array;

        public void Dispose()
        {
            if (Rented)
            {
                Rented = false;
                pool.Return(this);
            }
        }
    }

    private sealed class OversizedBlock(int size) : IMemoryOwner<byte>
    {
        private byte[]? _array = ArrayPool<byte>.Shared.Rent(size);

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(OversizedBlock));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }
}
