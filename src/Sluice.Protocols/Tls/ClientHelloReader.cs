using System.Buffers.Binary;

namespace Sluice.Protocols.Tls;

/// <summary>What <see cref="ClientHelloReader.Read"/> found at the start of a connection.</summary>
public enum ClientHelloStatus
{
    /// <summary>The first record is not complete yet; <see cref="ClientHello.RecordLength"/> says how many bytes it needs (once known).</summary>
    Incomplete = 0,
    /// <summary>A whole ClientHello was read; its fields are set.</summary>
    Complete = 1,
    /// <summary>The bytes are not a TLS handshake record, or the ClientHello does not fit in its first record.</summary>
    NotAClientHello = 2,
}

/// <summary>The fields of a ClientHello, as ranges of the input given to <see cref="ClientHelloReader.Read"/>.</summary>
public readonly struct ClientHello
{
    public ClientHello(int recordLength, Range serverName, Range alpnList)
    {
        RecordLength = recordLength;
        ServerName = serverName;
        AlpnList = alpnList;
    }

    /// <summary>The first record's length, header included (0 until its header has arrived).</summary>
    public int RecordLength { get; }

    /// <summary>The host_name of the server_name extension (RFC 6066 §3); empty when absent.</summary>
    public Range ServerName { get; }

    /// <summary>The ProtocolNameList of the ALPN extension (RFC 7301 §3.1), each name with its length byte; empty when absent.</summary>
    public Range AlpnList { get; }
}

/// <summary>
/// Reads the SNI and ALPN offer of a TLS ClientHello (RFC 8446 §4.1.2, also TLS 1.2's) from the first record of
/// a connection, without a handshake: for choices made before it (certificate, ALPN fallback) and tcp-mode rules.
/// Pure: bytes in, ranges out.
/// </summary>
/// <remarks>
/// <code>
/// record:    type(1)=22 | legacy_version(2) | length(2) | handshake...
/// handshake: type(1)=1  | length(3) | legacy_version(2) | random(32) | session_id(1+n)
///            | cipher_suites(2+n) | compression_methods(1+n) | extensions(2+n): { type(2) | length(2) | data }*
/// </code>
/// A ClientHello split over several records is reported as <see cref="ClientHelloStatus.NotAClientHello"/>: the
/// handshake then goes on without what this reader would have told.
/// </remarks>
public static class ClientHelloReader
{
    public const int RecordHeaderLength = 5;

    /// <summary>RFC 8446 §5.1: a plaintext record carries at most 2^14 bytes.</summary>
    public const int MaxRecordLength = RecordHeaderLength + 16384;

    private const byte HandshakeRecord = 22;
    private const byte ClientHelloType = 1;
    private const ushort ServerNameExtension = 0;
    private const ushort AlpnExtension = 16;

    public static ClientHelloStatus Read(ReadOnlySpan<byte> input, out ClientHello hello)
    {
        hello = default;
        if (input.Length == 0)
        {
            return ClientHelloStatus.Incomplete;
        }

        if (input[0] != HandshakeRecord)
        {
            return ClientHelloStatus.NotAClientHello;
        }

        if (input.Length < RecordHeaderLength)
        {
            return ClientHelloStatus.Incomplete;
        }

        var recordLength = RecordHeaderLength + BinaryPrimitives.ReadUInt16BigEndian(input[3..]);
        if (recordLength > MaxRecordLength)
        {
            return ClientHelloStatus.NotAClientHello;
        }

        hello = new ClientHello(recordLength, default, default);
        if (input.Length < recordLength)
        {
            return ClientHelloStatus.Incomplete;
        }

        var record = input[RecordHeaderLength..recordLength];
        if (record.Length < 4 || record[0] != ClientHelloType)
        {
            return ClientHelloStatus.NotAClientHello;
        }

        var bodyLength = (record[1] << 16) | (record[2] << 8) | record[3];
        if (bodyLength > record.Length - 4)
        {
            return ClientHelloStatus.NotAClientHello;
        }

        var position = RecordHeaderLength + 4;
        var end = position + bodyLength;
        // legacy_version and random, then the three vectors before the extensions.
        position += 2 + 32;
        if (!Skip(input, ref position, end, 1) || !Skip(input, ref position, end, 2) || !Skip(input, ref position, end, 1))
        {
            return ClientHelloStatus.NotAClientHello;
        }

        Range serverName = default;
        Range alpn = default;
        if (position + 2 <= end)
        {
            var extensionsEnd = position + 2 + BinaryPrimitives.ReadUInt16BigEndian(input[position..]);
            position += 2;
            if (extensionsEnd > end)
            {
                return ClientHelloStatus.NotAClientHello;
            }

            while (position + 4 <= extensionsEnd)
            {
                var type = BinaryPrimitives.ReadUInt16BigEndian(input[position..]);
                var length = BinaryPrimitives.ReadUInt16BigEndian(input[(position + 2)..]);
                var data = position + 4;
                if (data + length > extensionsEnd)
                {
                    return ClientHelloStatus.NotAClientHello;
                }

                if (type == ServerNameExtension)
                {
                    serverName = HostName(input, data, data + length);
                }
                else if (type == AlpnExtension && length >= 2)
                {
                    var listLength = BinaryPrimitives.ReadUInt16BigEndian(input[data..]);
                    if (listLength <= length - 2)
                    {
                        alpn = new Range(data + 2, data + 2 + listLength);
                    }
                }

                position = data + length;
            }
        }

        hello = new ClientHello(recordLength, serverName, alpn);
        return ClientHelloStatus.Complete;
    }

    /// <summary>
    /// True when a ProtocolNameList (as <see cref="ClientHello.AlpnList"/> delimits it) holds <paramref name="name"/>.
    /// </summary>
    public static bool AlpnListContains(ReadOnlySpan<byte> list, ReadOnlySpan<byte> name)
    {
        while (list.Length > 0)
        {
            var length = list[0];
            if (length + 1 > list.Length)
            {
                return false;
            }

            if (list.Slice(1, length).SequenceEqual(name))
            {
                return true;
            }

            list = list[(1 + length)..];
        }

        return false;
    }

    /// <summary>RFC 6066 §3: ServerNameList { name_type(1)=0 host_name(2+n) }; the first host_name.</summary>
    private static Range HostName(ReadOnlySpan<byte> input, int start, int end)
    {
        if (start + 2 > end)
        {
            return default;
        }

        var position = start + 2;
        while (position + 3 <= end)
        {
            var nameType = input[position];
            var length = BinaryPrimitives.ReadUInt16BigEndian(input[(position + 1)..]);
            if (position + 3 + length > end)
            {
                return default;
            }

            if (nameType == 0)
            {
                return new Range(position + 3, position + 3 + length);
            }

            position += 3 + length;
        }

        return default;
    }

    /// <summary>Skips a vector whose length takes <paramref name="lengthBytes"/> bytes.</summary>
    private static bool Skip(ReadOnlySpan<byte> input, ref int position, int end, int lengthBytes)
    {
        if (position + lengthBytes > end)
        {
            return false;
        }

        var length = lengthBytes == 1 ? input[position] : BinaryPrimitives.ReadUInt16BigEndian(input[position..]);
        position += lengthBytes + length;
        return position <= end;
    }
}
