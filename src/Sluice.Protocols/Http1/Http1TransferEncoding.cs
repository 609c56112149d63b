using System.Text;
using Sluice.Protocols.Text;

namespace Sluice.Protocols.Http1;

/// <summary>What a Transfer-Encoding field (or several) says, accumulated over all its lines.</summary>
[Flags]
public enum Http1TransferCodings
{
    /// <summary>No Transfer-Encoding seen.</summary>
    None = 0,

    /// <summary>At least one Transfer-Encoding line was seen.</summary>
    Present = 0x01,

    /// <summary>The last coding seen so far is chunked.</summary>
    ChunkedLast = 0x02,

    /// <summary>chunked was seen at least once.</summary>
    ChunkedSeen = 0x04,

    /// <summary>chunked was seen more than once, or a coding followed chunked.</summary>
    ChunkedMisplaced = 0x08,

    /// <summary>A coding other than chunked was seen.</summary>
    OtherCoding = 0x10,
}

/// <summary>Transfer-Encoding value parsing (RFC 9112 §6.1, §7; HAProxy h1_parse_xfer_enc_header).</summary>
public static class Http1TransferEncoding
{
    /// <summary>
    /// Adds the codings of one Transfer-Encoding line to <paramref name="codings"/>. Returns false when the
    /// value is empty, has an empty list element (",chunked", "chunked,"), an element that is not
    /// token *( OWS ";" OWS token "=" ( token / quoted-string ) ), or chunked with parameters (RFC 9112 §7.1:
    /// chunked has none; HAProxy). Coding names compare case-insensitively (RFC 9112 §7). Placement rules are
    /// checked by the caller from the flags, because they differ between requests and responses.
    /// </summary>
    public static bool TryAdd(ReadOnlySpan<byte> value, ref Http1TransferCodings codings)
    {
        codings |= Http1TransferCodings.Present;
        while (true)
        {
            int comma = value.IndexOf((byte)',');
            ReadOnlySpan<byte> element = Http1HeadParser.TrimOws(comma < 0 ? value : value.Slice(0, comma));
            if (!TryAddElement(element, ref codings))
            {
                return false;
            }

            if (comma < 0)
            {
                return true;
            }

            value = value.Slice(comma + 1);
        }
    }

    private static bool TryAddElement(ReadOnlySpan<byte> element, ref Http1TransferCodings codings)
    {
        int semicolon = element.IndexOf((byte)';');
        ReadOnlySpan<byte> name = semicolon < 0 ? element : Http1HeadParser.TrimOws(element.Slice(0, semicolon));
        if (name.IsEmpty || HttpCharacters.IndexOfInvalid(name, HttpCharacters.Token) >= 0)
        {
            return false;
        }

        bool chunked = Ascii.EqualsIgnoreCase(name, "chunked"u8);
        if (semicolon >= 0 && (chunked || !AreValidParameters(element.Slice(semicolon))))
        {
            return false;
        }

        if ((codings & Http1TransferCodings.ChunkedSeen) != 0)
        {
            // Anything after chunked, chunked included, breaks RFC 9112 §6.1 "chunked ... MUST NOT apply more than once".
            codings |= Http1TransferCodings.ChunkedMisplaced;
        }

        if (chunked)
        {
            codings |= Http1TransferCodings.ChunkedSeen | Http1TransferCodings.ChunkedLast;
        }
        else
        {
            codings = (codings & ~Http1TransferCodings.ChunkedLast) | Http1TransferCodings.OtherCoding;
        }

        return true;
    }

    // transfer-parameter = token BWS "=" BWS ( token / quoted-string ), each after OWS ";" OWS (RFC 9112 §7).
    private static bool AreValidParameters(ReadOnlySpan<byte> parameters)
    {
        while (!parameters.IsEmpty)
        {
            parameters = Http1HeadParser.TrimOws(parameters);
            if (parameters.IsEmpty || parameters[0] != (byte)';')
            {
                return false;
            }

            parameters = Http1HeadParser.TrimOws(parameters.Slice(1));
            int nameEnd = IndexOfNonToken(parameters);
            if (nameEnd <= 0)
            {
                return false;
            }

            parameters = Http1HeadParser.TrimOws(parameters.Slice(nameEnd));
            if (parameters.IsEmpty || parameters[0] != (byte)'=')
            {
                return false;
            }

            parameters = Http1HeadParser.TrimOws(parameters.Slice(1));
            int valueEnd = Http1ChunkExtensions.MeasureTokenOrQuotedString(parameters);
            if (valueEnd <= 0)
            {
                return false;
            }

            parameters = parameters.Slice(valueEnd);
        }

        return true;
    }

    private static int IndexOfNonToken(ReadOnlySpan<byte> span)
    {
        int i = HttpCharacters.IndexOfInvalid(span, HttpCharacters.Token);
        return i < 0 ? span.Length : i;
    }
}
