namespace Sluice.Protocols.Hpack;

/// <summary>
/// The static table of RFC 7541 Appendix A: 61 entries, indexes 1 to 61. Index 0 is not used.
/// </summary>
public static class HpackStaticTable
{
    /// <summary>Number of entries; dynamic table indexes start right after this one.</summary>
    public const int Count = 61;

    private static readonly byte[][] Names =
    [
        ":authority"u8.ToArray(),                  // 1
        ":method"u8.ToArray(),                     // 2
        ":method"u8.ToArray(),                     // 3
        ":path"u8.ToArray(),                       // 4
        ":path"u8.ToArray(),                       // 5
        ":scheme"u8.ToArray(),                     // 6
        ":scheme"u8.ToArray(),                     // 7
        ":status"u8.ToArray(),                     // 8
        ":status"u8.ToArray(),                     // 9
        ":status"u8.ToArray(),                     // 10
        ":status"u8.ToArray(),                     // 11
        ":status"u8.ToArray(),                     // 12
        ":status"u8.ToArray(),                     // 13
        ":status"u8.ToArray(),                     // 14
        "accept-charset"u8.ToArray(),              // 15
        "accept-encoding"u8.ToArray(),             // 16
        "accept-language"u8.ToArray(),             // 17
        "accept-ranges"u8.ToArray(),               // 18
        "accept"u8.ToArray(),                      // 19
        "access-control-allow-origin"u8.ToArray(), // 20
        "age"u8.ToArray(),                         // 21
        "allow"u8.ToArray(),                       // 22
        "authorization"u8.ToArray(),               // 23
        "cache-control"u8.ToArray(),               // 24
        "content-disposition"u8.ToArray(),         // 25
        "content-encoding"u8.ToArray(),            // 26
        "content-language"u8.ToArray(),            // 27
        "content-length"u8.ToArray(),              // 28
        "content-location"u8.ToArray(),            // 29
        "content-range"u8.ToArray(),               // 30
        "content-type"u8.ToArray(),                // 31
        "cookie"u8.ToArray(),                      // 32
        "date"u8.ToArray(),                        // 33
        "etag"u8.ToArray(),                        // 34
        "expect"u8.ToArray(),                      // 35
        "expires"u8.ToArray(),                     // 36
        "from"u8.ToArray(),                        // 37
        "host"u8.ToArray(),                        // 38
        "if-match"u8.ToArray(),                    // 39
        "if-modified-since"u8.ToArray(),           // 40
        "if-none-match"u8.ToArray(),               // 41
        "if-range"u8.ToArray(),                    // 42
        "if-unmodified-since"u8.ToArray(),         // 43
        "last-modified"u8.ToArray(),               // 44
        "link"u8.ToArray(),                        // 45
        "location"u8.ToArray(),                    // 46
        "max-forwards"u8.ToArray(),                // 47
        "proxy-authenticate"u8.ToArray(),          // 48
        "proxy-authorization"u8.ToArray(),         // 49
        "range"u8.ToArray(),                       // 50
        "referer"u8.ToArray(),                     // 51
        "refresh"u8.ToArray(),                     // 52
        "retry-after"u8.ToArray(),                 // 53
        "server"u8.ToArray(),                      // 54
        "set-cookie"u8.ToArray(),                  // 55
        "strict-transport-security"u8.ToArray(),   // 56
        "transfer-encoding"u8.ToArray(),           // 57
        "user-agent"u8.ToArray(),                  // 58
        "vary"u8.ToArray(),                        // 59
        "via"u8.ToArray(),                         // 60
        "www-authenticate"u8.ToArray(),            // 61
    ];

    private static readonly byte[][] Values =
    [
        [],                                 // 1
        "GET"u8.ToArray(),                  // 2
        "POST"u8.ToArray(),                 // 3
        "/"u8.ToArray(),                    // 4
        "/index.html"u8.ToArray(),          // 5
        "http"u8.ToArray(),                 // 6
        "https"u8.ToArray(),                // 7
        "200"u8.ToArray(),                  // 8
        "204"u8.ToArray(),                  // 9
        "206"u8.ToArray(),                  // 10
        "304"u8.ToArray(),                  // 11
        "400"u8.ToArray(),                  // 12
        "404"u8.ToArray(),                  // 13
        "500"u8.ToArray(),                  // 14
        [],                                 // 15
        "gzip, deflate"u8.ToArray(),        // 16
        [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], [], // 17..61
    ];

    /// <summary>The name of static entry <paramref name="index"/> (1 to 61).</summary>
    public static ReadOnlySpan<byte> GetName(int index) => Names[index - 1];

    /// <summary>The value of static entry <paramref name="index"/> (1 to 61); empty for name-only entries.</summary>
    public static ReadOnlySpan<byte> GetValue(int index) => Values[index - 1];

    // For each name length, the runs of entries that share a name of that length (the table keeps equal names
    // together), as (first 0-based entry, count): a lookup compares each name once, and a value only under its name.
    private static readonly (int First, int Count)[][] NamesByLength = BuildLengthIndex();

    /// <summary>
    /// Looks a field up. Returns the index of an entry whose name and value both match, or 0, and in
    /// <paramref name="nameIndex"/> the first entry whose name matches, or 0.
    /// </summary>
    public static int Find(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, out int nameIndex)
    {
        nameIndex = 0;
        (int First, int Count)[][] byLength = NamesByLength;
        if ((uint)name.Length >= (uint)byLength.Length || name.IsEmpty)
        {
            return 0;
        }

        foreach ((int first, int count) in byLength[name.Length])
        {
            byte[] candidate = Names[first];
            if (candidate[0] != name[0] || !name.SequenceEqual(candidate))
            {
                continue;
            }

            nameIndex = first + 1;
            for (int i = first; i < first + count; i++)
            {
                if (value.SequenceEqual(Values[i]))
                {
                    return i + 1;
                }
            }

            return 0;
        }

        return 0;
    }

    private static (int First, int Count)[][] BuildLengthIndex()
    {
        int longest = 0;
        foreach (byte[] name in Names)
        {
            longest = Math.Max(longest, name.Length);
        }

        var lists = new List<(int First, int Count)>[longest + 1];
        for (int length = 0; length <= longest; length++)
        {
            lists[length] = [];
        }

        for (int first = 0; first < Names.Length;)
        {
            int count = 1;
            while (first + count < Names.Length && Names[first + count].AsSpan().SequenceEqual(Names[first]))
            {
                count++;
            }

            lists[Names[first].Length].Add((first, count));
            first += count;
        }

        var index = new (int First, int Count)[longest + 1][];
        for (int length = 0; length <= longest; length++)
        {
            index[length] = [.. lists[length]];
        }

        return index;
    }
}
