using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Logging;
using Sluice.Rules.Acls;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;

namespace Sluice.Config.Sections;

/// <summary>`acl` and `use_backend`: the keywords that name ACLs and route with them.</summary>
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

        if (PredefinedAcls.Find(name) is not null)
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
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert("'capture' not allowed in 'defaults' section.");
            return;
        }

        var side = ctx.Argument(0);
        if (side == "cookie")
        {
            ctx.Alert("'capture cookie' is not supported yet.");
            return;
        }

        if (side is not ("request" or "response"))
        {
            ctx.Alert("'capture' expects 'cookie', 'request' or 'response'.");
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

        LogFormat? dynamicName = null;
        if (name.Contains('%', StringComparison.Ordinal))
        {
            dynamicName = LogFormat.Parse(name, site, out var error);
            if (dynamicName is null)
            {
                ctx.Alert($"error detected in {section.MessageKind} '{section.Name}' while parsing 'use_backend' rule : {error}.");
                return;
            }

            if (dynamicName.IsConstant)
            {
                name = System.Text.Encoding.Latin1.GetString(dynamicName.ConstantBytes);
                dynamicName = null;
            }
        }

        section.UseBackends.Add(new UseBackendLine(name, ctx.Location, condition, dynamicName));
    }
}

/// <summary>`tcp-request inspect-delay|connection|content ...`.</summary>
internal static class TcpRuleParser
{
    private static readonly string[] ConnectionActions =
    [
        "accept", "reject", "capture", "expect-proxy", "expect-netscaler-cip", "track-sc0' ... 'track-sc2", "sc-inc-gpc(*)",
        "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)", "set-var-fmt(*)", "set-var(*)", "unset-var(*)",
        "set-dst", "set-dst-port", "set-mark", "set-src", "set-src-port", "set-tos", "silent-drop",
    ];

    private static readonly string[] ContentActions =
    [
        "accept", "reject", "capture", "expect-proxy", "expect-netscaler-cip", "track-sc0' ... 'track-sc2", "ot-group",
        "set-log-level", "set-nice", "switch-mode", "use-service", "sc-inc-gpc(*)", "sc-inc-gpc0(*)", "sc-inc-gpc1(*)",
        "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group", "do-resolve(*)", "set-var-fmt(*)", "set-var(*)",
        "unset-var(*)", "set-src", "set-src-port", "set-dst", "set-dst-port", "set-mark", "set-tos", "silent-drop",
        "set-priority-class", "set-priority-offset",
    ];

    public static void Parse(KeywordContext ctx, ProxySection section)
    {
        var where = $"in {section.MessageKind} '{section.Name}'";
        var kind = ctx.Argument(0) ?? string.Empty;
        if (kind == "inspect-delay")
        {
            var text = ctx.Argument(1);
            if (string.IsNullOrEmpty(text) || ValueParsers.ParseTime(text, out var delay) is { } error)
            {
                var detail = string.IsNullOrEmpty(text) ? string.Empty : $" ({ValueParsers.ParseTime(text, out _)})";
                ctx.Alert($"'tcp-request inspect-delay' expects a positive delay in milliseconds, {where}{detail}");
                return;
            }

            section.InspectDelay = delay;
            return;
        }

        if (kind is not ("connection" or "content" or "session"))
        {
            ctx.Alert($"'tcp-request' expects 'inspect-delay', 'connection', or 'content' {where} (got '{kind}')");
            return;
        }

        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert($"'tcp-request {kind}' in a 'defaults' section is not supported yet.");
            return;
        }

        if (kind == "session" || (kind == "connection" && section.Kind == ProxyKinds.Backend))
        {
            ctx.Alert(kind == "connection"
                ? $"'tcp-request connection' is not allowed in backend '{section.Name}'."
                : "'tcp-request session' is not supported yet.");
            return;
        }

        if (kind == "content" && (section.Kind == ProxyKinds.Backend || section.Mode == Model.ProxyMode.Http))
        {
            ctx.Alert(section.Kind == ProxyKinds.Backend
                ? "'tcp-request content' in a backend is not supported yet."
                : "'tcp-request content' in an HTTP proxy is not supported yet.");
            return;
        }

        var action = ctx.Argument(1) ?? string.Empty;
        var keyword = $"tcp-request {kind} {action}";
        var site = kind == "connection" ? RuleSite.TcpRequestConnection(backend: false) : RuleSite.TcpRequestContent(backend: false);
        TcpRule? rule;
        var next = 2;
        var open = action.IndexOf('(', StringComparison.Ordinal);
        var baseName = open < 0 ? action : action[..open];
        switch (baseName)
        {
            case "accept" or "reject" when open < 0:
                rule = new TcpRule(action == "accept" ? TcpRuleAction.Accept : TcpRuleAction.Reject, null, ctx.Location.ToString());
                break;
            case "expect-proxy" when kind == "connection":
                if (ctx.Argument(2) != "layer4")
                {
                    ctx.Alert($"'tcp-request connection expect-proxy' only supports 'layer4' {where} (got '{ctx.Argument(2)}')");
                    return;
                }

                rule = new TcpRule(TcpRuleAction.ExpectProxy, null, ctx.Location.ToString());
                next = 3;
                break;
            case "set-var" or "unset-var" when open > 0 && action.EndsWith(')'):
                if (VariableNames.TryResolve(action[(open + 1)..^1], out var variable) is { } variableError)
                {
                    ctx.Alert($"{variableError}.");
                    return;
                }

                SampleExpression? expression = null;
                if (baseName == "set-var")
                {
                    var text = ctx.Argument(2);
                    if (string.IsNullOrEmpty(text) || text is "if" or "unless")
                    {
                        ctx.Alert("missing fetch method");
                        return;
                    }

                    expression = SampleExpressionParser.Parse(text, forAcl: false, out var expressionError);
                    if (expression is null)
                    {
                        ctx.Alert($"'{keyword}' : {expressionError}.");
                        return;
                    }

                    next = 3;
                }

                rule = new TcpRule(expression is null ? TcpRuleAction.UnsetVariable : TcpRuleAction.SetVariable, null, ctx.Location.ToString())
                {
                    Variable = variable,
                    Expression = expression,
                };
                break;
            default:
                var known = kind == "connection" ? ConnectionActions : ContentActions;
                var listed = open < 0 ? action : baseName + "(*)";
                ctx.Alert(action.Length > 0 && Array.IndexOf(known, listed) >= 0
                    ? $"'tcp-request {kind} {baseName}' is not supported yet."
                    : $"'tcp-request {kind}' expects {string.Join(", ", known.Select(a => $"'{a}'"))} {where} (got '{action}').");
                return;
        }

        if (next < ctx.ArgumentCount)
        {
            var word = ctx.Argument(next)!;
            if (word is not ("if" or "unless"))
            {
                ctx.Alert($"'{keyword}' only accepts 'if' or 'unless', {where} (got '{word}')");
                return;
            }

            var condition = HttpRuleParser.ParseCondition(ctx, section, ctx.ArgumentIndex + next,
                $"'{keyword}' : error detected {where} while parsing '{word}' condition", site);
            if (condition is null)
            {
                return;
            }

            rule = rule with { Condition = condition };
        }

        (kind == "connection" ? section.TcpConnectionRules : section.TcpContentRules).Add(rule);
    }
}
