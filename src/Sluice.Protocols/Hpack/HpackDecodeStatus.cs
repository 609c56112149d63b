namespace Sluice.Protocols.Hpack;

/// <summary>
/// Outcome of <see cref="HpackDecoder.Decode{THandler}(ReadOnlySpan{byte}, bool, ref THandler)"/>.
/// Every value but <see cref="Ok"/> and <see cref="HeaderListTooLarge"/> leaves the decoder unusable:
/// the peer's encoder and our table may disagree from then on, so the connection must end with
/// GOAWAY(COMPRESSION_ERROR) (RFC 9113 §4.3).
/// </summary>
public enum HpackDecodeStatus
{
    /// <summary>The input was consumed; more may follow unless the block ended.</summary>
    Ok = 0,

    /// <summary>
    /// The decoded fields exceed the maximum header list size (RFC 9113 §6.5.2: name + value + 32 per
    /// field). Reported at the end of the block; the block was still decoded in full, so the table is
    /// in sync and the connection may go on (RFC 9113 §10.5.1: answer the stream, e.g. 431).
    /// </summary>
    HeaderListTooLarge = 1,

    /// <summary>An indexed representation used index 0 (RFC 7541 §6.1).</summary>
    IndexZero = 2,

    /// <summary>An index past the static and dynamic tables (RFC 7541 §2.3.3).</summary>
    IndexOutOfRange = 3,

    /// <summary>An integer above 2^31 - 1 or with superfluous continuation bytes (RFC 7541 §5.1).</summary>
    IntegerOverflow = 4,

    /// <summary>A Huffman string contained the EOS symbol (RFC 7541 §5.2).</summary>
    HuffmanEos = 5,

    /// <summary>A Huffman string ended with padding longer than 7 bits or not all ones (RFC 7541 §5.2).</summary>
    HuffmanInvalidPadding = 6,

    /// <summary>A dynamic table size update after a field representation (RFC 7541 §4.2).</summary>
    TableSizeUpdateNotAtStart = 7,

    /// <summary>A dynamic table size update above the acknowledged SETTINGS_HEADER_TABLE_SIZE (RFC 7541 §6.3).</summary>
    TableSizeUpdateTooLarge = 8,

    /// <summary>Our limit went below the table size and the next block did not start with a size update (RFC 7541 §4.2).</summary>
    TableSizeUpdateMissing = 9,

    /// <summary>The block ended in the middle of a field representation.</summary>
    IncompleteHeaderBlock = 10,

    /// <summary>
    /// A string longer than both the header list limit and the table could ever use; refused before it
    /// is buffered, so a peer cannot make us hold arbitrary amounts of memory.
    /// </summary>
    StringTooLong = 11,
}
