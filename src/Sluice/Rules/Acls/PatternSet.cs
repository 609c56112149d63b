using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Acls;

/// <summary>HAProxy's pattern matching methods (`-m`), configuration.txt §7.1.</summary>
internal enum MatchMethod : byte
{
    Found,
    Bool,
    Int,
    Ip,
    Bin,
    Len,
    Str,
    Sub,
    Reg,
    Beg,
    End,
    Dir,
    Dom,
    /// <summary>
    /// The `method` ACL's own matching (HAProxy's `pat_match_meth`): a well-known method pattern matches that method
    /// exactly, whatever `-i` says; any other pattern matches only a method that is not well-known, honouring `-i`.
    /// </summary>
    Meth,
}

/// <summary>
/// The patterns of one ACL line or one map file, compiled for one matching method. <see cref="Match"/> returns
/// which pattern matched so that maps can find their value; ACLs only ask whether one did.
/// </summary>
internal sealed class PatternSet
{
    private const int HashThreshold = 8;
    private readonly List<byte[]> _texts = [];
    private readonly List<Regex> _regexes = [];
    private readonly List<(long Min, long Max)> _ranges = [];
    private readonly List<(byte[] Network, int Prefix)> _networks = [];
    private int _count;
    private Dictionary<string, int>? _exact;
    private Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _exactLookup;

    public PatternSet(MatchMethod method, bool ignoreCase)
    {
        Method = method;
        IgnoreCase = ignoreCase;
    }

    public MatchMethod Method { get; }

    public bool IgnoreCase { get; }

    /// <summary>`map_beg`: the longest matching prefix wins, as HAProxy's prefix tree finds it, not the first one.</summary>
    public bool LongestMatch { get; init; }

    public int Count => _count;

    /// <summary>The sample type the method compares: the sample is cast to it first.</summary>
    public SampleType InputType => Method switch
    {
        MatchMethod.Found => SampleType.None,
        MatchMethod.Bool => SampleType.Bool,
        MatchMethod.Int => SampleType.Int,
        MatchMethod.Ip => SampleType.Address,
        MatchMethod.Bin => SampleType.Bin,
        _ => SampleType.Str,
    };

    /// <summary>Adds a pattern; returns an error in HAProxy's words when it is not valid for the method.</summary>
    public string? Add(string pattern, string? intOperator = null)
    {
        switch (Method)
        {
            case MatchMethod.Found or MatchMethod.Bool:
                return "this matching method does not take patterns";
            case MatchMethod.Int or MatchMethod.Len:
                if (!TryParseRange(pattern, intOperator, out var range, out var error))
                {
                    return error;
                }

                _ranges.Add(range);
                break;
            case MatchMethod.Ip:
                if (!TryParseNetwork(pattern, out var network, out var prefix))
                {
                    return $"'{pattern}' is not a valid IPv4 or IPv6 address";
                }

                _networks.Add((network, prefix));
                break;
            case MatchMethod.Reg:
                try
                {
                    var options = RegexOptions.CultureInvariant | (IgnoreCase ? RegexOptions.IgnoreCase : 0);
                    _regexes.Add(new Regex(pattern, options, TimeSpan.FromMilliseconds(100)));
                }
                catch (ArgumentException ex)
                {
                    return $"regex '{pattern}' is invalid (error={ex.Message})";
                }

                break;
            case MatchMethod.Bin:
                if (pattern.Length % 2 != 0)
                {
                    return "an even number of hex digit is expected";
                }

                foreach (var c in pattern)
                {
                    if (!char.IsAsciiHexDigit(c))
                    {
                        return $"an hex digit is expected (found '{c}')";
                    }
                }

                _texts.Add(Convert.FromHexString(pattern));
                break;
            default:
                _texts.Add(Encoding.Latin1.GetBytes(pattern));
                break;
        }

        _count++;
        if (Method == MatchMethod.Str && _texts.Count == HashThreshold)
        {
            BuildExactIndex();
        }
        else if (_exact is not null)
        {
            _exact.TryAdd(pattern, _texts.Count - 1);
        }

        return null;
    }

    /// <summary>The index of the pattern that matches, or -1. Samples of the wrong type are cast or do not match.</summary>
    public int Match(SampleContext ctx, Sample sample)
    {
        if (Method == MatchMethod.Found)
        {
            return 0;
        }

        if (Method == MatchMethod.Ip && sample.IsText)
        {
            // A dotted-quad text (hdr_ip, map_ip on a header) is read without making an address object.
            Span<byte> v4 = stackalloc byte[4];
            if (Sluice.Protocols.Text.Ipv4Text.TryParseDottedQuad(sample.Bytes, v4))
            {
                return MatchNetwork(v4);
            }

            if (!sample.Bytes.Contains((byte)':'))
            {
                // Not IPv4 as inet_pton reads it ("10.1.2" is not an address there), and not IPv6.
                return -1;
            }
        }

        if (!SampleCasts.TryCast(ctx, ref sample, InputType))
        {
            return -1;
        }

        var value = sample.Bytes;
        switch (Method)
        {
            case MatchMethod.Bool:
                return sample.Integer != 0 ? 0 : -1;
            case MatchMethod.Int:
                return MatchRange(sample.Integer);
            case MatchMethod.Len:
                return MatchRange(sample.Length);
            case MatchMethod.Ip:
                return MatchNetwork(sample.Address!);
            case MatchMethod.Reg:
                return MatchRegex(value);
            case MatchMethod.Str when _exact is not null:
                return MatchExact(value);
        }

        var best = -1;
        for (var i = 0; i < _texts.Count; i++)
        {
            if (Matches(Method, value, _texts[i], IgnoreCase))
            {
                if (!LongestMatch)
                {
                    return i;
                }

                if (best < 0 || _texts[i].Length > _texts[best].Length)
                {
                    best = i;
                }
            }
        }

        return best;
    }

    private static bool Matches(MatchMethod method, ReadOnlySpan<byte> value, ReadOnlySpan<byte> pattern, bool ignoreCase) => method switch
    {
        MatchMethod.Str or MatchMethod.Bin => Equal(value, pattern, ignoreCase),
        MatchMethod.Beg => value.Length >= pattern.Length && Equal(value[..pattern.Length], pattern, ignoreCase),
        MatchMethod.End => value.Length >= pattern.Length && Equal(value[^pattern.Length..], pattern, ignoreCase),
        MatchMethod.Sub => IndexOf(value, pattern, ignoreCase) >= 0,
        MatchMethod.Dir => Delimited(value, pattern, ignoreCase, (byte)'/', (byte)'/', (byte)'?'),
        MatchMethod.Dom => Delimited(value, pattern, ignoreCase, (byte)'.', (byte)'/', (byte)':'),
        MatchMethod.Meth => IsWellKnownMethod(pattern) ? value.SequenceEqual(pattern) : !IsWellKnownMethod(value) && Equal(value, pattern, ignoreCase),
        _ => false,
    };

    /// <summary>haproxy 2.6's well-known methods (`enum http_meth_t`), compared case-sensitively; PATCH is not one of them.</summary>
    private static bool IsWellKnownMethod(ReadOnlySpan<byte> method) => method.Length switch
    {
        3 => method.SequenceEqual("GET"u8) || method.SequenceEqual("PUT"u8),
        4 => method.SequenceEqual("HEAD"u8) || method.SequenceEqual("POST"u8),
        5 => method.SequenceEqual("TRACE"u8),
        6 => method.SequenceEqual("DELETE"u8),
        7 => method.SequenceEqual("CONNECT"u8) || method.SequenceEqual("OPTIONS"u8),
        _ => false,
    };

    private static bool Equal(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, bool ignoreCase) =>
        ignoreCase ? Ascii.EqualsIgnoreCase(a, b) : a.SequenceEqual(b);

    private static int IndexOf(ReadOnlySpan<byte> value, ReadOnlySpan<byte> pattern, bool ignoreCase)
    {
        if (!ignoreCase)
        {
            return value.IndexOf(pattern);
        }

        for (var i = 0; i + pattern.Length <= value.Length; i++)
        {
            if (Ascii.EqualsIgnoreCase(value.Slice(i, pattern.Length), pattern))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// `-m dir` and `-m dom`: the pattern must appear as whole components, bounded by the delimiter (`/` for
    /// dir; `.` for dom, where `/` and `:` also end a host) or by the ends of the value.
    /// </summary>
    private static bool Delimited(ReadOnlySpan<byte> value, ReadOnlySpan<byte> pattern, bool ignoreCase, byte delimiter, byte end1, byte end2)
    {
        var p = pattern.Trim(delimiter);
        if (p.IsEmpty)
        {
            return false;
        }

        for (var i = 0; i + p.Length <= value.Length; i++)
        {
            var beforeOk = i == 0 || value[i - 1] == delimiter || value[i - 1] == end1 || value[i - 1] == end2;
            var after = i + p.Length;
            var afterOk = after == value.Length || value[after] == delimiter || value[after] == end1 || value[after] == end2;
            if (beforeOk && afterOk && Equal(value.Slice(i, p.Length), p, ignoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private int MatchRange(long value)
    {
        for (var i = 0; i < _ranges.Count; i++)
        {
            if (value >= _ranges[i].Min && value <= _ranges[i].Max)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The longest network containing the address, as a map of networks expects.</summary>
    private int MatchNetwork(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        address.TryWriteBytes(bytes, out var length);
        return MatchNetwork(bytes[..length]);
    }

    private int MatchNetwork(ReadOnlySpan<byte> value)
    {
        var length = value.Length;
        var best = -1;
        var bestPrefix = -1;
        for (var i = 0; i < _networks.Count; i++)
        {
            var (network, prefix) = _networks[i];
            if (network.Length == length && InNetwork(value, network, prefix) && prefix > bestPrefix)
            {
                best = i;
                bestPrefix = prefix;
            }
        }

        return best;
    }


    /// <summary>True when the first <paramref name="prefix"/> bits of both addresses agree.</summary>
    internal static bool InNetwork(ReadOnlySpan<byte> address, ReadOnlySpan<byte> network, int prefix)
    {
        var full = prefix / 8;
        if (!address[..full].SequenceEqual(network[..full]))
        {
            return false;
        }

        var rest = prefix % 8;
        if (rest == 0)
        {
            return true;
        }

        var mask = (byte)(0xff << (8 - rest));
        return (address[full] & mask) == (network[full] & mask);
    }

    private int MatchRegex(ReadOnlySpan<byte> value)
    {
        if (_regexes.Count == 0)
        {
            return -1;
        }

        char[]? rented = null;
        Span<char> chars = value.Length <= 512 ? stackalloc char[value.Length] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(value.Length));
        try
        {
            Encoding.Latin1.GetChars(value, chars);
            var text = chars[..value.Length];
            for (var i = 0; i < _regexes.Count; i++)
            {
                try
                {
                    if (_regexes[i].IsMatch(text))
                    {
                        return i;
                    }
                }
                catch (RegexMatchTimeoutException)
                {
                    // A pathological pattern against hostile input counts as no match rather than stalling the thread.
                }
            }

            return -1;
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private void BuildExactIndex()
    {
        _exact = new Dictionary<string, int>(IgnoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        for (var i = 0; i < _texts.Count; i++)
        {
            _exact.TryAdd(Encoding.Latin1.GetString(_texts[i]), i);
        }

        _exactLookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private int MatchExact(ReadOnlySpan<byte> value)
    {
        if (value.Length > 1024)
        {
            return -1;
        }

        Span<char> chars = stackalloc char[value.Length];
        Encoding.Latin1.GetChars(value, chars);
        return _exactLookup.TryGetValue(chars, out var index) ? index : -1;
    }

    /// <summary>Integer patterns: `N`, `N:M`, `:M`, `N:`, or a value after an operator `eq|ge|gt|le|lt`.</summary>
    private static bool TryParseRange(string text, string? op, out (long Min, long Max) range, out string? error)
    {
        range = default;
        error = null;
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (op is null && colon >= 0)
        {
            var min = long.MinValue;
            var max = long.MaxValue;
            if ((colon > 0 && !TryNumber(text[..colon], out min)) || (colon < text.Length - 1 && !TryNumber(text[(colon + 1)..], out max)))
            {
                error = $"'{text}' is not a valid number range";
                return false;
            }

            range = (min, max);
            return true;
        }

        if (!TryNumber(text, out var value))
        {
            error = $"'{text}' is not a number";
            return false;
        }

        range = op switch
        {
            "ge" => (value, long.MaxValue),
            "gt" => (value + 1, long.MaxValue),
            "le" => (long.MinValue, value),
            "lt" => (long.MinValue, value - 1),
            _ => (value, value),
        };
        return true;
    }

    private static bool TryNumber(string text, out long value) =>
        long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value);

    /// <summary>`10.0.0.0/8`, `192.168.1.1`, `::1`, `2001:db8::/32`, or a dotted mask `10.0.0.0/255.0.0.0`.</summary>
    public static bool TryParseNetwork(string text, out byte[] network, out int prefix)
    {
        network = [];
        prefix = 0;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out var address))
        {
            return false;
        }

        // An IPv4-mapped IPv6 pattern (::ffff:10.0.0.1) matches the IPv4 address, as in HAProxy.
        var mapped = address.IsIPv4MappedToIPv6;
        network = (mapped ? address.MapToIPv4() : address).GetAddressBytes();
        var bits = network.Length * 8;
        if (slash < 0)
        {
            prefix = bits;
            return true;
        }

        var maskText = text[(slash + 1)..];
        if (int.TryParse(maskText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out prefix))
        {
            prefix -= mapped ? 96 : 0;
            return prefix >= 0 && prefix <= bits;
        }

        if (bits == 32 && IPAddress.TryParse(maskText, out var mask) && mask.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            var m = mask.GetAddressBytes();
            var value = (uint)(m[0] << 24 | m[1] << 16 | m[2] << 8 | m[3]);
            prefix = System.Numerics.BitOperations.PopCount(value);
            return value == (prefix == 0 ? 0 : uint.MaxValue << (32 - prefix));
        }

        return false;
    }
}
