using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using Sluice.Protocols.Text;

namespace Sluice.Protocols.ProxyProtocol;

/// <summary>What <see cref="ProxyHeaderReader.TryRead"/> found at the start of a connection.</summary>
public enum ProxyHeaderStatus
{
    /// <summary>The bytes so far may be the start of a header; more are needed.</summary>
    NeedMoreData,
    /// <summary>A whole, valid header was read.</summary>
    Complete,
    /// <summary>The bytes are neither a v1 nor a v2 signature.</summary>
    NotProxyHeader,
    /// <summary>A signature was found but what follows breaks the protocol.</summary>
    Invalid,
}

/// <summary>
/// Reads a PROXY protocol header, v1 (text) or v2 (binary), from the first bytes of a connection
/// (haproxy's proxy-protocol.txt). Strict where the protocol is: v1 fits in 107 bytes and ends with CRLF,
/// addresses are in their canonical text form; v2 TLVs must fit the announced length, and a CRC32c TLV
/// must match. The caller consumes exactly <c>length</c> bytes, so what follows the header stays unread.
/// </summary>
public static class ProxyHeaderReader
{
    /// <summary>The longest v1 header, CRLF included.</summary>
    public const int MaxV1Length = 107;

    /// <summary>The fixed part of a v2 header: signature, version and command, family, length.</summary>
    public const int V2FixedLength = 16;

    /// <summary>The longest unique ID a v2 header may carry.</summary>
    public const int MaxUniqueIdLength = 128;

    /// <summary>The longest authority (SNI) HAProxy accepts in a v2 header.</summary>
    public const int MaxAuthorityLength = 255;

    private const int InetBlock = 12;
    private const int Inet6Block = 36;
    private const int UnixBlock = 216;

    /// <summary>The twelve bytes that open every v2 header.</summary>
    public static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static readonly System.Buffers.SearchValues<byte> Ipv6Characters = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF:."u8);

    private static ReadOnlySpan<byte> V1Signature => "PROXY "u8;

    /// <param name="data">The bytes received so far.</param>
    /// <param name="maxLength">The longest v2 header accepted (the receive buffer's size); longer ones are invalid.</param>
    /// <param name="header">The header when complete.</param>
    /// <param name="length">How many bytes the header takes when complete.</param>
    public static ProxyHeaderStatus TryRead(ReadOnlySpan<byte> data, int maxLength, out ProxyHeader? header, out int length)
    {
        header = null;
        length = 0;
        if (data.IsEmpty)
        {
            return ProxyHeaderStatus.NeedMoreData;
        }

        if (StartsLike(data, V2Signature))
        {
            return data.Length < V2Signature.Length ? ProxyHeaderStatus.NeedMoreData : ReadV2(data, maxLength, out header, out length);
        }

        if (StartsLike(data, V1Signature))
        {
            return data.Length < V1Signature.Length ? ProxyHeaderStatus.NeedMoreData : ReadV1(data, out header, out length);
        }

        return ProxyHeaderStatus.NotProxyHeader;
    }

    /// <summary>True when the shorter of the two is a prefix of the other.</summary>
    private static bool StartsLike(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var n = Math.Min(data.Length, signature.Length);
        return data[..n].SequenceEqual(signature[..n]);
    }

    private static ProxyHeaderStatus ReadV1(ReadOnlySpan<byte> data, out ProxyHeader? header, out int length)
    {
        header = null;
        length = 0;
        var window = data[..Math.Min(data.Length, MaxV1Length)];
        var lf = window.IndexOf((byte)'\n');
        if (lf < 0)
        {
            return data.Length >= MaxV1Length ? ProxyHeaderStatus.Invalid : ProxyHeaderStatus.NeedMoreData;
        }

        if (lf == 0 || window[lf - 1] != '\r')
        {
            return ProxyHeaderStatus.Invalid;
        }

        length = lf + 1;
        var line = window[V1Signature.Length..(lf - 1)];
        if (line.StartsWith("UNKNOWN"u8) && (line.Length == 7 || line[7] == ' '))
        {
            // The sender could not tell the addresses: the connection's own stand; the rest of the line is ignored.
            header = new ProxyHeader { Version = 1, Command = ProxyCommand.Proxy, Family = ProxyAddressFamily.Unspecified };
            return ProxyHeaderStatus.Complete;
        }

        ProxyAddressFamily family;
        if (line.StartsWith("TCP4 "u8))
        {
            family = ProxyAddressFamily.Inet;
        }
        else if (line.StartsWith("TCP6 "u8))
        {
            family = ProxyAddressFamily.Inet6;
        }
        else
        {
            return ProxyHeaderStatus.Invalid;
        }

        var rest = line[5..];
        if (!TryTakeField(ref rest, out var sourceText) || !TryTakeField(ref rest, out var destinationText)
            || !TryTakeField(ref rest, out var sourcePortText) || rest.IndexOf((byte)' ') >= 0
            || !TryParseAddress(sourceText, family, out var source)
            || !TryParseAddress(destinationText, family, out var destination)
            || !TryParsePort(sourcePortText, out var sourcePort)
            || !TryParsePort(rest, out var destinationPort))
        {
            return ProxyHeaderStatus.Invalid;
        }

        header = new ProxyHeader
        {
            Version = 1,
            Command = ProxyCommand.Proxy,
            Family = family,
            Source = new IPEndPoint(source, sourcePort),
            Destination = new IPEndPoint(destination, destinationPort),
        };
        return ProxyHeaderStatus.Complete;
    }

    /// <summary>The text up to the next single space, which is skipped.</summary>
    private static bool TryTakeField(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> field)
    {
        var space = rest.IndexOf((byte)' ');
        field = space > 0 ? rest[..space] : default;
        rest = space > 0 ? rest[(space + 1)..] : default;
        return space > 0;
    }

    private static bool TryParseAddress(ReadOnlySpan<byte> text, ProxyAddressFamily family, out IPAddress address)
    {
        address = IPAddress.None;
        if (family == ProxyAddressFamily.Inet)
        {
            Span<byte> octets = stackalloc byte[4];
            if (!Ipv4Text.TryParseDottedQuad(text, octets))
            {
                return false;
            }

            address = new IPAddress(octets);
            return true;
        }

        // IPv6 in its text form: hex digits, colons, and an embedded dotted quad at most; no zone index.
        if (text.IsEmpty || text.Length > 45 || text.IndexOf((byte)':') < 0 || text.IndexOfAnyExcept(Ipv6Characters) >= 0)
        {
            return false;
        }

        Span<char> chars = stackalloc char[45];
        for (var i = 0; i < text.Length; i++)
        {
            chars[i] = (char)text[i];
        }

        return IPAddress.TryParse(chars[..text.Length], out address!) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    private static bool TryParsePort(ReadOnlySpan<byte> text, out int port)
    {
        port = 0;
        if (text.IsEmpty || text.Length > 5)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            port = (port * 10) + (c - '0');
        }

        return port <= 65535;
    }

    private static ProxyHeaderStatus ReadV2(ReadOnlySpan<byte> data, int maxLength, out ProxyHeader? header, out int length)
    {
        header = null;
        length = 0;
        if (data.Length < V2FixedLength)
        {
            return ProxyHeaderStatus.NeedMoreData;
        }

        var versionCommand = data[12];
        if (versionCommand >> 4 != 2 || (versionCommand & 0x0F) > 1)
        {
            return ProxyHeaderStatus.Invalid;
        }

        var total = V2FixedLength + BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        if (total > maxLength)
        {
            return ProxyHeaderStatus.Invalid;
        }

        if (data.Length < total)
        {
            return ProxyHeaderStatus.NeedMoreData;
        }

        var command = (ProxyCommand)(versionCommand & 0x0F);
        var family = (ProxyAddressFamily)(data[13] >> 4);
        var transport = data[13] & 0x0F;
        if ((int)family > 3 || transport > 2)
        {
            return ProxyHeaderStatus.Invalid;
        }

        var body = data[V2FixedLength..total];
        var block = family switch
        {
            ProxyAddressFamily.Inet => InetBlock,
            ProxyAddressFamily.Inet6 => Inet6Block,
            ProxyAddressFamily.Unix => UnixBlock,
            _ => 0,
        };
        if (body.Length < block)
        {
            return ProxyHeaderStatus.Invalid;
        }

        IPEndPoint? source = null;
        IPEndPoint? destination = null;
        if (command == ProxyCommand.Proxy && transport == 1)
        {
            if (family == ProxyAddressFamily.Inet)
            {
                source = new IPEndPoint(new IPAddress(body[..4]), BinaryPrimitives.ReadUInt16BigEndian(body[8..]));
                destination = new IPEndPoint(new IPAddress(body[4..8]), BinaryPrimitives.ReadUInt16BigEndian(body[10..]));
            }
            else if (family == ProxyAddressFamily.Inet6)
            {
                source = new IPEndPoint(new IPAddress(body[..16]), BinaryPrimitives.ReadUInt16BigEndian(body[32..]));
                destination = new IPEndPoint(new IPAddress(body[16..32]), BinaryPrimitives.ReadUInt16BigEndian(body[34..]));
            }
        }

        var tlvs = new List<ProxyTlv>();
        var sslTlvs = new List<ProxyTlv>();
        var tlvStart = V2FixedLength + block;
        if (!ReadTlvs(data[..total], tlvStart, tlvs, topLevel: true))
        {
            return ProxyHeaderStatus.Invalid;
        }

        var ssl = tlvs.FindIndex(t => t.Type == ProxyTlvType.Ssl);
        var sslClient = ProxySslClientFlags.None;
        uint sslVerify = 0;
        if (ssl >= 0)
        {
            var value = tlvs[ssl].Value;
            if (value.Length < 5 || !ReadTlvs(value, 5, sslTlvs, topLevel: false))
            {
                return ProxyHeaderStatus.Invalid;
            }

            sslClient = (ProxySslClientFlags)value[0];
            sslVerify = BinaryPrimitives.ReadUInt32BigEndian(value.AsSpan(1));
        }

        length = total;
        header = new ProxyHeader
        {
            Version = 2,
            Command = command,
            Family = family,
            Source = source,
            Destination = destination,
            Tlvs = tlvs,
            SslTlvs = sslTlvs,
            HasSsl = ssl >= 0,
            SslClient = sslClient,
            SslVerify = sslVerify,
        };
        return ProxyHeaderStatus.Complete;
    }

    /// <summary>
    /// Reads the TLVs of <paramref name="data"/> from <paramref name="offset"/> to its end. False when one overruns
    /// the end, breaks a length rule, or a CRC32c TLV does not match the header (checked on the top level only).
    /// </summary>
    private static bool ReadTlvs(ReadOnlySpan<byte> data, int offset, List<ProxyTlv> tlvs, bool topLevel)
    {
        var position = offset;
        while (position < data.Length)
        {
            if (data.Length - position < 3)
            {
                return false;
            }

            var type = data[position];
            var valueLength = BinaryPrimitives.ReadUInt16BigEndian(data[(position + 1)..]);
            var valueStart = position + 3;
            if (data.Length - valueStart < valueLength)
            {
                return false;
            }

            var value = data.Slice(valueStart, valueLength);
            var valid = type switch
            {
                ProxyTlvType.Crc32c => !topLevel || (valueLength == 4 && Crc32c(data, valueStart) == BinaryPrimitives.ReadUInt32BigEndian(value)),
                ProxyTlvType.UniqueId => valueLength <= MaxUniqueIdLength,
                ProxyTlvType.Authority => valueLength <= MaxAuthorityLength,
                _ => true,
            };
            if (!valid)
            {
                return false;
            }

            if (type != ProxyTlvType.Noop)
            {
                tlvs.Add(new ProxyTlv(type, value.ToArray()));
            }

            position = valueStart + valueLength;
        }

        return true;
    }

    /// <summary>CRC32c of the whole header with the four bytes at <paramref name="zeroedAt"/> taken as zeros.</summary>
    public static uint Crc32c(ReadOnlySpan<byte> header, int zeroedAt)
    {
        var crc = uint.MaxValue;
        for (var i = 0; i < header.Length; i++)
        {
            var b = i >= zeroedAt && i < zeroedAt + 4 ? (byte)0 : header[i];
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
