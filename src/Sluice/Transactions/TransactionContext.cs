using Sluice.Backends;
using Sluice.Config.Model;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Transactions;

/// <summary>
/// What every transaction of one frontend shares: the configuration, the backend's live state, the clock, the
/// buffers, and the timeouts turned into milliseconds once (<see cref="Infinite"/> when not set).
/// </summary>
internal sealed class TransactionContext
{
    public const long Infinite = long.MaxValue;

    public TransactionContext(FrontendConfig frontend, BackendState? backend, Heartbeat clock, BufferPool buffers, Action<ISession> onFinished, TextWriter? debugOutput)
        : this(frontend, backend, clock, buffers, new BlockMemoryPool(buffers.BufferSize), new BlockMemoryPool(buffers.BufferSize * 4), onFinished, debugOutput)
    {
    }

    private TransactionContext(FrontendConfig frontend, BackendState? backend, Heartbeat clock, BufferPool buffers, BlockMemoryPool memory,
        BlockMemoryPool serverInputMemory, Action<ISession> onFinished, TextWriter? debugOutput)
    {
        Frontend = frontend;
        Backend = backend;
        Clock = clock;
        Buffers = buffers;
        Memory = memory;
        ServerInputMemory = serverInputMemory;
        OnFinished = onFinished;
        DebugOutput = debugOutput;

        var fe = frontend.Timeouts;
        var be = backend?.Config.Timeouts ?? TimeoutsConfig.None;

        // `timeout tunnel` (a backend setting) replaces both client and server timeouts once the tunnel is up,
        // which in mode tcp is as soon as the server connection is established. The `-fin` timeouts replace them
        // once a side has half-closed.
        ClientMs = ToMs(be.Tunnel ?? fe.Client);
        ServerMs = ToMs(be.Tunnel ?? be.Server);
        ClientFinMs = fe.ClientFin is { } clientFin ? ToMs(clientFin) : ClientMs;
        ServerFinMs = be.ServerFin is { } serverFin ? ToMs(serverFin) : ServerMs;
        ConnectMs = ToMs(be.Connect);
        ConnectTimeout = be.Connect;
    }

    /// <summary>The same frontend's context for another backend (a `use_backend` rule of a tcp frontend chose it): the pools are shared.</summary>
    public TransactionContext WithBackend(BackendState backend) =>
        new(Frontend, backend, Clock, Buffers, Memory, ServerInputMemory, OnFinished, DebugOutput)
        {
            Counters = Counters,
            Log = Log,
            Resolutions = Resolutions,
            OnEventLoops = OnEventLoops,
        };

    /// <summary>The frontend's traffic counters, shared by all its transactions.</summary>
    public Stats.TrafficCounters Counters { get; init; } = new();

    /// <summary>The running configuration's resolutions, which `do-resolve` rules ask; null in unit tests.</summary>
    public Resolvers.ServerResolutions? Resolutions { get; init; }

    /// <summary>Cleartext connections, client and server side, wait on Sluice's event loops (not under `noepoll`).</summary>
    public bool OnEventLoops { get; init; }

    /// <summary>The frontend's traffic log; null when it logs nothing.</summary>
    public Sluice.Logging.LogSender? Log { get; init; }

    public FrontendConfig Frontend { get; }

    /// <summary>The frontend's name encoded once, for fetches.</summary>
    public byte[] FrontendNameBytes => _frontendNameBytes ??= System.Text.Encoding.Latin1.GetBytes(Frontend.Name);

    private byte[]? _frontendNameBytes;

    public BackendState? Backend { get; }

    public Heartbeat Clock { get; }

    public BufferPool Buffers { get; }

    /// <summary>The blocks of the HTTP connections' pipes, `tune.bufsize` each.</summary>
    public BlockMemoryPool Memory { get; }

    /// <summary>
    /// The blocks that server connections read into: four buffers each, so that a response body moves in
    /// fewer, larger reads. Only a connection that is receiving holds one.
    /// </summary>
    public BlockMemoryPool ServerInputMemory { get; }

    /// <summary>Called once by every transaction at its very end, after its sockets are closed.</summary>
    public Action<ISession> OnFinished { get; }

    /// <summary>Where `-d` prints one line per finished transaction; null when not debugging.</summary>
    public TextWriter? DebugOutput { get; }

    public long ClientMs { get; }

    public long ServerMs { get; }

    public long ClientFinMs { get; }

    public long ServerFinMs { get; }

    public long ConnectMs { get; }

    public TimeSpan? ConnectTimeout { get; }

    public static long ToMs(TimeSpan? timeout) =>
        timeout is { } t && t > TimeSpan.Zero ? Math.Max(1, (long)t.TotalMilliseconds) : Infinite;
}
