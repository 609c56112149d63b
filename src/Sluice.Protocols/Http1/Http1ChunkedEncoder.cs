using System.Buffers;

namespace Sluice.Protocols.Http1;

/// <summary>
/// Writer of the chunked transfer coding (RFC 9112 §7.1): chunk-size in lowercase hex without leading zeros,
/// no chunk extensions, CRLF everywhere.
/// </summary>
public static class Http1ChunkedEncoder
{
    /// <summary>Longest chunk header: 16 hex digits and CRLF.</summary>
    public const int MaxChunkHeaderLength = 18;

    /// <summary>Writes "HEX CRLF" for a chunk of <paramref name="size"/> bytes (1 or more); false when <paramref name="destination"/> is too small.</summary>
    public static bool TryWriteChunkHeader(long size, Span<byte> destination, out int bytesWritten)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        int digits = (67 - (int)ulong.LeadingZeroCount((ulong)size)) / 4;
        bytesWritten = 0;
        if (destination.Length < digits + 2)
        {
            return false;
        }

        long value = size;
        for (int i = digits - 1; i >= 0; i--)
        {
            destination[i] = (byte)"0123456789abcdef"[(int)(value & 0xF)];
            value >>= 4;
        }

        destination[digits] = (byte)'\r';
        destination[digits + 1] = (byte)'\n';
        bytesWritten = digits + 2;
        return true;
    }

    /// <summary>Writes the header of a chunk of <paramref name="size"/> bytes; the caller writes the data, then <see cref="WriteChunkEnd"/>.</summary>
    public static void WriteChunkHeader(IBufferWriter<byte> writer, long size)
    {
        ArgumentNullException.ThrowIfNull(writer);
        TryWriteChunkHeader(size, writer.GetSpan(MaxChunkHeaderLength), out int written);
        writer.Advance(written);
    }

    /// <summary>Writes the CRLF that follows chunk data.</summary>
    public static void WriteChunkEnd(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("\r\n"u8);
    }

    /// <summary>Writes one whole chunk; empty data writes nothing, because a zero-size chunk would end the body.</summary>
    public static void WriteChunk(IBufferWriter<byte> writer, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        WriteChunkHeader(writer, data.Length);
        writer.Write(data);
        WriteChunkEnd(writer);
    }

    /// <summary>
    /// Writes the last chunk "0" CRLF. The caller then writes trailer fields with
    /// <see cref="Http1HeadWriter.WriteHeader"/> and ends with <see cref="Http1HeadWriter.WriteEndOfHeaders"/>.
    /// </summary>
    public static void WriteLastChunk(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("0\r\n"u8);
    }
}
