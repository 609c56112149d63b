using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Sluice.Balancing;
using Sluice.Config.Model;
using Sluice.Messages;

namespace Sluice.Backends;

/// <summary>
/// `cookie NAME insert|rewrite|prefix ...` with `server ... cookie VALUE` (HAProxy's http_manage_client_side_cookies
/// and http_manage_server_side_cookies): the request's cookie names the server to use, and the response carries the
/// cookie that brings the client back to the server that answered. Everything per server is encoded at load time;
/// a request allocates nothing unless its Cookie header must be rewritten (`indirect`, `prefix`), which uses a
/// pooled buffer.
/// With `maxidle`/`maxlife` an inserted cookie carries dates, `NAME=VALUE|LAST|FIRST`: each a Unix time in 4-second
/// units, 30 bits written as 5 base64 characters (HAProxy's s30tob64); a cookie seen idle or alive too long is
/// ignored (log `E` or `O`) and set again.
/// </summary>
internal sealed class CookiePersistence
{
    private static readonly byte[] CookieHeader = "cookie"u8.ToArray();
    private static readonly byte[] SetCookieHeader = "set-cookie"u8.ToArray();
    private static readonly byte[] CacheControlHeader = "cache-control"u8.ToArray();
    private static readonly byte[] Base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8.ToArray();

    /// <summary>One date field: a `|` and 5 characters.</summary>
    private const int DateFieldLength = 6;

    /// <summary>Cookie dates further in the future than this are ignored as forged or from a wrong clock (HAProxy).</summary>
    private const long FutureToleranceSeconds = 86400;

    /// <summary>Set-Cookie values up to this size are composed on the stack.</summary>
    private const int StackCookieLimit = 512;

    private readonly byte[] _name;
    private readonly BackendState _backend;
    private readonly object _changes = new();

    /// <summary>Each server's value; replaced whole when a runtime command or an address change alters one.</summary>
    private (byte[] Value, ServerState Server)[] _servers = [];

    private bool _dynamic;
    private string? _dynamicKey;

    /// <summary>What follows `NAME=VALUE[|dates]` in every inserted cookie: `; path=/` and the configured attributes.</summary>
    private readonly byte[] _attributes;

    /// <summary>What a server without a value sets in insert mode: the cookie's removal, with the same attributes.</summary>
    private readonly byte[] _removal;

    public CookiePersistence(CookieConfig config, BackendState backend)
    {
        Config = config;
        _name = Encoding.Latin1.GetBytes(config.Name);
        var attributes = BuildAttributes(config);
        _attributes = Encoding.Latin1.GetBytes(attributes);
        _removal = Encoding.Latin1.GetBytes(config.Name + "=; Expires=Thu, 01-Jan-1970 00:00:01 GMT" + attributes);
        _backend = backend;
        _dynamic = config.Dynamic;
        _dynamicKey = config.DynamicKey;
        Rebuild();
    }

    public CookieConfig Config { get; }

    /// <summary>The runtime API's `set dynamic-cookie-key backend B K`: dynamic values are computed again with the new key.</summary>
    public void SetDynamicKey(string key)
    {
        lock (_changes)
        {
            _dynamicKey = key;
            Rebuild();
        }
    }

    /// <summary>
    /// `enable|disable dynamic-cookie backend B`: servers without their own `cookie` get a computed value, or lose it
    /// (HAProxy's srv_set_dyncookie, and the reset of the values it computed).
    /// </summary>
    public void SetDynamic(bool enabled)
    {
        lock (_changes)
        {
            _dynamic = enabled;
            Rebuild();
        }
    }

    /// <summary>A server's address changed (`set server addr`, a state file): its dynamic value follows, as in HAProxy.</summary>
    public void OnServerAddressChanged()
    {
        lock (_changes)
        {
            Rebuild();
        }
    }

    private void Rebuild()
    {
        var servers = new List<(byte[], ServerState)>();
        foreach (var server in _backend.Servers)
        {
            var value = server.Config.Cookie ?? (_dynamic ? DynamicCookie(_dynamicKey, server.Address) : null);
            server.InsertedCookie = value is null ? null : Encoding.Latin1.GetBytes(Config.Name + "=" + value);
            if (value is not null)
            {
                servers.Add((Encoding.Latin1.GetBytes(value), server));
            }
        }

        Volatile.Write(ref _servers, [.. servers]);
    }

    /// <summary>
    /// Reads the persistence cookie of a request: the server it names (null when none, or when it is down and
    /// `option persist` is off), and HAProxy's log character: `N` no cookie, `I` invalid, `D` a DOWN server, `V` valid.
    /// In insert mode with `indirect` the cookie is removed from the request; in prefix mode the `SERVER~` part is.
    /// Outside prefix mode the cookie's dates are read; with `maxlife`/`maxidle` a cookie past them is ignored and
    /// logged `O` (too old) or `E` (expired).
    /// </summary>
    /// <param name="now">The current Unix time in seconds.</param>
    /// <param name="dates">The cookie's dates, for <see cref="WriteResponse"/>; zero when absent or expired.</param>
    /// <param name="selects">
    /// False when the cookie may not pick the server (a `use-server` rule did, or `ignore-persist` applies): it is
    /// still rewritten as usual, and a cookie present is logged `U` (unused), as in HAProxy.
    /// </param>
    public ServerState? ReadRequest(HttpHeaderList headers, bool persist, long now, out char state, out CookieDates dates, bool selects = true)
    {
        state = 'N';
        dates = default;
        ServerState? found = null;
        for (var slot = headers.IndexOf(CookieHeader); slot >= 0; slot = headers.IndexOf(CookieHeader, slot + 1))
        {
            var value = headers.Value(slot);
            if (!TryFindCookie(value, _name, out var valueStart, out var valueLength, out var pairStart, out var pairEnd))
            {
                continue;
            }

            var cookieValue = value.Slice(valueStart, valueLength);
            var serverPart = cookieValue;
            if (Config.Mode == CookieMode.Prefix)
            {
                var tilde = cookieValue.IndexOf((byte)'~');
                serverPart = tilde < 0 ? cookieValue : cookieValue[..tilde];
            }
            else if (cookieValue.IndexOf((byte)'|') is var bar and >= 0)
            {
                serverPart = cookieValue[..bar];
                dates = ReadDates(cookieValue[(bar + 1)..]);
            }

            if (Expiry(dates, now) is var expired and not '\0')
            {
                state = expired;
                dates = default;
            }
            else
            {
                found = serverPart.IsEmpty ? null : Match(serverPart);
                // A drained server (or one an agent set to 0%) keeps its persistent clients, as in HAProxy.
                state = found is null ? 'I' : found.IsUp && found.AdminState != ServerAdminState.Maint ? 'V' : 'D';
            }

            if (Config.Mode == CookieMode.Insert && Config.Indirect)
            {
                RewriteCookieHeader(headers, slot, pairStart, pairEnd, ReadOnlySpan<byte>.Empty, replaceValue: false);
            }
            else if (Config.Mode == CookieMode.Prefix && cookieValue.IndexOf((byte)'~') is var at and >= 0)
            {
                // The server sees its own value: what follows `SERVER~`.
                RewriteCookieHeader(headers, slot, valueStart, valueStart + at + 1, ReadOnlySpan<byte>.Empty, replaceValue: true);
            }

            if (!selects)
            {
                state = 'U';
                found = null;
            }

            break;
        }

        // `option persist` keeps a DOWN server, not one in maintenance (`disabled`), as in HAProxy.
        if (found is not null && state == 'D' && (!persist || found.Config.Disabled))
        {
            return null;
        }

        return found;
    }

    /// <summary>
    /// Sets the response's persistence cookie for <paramref name="server"/>, the server that answered. Returns
    /// HAProxy's set-cookie log character: `N` none, `I` inserted, `U` the client's cookie given fresh dates, `P` the
    /// server's own kept (`preserve`), `R` rewritten.
    /// </summary>
    /// <param name="direct">The request's cookie sent it to this server (HAProxy's SF_DIRECT): the client has the cookie already.</param>
    /// <param name="dates">The request cookie's dates from <see cref="ReadRequest"/>.</param>
    /// <param name="now">The current Unix time in seconds.</param>
    /// <param name="mayInsert">False under `ignore-persist`: no cookie is inserted, whatever else applies.</param>
    public char WriteResponse(HttpResponseHead response, ServerState server, bool direct, bool post, CookieDates dates, long now, bool mayInsert = true)
    {
        var headers = response.Headers;
        if (Config.Mode != CookieMode.Insert)
        {
            return RewriteServerCookies(headers, server);
        }

        var serverSetsIt = FindSetCookie(headers) >= 0;
        if (serverSetsIt && Config.Preserve)
        {
            return 'P';
        }

        // Insert mode: the cookie is the proxy's; the server's own of the same name goes.
        for (var slot = FindSetCookie(headers); slot >= 0; slot = FindSetCookie(headers))
        {
            headers.Remove(slot);
        }

        if (!mayInsert || !NeedsCookie(direct, dates, now) || (Config.PostOnly && !post))
        {
            return serverSetsIt ? 'D' : 'N';
        }

        // A server without a value (a backup without `cookie`, dynamic cookies off) asks the client to drop the
        // cookie, as HAProxy does.
        var inserted = server.InsertedCookie;
        if (inserted is null)
        {
            headers.Add(SetCookieHeader, _removal);
        }
        else
        {
            AddSetCookie(headers, inserted, dates, now);
        }

        if (Config.NoCache && IsCacheable(response))
        {
            headers.Add(CacheControlHeader, "private"u8);
        }

        return direct && inserted is not null ? 'U' : 'I';
    }

    /// <summary>
    /// A client that came with this server's cookie needs a new one only to refresh its dates: the last-seen date is
    /// past (with `maxidle`, or when the cookie had one), a first date is missing under `maxlife` or must go without.
    /// </summary>
    private bool NeedsCookie(bool direct, CookieDates dates, long now) =>
        !direct
        || ((Config.MaxIdleSeconds > 0 || dates.LastSeen != 0) && (dates.LastSeen == 0 || dates.LastSeen < now))
        || (Config.MaxLifeSeconds > 0 && dates.FirstSet == 0)
        || (Config.MaxLifeSeconds == 0 && dates.FirstSet != 0);

    /// <summary>`NAME=VALUE[|LAST[|FIRST]]; path=/...`. The dates are rounded up to the next 4-second unit, as HAProxy does.</summary>
    private void AddSetCookie(HttpHeaderList headers, byte[] pair, CookieDates dates, long now)
    {
        var length = pair.Length + (2 * DateFieldLength) + _attributes.Length;
        byte[]? rented = null;
        Span<byte> buffer = length <= StackCookieLimit ? stackalloc byte[StackCookieLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            pair.CopyTo(buffer);
            var written = pair.Length;
            if (Config.HasDates)
            {
                var nowUnits = (now + 3) >> 2;
                written += WriteDate(buffer[written..], nowUnits);
                if (Config.MaxLifeSeconds > 0)
                {
                    written += WriteDate(buffer[written..], dates.FirstSet != 0 ? dates.FirstSet >> 2 : nowUnits);
                }
            }

            _attributes.CopyTo(buffer[written..]);
            written += _attributes.Length;
            headers.Add(SetCookieHeader, buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>`|` and a 30-bit value as 5 base64 characters, most significant first.</summary>
    private static int WriteDate(Span<byte> destination, long units)
    {
        destination[0] = (byte)'|';
        for (var i = 0; i < 5; i++)
        {
            destination[1 + i] = Base64Alphabet[(int)(units >> (24 - (6 * i))) & 0x3F];
        }

        return DateFieldLength;
    }

    /// <summary>5 base64 characters back to a 30-bit value, or -1 when one is not base64.</summary>
    internal static long ReadDateUnits(ReadOnlySpan<byte> text)
    {
        long value = 0;
        for (var i = 0; i < 5; i++)
        {
            var digit = Base64Alphabet.AsSpan().IndexOf(text[i]);
            if (digit < 0)
            {
                return -1;
            }

            value = (value << 6) + digit;
        }

        return value;
    }

    /// <summary>What follows the first `|` of a cookie value: `LAST` then optionally `|FIRST`, in seconds (0 when absent).</summary>
    internal static CookieDates ReadDates(ReadOnlySpan<byte> afterBar)
    {
        long last = 0, first = 0;
        if (afterBar.Length >= 5 && ReadDateUnits(afterBar) is var lastUnits and > 0)
        {
            last = lastUnits << 2;
        }

        if (afterBar.IndexOf((byte)'|') is var bar and >= 0 && afterBar.Length - bar > 5 && ReadDateUnits(afterBar[(bar + 1)..]) is var firstUnits and > 0)
        {
            first = firstUnits << 2;
        }

        return new CookieDates(last, first);
    }

    /// <summary>`O` when past `maxlife`, `E` when past `maxidle` (either also for a date over a day ahead), else '\0'.</summary>
    private char Expiry(CookieDates dates, long now)
    {
        if (dates.FirstSet != 0 && Config.MaxLifeSeconds > 0
            && (now - dates.FirstSet > Config.MaxLifeSeconds || dates.FirstSet - now > FutureToleranceSeconds))
        {
            return 'O';
        }

        if (dates.LastSeen != 0 && Config.MaxIdleSeconds > 0
            && (now - dates.LastSeen > Config.MaxIdleSeconds || dates.LastSeen - now > FutureToleranceSeconds))
        {
            return 'E';
        }

        return '\0';
    }

    private byte[]? ValueOf(ServerState server)
    {
        foreach (var (cookie, candidate) in Volatile.Read(ref _servers))
        {
            if (candidate == server)
            {
                return cookie;
            }
        }

        return null;
    }

    private ServerState? Match(ReadOnlySpan<byte> value)
    {
        foreach (var (cookie, server) in Volatile.Read(ref _servers))
        {
            if (value.SequenceEqual(cookie))
            {
                return server;
            }
        }

        return null;
    }

    /// <summary>`rewrite` and `prefix`: the server's own `Set-Cookie: NAME=v` becomes `NAME=SERVER` or `NAME=SERVER~v`.</summary>
    private char RewriteServerCookies(HttpHeaderList headers, ServerState server)
    {
        var serverValue = ValueOf(server);
        if (serverValue is null)
        {
            return 'N';
        }

        var slot = FindSetCookie(headers);
        if (slot < 0)
        {
            return 'N';
        }

        var value = headers.Value(slot);
        var valueStart = _name.Length + 1;
        var end = value.IndexOf((byte)';');
        var valueEnd = end < 0 ? value.Length : end;
        if (Config.Mode == CookieMode.Rewrite)
        {
            RewriteCookieHeader(headers, slot, valueStart, valueEnd, serverValue, replaceValue: true, SetCookieHeader);
        }
        else
        {
            // Server cookie values are short words of the configuration; a long one goes to the heap.
            Span<byte> prefixed = serverValue.Length < 256 ? stackalloc byte[serverValue.Length + 1] : new byte[serverValue.Length + 1];
            serverValue.CopyTo(prefixed);
            prefixed[^1] = (byte)'~';
            RewriteCookieHeader(headers, slot, valueStart, valueStart, prefixed, replaceValue: true, SetCookieHeader);
        }

        return 'R';
    }

    /// <summary>The first `Set-Cookie` whose cookie is NAME, or -1.</summary>
    private int FindSetCookie(HttpHeaderList headers)
    {
        for (var slot = headers.IndexOf(SetCookieHeader); slot >= 0; slot = headers.IndexOf(SetCookieHeader, slot + 1))
        {
            var value = headers.Value(slot).TrimStart((byte)' ');
            if (value.Length > _name.Length && value[_name.Length] == (byte)'=' && value.StartsWith(_name))
            {
                return slot;
            }
        }

        return -1;
    }

    /// <summary>
    /// Replaces bytes [start, end) of a header's value with <paramref name="replacement"/> (replaceValue), or removes
    /// the cookie pair [start, end) with its separator; the header goes when nothing is left. The header moves to the
    /// end of the list, which changes nothing for cookies.
    /// </summary>
    private static void RewriteCookieHeader(HttpHeaderList headers, int slot, int start, int end, ReadOnlySpan<byte> replacement, bool replaceValue, byte[]? name = null)
    {
        name ??= CookieHeader;
        var value = headers.Value(slot);
        var buffer = ArrayPool<byte>.Shared.Rent(value.Length + replacement.Length);
        try
        {
            int length;
            if (replaceValue)
            {
                value[..start].CopyTo(buffer);
                replacement.CopyTo(buffer.AsSpan(start));
                value[end..].CopyTo(buffer.AsSpan(start + replacement.Length));
                length = value.Length - (end - start) + replacement.Length;
            }
            else
            {
                var before = value[..start].TrimEnd((byte)' ').TrimEnd((byte)';').TrimEnd((byte)' ');
                var after = value[end..].TrimStart((byte)' ').TrimStart((byte)';').TrimStart((byte)' ');
                before.CopyTo(buffer);
                length = before.Length;
                if (before.Length > 0 && after.Length > 0)
                {
                    "; "u8.CopyTo(buffer.AsSpan(length));
                    length += 2;
                }

                after.CopyTo(buffer.AsSpan(length));
                length += after.Length;
            }

            headers.Remove(slot);
            if (length > 0)
            {
                headers.Add(name, buffer.AsSpan(0, length));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Finds `NAME=value` in a Cookie header value (`a=1; NAME=v; b=2`): the value's offset and length, and the pair's
    /// bounds for its removal.
    /// </summary>
    internal static bool TryFindCookie(ReadOnlySpan<byte> header, ReadOnlySpan<byte> name, out int valueStart, out int valueLength, out int pairStart, out int pairEnd)
    {
        var position = 0;
        while (position < header.Length)
        {
            while (position < header.Length && header[position] is (byte)' ' or (byte)'\t' or (byte)';')
            {
                position++;
            }

            var semicolon = header[position..].IndexOf((byte)';');
            var end = semicolon < 0 ? header.Length : position + semicolon;
            var pair = header[position..end];
            var equals = pair.IndexOf((byte)'=');
            if (equals >= 0 && pair[..equals].TrimEnd((byte)' ').SequenceEqual(name))
            {
                var value = pair[(equals + 1)..];
                var leading = value.Length - value.TrimStart((byte)' ').Length;
                valueStart = position + equals + 1 + leading;
                valueLength = value.Trim((byte)' ').Length;
                pairStart = position;
                pairEnd = end;
                return true;
            }

            position = end + 1;
        }

        valueStart = valueLength = pairStart = pairEnd = 0;
        return false;
    }

    /// <summary>
    /// HAProxy's reading of a cacheable response for `nocache`: a status cacheable by default, no `Cache-Control`
    /// forbidding it, and freshness or a validator (max-age, s-maxage, public, Expires, Last-Modified, ETag).
    /// </summary>
    private static bool IsCacheable(HttpResponseHead response)
    {
        if (response.Status is not (200 or 203 or 204 or 206 or 300 or 301 or 404 or 405 or 410 or 414 or 501))
        {
            return false;
        }

        var headers = response.Headers;
        var fresh = headers.Contains("expires"u8) || headers.Contains("last-modified"u8) || headers.Contains("etag"u8);
        for (var slot = headers.IndexOf(CacheControlHeader); slot >= 0; slot = headers.IndexOf(CacheControlHeader, slot + 1))
        {
            var value = headers.Value(slot);
            if (ContainsIgnoreCase(value, "private"u8) || ContainsIgnoreCase(value, "no-cache"u8) || ContainsIgnoreCase(value, "no-store"u8))
            {
                return false;
            }

            fresh |= ContainsIgnoreCase(value, "max-age"u8) || ContainsIgnoreCase(value, "public"u8);
        }

        return fresh;
    }

    private static bool ContainsIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        for (var i = 0; i + token.Length <= value.Length; i++)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(value.Slice(i, token.Length), token))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// `cookie ... dynamic`: a server without `cookie` gets the XXH64 of the key, its address bytes and its port as
    /// 4 big-endian bytes, in 16 hex digits (HAProxy's srv_set_dyncookie); null without a key or an IP address.
    /// </summary>
    internal static string? DynamicCookie(string? key, ServerAddress address)
    {
        if (key is null || address is not InetServerAddress { PortIsOffset: false } inet)
        {
            return null;
        }

        var keyBytes = Encoding.Latin1.GetBytes(key);
        var ip = inet.Address.IsIPv4MappedToIPv6 ? inet.Address.MapToIPv4() : inet.Address;
        var ipBytes = ip.GetAddressBytes();
        var input = new byte[keyBytes.Length + ipBytes.Length + 4];
        keyBytes.CopyTo(input, 0);
        ipBytes.CopyTo(input, keyBytes.Length);
        BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(keyBytes.Length + ipBytes.Length), inet.Port);
        return HashFunctions.XxHash64(input).ToString("x16", CultureInfo.InvariantCulture);
    }

    /// <summary>`; path=/[; domain=D]...[; HttpOnly][; Secure][; ATTR]...`, as HAProxy writes them after the value.</summary>
    private static string BuildAttributes(CookieConfig config)
    {
        var builder = new StringBuilder();
        builder.Append("; path=/");
        foreach (var domain in config.Domains)
        {
            builder.Append("; domain=").Append(domain);
        }

        if (config.HttpOnly)
        {
            builder.Append("; HttpOnly");
        }

        if (config.Secure)
        {
            builder.Append("; Secure");
        }

        foreach (var attribute in config.Attributes)
        {
            builder.Append("; ").Append(attribute);
        }

        return builder.ToString();
    }
}

/// <summary>A persistence cookie's dates in Unix seconds, multiples of 4; 0 when the cookie carries none.</summary>
internal readonly record struct CookieDates(long LastSeen, long FirstSet);
