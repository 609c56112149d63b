using System.Buffers.Text;
using System.Security.Cryptography;

namespace Sluice.Messages;

/// <summary>
/// The websocket handshake's key and its proof (RFC 6455 §4.1, §4.2.2), where one HTTP version has them and the other
/// not (RFC 8441 §5): the proxy makes a key for an HTTP/1.1 server behind an HTTP/2 client, and the proof for an
/// HTTP/1.1 client in front of an HTTP/2 server.
/// </summary>
internal static class WebSocketKeys
{
    /// <summary>Base64 of 16 random bytes.</summary>
    public const int KeyLength = 24;

    /// <summary>Base64 of a SHA-1 hash.</summary>
    public const int AcceptLength = 28;

    /// <summary>RFC 6455 §1.3: the GUID appended to the key before hashing.</summary>
    private static ReadOnlySpan<byte> Guid => "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"u8;

    /// <summary>Fills <paramref name="key"/> (<see cref="KeyLength"/> bytes) with a new key.</summary>
    public static void WriteNewKey(Span<byte> key)
    {
        Span<byte> nonce = stackalloc byte[16];
        RandomNumberGenerator.Fill(nonce);
        Base64.EncodeToUtf8(nonce, key, out _, out _);
    }

    /// <summary>True when <paramref name="accept"/> is base64(SHA-1(key + GUID)), the server's proof that it read <paramref name="key"/>.</summary>
    public static bool AcceptMatches(ReadOnlySpan<byte> key, ReadOnlySpan<byte> accept)
    {
        Span<byte> expected = stackalloc byte[AcceptLength];
        return accept.Length == AcceptLength && TryWriteAccept(key, expected) && expected.SequenceEqual(accept);
    }

    /// <summary>
    /// Writes into <paramref name="accept"/> (<see cref="AcceptLength"/> bytes) the proof a server gives for
    /// <paramref name="key"/>; false when the key does not have a key's length.
    /// </summary>
    public static bool TryWriteAccept(ReadOnlySpan<byte> key, Span<byte> accept)
    {
        if (key.Length != KeyLength)
        {
            return false;
        }

        Span<byte> input = stackalloc byte[KeyLength + Guid.Length];
        key.CopyTo(input);
        Guid.CopyTo(input[KeyLength..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // RFC 6455 §4.2.2 defines the proof with SHA-1; it proves the server read the key, it protects nothing.
        SHA1.HashData(input, hash);
#pragma warning restore CA5350
        Base64.EncodeToUtf8(hash, accept, out _, out _);
        return true;
    }
}
