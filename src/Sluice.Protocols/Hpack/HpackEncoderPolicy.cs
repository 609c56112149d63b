using System.Text;

namespace Sluice.Protocols.Hpack;

/// <summary>How a field is to be represented by <see cref="HpackEncoder"/>.</summary>
public enum HpackIndexing
{
    /// <summary>Let the encoder's <see cref="HpackEncoderPolicy"/> choose.</summary>
    Default = 0,

    /// <summary>Literal with incremental indexing (RFC 7541 §6.2.1) unless the field is already in a table.</summary>
    Incremental = 1,

    /// <summary>Literal without indexing (§6.2.2) unless the field is already in a table.</summary>
    WithoutIndexing = 2,

    /// <summary>Literal never indexed (§6.2.3), even when the field is in a table; for sensitive values.</summary>
    NeverIndexed = 3,
}

/// <summary>When string literals are Huffman-coded (RFC 7541 §5.2).</summary>
public enum HpackHuffmanMode
{
    /// <summary>When the Huffman form is strictly shorter than the raw form.</summary>
    WhenShorter = 0,

    /// <summary>Always (the form of RFC 7541 Appendix C.4 and C.6).</summary>
    Always = 1,

    /// <summary>Never (the form of RFC 7541 Appendix C.3 and C.5).</summary>
    Never = 2,
}

/// <summary>
/// Indexing policy of an <see cref="HpackEncoder"/>, built once (at configuration load) and shared.
/// Names are compared as given: HTTP/2 field names are lowercase (RFC 9113 §8.2.1).
/// </summary>
public sealed class HpackEncoderPolicy
{
    // Values that change with almost every message: indexing them only churns the table.
    private static readonly string[] DefaultNotIndexed =
    [
        ":path", "content-length", "date", "etag", "last-modified", "if-modified-since", "if-none-match",
        "location", "age", "expires", "set-cookie", "content-range", "x-request-id", "traceparent",
    ];

    // RFC 7541 §7.1.3: credentials must not be indexed, or a peer sharing the connection could probe them.
    private static readonly string[] DefaultNeverIndexed = ["authorization", "proxy-authorization"];

    private readonly byte[][] _neverIndexed;
    private readonly byte[][] _notIndexed;

    // Bit n set: a listed name is n bytes long (bit 0 also for names of 64 bytes or more).
    private readonly ulong _listedLengths;

    /// <summary>Creates a policy.</summary>
    /// <param name="neverIndexedNames">Fields always sent as never-indexed literals; null for authorization and proxy-authorization.</param>
    /// <param name="notIndexedNames">Fields sent without indexing; null for a default list of per-message fields (:path, date, content-length…).</param>
    /// <param name="huffman">When to Huffman-code strings.</param>
    /// <param name="maxTableSize">The most dynamic table this encoder uses, whatever the peer allows.</param>
    /// <param name="shortCookieLength">
    /// Cookie values shorter than this are never indexed (RFC 7541 §7.1.3: short values are guessable); 0 disables.
    /// </param>
    public HpackEncoderPolicy(
        IEnumerable<string>? neverIndexedNames = null,
        IEnumerable<string>? notIndexedNames = null,
        HpackHuffmanMode huffman = HpackHuffmanMode.WhenShorter,
        int maxTableSize = 4096,
        int shortCookieLength = 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxTableSize);
        ArgumentOutOfRangeException.ThrowIfNegative(shortCookieLength);

        // Allocates: runs once per configuration load.
        _neverIndexed = ToBytes(neverIndexedNames ?? DefaultNeverIndexed);
        _notIndexed = ToBytes(notIndexedNames ?? DefaultNotIndexed);
        foreach (byte[] listed in _neverIndexed.Concat(_notIndexed))
        {
            // A name of 64 bytes or more is looked for whatever the length.
            _listedLengths |= listed.Length < 64 ? 1UL << listed.Length : 1UL;
        }
        Huffman = huffman;
        MaxTableSize = maxTableSize;
        ShortCookieLength = shortCookieLength;
    }

    /// <summary>The policy used when none is given.</summary>
    public static HpackEncoderPolicy Default { get; } = new();

    /// <summary>When to Huffman-code strings.</summary>
    public HpackHuffmanMode Huffman { get; }

    /// <summary>The most dynamic table the encoder uses.</summary>
    public int MaxTableSize { get; }

    /// <summary>Cookie values shorter than this are never indexed.</summary>
    public int ShortCookieLength { get; }

    /// <summary>Resolves <see cref="HpackIndexing.Default"/> for one field.</summary>
    public HpackIndexing Choose(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int tableMaxSize)
    {
        // Most names have a length no listed name has: one bit test, no comparison.
        bool listedLength = (_listedLengths & (1UL << (name.Length < 64 ? name.Length : 0))) != 0;
        if (listedLength && Contains(_neverIndexed, name))
        {
            return HpackIndexing.NeverIndexed;
        }

        if (ShortCookieLength > 0 && value.Length < ShortCookieLength && name.SequenceEqual("cookie"u8))
        {
            return HpackIndexing.NeverIndexed;
        }

        if (listedLength && Contains(_notIndexed, name))
        {
            return HpackIndexing.WithoutIndexing;
        }

        // An entry above three quarters of the table would flush nearly everything else out of it.
        long entrySize = (long)name.Length + value.Length + HpackDynamicTable.EntryOverhead;
        return entrySize * 4 <= (long)tableMaxSize * 3 ? HpackIndexing.Incremental : HpackIndexing.WithoutIndexing;
    }

    private static bool Contains(byte[][] names, ReadOnlySpan<byte> name)
    {
        foreach (byte[] candidate in names)
        {
            if (candidate.Length == name.Length && name.SequenceEqual(candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static byte[][] ToBytes(IEnumerable<string> names)
    {
        var list = new List<byte[]>();
        foreach (string name in names)
        {
            list.Add(Encoding.ASCII.GetBytes(name));
        }

        return [.. list];
    }
}
