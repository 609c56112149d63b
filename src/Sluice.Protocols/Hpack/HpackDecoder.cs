using System.Buffers;
using System.Runtime.CompilerServices;

namespace Sluice.Protocols.Hpack;

/// <summary>
/// RFC 7541 header block decoder for one HTTP/2 connection direction, written as a resumable state
/// machine: a block may arrive in any number of pieces (HEADERS then CONTINUATION payloads, and each
/// payload split across buffer segments), and decoding resumes exactly where the previous piece stopped.
/// </summary>
/// <remarks>
/// Contract of <see cref="Decode{THandler}(ReadOnlySpan{byte}, bool, ref THandler)"/>: every byte of the
/// piece is consumed; fields are handed to the handler as soon as they are complete; nothing of the
/// input is referenced after the call returns (a name that sits in the input while its value has not
/// arrived yet is copied to a decoder buffer at the end of the call). With <c>endOfBlock</c> the block
/// must end on a field boundary.
/// <para>
/// Memory: string buffers are rented from <see cref="ArrayPool{T}.Shared"/> on demand and returned at
/// the end of each block, so an idle connection holds none; their size is bounded by
/// max(header list limit, table size limit). The dynamic table allocates on first insertion.
/// </para>
/// Owned by the connection's read loop; not thread-safe.
/// </remarks>
public sealed class HpackDecoder : IDisposable
{
    // Field representation, first byte (RFC 7541 §6):
    //
    //   0   1   2   3   4   5   6   7
    // +---+---+---+---+---+---+---+---+
    // | 1 |        Index (7+)         |  §6.1   indexed field
    // +---+---+-----------------------+
    // | 0 | 1 |      Index (6+)       |  §6.2.1 literal with incremental indexing (index 0: new name)
    // +---+---+---+-------------------+
    // | 0 | 0 | 1 |   Max size (5+)   |  §6.3   dynamic table size update
    // +---+---+---+---+---------------+
    // | 0 | 0 | 0 | 1 |  Index (4+)   |  §6.2.3 literal never indexed
    // +---+---+---+---+---------------+
    // | 0 | 0 | 0 | 0 |  Index (4+)   |  §6.2.2 literal without indexing
    // +---+---+---+---+---------------+
    //
    // String literal (§5.2): | H | Length (7+) | then Length octets, Huffman-coded when H is set.
    private const byte IndexedMask = 0x80;
    private const byte IncrementalMask = 0x40;
    private const byte SizeUpdateMask = 0x20;
    private const byte NeverIndexedMask = 0x10;
    private const byte HuffmanMask = 0x80;
    private const int IndexedPrefix = 7;
    private const int IncrementalPrefix = 6;
    private const int SizeUpdatePrefix = 5;
    private const int LiteralPrefix = 4;
    private const int StringLengthPrefix = 7;

    private readonly HpackDynamicTable _table;
    private readonly int _maxHeaderListSize;
    private int _tableSizeLimit;
    private int _maxStringLength;

    // Decoding position within the current field.
    private State _state;
    private HpackIntegerDecoder _integer;
    private HpackFieldFlags _fieldFlags;
    private int _nameIndex;
    private bool _huffman;
    private int _stringLength;
    private int _stringRead;
    private int _huffmanState;

    // The name of the current literal field: in _nameBuffer[0.._nameLength), or, during one Decode call
    // only, in the input at _nameInputOffset (>= 0). _nameIndex > 0 means it comes from a table instead.
    private byte[]? _nameBuffer;
    private int _nameLength;
    private int _nameInputOffset = -1;
    private byte[]? _valueBuffer;
    private int _valueLength;

    // The last Huffman-coded literal values under a static name, each with its decoded form, one per slot of the
    // name's index: servers send Date, Server or Content-Type this way in block after block.
    private HpackLiteralMemo?[]? _repeated;

    private const int RepeatedSlots = 8;
    private const int RepeatedMinLength = 3;
    private const int RepeatedMaxLength = 64;

    // Per-block state.
    private bool _fieldSeen;
    private bool _sizeUpdateRequired;
    private long _headerListSize;
    private bool _headerListExceeded;
    private HpackDecodeStatus _failure;

    /// <summary>Creates a decoder.</summary>
    /// <param name="headerTableSizeLimit">
    /// The SETTINGS_HEADER_TABLE_SIZE the peer may use: 4096 (the protocol's initial value) until a
    /// different value we sent is acknowledged; see <see cref="SetHeaderTableSizeLimit"/>.
    /// </param>
    /// <param name="maxHeaderListSize">Limit of the decoded list per block, counted as RFC 9113 §6.5.2 does.</param>
    public HpackDecoder(int headerTableSizeLimit = 4096, int maxHeaderListSize = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(headerTableSizeLimit);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderListSize);
        _table = new HpackDynamicTable(headerTableSizeLimit);
        _tableSizeLimit = headerTableSizeLimit;
        _maxHeaderListSize = maxHeaderListSize;
        _maxStringLength = Math.Max(maxHeaderListSize, headerTableSizeLimit);
    }

    private enum State : byte
    {
        Ready = 0,
        IndexedIndex,
        LiteralNameIndex,
        SizeUpdate,
        NameLengthFirst,
        NameLength,
        Name,
        ValueLengthFirst,
        ValueLength,
        Value,
    }

    /// <summary>The dynamic table (read-only use: tests and diagnostics).</summary>
    internal HpackDynamicTable DynamicTable => _table;

    /// <summary>True once the current block has exceeded the header list size; the handler gets no more fields.</summary>
    public bool HeaderListSizeExceeded => _headerListExceeded;

    /// <summary>
    /// Applies a new SETTINGS_HEADER_TABLE_SIZE once the peer has acknowledged it (RFC 9113 §6.5.3).
    /// When it is below the table's current size, the next block must start with a size update
    /// (RFC 7541 §4.2).
    /// </summary>
    public void SetHeaderTableSizeLimit(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _tableSizeLimit = limit;
        _maxStringLength = Math.Max(_maxHeaderListSize, limit);
        if (limit < _table.MaxSize)
        {
            _sizeUpdateRequired = true;
        }
    }

    /// <summary>Decodes a piece held in a sequence; see the type's remarks for the contract.</summary>
    public HpackDecodeStatus Decode<THandler>(in ReadOnlySequence<byte> data, bool endOfBlock, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        if (data.IsSingleSegment)
        {
            return Decode(data.FirstSpan, endOfBlock, ref handler);
        }

        foreach (ReadOnlyMemory<byte> segment in data)
        {
            HpackDecodeStatus status = Decode(segment.Span, endOfBlock: false, ref handler);
            if (status != HpackDecodeStatus.Ok)
            {
                return status;
            }
        }

        return endOfBlock ? EndBlock() : HpackDecodeStatus.Ok;
    }

    /// <summary>
    /// Decodes one piece of a header block. Returns <see cref="HpackDecodeStatus.Ok"/> or, when
    /// <paramref name="endOfBlock"/> is set, possibly <see cref="HpackDecodeStatus.HeaderListTooLarge"/>;
    /// any other value is a COMPRESSION_ERROR and is returned again by every later call.
    /// </summary>
    public HpackDecodeStatus Decode<THandler>(ReadOnlySpan<byte> data, bool endOfBlock, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        if (_failure != HpackDecodeStatus.Ok)
        {
            return _failure;
        }

        HpackDecodeStatus status = DecodeCore(data, ref handler);
        if (status != HpackDecodeStatus.Ok)
        {
            return Fail(status);
        }

        return endOfBlock ? EndBlock() : HpackDecodeStatus.Ok;
    }

    /// <summary>Returns the rented buffers.</summary>
    public void Dispose()
    {
        ReturnBuffers();
        _failure = HpackDecodeStatus.IncompleteHeaderBlock;
    }

    private HpackDecodeStatus DecodeCore<THandler>(ReadOnlySpan<byte> data, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        int i = 0;
        HpackDecodeStatus status = HpackDecodeStatus.Ok;
        while (i < data.Length && status == HpackDecodeStatus.Ok)
        {
            switch (_state)
            {
                case State.Ready:
                    status = StartRepresentation(data[i++], ref handler);
                    break;

                case State.IndexedIndex:
                case State.LiteralNameIndex:
                case State.SizeUpdate:
                case State.NameLength:
                case State.ValueLength:
                    status = ContinueInteger(data, data[i++], ref handler);
                    break;

                case State.NameLengthFirst:
                case State.ValueLengthFirst:
                    status = StartStringLength(data, data[i++], ref handler);
                    break;

                case State.Name:
                    status = ReadName(data, ref i);
                    break;

                case State.Value:
                    status = ReadValue(data, ref i, ref handler);
                    break;
            }
        }

        if (status == HpackDecodeStatus.Ok && _nameInputOffset >= 0)
        {
            // The input is about to go away while the value is still to come: keep the name.
            ReadOnlySpan<byte> name = data.Slice(_nameInputOffset, _nameLength);
            EnsureBuffer(ref _nameBuffer, name.Length);
            name.CopyTo(_nameBuffer);
            _nameInputOffset = -1;
        }

        return status;
    }

    private HpackDecodeStatus StartRepresentation<THandler>(byte first, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        HpackIntegerStatus integer;
        int value;
        if ((first & (IndexedMask | IncrementalMask | SizeUpdateMask)) == SizeUpdateMask)
        {
            // RFC 7541 §4.2: "This dynamic table size update MUST occur at the beginning of the first
            // header block following the change to the dynamic table size."
            if (_fieldSeen)
            {
                return HpackDecodeStatus.TableSizeUpdateNotAtStart;
            }

            integer = _integer.BeginDecode(first, SizeUpdatePrefix, out value);
            _state = State.SizeUpdate;
            return integer == HpackIntegerStatus.Done ? ApplySizeUpdate(value) : HpackDecodeStatus.Ok;
        }

        if (!_fieldSeen)
        {
            if (_sizeUpdateRequired)
            {
                return HpackDecodeStatus.TableSizeUpdateMissing;
            }

            _fieldSeen = true;
        }

        if ((first & IndexedMask) != 0)
        {
            integer = _integer.BeginDecode(first, IndexedPrefix, out value);
            _state = State.IndexedIndex;
            return integer == HpackIntegerStatus.Done ? EmitIndexed(value, ref handler) : HpackDecodeStatus.Ok;
        }

        int prefix;
        if ((first & IncrementalMask) != 0)
        {
            _fieldFlags = HpackFieldFlags.IncrementalIndexing;
            prefix = IncrementalPrefix;
        }
        else
        {
            _fieldFlags = (first & NeverIndexedMask) != 0 ? HpackFieldFlags.NeverIndexed : HpackFieldFlags.None;
            prefix = LiteralPrefix;
        }

        integer = _integer.BeginDecode(first, prefix, out value);
        _state = State.LiteralNameIndex;
        return integer == HpackIntegerStatus.Done ? StartLiteral(value) : HpackDecodeStatus.Ok;
    }

    private HpackDecodeStatus ContinueInteger<THandler>(ReadOnlySpan<byte> input, byte next, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        HpackIntegerStatus integer = _integer.Decode(next, out int value);
        if (integer == HpackIntegerStatus.NeedMore)
        {
            return HpackDecodeStatus.Ok;
        }

        if (integer == HpackIntegerStatus.Overflow)
        {
            return HpackDecodeStatus.IntegerOverflow;
        }

        return _state switch
        {
            State.IndexedIndex => EmitIndexed(value, ref handler),
            State.LiteralNameIndex => StartLiteral(value),
            State.SizeUpdate => ApplySizeUpdate(value),
            State.NameLength => StartString(value, State.Name),
            _ => StartValue(value, input, ref handler),
        };
    }

    private HpackDecodeStatus StartStringLength<THandler>(ReadOnlySpan<byte> input, byte first, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        _huffman = (first & HuffmanMask) != 0;
        bool isName = _state == State.NameLengthFirst;
        _state = isName ? State.NameLength : State.ValueLength;
        if (_integer.BeginDecode(first, StringLengthPrefix, out int length) != HpackIntegerStatus.Done)
        {
            return HpackDecodeStatus.Ok;
        }

        return isName ? StartString(length, State.Name) : StartValue(length, input, ref handler);
    }

    private HpackDecodeStatus ApplySizeUpdate(int size)
    {
        // RFC 7541 §6.3: "The new maximum size MUST be lower than or equal to the limit [...]. A value
        // that exceeds this limit MUST be treated as a decoding error."
        if (size > _tableSizeLimit)
        {
            return HpackDecodeStatus.TableSizeUpdateTooLarge;
        }

        _table.SetMaxSize(size);
        _sizeUpdateRequired = false;
        _state = State.Ready;
        return HpackDecodeStatus.Ok;
    }

    private HpackDecodeStatus StartLiteral(int nameIndex)
    {
        if (nameIndex == 0)
        {
            _nameIndex = 0;
            _state = State.NameLengthFirst;
            return HpackDecodeStatus.Ok;
        }

        if (nameIndex > HpackStaticTable.Count + _table.Count)
        {
            return HpackDecodeStatus.IndexOutOfRange;
        }

        _nameIndex = nameIndex;
        _state = State.ValueLengthFirst;
        return HpackDecodeStatus.Ok;
    }

    private HpackDecodeStatus StartString(int length, State next)
    {
        if (length > _maxStringLength)
        {
            return HpackDecodeStatus.StringTooLong;
        }

        _stringLength = length;
        _stringRead = 0;
        _huffmanState = HpackHuffman.InitialState;
        _state = next;
        if (length == 0)
        {
            // Nothing to read: complete the string now; an empty Huffman string is valid too.
            if (next == State.Name)
            {
                _nameLength = 0;
                _state = State.ValueLengthFirst;
            }
        }

        return HpackDecodeStatus.Ok;
    }

    private HpackDecodeStatus StartValue<THandler>(int length, ReadOnlySpan<byte> input, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        HpackDecodeStatus status = StartString(length, State.Value);
        if (status != HpackDecodeStatus.Ok || length != 0)
        {
            return status;
        }

        _valueLength = 0;
        return EmitLiteral(default, input, ref handler);
    }

    private HpackDecodeStatus ReadName(ReadOnlySpan<byte> data, ref int i)
    {
        int available = data.Length - i;
        if (!_huffman && _stringRead == 0 && available >= _stringLength)
        {
            // Fast path: the whole raw name is in this piece; point at it.
            _nameInputOffset = i;
            _nameLength = _stringLength;
            i += _stringLength;
            _state = State.ValueLengthFirst;
            return HpackDecodeStatus.Ok;
        }

        HpackDecodeStatus status = ReadStringPiece(data, ref i, ref _nameBuffer, ref _nameLength, out bool complete);
        if (status == HpackDecodeStatus.Ok && complete)
        {
            _state = State.ValueLengthFirst;
        }

        return status;
    }

    private HpackDecodeStatus ReadValue<THandler>(ReadOnlySpan<byte> data, ref int i, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        int available = data.Length - i;
        if (!_huffman && _stringRead == 0 && available >= _stringLength)
        {
            ReadOnlySpan<byte> raw = data.Slice(i, _stringLength);
            i += _stringLength;
            return EmitLiteral(raw, data, ref handler);
        }

        bool memorable = _huffman && _stringRead == 0 && available >= _stringLength
            && _nameIndex is > 0 and <= HpackStaticTable.Count && _stringLength is >= RepeatedMinLength and <= RepeatedMaxLength;
        ReadOnlySpan<byte> encoded = memorable ? data.Slice(i, _stringLength) : default;
        if (memorable && _repeated?[_nameIndex % RepeatedSlots] is { } last && last.Matches(_nameIndex, encoded)
            && last.Result.Length <= _maxStringLength)
        {
            i += _stringLength;
            return EmitLiteral(last.Result, data, ref handler);
        }

        HpackDecodeStatus status = ReadStringPiece(data, ref i, ref _valueBuffer, ref _valueLength, out bool complete);
        if (status != HpackDecodeStatus.Ok || !complete)
        {
            return status;
        }

        ReadOnlySpan<byte> value = _valueBuffer.AsSpan(0, _valueLength);
        if (memorable)
        {
            HpackLiteralMemo.For(ref _repeated, RepeatedSlots, _nameIndex, RepeatedMaxLength, HpackHuffman.GetMaxDecodedLength(RepeatedMaxLength))
                .Remember(_nameIndex, encoded, value);
        }

        return EmitLiteral(value, data, ref handler);
    }

    // Consumes what the piece holds of the current string into `buffer`; `length` counts decoded bytes.
    private HpackDecodeStatus ReadStringPiece(ReadOnlySpan<byte> data, ref int i, ref byte[]? buffer, ref int length, out bool complete)
    {
        if (_stringRead == 0)
        {
            length = 0;
            EnsureBuffer(ref buffer, _huffman ? HpackHuffman.GetMaxDecodedLength(_stringLength) : _stringLength);
        }

        int take = Math.Min(data.Length - i, _stringLength - _stringRead);
        ReadOnlySpan<byte> piece = data.Slice(i, take);
        i += take;
        _stringRead += take;
        if (_huffman)
        {
            int written = HpackHuffman.Decode(piece, ref _huffmanState, buffer.AsSpan(length));
            if (written < 0)
            {
                complete = false;
                return HpackDecodeStatus.HuffmanEos;
            }

            length += written;
        }
        else
        {
            piece.CopyTo(buffer.AsSpan(length));
            length += take;
        }

        complete = _stringRead == _stringLength;
        if (complete && _huffman)
        {
            if (!HpackHuffman.IsValidEnd(_huffmanState))
            {
                return HpackDecodeStatus.HuffmanInvalidPadding;
            }

            if (length > _maxStringLength)
            {
                return HpackDecodeStatus.StringTooLong;
            }
        }

        return HpackDecodeStatus.Ok;
    }

    private HpackDecodeStatus EmitIndexed<THandler>(int index, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        // RFC 7541 §6.1: "The index value of 0 is not used. It MUST be treated as a decoding error if
        // found in an indexed header field representation."
        if (index == 0)
        {
            return HpackDecodeStatus.IndexZero;
        }

        _state = State.Ready;
        if (index <= HpackStaticTable.Count)
        {
            Deliver(HpackStaticTable.GetName(index), HpackStaticTable.GetValue(index), HpackFieldFlags.Indexed, ref handler);
            return HpackDecodeStatus.Ok;
        }

        // RFC 7541 §2.3.3: "Indices strictly greater than the sum of the lengths of both tables MUST be
        // treated as a decoding error."
        int dynamicIndex = index - HpackStaticTable.Count;
        if (dynamicIndex > _table.Count)
        {
            return HpackDecodeStatus.IndexOutOfRange;
        }

        Deliver(_table.GetName(dynamicIndex), _table.GetValue(dynamicIndex), HpackFieldFlags.Indexed, ref handler);
        return HpackDecodeStatus.Ok;
    }

    private HpackDecodeStatus EmitLiteral<THandler>(ReadOnlySpan<byte> value, ReadOnlySpan<byte> input, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        _state = State.Ready;
        ReadOnlySpan<byte> name;
        if (_nameIndex == 0)
        {
            name = _nameInputOffset >= 0 ? input.Slice(_nameInputOffset, _nameLength) : _nameBuffer.AsSpan(0, _nameLength);
            _nameInputOffset = -1;
        }
        else if (_nameIndex <= HpackStaticTable.Count)
        {
            name = HpackStaticTable.GetName(_nameIndex);
        }
        else
        {
            name = _table.GetName(_nameIndex - HpackStaticTable.Count);
        }

        Deliver(name, value, _fieldFlags, ref handler);

        if (_fieldFlags == HpackFieldFlags.IncrementalIndexing)
        {
            if (_nameIndex > HpackStaticTable.Count)
            {
                // RFC 7541 §4.4: the referenced entry may be evicted by this very insertion; copy its name first.
                EnsureBuffer(ref _nameBuffer, name.Length);
                name.CopyTo(_nameBuffer);
                name = _nameBuffer.AsSpan(0, name.Length);
            }

            _table.Insert(name, value);
        }

        return HpackDecodeStatus.Ok;
    }

    private void Deliver<THandler>(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HpackFieldFlags flags, ref THandler handler)
        where THandler : IHpackHeaderHandler, allows ref struct
    {
        if (_headerListExceeded)
        {
            return;
        }

        // RFC 9113 §6.5.2: "The value is based on the uncompressed size of field lines, including the
        // length of the name and value in octets plus an overhead of 32 octets for each field line."
        _headerListSize += name.Length + value.Length + HpackDynamicTable.EntryOverhead;
        if (_headerListSize > _maxHeaderListSize)
        {
            _headerListExceeded = true;
            return;
        }

        handler.OnHeader(name, value, flags);
    }

    private HpackDecodeStatus EndBlock()
    {
        if (_state != State.Ready)
        {
            return Fail(HpackDecodeStatus.IncompleteHeaderBlock);
        }

        bool exceeded = _headerListExceeded;
        _fieldSeen = false;
        _headerListSize = 0;
        _headerListExceeded = false;
        ReturnBuffers();
        return exceeded ? HpackDecodeStatus.HeaderListTooLarge : HpackDecodeStatus.Ok;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private HpackDecodeStatus Fail(HpackDecodeStatus status)
    {
        _failure = status;
        ReturnBuffers();
        return status;
    }

    private static void EnsureBuffer(ref byte[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            Grow(ref buffer, length);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Grow(ref byte[]? buffer, int length)
    {
        byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(length, 256));
        if (buffer is not null)
        {
            // Only called between strings of the same role, so nothing in the old buffer is still needed.
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = grown;
    }

    private void ReturnBuffers()
    {
        if (_nameBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_nameBuffer);
            _nameBuffer = null;
        }

        if (_valueBuffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_valueBuffer);
            _valueBuffer = null;
        }
    }
}
