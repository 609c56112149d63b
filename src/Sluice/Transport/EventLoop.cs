using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Sluice.Transport;

/// <summary>
/// Readiness of cleartext connections from epoll sets of our own, one thread each (one per core), as HAProxy's
/// pollers: the code waiting for a socket's bytes resumes on the loop's thread the moment epoll reports them, and
/// work the loop's code hands on (a new HTTP/2 stream, a queued flush) runs on that thread after the events in
/// hand. The runtime's socket engine instead hands every completion to the thread pool, whose wake-ups and queues
/// cost more than the proxying itself on small requests (docs/internals/event-loop.md).
/// </summary>
/// <remarks>
/// Reads are non-blocking receives the caller makes itself; only the wait goes through the loop. Sends stay with
/// the runtime, which completes them at once while the kernel takes the bytes. `noepoll` in the global section
/// keeps a configuration's connections off the loops.
/// </remarks>
internal sealed class EventLoop
{
    private const uint EpollIn = 0x001;
    private const uint EpollOut = 0x004;
    private const uint EpollErr = 0x008;
    private const uint EpollHup = 0x010;
    private const uint EpollRdHup = 0x2000;
    private const uint EpollEdgeTriggered = 1u << 31;
    private const int CtlAdd = 1;
    private const int CtlDel = 2;
    private const int CtlMod = 3;
    private const int EpollCloseOnExec = 0x80000;
    private const int MsgPeek = 0x2;
    private const int MsgDontWait = 0x40;
    private const int MsgNoSignal = 0x4000;

    private static readonly Lazy<EventLoop[]> Loops = new(() =>
    {
        var loops = new EventLoop[Math.Max(1, Environment.ProcessorCount)];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = new EventLoop(i);
        }

        return loops;
    });

    private static int s_nextLoop;

    [ThreadStatic]
    private static EventLoop? t_current;

    [ThreadStatic]
    private static long t_wakeTimestamp;

    private readonly int _epoll;
    private readonly Queue<DeferredWork> _deferred = new();
    private readonly Lock _slotsLock = new();
    private readonly Stack<int> _freeSlots = new();
    private ReadinessWaiter?[] _slots = new ReadinessWaiter?[256];
    private int _usedSlots;
    private int _nextGeneration;

    private EventLoop(int index)
    {
        _epoll = EpollCreate(EpollCloseOnExec);
        if (_epoll < 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        new Thread(Run) { IsBackground = true, Name = $"Sluice loop {index}" }.Start();
    }

    /// <summary>Whether this system has the loops (Linux).</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>Whether a configuration's connections wait on the loops: where supported, unless the global section says `noepoll`.</summary>
    public static bool Usable(bool noEpoll) => Supported && !noEpoll;

    /// <summary>
    /// Runs the item on this thread's loop once the events in hand are handled, when this is a loop's thread (the
    /// work stays on the core whose connection made it, and items queued together run back to back); elsewhere
    /// the thread pool runs it.
    /// </summary>
    public static void Defer(IThreadPoolWorkItem item)
    {
        if (t_current is { } loop)
        {
            loop._deferred.Enqueue(new DeferredWork(item, null, null));
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(item, preferLocal: false);
        }
    }

    /// <summary>As <see cref="Defer(IThreadPoolWorkItem)"/>, for a callback and its state.</summary>
    public static void Defer(Action<object?> callback, object? state)
    {
        if (t_current is { } loop)
        {
            loop._deferred.Enqueue(new DeferredWork(null, callback, state));
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(callback, state, preferLocal: false);
        }
    }

    /// <summary>
    /// Resumes the other end of a pipe through <see cref="Defer(Action{object?}, object?)"/>: a body that a loop's
    /// connection writes wakes its reader on that loop, after the events in hand, instead of on the thread pool
    /// (whose wake-ups, switches and spinning cost more than the work on one core).
    /// </summary>
    public static PipeScheduler PipeScheduler { get; } = new DeferringPipeScheduler();

    /// <summary>
    /// The <see cref="System.Diagnostics.Stopwatch"/> time at which this thread's loop last woke, 0 on a thread that
    /// is no loop's. What a loop runs between two waits is stamped with this time, as HAProxy dates its events once
    /// per turn of its poller: the clock is read once per wake rather than several times per request.
    /// </summary>
    public static long WakeTimestamp => t_wakeTimestamp;

    /// <summary>The loop of this thread, else the next in turn: a server connection opened by a transaction on a loop stays with it.</summary>
    public static EventLoop Pick()
    {
        if (t_current is { } loop)
        {
            return loop;
        }

        var loops = Loops.Value;
        return loops[(int)((uint)Interlocked.Increment(ref s_nextLoop) % (uint)loops.Length)];
    }

    /// <summary>
    /// Connects without the runtime's socket engine (which would otherwise watch the socket for the rest of its
    /// life, waking its own thread on every response). Whoever closes the socket under the wait signals
    /// <paramref name="waiter"/>.
    /// </summary>
    public static async ValueTask ConnectAsync(Socket socket, EndPoint endPoint, ReadinessWaiter waiter)
    {
        waiter.Reset();
        socket.Blocking = false;
        try
        {
            socket.Connect(endPoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            var loop = Pick();
            loop.Register(waiter, socket.SafeHandle, EpollOut | EpollEdgeTriggered);
            try
            {
                await waiter.WaitAsync().ConfigureAwait(false);
            }
            finally
            {
                loop.Unregister(waiter, socket.SafeHandle);
            }

            var error = socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int code ? code : 0;
            if (error != 0)
            {
                throw new SocketException(error);
            }

            // Reading Connected lets the socket learn that its non-blocking connect is over (its endpoints, streams).
            if (!socket.Connected)
            {
                throw new SocketException((int)SocketError.NotConnected);
            }
        }

        socket.Blocking = true;
    }

    /// <summary>Watches the socket for the peer's bytes and end (edge-triggered) until <see cref="Unregister"/>.</summary>
    public void RegisterForReading(ReadinessWaiter waiter, SafeHandle socket) =>
        Register(waiter, socket, EpollIn | EpollRdHup | EpollEdgeTriggered);

    /// <summary>Stops watching; the socket may be closed already, in which case the kernel forgot it.</summary>
    public void Unregister(ReadinessWaiter waiter, SafeHandle socket)
    {
        var added = false;
        try
        {
            // The reference keeps the descriptor from being closed and its number given to another socket meanwhile.
            socket.DangerousAddRef(ref added);
            var none = default(EpollEvent);
            _ = EpollCtl(_epoll, CtlDel, (int)socket.DangerousGetHandle(), ref none);
        }
        catch (ObjectDisposedException)
        {
            // Closed: the kernel dropped it from the set.
        }
        finally
        {
            if (added)
            {
                socket.DangerousRelease();
            }
        }

        lock (_slotsLock)
        {
            if (waiter.Slot >= 0)
            {
                _slots[waiter.Slot] = null;
                _freeSlots.Push(waiter.Slot);
                waiter.Slot = -1;
                waiter.Loop = null;
            }
        }
    }

    /// <summary>One non-blocking receive (a one-byte peek when <paramref name="peek"/>): the count, 0 at the peer's end, or -errno.</summary>
    public static int TryReceive(SafeHandle socket, Span<byte> buffer, bool peek)
    {
        Span<byte> one = stackalloc byte[1];
        var target = peek ? one : buffer;
        return Transfer(socket, ref MemoryMarshal.GetReference(target), target.Length, MsgDontWait | (peek ? MsgPeek : 0), send: false);
    }

    /// <summary>One non-blocking send: the count of bytes the socket took, or -errno (<see cref="Errno.Again"/> when it has no room).</summary>
    public static int TrySend(SafeHandle socket, ReadOnlySpan<byte> bytes) =>
        Transfer(socket, ref MemoryMarshal.GetReference(bytes), bytes.Length, MsgDontWait | MsgNoSignal, send: true);

    /// <summary>A `recv(2)` or `send(2)` under a reference on the socket, made again when a signal interrupts it.</summary>
    private static int Transfer(SafeHandle socket, ref byte start, int length, int flags, bool send)
    {
        var added = false;
        socket.DangerousAddRef(ref added);
        try
        {
            while (true)
            {
                var descriptor = (int)socket.DangerousGetHandle();
                var count = send ? Send(descriptor, ref start, length, flags) : Receive(descriptor, ref start, length, flags);
                if (count >= 0)
                {
                    return (int)count;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.Interrupted)
                {
                    return -errno;
                }
            }
        }
        finally
        {
            socket.DangerousRelease();
        }
    }

    private void Register(ReadinessWaiter waiter, SafeHandle socket, uint events)
    {
        ulong data;
        lock (_slotsLock)
        {
            int slot;
            if (_freeSlots.Count > 0)
            {
                slot = _freeSlots.Pop();
            }
            else
            {
                if (_usedSlots == _slots.Length)
                {
                    var larger = new ReadinessWaiter?[_slots.Length * 2];
                    Array.Copy(_slots, larger, _slots.Length);
                    Volatile.Write(ref _slots, larger);
                }

                slot = _usedSlots++;
            }

            // A generation per registration: an event still in flight for a slot's previous socket is told apart.
            var generation = ++_nextGeneration;
            waiter.Slot = slot;
            waiter.Generation = generation;
            waiter.Loop = this;
            Volatile.Write(ref _slots[slot], waiter);
            data = (uint)slot | ((ulong)(uint)generation << 32);
        }

        var ev = new EpollEvent { Events = events, Data = data };
        var added = false;
        socket.DangerousAddRef(ref added);
        try
        {
            var fd = (int)socket.DangerousGetHandle();
            if (EpollCtl(_epoll, CtlAdd, fd, ref ev) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.Exists || EpollCtl(_epoll, CtlMod, fd, ref ev) != 0)
                {
                    throw new SocketException(Marshal.GetLastPInvokeError());
                }
            }
        }
        finally
        {
            socket.DangerousRelease();
        }
    }

    private void Run()
    {
        t_current = this;
        var events = new EpollEvent[256];
        while (true)
        {
            if (_deferred.TryDequeue(out var work))
            {
                t_wakeTimestamp = Stopwatch.GetTimestamp();
                do
                {
                    RunSafely(work);
                }
                while (_deferred.TryDequeue(out work));
            }

            var count = EpollWait(_epoll, ref events[0], events.Length, -1);
            t_wakeTimestamp = Stopwatch.GetTimestamp();
            for (var i = 0; i < count; i++)
            {
                var data = events[i].Data;
                var slot = (int)(uint)data;
                var slots = Volatile.Read(ref _slots);
                var waiter = slot < slots.Length ? Volatile.Read(ref slots[slot]) : null;
                if (waiter is not null && waiter.Generation == (int)(uint)(data >> 32))
                {
                    if ((events[i].Events & (EpollRdHup | EpollHup | EpollErr)) != 0)
                    {
                        waiter.PeerEnded = true;
                    }

                    // The waiting code runs here, inline, until its next wait.
                    SignalSafely(waiter);
                }
            }
        }
    }

    private static void SignalSafely(ReadinessWaiter waiter)
    {
        try
        {
            waiter.Signal();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A resumed method keeps its own exceptions; this is only a guard for the loop's other connections.
            Console.Error.WriteLine($"[WARNING] event loop: unexpected {ex.GetType().Name} in resumed code: {ex.Message}");
        }
    }

    private static void RunSafely(in DeferredWork work)
    {
        try
        {
            if (work.Item is { } item)
            {
                item.Execute();
            }
            else
            {
                work.Callback!(work.State);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // On the thread pool this would end the process; a loop serves every other connection of its core.
            Console.Error.WriteLine($"[WARNING] event loop: unexpected {ex.GetType().Name} in queued work: {ex.Message}");
        }
    }

    private readonly record struct DeferredWork(IThreadPoolWorkItem? Item, Action<object?>? Callback, object? State);

    private sealed class DeferringPipeScheduler : PipeScheduler
    {
        public override void Schedule(Action<object?> action, object? state) => Defer(action, state);
    }

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    private struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

#pragma warning disable SYSLIB1054 // LibraryImport would require AllowUnsafeBlocks for the whole project.
    [DllImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EpollCreate(int flags);

    [DllImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EpollCtl(int epoll, int op, int fd, ref EpollEvent ev);

    [DllImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int EpollWait(int epoll, ref EpollEvent events, int max, int timeout);

    [DllImport("libc", EntryPoint = "recv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Receive(int fd, ref byte buffer, nint length, int flags);

    [DllImport("libc", EntryPoint = "send", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint Send(int fd, ref byte buffer, nint length, int flags);
#pragma warning restore SYSLIB1054
}
