using System.Buffers;
using System.Net;
using Sluice.Backends;
using Sluice.Messages;

namespace Sluice.Rules.Samples;

/// <summary>
/// What fetches read and actions change while rules run: the connection's addresses, the proxies involved, the
/// request and response heads, variables, and a scratch space for converters. One per session, refilled by the
/// transaction as it goes; evaluation allocates nothing unless a converter needs more scratch than a buffer.
/// </summary>
internal sealed class SampleContext : IDisposable
{
    private readonly int _scratchSize;
    private byte[]? _scratch;
    private int _scratchUsed;

    public SampleContext(int scratchSize = 16384)
    {
        _scratchSize = scratchSize;
        Variables = new VariableStore();
    }

    public EndPoint? ClientEndPoint { get; set; }

    public EndPoint? LocalEndPoint { get; set; }

    /// <summary>The frontend's name, encoded once.</summary>
    public byte[] FrontendName { get; set; } = [];

    public int FrontendId { get; set; }

    /// <summary>The frontend's traffic counters (`fe_conn`: its current sessions); null outside of a frontend.</summary>
    public Stats.TrafficCounters? FrontendCounters { get; set; }

    /// <summary>The listening socket the connection came through (`so_id`, `so_name`); Id 0 when unknown.</summary>
    public ListenerIdentity Listener { get; set; }

    /// <summary>The backend chosen so far; null before `use_backend` rules ran.</summary>
    public BackendState? Backend { get; set; }

    /// <summary>The server the request went to; null before one was chosen.</summary>
    public ServerState? Server { get; set; }


    /// <summary>Resolves a backend by name for fetches that take one (`nbsrv(be)`); null when unknown.</summary>
    public Func<string, BackendState?>? FindBackend { get; set; }

    public HttpRequestHead? Request { get; set; }

    public HttpResponseHead? Response { get; set; }

    /// <summary>The request body held by the front mux, for `req.body`; null when there is none to read.</summary>
    public IBufferedRequestBody? RequestBody { get; set; }

    /// <summary>Data received from the client in mode tcp and not yet forwarded (`req.payload`, `req.ssl_sni`).</summary>
    public ReadOnlySequence<byte> RequestPayload { get; set; }

    /// <summary>The most bytes an inspected payload can grow to (`tune.bufsize`): a `payload_lv` block beyond it never matches.</summary>
    public int PayloadCapacity { get; set; } = 16384;

    /// <summary>Data received from the server in mode tcp and not yet forwarded (`res.payload`, `res.len`).</summary>
    public ReadOnlySequence<byte> ResponsePayload { get; set; }

    /// <summary>
    /// True once nothing more can arrive for the payload the rules inspect (inspect-delay over, buffer full, peer
    /// done): <see cref="RequestPayload"/> in request rules, <see cref="ResponsePayload"/> in response rules.
    /// </summary>
    public bool PayloadComplete { get; set; } = true;

    /// <summary>What the client connection's TLS handshake established; null on cleartext.</summary>
    public Sluice.Tls.TlsConnectionInfo? Tls { get; set; }

    public bool IsTls => Tls is not null || TlsBind;

    /// <summary>A connection to a server was made for this transaction, or taken from the idle ones (`bc_err` is 0).</summary>
    public bool ServerConnected { get; set; }

    /// <summary>What the server connection's TLS handshake established (`ssl_bc_*`); null on cleartext or before one.</summary>
    public Sluice.Tls.TlsConnectionInfo? ServerTls { get; set; }

    /// <summary>Why the last TLS handshake with a server failed (`bc_err`, `ssl_bc_err`); null when none did.</summary>
    public Sluice.Tls.TlsServerFailure? ServerTlsFailure { get; set; }

    /// <summary>The connection came through an `ssl` bind whose handshake failed, so that <see cref="Tls"/> is null (`%ft` still ends in `~`).</summary>
    public bool TlsBind { get; set; }

    /// <summary>The PROXY header the client connection began with (`fc_pp_*`, `fc_rcvd_proxy`); null without one.</summary>
    public Sluice.Protocols.ProxyProtocol.ProxyHeader? Proxy { get; set; }

    /// <summary>Set by `tcp-request connection expect-proxy layer4` when it applies.</summary>
    public bool ExpectsProxyHeader { get; set; }

    /// <summary>True for the first request of a client connection (`http_first_req`).</summary>
    public bool FirstRequest { get; set; }

    /// <summary>
    /// Set by a fetch that found no value only because more bytes may still come: the rule being evaluated
    /// then waits (HAProxy's "may change") instead of deciding.
    /// </summary>
    public bool NeedsMoreData { get; set; }

    /// <summary>
    /// Set by a fetch whose value may still grow (`req.len` while bytes may come): an ACL test that fails on it then
    /// needs more data rather than failing (HAProxy's miss).
    /// </summary>
    public bool ValueMayChange { get; set; }

    public VariableStore Variables { get; }

    /// <summary>The values captured for the logs and `capture.req.hdr(N)`.</summary>
    public CaptureStore Captures { get; } = new();

    /// <summary>Where actions render their log-format arguments before applying them; reused.</summary>
    public ArrayBufferWriter<byte> FormatOutput => _formatOutput ??= new ArrayBufferWriter<byte>(256);

    /// <summary>`set-log-level`: the level of this transaction's log line; null for the proxy's.</summary>
    public string? LogLevel { get; set; }

    /// <summary>What the transaction recorded for its log line; null outside of logging.</summary>
    public Sluice.Logging.LogFields? Log { get; set; }

    /// <summary>The frontend's count of log lines so far (`%lc`).</summary>
    public long LogCounter { get; set; }

    /// <summary>The frontend's `unique-id-format`; null without one.</summary>
    public Sluice.Logging.LogFormat? UniqueIdFormat { get; set; }

    /// <summary>HAProxy's UNIQUEID_LEN: a longer unique ID is cut.</summary>
    public const int UniqueIdLength = 128;

    private byte[]? _uniqueId;
    private int _uniqueIdLength = -1;
    private bool _generatingUniqueId;
    private ArrayBufferWriter<byte>? _uniqueIdOutput;
    private long _requestNumber = -1;

    /// <summary>
    /// The process-wide number of this transaction (`%rt`), HAProxy's stream id: taken from the process counter
    /// the first time it is asked for, so that the unique ID and the log line see the same one.
    /// </summary>
    public long RequestNumber
    {
        get
        {
            if (_requestNumber < 0)
            {
                _requestNumber = Sluice.Logging.LogFields.NextRequestNumber();
            }

            return _requestNumber;
        }
    }

    /// <summary>
    /// The transaction's unique ID (`unique-id`, `%ID`, `unique-id-header`): rendered from
    /// <see cref="UniqueIdFormat"/> the first time it is asked for, then the same for the whole transaction, as in
    /// HAProxy. False without a format (and while the format itself is being rendered: it may not read itself).
    /// </summary>
    public bool TryGetUniqueId(out Sample value)
    {
        value = default;
        if (_uniqueIdLength < 0)
        {
            if (UniqueIdFormat is not { } format || _generatingUniqueId)
            {
                return false;
            }

            var output = _uniqueIdOutput ??= new ArrayBufferWriter<byte>(UniqueIdLength);
            output.ResetWrittenCount();
            _generatingUniqueId = true;
            try
            {
                format.Render(this, output);
            }
            finally
            {
                _generatingUniqueId = false;
            }

            _uniqueId ??= new byte[UniqueIdLength];
            _uniqueIdLength = Math.Min(output.WrittenCount, UniqueIdLength);
            output.WrittenSpan[.._uniqueIdLength].CopyTo(_uniqueId);
        }

        value = Sample.FromString(_uniqueId!, 0, _uniqueIdLength);
        return true;
    }

    private ArrayBufferWriter<byte>? _formatOutput;

    /// <summary>Forgets everything about the previous request of the connection.</summary>
    /// <summary>The stick tables `src_*(TABLE)` may name, by proxy name; set once per session.</summary>
    public IReadOnlyDictionary<string, Backends.StickTable>? StickTables { get; set; }

    /// <summary>The table `src_*` reads without a table argument: the frontend's own.</summary>
    public Backends.StickTable? FrontendStickTable { get; set; }

    /// <summary>The stick counters sc0, sc1, sc2 this transaction tracks (`track-sc0`...); null when not tracked.</summary>
    public Backends.StickEntry?[] Tracked { get; } = new Backends.StickEntry?[3];

    /// <summary>Starts tracking <paramref name="entry"/> as counter <paramref name="index"/>; false when that counter is tracked already (HAProxy keeps the first).</summary>
    public bool Track(int index, Backends.StickEntry entry)
    {
        if (Tracked[index] is not null)
        {
            return false;
        }

        Tracked[index] = entry;
        return true;
    }

    /// <summary>
    /// The counters the client connection tracks (`tcp-request connection|session track-scN`); owned by the
    /// connection, which releases them when it closes; null when none.
    /// </summary>
    public Backends.StickCounterSet? SessionCounters { get; set; }

    /// <summary>Stick counter <paramref name="index"/>: the transaction's own, else the connection's (as HAProxy reads them).</summary>
    public Backends.StickEntry? TrackedEntry(int index) => Tracked[index] ?? SessionCounters?.Entries[index];

    /// <summary>
    /// `track-scN` of a connection or session rule: the entry becomes the connection's counter N unless it has one.
    /// Allocates the connection's set once, when it first tracks.
    /// </summary>
    public bool TrackSession(int index, Backends.StickEntry entry)
    {
        var counters = SessionCounters ??= new Backends.StickCounterSet();
        if (counters.Entries[index] is not null)
        {
            return false;
        }

        counters.Entries[index] = entry;
        return true;
    }

    /// <summary>A new HTTP request: counted by every counter tracked before it was parsed (content and connection rules).</summary>
    public void CountHttpRequest(long nowMs)
    {
        for (var i = 0; i < Tracked.Length; i++)
        {
            TrackedEntry(i)?.CountHttpRequest(nowMs);
        }
    }

    /// <summary>A 4xx answer: counted as an HTTP error by every tracked counter.</summary>
    public void CountHttpError(long nowMs)
    {
        for (var i = 0; i < Tracked.Length; i++)
        {
            TrackedEntry(i)?.CountHttpError(nowMs);
        }
    }

    /// <summary>True when a stick counter is tracked, by the transaction or its connection.</summary>
    public bool TracksAny => SessionCounters is not null || Tracked[0] is not null || Tracked[1] is not null || Tracked[2] is not null;

    /// <summary>A failure the server caused (http_fail_cnt, http_fail_rate), counted by every tracked counter.</summary>
    public void CountHttpFailure(long nowMs)
    {
        for (var i = 0; i < Tracked.Length; i++)
        {
            TrackedEntry(i)?.CountHttpFailure(nowMs);
        }
    }

    /// <summary>The bytes of a finished transaction (bytes_in_*, bytes_out_*), counted by every tracked counter.</summary>
    public void CountBytes(long fromClient, long toClient, long nowMs)
    {
        for (var i = 0; i < Tracked.Length; i++)
        {
            TrackedEntry(i)?.CountBytes(fromClient, toClient, nowMs);
        }
    }

    /// <summary>The transaction is over: its tracked counters are released (conn_cur goes down).</summary>
    public void EndTracking()
    {
        for (var i = 0; i < Tracked.Length; i++)
        {
            if (Tracked[i] is { } entry)
            {
                entry.EndConnection();
                Tracked[i] = null;
            }
        }
    }

    public void ResetTransaction()
    {
        EndTracking();
        Backend = null;
        Server = null;
        ServerConnected = false;
        ServerTls = null;
        ServerTlsFailure = null;
        Response = null;
        LogLevel = null;
        _uniqueIdLength = -1;
        _requestNumber = -1;
        Captures.Clear();
        Variables.ClearTransaction();
        ResetScratch();
    }

    /// <summary>Starts a new evaluation: converters' output from earlier evaluations is overwritten from here.</summary>
    public void ResetScratch() => _scratchUsed = 0;

    /// <summary>
    /// Room for a converter's output. Returns false when the scratch space is exhausted, in which case the
    /// converter fails and the sample is not found, as in HAProxy when its trash chunk is too small.
    /// </summary>
    public bool TryReserve(int length, out byte[] buffer, out int offset)
    {
        _scratch ??= ArrayPool<byte>.Shared.Rent(_scratchSize);
        if (length > _scratch.Length - _scratchUsed)
        {
            buffer = [];
            offset = 0;
            return false;
        }

        buffer = _scratch;
        offset = _scratchUsed;
        _scratchUsed += length;
        return true;
    }

    /// <summary>Gives back the unused end of the last reservation.</summary>
    public void Shrink(int unused) => _scratchUsed -= unused;

    /// <summary>Returns the scratch space to the pool while the connection idles.</summary>
    public void ReleaseBuffers()
    {
        if (_scratch is { } scratch)
        {
            _scratch = null;
            _scratchUsed = 0;
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    public void Dispose()
    {
        EndTracking();
        ReleaseBuffers();
        Variables.ClearSession();
    }
}

/// <summary>
/// A listening socket as rules see it: its id, numbered from 1 in the order of the frontend's bind addresses as HAProxy
/// does, and the `name` of its bind line (null without one).
/// </summary>
internal readonly record struct ListenerIdentity(int Id, byte[]? Name)
{
    public static ListenerIdentity Of(Config.Model.FrontendConfig frontend, Config.Model.BindConfig? bind)
    {
        for (var i = 0; bind is not null && i < frontend.Binds.Count; i++)
        {
            if (ReferenceEquals(frontend.Binds[i], bind))
            {
                // Allocates: once per connection, and only for a named bind line.
                return new ListenerIdentity(i + 1, bind.Name is { } name ? System.Text.Encoding.Latin1.GetBytes(name) : null);
            }
        }

        return default;
    }
}
