using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sluice.Transport;

/// <summary>
/// A kernel pipe that carries spliced bytes from one socket to another without copying them into the process.
/// It is empty whenever it goes back to <see cref="SplicePipes"/>.
/// </summary>
internal sealed class SplicePipe
{
    /// <summary>What <see cref="Fill"/> and <see cref="Drain"/> return when the socket has nothing to give or no room.</summary>
    public const int WouldBlock = -1;

    private const uint SpliceMove = 1;
    private const uint SpliceNonBlocking = 2;

    public SplicePipe(int readEnd, int writeEnd)
    {
        ReadEnd = readEnd;
        WriteEnd = writeEnd;
    }

    public int ReadEnd { get; }

    public int WriteEnd { get; }

    /// <summary>Moves up to <paramref name="max"/> waiting bytes from the socket into the pipe; 0 at the end of the stream.</summary>
    public int Fill(Socket from, int max) => Splice(from, fromSocket: true, max);

    /// <summary>Moves up to <paramref name="count"/> bytes of the pipe into the socket.</summary>
    public int Drain(Socket to, int count) => Splice(to, fromSocket: false, count);

    /// <summary>Reads bytes out of the pipe into memory, for a socket that could not take them directly.</summary>
    public int ReadInto(Span<byte> buffer)
    {
        var read = Read(ReadEnd, ref MemoryMarshal.GetReference(buffer), (nuint)buffer.Length);
        return read >= 0 ? (int)read : throw new IOException(Marshal.GetLastPInvokeErrorMessage());
    }

    private int Splice(Socket socket, bool fromSocket, int count)
    {
        // The reference keeps the descriptor from being closed (and its number reused) while the kernel works on it;
        // a socket already disposed throws ObjectDisposedException, which ends the tunnel as any closed socket does.
        var handle = socket.SafeHandle;
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = (int)handle.DangerousGetHandle();
            var moved = fromSocket
                ? SpliceCall(fd, IntPtr.Zero, WriteEnd, IntPtr.Zero, (nuint)count, SpliceMove | SpliceNonBlocking)
                : SpliceCall(ReadEnd, IntPtr.Zero, fd, IntPtr.Zero, (nuint)count, SpliceMove | SpliceNonBlocking);
            if (moved >= 0)
            {
                return (int)moved;
            }

            var error = Marshal.GetLastPInvokeError();
            return error == Errno.Again ? WouldBlock : throw new IOException(Marshal.GetPInvokeErrorMessage(error));
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", EntryPoint = "splice", SetLastError = true)]
    private static extern nint SpliceCall(int fdIn, IntPtr offIn, int fdOut, IntPtr offOut, nuint length, uint flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    private static extern nint Read(int fd, ref byte buffer, nuint count);
}

/// <summary>
/// The process's pipes for splice(2), as HAProxy's: at most <c>maxpipes</c> in use (by default a quarter of
/// <c>maxconn</c>), each sized by <c>tune.pipesize</c> when set; a tunnel that finds none left copies instead.
/// Pipes that come back are kept for the next tunnel, a few at most, the rest closed.
/// </summary>
internal static class SplicePipes
{
    private const int OpenCloseOnExec = 0x80000;
    private const int OpenNonBlocking = 0x800;
    private const int SetPipeSize = 1031;
    private const int KeptFree = 64;

    private static readonly Lock Gate = new();
    private static readonly Stack<SplicePipe> Free = new();
    private static int _used;
    private static int _limit = int.MaxValue;
    private static int _pipeSize;

    public static int Used
    {
        get
        {
            lock (Gate)
            {
                return _used;
            }
        }
    }

    public static int FreeCount
    {
        get
        {
            lock (Gate)
            {
                return Free.Count;
            }
        }
    }

    /// <summary>How much one splice call moves at most: the pipe's size (the kernel's 64 KiB unless `tune.pipesize`).</summary>
    public static int ChunkSize
    {
        get
        {
            lock (Gate)
            {
                return _pipeSize > 0 ? _pipeSize : 65536;
            }
        }
    }

    /// <summary>The configured limit, 0 when unlimited (as `show info` writes it).</summary>
    public static int Limit
    {
        get
        {
            lock (Gate)
            {
                return _limit == int.MaxValue ? 0 : _limit;
            }
        }
    }

    /// <summary>Applies `maxpipes` and `tune.pipesize` of the running configuration (0: unlimited, the kernel's size).</summary>
    public static void Configure(int limit, int pipeSize)
    {
        lock (Gate)
        {
            _limit = limit > 0 ? limit : int.MaxValue;
            _pipeSize = pipeSize;
        }
    }

    /// <summary>A pipe, or null when `maxpipes` are in use or the kernel refuses one.</summary>
    public static SplicePipe? Rent()
    {
        int size;
        lock (Gate)
        {
            if (_used >= _limit)
            {
                return null;
            }

            _used++;
            if (Free.TryPop(out var kept))
            {
                return kept;
            }

            size = _pipeSize;
        }

        Span<int> ends = stackalloc int[2];
        if (CreatePipe(ref MemoryMarshal.GetReference(ends), OpenCloseOnExec | OpenNonBlocking) != 0)
        {
            lock (Gate)
            {
                _used--;
            }

            return null;
        }

        if (size > 0)
        {
            // Best effort, as HAProxy: the kernel may cap it (/proc/sys/fs/pipe-max-size).
            _ = Fcntl(ends[1], SetPipeSize, size);
        }

        return new SplicePipe(ends[0], ends[1]);
    }

    /// <summary>Gives a pipe back; <paramref name="empty"/> false (a tunnel cut with bytes inside) closes it.</summary>
    public static void Return(SplicePipe pipe, bool empty)
    {
        lock (Gate)
        {
            _used--;
            if (empty && Free.Count < KeptFree)
            {
                Free.Push(pipe);
                return;
            }
        }

        _ = Close(pipe.ReadEnd);
        _ = Close(pipe.WriteEnd);
    }

    [DllImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static extern int CreatePipe(ref int ends, int flags);

    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static extern int Fcntl(int fd, int command, int argument);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
