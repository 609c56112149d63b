using System.Buffers;
using Sluice.Protocols.Http2;

namespace Sluice.Mux.Http2;

/// <summary>
/// What a stream holds of HTTP/2 flow control, on either side of the proxy: the window the peer gives it, the window
/// it gives the peer, what its transaction consumed and not yet credited back, and the writer waiting for window.
/// Fields, under the connection's lock, read and written by <see cref="Http2FlowControl"/>.
/// </summary>
internal abstract class Http2StreamWindows
{
    internal long SendWindow;
    internal int ReceiveWindow;
    internal int ConsumedUnacknowledged;
    internal TaskCompletionSource? WindowWaiter;
}

/// <summary>
/// The flow control of one HTTP/2 connection (RFC 9113 §5.2, §6.9), one implementation for the connections with
/// clients and with servers. Sending: the peer's connection window and each stream's, taken by writers, who wait
/// for WINDOW_UPDATE when either is empty. Receiving: DATA is checked against our windows as it arrives; the
/// connection window we advertise is large (the stream windows bound the memory) and credited on arrival, a
/// stream's only as its transaction forwards the body, both by WINDOW_UPDATEs batched by a quarter of the window.
/// Every member runs under the connection's lock; the WINDOW_UPDATE frames go to its control queue.
/// </summary>
internal sealed class Http2FlowControl(IBufferWriter<byte> control, int streamReceiveWindow)
{
    /// <summary>The connection window we advertise.</summary>
    public const int ConnectionReceiveWindow = 16 * 1024 * 1024;

    /// <summary>The most one write takes at once, so that one stream does not hold the connection window alone.</summary>
    private const int MaxGrant = 1 << 20;

    private readonly List<Http2StreamWindows> _waiters = [];
    private long _sendWindow = Http2Protocol.DefaultInitialWindowSize;
    private long _receiveWindow = ConnectionReceiveWindow;
    private int _credit;
    private int _peerInitialWindow = Http2Protocol.DefaultInitialWindowSize;

    /// <summary>The stream window we advertise (`tune.h2.*.initial-window-size`).</summary>
    public int StreamReceiveWindow { get; } = streamReceiveWindow;

    /// <summary>Raises our connection window from the protocol's 65,535 to <see cref="ConnectionReceiveWindow"/>; after our SETTINGS.</summary>
    public void WriteOpeningUpdate() => Http2FrameWriter.WriteWindowUpdate(control, 0, ConnectionReceiveWindow - Http2Protocol.DefaultInitialWindowSize);

    /// <summary>A new stream starts from the peer's SETTINGS_INITIAL_WINDOW_SIZE and from ours.</summary>
    public void Open(Http2StreamWindows stream)
    {
        stream.SendWindow = _peerInitialWindow;
        stream.ReceiveWindow = StreamReceiveWindow;
    }

    /// <summary>
    /// §6.9: a DATA frame's whole payload, padding included, counts against the connection window. False when it goes
    /// beyond (a connection error FLOW_CONTROL_ERROR).
    /// </summary>
    public bool TryReceive(int length)
    {
        if (length > _receiveWindow)
        {
            return false;
        }

        _receiveWindow -= length;
        _credit += length;
        if (_credit >= ConnectionReceiveWindow / 4)
        {
            Http2FrameWriter.WriteWindowUpdate(control, 0, _credit);
            _receiveWindow += _credit;
            _credit = 0;
        }

        return true;
    }

    /// <summary>
    /// The transaction forwarded <paramref name="consumed"/> bytes of the stream's body: the peer may send as many
    /// again. True when a WINDOW_UPDATE was queued (the caller has the control frames flushed).
    /// </summary>
    public bool OnConsumed(Http2StreamWindows stream, int streamId, int consumed)
    {
        stream.ConsumedUnacknowledged += consumed;

        // Batched: the peer keeps at least three quarters of the window meanwhile.
        if (stream.ConsumedUnacknowledged < StreamReceiveWindow / 4)
        {
            return false;
        }

        stream.ReceiveWindow += stream.ConsumedUnacknowledged;
        Http2FrameWriter.WriteWindowUpdate(control, streamId, stream.ConsumedUnacknowledged);
        stream.ConsumedUnacknowledged = 0;
        return true;
    }

    /// <summary>Takes up to <paramref name="wanted"/> bytes of both windows; false when either is empty.</summary>
    public bool TryTake(Http2StreamWindows stream, long wanted, out int granted)
    {
        var available = Math.Min(stream.SendWindow, _sendWindow);
        if (available <= 0)
        {
            granted = 0;
            return false;
        }

        granted = (int)Math.Min(Math.Min(available, wanted), MaxGrant);
        stream.SendWindow -= granted;
        _sendWindow -= granted;
        return true;
    }

    /// <summary>Parks the stream's writer until a WINDOW_UPDATE, a change of settings or the stream's end wakes it.</summary>
    public TaskCompletionSource Park(Http2StreamWindows stream)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        stream.WindowWaiter = waiter;
        _waiters.Add(stream);
        return waiter;
    }

    /// <summary>§6.9.1: WINDOW_UPDATE on stream 0. False when the window goes above 2^31-1 (FLOW_CONTROL_ERROR).</summary>
    public bool OnConnectionUpdate(int increment)
    {
        _sendWindow += increment;
        if (_sendWindow > Http2Protocol.MaxWindowSize)
        {
            return false;
        }

        WakeAll();
        return true;
    }

    /// <summary>§6.9.1: WINDOW_UPDATE on a stream. False when its window goes above 2^31-1 (a stream error to reset).</summary>
    public bool OnStreamUpdate(Http2StreamWindows stream, int increment)
    {
        stream.SendWindow += increment;
        if (stream.SendWindow > Http2Protocol.MaxWindowSize)
        {
            return false;
        }

        Wake(stream);
        return true;
    }

    /// <summary>
    /// §6.9.2: the peer's new SETTINGS_INITIAL_WINDOW_SIZE applies to every open stream's window. False when one
    /// goes above 2^31-1 (FLOW_CONTROL_ERROR).
    /// </summary>
    public bool OnPeerInitialWindow<TStream>(uint value, Dictionary<int, TStream>.ValueCollection streams)
        where TStream : Http2StreamWindows
    {
        var delta = (long)value - _peerInitialWindow;
        _peerInitialWindow = (int)value;
        foreach (var stream in streams)
        {
            stream.SendWindow += delta;
            if (stream.SendWindow > Http2Protocol.MaxWindowSize)
            {
                return false;
            }
        }

        if (delta > 0)
        {
            WakeAll();
        }

        return true;
    }

    /// <summary>The stream's writer stops waiting: it finds more window, or that the stream ended.</summary>
    public void Wake(Http2StreamWindows stream)
    {
        if (stream.WindowWaiter is { } waiter)
        {
            stream.WindowWaiter = null;
            _waiters.Remove(stream);
            waiter.TrySetResult();
        }
    }

    public void WakeAll()
    {
        foreach (var stream in _waiters)
        {
            stream.WindowWaiter?.TrySetResult();
            stream.WindowWaiter = null;
        }

        _waiters.Clear();
    }
}
