using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Rules.Acls;

namespace Sluice.Rules.Samples;

/// <summary>A converter keyword: how many arguments it takes and how it is compiled.</summary>
internal sealed record ConverterDefinition(string Name, int MaxArguments, Func<SampleArguments, SampleConverter?> Create);

/// <summary>Writes a converter's output; returns the bytes written, or -1 when the result does not exist.</summary>
internal delegate int TextTransform(ReadOnlySpan<byte> input, Span<byte> output);

/// <summary>A converter from text to text whose output size is bounded by a function of the input's.</summary>
internal sealed class TextConverter(SampleType input, SampleType output, Func<int, int> maxOutput, TextTransform transform) : SampleConverter
{
    public override SampleType InputType => input;

    public override SampleType OutputType => output;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        var room = maxOutput(sample.Length);
        if (!ctx.TryReserve(room, out var buffer, out var offset))
        {
            return false;
        }

        var written = transform(sample.Bytes, buffer.AsSpan(offset, room));
        ctx.Shrink(room - Math.Max(0, written));
        if (written < 0)
        {
            return false;
        }

        sample = output == SampleType.Bin ? Sample.FromBinary(buffer, offset, written) : Sample.FromString(buffer, offset, written);
        return true;
    }
}

/// <summary>A converter that only narrows a text (a slice of its input), so it needs no scratch space.</summary>
internal sealed class SliceConverter(Func<ReadOnlySpan<byte>, Range?> select) : SampleConverter
{
    public override SampleType InputType => SampleType.Str;

    public override SampleType OutputType => SampleType.Str;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        if (select(sample.Bytes) is not { } range)
        {
            return false;
        }

        var (start, length) = range.GetOffsetAndLength(sample.Length);
        sample = sample.Slice(start, length);
        return true;
    }
}

/// <summary>A converter from integer to integer (or bool).</summary>
internal sealed class IntegerConverter(SampleType output, Func<SampleContext, long, long?> apply) : SampleConverter
{
    public override SampleType InputType => SampleType.Int;

    public override SampleType OutputType => output;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        if (apply(ctx, sample.Integer) is not { } value)
        {
            return false;
        }

        sample = output == SampleType.Bool ? Sample.FromBool(value != 0) : Sample.FromInt(value);
        return true;
    }
}

/// <summary>Every converter keyword Sluice knows (configuration.txt §7.3.1), by name.</summary>
internal static class SampleConverterTable
{
    private static readonly Dictionary<string, ConverterDefinition> Definitions = Build();

    public static ConverterDefinition? Find(string name) => Definitions.GetValueOrDefault(name);

    public static IEnumerable<string> Names => Definitions.Keys;

    private static Dictionary<string, ConverterDefinition> Build()
    {
        var table = new Dictionary<string, ConverterDefinition>(StringComparer.Ordinal);
        void Add(string name, int maxArgs, Func<SampleArguments, SampleConverter?> create) => table[name] = new ConverterDefinition(name, maxArgs, create);
        void Text(string name, SampleType input, SampleType output, Func<int, int> size, TextTransform transform)
        {
            var converter = new TextConverter(input, output, size, transform);
            Add(name, 0, _ => converter);
        }

        void Arithmetic(string name, Func<long, long, long?> apply) => Add(name, 1, a =>
        {
            var operand = Operand(a);
            return operand is null ? null : new IntegerConverter(SampleType.Int, (ctx, v) => operand(ctx) is { } o ? apply(v, o) : null);
        });

        Text("lower", SampleType.Str, SampleType.Str, n => n, (i, o) => Ascii.ToLower(i, o, out var w) == System.Buffers.OperationStatus.Done ? w : CopyLower(i, o));
        Text("upper", SampleType.Str, SampleType.Str, n => n, (i, o) => Ascii.ToUpper(i, o, out var w) == System.Buffers.OperationStatus.Done ? w : CopyUpper(i, o));
        Text("hex", SampleType.Bin, SampleType.Str, n => n * 2, (i, o) => Convert.TryToHexString(i, o, out var w) ? w : -1);
        Text("base64", SampleType.Bin, SampleType.Str, n => Base64.GetMaxEncodedToUtf8Length(n), (i, o) => Base64.EncodeToUtf8(i, o, out _, out var w) == System.Buffers.OperationStatus.Done ? w : -1);
        Text("b64dec", SampleType.Str, SampleType.Bin, n => Base64.GetMaxDecodedFromUtf8Length(n), (i, o) => Base64.DecodeFromUtf8(i, o, out _, out var w) == System.Buffers.OperationStatus.Done ? w : -1);
        Text("ub64enc", SampleType.Bin, SampleType.Str, n => Base64.GetMaxEncodedToUtf8Length(n), (i, o) => Base64Url.EncodeToUtf8(i, o, out _, out var w) == System.Buffers.OperationStatus.Done ? w : -1);
        Text("ub64dec", SampleType.Str, SampleType.Bin, n => Base64.GetMaxDecodedFromUtf8Length(n + 3), (i, o) => Base64Url.DecodeFromUtf8(i, o, out _, out var w) == System.Buffers.OperationStatus.Done ? w : -1);
#pragma warning disable CA5350 // `sha1` is a configuration converter computing what the user asks for (fingerprints, ids), not a security decision.
        Text("sha1", SampleType.Bin, SampleType.Bin, _ => 20, (i, o) => SHA1.HashData(i, o));
#pragma warning restore CA5350
        Text("url_dec", SampleType.Str, SampleType.Str, n => n, UrlDecode);
        var urlEncode = new TextConverter(SampleType.Str, SampleType.Str, n => n * 3, UrlEncode);
        Add("url_enc", 1, a =>
        {
            if (a.String(0) is { } type && type != "query")
            {
                a.Fail("Unexpected encode type. Allowed value is 'query'.");
                return null;
            }

            return urlEncode;
        });
        Text("json", SampleType.Str, SampleType.Str, n => n * 6, JsonEscape);
        Add("sha2", 1, a =>
        {
            var bits = a.Integer(0, 256);
            if (bits is not (224 or 256 or 384 or 512))
            {
                a.Fail("Unsupported number of bits: '" + bits + "'");
                return null;
            }

            return new TextConverter(SampleType.Bin, SampleType.Bin, _ => (int)bits / 8, bits switch
            {
                256 => (i, o) => SHA256.HashData(i, o),
                384 => (i, o) => SHA384.HashData(i, o),
                512 => (i, o) => SHA512.HashData(i, o),
                _ => Sha224.HashData,
            });
        });
        Add("length", 0, _ => new TextLengthConverter());
        // The hashes of balancing (HAProxy's hash.c), with its optional `avalanche` argument.
        Add("crc32", 1, a => new HashConverter(Balancing.HashFunctions.Crc32, a.Integer(0, 0) != 0));
        Add("djb2", 1, a => new HashConverter(Balancing.HashFunctions.Djb2, a.Integer(0, 0) != 0));
        Add("wt6", 1, a => new HashConverter(Balancing.HashFunctions.Wt6, a.Integer(0, 0) != 0));
        Add("sdbm", 1, a => new HashConverter(Balancing.HashFunctions.Sdbm, a.Integer(0, 0) != 0));
        Add("bytes", 2, a =>
        {
            var offset = a.RequiredInteger(0);
            var length = a.Integer(1, -1);
            return new BytesConverter(offset, length);
        });
        Add("field", 3, a =>
        {
            var index = (int)a.RequiredInteger(0);
            var delimiters = Encoding.Latin1.GetBytes(a.RequiredString(1));
            var count = (int)a.Integer(2, 1);
            return index == 0 ? Fail(a, "Unexpected value 0 for index") : new SliceConverter(v => Fields(v, index, delimiters, count, words: false));
        });
        Add("word", 3, a =>
        {
            var index = (int)a.RequiredInteger(0);
            var delimiters = Encoding.Latin1.GetBytes(a.RequiredString(1));
            var count = (int)a.Integer(2, 1);
            return index == 0 ? Fail(a, "Unexpected value 0 for index") : new SliceConverter(v => Fields(v, index, delimiters, count, words: true));
        });
        Add("ltrim", 1, a =>
        {
            var chars = Encoding.Latin1.GetBytes(a.RequiredString(0));
            return new SliceConverter(v => new Range(v.Length - v.TrimStart(chars).Length, v.Length));
        });
        Add("rtrim", 1, a =>
        {
            var chars = Encoding.Latin1.GetBytes(a.RequiredString(0));
            return new SliceConverter(v => new Range(0, v.TrimEnd(chars).Length));
        });
        Add("regsub", 3, a =>
        {
            var pattern = a.RequiredString(0);
            var replacement = a.String(1) ?? string.Empty;
            var flags = a.String(2) ?? string.Empty;
            var options = RegexOptions.CultureInvariant | (flags.Contains('i', StringComparison.Ordinal) ? RegexOptions.IgnoreCase : 0);
            Regex regex;
            try
            {
                regex = new Regex(pattern, options);
            }
            catch (ArgumentException ex)
            {
                return Fail(a, $"invalid regex '{pattern}' ({ex.Message})");
            }

            return new RegexSubstituteConverter(regex, ToDotNetReplacement(replacement), flags.Contains('g', StringComparison.Ordinal));
        });
        Add("concat", 3, a =>
        {
            var before = Encoding.Latin1.GetBytes(a.String(0) ?? string.Empty);
            VariableName? variable = null;
            if (a.String(1) is { Length: > 0 } name && VariableNames.TryResolve(name, out variable) is { } error)
            {
                return Fail(a, error);
            }

            var after = Encoding.Latin1.GetBytes(a.String(2) ?? string.Empty);
            return new ConcatConverter(before, variable, after);
        });
        Add("ipmask", 2, a =>
        {
            if (!TryParseMask(a.RequiredString(0), 32, out var v4) || !TryParseMask(a.String(1) ?? "128", 128, out var v6))
            {
                a.FailArgument(0, $"failed to parse '{a.String(0)}' as type 'IPv4 mask' at position 1");
                return null;
            }

            return new IpMaskConverter(v4, v6);
        });
        Add("http_date", 2, HttpDateConverter.Create);
        Add("ltime", 2, a => StrftimeConverter.Create(a, localTime: true));
        Add("utime", 2, a => StrftimeConverter.Create(a, localTime: false));
        Arithmetic("add", (v, o) => v + o);
        Arithmetic("sub", (v, o) => v - o);
        Arithmetic("mul", (v, o) => v * o);
        Arithmetic("div", (v, o) => o == 0 ? long.MaxValue : v / o);
        Arithmetic("mod", (v, o) => o == 0 ? 0 : v % o);
        Arithmetic("and", (v, o) => v & o);
        Arithmetic("or", (v, o) => v | o);
        Arithmetic("xor", (v, o) => v ^ o);
        Add("neg", 0, _ => new IntegerConverter(SampleType.Int, (_, v) => -v));
        Add("cpl", 0, _ => new IntegerConverter(SampleType.Int, (_, v) => ~v));
        Add("not", 0, _ => new IntegerConverter(SampleType.Bool, (_, v) => v == 0 ? 1 : 0));
        Add("bool", 0, _ => new IntegerConverter(SampleType.Bool, (_, v) => v != 0 ? 1 : 0));
        Add("odd", 0, _ => new IntegerConverter(SampleType.Bool, (_, v) => v & 1));
        Add("even", 0, _ => new IntegerConverter(SampleType.Bool, (_, v) => (v & 1) == 0 ? 1 : 0));
        Add("set-var", 1, a => VariableConverter(a, set: true));
        Add("unset-var", 1, a => VariableConverter(a, set: false));
        Add("map", 2, a => MapConverter(a, MapMatch.Str));
        foreach (var (suffix, match) in new[] { ("str", MapMatch.Str), ("beg", MapMatch.Beg), ("end", MapMatch.End), ("sub", MapMatch.Sub), ("dir", MapMatch.Dir), ("dom", MapMatch.Dom), ("reg", MapMatch.Reg), ("ip", MapMatch.Ip), ("int", MapMatch.Int) })
        {
            Add("map_" + suffix, 2, a => MapConverter(a, match));
            Add("map_" + suffix + "_int", 2, a => MapConverter(a, match, SampleType.Int));
            Add("map_" + suffix + "_str", 2, a => MapConverter(a, match));
        }

        return table;
    }

    private static SampleConverter? Fail(SampleArguments a, string message)
    {
        a.Fail(message);
        return null;
    }

    /// <summary>The operand of an arithmetic converter: a number, or a variable's value.</summary>
    private static Func<SampleContext, long?>? Operand(SampleArguments a)
    {
        var text = a.RequiredString(0);
        if (long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var constant))
        {
            return _ => constant;
        }

        if (VariableNames.TryResolve(text, out var variable) is { } error)
        {
            a.FailArgument(0, $"failed to parse '{text}' as type 'signed integer' or variable name ({error})");
            return null;
        }

        return ctx => ctx.Variables.TryGet(variable!, out var value) && value.TryGetInteger(out var number) ? number : null;
    }

    private static SampleConverter? VariableConverter(SampleArguments a, bool set)
    {
        if (VariableNames.TryResolve(a.RequiredString(0), out var variable) is { } error)
        {
            return Fail(a, error);
        }

        return new VariableSetConverter(variable!, set);
    }

    private static SampleConverter? MapConverter(SampleArguments a, MapMatch match, SampleType output = SampleType.Str)
    {
        var file = a.RequiredString(0);
        if (a.Error is not null)
        {
            return null;
        }

        var map = MapFile.Load(file, match, output, out var error);
        if (map is null)
        {
            return Fail(a, error!);
        }

        if (output == SampleType.Int)
        {
            foreach (var entry in map.Reference.Current)
            {
                if (!long.TryParse(entry.Value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
                {
                    return Fail(a, $"unable to parse '{entry.Value}' at line {entry.Line} of file '{file}'");
                }
            }
        }

        Sample? fallback = null;
        if (a.String(1) is { } text)
        {
            fallback = output == SampleType.Int && long.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var number)
                ? Sample.FromInt(number)
                : Sample.FromString(Encoding.Latin1.GetBytes(text));
        }

        return new MapConverter(map, output, fallback);
    }

    private static int CopyLower(ReadOnlySpan<byte> input, Span<byte> output)
    {
        for (var i = 0; i < input.Length; i++)
        {
            output[i] = input[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(input[i] | 0x20) : input[i];
        }

        return input.Length;
    }

    private static int CopyUpper(ReadOnlySpan<byte> input, Span<byte> output)
    {
        for (var i = 0; i < input.Length; i++)
        {
            output[i] = input[i] is >= (byte)'a' and <= (byte)'z' ? (byte)(input[i] & ~0x20) : input[i];
        }

        return input.Length;
    }

    /// <summary>Percent-decoding as `url_dec` does: `+` stays (it is only a space in forms); a broken escape fails.</summary>
    private static int UrlDecode(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var w = 0;
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] != '%')
            {
                output[w++] = input[i];
                continue;
            }

            if (i + 2 >= input.Length || !IsHex(input[i + 1]) || !IsHex(input[i + 2]))
            {
                return -1;
            }

            output[w++] = (byte)(HexValue(input[i + 1]) << 4 | HexValue(input[i + 2]));
            i += 2;
        }

        return w;
    }

    /// <summary>`url_enc`: every byte but RFC 3986's unreserved ones (letters, digits, `-._~`) as `%XX`, upper-case, as HAProxy encodes a query.</summary>
    private static int UrlEncode(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var w = 0;
        foreach (var b in input)
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~')
            {
                output[w++] = b;
                continue;
            }

            output[w++] = (byte)'%';
            output[w++] = (byte)"0123456789ABCDEF"[b >> 4];
            output[w++] = (byte)"0123456789ABCDEF"[b & 0xF];
        }

        return w;
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;

    /// <summary>`json`: escapes quotes, backslashes and control characters for a JSON string (the default `ascii` mode).</summary>
    private static int JsonEscape(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var w = 0;
        foreach (var b in input)
        {
            switch (b)
            {
                case (byte)'"' or (byte)'\\' or (byte)'/':
                    output[w++] = (byte)'\\';
                    output[w++] = b;
                    break;
                case (byte)'\n':
                    "\\n"u8.CopyTo(output[w..]);
                    w += 2;
                    break;
                case (byte)'\r':
                    "\\r"u8.CopyTo(output[w..]);
                    w += 2;
                    break;
                case (byte)'\t':
                    "\\t"u8.CopyTo(output[w..]);
                    w += 2;
                    break;
                case < 0x20 or >= 0x7f:
                    "\\u00"u8.CopyTo(output[w..]);
                    Convert.TryToHexStringLower([b], output.Slice(w + 4, 2), out _);
                    w += 6;
                    break;
                default:
                    output[w++] = b;
                    break;
            }
        }

        return w;
    }

    /// <summary>
    /// `field(index,delimiters[,count])` and `word(...)`: fields are separated by any of the delimiters (words
    /// skip empty ones); a negative index counts from the end.
    /// </summary>
    private static Range? Fields(ReadOnlySpan<byte> value, int index, byte[] delimiters, int count, bool words)
    {
        Span<Range> parts = stackalloc Range[64];
        var n = 0;
        var start = 0;
        for (var i = 0; i <= value.Length && n < parts.Length; i++)
        {
            if (i == value.Length || delimiters.AsSpan().Contains(value[i]))
            {
                if (!words || i > start)
                {
                    parts[n++] = new Range(start, i);
                }

                start = i + 1;
            }
        }

        // The fields are numbered 1..n from the start or -1..-n from the end; a count of 0 extends the
        // selection to the end of the text (positive index) or its start (negative index), as HAProxy does.
        var chosen = index > 0 ? index - 1 : n + index;
        if (chosen < 0 || chosen >= n)
        {
            return null;
        }

        if (count <= 0)
        {
            return index > 0 ? new Range(parts[chosen].Start, value.Length) : new Range(0, parts[chosen].End);
        }

        var first = index > 0 ? chosen : Math.Max(0, chosen - count + 1);
        var last = index > 0 ? Math.Min(n - 1, chosen + count - 1) : chosen;
        return new Range(parts[first].Start, parts[last].End);
    }

    /// <summary>HAProxy's `\1` back-references become .NET's `${1}`; a literal `$` is doubled.</summary>
    private static string ToDotNetReplacement(string replacement)
    {
        var builder = new StringBuilder(replacement.Length + 8);
        for (var i = 0; i < replacement.Length; i++)
        {
            var c = replacement[i];
            if (c == '\\' && i + 1 < replacement.Length && char.IsAsciiDigit(replacement[i + 1]))
            {
                builder.Append("${").Append(replacement[++i]).Append('}');
            }
            else if (c == '$')
            {
                builder.Append("$$");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private static bool TryParseMask(string text, int bits, out int prefix)
    {
        if (int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out prefix))
        {
            return prefix >= 0 && prefix <= bits;
        }

        if (bits == 32 && IPAddress.TryParse(text, out var mask) && mask.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            mask.TryWriteBytes(b, out _);
            var value = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
            prefix = System.Numerics.BitOperations.PopCount(value);
            return value == (prefix == 0 ? 0 : uint.MaxValue << (32 - prefix));
        }

        return false;
    }
}

/// <summary>`length`: the number of bytes of a text.</summary>
internal sealed class TextLengthConverter : SampleConverter
{
    public override SampleType InputType => SampleType.Str;

    public override SampleType OutputType => SampleType.Int;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        sample = Sample.FromInt(sample.Length);
        return true;
    }
}

/// <summary>`crc32`, `djb2`, `sdbm`, `wt6` `[(avalanche)]`: the hash of the value as an integer.</summary>
internal sealed class HashConverter(HashConverter.Function hash, bool avalanche) : SampleConverter
{
    public delegate uint Function(ReadOnlySpan<byte> data);

    public override SampleType InputType => SampleType.Bin;

    public override SampleType OutputType => SampleType.Int;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        var value = hash(sample.Bytes);
        sample = Sample.FromInt(avalanche ? Balancing.HashFunctions.Avalanche(value) : value);
        return true;
    }
}

/// <summary>`bytes(offset[,length])`: a slice of a binary value.</summary>
internal sealed class BytesConverter(long offset, long length) : SampleConverter
{
    public override SampleType InputType => SampleType.Bin;

    public override SampleType OutputType => SampleType.Bin;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        if (offset >= sample.Length)
        {
            return false;
        }

        var take = length < 0 ? sample.Length - offset : Math.Min(length, sample.Length - offset);
        sample = sample.Slice((int)offset, (int)take).AsBinary();
        return true;
    }
}

/// <summary>`regsub(regex,replacement[,flags])`: replaces the first match, or all with `g`.</summary>
internal sealed class RegexSubstituteConverter(Regex regex, string replacement, bool global) : SampleConverter
{
    public override SampleType InputType => SampleType.Str;

    public override SampleType OutputType => SampleType.Str;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        // Regex replacement works on strings: this converter allocates, as regular expressions do in HAProxy's trash.
        var input = Encoding.Latin1.GetString(sample.Bytes);
        var result = regex.Replace(input, replacement, global ? -1 : 1);
        var length = Encoding.Latin1.GetByteCount(result);
        if (!ctx.TryReserve(length, out var buffer, out var offset))
        {
            return false;
        }

        Encoding.Latin1.GetBytes(result, buffer.AsSpan(offset, length));
        sample = Sample.FromString(buffer, offset, length);
        return true;
    }
}

/// <summary>`concat([before][,var][,after])`: the input followed by a text, a variable's value and another text.</summary>
internal sealed class ConcatConverter(byte[] before, VariableName? variable, byte[] after) : SampleConverter
{
    public override SampleType InputType => SampleType.Str;

    public override SampleType OutputType => SampleType.Str;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        Sample middle = default;
        if (variable is not null && ctx.Variables.TryGet(variable, out var value))
        {
            middle = value;
            if (!SampleCasts.TryCast(ctx, ref middle, SampleType.Str))
            {
                middle = default;
            }
        }

        var length = sample.Length + before.Length + middle.Length + after.Length;
        if (!ctx.TryReserve(length, out var buffer, out var offset))
        {
            return false;
        }

        var span = buffer.AsSpan(offset, length);
        sample.Bytes.CopyTo(span);
        var at = sample.Length;
        before.CopyTo(span[at..]);
        at += before.Length;
        middle.Bytes.CopyTo(span[at..]);
        at += middle.Length;
        after.CopyTo(span[at..]);
        sample = Sample.FromString(buffer, offset, length);
        return true;
    }
}

/// <summary>`ipmask(v4mask[,v6mask])`: keeps the network part of an address.</summary>
internal sealed class IpMaskConverter(int v4Prefix, int v6Prefix) : SampleConverter
{
    public override SampleType InputType => SampleType.Address;

    public override SampleType OutputType => SampleType.Address;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        var address = sample.Address!;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var length);
        var prefix = length == 4 ? v4Prefix : v6Prefix;
        for (var i = 0; i < length; i++)
        {
            var keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xff << (8 - keep));
        }

        // An address object per conversion: ipmask is used for stick tables and logs, not per-byte paths.
        sample = Sample.FromAddress(new IPAddress(bytes[..length]));
        return true;
    }
}

/// <summary>`set-var(name)` and `unset-var(name)` as converters: they store or clear and pass the sample on.</summary>
internal sealed class VariableSetConverter(VariableName variable, bool set) : SampleConverter
{
    public override SampleType InputType => SampleType.None;

    public override SampleType OutputType => SampleType.None;

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        if (set)
        {
            ctx.Variables.Set(variable, sample);
        }
        else
        {
            ctx.Variables.Unset(variable);
        }

        return true;
    }
}
