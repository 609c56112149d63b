using System.Threading.Tasks.Sources;

namespace Sluice.Transport;

/// <summary>
/// One socket's wait for readiness on an <see cref="EventLoop"/>. The loop's events are edge-triggered, so a signal
/// that comes while nobody waits is kept for the next wait; the waiting code resumes inline on the thread that
/// signals (the loop's, or the one closing the socket).
/// </summary>
internal sealed class ReadinessWaiter : IValueTaskSource
{
    private const int Idle = 0;
    private const int Ready = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core;
    private int _state;
    private bool _peerEnded;

    /// <summary>The loop watching the socket, and the socket's place in its table; -1 when not watched.</summary>
    public EventLoop? Loop { get; set; }

    public int Slot { get; set; } = -1;

    public int Generation { get; set; }

    /// <summary>
    /// An event reported the peer's end (or an error): a state, not an edge, so that no further event will come
    /// for it, and a reader must not wait for one once it has read what came before.
    /// </summary>
    public bool PeerEnded
    {
        get => Volatile.Read(ref _peerEnded);
        set => Volatile.Write(ref _peerEnded, value);
    }

    /// <summary>Completes at once when a signal came since the last wait, else at the next signal.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Ready) == Ready)
        {
            return default;
        }

        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
        {
            // Signalled between the two exchanges.
            Volatile.Write(ref _state, Idle);
            return default;
        }

        return new ValueTask(this, _core.Version);
    }

    /// <summary>
    /// False when a signal came since the last wait (nothing is kept); else true, and <paramref name="continuation"/>
    /// runs at the next signal, on the signalling thread.
    /// </summary>
    public bool ContinueWhenSignalled(Action<object?> continuation, object state)
    {
        var wait = WaitAsync();
        if (wait.IsCompleted)
        {
            return false;
        }

        _core.OnCompleted(continuation, state, _core.Version, ValueTaskSourceOnCompletedFlags.None);
        return true;
    }

    /// <summary>The socket is ready (or closed, or the wait is called off): resumes the waiter, or tells the next wait.</summary>
    public void Signal()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if (state == Waiting)
            {
                if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                {
                    _core.SetResult(true);
                    return;
                }
            }
            else if (state == Ready || Interlocked.CompareExchange(ref _state, Ready, Idle) == Idle)
            {
                return;
            }
        }
    }

    /// <summary>Forgets a signal kept from an earlier use; no wait may be pending.</summary>
    public void Reset() => Volatile.Write(ref _state, Idle);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
