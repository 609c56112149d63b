using System.Text;

namespace Sluice.Protocols.Rdp;

/// <summary>What <see cref="RdpCookieReader.TryRead"/> found at the start of a connection.</summary>
public enum RdpCookieStatus
{
    /// <summary>The cookie was read whole, up to its CRLF.</summary>
    Found,
    /// <summary>The bytes so far may still become a cookie line; more are needed.</summary>
    NeedMoreData,
    /// <summary>The bytes hold no such cookie.</summary>
    NotFound,
}

/// <summary>
/// The routing cookie of an RDP connection request (MS-RDPBCGR 2.2.1.1): after the 4-byte TPKT header and the
/// 7-byte X.224 Connection Request header comes `Cookie: NAME=VALUE` ended by CRLF, as `mstshash=user` from the
/// client or `msts=ADDR.PORT.0000` from a connection broker. Read as HAProxy's fetch_rdp_cookie_name reads it:
/// the header bytes are not checked, `Cookie:` and the name match without regard to case, spaces after the colon
/// are skipped.
/// </summary>
public static class RdpCookieReader
{
    private const int HeadersLength = 11;

    /// <summary>
    /// Finds the cookie <paramref name="name"/> (any cookie when empty) and gives the offset and length of its value
    /// in <paramref name="data"/>.
    /// </summary>
    public static RdpCookieStatus TryRead(ReadOnlySpan<byte> data, ReadOnlySpan<byte> name, out (int Offset, int Length) value)
    {
        value = default;
        if (data.Length <= HeadersLength + "Cookie:"u8.Length)
        {
            return RdpCookieStatus.NeedMoreData;
        }

        var position = HeadersLength;
        if (!Ascii.EqualsIgnoreCase(data.Slice(position, 7), "Cookie:"u8))
        {
            return RdpCookieStatus.NotFound;
        }

        position += 7;
        while (position < data.Length && data[position] == (byte)' ')
        {
            position++;
        }

        if (!name.IsEmpty)
        {
            if (data.Length - position <= name.Length)
            {
                return RdpCookieStatus.NeedMoreData;
            }

            if (data[position + name.Length] != (byte)'=' || !Ascii.EqualsIgnoreCase(data.Slice(position, name.Length), name))
            {
                return RdpCookieStatus.NotFound;
            }

            position += name.Length + 1;
        }
        else
        {
            var equals = data[position..].IndexOfAny((byte)'=', (byte)'\r', (byte)'\n');
            if (equals < 0)
            {
                return RdpCookieStatus.NeedMoreData;
            }

            if (data[position + equals] != (byte)'=')
            {
                return RdpCookieStatus.NotFound;
            }

            position += equals + 1;
        }

        var end = data[position..].IndexOf((byte)'\r');
        if (end < 0 || position + end + 1 >= data.Length)
        {
            return RdpCookieStatus.NeedMoreData;
        }

        if (data[position + end + 1] != (byte)'\n')
        {
            return RdpCookieStatus.NotFound;
        }

        value = (position, end);
        return RdpCookieStatus.Found;
    }

    /// <summary>
    /// A broker's `msts` value `ADDR.PORT.` (then anything): the IPv4 address and port of the server the session
    /// lives on, each written as the decimal of its network-order bytes read as a little-endian integer (HAProxy
    /// reads them with strtoul and compares them to the raw socket address, as Windows writes them).
    /// </summary>
    public static bool TryParseServerAddress(ReadOnlySpan<byte> value, out uint addressBytes, out int port)
    {
        addressBytes = 0;
        port = 0;
        var position = 0;
        var address = ReadDecimal(value, ref position);
        if (position >= value.Length || value[position] != (byte)'.')
        {
            return false;
        }

        position++;
        var rawPort = (ushort)ReadDecimal(value, ref position);
        if (position >= value.Length || value[position] != (byte)'.')
        {
            return false;
        }

        addressBytes = (uint)address;
        port = (ushort)((rawPort >> 8) | (rawPort << 8));
        return true;
    }

    /// <summary>strtoul's reading of digits: none gives 0, too many saturate.</summary>
    private static ulong ReadDecimal(ReadOnlySpan<byte> text, ref int position)
    {
        ulong number = 0;
        while (position < text.Length && text[position] is >= (byte)'0' and <= (byte)'9')
        {
            var digit = (ulong)(text[position] - '0');
            number = number > (ulong.MaxValue - digit) / 10 ? ulong.MaxValue : (number * 10) + digit;
            position++;
        }

        return number;
    }
}
