using System.Buffers;
using Sluice.Messages;
using Sluice.Rules.Samples;

namespace Sluice.Rules.Actions;

/// <summary>The normalizers of `http-request normalize-uri`, as haproxy 2.6 names them.</summary>
internal enum UriNormalizerKind
{
    PathMergeSlashes = 1,
    PathStripDot,
    /// <summary>`path-strip-dotdot [full]`: full also drops the `..` segments that have nothing left to remove.</summary>
    PathStripDotDot,
    /// <summary>`percent-decode-unreserved [strict]`: strict answers 400 to an invalid `%` sequence.</summary>
    PercentDecodeUnreserved,
    /// <summary>`percent-to-uppercase [strict]`.</summary>
    PercentToUppercase,
    QuerySortByName,
    FragmentStrip,
    FragmentEncode,
}

/// <summary>
/// The URI normalizers, each a pure function from a request target to its normal form, checked against haproxy 2.6:
/// the path ones rewrite the path only, the percent ones the path and the query, `query-sort-by-name` the query
/// (stable: parameters of one name keep their order), the fragment ones the whole target.
/// </summary>
internal static class UriNormalizer
{
    /// <summary>
    /// Writes the normal form of <paramref name="target"/> into <paramref name="output"/>. False when a strict
    /// normalizer met an invalid `%` sequence (the request then gets a 400).
    /// </summary>
    public static bool TryNormalize(UriNormalizerKind kind, bool option, ReadOnlySpan<byte> target, IBufferWriter<byte> output)
    {
        if (kind is UriNormalizerKind.FragmentStrip or UriNormalizerKind.FragmentEncode)
        {
            NormalizeFragment(kind, target, output);
            return true;
        }

        // The prefix of an absolute form (scheme and authority) stays as it is.
        var pathAndQuery = MessageSlices.PathAndQuery(target);
        output.Write(target[..(target.Length - pathAndQuery.Length)]);
        var question = pathAndQuery.IndexOf((byte)'?');
        var path = question < 0 ? pathAndQuery : pathAndQuery[..question];
        var query = question < 0 ? default : pathAndQuery[question..];
        switch (kind)
        {
            case UriNormalizerKind.PercentDecodeUnreserved or UriNormalizerKind.PercentToUppercase:
                return NormalizePercent(kind == UriNormalizerKind.PercentDecodeUnreserved, option, pathAndQuery, output);
            case UriNormalizerKind.QuerySortByName:
                output.Write(path);
                SortQuery(query, output);
                return true;
            case UriNormalizerKind.PathMergeSlashes:
                MergeSlashes(path, output);
                break;
            default:
                if (path.IsEmpty || path[0] != '/')
                {
                    output.Write(path);
                }
                else
                {
                    StripDots(path, kind == UriNormalizerKind.PathStripDotDot, option, output);
                }

                break;
        }

        output.Write(query);
        return true;
    }

    private static void MergeSlashes(ReadOnlySpan<byte> path, IBufferWriter<byte> output)
    {
        for (var i = 0; i < path.Length; i++)
        {
            if (path[i] != '/' || i == 0 || path[i - 1] != '/')
            {
                output.Write(path.Slice(i, 1));
            }
        }
    }

    /// <summary>
    /// `path-strip-dot` drops the `.` segments; `path-strip-dotdot` makes each `..` remove the segment before it (an
    /// empty one or a `.` too), keeping a `..` with nothing before it unless <paramref name="full"/>. A removed
    /// last segment leaves the path ending with `/` (`/a/b/..` is `/a/`, and a kept last `..` is followed by one).
    /// </summary>
    private static void StripDots(ReadOnlySpan<byte> path, bool dotDot, bool full, IBufferWriter<byte> output)
    {
        // At most one segment per byte: the segment bounds are kept as (start, length) pairs in a stack.
        var rented = ArrayPool<int>.Shared.Rent(path.Length * 2);
        try
        {
            var kept = 0;
            var trailingSlash = false;
            var start = 1;
            while (start <= path.Length)
            {
                var end = path[start..].IndexOf((byte)'/');
                var length = end < 0 ? path.Length - start : end;
                var segment = path.Slice(start, length);
                var last = end < 0;
                if (!dotDot && segment.SequenceEqual("."u8))
                {
                    trailingSlash = last;
                }
                else if (dotDot && segment.SequenceEqual(".."u8))
                {
                    var top = kept - 1;
                    if (top >= 0 && !path.Slice(rented[top * 2], rented[(top * 2) + 1]).SequenceEqual(".."u8))
                    {
                        kept--;
                    }
                    else if (!full)
                    {
                        rented[kept * 2] = start;
                        rented[(kept * 2) + 1] = length;
                        kept++;
                    }

                    trailingSlash = last;
                }
                else
                {
                    rented[kept * 2] = start;
                    rented[(kept * 2) + 1] = length;
                    kept++;
                }

                start += length + 1;
            }

            output.Write("/"u8);
            for (var i = 0; i < kept; i++)
            {
                if (i > 0)
                {
                    output.Write("/"u8);
                }

                output.Write(path.Slice(rented[i * 2], rented[(i * 2) + 1]));
            }

            var endsWithSlash = kept == 0 || rented[((kept - 1) * 2) + 1] == 0;
            if (trailingSlash && !endsWithSlash)
            {
                output.Write("/"u8);
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    private static int HexValue(byte c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".</summary>
    private static bool IsUnreserved(int c) => char.IsAsciiLetterOrDigit((char)c) || c is '-' or '.' or '_' or '~';

    private static bool NormalizePercent(bool decode, bool strict, ReadOnlySpan<byte> text, IBufferWriter<byte> output)
    {
        Span<byte> upper = stackalloc byte[3];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                output.Write(text.Slice(i, 1));
                continue;
            }

            if (i + 2 >= text.Length || !char.IsAsciiHexDigit((char)text[i + 1]) || !char.IsAsciiHexDigit((char)text[i + 2]))
            {
                if (strict)
                {
                    return false;
                }

                output.Write(text.Slice(i, 1));
                continue;
            }

            var value = (HexValue(text[i + 1]) << 4) | HexValue(text[i + 2]);
            if (decode && IsUnreserved(value))
            {
                output.Write([(byte)value]);
            }
            else if (decode)
            {
                output.Write(text.Slice(i, 3));
            }
            else
            {
                upper[0] = (byte)'%';
                upper[1] = (byte)char.ToUpperInvariant((char)text[i + 1]);
                upper[2] = (byte)char.ToUpperInvariant((char)text[i + 2]);
                output.Write(upper);
            }

            i += 2;
        }

        return true;
    }

    /// <summary>The parameters ordered by name, byte by byte; those of one name keep their order.</summary>
    private static void SortQuery(ReadOnlySpan<byte> query, IBufferWriter<byte> output)
    {
        if (query.Length <= 1)
        {
            output.Write(query);
            return;
        }

        var parameters = query[1..];
        var count = parameters.Count((byte)'&') + 1;
        var rented = ArrayPool<int>.Shared.Rent(count * 2);
        try
        {
            var bounds = rented.AsSpan(0, count * 2);
            var start = 0;
            for (var i = 0; i < count; i++)
            {
                var end = parameters[start..].IndexOf((byte)'&');
                var length = end < 0 ? parameters.Length - start : end;
                bounds[i * 2] = start;
                bounds[(i * 2) + 1] = length;
                start += length + 1;
            }

            // Insertion sort: stable, and queries are short.
            for (var i = 1; i < count; i++)
            {
                var (s, l) = (bounds[i * 2], bounds[(i * 2) + 1]);
                var j = i - 1;
                while (j >= 0 && Name(parameters.Slice(bounds[j * 2], bounds[(j * 2) + 1])).SequenceCompareTo(Name(parameters.Slice(s, l))) > 0)
                {
                    bounds[(j + 1) * 2] = bounds[j * 2];
                    bounds[((j + 1) * 2) + 1] = bounds[(j * 2) + 1];
                    j--;
                }

                bounds[(j + 1) * 2] = s;
                bounds[((j + 1) * 2) + 1] = l;
            }

            output.Write("?"u8);
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                {
                    output.Write("&"u8);
                }

                output.Write(parameters.Slice(bounds[i * 2], bounds[(i * 2) + 1]));
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    private static ReadOnlySpan<byte> Name(ReadOnlySpan<byte> parameter) =>
        parameter.IndexOf((byte)'=') is var equals and >= 0 ? parameter[..equals] : parameter;

    private static void NormalizeFragment(UriNormalizerKind kind, ReadOnlySpan<byte> target, IBufferWriter<byte> output)
    {
        var hash = target.IndexOf((byte)'#');
        if (kind == UriNormalizerKind.FragmentStrip)
        {
            output.Write(hash < 0 ? target : target[..hash]);
            return;
        }

        foreach (var c in target)
        {
            output.Write(c == '#' ? "%23"u8 : [c]);
        }
    }
}

/// <summary>`http-request normalize-uri NORMALIZER [full|strict]`: the request target is rewritten in place.</summary>
internal sealed class NormalizeUriAction(UriNormalizerKind kind, bool option) : HttpAction
{
    public override RuleVerdict Execute(SampleContext ctx, Messages.HttpMessageHead message, HttpRuleResult result)
    {
        if (message is not HttpRequestHead request)
        {
            return RuleVerdict.Continue;
        }

        var output = ctx.FormatOutput;
        output.ResetWrittenCount();
        if (!UriNormalizer.TryNormalize(kind, option, request.Target, output))
        {
            // haproxy 2.6 answers an invalid `%` sequence under `strict` with its 400 page.
            result.Status = 400;
            result.IsDenial = true;
            return RuleVerdict.Reply;
        }

        if (!output.WrittenSpan.SequenceEqual(request.Target))
        {
            request.SetTarget(output.WrittenSpan);
        }

        return RuleVerdict.Continue;
    }
}
