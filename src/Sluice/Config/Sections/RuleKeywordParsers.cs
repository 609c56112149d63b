using Sluice.Backends;
using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Logging;
using Sluice.Rules.Acls;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;

namespace Sluice.Config.Sections;

/// <summary>`acl`, `use_backend` and `stick`: the keywords that name ACLs and route with them.</summary>
internal static class RuleKeywordParsers
{
    public static void ParseAcl(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert(section.Name.Length == 0
                ? "'acl' not allowed in anonymous 'defaults' section."
                : "'acl' in a 'defaults' section is not supported yet.");
            return;
        }

        var name = ctx.Argument(0);
        if (string.IsNullOrEmpty(name))
        {
            ctx.Alert("'acl' expects an ACL name followed by a fetch method and patterns.");
            return;
        }

        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
        {
            ctx.Alert($"character '{name.First(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))}' is not permitted in acl name '{name}'.");
            return;
        }

        if (PredefinedAcls.Exists(name))
        {
            ctx.Warning($"acl '{name}' named like a predefined ACL; the predefined one is hidden in this section.");
        }

        var warnings = new List<string>();
        var entry = AclParser.Parse(ctx.Words, ctx.ArgumentIndex + 1, ctx.Words.Count, warnings, out var error);
        foreach (var warning in warnings)
        {
            ctx.Warning(warning);
        }

        if (entry is null)
        {
            ctx.Alert($"error detected while parsing ACL '{name}' : {error}.");
            return;
        }

        if (!section.Acls.TryGetValue(name, out var acl))
        {
            acl = new Acl(name);
            section.Acls.Add(name, acl);
        }

        acl.Add(entry);
    }

    /// <summary>`capture request|response header NAME len N`.</summary>
    public static void ParseCapture(KeywordContext ctx, ProxySection section)
    {
        var side = ctx.Argument(0);
        if (side is not ("cookie" or "request" or "response"))
        {
            ctx.Alert("'capture' expects 'cookie' or 'request header' or 'response header'.");
            return;
        }

        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert($"'capture {side}' not allowed in 'defaults' section.");
            return;
        }

        if (side == "cookie")
        {
            ParseCaptureCookie(ctx, section);
            return;
        }

        if (ctx.Argument(1) != "header" || string.IsNullOrEmpty(ctx.Argument(2)) || ctx.Argument(3) != "len"
            || !ValueParsers.TryParseInt(ctx.Argument(4), out var length) || length <= 0)
        {
            ctx.Alert($"'capture {side}' expects 'header' <header_name> 'len' <len>.");
            return;
        }

        (side == "request" ? section.RequestCaptures : section.ResponseCaptures).Add(new CaptureSlot(ctx.Argument(2), length));
    }

    /// <summary>
    /// `capture cookie NAME len N`: the first cookie whose name begins with NAME (`NAME=` for the exact name), in
    /// `Cookie` and in `Set-Cookie`, logged as `name=value` cut to N (at most 63) by `%CC` and `%CS`. The last line
    /// wins, as in HAProxy, which reads the length as atol does.
    /// </summary>
    private static void ParseCaptureCookie(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount < 4 || ctx.Argument(2) != "len" || string.IsNullOrEmpty(ctx.Argument(1)) || string.IsNullOrEmpty(ctx.Argument(3)))
        {
            ctx.Alert("'capture' expects 'cookie' <cookie_name> 'len' <len>.");
            return;
        }

        var digits = ctx.Argument(3)!;
        var end = 0;
        while (end < digits.Length && char.IsAsciiDigit(digits[end]))
        {
            end++;
        }

        var length = end == 0 ? 0 : (int)Math.Min(long.Parse(digits.AsSpan(0, Math.Min(end, 18)), System.Globalization.CultureInfo.InvariantCulture), int.MaxValue);
        if (length >= CookieCapture.MaxLength + 1)
        {
            // HAProxy's warning comes when the proxy is checked, so it has no line.
            section.CookieCaptureTruncated = true;
            length = CookieCapture.MaxLength;
        }
        else
        {
            section.CookieCaptureTruncated = false;
        }

        section.CookieCapture = new CookieCapture(ctx.Argument(1)!, length);
    }

    /// <summary>`declare capture request|response len N`: a slot for `http-request|http-response capture ... id N`.</summary>
    public static void ParseDeclare(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert("'declare' not allowed in 'defaults' section.");
            return;
        }

        if (ctx.Argument(0) != "capture" || ctx.Argument(1) is not ("request" or "response") || ctx.Argument(2) != "len"
            || !ValueParsers.TryParseInt(ctx.Argument(3), out var length) || length <= 0)
        {
            ctx.Alert("'declare capture' expects 'request' or 'response' followed by 'len' <length>.");
            return;
        }

        (ctx.Argument(1) == "request" ? section.RequestCaptures : section.ResponseCaptures).Add(new CaptureSlot(null, length));
    }

    public static void ParseMonitorUri(KeywordContext ctx, ProxySection section)
    {
        if (!ctx.ExpectArguments(1, "an URI"))
        {
            return;
        }

        section.MonitorUri = ctx.Argument(0);
    }

    /// <summary>`monitor fail if|unless COND`: the monitor URI answers 503 while the condition holds.</summary>
    public static void ParseMonitor(KeywordContext ctx, ProxySection section)
    {
        if (ctx.Argument(0) != "fail" || ctx.Argument(1) is not ("if" or "unless"))
        {
            ctx.Alert("'monitor' expects 'fail' followed by 'if' or 'unless' and a condition.");
            return;
        }

        section.MonitorFail = HttpRuleParser.ParseCondition(ctx, section, ctx.ArgumentIndex + 1, "error detected while parsing a 'monitor fail' condition", RuleSite.HttpRequest(backend: false));
    }

    public static void ParseUseBackend(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert("'use_backend' not allowed in 'defaults' section.");
            return;
        }

        var name = ctx.Argument(0);
        if (string.IsNullOrEmpty(name))
        {
            ctx.Alert("'use_backend' expects a backend name.");
            return;
        }

        var site = section.Mode == ProxyMode.Http ? RuleSite.SwitchingRule : RuleSite.TcpSwitchingRule;
        Condition? condition = null;
        if (ctx.ArgumentCount > 1)
        {
            var word = ctx.Argument(1)!;
            if (word is not ("if" or "unless"))
            {
                ctx.Alert($"unexpected keyword '{word}' after switching rule, only 'if' and 'unless' are allowed.");
                return;
            }

            condition = HttpRuleParser.ParseCondition(ctx, section, ctx.ArgumentIndex + 1, "error detected while parsing switching rule", site);
            if (condition is null)
            {
                return;
            }
        }

        if (!TryParseDynamicName(ref name, site, out var dynamicName, out var error))
        {
            ctx.Alert($"error detected in {section.MessageKind} '{section.Name}' while parsing 'use_backend' rule : {error}.");
            return;
        }

        section.UseBackends.Add(new UseBackendLine(name, ctx.Location, condition, dynamicName));
    }

    /// <summary>
    /// A target name that may be a log-format (`be_%[req.hdr(host)]`): <paramref name="dynamicName"/> when it
    /// renders per request; a format without any variable part becomes a plain <paramref name="name"/>.
    /// </summary>
    private static bool TryParseDynamicName(ref string name, RuleSite site, out LogFormat? dynamicName, out string? error)
    {
        dynamicName = null;
        error = null;
        if (!name.Contains('%', StringComparison.Ordinal))
        {
            return true;
        }

        dynamicName = LogFormat.Parse(name, site, out error);
        if (dynamicName is null)
        {
            return false;
        }

        if (dynamicName.IsConstant)
        {
            name = System.Text.Encoding.Latin1.GetString(dynamicName.ConstantBytes);
            dynamicName = null;
        }

        return true;
    }

    /// <summary>`use-server NAME|FORMAT if|unless COND`, with HAProxy's messages.</summary>
    public static void ParseUseServer(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert("'use-server' not allowed in 'defaults' section.");
            return;
        }

        var name = ctx.Argument(0);
        if (string.IsNullOrEmpty(name))
        {
            ctx.Alert("'use-server' expects a server name.");
            return;
        }

        if (ctx.Argument(1) is not ("if" or "unless"))
        {
            ctx.Alert("'use-server' requires either 'if' or 'unless' followed by a condition.");
            return;
        }

        var site = RuleSite.ServerChoiceRule;
        var condition = HttpRuleParser.ParseCondition(ctx, section, ctx.ArgumentIndex + 1, "error detected while parsing switching rule", site);
        if (condition is null)
        {
            return;
        }

        var written = name;
        if (!TryParseDynamicName(ref name, site, out var dynamicName, out var error))
        {
            ctx.Alert($"use-server rule failed to parse log-format '{written}' : {error}.");
            return;
        }

        section.UseServers.Add(new UseServerRule(dynamicName is null ? name : null, dynamicName, condition));
    }

    /// <summary>`force-persist if|unless COND` and `ignore-persist if|unless COND`.</summary>
    public static void ParsePersistRule(KeywordContext ctx, ProxySection section)
    {
        var keyword = ctx.Keyword;
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert($"'{keyword}' not allowed in 'defaults' section.");
            return;
        }

        if (ctx.Argument(0) is not ("if" or "unless"))
        {
            ctx.Alert($"'{keyword}' requires either 'if' or 'unless' followed by a condition.");
            return;
        }

        Condition? condition = null;
        if (ctx.ArgumentCount > 1)
        {
            var site = RuleSite.ServerChoiceRule;
            condition = HttpRuleParser.ParseCondition(ctx, section, ctx.ArgumentIndex, $"error detected while parsing a '{keyword}' rule", site);
            if (condition is null)
            {
                return;
            }
        }

        section.PersistRules.Add(new PersistRule(keyword == "force-persist", condition));
    }

    /// <summary>`stick match|on|store-request|store-response PATTERN [table T] [if|unless COND]`, with HAProxy's messages.</summary>
    public static void ParseStick(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert("'stick' not allowed in 'defaults' section.");
            return;
        }

        StickRuleKind kind;
        switch (ctx.Argument(0))
        {
            case "match":
                kind = StickRuleKind.Match;
                break;
            case "on":
                kind = StickRuleKind.On;
                break;
            case "store-request":
                kind = StickRuleKind.Store;
                break;
            case "store-response":
                kind = StickRuleKind.StoreResponse;
                break;
            default:
                ctx.Alert("'stick' expects 'on', 'match', or 'store'.");
                return;
        }

        var text = ctx.Argument(1);
        if (string.IsNullOrEmpty(text))
        {
            ctx.Alert("'stick' expects a fetch method.");
            return;
        }

        var key = SampleExpressionParser.Parse(text, forAcl: false, out var error);
        if (key is null)
        {
            ctx.Alert($"'stick': {error}");
            return;
        }

        var response = kind == StickRuleKind.StoreResponse;
        var site = response ? RuleSite.StickResponseRule : RuleSite.ServerChoiceRule;
        if ((key.Needs & ~site.Available) is var missing and not 0)
        {
            var fetch = text.IndexOfAny(['(', ',']) is var end and >= 0 ? text[..end] : text;
            ctx.Alert($"'stick': fetch method '{fetch}' extracts information from '{RuleSite.DescribeFirst(missing)}', none of which is available {(response ? "for 'store-response'" : "during request")}.");
            return;
        }

        var next = 2;
        string? table = null;
        if (ctx.Argument(next) == "table")
        {
            table = ctx.Argument(next + 1);
            next += 2;
        }

        Condition? condition = null;
        if (ctx.Argument(next) is "if" or "unless")
        {
            condition = HttpRuleParser.ParseCondition(ctx, section, ctx.ArgumentIndex + next, "'stick': error detected while parsing sticking condition", site);
            if (condition is null)
            {
                return;
            }
        }
        else if (!string.IsNullOrEmpty(ctx.Argument(next)))
        {
            ctx.Alert($"'stick': unknown keyword '{ctx.Argument(next)}'.");
            return;
        }

        section.StickRules.Add(new StickRule(kind, key, table, condition));
    }
}
