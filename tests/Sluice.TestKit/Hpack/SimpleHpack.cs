using System.Text;

namespace Sluice.TestKit.Hpack;

/// <summary>A header field as text; Latin-1, so every byte maps to one char and back.</summary>
public readonly record struct TestHeader(string Name, string Value)
{
    /// <summary>Size as RFC 7541 §4.1 counts it.</summary>
    public int Size => Name.Length + Value.Length + 32;

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Value}";
}

/// <summary>Representation chosen by <see cref="SimpleHpackEncoder"/> for one field.</summary>
public enum SimpleIndexing
{
    /// <summary>Literal with incremental indexing.</summary>
    Incremental,

    /// <summary>Literal without indexing.</summary>
    WithoutIndexing,

    /// <summary>Literal never indexed.</summary>
    NeverIndexed,
}

/// <summary>Test-side HPACK tables: the static table typed from RFC 7541 Appendix A, and a plain list as the dynamic table.</summary>
public sealed class SimpleHpackTable
{
    /// <summary>RFC 7541 Appendix A.</summary>
    public static readonly TestHeader[] Static =
    [
        new(":authority", ""), new(":method", "GET"), new(":method", "POST"), new(":path", "/"),
        new(":path", "/index.html"), new(":scheme", "http"), new(":scheme", "https"), new(":status", "200"),
        new(":status", "204"), new(":status", "206"), new(":status", "304"), new(":status", "400"),
        new(":status", "404"), new(":status", "500"), new("accept-charset", ""), new("accept-encoding", "gzip, deflate"),
        new("accept-language", ""), new("accept-ranges", ""), new("accept", ""), new("access-control-allow-origin", ""),
        new("age", ""), new("allow", ""), new("authorization", ""), new("cache-control", ""),
        new("content-disposition", ""), new("content-encoding", ""), new("content-language", ""), new("content-length", ""),
        new("content-location", ""), new("content-range", ""), new("content-type", ""), new("cookie", ""),
        new("date", ""), new("etag", ""), new("expect", ""), new("expires", ""),
        new("from", ""), new("host", ""), new("if-match", ""), new("if-modified-since", ""),
        new("if-none-match", ""), new("if-range", ""), new("if-unmodified-since", ""), new("last-modified", ""),
        new("link", ""), new("location", ""), new("max-forwards", ""), new("proxy-authenticate", ""),
        new("proxy-authorization", ""), new("range", ""), new("referer", ""), new("refresh", ""),
        new("retry-after", ""), new("server", ""), new("set-cookie", ""), new("strict-transport-security", ""),
        new("transfer-encoding", ""), new("user-agent", ""), new("vary", ""), new("via", ""),
        new("www-authenticate", ""),
    ];

    /// <summary>Creates a table.</summary>
    public SimpleHpackTable(int maxSize) => MaxSize = maxSize;

    /// <summary>Dynamic entries, newest first.</summary>
    public List<TestHeader> Dynamic { get; } = [];

    /// <summary>Maximum size.</summary>
    public int MaxSize { get; private set; }

    /// <summary>Current size.</summary>
    public int Size => Dynamic.Sum(h => h.Size);

    /// <summary>Entry by HPACK index (1-based over static then dynamic).</summary>
    public TestHeader Get(int index)
    {
        if (index <= 0)
        {
            throw new FormatException("index 0");
        }

        if (index <= Static.Length)
        {
            return Static[index - 1];
        }

        int dynamicIndex = index - Static.Length - 1;
        if (dynamicIndex >= Dynamic.Count)
        {
            throw new FormatException($"index {index} out of range");
        }

        return Dynamic[dynamicIndex];
    }

    /// <summary>Adds an entry with RFC 7541 §4.4 eviction.</summary>
    public void Add(TestHeader header)
    {
        while (Dynamic.Count > 0 && Size + header.Size > MaxSize)
        {
            Dynamic.RemoveAt(Dynamic.Count - 1);
        }

        if (header.Size <= MaxSize)
        {
            Dynamic.Insert(0, header);
        }
    }

    /// <summary>Changes the maximum size with eviction.</summary>
    public void Resize(int maxSize)
    {
        MaxSize = maxSize;
        while (Size > MaxSize)
        {
            Dynamic.RemoveAt(Dynamic.Count - 1);
        }
    }
}

/// <summary>
/// Test-side HPACK decoder: whole blocks only, exceptions for errors, strings out. Written for
/// clarity, independently of the product decoder.
/// </summary>
public sealed class SimpleHpackDecoder
{
    /// <summary>Creates a decoder whose table may grow to <paramref name="maxTableSizeLimit"/>.</summary>
    public SimpleHpackDecoder(int maxTableSizeLimit = 4096)
    {
        Limit = maxTableSizeLimit;
        Table = new SimpleHpackTable(maxTableSizeLimit);
    }

    /// <summary>The table.</summary>
    public SimpleHpackTable Table { get; }

    /// <summary>Largest table size an update may ask for.</summary>
    public int Limit { get; set; }

    /// <summary>Representations seen in the last block, one per field.</summary>
    public List<string> Representations { get; } = [];

    /// <summary>Decodes a whole block.</summary>
    public List<TestHeader> Decode(byte[] block)
    {
        var headers = new List<TestHeader>();
        Representations.Clear();
        int pos = 0;
        bool fieldSeen = false;
        while (pos < block.Length)
        {
            byte b = block[pos];
            if ((b & 0x80) == 0x80)
            {
                int index = ReadInteger(block, ref pos, 7);
                headers.Add(Table.Get(index));
                Representations.Add("indexed");
                fieldSeen = true;
            }
            else if ((b & 0xC0) == 0x40)
            {
                TestHeader header = ReadLiteral(block, ref pos, 6);
                headers.Add(header);
                Table.Add(header);
                Representations.Add("incremental");
                fieldSeen = true;
            }
            else if ((b & 0xE0) == 0x20)
            {
                if (fieldSeen)
                {
                    throw new FormatException("size update after a field");
                }

                int size = ReadInteger(block, ref pos, 5);
                if (size > Limit)
                {
                    throw new FormatException("size update above limit");
                }

                Table.Resize(size);
                Representations.Add("size-update:" + size);
            }
            else
            {
                bool never = (b & 0xF0) == 0x10;
                headers.Add(ReadLiteral(block, ref pos, 4));
                Representations.Add(never ? "never-indexed" : "without-indexing");
                fieldSeen = true;
            }
        }

        return headers;
    }

    private TestHeader ReadLiteral(byte[] block, ref int pos, int prefix)
    {
        int nameIndex = ReadInteger(block, ref pos, prefix);
        string name = nameIndex == 0 ? ReadString(block, ref pos) : Table.Get(nameIndex).Name;
        string value = ReadString(block, ref pos);
        return new TestHeader(name, value);
    }

    private static string ReadString(byte[] block, ref int pos)
    {
        if (pos >= block.Length)
        {
            throw new FormatException("truncated string");
        }

        bool huffman = (block[pos] & 0x80) != 0;
        int length = ReadInteger(block, ref pos, 7);
        if (pos + length > block.Length)
        {
            throw new FormatException("truncated string");
        }

        byte[] raw = block[pos..(pos + length)];
        pos += length;
        return Encoding.Latin1.GetString(huffman ? SimpleHuffman.Decode(raw) : raw);
    }

    /// <summary>Reads an RFC 7541 §5.1 integer.</summary>
    public static int ReadInteger(byte[] block, ref int pos, int prefix)
    {
        int max = (1 << prefix) - 1;
        long value = block[pos++] & max;
        if (value < max)
        {
            return (int)value;
        }

        int shift = 0;
        while (true)
        {
            if (pos >= block.Length)
            {
                throw new FormatException("truncated integer");
            }

            byte b = block[pos++];
            value += (long)(b & 0x7F) << shift;
            if (value > int.MaxValue)
            {
                throw new FormatException("integer overflow");
            }

            if ((b & 0x80) == 0)
            {
                return (int)value;
            }

            shift += 7;
        }
    }
}

/// <summary>Test-side HPACK encoder: plain, slow, explicit about each representation.</summary>
public sealed class SimpleHpackEncoder
{
    /// <summary>Creates an encoder.</summary>
    public SimpleHpackEncoder(int maxTableSize = 4096) => Table = new SimpleHpackTable(maxTableSize);

    /// <summary>The mirrored table.</summary>
    public SimpleHpackTable Table { get; }

    /// <summary>Huffman-code every string.</summary>
    public bool UseHuffman { get; set; }

    /// <summary>Use indexed representations for exact matches.</summary>
    public bool UseIndexes { get; set; } = true;

    /// <summary>Encodes a block; <paramref name="indexing"/> chooses the literal form of each field.</summary>
    public byte[] Encode(IReadOnlyList<TestHeader> headers, Func<TestHeader, SimpleIndexing>? indexing = null, int? sizeUpdate = null)
    {
        var output = new List<byte>();
        if (sizeUpdate is int size)
        {
            WriteInteger(output, size, 5, 0x20);
            Table.Resize(size);
        }

        foreach (TestHeader header in headers)
        {
            SimpleIndexing mode = indexing?.Invoke(header) ?? SimpleIndexing.Incremental;
            int exact = FindExact(header);
            if (UseIndexes && exact > 0 && mode != SimpleIndexing.NeverIndexed)
            {
                WriteInteger(output, exact, 7, 0x80);
                continue;
            }

            int nameIndex = UseIndexes ? FindName(header.Name) : 0;
            switch (mode)
            {
                case SimpleIndexing.Incremental:
                    WriteInteger(output, nameIndex, 6, 0x40);
                    break;
                case SimpleIndexing.NeverIndexed:
                    WriteInteger(output, nameIndex, 4, 0x10);
                    break;
                default:
                    WriteInteger(output, nameIndex, 4, 0x00);
                    break;
            }

            if (nameIndex == 0)
            {
                WriteString(output, header.Name);
            }

            WriteString(output, header.Value);
            if (mode == SimpleIndexing.Incremental)
            {
                Table.Add(header);
            }
        }

        return [.. output];
    }

    /// <summary>Writes an RFC 7541 §5.1 integer.</summary>
    public static void WriteInteger(List<byte> output, int value, int prefix, byte flags)
    {
        int max = (1 << prefix) - 1;
        if (value < max)
        {
            output.Add((byte)(flags | value));
            return;
        }

        output.Add((byte)(flags | max));
        value -= max;
        while (value >= 128)
        {
            output.Add((byte)((value % 128) + 128));
            value /= 128;
        }

        output.Add((byte)value);
    }

    private void WriteString(List<byte> output, string text)
    {
        byte[] raw = Encoding.Latin1.GetBytes(text);
        byte[] data = UseHuffman ? SimpleHuffman.Encode(raw) : raw;
        WriteInteger(output, data.Length, 7, UseHuffman ? (byte)0x80 : (byte)0);
        output.AddRange(data);
    }

    private int FindExact(TestHeader header)
    {
        for (int i = 0; i < SimpleHpackTable.Static.Length; i++)
        {
            if (SimpleHpackTable.Static[i] == header)
            {
                return i + 1;
            }
        }

        int dynamicIndex = Table.Dynamic.IndexOf(header);
        return dynamicIndex < 0 ? 0 : SimpleHpackTable.Static.Length + dynamicIndex + 1;
    }

    private int FindName(string name)
    {
        for (int i = 0; i < SimpleHpackTable.Static.Length; i++)
        {
            if (SimpleHpackTable.Static[i].Name == name)
            {
                return i + 1;
            }
        }

        int dynamicIndex = Table.Dynamic.FindIndex(h => h.Name == name);
        return dynamicIndex < 0 ? 0 : SimpleHpackTable.Static.Length + dynamicIndex + 1;
    }
}

/// <summary>Hex vectors as the RFCs print them: whitespace ignored.</summary>
public static class HpackHex
{
    /// <summary>Parses "8286 8441 …".</summary>
    public static byte[] Parse(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));
}
