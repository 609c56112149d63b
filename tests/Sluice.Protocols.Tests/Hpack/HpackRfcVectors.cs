using Sluice.TestKit.Hpack;

namespace Sluice.Protocols.Tests.Hpack;

/// <summary>RFC 7541 Appendix C.3 to C.6: three header blocks each, with the table expected after each.</summary>
internal static class HpackRfcVectors
{
    private static readonly TestHeader[] Request1 =
    [
        new(":method", "GET"), new(":scheme", "http"), new(":path", "/"), new(":authority", "www.example.com"),
    ];

    private static readonly TestHeader[] Request2 = [.. Request1, new("cache-control", "no-cache")];

    private static readonly TestHeader[] Request3 =
    [
        new(":method", "GET"), new(":scheme", "https"), new(":path", "/index.html"), new(":authority", "www.example.com"),
        new("custom-key", "custom-value"),
    ];

    private static readonly TestHeader[] Response1 =
    [
        new(":status", "302"), new("cache-control", "private"), new("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        new("location", "https://www.example.com"),
    ];

    private static readonly TestHeader[] Response2 =
    [
        new(":status", "307"), new("cache-control", "private"), new("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        new("location", "https://www.example.com"),
    ];

    private static readonly TestHeader[] Response3 =
    [
        new(":status", "200"), new("cache-control", "private"), new("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
        new("location", "https://www.example.com"), new("content-encoding", "gzip"),
        new("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
    ];

    private static readonly TestHeader[][] RequestTables =
    [
        [new(":authority", "www.example.com")],
        [new("cache-control", "no-cache"), new(":authority", "www.example.com")],
        [new("custom-key", "custom-value"), new("cache-control", "no-cache"), new(":authority", "www.example.com")],
    ];

    private static readonly TestHeader[][] ResponseTables =
    [
        [
            new("location", "https://www.example.com"), new("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            new("cache-control", "private"), new(":status", "302"),
        ],
        [
            new(":status", "307"), new("location", "https://www.example.com"),
            new("date", "Mon, 21 Oct 2013 20:13:21 GMT"), new("cache-control", "private"),
        ],
        [
            new("set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
            new("content-encoding", "gzip"), new("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
        ],
    ];

    public static readonly int[] RequestSizes = [57, 110, 164];

    public static readonly int[] ResponseSizes = [222, 222, 215];

    /// <summary>Name → (table size, Huffman, blocks, headers per block, table per block, size per block).</summary>
    public static HpackSeries Get(string name) => name switch
    {
        "C.3" => new(4096, false, ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865", "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"], [Request1, Request2, Request3], RequestTables, RequestSizes),
        "C.4" => new(4096, true, ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf", "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"], [Request1, Request2, Request3], RequestTables, RequestSizes),
        "C.5" => new(256, false, ["4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "4803 3330 37c1 c0bf", "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31"], [Response1, Response2, Response3], ResponseTables, ResponseSizes),
        "C.6" => new(256, true, ["4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3", "4883 640e ffc1 c0bf", "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"], [Response1, Response2, Response3], ResponseTables, ResponseSizes),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}

internal sealed record HpackSeries(int TableSize, bool Huffman, string[] Hex, TestHeader[][] Headers, TestHeader[][] Tables, int[] Sizes)
{
    public byte[] Block(int i) => HpackHex.Parse(Hex[i]);
}
