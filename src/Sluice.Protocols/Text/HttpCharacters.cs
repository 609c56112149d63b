using System.Buffers;

namespace Sluice.Protocols.Text;

/// <summary>
/// Byte classes of the HTTP grammar (RFC 9110 §5.6.2, RFC 9112 §2, RFC 3986 §2), as one lookup table.
/// </summary>
internal static class HttpCharacters
{
    /// <summary>tchar: "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA.</summary>
    public const byte Token = 0x01;

    /// <summary>field-vchar plus SP and HTAB: VCHAR / obs-text / SP / HTAB (RFC 9110 §5.5).</summary>
    public const byte FieldValue = 0x02;

    /// <summary>Bytes accepted in a strict request-target: VCHAR except "#" (RFC 9112 §3.2, RFC 3986 §3.5).</summary>
    public const byte Target = 0x04;

    /// <summary>HEXDIG (RFC 5234 appendix B.1).</summary>
    public const byte HexDigit = 0x08;

    /// <summary>reg-name and port characters of a uri-host: unreserved / pct-encoded / sub-delims / ":" (RFC 3986 §3.2.2).</summary>
    public const byte Host = 0x10;

    /// <summary>qdtext of a quoted-string (RFC 9110 §5.6.4): HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text.</summary>
    public const byte QuotedText = 0x20;

    private static readonly byte[] Classes = Build();

    // Vectorized searches for the classes that whole spans are checked against.
    private static readonly SearchValues<byte> TokenValues = ValuesOf(Token);
    private static readonly SearchValues<byte> FieldValueValues = ValuesOf(FieldValue);
    private static readonly SearchValues<byte> TargetValues = ValuesOf(Target);
    private static readonly SearchValues<byte> HexDigitValues = ValuesOf(HexDigit);
    private static readonly SearchValues<byte> HostValues = ValuesOf(Host);

    public static bool IsToken(byte b) => (Classes[b] & Token) != 0;

    public static bool IsFieldValue(byte b) => (Classes[b] & FieldValue) != 0;

    public static bool IsTarget(byte b) => (Classes[b] & Target) != 0;

    public static bool IsHexDigit(byte b) => (Classes[b] & HexDigit) != 0;

    public static bool IsHost(byte b) => (Classes[b] & Host) != 0;

    public static bool IsQuotedText(byte b) => (Classes[b] & QuotedText) != 0;

    /// <summary>OWS / BWS member: SP or HTAB (RFC 9110 §5.6.3).</summary>
    public static bool IsWhitespace(byte b) => b == (byte)' ' || b == (byte)'\t';

    public static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    /// <summary>Index of the first byte of <paramref name="span"/> outside class <paramref name="mask"/> (one class), or -1.</summary>
    public static int IndexOfInvalid(ReadOnlySpan<byte> span, byte mask) => mask switch
    {
        Token => span.IndexOfAnyExcept(TokenValues),
        FieldValue => span.IndexOfAnyExcept(FieldValueValues),
        Target => span.IndexOfAnyExcept(TargetValues),
        HexDigit => span.IndexOfAnyExcept(HexDigitValues),
        Host => span.IndexOfAnyExcept(HostValues),
        _ => IndexOfInvalidScalar(span, mask),
    };

    private static int IndexOfInvalidScalar(ReadOnlySpan<byte> span, byte mask)
    {
        byte[] classes = Classes;
        for (int i = 0; i < span.Length; i++)
        {
            if ((classes[span[i]] & mask) == 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static SearchValues<byte> ValuesOf(byte mask)
    {
        // Runs once per process.
        var members = new List<byte>();
        for (int b = 0; b < 256; b++)
        {
            if ((Classes[b] & mask) != 0)
            {
                members.Add((byte)b);
            }
        }

        return SearchValues.Create(members.ToArray());
    }

    /// <summary>Value of a HEXDIG, or -1.</summary>
    public static int HexValue(byte b)
    {
        if ((uint)(b - '0') <= 9)
        {
            return b - '0';
        }

        uint lower = (uint)(b | 0x20) - 'a';
        return lower <= 5 ? (int)lower + 10 : -1;
    }

    private static byte[] Build()
    {
        var table = new byte[256];
        for (int b = 0; b < 256; b++)
        {
            bool alpha = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z');
            bool digit = b >= '0' && b <= '9';
            bool vchar = b >= 0x21 && b <= 0x7E;
            bool obsText = b >= 0x80;
            byte c = 0;
            if (alpha || digit || "!#$%&'*+-.^_`|~".Contains((char)b, StringComparison.Ordinal))
            {
                c |= Token;
            }

            if (vchar || obsText || b == ' ' || b == '\t')
            {
                c |= FieldValue;
            }

            if (vchar && b != '#')
            {
                c |= Target;
            }

            if (digit || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F'))
            {
                c |= HexDigit;
            }

            if (alpha || digit || "-._~%!$&'()*+,;=:".Contains((char)b, StringComparison.Ordinal))
            {
                c |= Host;
            }

            if (b == '\t' || b == ' ' || b == 0x21 || (b >= 0x23 && b <= 0x5B) || (b >= 0x5D && b <= 0x7E) || obsText)
            {
                c |= QuotedText;
            }

            table[b] = c;
        }

        return table;
    }
}
