namespace Sluice.Protocols.Hpack;

/// <summary>
/// Integer representation of RFC 7541 §5.1, with an N-bit prefix (1 to 8) in the first byte:
/// <code>
///   0   1   2   3   4   5   6   7
/// +---+---+---+---+---+---+---+---+
/// | ? | ? | ? |       Value       |     value &lt; 2^N - 1: fits in the prefix
/// +---+---+---+-------------------+
/// | ? | ? | ? | 1   1   1   1   1 |     otherwise the prefix is all ones and
/// +---+---+---+-------------------+
/// | 1 |    Value-(2^N-1) LSB      |     7-bit groups follow, least significant first,
/// +---+---------------------------+
///                ...
/// +---+---------------------------+
/// | 0 |    Value-(2^N-1) MSB      |     the high bit set on all but the last.
/// +---+---------------------------+
/// </code>
/// Values are limited to <see cref="int.MaxValue"/>: every HPACK integer is a length, an index or a
/// table size, and RFC 7541 §5.1 asks decoders to guard against overflow.
/// </summary>
public static class HpackInteger
{
    /// <summary>
    /// Writes <paramref name="value"/> with a <paramref name="prefixBits"/>-bit prefix; the bits of
    /// <paramref name="firstByteFlags"/> above the prefix are kept in the first byte.
    /// </summary>
    public static bool TryEncode(int value, int prefixBits, byte firstByteFlags, Span<byte> destination, out int bytesWritten)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        if (destination.IsEmpty)
        {
            bytesWritten = 0;
            return false;
        }

        int max = (1 << prefixBits) - 1;
        byte flags = (byte)(firstByteFlags & ~max);
        if (value < max)
        {
            destination[0] = (byte)(flags | value);
            bytesWritten = 1;
            return true;
        }

        destination[0] = (byte)(flags | max);
        int written = 1;
        uint remaining = (uint)(value - max);
        while (remaining >= 0x80)
        {
            if ((uint)written >= (uint)destination.Length)
            {
                bytesWritten = 0;
                return false;
            }

            destination[written++] = (byte)(0x80 | (remaining & 0x7F));
            remaining >>= 7;
        }

        if ((uint)written >= (uint)destination.Length)
        {
            bytesWritten = 0;
            return false;
        }

        destination[written++] = (byte)remaining;
        bytesWritten = written;
        return true;
    }

    /// <summary>Number of bytes <see cref="TryEncode"/> writes.</summary>
    public static int GetEncodedLength(int value, int prefixBits)
    {
        int max = (1 << prefixBits) - 1;
        if (value < max)
        {
            return 1;
        }

        int length = 2;
        for (uint remaining = (uint)(value - max); remaining >= 0x80; remaining >>= 7)
        {
            length++;
        }

        return length;
    }
}

/// <summary>Outcome of feeding a byte to <see cref="HpackIntegerDecoder"/>.</summary>
public enum HpackIntegerStatus
{
    /// <summary>The integer is complete.</summary>
    Done = 0,

    /// <summary>More bytes are needed.</summary>
    NeedMore = 1,

    /// <summary>The integer exceeds <see cref="int.MaxValue"/> or carries more continuation bytes than any such value needs.</summary>
    Overflow = 2,
}

/// <summary>
/// Resumable decoder of one HPACK integer (RFC 7541 §5.1): the first byte goes to
/// <see cref="BeginDecode"/>, further bytes to <see cref="Decode"/>, across as many input pieces as needed.
/// Invariant: between calls, <c>_value</c> holds the sum decoded so far and <c>_shift</c> the weight of the next group.
/// </summary>
public struct HpackIntegerDecoder
{
    // 2^31 - 1 needs at most 5 continuation bytes (7 * 5 = 35 bits); a sixth byte can only be an
    // overflow or zero padding, which is refused so that a peer cannot make us spin on 0x80 bytes.
    private const int MaxShift = 28;

    private long _value;
    private int _shift;

    /// <summary>Starts an integer with its first byte. Done means <paramref name="result"/> is set.</summary>
    public HpackIntegerStatus BeginDecode(byte first, int prefixBits, out int result)
    {
        int max = (1 << prefixBits) - 1;
        int prefix = first & max;
        if (prefix < max)
        {
            result = prefix;
            return HpackIntegerStatus.Done;
        }

        _value = max;
        _shift = 0;
        result = 0;
        return HpackIntegerStatus.NeedMore;
    }

    /// <summary>Feeds one continuation byte. Done means <paramref name="result"/> is set.</summary>
    public HpackIntegerStatus Decode(byte next, out int result)
    {
        _value += (long)(next & 0x7F) << _shift;
        if (_value > int.MaxValue)
        {
            result = 0;
            return HpackIntegerStatus.Overflow;
        }

        if ((next & 0x80) == 0)
        {
            result = (int)_value;
            return HpackIntegerStatus.Done;
        }

        _shift += 7;
        if (_shift > MaxShift)
        {
            result = 0;
            return HpackIntegerStatus.Overflow;
        }

        result = 0;
        return HpackIntegerStatus.NeedMore;
    }
}
