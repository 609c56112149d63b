using Sluice.Messages;

namespace Sluice.Rules.Samples;

/// <summary>Reading parts of a request target and slicing message bytes into samples without copying.</summary>
internal static class MessageSlices
{
    /// <summary>A string sample over <paramref name="part"/>, which must lie inside <paramref name="headers"/>' arena.</summary>
    public static Sample Of(HttpHeaderList headers, ReadOnlySpan<byte> part)
    {
        var arena = headers.Arena;
        if (part.IsEmpty || !arena.AsSpan().Overlaps(part, out var offset))
        {
            return Sample.FromString([], 0, 0);
        }

        return Sample.FromString(arena, offset, part.Length);
    }

    /// <summary>The path of a target: from the first `/` after any scheme and authority, up to `?`.</summary>
    public static ReadOnlySpan<byte> Path(ReadOnlySpan<byte> target)
    {
        var pathQuery = PathAndQuery(target);
        var question = pathQuery.IndexOf((byte)'?');
        return question < 0 ? pathQuery : pathQuery[..question];
    }

    /// <summary>The target without scheme and authority (`/a?b` of `http://h/a?b`).</summary>
    public static ReadOnlySpan<byte> PathAndQuery(ReadOnlySpan<byte> target)
    {
        if (target.IsEmpty || target[0] == '/')
        {
            return target;
        }

        var scheme = target.IndexOf("://"u8);
        if (scheme < 0)
        {
            // Authority form (CONNECT) or `*`: there is no path.
            return target[0] == '*' ? target : default;
        }

        var rest = target[(scheme + 3)..];
        var slash = rest.IndexOfAny((byte)'/', (byte)'?');
        return slash < 0 ? default : rest[slash..];
    }

    /// <summary>What follows the first `?`, without it; empty when there is none.</summary>
    public static ReadOnlySpan<byte> Query(ReadOnlySpan<byte> target, out bool present)
    {
        var question = target.IndexOf((byte)'?');
        present = question >= 0;
        return question < 0 ? default : target[(question + 1)..];
    }

    /// <summary>
    /// The next element of a comma-separated field value from <paramref name="position"/>, with surrounding
    /// blanks removed; commas inside double quotes do not separate.
    /// </summary>
    public static bool NextElement(ReadOnlySpan<byte> value, ref int position, out int start, out int length)
    {
        start = 0;
        length = 0;
        if (position > value.Length)
        {
            return false;
        }

        var i = position;
        var quoted = false;
        var end = value.Length;
        for (var j = i; j < value.Length; j++)
        {
            if (value[j] == '"')
            {
                quoted = !quoted;
            }
            else if (value[j] == '\\' && quoted)
            {
                j++;
            }
            else if (value[j] == ',' && !quoted)
            {
                end = j;
                break;
            }
        }

        position = end + 1;
        while (i < end && value[i] is (byte)' ' or (byte)'\t')
        {
            i++;
        }

        var last = end;
        while (last > i && value[last - 1] is (byte)' ' or (byte)'\t')
        {
            last--;
        }

        start = i;
        length = last - i;
        return true;
    }
}

/// <summary>Which message a header fetch reads.</summary>
internal enum MessageSide : byte
{
    Request,
    Response,
    /// <summary>`hdr` and `hdr_cnt`: the response in response rules (once there is one), else the request.</summary>
    Current,
}

/// <summary>
/// `hdr`, `req.hdr`, `req.fhdr`, `res.hdr`, `res.fhdr` (and `shdr`): the values of a header field. `hdr`
/// splits values on commas, `fhdr` takes each field whole. In an ACL every value is tried in turn unless an
/// occurrence is given; elsewhere the given occurrence, by default the last one, is returned (a negative
/// occurrence counts from the end).
/// </summary>
internal sealed class HeaderFetch : SampleFetch
{
    private readonly byte[] _name;
    private readonly bool _split;
    private readonly MessageSide _side;
    private readonly int _occurrence;
    private readonly bool _all;

    public HeaderFetch(byte[] name, bool split, MessageSide side, int occurrence, bool all)
    {
        _name = name;
        _split = split;
        _side = side;
        _occurrence = occurrence;
        _all = all;
    }

    public override SampleType OutputType => SampleType.Str;

    public static HttpMessageHead? Message(SampleContext ctx, MessageSide side) => side switch
    {
        MessageSide.Request => ctx.Request,
        MessageSide.Response => ctx.Response,
        _ => ctx.Response is { } response ? response : ctx.Request,
    };

    public override bool Fetch(SampleContext ctx, ref long state, out Sample sample)
    {
        sample = default;
        if (Message(ctx, _side) is not { } message)
        {
            return false;
        }

        var headers = message.Headers;
        if (_all)
        {
            return NextValue(headers, ref state, out sample);
        }

        if (state != 0)
        {
            return false;
        }

        state = 1;
        var wanted = _occurrence;
        if (wanted < 0)
        {
            long counter = 0;
            var total = 0;
            while (NextValue(headers, ref counter, out _))
            {
                total++;
            }

            wanted = total + wanted + 1;
            if (wanted <= 0)
            {
                return false;
            }
        }

        long cursor = 0;
        var index = 0;
        while (NextValue(headers, ref cursor, out sample))
        {
            if (++index == wanted)
            {
                return true;
            }
        }

        sample = default;
        return false;
    }

    /// <summary>
    /// The value after the one <paramref name="cursor"/> points at: its low 32 bits are the slot plus one, its
    /// high bits the position of the next element in a split value.
    /// </summary>
    private bool NextValue(HttpHeaderList headers, ref long cursor, out Sample sample)
    {
        var slot = (int)(cursor & 0xffffffff) - 1;
        var position = (int)(cursor >> 32);
        while (true)
        {
            if (slot < 0 || position < 0)
            {
                slot = _name.Length == 0 ? NextLive(headers, slot + 1) : headers.IndexOf(_name, slot + 1);
                position = 0;
                if (slot < 0)
                {
                    sample = default;
                    return false;
                }
            }

            var value = headers.Value(slot);
            if (!_split)
            {
                cursor = (uint)(slot + 1) | (-1L << 32);
                sample = MessageSlices.Of(headers, value);
                return true;
            }

            if (MessageSlices.NextElement(value, ref position, out var start, out var length))
            {
                cursor = (uint)(slot + 1) | ((long)(position > value.Length ? -1 : position) << 32);
                sample = MessageSlices.Of(headers, value.Slice(start, length));
                return true;
            }

            position = -1;
        }
    }

    private static int NextLive(HttpHeaderList headers, int from)
    {
        for (var i = from; i < headers.SlotCount; i++)
        {
            if (!headers.IsRemoved(i))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>`hdr_cnt`, `req.fhdr_cnt`, `res.hdr_cnt`: how many values (or fields) a header has.</summary>
internal sealed class HeaderCountFetch(byte[] name, bool split, MessageSide side) : SingleValueFetch
{
    public override SampleType OutputType => SampleType.Int;

    protected override Sample FetchOne(SampleContext ctx)
    {
        if (HeaderFetch.Message(ctx, side) is not { } message)
        {
            return default;
        }

        var headers = message.Headers;
        var count = 0;
        for (var slot = name.Length == 0 ? 0 : headers.IndexOf(name); slot >= 0 && slot < headers.SlotCount;
             slot = name.Length == 0 ? slot + 1 : headers.IndexOf(name, slot + 1))
        {
            if (headers.IsRemoved(slot))
            {
                continue;
            }

            if (!split)
            {
                count++;
                continue;
            }

            var value = headers.Value(slot);
            var position = 0;
            while (MessageSlices.NextElement(value, ref position, out _, out _))
            {
                count++;
            }
        }

        return Sample.FromInt(count);
    }
}

/// <summary>
/// `req.cook(name)`/`cook`, `res.cook`/`scook`: the value of a cookie in `Cookie` (or `Set-Cookie`). In an
/// ACL every occurrence is tried; elsewhere the last one is returned, as in HAProxy.
/// </summary>
internal sealed class CookieFetch(byte[] name, MessageSide side, bool all) : SampleFetch
{
    private static readonly byte[] CookieField = "cookie"u8.ToArray();
    private static readonly byte[] SetCookieField = "set-cookie"u8.ToArray();

    public override SampleType OutputType => SampleType.Str;

    public override bool Fetch(SampleContext ctx, ref long state, out Sample sample)
    {
        sample = default;
        if (HeaderFetch.Message(ctx, side) is not { } message || state == -1)
        {
            return false;
        }

        var headers = message.Headers;
        var found = false;
        while (NextMatch(headers, ref state, out var current))
        {
            sample = current;
            found = true;
            if (all)
            {
                return true;
            }
        }

        state = -1;
        return found;
    }

    /// <summary>The next cookie with the wanted name; the cursor holds the slot plus one and the position in the field.</summary>
    private bool NextMatch(HttpHeaderList headers, ref long cursor, out Sample sample)
    {
        var field = side == MessageSide.Request ? CookieField : SetCookieField;
        var slot = (int)(cursor & 0xffffffff) - 1;
        var position = (int)(cursor >> 32);
        while (true)
        {
            if (slot < 0 || position < 0)
            {
                slot = headers.IndexOf(field, slot + 1);
                position = 0;
                if (slot < 0)
                {
                    cursor = -1;
                    sample = default;
                    return false;
                }
            }

            var value = headers.Value(slot);
            var matched = NextCookie(value, ref position, out var cookieName, out var cookieValue) && (name.Length == 0 || cookieName.SequenceEqual(name));
            if (position >= value.Length)
            {
                position = -1;
            }

            if (matched)
            {
                cursor = (uint)(slot + 1) | ((long)position << 32);
                sample = MessageSlices.Of(headers, cookieValue);
                return true;
            }
        }
    }

    /// <summary>The `name=value` pair at <paramref name="position"/>: `;` separates pairs in Cookie; Set-Cookie has one pair then attributes.</summary>
    private bool NextCookie(ReadOnlySpan<byte> value, ref int position, out ReadOnlySpan<byte> cookieName, out ReadOnlySpan<byte> cookieValue)
    {
        cookieName = default;
        cookieValue = default;
        var rest = value[position..];
        var end = rest.IndexOf((byte)';');
        var pair = end < 0 ? rest : rest[..end];
        position = side == MessageSide.Response || end < 0 ? value.Length : position + end + 1;
        var equals = pair.IndexOf((byte)'=');
        if (equals < 0)
        {
            return false;
        }

        cookieName = pair[..equals].Trim(" \t"u8);
        cookieValue = pair[(equals + 1)..].Trim(" \t"u8);
        return true;
    }
}

/// <summary>
/// `url_param(name[,delim])`/`urlp`: the value of a parameter (the first one; every one in an ACL). As in
/// HAProxy, the parameters start after the first `?` of the target, or after the first <c>delim</c> when one is
/// given (`;` for `jsessionid`-style paths), and are separated by `&amp;`, `;` or that delimiter.
/// </summary>
internal sealed class UrlParamFetch(byte[] name, byte delimiter, bool all) : SampleFetch
{
    public override SampleType OutputType => SampleType.Str;

    public override bool Fetch(SampleContext ctx, ref long state, out Sample sample)
    {
        sample = default;
        if (ctx.Request is not { } request || state < 0)
        {
            return false;
        }

        var target = request.Target;
        var fragment = target.IndexOf((byte)'#');
        if (fragment >= 0)
        {
            target = target[..fragment];
        }

        var listStart = target.IndexOf(delimiter);
        if (listStart < 0)
        {
            return false;
        }

        var list = target[(listStart + 1)..];
        var position = (int)state;
        while (position <= list.Length)
        {
            var rest = list[position..];
            var end = rest.IndexOfAny((byte)'&', (byte)';', delimiter);
            var pair = end < 0 ? rest : rest[..end];
            position += pair.Length + 1;
            var equals = pair.IndexOf((byte)'=');
            var key = equals < 0 ? pair : pair[..equals];
            if ((name.Length == 0 || key.SequenceEqual(name)) && equals >= 0)
            {
                sample = MessageSlices.Of(request.Headers, pair[(equals + 1)..]);
                state = all ? position : -1;
                return true;
            }
        }

        state = -1;
        return false;
    }
}

/// <summary>
/// `req.body_param([name[,i]])`: the value of a parameter of an url-encoded request body (`a=1&b=2`), the first
/// one without a name; `i` compares the name without case.
/// </summary>
internal sealed class BodyParamFetch(byte[] name, bool ignoreCase) : SingleValueFetch
{
    public override SampleType OutputType => SampleType.Str;

    protected override Sample FetchOne(SampleContext ctx)
    {
        var body = SampleFetchTable.RequestBody(ctx);
        if (body.Type != SampleType.Bin)
        {
            return default;
        }

        var list = body.Bytes;
        var position = 0;
        while (position < list.Length)
        {
            var rest = list[position..];
            var end = rest.IndexOf((byte)'&');
            var pair = end < 0 ? rest : rest[..end];
            var equals = pair.IndexOf((byte)'=');
            var key = equals < 0 ? pair : pair[..equals];
            var matches = name.Length == 0 || (ignoreCase ? System.Text.Ascii.EqualsIgnoreCase(key, name) : key.SequenceEqual(name));
            if (matches && equals >= 0)
            {
                return Sample.FromString(body.Buffer!, body.Offset + position + equals + 1, pair.Length - equals - 1);
            }

            position += pair.Length + 1;
        }

        return default;
    }
}
