using System.Collections.Concurrent;
using System.Net;

namespace Sluice.Backends;

/// <summary>The key types of `stick-table type ...` that Sluice implements.</summary>
internal enum StickKeyType
{
    Ip = 0,
    Ipv6 = 1,
    Integer = 2,
    String = 3,
    /// <summary>`binary [len N]`: the sample's bytes cut to N and padded with zeros to N, as HAProxy keys them.</summary>
    Binary = 4,
}

/// <summary>`stick-table type T size N expire E store ...` as parsed; periods in milliseconds, 0 when not stored.</summary>
internal sealed record StickTableConfig(string Name, StickKeyType Type, int Size, long ExpireMs)
{
    /// <summary>`nopurge`: a full table takes no new key until entries expire, rather than dropping its oldest ones.</summary>
    public bool NoPurge { get; init; }

    /// <summary>`type string|binary len N`: the characters or bytes of a key kept (longer ones are cut); HAProxy's default is 32.</summary>
    public int KeyLength { get; init; } = DefaultKeyLength;

    public const int DefaultKeyLength = 32;

    /// <summary>Keys held as text: the characters of a `string` key, or the bytes of a `binary` one as Latin-1 characters.</summary>
    public bool TextKeyed => Type is StickKeyType.String or StickKeyType.Binary;

    public bool StoresConnCur { get; init; }
    public bool StoresConnCnt { get; init; }
    public long ConnRatePeriodMs { get; init; }
    public bool StoresHttpReqCnt { get; init; }
    public long HttpReqRatePeriodMs { get; init; }
    public bool StoresHttpErrCnt { get; init; }
    public long HttpErrRatePeriodMs { get; init; }
    public bool StoresGpc0 { get; init; }
    public long Gpc0RatePeriodMs { get; init; }
    public bool StoresSessCnt { get; init; }
    public long SessRatePeriodMs { get; init; }
    public bool StoresGpc1 { get; init; }
    public long Gpc1RatePeriodMs { get; init; }
    public bool StoresGpt0 { get; init; }
    public bool StoresBytesInCnt { get; init; }
    public long BytesInRatePeriodMs { get; init; }
    public bool StoresBytesOutCnt { get; init; }
    public long BytesOutRatePeriodMs { get; init; }
    public bool StoresHttpFailCnt { get; init; }
    public long HttpFailRatePeriodMs { get; init; }

    /// <summary>`gpc(N)`: the general purpose counters of the array, 0 without it (it replaces `gpc0` and `gpc1`).</summary>
    public int GpcArrayCount { get; init; }

    /// <summary>`gpc_rate(N,P)`: the rates of the array and their period (it replaces `gpc0_rate` and `gpc1_rate`).</summary>
    public int GpcRateArrayCount { get; init; }
    public long GpcRateArrayPeriodMs { get; init; }

    /// <summary>`gpt(N)`: the general purpose tags of the array, 0 without it (it replaces `gpt0`).</summary>
    public int GptArrayCount { get; init; }

    /// <summary>
    /// The table keeps general purpose counter <paramref name="counter"/>: an element of the `gpc` array, or without
    /// it `gpc0` or `gpc1`, which the array actions and fetches (<paramref name="array"/>) do not reach, as in HAProxy.
    /// </summary>
    public bool StoresGpc(int counter, bool array = false) =>
        GpcArrayCount > 0 ? counter >= 0 && counter < GpcArrayCount : !array && (counter == 0 ? StoresGpc0 : counter == 1 && StoresGpc1);

    /// <summary>The period of general purpose counter <paramref name="counter"/>'s rate; 0 when not stored.</summary>
    public long GpcRatePeriodMs(int counter, bool array = false) =>
        GpcRateArrayCount > 0 ? (counter >= 0 && counter < GpcRateArrayCount ? GpcRateArrayPeriodMs : 0)
            : array ? 0 : counter == 0 ? Gpc0RatePeriodMs : counter == 1 ? Gpc1RatePeriodMs : 0;

    /// <summary>The table keeps general purpose tag <paramref name="tag"/>: an element of the `gpt` array, or without it `gpt0`.</summary>
    public bool StoresGpt(int tag, bool array = false) =>
        GptArrayCount > 0 ? tag >= 0 && tag < GptArrayCount : !array && tag == 0 && StoresGpt0;
    public bool StoresServerId { get; init; }
    /// <summary>The server's name beside its id (`server_key`); HAProxy adds both to a table that `stick` rules use.</summary>
    public bool StoresServerKey { get; init; }
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

        // As HAProxy's: the next period follows the last one, but after a silence of two periods or more the
        // period starts with this event, so a new key's first period begins at its first event.
        if (elapsed < 2 * periodMs)
        {
            _previous = _current;
            _periodStart += periodMs;
        }
        else
        {
            _previous = 0;
            _periodStart = nowMs;
        }

        _current = 0;
    }
}

/// <summary>The counters of one key. Updated under its own lock: only requests of the same key contend.</summary>
internal sealed class StickEntry
{
    private readonly Lock _lock = new();
    private FrequencyCounter _connRate;
    private FrequencyCounter _httpReqRate;
    private FrequencyCounter _httpErrRate;
    private FrequencyCounter _gpc0Rate;
    private FrequencyCounter _gpc1Rate;
    private FrequencyCounter _sessRate;
    private FrequencyCounter _bytesInRate;
    private FrequencyCounter _bytesOutRate;
    private FrequencyCounter _httpFailRate;

    /// <summary>The `gpc`, `gpc_rate` and `gpt` arrays, allocated with the entry where the table stores them.</summary>
    private readonly long[]? _gpcs;
    private readonly FrequencyCounter[]? _gpcRates;
    private readonly long[]? _gpts;

    public StickEntry(StickTable table, StickKey key, long id)
    {
        Table = table;
        Key = key;
        Id = id;
        var config = table.Config;
        _gpcs = config.GpcArrayCount > 0 ? new long[config.GpcArrayCount] : null;
        _gpcRates = config.GpcRateArrayCount > 0 ? new FrequencyCounter[config.GpcRateArrayCount] : null;
        _gpts = config.GptArrayCount > 0 ? new long[config.GptArrayCount] : null;
    }

    public StickTable Table { get; }

    public StickKey Key { get; }

    /// <summary>Stands for the entry's address in `show table` (HAProxy prints a pointer): unique in its table.</summary>
    public long Id { get; }

    /// <summary>How many trackers hold the entry (`use=` of `show table`); a held entry is never purged.</summary>
    public int RefCount;

    public int ConnCur;
    public long ConnCnt;
    public long HttpReqCnt;
    public long HttpErrCnt;
    public long HttpFailCnt;

    /// <summary>`bytes_in_cnt`, `bytes_out_cnt`: what the client sent and received, as the log's `%U` and `%B` count them.</summary>
    public long BytesInCnt;
    public long BytesOutCnt;
    public long Gpc0;
    public long Gpc1;

    /// <summary>`sess_cnt`: the sessions (accepted client connections) counted while this entry was tracked by them.</summary>
    public long SessCnt;

    /// <summary>`gpt0`: the general purpose tag `sc-set-gpt0` sets.</summary>
    public long Gpt0;
    public int ServerId;

    /// <summary>`server_key`: the name of the server <see cref="ServerId"/> names; null until a `stick` rule stores one.</summary>
    public string? ServerKey;

    /// <summary>When the entry may be purged (`expire` after its last use).</summary>
    public long ExpiresMs;

    public void Touch(long nowMs) => Volatile.Write(ref ExpiresMs, nowMs + Table.Config.ExpireMs);

    /// <summary>
    /// `sc-inc-gpcN`, `sc-inc-gpc(I,N)` and their fetches: one more on general purpose counter <paramref name="counter"/>
    /// and its rate, where the table stores them (<see cref="StickTableConfig.StoresGpc"/>); the counter's new value.
    /// </summary>
    public long IncrementGpc(int counter, long nowMs, bool array = false)
    {
        var config = Table.Config;
        var period = config.GpcRatePeriodMs(counter, array);
        lock (_lock)
        {
            if (period > 0)
            {
                GpcRate(counter).Add(nowMs, period, 1);
            }

            if (!config.StoresGpc(counter, array))
            {
                return 0;
            }

            return ++GpcValue(counter);
        }
    }

    /// <summary>`sc_clr_gpcN`, `sc_clr_gpc(I,N)`: general purpose counter <paramref name="counter"/> goes back to 0; its value before.</summary>
    public long ClearGpc(int counter)
    {
        lock (_lock)
        {
            ref var value = ref GpcValue(counter);
            var before = value;
            value = 0;
            return before;
        }
    }

    /// <summary>General purpose counter <paramref name="counter"/>, which the table stores.</summary>
    public long ReadGpc(int counter)
    {
        lock (_lock)
        {
            return GpcValue(counter);
        }
    }

    /// <summary>The rate of general purpose counter <paramref name="counter"/>, which the table stores.</summary>
    public long ReadGpcRate(int counter, long nowMs, bool array = false)
    {
        var period = Table.Config.GpcRatePeriodMs(counter, array);
        lock (_lock)
        {
            return GpcRate(counter).Read(nowMs, period);
        }
    }

    /// <summary>`sc-set-gpt0`, `sc-set-gpt(I,N)`: general purpose tag <paramref name="tag"/> takes the value, where the table stores it.</summary>
    public void SetGpt(int tag, long value, bool array = false)
    {
        if (!Table.Config.StoresGpt(tag, array))
        {
            return;
        }

        lock (_lock)
        {
            if (_gpts is { } tags)
            {
                tags[tag] = value;
            }
            else
            {
                Gpt0 = value;
            }
        }
    }

    /// <summary>General purpose tag <paramref name="tag"/>, which the table stores.</summary>
    public long ReadGpt(int tag)
    {
        lock (_lock)
        {
            return _gpts is { } tags ? tags[tag] : Gpt0;
        }
    }

    /// <summary>The array's element, or `gpc0`/`gpc1` without the array. Under the lock.</summary>
    private ref long GpcValue(int counter) => ref _gpcs is { } counters ? ref counters[counter] : ref counter == 0 ? ref Gpc0 : ref Gpc1;

    private ref FrequencyCounter GpcRate(int counter) =>
        ref _gpcRates is { } rates ? ref rates[counter] : ref counter == 0 ? ref _gpc0Rate : ref _gpc1Rate;

    /// <summary>A `stick` rule stores the server that took the request (its lookup refreshed the entry's expiry).</summary>
    public void StickTo(int serverId, string serverName)
    {
        lock (_lock)
        {
            ServerId = serverId;
            ServerKey = serverName;
        }
    }

    /// <summary>Any `track-scN` starting on this entry (HAProxy counts conn_cur, conn_cnt and conn_rate as tracking begins).</summary>
    public void CountConnection(long nowMs)
    {
        var config = Table.Config;
        lock (_lock)
        {
            RefCount++;
            ConnCnt++;
            ConnCur++;
            if (config.ConnRatePeriodMs > 0)
            {
                _connRate.Add(nowMs, config.ConnRatePeriodMs, 1);
            }
        }
    }

    /// <summary>
    /// A client connection that tracks this entry from its `tcp-request connection|session` rules was accepted as a
    /// session (sess_cnt, sess_rate), as HAProxy counts them; trackings by content and http rules count none.
    /// </summary>
    public void CountSession(long nowMs) => Count(ref SessCnt, ref _sessRate, Table.Config.SessRatePeriodMs, nowMs);

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
            RefCount--;
            ConnCur = Math.Max(0, ConnCur - 1);
        }
    }

    public void CountHttpRequest(long nowMs) => Count(ref HttpReqCnt, ref _httpReqRate, Table.Config.HttpReqRatePeriodMs, nowMs);

    public void CountHttpError(long nowMs) => Count(ref HttpErrCnt, ref _httpErrRate, Table.Config.HttpErrRatePeriodMs, nowMs);

    /// <summary>A failure the server caused: a 5xx answer other than 501 and 505, or a 502/504 for its broken or late answer.</summary>
    public void CountHttpFailure(long nowMs) => Count(ref HttpFailCnt, ref _httpFailRate, Table.Config.HttpFailRatePeriodMs, nowMs);

    /// <summary>The bytes a transaction moved, from the client (<paramref name="fromClient"/>) and to it.</summary>
    public void CountBytes(long fromClient, long toClient, long nowMs)
    {
        Count(ref BytesInCnt, ref _bytesInRate, Table.Config.BytesInRatePeriodMs, nowMs, fromClient);
        Count(ref BytesOutCnt, ref _bytesOutRate, Table.Config.BytesOutRatePeriodMs, nowMs, toClient);
    }

    /// <summary><paramref name="amount"/> more on a counter and on its rate, where the table stores the rate (its period is not 0).</summary>
    private void Count(ref long counter, ref FrequencyCounter rate, long periodMs, long nowMs, long amount = 1)
    {
        lock (_lock)
        {
            counter += amount;
            if (periodMs > 0)
            {
                rate.Add(nowMs, periodMs, amount);
            }
        }
    }

    /// <summary>The value of a stored data type, as `show table` prints it and its `data.TYPE` filters compare it.</summary>
    public long Read(StickDataType type, long nowMs)
    {
        lock (_lock)
        {
            return type switch
            {
                StickDataType.ServerId => ServerId,
                StickDataType.Gpc0 => Gpc0,
                StickDataType.Gpc1 => Gpc1,
                StickDataType.SessCnt => SessCnt,
                StickDataType.SessRate => _sessRate.Read(nowMs, Table.Config.SessRatePeriodMs),
                StickDataType.Gpt0 => Gpt0,
                StickDataType.ConnCnt => ConnCnt,
                StickDataType.ConnCur => ConnCur,
                StickDataType.HttpReqCnt => HttpReqCnt,
                StickDataType.HttpErrCnt => HttpErrCnt,
                StickDataType.ConnRate => _connRate.Read(nowMs, Table.Config.ConnRatePeriodMs),
                StickDataType.HttpReqRate => _httpReqRate.Read(nowMs, Table.Config.HttpReqRatePeriodMs),
                StickDataType.HttpErrRate => _httpErrRate.Read(nowMs, Table.Config.HttpErrRatePeriodMs),
                StickDataType.Gpc0Rate => _gpc0Rate.Read(nowMs, Table.Config.Gpc0RatePeriodMs),
                StickDataType.Gpc1Rate => _gpc1Rate.Read(nowMs, Table.Config.Gpc1RatePeriodMs),
                StickDataType.HttpFailCnt => HttpFailCnt,
                StickDataType.HttpFailRate => _httpFailRate.Read(nowMs, Table.Config.HttpFailRatePeriodMs),
                StickDataType.BytesInCnt => BytesInCnt,
                StickDataType.BytesInRate => _bytesInRate.Read(nowMs, Table.Config.BytesInRatePeriodMs),
                StickDataType.BytesOutCnt => BytesOutCnt,
                StickDataType.BytesOutRate => _bytesOutRate.Read(nowMs, Table.Config.BytesOutRatePeriodMs),
                _ => 0,
            };
        }
    }

    /// <summary>`set table ... data.TYPE V`: a counter takes the value; a rate counts V more events, as HAProxy's does.</summary>
    public void Write(StickDataType type, long nowMs, long value)
    {
        var config = Table.Config;
        lock (_lock)
        {
            switch (type)
            {
                case StickDataType.ServerId:
                    ServerId = (int)value;
                    break;
                case StickDataType.Gpc0:
                    Gpc0 = value;
                    break;
                case StickDataType.Gpc1:
                    Gpc1 = value;
                    break;
                case StickDataType.SessCnt:
                    SessCnt = value;
                    break;
                case StickDataType.SessRate:
                    _sessRate.Add(nowMs, config.SessRatePeriodMs, value);
                    break;
                case StickDataType.Gpt0:
                    Gpt0 = value;
                    break;
                case StickDataType.ConnCnt:
                    ConnCnt = value;
                    break;
                case StickDataType.ConnCur:
                    ConnCur = (int)value;
                    break;
                case StickDataType.HttpReqCnt:
                    HttpReqCnt = value;
                    break;
                case StickDataType.HttpErrCnt:
                    HttpErrCnt = value;
                    break;
                case StickDataType.ConnRate:
                    _connRate.Add(nowMs, config.ConnRatePeriodMs, value);
                    break;
                case StickDataType.HttpReqRate:
                    _httpReqRate.Add(nowMs, config.HttpReqRatePeriodMs, value);
                    break;
                case StickDataType.HttpErrRate:
                    _httpErrRate.Add(nowMs, config.HttpErrRatePeriodMs, value);
                    break;
                case StickDataType.Gpc0Rate:
                    _gpc0Rate.Add(nowMs, config.Gpc0RatePeriodMs, value);
                    break;
                case StickDataType.Gpc1Rate:
                    _gpc1Rate.Add(nowMs, config.Gpc1RatePeriodMs, value);
                    break;
                case StickDataType.HttpFailCnt:
                    HttpFailCnt = value;
                    break;
                case StickDataType.HttpFailRate:
                    _httpFailRate.Add(nowMs, config.HttpFailRatePeriodMs, value);
                    break;
                case StickDataType.BytesInCnt:
                    BytesInCnt = value;
                    break;
                case StickDataType.BytesInRate:
                    _bytesInRate.Add(nowMs, config.BytesInRatePeriodMs, value);
                    break;
                case StickDataType.BytesOutCnt:
                    BytesOutCnt = value;
                    break;
                case StickDataType.BytesOutRate:
                    _bytesOutRate.Add(nowMs, config.BytesOutRatePeriodMs, value);
                    break;
            }
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

    /// <summary>The connection passed its connection and session rules: each entry counts a session.</summary>
    public void CountSessions(long nowMs)
    {
        foreach (var entry in Entries)
        {
            entry?.CountSession(nowMs);
        }
    }

    /// <summary>The bytes of a tunnel whose rules tracked nothing more than the connection's entries.</summary>
    public void CountBytes(long fromClient, long toClient, long nowMs)
    {
        foreach (var entry in Entries)
        {
            entry?.CountBytes(fromClient, toClient, nowMs);
        }
    }

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
/// One `stick-table`: entries by key, at most `size`; when room is needed the expired entries go, then (unless
/// `nopurge`) the oldest unused ones, as HAProxy does; when nothing can go, the new key is not tracked. Created with the configuration; at a reload a table declared the same way goes on with the
/// entries of the running one (<see cref="CarryOver"/>), another starts empty (no peers).
/// </summary>
internal sealed class StickTable
{
    /// <summary>Longest text key looked up on the stack; a longer `len` rents its buffer.</summary>
    private const int StackKeyLength = 256;

    private ConcurrentDictionary<StickKey, StickEntry> _entries = new(StickKeyComparer.Instance);
    private int _purging;
    private long _nextId;

    public StickTable(StickTableConfig config) => Config = config;

    /// <summary>At load, for a table that `stick` rules use: it stores `server_id` and `server_key`, as HAProxy adds them.</summary>
    internal void StoreServers() => Config = Config with { StoresServerId = true, StoresServerKey = true };

    /// <summary>
    /// At a reload, before any traffic: when <paramref name="previous"/> was declared the same way (name, type, size,
    /// expiry, stores), both tables share its entries from then on, so counters and rates go on; otherwise this
    /// table starts empty.
    /// </summary>
    internal void CarryOver(StickTable previous)
    {
        if (previous.Config == Config)
        {
            _entries = previous._entries;
            _nextId = Interlocked.Read(ref previous._nextId);
        }
    }

    public StickTableConfig Config { get; private set; }

    public int Count => _entries.Count;

    /// <summary>
    /// The key of a sample: an address or an integer for those types, the sample's text (cut to `len`) for `type
    /// string`; false when the sample does not fit the table's type. Allocates the text of a string key.
    /// </summary>
    public bool TryMakeKey(Sluice.Rules.Samples.Sample sample, out StickKey key)
    {
        key = default;
        if (Config.TextKeyed)
        {
            Span<char> stack = stackalloc char[StackKeyLength];
            using var text = new KeyText(this, sample, stack);
            if (!text.HasText)
            {
                return false;
            }

            key = StickKey.Of(text.Text.ToString());
            return true;
        }

        if (!TryMakeNumber(sample, out var number))
        {
            return false;
        }

        key = StickKey.Of(number);
        return true;
    }

    /// <summary>The entry of a sample's key when the table has it; null otherwise. Allocates nothing.</summary>
    public StickEntry? Find(Sluice.Rules.Samples.Sample sample) => TryFind(sample, out var entry) ? entry : null;

    /// <summary>False when the sample has no key of the table's type; else the key's entry, null when absent.</summary>
    public bool TryFind(Sluice.Rules.Samples.Sample sample, out StickEntry? entry)
    {
        entry = null;
        if (!Config.TextKeyed)
        {
            if (!TryMakeNumber(sample, out var number))
            {
                return false;
            }

            entry = _entries.GetValueOrDefault(StickKey.Of(number));
            return true;
        }

        Span<char> stack = stackalloc char[StackKeyLength];
        using var text = new KeyText(this, sample, stack);
        if (!text.HasText)
        {
            return false;
        }

        _entries.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(text.Text, out entry);
        return true;
    }

    /// <summary>
    /// The entry of a sample's key, created when missing (the only allocation); null when the sample does not fit the
    /// table's type or the table is full of live entries.
    /// </summary>
    public StickEntry? GetOrCreate(Sluice.Rules.Samples.Sample sample, long nowMs)
    {
        if (Find(sample) is { } entry)
        {
            entry.Touch(nowMs);
            return entry;
        }

        return TryMakeKey(sample, out var key) ? GetOrCreate(key, nowMs) : null;
    }

    /// <summary>The text of a string key: the sample as text, cut to `len`, one character per byte (Latin-1); -1 for no text.</summary>
    private int WriteKeyText(Sluice.Rules.Samples.Sample sample, Span<char> text)
    {
        if (Config.Type == StickKeyType.Binary)
        {
            return WriteBinaryKey(sample, text);
        }

        Span<byte> formatted = stackalloc byte[64];
        scoped ReadOnlySpan<byte> bytes;
        if (sample.IsText)
        {
            bytes = sample.Bytes;
        }
        else if (sample.Type != Sluice.Rules.Samples.SampleType.None && sample.TryFormat(formatted, out var written))
        {
            bytes = formatted[..written];
        }
        else
        {
            return -1;
        }

        return System.Text.Encoding.Latin1.GetChars(bytes[..Math.Min(bytes.Length, Math.Min(Config.KeyLength, text.Length))], text);
    }

    /// <summary>
    /// A binary key: the sample's bytes (a text's or binary's own, an integer's 8 bytes big-endian, an address's 4 or
    /// 16), cut to `len` and padded with zeros to `len`, as HAProxy converts samples to its binary keys; -1 for none.
    /// </summary>
    private int WriteBinaryKey(Sluice.Rules.Samples.Sample sample, Span<char> key)
    {
        Span<byte> scratch = stackalloc byte[16];
        scoped ReadOnlySpan<byte> bytes;
        if (sample.IsText || sample.Type == Sluice.Rules.Samples.SampleType.Bin)
        {
            bytes = sample.Bytes;
        }
        else if (sample.Type == Sluice.Rules.Samples.SampleType.Address && sample.TryGetAddress(out var address) && address is not null
            && address.TryWriteBytes(scratch, out var written))
        {
            bytes = scratch[..written];
        }
        else if (sample.Type != Sluice.Rules.Samples.SampleType.None && sample.TryGetInteger(out var number))
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(scratch, number);
            bytes = scratch[..8];
        }
        else
        {
            return -1;
        }

        var length = Config.KeyLength;
        var copied = System.Text.Encoding.Latin1.GetChars(bytes[..Math.Min(bytes.Length, length)], key);
        key[copied..length].Clear();
        return length;
    }

    /// <summary>A string key's text for a lookup: on the caller's stack when `len` fits, else in a rented buffer given back at the end.</summary>
    private readonly ref struct KeyText : IDisposable
    {
        private readonly char[]? _rented;

        public KeyText(StickTable table, Sluice.Rules.Samples.Sample sample, Span<char> stack)
        {
            var buffer = table.Config.KeyLength <= stack.Length ? stack : (_rented = System.Buffers.ArrayPool<char>.Shared.Rent(table.Config.KeyLength));
            var length = table.WriteKeyText(sample, buffer);
            HasText = length >= 0;
            Text = HasText ? buffer[..length] : default;
        }

        public bool HasText { get; }

        public ReadOnlySpan<char> Text { get; }

        public void Dispose()
        {
            if (_rented is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(_rented);
            }
        }
    }

    /// <summary>An address or integer sample as the number key of an `ip`, `ipv6` or `integer` table.</summary>
    private bool TryMakeNumber(Sluice.Rules.Samples.Sample sample, out UInt128 key)
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

        // The table's type fixes the key's length: 4 bytes for `ip`, 16 for `ipv6`, where an IPv4 address is
        // stored as IPv4-mapped, as HAProxy converts it.
        if (Config.Type == StickKeyType.Ip && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            if (!address.IsIPv4MappedToIPv6)
            {
                return false;
            }

            address = address.MapToIPv4();
        }
        else if (Config.Type == StickKeyType.Ipv6 && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address = address.MapToIPv6();
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

        key = value128;
        return true;
    }

    /// <summary>The entry of <paramref name="key"/> when the table has it (the runtime API's `key K`).</summary>
    public StickEntry? Find(StickKey key) => _entries.GetValueOrDefault(key);

    /// <summary>The entry of <paramref name="key"/>, created when missing; null when the table is full of live entries.</summary>
    public StickEntry? GetOrCreate(StickKey key, long nowMs)
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
        entry = _entries.GetOrAdd(key, static (k, table) => new StickEntry(table, k, Interlocked.Increment(ref table._nextId)), this);
        entry.Touch(nowMs);
        return entry;
    }

    /// <summary>The entries in no particular order (a snapshot that later changes may or may not show).</summary>
    public IEnumerable<StickEntry> Entries => _entries.Values;

    /// <summary>Removes the entry unless a tracker holds it (`clear table`); true when removed.</summary>
    public bool TryRemove(StickEntry entry) =>
        Volatile.Read(ref entry.RefCount) <= 0 && _entries.TryRemove(new KeyValuePair<StickKey, StickEntry>(entry.Key, entry));

    /// <summary>HAProxy's text of a key: the address, the integer, or the text.</summary>
    public string FormatKey(StickKey key)
    {
        if (key.Text is { } text)
        {
            return Config.Type == StickKeyType.Binary ? Convert.ToHexStringLower(System.Text.Encoding.Latin1.GetBytes(text)) : text;
        }

        var number = key.Number;
        if (Config.Type == StickKeyType.Integer)
        {
            return ((long)(ulong)number).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var length = Config.Type == StickKeyType.Ip ? 4 : 16;
        Span<byte> bytes = stackalloc byte[16];
        for (var i = length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)number;
            number >>= 8;
        }

        return new IPAddress(bytes[..length]).ToString();
    }

    /// <summary>The key of a key's text (`show table T key K`); false when the text is not of the table's type.</summary>
    public bool TryParseKey(string text, out StickKey key)
    {
        key = default;
        switch (Config.Type)
        {
            case StickKeyType.String:
                return TryMakeKey(Sluice.Rules.Samples.Sample.FromString(System.Text.Encoding.Latin1.GetBytes(text)), out key);
            case StickKeyType.Binary:
                // HAProxy 2.6 names no key of a binary table on its command line.
                return false;
            case StickKeyType.Integer:
                return long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)
                    && TryMakeKey(Sluice.Rules.Samples.Sample.FromInt(value), out key);
            default:
                return IPAddress.TryParse(text, out var address)
                    && address.AddressFamily == (Config.Type == StickKeyType.Ip ? System.Net.Sockets.AddressFamily.InterNetwork : System.Net.Sockets.AddressFamily.InterNetworkV6)
                    && TryMakeKey(Sluice.Rules.Samples.Sample.FromAddress(address), out key);
        }
    }

    /// <summary>
    /// A table still full of live entries makes room as HAProxy's stktable_trash_oldest does: the size/256 + 1
    /// unused entries nearest their expiry (the least recently used) go. Allocates a small heap, only when full.
    /// </summary>
    private void PurgeOldest()
    {
        var batch = (Config.Size >> 8) + 1;
        var oldest = new PriorityQueue<StickEntry, long>(batch, Comparer<long>.Create(static (a, b) => b.CompareTo(a)));
        foreach (var entry in _entries.Values)
        {
            if (Volatile.Read(ref entry.RefCount) > 0)
            {
                continue;
            }

            var expires = Volatile.Read(ref entry.ExpiresMs);
            if (oldest.Count < batch)
            {
                oldest.Enqueue(entry, expires);
            }
            else if (oldest.TryPeek(out _, out var latest) && expires < latest)
            {
                oldest.EnqueueDequeue(entry, expires);
            }
        }

        while (oldest.TryDequeue(out var entry, out _))
        {
            TryRemove(entry);
        }
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
                if (Volatile.Read(ref entry.ExpiresMs) <= nowMs && Volatile.Read(ref entry.RefCount) <= 0)
                {
                    _entries.TryRemove(key, out _);
                }
            }

            if (_entries.Count >= Config.Size && !Config.NoPurge)
            {
                PurgeOldest();
            }
        }
        finally
        {
            Volatile.Write(ref _purging, 0);
        }
    }
}
