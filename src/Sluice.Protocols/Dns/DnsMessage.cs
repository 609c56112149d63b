using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Sluice.Protocols.Dns;

/// <summary>The record types a resolution asks for (RFC 1035 §3.2.2, RFC 3596).</summary>
public enum DnsRecordType : ushort
{
    A = 1,
    Cname = 5,
    Aaaa = 28,
    /// <summary>RFC 2782: a service's targets, each with a priority, a weight and a port.</summary>
    Srv = 33,
    Opt = 41,
}

/// <summary>The response codes a resolution tells apart (RFC 1035 §4.1.1).</summary>
public enum DnsResponseCode
{
    NoError = 0,
    FormatError = 1,
    ServerFailure = 2,
    NameError = 3,
    NotImplemented = 4,
    Refused = 5,
}

/// <summary>What a response said about the name asked for.</summary>
/// <param name="Addresses">The A or AAAA records of the answer section, for a query of that type.</param>
/// <param name="Services">The SRV records of the answer section, for an SRV query.</param>
/// <param name="Additional">The A and AAAA records of the additional section, for an SRV query.</param>
public readonly record struct DnsAnswer(DnsResponseCode Code, bool Truncated, IReadOnlyList<IPAddress> Addresses,
    IReadOnlyList<DnsService> Services, IReadOnlyList<DnsNamedAddress> Additional);

/// <summary>An SRV record (RFC 2782): the target host name as the response spells it, without the final dot.</summary>
public readonly record struct DnsService(int Priority, int Weight, int Port, string Target);

/// <summary>An A or AAAA record of the additional section, with the name it is for.</summary>
public readonly record struct DnsNamedAddress(string Name, IPAddress Address);

/// <summary>
/// The two DNS messages a resolver needs (RFC 1035 §4): a query for one name and type, with recursion desired and
/// an EDNS0 OPT record announcing the accepted payload size (RFC 6891), and the parse of its response: the code,
/// the truncation bit and the addresses of the type asked for in the answer section (those a CNAME chain leads to
/// included). Names may be compressed; a malformed message is refused, never read past its end.
/// </summary>
public static class DnsMessage
{
    private const int HeaderLength = 12;
    private const int MaxNameLength = 255;

    /// <summary>The longest query <see cref="WriteQuery"/> writes: header, a name of 255 bytes, type, class and the OPT record.</summary>
    public const int MaxQueryLength = HeaderLength + MaxNameLength + 1 + 4 + 11;

    /// <summary>Writes a query for <paramref name="name"/>; returns its length, or 0 when the name cannot be asked for.</summary>
    /// <param name="payloadSize">The UDP payload size announced by an OPT record; 0 for none.</param>
    public static int WriteQuery(Span<byte> destination, ushort id, string name, DnsRecordType type, int payloadSize)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0x0100); // a standard query, recursion desired
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[8..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[10..], (ushort)(payloadSize > 0 ? 1 : 0));
        var at = HeaderLength;
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            if (label.Length is 0 or > 63 || at + 1 + label.Length > HeaderLength + MaxNameLength || !Ascii.IsValid(label))
            {
                return 0;
            }

            destination[at++] = (byte)label.Length;
            at += Encoding.ASCII.GetBytes(label, destination[at..]);
        }

        destination[at++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 2)..], 1); // IN
        at += 4;
        if (payloadSize > 0)
        {
            destination[at++] = 0; // the root name
            BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)DnsRecordType.Opt);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 2)..], (ushort)Math.Min(payloadSize, ushort.MaxValue));
            BinaryPrimitives.WriteUInt32BigEndian(destination[(at + 4)..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(at + 8)..], 0);
            at += 10;
        }

        return at;
    }

    /// <summary>The id of a message, or null when it is too short to be one.</summary>
    public static ushort? IdOf(ReadOnlySpan<byte> message) =>
        message.Length >= HeaderLength ? BinaryPrimitives.ReadUInt16BigEndian(message) : null;

    /// <summary>
    /// Reads the response to a query of <paramref name="type"/>; null when it is no response or is malformed.
    /// The records keep the order of their section.
    /// </summary>
    public static DnsAnswer? ReadResponse(ReadOnlySpan<byte> message, DnsRecordType type)
    {
        if (message.Length < HeaderLength)
        {
            return null;
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if ((flags & 0x8000) == 0)
        {
            return null;
        }

        var code = (DnsResponseCode)(flags & 0x000F);
        var truncated = (flags & 0x0200) != 0;
        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var authorities = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var additionals = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        var at = HeaderLength;
        for (var i = 0; i < questions; i++)
        {
            if (SkipName(message, at) is not { } next || next + 4 > message.Length)
            {
                return null;
            }

            at = next + 4;
        }

        var addresses = new List<IPAddress>();
        var services = new List<DnsService>();
        for (var i = 0; i < answers; i++)
        {
            if (ReadRecord(message, ref at) is not var (recordType, data, length))
            {
                return null;
            }

            if (recordType == type && recordType is DnsRecordType.A or DnsRecordType.Aaaa && AddressOf(message.Slice(data, length), recordType) is { } address)
            {
                addresses.Add(address);
            }
            else if (recordType == type && recordType == DnsRecordType.Srv)
            {
                // Priority, weight and port, then the target: a name that may not run past the record.
                if (length <= 6 || ReadName(message, data + 6, out var target) is not { } end || end > data + length)
                {
                    return null;
                }

                services.Add(new DnsService(
                    BinaryPrimitives.ReadUInt16BigEndian(message[data..]),
                    BinaryPrimitives.ReadUInt16BigEndian(message[(data + 2)..]),
                    BinaryPrimitives.ReadUInt16BigEndian(message[(data + 4)..]),
                    target));
            }
        }

        var additional = new List<DnsNamedAddress>();
        if (type == DnsRecordType.Srv)
        {
            for (var i = 0; i < authorities + additionals; i++)
            {
                var owner = at;
                if (ReadRecord(message, ref at) is not var (recordType, data, length))
                {
                    return null;
                }

                if (i >= authorities && recordType is DnsRecordType.A or DnsRecordType.Aaaa
                    && AddressOf(message.Slice(data, length), recordType) is { } address && ReadName(message, owner, out var name) is not null)
                {
                    additional.Add(new DnsNamedAddress(name, address));
                }
            }
        }

        return new DnsAnswer(code, truncated, addresses, services, additional);
    }

    /// <summary>Reads the record at <paramref name="at"/> and moves past it: its type, and where its data starts and how long it is.</summary>
    private static (DnsRecordType Type, int Data, int Length)? ReadRecord(ReadOnlySpan<byte> message, ref int at)
    {
        if (SkipName(message, at) is not { } next || next + 10 > message.Length)
        {
            return null;
        }

        var recordType = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(message[next..]);
        var length = BinaryPrimitives.ReadUInt16BigEndian(message[(next + 8)..]);
        var data = next + 10;
        if (data + length > message.Length)
        {
            return null;
        }

        at = data + length;
        return (recordType, data, length);
    }

    private static IPAddress? AddressOf(ReadOnlySpan<byte> data, DnsRecordType type) => (type, data.Length) switch
    {
        (DnsRecordType.A, 4) or (DnsRecordType.Aaaa, 16) => new IPAddress(data),
        _ => null,
    };

    /// <summary>
    /// Reads the name at <paramref name="at"/>, following compression pointers (each to an earlier offset, so a loop
    /// cannot be made); returns the offset after the name where it is written, or null when malformed.
    /// </summary>
    internal static int? ReadName(ReadOnlySpan<byte> message, int at, out string name)
    {
        name = string.Empty;
        Span<byte> text = stackalloc byte[MaxNameLength + 1];
        var written = 0;
        int? end = null;
        var position = at;
        while (position < message.Length)
        {
            var size = message[position];
            if ((size & 0xC0) == 0xC0)
            {
                if (position + 1 >= message.Length)
                {
                    return null;
                }

                var target = ((size & 0x3F) << 8) | message[position + 1];
                end ??= position + 2;
                if (target >= position)
                {
                    return null;
                }

                position = target;
                continue;
            }

            if ((size & 0xC0) != 0)
            {
                return null;
            }

            if (size == 0)
            {
                name = Encoding.ASCII.GetString(text[..Math.Max(0, written - 1)]);
                return end ?? position + 1;
            }

            if (position + 1 + size > message.Length || written + size + 1 > MaxNameLength)
            {
                return null;
            }

            message.Slice(position + 1, size).CopyTo(text[written..]);
            written += size;
            text[written++] = (byte)'.';
            position += 1 + size;
        }

        return null;
    }

    /// <summary>The offset after the name at <paramref name="at"/> (labels, ending with a zero or a pointer); null when malformed.</summary>
    private static int? SkipName(ReadOnlySpan<byte> message, int at)
    {
        var length = 0;
        while (at < message.Length)
        {
            var size = message[at];
            if ((size & 0xC0) == 0xC0)
            {
                return at + 2 <= message.Length ? at + 2 : null;
            }

            if ((size & 0xC0) != 0)
            {
                return null;
            }

            at += 1 + size;
            if (size == 0)
            {
                return at;
            }

            length += 1 + size;
            if (length > MaxNameLength)
            {
                return null;
            }
        }

        return null;
    }
}
