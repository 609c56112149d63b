using Sluice.Backends;
using Sluice.Listeners;
using Sluice.Messages;
using Sluice.Mux.Http2;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Transactions;

/// <summary>
/// One HTTP/2 client connection of an HTTP frontend: the connection's read loop opens streams, and each stream runs
/// its own <see cref="HttpTransaction"/> concurrently (transactions and streams are reused within the connection). The heartbeat
/// enforces the timeouts: `timeout client` (then `http-keep-alive` once a stream was served) while no stream is in
/// progress ends the connection with GOAWAY; per stream, the client and server sides as for HTTP/1.
/// </summary>
internal sealed class Http2Session : ISession, IHeartbeatTarget, IHttp2StreamHandler, IDisposable
{
    private readonly HttpFrontendContext _context;
    private readonly Listener? _listener;
    private readonly ISession? _registeredAs;
    private readonly Http2FrontConnection _connection;
    private readonly HashSet<Http2Stream> _running = [];
    private readonly Lock _runningLock = new();
    private readonly Stack<StreamRun> _idleRuns = new();
    private readonly SideWatch _idle;

    // Streams ended since the last tick that found the connection idle: their runs and streams keep buffers.
    private bool _idleBuffersHeld;
    private readonly TaskCompletionSource _allDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _readLoopEnded;
    private int _streamsStarted;
    private int _killed;

    /// <param name="registeredAs">
    /// The session the host knows this connection by, when HTTP/1 handed it over after seeing the preface; the host
    /// is told when that one finishes.
    /// </param>
    public Http2Session(HttpFrontendContext context, SocketDuplex io, Listener? listener, ISession? registeredAs = null)
    {
        _context = context;
        _listener = listener;
        _registeredAs = registeredAs;
        _connection = new Http2FrontConnection(io, context.Shared.Clock, context.Http2);
        _connection.WriteWatch.LimitMs = context.ClientMs;
        _idle = new SideWatch(context.Shared.Clock) { LimitMs = context.ClientMs };
    }

    public SessionInfo Info => new(_context.Frontend.Name, null, null, null);

    /// <summary>What `tcp-request session` rules stored in session-scope variables, given to each stream's transaction; null when nothing.</summary>
    public Sluice.Rules.Samples.VariableStore? SessionVariables { get; init; }

    /// <summary>What `tcp-request connection|session` rules tracked, shared by the streams; released as the connection ends.</summary>
    public Backends.StickCounterSet? SessionCounters { get; init; }

    /// <summary>How long the connection's handshakes (TLS, PROXY) took: the first stream's `Th`, as in HAProxy; 0 for the others.</summary>
    public long HandshakeMs { get; init; }

    public async Task RunAsync()
    {
        var clock = _context.Shared.Clock;
        clock.Register(this);
        _idle.BeginWait();
        try
        {
            var end = await _connection.RunAsync(this).ConfigureAwait(false);
            if (end != Http2ConnectionEnd.Graceful)
            {
                // The client is gone or broke the protocol: the streams in progress cannot finish.
                _connection.FailAllStreams();
            }

            bool wait;
            lock (_runningLock)
            {
                _readLoopEnded = true;
                wait = _running.Count > 0;
            }

            if (wait)
            {
                await _allDone.Task.ConfigureAwait(false);
            }

            if (end != Http2ConnectionEnd.Closed && Volatile.Read(ref _killed) == 0)
            {
                await _connection.CloseAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug must end this connection, not the process.
        }
        finally
        {
            clock.Unregister(this);
            Dispose();
            _context.Shared.OnFinished(_registeredAs ?? this);
            _listener?.ReleaseSlot();
        }
    }

    /// <summary>The connection switched from HTTP/1.1 with `Upgrade: h2c`: its request becomes stream 1. Before <see cref="RunAsync"/>.</summary>
    public void AcceptUpgrade(HttpRequestHead request, byte[] body, byte[] settings) => _connection.AcceptUpgrade(this, request, body, settings);


    public void Dispose()
    {
        foreach (var run in _idleRuns)
        {
            run.Transaction.Dispose();
        }

        _idleRuns.Clear();
        _connection.Dispose();
        SessionCounters?.Release();
    }

    public void OnHeartbeat(long nowMs)
    {
        if (_connection.WriteWatch.IsExpired(nowMs))
        {
            _connection.Abort();
            return;
        }

        var releaseBuffers = false;
        lock (_runningLock)
        {
            if (_running.Count == 0)
            {
                if (_idle.IsExpired(nowMs))
                {
                    _connection.BeginShutdown();
                }

                // A connection found without streams by a tick gives back the buffers its ended streams kept for the
                // next ones: a busy connection keeps them, an idle one holds none for long.
                if (_idleBuffersHeld)
                {
                    _idleBuffersHeld = false;
                    releaseBuffers = true;
                    foreach (var idle in _idleRuns)
                    {
                        idle.Transaction.ReleaseBuffers();
                    }
                }
            }
        }

        if (releaseBuffers)
        {
            // Outside the session's lock: the connection's own lock is taken before it elsewhere.
            _connection.ReleaseSpareBuffers();
        }

        lock (_runningLock)
        {
            if (_running.Count == 0)
            {
                return;
            }

            foreach (var stream in _running)
            {
                if (stream.Owner is not HttpTransaction transaction)
                {
                    continue;
                }

                if (transaction.InTunnel)
                {
                    transaction.CheckTunnelTimeout(nowMs, stream, _context.ClientMs);
                    continue;
                }

                if (stream.ReadWatch.IsExpired(nowMs) || stream.WriteWatch.IsExpired(nowMs))
                {
                    transaction.SetPendingCause(TerminationCause.ClientTimeout);
                    stream.Abort();
                    continue;
                }

                transaction.CheckServerTimeouts(nowMs);
            }
        }
    }

    /// <summary>Soft stop: GOAWAY now, the streams in progress finish, then the connection closes.</summary>
    public void RequestStop() => _connection.BeginShutdown();

    /// <summary>Only the streams to <paramref name="server"/> end; the connection and its other streams go on.</summary>
    public void ShutdownStreamsOn(ServerState server, TerminationCause cause)
    {
        lock (_runningLock)
        {
            foreach (var stream in _running)
            {
                if (stream.Owner is HttpTransaction transaction && transaction.Carries(server))
                {
                    transaction.Kill(cause);
                }
            }
        }
    }

    public void Kill()
    {
        Volatile.Write(ref _killed, 1);
        lock (_runningLock)
        {
            foreach (var stream in _running)
            {
                if (stream.Owner is HttpTransaction transaction)
                {
                    transaction.Kill();
                }
            }
        }

        _connection.Abort();
    }

    /// <summary>Runs the transaction of one stream; on a thread-pool thread.</summary>
    public void RunStream(Http2Stream stream)
    {
        StreamRun run;
        bool first;
        lock (_runningLock)
        {
            if (_idleRuns.Count > 0)
            {
                run = _idleRuns.Pop();
            }
            else
            {
                try
                {
                    run = new StreamRun(this, NewTransaction());
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // Not one stream's failure may end the process (this runs as a thread-pool work item): reset it.
                    _connection.ReleaseStream(stream);
                    _connection.RecycleStream(stream);
                    return;
                }
            }

            stream.Owner = run.Transaction;
            first = _streamsStarted++ == 0;
            _running.Add(stream);
            _idle.EndWait();
        }

        stream.ReadWatch.LimitMs = _context.ClientMs;
        stream.WriteWatch.LimitMs = _context.ClientMs;
        run.Start(stream, first);
    }

    private HttpTransaction NewTransaction()
    {
        var transaction = new HttpTransaction(_context) { Listener = Sluice.Rules.Samples.ListenerIdentity.Of(_context.Frontend, _listener?.Bind), ListenerCounters = _listener?.Counters };
        if (SessionVariables is { } sessionVariables)
        {
            transaction.SeedSessionVariables(sessionVariables);
        }

        if (SessionCounters is { } counters)
        {
            transaction.SeedSessionCounters(counters);
        }

        return transaction;
    }

    /// <summary>The stream's transaction has ended (successfully or not): the stream leaves and its run goes back to the idle ones.</summary>
    private void EndStream(StreamRun run, Http2Stream stream)
    {
        _connection.ReleaseStream(stream);
        bool allDone;
        lock (_runningLock)
        {
            stream.Owner = null;
            _running.Remove(stream);
            _idleRuns.Push(run);
            _idleBuffersHeld = true;
            if (_running.Count == 0)
            {
                // Between streams the connection waits as an HTTP/1 connection waits between requests.
                _idle.LimitMs = _context.KeepAliveMs != TransactionContext.Infinite ? _context.KeepAliveMs : _context.ClientMs;
                _idle.BeginWait();
            }

            allDone = _readLoopEnded && _running.Count == 0;
        }

        _connection.RecycleStream(stream);
        if (allDone)
        {
            _allDone.TrySetResult();
        }
    }

    /// <summary>
    /// Runs one stream's transaction at a time and is reused for the next: its completion callback is made once,
    /// so a stream costs no task and no delegate (the transaction's own awaits use pooled boxes).
    /// </summary>
    private sealed class StreamRun
    {
        private readonly Http2Session _session;
        private readonly Action _onCompleted;
        private Http2Stream? _stream;
        private ValueTask _pending;

        public StreamRun(Http2Session session, HttpTransaction transaction)
        {
            _session = session;
            Transaction = transaction;
            _onCompleted = Complete;
        }

        public HttpTransaction Transaction { get; }

        [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2012:Use ValueTasks correctly", Justification = "Kept in a field and consumed exactly once, by Complete.")]
        public void Start(Http2Stream stream, bool first)
        {
            _stream = stream;
            try
            {
                if (first && _session._registeredAs is null)
                {
                    // HAProxy's `Connect from` line (a frontend without a log format) comes with the first request;
                    // an HTTP/1 connection that switched to HTTP/2 wrote it already.
                    _session._context.Shared.Log?.EmitConnect(stream.ClientEndPoint, stream.LocalEndPoint, _session._context.FrontendNameBytes);
                }

                if (stream.RejectStatus != 0)
                {
                    _pending = stream.SendReplyAsync(_session._context.Replies.ForStatus(stream.RejectStatus), closeAfter: false);
                }
                else
                {
                    if (first)
                    {
                        Transaction.SetRequestTiming(0, -1, _session.HandshakeMs);
                    }

                    _pending = Transaction.RunAsync(stream, first);
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A failed stream is reset as it is released; the connection and its other streams go on.
                _pending = default;
            }

            if (_pending.IsCompleted)
            {
                Complete();
            }
            else
            {
                _pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onCompleted);
            }
        }

        private void Complete()
        {
            var stream = _stream!;
            var pending = _pending;
            _pending = default;
            _stream = null;
            try
            {
                pending.GetAwaiter().GetResult();
                if (stream.RejectStatus == 0)
                {
                    _session._context.Shared.DebugOutput?.WriteLine(Transaction.DescribeForDebug(stream));
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // As above: the stream is reset as it is released.
            }
            finally
            {
                _session.EndStream(this, stream);
            }
        }
    }
}
