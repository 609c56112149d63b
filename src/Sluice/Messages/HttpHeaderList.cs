using System.Buffers;
using System.Text;

namespace Sluice.Messages;

/// <summary>
/// The header fields of one message, in order, as bytes: names and values live in one growable arena and each
/// field is an offset pair into it. Removing a field only marks it, adding one appends, so edits by rules cost
/// no copy of the others. The arrays come from the shared pool and are kept across the messages of a
/// connection (<see cref="Clear"/>), so a request costs no allocation once the connection is warm; an idle
/// connection gives them back (<see cref="ReleaseBuffers"/>) and takes them again for its next message.
/// </summary>
internal sealed class HttpHeaderList : IDisposable
{
    private const int InitialArenaSize = 1024;
    private const int InitialFieldCount = 16;

    private byte[] _arena;
    private int _arenaUsed;
    private Field[] _fields;
    private int _fieldCount;
    private int _liveCount;

    public HttpHeaderList()
    {
        _arena = [];
        _fields = [];
    }

    /// <summary>Slots in use, removed fields included: iterate with <c>for (i &lt; SlotCount)</c> and skip <see cref="IsRemoved"/>.</summary>
    public int SlotCount => _fieldCount;

    /// <summary>Fields present.</summary>
    public int Count => _liveCount;

    /// <summary>Bytes the names and values take, as a bound for serialisation.</summary>
    public int ByteSize
    {
        get
        {
            var size = 0;
            for (var i = 0; i < _fieldCount; i++)
            {
                ref readonly var f = ref _fields[i];
                if (!f.Removed)
                {
                    size += f.NameLength + f.ValueLength;
                }
            }

            return size;
        }
    }

    public bool IsRemoved(int slot) => _fields[slot].Removed;

    /// <summary>
    /// The array that holds every name, value and stored byte of this list. Rules keep (array, offset) slices of
    /// it while they evaluate; such a slice is valid until the list next changes.
    /// </summary>
    public byte[] Arena => _arena;

    public ReadOnlySpan<byte> Name(int slot)
    {
        ref readonly var f = ref _fields[slot];
        return _arena.AsSpan(f.NameStart, f.NameLength);
    }

    public ReadOnlySpan<byte> Value(int slot)
    {
        ref readonly var f = ref _fields[slot];
        return _arena.AsSpan(f.NameStart + f.NameLength, f.ValueLength);
    }

    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        var start = Append(name, value);
        if (_fieldCount == _fields.Length)
        {
            var bigger = ArrayPool<Field>.Shared.Rent(Math.Max(InitialFieldCount, _fields.Length * 2));
            _fields.AsSpan(0, _fieldCount).CopyTo(bigger);
            if (_fields.Length > 0)
            {
                ArrayPool<Field>.Shared.Return(_fields);
            }

            _fields = bigger;
        }

        _fields[_fieldCount++] = new Field(start, name.Length, value.Length);
        _liveCount++;
    }

    public void Add(string name, string value)
    {
        Span<byte> scratch = stackalloc byte[256];
        var total = Encoding.Latin1.GetByteCount(name) + Encoding.Latin1.GetByteCount(value);
        var bytes = total <= scratch.Length ? scratch[..total] : new byte[total];
        var n = Encoding.Latin1.GetBytes(name, bytes);
        Encoding.Latin1.GetBytes(value, bytes[n..]);
        Add(bytes[..n], bytes[n..]);
    }

    public void Remove(int slot)
    {
        if (!_fields[slot].Removed)
        {
            _fields[slot].Removed = true;
            _liveCount--;
        }
    }

    /// <summary>Removes every field with this name (case-insensitive); returns how many were removed.</summary>
    public int RemoveAll(ReadOnlySpan<byte> name)
    {
        var removed = 0;
        for (var i = 0; i < _fieldCount; i++)
        {
            if (!_fields[i].Removed && Ascii.EqualsIgnoreCase(Name(i), name))
            {
                Remove(i);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>The first slot at or after <paramref name="from"/> holding a field with this name, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> name, int from = 0)
    {
        for (var i = from; i < _fieldCount; i++)
        {
            if (!_fields[i].Removed && Ascii.EqualsIgnoreCase(Name(i), name))
            {
                return i;
            }
        }

        return -1;
    }

    public bool Contains(ReadOnlySpan<byte> name) => IndexOf(name) >= 0;

    /// <summary>Number of fields with this name.</summary>
    public int CountOf(ReadOnlySpan<byte> name)
    {
        var count = 0;
        for (var i = IndexOf(name); i >= 0; i = IndexOf(name, i + 1))
        {
            count++;
        }

        return count;
    }

    /// <summary>True when a field with this name has the token in its comma-separated list (case-insensitive).</summary>
    public bool HasToken(ReadOnlySpan<byte> name, ReadOnlySpan<byte> token)
    {
        for (var i = IndexOf(name); i >= 0; i = IndexOf(name, i + 1))
        {
            if (HeaderTokens.Contains(Value(i), token))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Forgets every field; the arrays stay for the next message.</summary>
    public void Clear()
    {
        _arenaUsed = 0;
        _fieldCount = 0;
        _liveCount = 0;
    }

    /// <summary>Copies every present field of <paramref name="other"/>.</summary>
    public void CopyFrom(HttpHeaderList other)
    {
        Clear();
        for (var i = 0; i < other.SlotCount; i++)
        {
            if (!other.IsRemoved(i))
            {
                Add(other.Name(i), other.Value(i));
            }
        }
    }

    /// <summary>Forgets every field and gives the arrays back to the pool, for a connection that goes idle.</summary>
    public void ReleaseBuffers()
    {
        Clear();
        if (_arena.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_arena);
            _arena = [];
        }

        if (_fields.Length > 0)
        {
            ArrayPool<Field>.Shared.Return(_fields);
            _fields = [];
        }
    }

    public void Dispose() => ReleaseBuffers();

    /// <summary>Stores bytes that are not a header (a method, a target) in the arena; read back with <see cref="Bytes"/>.</summary>
    public ByteRange Store(ReadOnlySpan<byte> bytes)
    {
        var start = Append(bytes, default);
        return new ByteRange(start, bytes.Length);
    }

    public ReadOnlySpan<byte> Bytes(ByteRange range) => _arena.AsSpan(range.Start, range.Length);

    private int Append(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var needed = a.Length + b.Length;
        if (_arenaUsed + needed > _arena.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(InitialArenaSize, Math.Max(_arena.Length * 2, _arenaUsed + needed)));
            _arena.AsSpan(0, _arenaUsed).CopyTo(bigger);
            if (_arena.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_arena);
            }

            _arena = bigger;
        }

        var start = _arenaUsed;
        a.CopyTo(_arena.AsSpan(start));
        b.CopyTo(_arena.AsSpan(start + a.Length));
        _arenaUsed += needed;
        return start;
    }

    private struct Field(int nameStart, int nameLength, int valueLength)
    {
        public readonly int NameStart = nameStart;
        public readonly int NameLength = nameLength;
        public readonly int ValueLength = valueLength;
        public bool Removed;
    }
}

/// <summary>A slice of a <see cref="HttpHeaderList"/>'s arena.</summary>
internal readonly record struct ByteRange(int Start, int Length);
