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
                case "maxidle" or "maxlife" or "dynamic" or "attr":
                    ctx.Alert($"'cookie' : '{word}' is not supported yet.");
                    return;
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

        section.Cookie = cookie with { Domains = domains };
    }
}
