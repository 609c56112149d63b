using System.Text;

namespace Sluice.Protocols.Http1;

/// <summary>Field-name classes that the HTTP/1 mux needs.</summary>
public static class Http1FieldNames
{
    /// <summary>
    /// True for the fields that must never be taken from a trailer section: framing (Content-Length,
    /// Transfer-Encoding, Trailer), routing (Host), connection management (Connection, Keep-Alive, TE, Upgrade)
    /// and Content-Type (RFC 9110 §6.5.1: trailers must not be merged into the header fields when they could
    /// change framing, routing or authentication; RELIABILITY H1-15).
    /// </summary>
    public static bool IsForbiddenInTrailers(ReadOnlySpan<byte> name)
        => Ascii.EqualsIgnoreCase(name, "content-length"u8)
            || Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8)
            || Ascii.EqualsIgnoreCase(name, "host"u8)
            || Ascii.EqualsIgnoreCase(name, "trailer"u8)
            || Ascii.EqualsIgnoreCase(name, "connection"u8)
            || Ascii.EqualsIgnoreCase(name, "keep-alive"u8)
            || Ascii.EqualsIgnoreCase(name, "te"u8)
            || Ascii.EqualsIgnoreCase(name, "upgrade"u8)
            || Ascii.EqualsIgnoreCase(name, "content-type"u8)
            || Ascii.EqualsIgnoreCase(name, "authorization"u8);
}
