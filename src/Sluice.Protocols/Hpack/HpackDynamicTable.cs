namespace Sluice.Protocols.Hpack;

/// <summary>
/// The dynamic table of RFC 7541 §2.3.2 and §4: a FIFO of fields, newest first, with size accounted as
/// name length + value length + 32 per entry (§4.1). Used by the decoder (to resolve indexes) and by
/// the encoder (to mirror what the peer's decoder holds).
/// </summary>
/// <remarks>
/// Storage is two rings: <c>_entries</c> holds offsets and lengths; <c>_bytes</c> holds each entry's
/// name then value, contiguously, so that a field is always handed out as two plain spans.
/// Invariants: entries live in <c>_entries[_oldest .. _oldest + _count)</c> modulo the array length;
/// their bytes never overlap; <see cref="Size"/> is at most <see cref="MaxSize"/>. The byte ring has
/// room for twice <see cref="MaxSize"/>, which is always enough to place a new entry contiguously
/// (live bytes plus the one gap left at a wrap stay below that); <see cref="Compact"/> is a fallback.
/// Nothing is allocated until the first insertion, so an idle connection holds no table memory.
/// </remarks>
public sealed class HpackDynamicTable
{
    /// <summary>Per-entry overhead of RFC 7541 §4.1.</summary>
    public const int EntryOverhead = 32;

    private Entry[] _entries = [];
    private byte[] _bytes = [];
    private int _oldest;
    private int _count;
    private int _writeOffset;

    /// <summary>Creates a table with the given maximum size in RFC 7541 §4.1 octets.</summary>
    public HpackDynamicTable(int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        MaxSize = maxSize;
    }

    /// <summary>Number of entries.</summary>
    public int Count => _count;

    /// <summary>Current size (sum of name + value + 32 over the entries).</summary>
    public int Size { get; private set; }

    /// <summary>Current maximum size.</summary>
    public int MaxSize { get; private set; }

    /// <summary>Name of entry <paramref name="index"/>, 1 being the newest.</summary>
    public ReadOnlySpan<byte> GetName(int index)
    {
        ref readonly Entry entry = ref GetEntry(index);
        return _bytes.AsSpan(entry.Offset, entry.NameLength);
    }

    /// <summary>Value of entry <paramref name="index"/>, 1 being the newest.</summary>
    public ReadOnlySpan<byte> GetValue(int index)
    {
        ref readonly Entry entry = ref GetEntry(index);
        return _bytes.AsSpan(entry.Offset + entry.NameLength, entry.ValueLength);
    }

    /// <summary>
    /// Changes the maximum size, evicting the oldest entries until the table fits (RFC 7541 §4.3).
    /// </summary>
    public void SetMaxSize(int maxSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSize);
        MaxSize = maxSize;
        EvictUntil(maxSize);
        if (_count == 0)
        {
            // Give the memory back when the table was shrunk to nothing.
            if (maxSize == 0)
            {
                _entries = [];
                _bytes = [];
            }

            _oldest = 0;
            _writeOffset = 0;
        }
    }

    /// <summary>
    /// Adds a field as the newest entry, evicting old ones first (RFC 7541 §4.4). A field larger than
    /// the maximum size empties the table and is not added; that is not an error.
    /// <paramref name="name"/> must not point into this table: the eviction may overwrite it.
    /// </summary>
    public void Insert(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        long entrySize = (long)name.Length + value.Length + EntryOverhead;
        if (entrySize > MaxSize)
        {
            EvictUntil(0);
            _oldest = 0;
            _writeOffset = 0;
            return;
        }

        EvictUntil(MaxSize - (int)entrySize);
        int length = name.Length + value.Length;
        EnsureEntrySlot();
        int offset = FindPlace(length);
        name.CopyTo(_bytes.AsSpan(offset));
        value.CopyTo(_bytes.AsSpan(offset + name.Length));

        int slot = (_oldest + _count) % _entries.Length;
        _entries[slot] = new Entry(offset, name.Length, value.Length);
        _count++;
        _writeOffset = offset + length;
        Size += (int)entrySize;
    }

    /// <summary>
    /// Finds a field. Returns the index of an entry whose name and value match, or 0; in
    /// <paramref name="nameIndex"/> the newest entry whose name matches, or 0.
    /// </summary>
    // Linear in the entry count (about 100 entries for a 4096-octet table with typical fields).
    public int Find(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, out int nameIndex)
    {
        nameIndex = 0;
        for (int index = 1; index <= _count; index++)
        {
            ref readonly Entry entry = ref GetEntry(index);
            if (entry.NameLength != name.Length || !name.SequenceEqual(_bytes.AsSpan(entry.Offset, entry.NameLength)))
            {
                continue;
            }

            if (nameIndex == 0)
            {
                nameIndex = index;
            }

            if (entry.ValueLength == value.Length && value.SequenceEqual(_bytes.AsSpan(entry.Offset + entry.NameLength, entry.ValueLength)))
            {
                return index;
            }
        }

        return 0;
    }

    private ref readonly Entry GetEntry(int index)
    {
        if ((uint)(index - 1) >= (uint)_count)
        {
            ThrowIndexOutOfRange(index);
        }

        int slot = (_oldest + _count - index) % _entries.Length;
        return ref _entries[slot];
    }

    private void EvictUntil(int targetSize)
    {
        while (Size > targetSize && _count > 0)
        {
            ref Entry oldest = ref _entries[_oldest];
            Size -= oldest.NameLength + oldest.ValueLength + EntryOverhead;
            oldest = default;
            _oldest = (_oldest + 1) % _entries.Length;
            _count--;
        }
    }

    private void EnsureEntrySlot()
    {
        if (_count < _entries.Length)
        {
            return;
        }

        // Each entry costs at least 32 octets, so MaxSize / 32 entries can never be exceeded.
        int capacity = Math.Max(_count + 1, Math.Min((MaxSize / EntryOverhead) + 1, Math.Max(16, _entries.Length * 2)));
        var grown = new Entry[capacity];
        for (int i = 0; i < _count; i++)
        {
            grown[i] = _entries[(_oldest + i) % _entries.Length];
        }

        _entries = grown;
        _oldest = 0;
    }

    // Returns where a new entry of `length` bytes goes so that it stays contiguous and overlaps no live entry.
    private int FindPlace(int length)
    {
        if (_bytes.Length < 2 * MaxSize)
        {
            Compact(2 * MaxSize);
        }

        if (_count == 0)
        {
            return 0;
        }

        int oldestOffset = _entries[_oldest].Offset;
        if (_writeOffset > oldestOffset)
        {
            // Live bytes are [oldestOffset, _writeOffset): free space after them, then before them.
            if (length <= _bytes.Length - _writeOffset)
            {
                return _writeOffset;
            }

            if (length <= oldestOffset)
            {
                return 0;
            }
        }
        else if (length <= oldestOffset - _writeOffset)
        {
            // Live bytes wrap (or are all empty): free space is [_writeOffset, oldestOffset).
            return _writeOffset;
        }

        Compact(_bytes.Length + length);
        return _writeOffset;
    }

    // Rewrites all live entries, oldest first, from offset 0 of a buffer of at least `capacity` bytes.
    private void Compact(int capacity)
    {
        var bytes = new byte[Math.Max(capacity, _bytes.Length)];
        int offset = 0;
        for (int i = 0; i < _count; i++)
        {
            ref Entry entry = ref _entries[(_oldest + i) % _entries.Length];
            int length = entry.NameLength + entry.ValueLength;
            _bytes.AsSpan(entry.Offset, length).CopyTo(bytes.AsSpan(offset));
            entry = new Entry(offset, entry.NameLength, entry.ValueLength);
            offset += length;
        }

        _bytes = bytes;
        _writeOffset = offset;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowIndexOutOfRange(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, "No such dynamic table entry.");

    private readonly record struct Entry(int Offset, int NameLength, int ValueLength);
}
