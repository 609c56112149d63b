using Sluice.Protocols.Text;

namespace Sluice.Protocols.Http1;

/// <summary>Syntax of chunk extensions (RFC 9112 §7.1.1) and of quoted-strings (RFC 9110 §5.6.4).</summary>
public static class Http1ChunkExtensions
{
    /// <summary>
    /// True when <paramref name="extensions"/> (from the first ";" to the end of the size line, CRLF excluded) is
    /// *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), where a value is a token or a quoted-string.
    /// So CTLs, unbalanced quotes, a backslash outside quotes and empty names are all refused (HAProxy h1.h).
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> extensions)
    {
        ReadOnlySpan<byte> rest = extensions;
        while (true)
        {
            rest = Http1HeadParser.TrimOws(rest);
            if (rest.IsEmpty)
            {
                return true;
            }

            if (rest[0] != (byte)';')
            {
                return false;
            }

            rest = Http1HeadParser.TrimOws(rest.Slice(1));
            int nameEnd = HttpCharacters.IndexOfInvalid(rest, HttpCharacters.Token);
            if (nameEnd == 0 || rest.IsEmpty)
            {
                return false;
            }

            if (nameEnd < 0)
            {
                return true;
            }

            rest = Http1HeadParser.TrimOws(rest.Slice(nameEnd));
            if (!rest.IsEmpty && rest[0] == (byte)'=')
            {
                rest = Http1HeadParser.TrimOws(rest.Slice(1));
                int valueEnd = MeasureTokenOrQuotedString(rest);
                if (valueEnd <= 0)
                {
                    return false;
                }

                rest = rest.Slice(valueEnd);
            }
        }
    }

    /// <summary>
    /// Length of the token or quoted-string at the start of <paramref name="span"/>, or -1 when there is none or
    /// a quoted-string is not closed, holds a CTL other than HTAB, or ends with a lone backslash.
    /// </summary>
    public static int MeasureTokenOrQuotedString(ReadOnlySpan<byte> span)
    {
        if (span.IsEmpty)
        {
            return -1;
        }

        if (span[0] != (byte)'"')
        {
            int end = HttpCharacters.IndexOfInvalid(span, HttpCharacters.Token);
            return end == 0 ? -1 : end < 0 ? span.Length : end;
        }

        // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE; quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ).
        for (int i = 1; i < span.Length; i++)
        {
            byte b = span[i];
            if (b == (byte)'"')
            {
                return i + 1;
            }

            if (b == (byte)'\\')
            {
                i++;
                if (i >= span.Length || !HttpCharacters.IsFieldValue(span[i]))
                {
                    return -1;
                }
            }
            else if (!HttpCharacters.IsQuotedText(b))
            {
                return -1;
            }
        }

        return -1;
    }
}
