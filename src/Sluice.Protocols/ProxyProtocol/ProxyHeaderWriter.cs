using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sluice.Protocols.ProxyProtocol;

/// <summary>
/// Writes PROXY protocol headers for a server connection (`send-proxy`, `send-proxy-v2`). Mixed families are
/// sent as IPv6 with the IPv4 address mapped; addresses that are not IP (unix sockets) are sent as UNKNOWN (v1)
/// or an unspecified family (v2), so the receiver keeps the connection's own.
/// </summary>
public static class ProxyHeaderWriter
{
    /// <summary>The v1 header for a client at <paramref name="source"/> that reached <paramref name="destination"/>.</summary>
    public static byte[] WriteV1(EndPoint? source, EndPoint? destination)
    {
        if (!TryPair(source, destination, out var src, out var dst))
        {
            return "PROXY UNKNOWN\r\n"u8.ToArray();
        }

        var family = src.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        return Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"PROXY {family} {src.Address} {dst.Address} {src.Port} {dst.Port}\r\n"));
    }

    /// <summary>
    /// The v2 header. With <paramref name="crc32c"/> a CRC32c TLV comes first and holds the checksum of the whole
    /// header; the other TLVs follow in the order given.
    /// </summary>
    public static byte[] WriteV2(ProxyCommand command, EndPoint? source, EndPoint? destination, IReadOnlyList<ProxyTlv> tlvs, bool crc32c)
    {
        var paired = TryPair(source, destination, out var src, out var dst);
        var block = !paired ? 0 : src.AddressFamily == AddressFamily.InterNetwork ? 12 : 36;
        var length = ProxyHeaderReader.V2FixedLength + block + (crc32c ? 7 : 0);
        foreach (var tlv in tlvs)
        {
            length += 3 + tlv.Value.Length;
        }

        if (length - ProxyHeaderReader.V2FixedLength > ushort.MaxValue)
        {
            throw new ArgumentException("The TLVs do not fit in a PROXY v2 header.", nameof(tlvs));
        }

        var header = new byte[length];
        var span = header.AsSpan();
        ProxyHeaderReader.V2Signature.CopyTo(span);
        span[12] = (byte)(0x20 | (int)command);
        span[13] = !paired ? (byte)0x00 : src.AddressFamily == AddressFamily.InterNetwork ? (byte)0x11 : (byte)0x21;
        BinaryPrimitives.WriteUInt16BigEndian(span[14..], (ushort)(length - ProxyHeaderReader.V2FixedLength));
        var position = ProxyHeaderReader.V2FixedLength;
        if (paired)
        {
            var size = block == 12 ? 4 : 16;
            src.Address.TryWriteBytes(span[position..], out _);
            dst.Address.TryWriteBytes(span[(position + size)..], out _);
            BinaryPrimitives.WriteUInt16BigEndian(span[(position + (2 * size))..], (ushort)src.Port);
            BinaryPrimitives.WriteUInt16BigEndian(span[(position + (2 * size) + 2)..], (ushort)dst.Port);
            position += block;
        }

        var crcAt = -1;
        if (crc32c)
        {
            span[position] = ProxyTlvType.Crc32c;
            BinaryPrimitives.WriteUInt16BigEndian(span[(position + 1)..], 4);
            crcAt = position + 3;
            position += 7;
        }

        foreach (var tlv in tlvs)
        {
            position = WriteTlv(span, position, tlv.Type, tlv.Value);
        }

        if (crcAt >= 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(span[crcAt..], ProxyHeaderReader.Crc32c(span, crcAt));
        }

        return header;
    }

    /// <summary>The value of a PP2_TYPE_SSL TLV: the client flags, the verify result, then the sub-TLVs.</summary>
    public static byte[] SslValue(ProxySslClientFlags client, uint verify, IReadOnlyList<ProxyTlv> subTlvs)
    {
        var length = 5;
        foreach (var tlv in subTlvs)
        {
            length += 3 + tlv.Value.Length;
        }

        var value = new byte[length];
        value[0] = (byte)client;
        BinaryPrimitives.WriteUInt32BigEndian(value.AsSpan(1), verify);
        var position = 5;
        foreach (var tlv in subTlvs)
        {
            position = WriteTlv(value, position, tlv.Type, tlv.Value);
        }

        return value;
    }

    private static int WriteTlv(Span<byte> span, int position, byte type, ReadOnlySpan<byte> value)
    {
        span[position] = type;
        BinaryPrimitives.WriteUInt16BigEndian(span[(position + 1)..], (ushort)value.Length);
        value.CopyTo(span[(position + 3)..]);
        return position + 3 + value.Length;
    }

    /// <summary>
    /// Both addresses as one family: IPv4-mapped IPv6 addresses go back to IPv4 first, then a remaining mix is
    /// sent as IPv6. False when either is not an IP address.
    /// </summary>
    private static bool TryPair(EndPoint? source, EndPoint? destination, out IPEndPoint src, out IPEndPoint dst)
    {
        src = dst = null!;
        if (source is not IPEndPoint s || destination is not IPEndPoint d)
        {
            return false;
        }

        var sa = s.Address.IsIPv4MappedToIPv6 ? s.Address.MapToIPv4() : s.Address;
        var da = d.Address.IsIPv4MappedToIPv6 ? d.Address.MapToIPv4() : d.Address;
        if (sa.AddressFamily != da.AddressFamily)
        {
            sa = sa.MapToIPv6();
            da = da.MapToIPv6();
        }

        src = new IPEndPoint(sa, s.Port);
        dst = new IPEndPoint(da, d.Port);
        return true;
    }
}
