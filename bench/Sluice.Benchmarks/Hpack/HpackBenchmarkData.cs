using Sluice.Protocols.Hpack;

namespace Sluice.Benchmarks.Hpack;

/// <summary>A browser-like request head, as byte pairs (names lowercase, as HTTP/2 sends them).</summary>
internal static class HpackBenchmarkData
{
    public static readonly (byte[] Name, byte[] Value)[] BrowserRequest =
    [
        (":method"u8.ToArray(), "GET"u8.ToArray()),
        (":scheme"u8.ToArray(), "https"u8.ToArray()),
        (":authority"u8.ToArray(), "www.example.com"u8.ToArray()),
        (":path"u8.ToArray(), "/assets/app.js?v=2024.11.3"u8.ToArray()),
        ("user-agent"u8.ToArray(), "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"u8.ToArray()),
        ("accept"u8.ToArray(), "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"u8.ToArray()),
        ("accept-language"u8.ToArray(), "en-US,en;q=0.5"u8.ToArray()),
        ("accept-encoding"u8.ToArray(), "gzip, deflate, br, zstd"u8.ToArray()),
        ("referer"u8.ToArray(), "https://www.example.com/index.html"u8.ToArray()),
        ("cookie"u8.ToArray(), "session=4f6b2c1d9e8a7b3c5d2e1f0a9b8c7d6e; theme=dark; consent=yes"u8.ToArray()),
        ("sec-fetch-dest"u8.ToArray(), "script"u8.ToArray()),
        ("sec-fetch-mode"u8.ToArray(), "no-cors"u8.ToArray()),
        ("sec-fetch-site"u8.ToArray(), "same-origin"u8.ToArray()),
        ("priority"u8.ToArray(), "u=2"u8.ToArray()),
    ];

    /// <summary>Encodes the request with a fresh encoder: the block a first request produces (literals, Huffman).</summary>
    public static byte[] FirstRequestBlock(HpackIndexing indexing)
    {
        var encoder = new HpackEncoder();
        var buffer = new byte[4096];
        int length = 0;
        foreach ((byte[] name, byte[] value) in BrowserRequest)
        {
            encoder.TryEncode(name, value, indexing, buffer.AsSpan(length), out int written);
            length += written;
        }

        return buffer[..length];
    }
}

/// <summary>Handler that only counts, so the benchmark measures the decoder.</summary>
internal struct NullHeaderHandler : IHpackHeaderHandler
{
    public int Count;

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HpackFieldFlags flags) => Count++;
}
