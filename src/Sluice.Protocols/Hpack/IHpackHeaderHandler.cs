namespace Sluice.Protocols.Hpack;

/// <summary>How a decoded field was represented on the wire (RFC 7541 §6).</summary>
[Flags]
public enum HpackFieldFlags
{
    /// <summary>A literal field without indexing, or with incremental indexing.</summary>
    None = 0x0,

    /// <summary>An indexed field representation: name and value both came from a table (§6.1).</summary>
    Indexed = 0x1,

    /// <summary>A literal never to be indexed (§6.2.3): an intermediary must re-encode it the same way.</summary>
    NeverIndexed = 0x2,

    /// <summary>A literal with incremental indexing (§6.2.1): it was added to the dynamic table.</summary>
    IncrementalIndexing = 0x4,
}

/// <summary>
/// Receives decoded fields. The spans are valid only during the call: they point into the decoder's
/// input, its buffers or its dynamic table. Implement it on a struct to let the JIT specialise the decoder.
/// </summary>
public interface IHpackHeaderHandler
{
    /// <summary>One decoded field, in wire order.</summary>
    void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HpackFieldFlags flags);
}
