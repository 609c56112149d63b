namespace Sluice.Protocols.Text;

/// <summary>IPv4 addresses in their one strict text form.</summary>
public static class Ipv4Text
{
    /// <summary>`a.b.c.d`, each part 0 to 255 in one to three digits, as inet_pton reads IPv4.</summary>
    public static bool TryParseDottedQuad(ReadOnlySpan<byte> text, Span<byte> address)
    {
        var part = 0;
        var value = 0;
        var digits = 0;
        foreach (var c in text)
        {
            if (c == '.')
            {
                if (digits == 0 || part == 3)
                {
                    return false;
                }

                address[part++] = (byte)value;
                value = 0;
                digits = 0;
            }
            else if (c is >= (byte)'0' and <= (byte)'9' && digits < 3)
            {
                value = (value * 10) + (c - '0');
                digits++;
                if (value > 255)
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        if (digits == 0 || part != 3)
        {
            return false;
        }

        address[3] = (byte)value;
        return true;
    }
}
