using System.Buffers;

namespace Sluice.Protocols.Http1;

/// <summary>
/// Serializers of HTTP/1.x heads (RFC 9112 §3, §4, §5), always with CRLF. The Try methods return false only
/// when the destination is too small, and then write nothing usable.
/// </summary>
/// <remarks>
/// Callers pass bytes that the parser or the configuration already validated; the writers do not re-check the
/// grammar, but refuse CR, LF and NUL with <see cref="ArgumentException"/>, since those would split the message.
/// </remarks>
public static class Http1HeadWriter
{
    /// <summary>Writes method SP target SP version CRLF.</summary>
    public static bool TryWriteRequestLine(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, Http1Version version, Span<byte> destination, out int bytesWritten)
    {
        EnsureNoLineBreak(method);
        EnsureNoLineBreak(target);
        ReadOnlySpan<byte> versionText = VersionText(version);
        bytesWritten = 0;
        int length = method.Length + 1 + target.Length + 1 + versionText.Length + 2;
        if (destination.Length < length)
        {
            return false;
        }

        method.CopyTo(destination);
        int at = method.Length;
        destination[at++] = (byte)' ';
        target.CopyTo(destination.Slice(at));
        at += target.Length;
        destination[at++] = (byte)' ';
        versionText.CopyTo(destination.Slice(at));
        at += versionText.Length;
        destination[at++] = (byte)'\r';
        destination[at++] = (byte)'\n';
        bytesWritten = at;
        return true;
    }

    /// <summary>Writes version SP status SP reason CRLF; <paramref name="statusCode"/> is 100 to 999.</summary>
    public static bool TryWriteStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase, Span<byte> destination, out int bytesWritten)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 999);
        EnsureNoLineBreak(reasonPhrase);
        ReadOnlySpan<byte> versionText = VersionText(version);
        bytesWritten = 0;
        int length = versionText.Length + 5 + reasonPhrase.Length + 2;
        if (destination.Length < length)
        {
            return false;
        }

        versionText.CopyTo(destination);
        int at = versionText.Length;
        destination[at++] = (byte)' ';
        destination[at++] = (byte)('0' + (statusCode / 100));
        destination[at++] = (byte)('0' + (statusCode / 10 % 10));
        destination[at++] = (byte)('0' + (statusCode % 10));
        destination[at++] = (byte)' ';
        reasonPhrase.CopyTo(destination.Slice(at));
        at += reasonPhrase.Length;
        destination[at++] = (byte)'\r';
        destination[at++] = (byte)'\n';
        bytesWritten = at;
        return true;
    }

    /// <summary>Writes name ": " value CRLF.</summary>
    public static bool TryWriteHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, Span<byte> destination, out int bytesWritten)
    {
        if (name.IsEmpty)
        {
            throw new ArgumentException("A field name cannot be empty.", nameof(name));
        }

        EnsureNoLineBreak(name);
        EnsureNoLineBreak(value);
        bytesWritten = 0;
        int length = name.Length + 2 + value.Length + 2;
        if (destination.Length < length)
        {
            return false;
        }

        name.CopyTo(destination);
        int at = name.Length;
        destination[at++] = (byte)':';
        destination[at++] = (byte)' ';
        value.CopyTo(destination.Slice(at));
        at += value.Length;
        destination[at++] = (byte)'\r';
        destination[at++] = (byte)'\n';
        bytesWritten = at;
        return true;
    }

    /// <summary>Writes the CRLF that ends a header or trailer section.</summary>
    public static bool TryWriteEndOfHeaders(Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (destination.Length < 2)
        {
            return false;
        }

        destination[0] = (byte)'\r';
        destination[1] = (byte)'\n';
        bytesWritten = 2;
        return true;
    }

    /// <summary>Writes a request line into <paramref name="writer"/>.</summary>
    public static void WriteRequestLine(IBufferWriter<byte> writer, ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, Http1Version version)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int length = method.Length + target.Length + 12;
        TryWriteRequestLine(method, target, version, writer.GetSpan(length), out int written);
        writer.Advance(written);
    }

    /// <summary>Writes a status line into <paramref name="writer"/>.</summary>
    public static void WriteStatusLine(IBufferWriter<byte> writer, Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int length = reasonPhrase.Length + 15;
        TryWriteStatusLine(version, statusCode, reasonPhrase, writer.GetSpan(length), out int written);
        writer.Advance(written);
    }

    /// <summary>Writes one field line into <paramref name="writer"/>.</summary>
    public static void WriteHeader(IBufferWriter<byte> writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int length = name.Length + value.Length + 4;
        TryWriteHeader(name, value, writer.GetSpan(length), out int written);
        writer.Advance(written);
    }

    /// <summary>Writes the CRLF that ends a section into <paramref name="writer"/>.</summary>
    public static void WriteEndOfHeaders(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("\r\n"u8);
    }

    private static ReadOnlySpan<byte> VersionText(Http1Version version) => version switch
    {
        Http1Version.Http10 => "HTTP/1.0"u8,
        Http1Version.Http11 => "HTTP/1.1"u8,
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    private static void EnsureNoLineBreak(ReadOnlySpan<byte> part)
    {
        if (part.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
        {
            ThrowLineBreak();
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [System.Diagnostics.StackTraceHidden]
    private static void ThrowLineBreak() => throw new ArgumentException("CR, LF and NUL cannot be written inside an HTTP/1 line.");
}
