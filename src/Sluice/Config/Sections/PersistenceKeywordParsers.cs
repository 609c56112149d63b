using Sluice.Config.Keywords;
using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>The persistence keywords: <c>cookie</c>. Messages are HAProxy's.</summary>
internal static class PersistenceKeywordParsers
{
    public static void ParseCookie(KeywordContext ctx, ProxySection section)
    {
        if (ctx.Negated)
        {
            section.Cookie = null;
            return;
        }

        var name = ctx.Argument(0);
        if (string.IsNullOrEmpty(name))
        {
            ctx.Alert("'cookie' expects <cookie_name> as argument.");
            return;
        }

        var cookie = new CookieConfig { Name = name };
        var modes = 0;
        var domains = new List<string>();
        var attributes = new List<string>();
        for (var i = 1; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i)!;
            switch (word)
            {
                case "rewrite":
                    cookie = cookie with { Mode = CookieMode.Rewrite };
                    modes++;
                    break;
                case "insert":
                    cookie = cookie with { Mode = CookieMode.Insert };
                    modes++;
                    break;
                case "prefix":
                    cookie = cookie with { Mode = CookieMode.Prefix };
                    modes++;
                    break;
                case "indirect":
                    cookie = cookie with { Indirect = true };
                    break;
                case "nocache":
                    cookie = cookie with { NoCache = true };
                    break;
                case "postonly":
                    cookie = cookie with { PostOnly = true };
                    break;
                case "preserve":
                    cookie = cookie with { Preserve = true };
                    break;
                case "httponly":
                    cookie = cookie with { HttpOnly = true };
                    break;
                case "secure":
                    cookie = cookie with { Secure = true };
                    break;
                case "domain":
                    var domain = ctx.Argument(i + 1);
                    if (string.IsNullOrEmpty(domain))
                    {
                        ctx.Alert("'domain' expects <domain> as argument.");
                        return;
                    }

                    domains.Add(domain);
                    i++;
                    break;
                case "maxidle" or "maxlife":
                    if (ParseCookieLimit(ctx, word, ctx.Argument(i + 1)) is not { } limit)
                    {
                        return;
                    }

                    cookie = word == "maxidle" ? cookie with { MaxIdleSeconds = limit } : cookie with { MaxLifeSeconds = limit };
                    i++;
                    break;
                case "dynamic":
                    cookie = cookie with { Dynamic = true };
                    break;
                case "attr":
                    var attribute = ctx.Argument(i + 1);
                    if (string.IsNullOrEmpty(attribute))
                    {
                        ctx.Alert("'attr' expects <value> as argument.");
                        return;
                    }

                    foreach (var c in attribute)
                    {
                        if (char.IsControl(c) || c == ';')
                        {
                            ctx.Alert($"character '%x{(int)c:X2}' is not permitted in attribute value.");
                            return;
                        }
                    }

                    attributes.Add(attribute);
                    i++;
                    break;
                default:
                    ctx.Alert("'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.");
                    return;
            }
        }

        if (modes > 1)
        {
            ctx.Alert("cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.");
            return;
        }

        if (cookie.Mode == CookieMode.Rewrite && cookie.Indirect)
        {
            ctx.Alert("cookie 'rewrite' and 'indirect' modes are incompatible.");
            return;
        }

        if (cookie.Mode == CookieMode.Prefix && cookie.Indirect)
        {
            ctx.Alert("cookie 'prefix' and 'indirect' modes are incompatible.");
            return;
        }

        section.Cookie = cookie with { Domains = domains, Attributes = attributes };
    }

    /// <summary>`maxidle T` / `maxlife T`: seconds by default, as HAProxy reads them; null after an alert.</summary>
    private static long? ParseCookieLimit(KeywordContext ctx, string word, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            ctx.Alert($"'{word}' expects <{(word == "maxidle" ? "idletime" : "lifetime")}> in seconds as argument.");
            return null;
        }

        switch (ValueParsers.ParseSeconds(text, out var seconds))
        {
            case null:
                return seconds;
            case "timer overflow":
                ctx.Alert($"timer overflow in argument <{text}> to <{word}>, maximum value is 2147483647 s (~68 years).");
                return null;
            case "timer underflow":
                ctx.Alert($"timer underflow in argument <{text}> to <{word}>, minimum non-null value is 1 s.");
                return null;
            case var error:
                ctx.Alert($"{error} in argument to <{word}>.");
                return null;
        }
    }

    /// <summary>`dynamic-cookie-key KEY`: the secret mixed into `cookie ... dynamic` values.</summary>
    /// <summary>`persist rdp-cookie[(NAME)]`, `msts` by default (HAProxy 2.6's messages).</summary>
    public static void ParsePersist(KeywordContext ctx, ProxySection section)
    {
        var method = ctx.Argument(0);
        if (string.IsNullOrEmpty(method))
        {
            ctx.Alert("missing persist method.");
            return;
        }

        if (!method.StartsWith("rdp-cookie", StringComparison.Ordinal))
        {
            ctx.Alert("unknown persist method.");
            return;
        }

        if (method.Length > 10 && method[10] == '(' && ctx.ArgumentCount > 1)
        {
            ctx.Alert($"'persist' cannot handle unexpected argument '{ctx.Argument(1)}'.");
            return;
        }

        if (RdpCookieName(method, "msts") is not { } name)
        {
            ctx.Alert("persist rdp-cookie(name)' requires an rdp cookie name.");
            return;
        }

        section.RdpPersistCookie = name;
    }

    /// <summary>
    /// The NAME of `rdp-cookie(NAME)` (anything after the closing parenthesis ignored, as HAProxy does),
    /// <paramref name="fallback"/> for a bare `rdp-cookie`; null when the name is missing or the word is not of that form.
    /// </summary>
    public static string? RdpCookieName(string word, string fallback)
    {
        const int Length = 10;
        if (word.Length == Length)
        {
            return fallback;
        }

        if (word[Length] != '(')
        {
            return null;
        }

        var close = word.IndexOf(')', Length + 1);
        return close <= Length + 1 ? null : word[(Length + 1)..close];
    }

    public static void ParseDynamicCookieKey(KeywordContext ctx, ProxySection section)
    {
        var key = ctx.Argument(0);
        if (string.IsNullOrEmpty(key))
        {
            ctx.Alert("'dynamic-cookie-key' expects <secret_key> as argument.");
            return;
        }

        section.DynamicCookieKey = key;
    }
}

/// <summary><c>stick-table type ip|ipv6|integer size N [expire T] [store LIST]</c>: one table per proxy, named after it.</summary>
internal static class StickTableParser
{
    public static void Parse(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert("'stick-table' is not supported in 'defaults' section.");
            return;
        }

        if (section.StickTable is not null)
        {
            ctx.Alert($"{section.MessageKind} '{section.Name}' : only one stick-table is allowed per proxy.");
            return;
        }

        Backends.StickKeyType? type = null;
        long size = 0;
        long expireMs = 0;
        var config = new Backends.StickTableConfig(section.Name, Backends.StickKeyType.Ip, 0, 0);
        for (var i = 0; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i)!;
            var value = ctx.Argument(i + 1);
            switch (word)
            {
                case "type":
                    type = value switch
                    {
                        "ip" => Backends.StickKeyType.Ip,
                        "ipv6" => Backends.StickKeyType.Ipv6,
                        "integer" => Backends.StickKeyType.Integer,
                        "string" => Backends.StickKeyType.String,
                        "binary" => Backends.StickKeyType.Binary,
                        _ => null,
                    };
                    if (type is null)
                    {
                        ctx.Alert($"'stick-table' : unknown type '{value}'.");
                        return;
                    }

                    i++;

                    // `len N` belongs to the type and follows it directly, as HAProxy reads it.
                    if (type is Backends.StickKeyType.String or Backends.StickKeyType.Binary && ctx.Argument(i + 1) == "len")
                    {
                        var lengthText = ctx.Argument(i + 2);
                        if (!int.TryParse(lengthText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var keyLength) || keyLength < 1)
                        {
                            ctx.Alert($"'stick-table' : unknown type '{lengthText}'.");
                            return;
                        }

                        config = config with { KeyLength = keyLength };
                        i += 2;
                    }

                    break;
                case "size":
                    if (!TryParseSize(value, out size) || size < 1)
                    {
                        ctx.Alert($"'stick-table' : invalid size '{value}'.");
                        return;
                    }

                    i++;
                    break;
                case "expire":
                    if (value is null || ValueParsers.ParseTime(value, out var expire) is not null)
                    {
                        ctx.Alert($"'stick-table' : invalid expire value '{value}'.");
                        return;
                    }

                    expireMs = (long)expire.TotalMilliseconds;
                    i++;
                    break;
                case "store":
                    if (value is null)
                    {
                        ctx.Alert("'stick-table' : missing argument after 'store'.");
                        return;
                    }

                    foreach (var item in SplitStoreList(value))
                    {
                        var error = ApplyStore(item, ref config);
                        if (error is not null)
                        {
                            ctx.Alert($"'stick-table' : {error}");
                            return;
                        }
                    }

                    i++;
                    break;
                case "nopurge":
                    config = config with { NoPurge = true };
                    break;
                case "peers" or "srvkey" or "write-to":
                    ctx.Alert($"'stick-table' : '{word}' is not supported yet.");
                    return;
                default:
                    ctx.Alert($"'stick-table' : unknown argument '{word}'.");
                    return;
            }
        }

        if (type is null || size == 0)
        {
            ctx.Alert("'stick-table' : missing 'type' or 'size'.");
            return;
        }

        if (ArrayConflict(config) is { } conflict)
        {
            ctx.Alert($"'stick-table' : {conflict}");
            return;
        }

        config = config with { Type = type.Value, Size = (int)Math.Min(size, int.MaxValue), ExpireMs = expireMs > 0 ? expireMs : long.MaxValue / 4 };
        section.StickTable = new Backends.StickTable(config);
    }

    private static string? ApplyStore(string item, ref Backends.StickTableConfig config)
    {
        var open = item.IndexOf('(', StringComparison.Ordinal);
        var name = open < 0 ? item : item[..open];
        if (name is "gpc" or "gpt" or "gpc_rate")
        {
            return ApplyArrayStore(item, name, open, ref config);
        }

        long period = 0;
        if (open > 0)
        {
            if (!item.EndsWith(')') || ValueParsers.ParseTime(item[(open + 1)..^1], out var p) is not null || p <= TimeSpan.Zero)
            {
                return $"invalid period in '{item}'.";
            }

            period = (long)p.TotalMilliseconds;
        }

        var needsPeriod = name.EndsWith("_rate", StringComparison.Ordinal);
        if (needsPeriod != (open > 0))
        {
            return needsPeriod ? $"'{name}' requires a period, as in '{name}(10s)'." : $"'{name}' does not take a period.";
        }

        switch (name)
        {
            case "conn_cur":
                config = config with { StoresConnCur = true };
                break;
            case "conn_cnt":
                config = config with { StoresConnCnt = true };
                break;
            case "conn_rate":
                config = config with { ConnRatePeriodMs = period };
                break;
            case "http_req_cnt":
                config = config with { StoresHttpReqCnt = true };
                break;
            case "http_req_rate":
                config = config with { HttpReqRatePeriodMs = period };
                break;
            case "http_err_cnt":
                config = config with { StoresHttpErrCnt = true };
                break;
            case "http_err_rate":
                config = config with { HttpErrRatePeriodMs = period };
                break;
            case "gpc0":
                config = config with { StoresGpc0 = true };
                break;
            case "gpc0_rate":
                config = config with { Gpc0RatePeriodMs = period };
                break;
            case "gpc1":
                config = config with { StoresGpc1 = true };
                break;
            case "sess_cnt":
                config = config with { StoresSessCnt = true };
                break;
            case "sess_rate":
                config = config with { SessRatePeriodMs = period };
                break;
            case "gpc1_rate":
                config = config with { Gpc1RatePeriodMs = period };
                break;
            case "gpt0":
                config = config with { StoresGpt0 = true };
                break;
            case "server_id":
                config = config with { StoresServerId = true };
                break;
            case "http_fail_cnt":
                config = config with { StoresHttpFailCnt = true };
                break;
            case "http_fail_rate":
                config = config with { HttpFailRatePeriodMs = period };
                break;
            case "bytes_in_cnt":
                config = config with { StoresBytesInCnt = true };
                break;
            case "bytes_in_rate":
                config = config with { BytesInRatePeriodMs = period };
                break;
            case "bytes_out_cnt":
                config = config with { StoresBytesOutCnt = true };
                break;
            case "bytes_out_rate":
                config = config with { BytesOutRatePeriodMs = period };
                break;
            default:
                return $"unknown data type '{name}'.";
        }

        return null;
    }

    /// <summary>The items of a `store` list: commas inside parentheses (`gpc_rate(2,10s)`) belong to their item.</summary>
    private static List<string> SplitStoreList(string list)
    {
        var items = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < list.Length; i++)
        {
            depth += list[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (list[i] == ',' && depth == 0)
            {
                items.Add(list[start..i]);
                start = i + 1;
            }
        }

        items.Add(list[start..]);
        return items;
    }

    /// <summary>`gpc(N)`, `gpt(N)`, `gpc_rate(N,P)`: N from 1 to 100 (HAProxy 2.6's messages).</summary>
    private static string? ApplyArrayStore(string item, string name, int open, ref Backends.StickTableConfig config)
    {
        var arguments = open < 0 || !item.EndsWith(')') ? null : item[(open + 1)..^1].Split(',');
        if (arguments is null || (name == "gpc_rate" && arguments.Length < 2))
        {
            return $"missing argument to store option '{name}'.";
        }

        if (!int.TryParse(arguments[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) || count is < 1 or > 100)
        {
            return $"array size is out of allowed range (1-100) for store option '{name}'.";
        }

        switch (name)
        {
            case "gpc":
                config = config with { GpcArrayCount = count };
                break;
            case "gpt":
                config = config with { GptArrayCount = count };
                break;
            default:
                if (ValueParsers.ParseTime(arguments[1], out var period) is not null || period <= TimeSpan.Zero)
                {
                    return $"invalid period in '{item}'.";
                }

                config = config with { GpcRateArrayCount = count, GpcRateArrayPeriodMs = (long)period.TotalMilliseconds };
                break;
        }

        return null;
    }

    /// <summary>HAProxy refuses an array beside the single values it replaces; the message, or null.</summary>
    private static string? ArrayConflict(Backends.StickTableConfig config) =>
        config.GpcArrayCount > 0 && (config.StoresGpc0 || config.StoresGpc1)
            ? "simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'."
        : config.GpcRateArrayCount > 0 && (config.Gpc0RatePeriodMs > 0 || config.Gpc1RatePeriodMs > 0)
            ? "simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as 'gpc_rate' overrides 'gpc[0/1]_rate'."
        : config.GptArrayCount > 0 && config.StoresGpt0
            ? "simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'."
        : null;

    private static bool TryParseSize(string? text, out long size)
    {
        size = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var multiplier = char.ToLowerInvariant(text[^1]) switch
        {
            'k' => 1000L,
            'm' => 1000_000L,
            'g' => 1000_000_000L,
            _ => 1L,
        };
        var digits = multiplier == 1 ? text : text[..^1];
        if (!long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        size = n * multiplier;
        return true;
    }
}
