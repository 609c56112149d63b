using System.Collections.Concurrent;
using System.Net;

namespace Sluice.Backends;

/// <summary>The key types of `stick-table type ...` that Sluice implements.</summary>
internal enum StickKeyType
{
    Ip = 0,
    Ipv6 = 1,
    Integer = 2,
}

/// <summary>`stick-table type T size N expire E store ...` as parsed; periods in milliseconds, 0 when not stored.</summary>
internal sealed record StickTableConfig(string Name, StickKeyType Type, int Size, long ExpireMs)
{
    public bool StoresConnCur { get; init; }
    public bool StoresConnCnt { get; init; }
    public long ConnRatePeriodMs { get; init; }
    public bool StoresHttpReqCnt { get; init; }
    public long HttpReqRatePeriodMs { get; init; }
    public bool StoresHttpErrCnt { get; init; }
    public long HttpErrRatePeriodMs { get; init; }
    public bool StoresGpc0 { get; init; }
    public bool StoresServerId { get; init; }
}

/// <summary>
/// HAProxy's freq_ctr: events in the current period plus the previous period's count weighted by the part of the
/// period not elapsed yet, which reads as a rate over a sliding window. Guarded by its entry's lock.
/// </summary>
internal struct FrequencyCounter
{
    private long _periodStart;
    private long _current;
    private long _previous;

    public void Add(long nowMs, long periodMs, long count)
    {
        Rotate(nowMs, periodMs);
        _current += count;
    }

    public readonly long Read(long nowMs, long periodMs)
    {
        var current = _current;
        var previous = _previous;
        var start = _periodStart;
        var elapsed = nowMs - start;
        if (elapsed >= 2 * periodMs)
        {
            return 0;
        }

        if (elapsed >= periodMs)
        {
            previous = current;
            current = 0;
            elapsed -= periodMs;
        }

        return current + (previous * (periodMs - elapsed) / periodMs);
    }

    private void Rotate(long nowMs, long periodMs)
    {
        var elapsed = nowMs - _periodStart;
        if (elapsed < periodMs)
        {
            return;
        }

        _previous = elapsed < 2 * periodMs ? _current : 0;
        _current = 0;
        _periodStart = nowMs - (elapsed % periodMs);
    }
}

/// <summary>The counters of one key. Updated under its own lock: only requests of the same key contend.</summary>
internal sealed class StickEntry
{
    private readonly Lock _lock = new();
    private FrequencyCounter _connRate;
    private FrequencyCounter _httpReqRate;
    private FrequencyCounter _httpErrRate;

    public StickEntry(StickTable table) => Table = table;

    public StickTable Table { get; }

    public int ConnCur;
    public long ConnCnt;
    public long HttpReqCnt;
    public long HttpErrCnt;
    public long Gpc0;
    public int ServerId;

    /// <summary>When the entry may be purged (`expire` after its last use).</summary>
    public long ExpiresMs;

    public void Touch(long nowMs) => Volatile.Write(ref ExpiresMs, nowMs + Table.Config.ExpireMs);

    /// <summary>Any `track-scN` starting on this entry (HAProxy counts conn_cur, conn_cnt and conn_rate as tracking begins).</summary>
    public void CountConnection(long nowMs)
    {
        var config = Table.Config;
        lock (_lock)
        {
            ConnCnt++;
            ConnCur++;
            if (config.ConnRatePeriodMs > 0)
            {
                _connRate.Add(nowMs, config.ConnRatePeriodMs, 1);
            }
        }
    }

    /// <summary>`http-request track-scN`: the tracking starts (conn_cur, conn_cnt, conn_rate) and counts this request.</summary>
    public void BeginHttpTracking(long nowMs)
    {
        CountConnection(nowMs);
        CountHttpRequest(nowMs);
    }

    public void EndConnection()
    {
        lock (_lock)
        {
            ConnCur--;
        }
    }

    public void CountHttpRequest(long nowMs)
    {
        var config = Table.Config;
        lock (_lock)
        {
            HttpReqCnt++;
            if (config.HttpReqRatePeriodMs > 0)
            {
                _httpReqRate.Add(nowMs, config.HttpReqRatePeriodMs, 1);
            }
        }
    }

    public void CountHttpError(long nowMs)
    {
        var config = Table.Config;
        lock (_lock)
        {
            HttpErrCnt++;
            if (config.HttpErrRatePeriodMs > 0)
            {
                _httpErrRate.Add(nowMs, config.HttpErrRatePeriodMs, 1);
            }
        }
    }

    public long ConnRate(long nowMs)
    {
        lock (_lock)
        {
            return _connRate.Read(nowMs, Table.Config.ConnRatePeriodMs);
        }
    }

    public long HttpReqRate(long nowMs)
    {
        lock (_lock)
        {
            return _httpReqRate.Read(nowMs, Table.Config.HttpReqRatePeriodMs);
        }
    }

    public long HttpErrRate(long nowMs)
    {
        lock (_lock)
        {
            return _httpErrRate.Read(nowMs, Table.Config.HttpErrRatePeriodMs);
        }
    }
}

/// <summary>
/// The stick counters a client connection tracks from `tcp-request connection|session track-scN` (HAProxy's session
/// counters): they live as long as the connection, across its transactions, and are released once.
/// </summary>
internal sealed class StickCounterSet
{
    private int _released;

    public StickEntry?[] Entries { get; } = new StickEntry?[3];

    /// <summary>The connection closed: each entry has one connection less (conn_cur).</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        foreach (var entry in Entries)
        {
            entry?.EndConnection();
        }
    }
}

/// <summary>
/// One `stick-table`: entries by key, at most `size`; an entry unused for `expire` is purged when room is needed
/// (HAProxy purges the oldest; when nothing has expired Sluice does not track the new key, as HAProxy does when
/// it cannot purge). Created with the configuration; a reload starts empty tables (no peers).
/// </summary>
internal sealed class StickTable
{
    private readonly ConcurrentDictionary<UInt128, StickEntry> _entries = new();
    private int _purging;

    public StickTable(StickTableConfig config) => Config = config;

    public StickTableConfig Config { get; }

    public int Count => _entries.Count;

    /// <summary>The key of an address or integer sample, or false when the sample does not fit the table's type.</summary>
    public bool TryMakeKey(Sluice.Rules.Samples.Sample sample, out UInt128 key)
    {
        key = default;
        if (Config.Type == StickKeyType.Integer)
        {
            if (!sample.TryGetInteger(out var value))
            {
                return false;
            }

            key = (UInt128)(ulong)value;
            return true;
        }

        if (!sample.TryGetAddress(out var address) || address is null)
        {
            return false;
        }

        if (Config.Type == StickKeyType.Ip && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            if (!address.IsIPv4MappedToIPv6)
            {
                return false;
            }

            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            return false;
        }

        UInt128 value128 = 0;
        for (var i = 0; i < written; i++)
        {
            value128 = (value128 << 8) | bytes[i];
        }

        key = value128 | ((UInt128)(uint)written << 120);
        return true;
    }

    /// <summary>The entry of <paramref name="key"/> when the table has it (the `src_*` fetches read without creating).</summary>
    public StickEntry? Find(UInt128 key) => _entries.GetValueOrDefault(key);

    /// <summary>The entry of <paramref name="key"/>, created when missing; null when the table is full of live entries.</summary>
    public StickEntry? GetOrCreate(UInt128 key, long nowMs)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            entry.Touch(nowMs);
            return entry;
        }

        if (_entries.Count >= Config.Size)
        {
            Purge(nowMs);
            if (_entries.Count >= Config.Size)
            {
                return null;
            }
        }

        // Allocates: one entry per new key, bounded by `size`.
        entry = _entries.GetOrAdd(key, static (_, table) => new StickEntry(table), this);
        entry.Touch(nowMs);
        return entry;
    }

    private void Purge(long nowMs)
    {
        if (Interlocked.Exchange(ref _purging, 1) != 0)
        {
            return;
        }

        try
        {
            foreach (var (key, entry) in _entries)
            {
                if (Volatile.Read(ref entry.ExpiresMs) <= nowMs && Volatile.Read(ref entry.ConnCur) <= 0)
                {
                    _entries.TryRemove(key, out _);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _purging, 0);
        }
    }
}
