namespace Sluice.Protocols.Hpack;

/// <summary>
/// RFC 7541 header block encoder for one HTTP/2 connection direction. Every method follows the Try
/// pattern: it returns false when <c>destination</c> is too small, and then changes no state, so the
/// caller can grow its buffer (or start a CONTINUATION frame) and call again with the same field.
/// </summary>
/// <remarks>
/// A block is <see cref="TryBeginBlock"/> (pending dynamic table size updates) followed by one
/// <see cref="TryEncode(ReadOnlySpan{byte}, ReadOnlySpan{byte}, HpackIndexing, Span{byte}, out int)"/>
/// per field. The encoder mirrors the peer decoder's dynamic table, so blocks must reach the peer in the
/// order they were encoded. Owned by the connection's writer; not thread-safe.
/// </remarks>
public sealed class HpackEncoder
{
    private const byte IndexedFlag = 0x80;
    private const byte IncrementalFlag = 0x40;
    private const byte SizeUpdateFlag = 0x20;
    private const byte NeverIndexedFlag = 0x10;
    private const byte WithoutIndexingFlag = 0x00;
    private const byte HuffmanFlag = 0x80;

    private const int ContentLengthIndex = 28;

    private static ReadOnlySpan<byte> ContentLengthName => "content-length"u8;

    private readonly HpackDynamicTable _table;
    private readonly HpackEncoderPolicy _policy;

    // The policy sends `content-length` as a literal without indexing whatever its value (its lists say so).
    private readonly bool _contentLengthNotIndexed;

    // A size update is owed to the peer: the smallest size the table went through since the last block,
    // then the current size (RFC 7541 §4.2: "the smallest maximum table size that occurs in that
    // interval MUST be signaled in a dynamic table size update. The final maximum size is always signaled").
    private bool _sizeUpdatePending;
    private int _sizeUpdateMin;

    // The last long literals sent without indexing under a static name, each with its encoded form, one per slot of
    // the name's index: a Date field repeats for a whole second, and its Huffman form need not be made again.
    private HpackLiteralMemo?[]? _repeated;

    private const int RepeatedSlots = 4;

    // Shorter values cost little to encode again; longer ones are rarely repeated.
    private const int RepeatedMinLength = 16;
    private const int RepeatedMaxLength = 64;

    /// <summary>Creates an encoder.</summary>
    /// <param name="policy">Indexing policy; <see cref="HpackEncoderPolicy.Default"/> when null.</param>
    /// <param name="initialHeaderTableSize">
    /// The table size the peer's decoder starts with: 4096, the initial SETTINGS_HEADER_TABLE_SIZE,
    /// unless both sides have agreed otherwise. When the policy allows less, the first block announces it.
    /// </param>
    public HpackEncoder(HpackEncoderPolicy? policy = null, int initialHeaderTableSize = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(initialHeaderTableSize);
        _policy = policy ?? HpackEncoderPolicy.Default;
        _contentLengthNotIndexed = _policy.Choose(ContentLengthName, default, int.MaxValue) == HpackIndexing.WithoutIndexing;
        int size = Math.Min(initialHeaderTableSize, _policy.MaxTableSize);
        _table = new HpackDynamicTable(size);
        if (size != initialHeaderTableSize)
        {
            _sizeUpdatePending = true;
            _sizeUpdateMin = size;
        }
    }

    /// <summary>The mirrored dynamic table (read-only use: tests and diagnostics).</summary>
    internal HpackDynamicTable DynamicTable => _table;

    /// <summary>
    /// Applies the peer's SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2). The table shrinks at once;
    /// the next <see cref="TryBeginBlock"/> tells the peer.
    /// </summary>
    public void SetPeerHeaderTableSize(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        int newMax = Math.Min(size, _policy.MaxTableSize);
        if (newMax == _table.MaxSize && !_sizeUpdatePending)
        {
            return;
        }

        _sizeUpdateMin = _sizeUpdatePending ? Math.Min(_sizeUpdateMin, newMax) : newMax;
        _sizeUpdatePending = true;
        _table.SetMaxSize(newMax);
    }

    /// <summary>Starts a header block: writes the size updates owed to the peer, if any.</summary>
    public bool TryBeginBlock(Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!_sizeUpdatePending)
        {
            return true;
        }

        int written = 0;
        if (_sizeUpdateMin < _table.MaxSize)
        {
            if (!TryEncodeSizeUpdate(_sizeUpdateMin, destination, out written))
            {
                return false;
            }
        }

        if (!TryEncodeSizeUpdate(_table.MaxSize, destination[written..], out int final))
        {
            return false;
        }

        _sizeUpdatePending = false;
        bytesWritten = written + final;
        return true;
    }

    /// <summary>Encodes one field, letting the policy choose its representation.</summary>
    public bool TryEncode(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, Span<byte> destination, out int bytesWritten) =>
        TryEncode(name, value, HpackIndexing.Default, destination, out bytesWritten);

    /// <summary>
    /// Encodes one field. A field found whole in the static or dynamic table becomes an index
    /// (except <see cref="HpackIndexing.NeverIndexed"/>); otherwise a literal that reuses a table name
    /// when there is one.
    /// </summary>
    public bool TryEncode(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HpackIndexing indexing, Span<byte> destination, out int bytesWritten)
    {
        if (indexing == HpackIndexing.Default)
        {
            indexing = _policy.Choose(name, value, _table.MaxSize);
        }

        int nameIndex = 0;
        int staticMatch = HpackStaticTable.Find(name, value, out int staticName);
        if (indexing != HpackIndexing.NeverIndexed)
        {
            if (staticMatch != 0)
            {
                return TryEncodeIndexed(staticMatch, destination, out bytesWritten);
            }

            int dynamicMatch = _table.Find(name, value, out int dynamicName);
            if (dynamicMatch != 0)
            {
                return TryEncodeIndexed(HpackStaticTable.Count + dynamicMatch, destination, out bytesWritten);
            }

            if (staticName == 0 && dynamicName != 0)
            {
                nameIndex = HpackStaticTable.Count + dynamicName;
            }
        }

        if (staticName != 0)
        {
            nameIndex = staticName;
        }

        byte flags;
        int prefix;
        switch (indexing)
        {
            case HpackIndexing.Incremental:
                flags = IncrementalFlag;
                prefix = 6;
                break;
            case HpackIndexing.NeverIndexed:
                flags = NeverIndexedFlag;
                prefix = 4;
                break;
            default:
                flags = WithoutIndexingFlag;
                prefix = 4;
                break;
        }

        bool memorable = indexing == HpackIndexing.WithoutIndexing && nameIndex is > 0 and <= HpackStaticTable.Count
            && value.Length is >= RepeatedMinLength and <= RepeatedMaxLength;
        if (memorable && _repeated?[nameIndex % RepeatedSlots] is { } last && last.Matches(nameIndex, value))
        {
            bytesWritten = 0;
            if (!last.Result.TryCopyTo(destination))
            {
                return false;
            }

            bytesWritten = last.Result.Length;
            return true;
        }

        if (!TryEncodeLiteral(flags, prefix, nameIndex, name, value, _policy.Huffman, destination, out bytesWritten))
        {
            return false;
        }

        if (memorable)
        {
            HpackLiteralMemo.For(ref _repeated, RepeatedSlots, nameIndex, RepeatedMaxLength, RepeatedMaxLength + 8)
                .Remember(nameIndex, value, destination[..bytesWritten]);
        }

        if (indexing == HpackIndexing.Incremental)
        {
            _table.Insert(name, value);
        }

        return true;
    }

    /// <summary>
    /// Encodes `:status`: the seven codes of the static table (200, 204, 206, 304, 400, 404, 500) as their index,
    /// others as <see cref="TryEncode(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte}, out int)"/> would.
    /// </summary>
    public bool TryEncodeStatus(int status, Span<byte> destination, out int bytesWritten)
    {
        int index = status switch
        {
            200 => 8,
            204 => 9,
            206 => 10,
            304 => 11,
            400 => 12,
            404 => 13,
            500 => 14,
            _ => 0,
        };
        if (index != 0)
        {
            return TryEncodeIndexed(index, destination, out bytesWritten);
        }

        Span<byte> digits = stackalloc byte[11];
        status.TryFormat(digits, out int length, default, System.Globalization.CultureInfo.InvariantCulture);
        return TryEncode(":status"u8, digits[..length], destination, out bytesWritten);
    }

    /// <summary>
    /// Encodes `content-length` with <paramref name="length"/>: under a policy that does not index it (the default's),
    /// a literal under the static name without a table lookup; otherwise as any field.
    /// </summary>
    public bool TryEncodeContentLength(long length, Span<byte> destination, out int bytesWritten)
    {
        Span<byte> digits = stackalloc byte[20];
        length.TryFormat(digits, out int count, default, System.Globalization.CultureInfo.InvariantCulture);
        if (!_contentLengthNotIndexed)
        {
            return TryEncode(ContentLengthName, digits[..count], destination, out bytesWritten);
        }

        return TryEncodeLiteral(WithoutIndexingFlag, 4, ContentLengthIndex, default, digits[..count], _policy.Huffman, destination, out bytesWritten);
    }

    /// <summary>Writes an indexed field representation (RFC 7541 §6.1).</summary>
    public static bool TryEncodeIndexed(int index, Span<byte> destination, out int bytesWritten) =>
        HpackInteger.TryEncode(index, 7, IndexedFlag, destination, out bytesWritten);

    /// <summary>Writes a dynamic table size update (RFC 7541 §6.3).</summary>
    public static bool TryEncodeSizeUpdate(int size, Span<byte> destination, out int bytesWritten) =>
        HpackInteger.TryEncode(size, 5, SizeUpdateFlag, destination, out bytesWritten);

    /// <summary>Writes a string literal (RFC 7541 §5.2).</summary>
    public static bool TryEncodeString(ReadOnlySpan<byte> value, HpackHuffmanMode huffman, Span<byte> destination, out int bytesWritten)
    {
        bool useHuffman = false;
        int length = value.Length;
        if (huffman != HpackHuffmanMode.Never)
        {
            int huffmanLength = HpackHuffman.GetEncodedLength(value);
            if (huffman == HpackHuffmanMode.Always || huffmanLength < value.Length)
            {
                useHuffman = true;
                length = huffmanLength;
            }
        }

        if (!HpackInteger.TryEncode(length, 7, useHuffman ? HuffmanFlag : (byte)0, destination, out int header)
            || destination.Length - header < length)
        {
            bytesWritten = 0;
            return false;
        }

        if (useHuffman)
        {
            HpackHuffman.TryEncode(value, destination[header..], out _);
        }
        else
        {
            value.CopyTo(destination[header..]);
        }

        bytesWritten = header + length;
        return true;
    }

    private static bool TryEncodeLiteral(byte flags, int prefix, int nameIndex, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HpackHuffmanMode huffman, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (!HpackInteger.TryEncode(nameIndex, prefix, flags, destination, out int written))
        {
            return false;
        }

        if (nameIndex == 0)
        {
            if (!TryEncodeString(name, huffman, destination[written..], out int nameWritten))
            {
                return false;
            }

            written += nameWritten;
        }

        if (!TryEncodeString(value, huffman, destination[written..], out int valueWritten))
        {
            return false;
        }

        bytesWritten = written + valueWritten;
        return true;
    }
}
