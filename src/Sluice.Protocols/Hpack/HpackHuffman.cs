using System.Diagnostics;

namespace Sluice.Protocols.Hpack;

/// <summary>
/// The Huffman code of RFC 7541 §5.2 and Appendix B: a table-driven decoder that works a nibble at a
/// time and can resume across input pieces, and an encoder with the Try pattern.
/// </summary>
public static class HpackHuffman
{
    /// <summary>The decoder state at the start of a string (the root of the code tree).</summary>
    public const int InitialState = 0;

    // RFC 7541 Appendix B: for each symbol 0..256 the code, right-aligned, and its length in bits.
    // Symbol 256 is EOS; it must never appear in a decoded string (RFC 7541 §5.2).
    private static readonly uint[] Codes =
    [
        0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
        0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
        0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
        0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
        0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
        0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
        0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
        0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
        0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
        0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
        0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
        0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
        0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
        0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
        0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
        0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
        0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
        0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
        0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
        0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
        0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
        0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
        0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
        0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
        0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
        0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
        0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
        0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
        0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
        0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
        0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
        0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
        0x3fffffff,
    ];

    private static readonly byte[] Lengths =
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
        30,
    ];

    // Decoding automaton, built once from the code table.
    //
    // The code is a complete binary tree with 257 leaves, hence 256 internal nodes; each internal node
    // is a state (0 = root), so a state fits in a byte. For every state and every 4-bit input nibble,
    // Transitions holds one entry:
    //
    //   bit  31        24 23       16 15        8 7         0
    //       +-----------+-----------+-----------+-----------+
    //       |   flags   |  (unused) |  symbol   | next state|
    //       +-----------+-----------+-----------+-----------+
    //
    // Codes are at least 5 bits long, so one nibble completes at most one symbol.
    private const uint EmitFlag = 0x0100_0000;
    private const uint FailFlag = 0x0200_0000;

    private static readonly uint[] Transitions = BuildTransitions();

    // For each state: true when the bits consumed since the last symbol are all ones and at most 7,
    // i.e. a valid place for the string to end (RFC 7541 §5.2 padding rules).
    private static readonly bool[] Accepting = BuildAccepting();

    /// <summary>Number of bytes the Huffman encoding of <paramref name="source"/> takes.</summary>
    public static int GetEncodedLength(ReadOnlySpan<byte> source)
    {
        long bits = 0;
        byte[] lengths = Lengths;
        foreach (byte b in source)
        {
            bits += lengths[b];
        }

        return (int)((bits + 7) >> 3);
    }

    /// <summary>
    /// Encodes <paramref name="source"/>, padding the last byte with the most significant bits of EOS
    /// (all ones). Returns false, writing nothing useful, when <paramref name="destination"/> is too small.
    /// </summary>
    public static bool TryEncode(ReadOnlySpan<byte> source, Span<byte> destination, out int bytesWritten)
    {
        uint[] codes = Codes;
        byte[] lengths = Lengths;
        ulong accumulator = 0;
        int pending = 0;
        int written = 0;
        foreach (byte b in source)
        {
            int length = lengths[b];
            accumulator = (accumulator << length) | codes[b];
            pending += length;
            while (pending >= 8)
            {
                if ((uint)written >= (uint)destination.Length)
                {
                    bytesWritten = 0;
                    return false;
                }

                pending -= 8;
                destination[written++] = (byte)(accumulator >> pending);
            }
        }

        if (pending > 0)
        {
            if ((uint)written >= (uint)destination.Length)
            {
                bytesWritten = 0;
                return false;
            }

            int padding = 8 - pending;
            destination[written++] = (byte)((accumulator << padding) | ((1u << padding) - 1));
        }

        bytesWritten = written;
        return true;
    }

    /// <summary>
    /// Decodes one piece of a Huffman-coded string. <paramref name="state"/> starts at
    /// <see cref="InitialState"/> and carries the partial code from one piece to the next.
    /// Returns the number of bytes written to <paramref name="destination"/>, or -1 when the input
    /// contains EOS (RFC 7541 §5.2: "MUST be treated as a decoding error") or when
    /// <paramref name="destination"/> is too small. Call <see cref="IsValidEnd"/> after the last piece.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, ref int state, Span<byte> destination)
    {
        uint[] transitions = Transitions;
        int current = state;
        int written = 0;
        foreach (byte b in source)
        {
            uint entry = transitions[(current << 4) | (b >> 4)];
            if ((entry & (EmitFlag | FailFlag)) != 0)
            {
                if ((entry & FailFlag) != 0 || (uint)written >= (uint)destination.Length)
                {
                    return -1;
                }

                destination[written++] = (byte)(entry >> 8);
            }

            current = (int)(entry & 0xFF);
            entry = transitions[(current << 4) | (b & 0x0F)];
            if ((entry & (EmitFlag | FailFlag)) != 0)
            {
                if ((entry & FailFlag) != 0 || (uint)written >= (uint)destination.Length)
                {
                    return -1;
                }

                destination[written++] = (byte)(entry >> 8);
            }

            current = (int)(entry & 0xFF);
        }

        state = current;
        return written;
    }

    /// <summary>
    /// True when a string may end in <paramref name="state"/>. RFC 7541 §5.2: "A padding strictly longer
    /// than 7 bits MUST be treated as a decoding error. A padding not corresponding to the most
    /// significant bits of the code for the EOS symbol MUST be treated as a decoding error."
    /// </summary>
    public static bool IsValidEnd(int state) => Accepting[state];

    /// <summary>Upper bound of the decoded length of <paramref name="encodedLength"/> bytes (codes are at least 5 bits).</summary>
    public static int GetMaxDecodedLength(int encodedLength) => (int)(((long)encodedLength * 8) / 5);

    // The code tree: internal nodes numbered 0..255 in creation order (0 = root); a child is either an
    // internal node or a leaf stored as ~symbol (negative).
    private readonly record struct CodeTree(int[] Zero, int[] One, int[] Depth, bool[] AllOnes);

    private static CodeTree BuildTree()
    {
        var tree = new CodeTree(new int[256], new int[256], new int[256], new bool[256]);
        int nodes = 1;
        tree.AllOnes[0] = true;
        for (int symbol = 0; symbol <= 256; symbol++)
        {
            uint code = Codes[symbol];
            int length = Lengths[symbol];
            int node = 0;
            for (int bit = length - 1; bit >= 0; bit--)
            {
                bool isOne = ((code >> bit) & 1) != 0;
                int[] children = isOne ? tree.One : tree.Zero;
                if (bit == 0)
                {
                    Debug.Assert(children[node] == 0, "code table is prefix-free");
                    children[node] = ~symbol;
                    break;
                }

                if (children[node] == 0)
                {
                    int created = nodes++;
                    children[node] = created;
                    tree.Depth[created] = tree.Depth[node] + 1;
                    tree.AllOnes[created] = tree.AllOnes[node] && isOne;
                }

                node = children[node];
            }
        }

        Debug.Assert(nodes == 256, "a complete tree with 257 leaves has 256 internal nodes");
        return tree;
    }

    private static bool[] BuildAccepting()
    {
        CodeTree tree = BuildTree();
        var accepting = new bool[256];
        for (int state = 0; state < 256; state++)
        {
            accepting[state] = tree.AllOnes[state] && tree.Depth[state] <= 7;
        }

        return accepting;
    }

    private static uint[] BuildTransitions()
    {
        CodeTree tree = BuildTree();
        var transitions = new uint[256 * 16];
        for (int state = 0; state < 256; state++)
        {
            for (int nibble = 0; nibble < 16; nibble++)
            {
                int node = state;
                uint flags = 0;
                uint symbol = 0;
                for (int bit = 3; bit >= 0; bit--)
                {
                    int next = ((nibble >> bit) & 1) != 0 ? tree.One[node] : tree.Zero[node];
                    if (next < 0)
                    {
                        int decoded = ~next;
                        if (decoded == 256)
                        {
                            flags |= FailFlag;
                        }
                        else
                        {
                            flags |= EmitFlag;
                            symbol = (uint)decoded;
                        }

                        node = 0;
                    }
                    else
                    {
                        node = next;
                    }
                }

                transitions[(state << 4) | nibble] = flags | (symbol << 8) | (uint)node;
            }
        }

        return transitions;
    }
}
