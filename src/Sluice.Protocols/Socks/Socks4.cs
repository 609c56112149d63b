using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Sluice.Protocols.Socks;

/// <summary>
/// The client side of SOCKS4 (the 1992 protocol note): a CONNECT request naming an IPv4 address and port, and the
/// proxy's 8-byte reply. The user id is "HAProxy", as HAProxy's `socks4` servers send it, so that proxies that
/// log or filter by it see the same.
/// </summary>
public static class Socks4
{
    /// <summary>The length of the request <see cref="WriteConnect"/> writes.</summary>
    public const int RequestLength = 8 + 8;

    /// <summary>The length of the proxy's reply.</summary>
    public const int ReplyLength = 8;

    /// <summary>The reply code of a granted request; 91 to 93 refuse it.</summary>
    public const byte Granted = 0x5A;

    /// <summary>Writes the CONNECT request for <paramref name="target"/> (an IPv4 end point) into <paramref name="request"/>.</summary>
    public static void WriteConnect(IPEndPoint target, Span<byte> request)
    {
        if (target.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("SOCKS4 reaches IPv4 addresses only.", nameof(target));
        }

        request[0] = 4;
        request[1] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(request[2..], (ushort)target.Port);
        target.Address.TryWriteBytes(request[4..8], out _);
        "HAProxy\0"u8.CopyTo(request[8..]);
    }

    /// <summary>The reply's code when <paramref name="reply"/> is a well-formed SOCKS4 reply (version 0); null otherwise.</summary>
    public static byte? ReplyCode(ReadOnlySpan<byte> reply) => reply.Length >= ReplyLength && reply[0] == 0 ? reply[1] : null;
}
