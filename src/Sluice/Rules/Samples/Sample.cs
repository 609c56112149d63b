using System.Buffers.Text;
using System.Net;
using System.Text;

namespace Sluice.Rules.Samples;

/// <summary>The types a sample can have, as in HAProxy (configuration.txt §7.1).</summary>
internal enum SampleType : byte
{
    /// <summary>No value: the fetch found nothing.</summary>
    None = 0,
    Bool,
    Int,
    /// <summary>An IPv4 or IPv6 address in <see cref="Sample.Address"/>.</summary>
    Address,
    Str,
    Bin,
}

/// <summary>
/// One value produced by a fetch and transformed by converters. Strings and binaries are a slice of a byte
/// array that someone else owns (a message's header arena, the configuration, or the evaluation's scratch
/// space), so passing samples around copies nothing.
/// </summary>
internal readonly struct Sample
{
    private Sample(SampleType type, long integer, byte[]? buffer, int offset, int length, IPAddress? address)
    {
        Type = type;
        Integer = integer;
        Buffer = buffer;
        Offset = offset;
        Length = length;
        Address = address;
    }

    public SampleType Type { get; }

    /// <summary>The value of an <see cref="SampleType.Int"/>, or 0/1 for a <see cref="SampleType.Bool"/>.</summary>
    public long Integer { get; }

    public byte[]? Buffer { get; }

    public int Offset { get; }

    public int Length { get; }

    public IPAddress? Address { get; }

    public bool IsText => Type is SampleType.Str or SampleType.Bin;

    public ReadOnlySpan<byte> Bytes => Buffer is null ? default : Buffer.AsSpan(Offset, Length);

    public static Sample None => default;

    public static Sample FromBool(bool value) => new(SampleType.Bool, value ? 1 : 0, null, 0, 0, null);

    public static Sample FromInt(long value) => new(SampleType.Int, value, null, 0, 0, null);

    public static Sample FromAddress(IPAddress address) => new(SampleType.Address, 0, null, 0, 0, address);

    public static Sample FromString(byte[] buffer, int offset, int length) => new(SampleType.Str, 0, buffer, offset, length, null);

    public static Sample FromString(byte[] buffer) => new(SampleType.Str, 0, buffer, 0, buffer.Length, null);

    public static Sample FromBinary(byte[] buffer, int offset, int length) => new(SampleType.Bin, 0, buffer, offset, length, null);

    public Sample AsBinary() => new(SampleType.Bin, 0, Buffer, Offset, Length, null);

    public Sample Slice(int start, int length) => new(Type, 0, Buffer, Offset + start, length, null);

    /// <summary>The truth of the sample for `-m bool` and conditions: non-zero numbers, non-empty text.</summary>
    public bool IsTrue => Type switch
    {
        SampleType.Bool or SampleType.Int => Integer != 0,
        SampleType.Str or SampleType.Bin => Length > 0,
        SampleType.Address => true,
        _ => false,
    };

    /// <summary>Reads the sample as an integer (HAProxy's str-to-int cast reads leading digits with a sign).</summary>
    public bool TryGetInteger(out long value)
    {
        switch (Type)
        {
            case SampleType.Bool or SampleType.Int:
                value = Integer;
                return true;
            case SampleType.Str or SampleType.Bin:
                return TryParseLeadingInteger(Bytes, out value);
            case SampleType.Address when Address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetwork } v4:
                Span<byte> bytes = stackalloc byte[4];
                v4.TryWriteBytes(bytes, out _);
                value = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
                return true;
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>Reads an address from the sample: itself, or a textual IPv4/IPv6 address.</summary>
    public bool TryGetAddress(out IPAddress? address)
    {
        if (Type == SampleType.Address)
        {
            address = Address;
            return true;
        }

        address = null;
        if (!IsText || Length == 0 || Length > 64)
        {
            return false;
        }

        Span<char> chars = stackalloc char[Length];
        Encoding.Latin1.GetChars(Bytes, chars);
        return IPAddress.TryParse(chars, out address);
    }

    /// <summary>
    /// HAProxy's str-to-int: optional sign then digits; anything after the digits is ignored, and a text
    /// without digits reads as 0 (`read_int64`). Only an empty text has no integer value.
    /// </summary>
    public static bool TryParseLeadingInteger(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        var i = 0;
        var negative = false;
        if (i < text.Length && text[i] is (byte)'-' or (byte)'+')
        {
            negative = text[i] == '-';
            i++;
        }

        while (i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9')
        {
            if (value > (long.MaxValue - 9) / 10)
            {
                return false;
            }

            value = value * 10 + (text[i] - '0');
            i++;
        }

        value = negative ? -value : value;
        return true;
    }

    /// <summary>Writes the sample as text: integers in decimal, addresses in their usual form, text as is.</summary>
    public bool TryFormat(Span<byte> destination, out int written)
    {
        switch (Type)
        {
            case SampleType.Bool or SampleType.Int:
                return Utf8Formatter.TryFormat(Integer, destination, out written);
            case SampleType.Address:
                return Address!.TryFormat(destination, out written);
            case SampleType.Str or SampleType.Bin:
                written = Length;
                return Bytes.TryCopyTo(destination);
            default:
                written = 0;
                return true;
        }
    }

    /// <summary>For tests and messages (allocates).</summary>
    public override string ToString() => Type switch
    {
        SampleType.None => "<none>",
        SampleType.Bool => Integer != 0 ? "true" : "false",
        SampleType.Int => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        SampleType.Address => Address!.ToString(),
        _ => Encoding.Latin1.GetString(Bytes),
    };
}
