using Sluice.Protocols.Text;

namespace Sluice.Protocols.Http1;

/// <summary>Content-Length value parsing (RFC 9110 §8.6, RFC 9112 §6.3 rule 5).</summary>
public static class Http1ContentLength
{
    /// <summary>
    /// Parses a Content-Length field value: 1*DIGIT, or a comma-separated list of elements that all have the same
    /// numeric value (collapsed, RFC 9110 §8.6). Leading zeros are accepted. False for an empty value or element,
    /// a sign, hex, inner whitespace, any non-digit, differing values, or a value above <see cref="long.MaxValue"/>
    /// (HAProxy http_parse_cont_len_header, CVE-2023-40225).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> value, out long length)
    {
        length = -1;
        while (true)
        {
            int comma = value.IndexOf((byte)',');
            ReadOnlySpan<byte> element = Http1HeadParser.TrimOws(comma < 0 ? value : value.Slice(0, comma));
            if (!TryParseDigits(element, out long current) || (length >= 0 && current != length))
            {
                length = -1;
                return false;
            }

            length = current;
            if (comma < 0)
            {
                return true;
            }

            value = value.Slice(comma + 1);
        }
    }

    private static bool TryParseDigits(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.IsEmpty)
        {
            return false;
        }

        foreach (byte b in digits)
        {
            if (!HttpCharacters.IsDigit(b))
            {
                return false;
            }

            // "anticipate potentially large decimal numerals and prevent parsing errors due to integer
            // conversion overflows" (RFC 9110 §8.6).
            if (value > (long.MaxValue - (b - '0')) / 10)
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }
}
