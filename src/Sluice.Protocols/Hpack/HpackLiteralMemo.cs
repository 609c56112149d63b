namespace Sluice.Protocols.Hpack;

/// <summary>
/// The last literal field seen under a static name index, as a pair of strings: what was given (a value to encode,
/// or the Huffman form of a value to decode) and what it gave. Peers repeat such fields from one block to the next
/// (Date for a whole second, Server, Content-Type) without putting them in the dynamic table, so the work of
/// coding them need not be done again. An array of these, one slot per name index modulo its length, belongs to
/// one encoder or decoder: one connection, one thread at a time.
/// </summary>
internal sealed class HpackLiteralMemo
{
    private readonly byte[] _key;
    private readonly byte[] _result;
    private int _nameIndex;
    private int _keyLength;
    private int _resultLength;

    public HpackLiteralMemo(int keyCapacity, int resultCapacity)
    {
        _key = new byte[keyCapacity];
        _result = new byte[resultCapacity];
    }

    public ReadOnlySpan<byte> Result => _result.AsSpan(0, _resultLength);

    public bool Matches(int nameIndex, ReadOnlySpan<byte> key) =>
        nameIndex == _nameIndex && key.SequenceEqual(_key.AsSpan(0, _keyLength));

    public void Remember(int nameIndex, ReadOnlySpan<byte> key, ReadOnlySpan<byte> result)
    {
        if (key.Length > _key.Length || result.Length > _result.Length)
        {
            _nameIndex = 0;
            return;
        }

        _nameIndex = nameIndex;
        key.CopyTo(_key);
        _keyLength = key.Length;
        result.CopyTo(_result);
        _resultLength = result.Length;
    }

    /// <summary>The slot of <paramref name="nameIndex"/> in <paramref name="slots"/>, made when first needed (it allocates once).</summary>
    public static HpackLiteralMemo For(ref HpackLiteralMemo?[]? slots, int slotCount, int nameIndex, int keyCapacity, int resultCapacity)
    {
        slots ??= new HpackLiteralMemo?[slotCount];
        return slots[nameIndex % slotCount] ??= new HpackLiteralMemo(keyCapacity, resultCapacity);
    }
}
