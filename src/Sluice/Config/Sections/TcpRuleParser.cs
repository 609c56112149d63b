using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;

namespace Sluice.Config.Sections;

/// <summary>`tcp-request inspect-delay|connection|session|content ...` and `tcp-response inspect-delay|content ...`.</summary>
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

    private static readonly string[] ResponseActions =
    [
        "accept", "close", "reject", "ot-group", "set-log-level", "set-nice", "sc-inc-gpc(*)", "sc-inc-gpc0(*)",
        "sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group", "set-var-fmt(*)", "set-var(*)",
        "unset-var(*)", "set-mark", "set-tos", "silent-drop",
    ];

    /// <summary>The rule sets, named as HAProxy writes them after `tcp-request`/`tcp-response`.</summary>
    private enum RuleSet
    {
        Connection = 1,
        Session,
        Content,
        ResponseContent,
    }

    public static void ParseRequest(KeywordContext ctx, ProxySection section)
    {
        var where = $"in {section.MessageKind} '{section.Name}'";
        var kind = ctx.Argument(0) ?? string.Empty;
        if (kind == "inspect-delay")
        {
            if (ParseDelay(ctx, "tcp-request", where) is { } delay)
            {
                section.InspectDelay = delay;
            }

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

        if (kind != "content" && section.Kind == ProxyKinds.Backend)
        {
            ctx.Alert($"tcp-request {kind} is not allowed because backend {section.Name} is not a frontend");
            return;
        }

        var set = kind switch
        {
            "connection" => RuleSet.Connection,
            "session" => RuleSet.Session,
            _ => RuleSet.Content,
        };
        // HAProxy runs the sets in this order whatever the order of the lines, and says so first.
        if ((set == RuleSet.Connection && (section.TcpSessionRules.Count > 0 || section.TcpContentRules.Count > 0))
            || (set == RuleSet.Session && section.TcpContentRules.Count > 0))
        {
            ctx.Warning($"a 'tcp-request' rule placed after a 'tcp-request {(section.TcpContentRules.Count > 0 ? "content" : "session")}' rule will still be processed before.");
        }

        if (ParseRule(ctx, section, set, where) is not { } rule)
        {
            return;
        }

        (set switch
        {
            RuleSet.Connection => section.TcpConnectionRules,
            RuleSet.Session => section.TcpSessionRules,
            _ => section.TcpContentRules,
        }).Add(rule);
    }

    public static void ParseResponse(KeywordContext ctx, ProxySection section)
    {
        var where = $"in {section.MessageKind} '{section.Name}'";
        var kind = ctx.Argument(0) ?? string.Empty;
        if (kind == "inspect-delay")
        {
            if (ParseDelay(ctx, "tcp-response", where) is { } delay)
            {
                section.ResponseInspectDelay = delay;
            }

            return;
        }

        if (kind != "content")
        {
            ctx.Alert($"'tcp-response' expects 'inspect-delay' or 'content' {where} (got '{kind}')");
            return;
        }

        if (section.Kind == ProxyKinds.Frontend)
        {
            ctx.Alert("tcp-response content is only allowed in 'backend' sections or 'defaults' section with a name");
            return;
        }

        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert("'tcp-response content' in a 'defaults' section is not supported yet.");
            return;
        }

        if (ParseRule(ctx, section, RuleSet.ResponseContent, where) is { } rule)
        {
            section.TcpResponseRules.Add(rule);
        }
    }

    private static TimeSpan? ParseDelay(KeywordContext ctx, string keyword, string where)
    {
        var text = ctx.Argument(1);
        if (string.IsNullOrEmpty(text) || ValueParsers.ParseTime(text, out var delay) is { } error)
        {
            var detail = string.IsNullOrEmpty(text) ? string.Empty : $" ({ValueParsers.ParseTime(text, out _)})";
            ctx.Alert($"'{keyword} inspect-delay' expects a positive delay in milliseconds, {where}{detail}");
            return null;
        }

        return delay;
    }

    /// <summary>The rule set's site: what its fetches may read (content rules of an HTTP proxy see the request).</summary>
    private static RuleSite Site(ProxySection section, RuleSet set)
    {
        var backend = section.Kind == ProxyKinds.Backend;
        return set switch
        {
            RuleSet.Connection => RuleSite.TcpRequestConnection(backend: false),
            RuleSet.Session => RuleSite.TcpRequestSession,
            RuleSet.Content => RuleSite.TcpRequestContent(backend, section.Mode == ProxyMode.Http),
            _ => RuleSite.TcpResponseContent,
        };
    }

    private static TcpRule? ParseRule(KeywordContext ctx, ProxySection section, RuleSet set, string where)
    {
        var kind = set switch
        {
            RuleSet.Connection => "tcp-request connection",
            RuleSet.Session => "tcp-request session",
            RuleSet.Content => "tcp-request content",
            _ => "tcp-response content",
        };
        var action = ctx.Argument(1) ?? string.Empty;
        var keyword = $"{kind} {action}";
        var site = Site(section, set);
        var location = ctx.Location.ToString();
        TcpRule? rule;
        var next = 2;
        var open = action.IndexOf('(', StringComparison.Ordinal);
        var baseName = open < 0 ? action : action[..open];
        switch (baseName)
        {
            case "accept" or "reject" when open < 0:
                rule = new TcpRule(action == "accept" ? TcpRuleAction.Accept : TcpRuleAction.Reject, null, location);
                break;
            case "close" when open < 0 && set == RuleSet.ResponseContent:
                rule = new TcpRule(TcpRuleAction.Close, null, location);
                break;
            case "expect-proxy" when set != RuleSet.ResponseContent:
                if (set != RuleSet.Connection)
                {
                    ctx.Alert($"'expect-proxy {ctx.Argument(2)}' is not allowed in '{kind}' rules {where}");
                    return null;
                }

                if (ctx.Argument(2) != "layer4")
                {
                    ctx.Alert($"'tcp-request connection expect-proxy' only supports 'layer4' {where} (got '{ctx.Argument(2)}')");
                    return null;
                }

                rule = new TcpRule(TcpRuleAction.ExpectProxy, null, location);
                next = 3;
                break;
            case "capture" when open < 0 && set != RuleSet.ResponseContent:
                if (set != RuleSet.Content)
                {
                    ctx.Alert($"'capture {ctx.Argument(2)}' is not allowed in '{kind}' rules {where}");
                    return null;
                }

                rule = ParseCapture(ctx, section, keyword, location, site);
                next = 5;
                break;
            case "track-sc0" or "track-sc1" or "track-sc2" when open < 0 && set != RuleSet.ResponseContent:
                if (HttpRuleParser.ParseTrackScArguments(ctx, 2, out var key, out var table, out next) is { } trackError)
                {
                    ctx.Alert($"'{keyword}' : {trackError}.");
                    return null;
                }

                if (!Available(ctx, key!, site, keyword))
                {
                    return null;
                }

                rule = new TcpRule(TcpRuleAction.TrackSc, null, location)
                {
                    Expression = key,
                    TrackIndex = baseName[^1] - '0',
                    TableName = table,
                    TracksSession = set != RuleSet.Content,
                };
                break;
            case "sc-inc-gpc0" or "sc-inc-gpc1":
                if (StickTracking.ParseTrackId(action, open, out var counter) is { } trackIdError)
                {
                    ctx.Alert($"'{keyword}' : {trackIdError}.");
                    return null;
                }

                rule = new TcpRule(TcpRuleAction.IncrementGpc, null, location) { TrackIndex = counter, Counter = baseName[^1] - '0' };
                break;
            case "sc-inc-gpc":
                if (StickTracking.ParseArrayIds(action, open, "gpc", out var element, out var counted) is { } idsError)
                {
                    ctx.Alert($"'{keyword}' : {idsError}.");
                    return null;
                }

                rule = new TcpRule(TcpRuleAction.IncrementGpc, null, location) { TrackIndex = counted, Counter = element, ArrayElement = true };
                break;
            case "sc-set-gpt0" or "sc-set-gpt":
                SampleExpression? gptValue = null;
                var array = baseName == "sc-set-gpt";
                var tag = 0;
                var tagged = 0;
                if (((array ? StickTracking.ParseArrayIds(action, open, "gpt", out tag, out tagged) : StickTracking.ParseTrackId(action, open, out tagged))
                    ?? HttpRuleParser.ParseGptValue(ctx.Argument(2), out gptValue)) is { } gptError)
                {
                    ctx.Alert($"'{keyword}' : {gptError}.");
                    return null;
                }

                rule = new TcpRule(TcpRuleAction.SetGpt, null, location) { TrackIndex = tagged, Counter = tag, ArrayElement = array, Expression = gptValue };
                next = 3;
                break;
            case "use-service" when open < 0 && set == RuleSet.Content:
                // Prometheus is the only service Sluice has, and HAProxy offers it to HTTP rules only.
                ctx.Alert(ctx.Argument(2) == "prometheus-exporter"
                    ? "Prometheus exporter service only available on 'http-request' rulesets"
                    : ctx.Argument(2) is { } service && service.StartsWith("lua.", StringComparison.Ordinal)
                        ? $"'{kind} use-service {service}' is not supported yet."
                        : $"'{kind} use-service' : unknown service '{ctx.Argument(2)}'.");
                return null;
            case "set-src" or "set-src-port" or "set-dst" or "set-dst-port" when open < 0 && set != RuleSet.ResponseContent:
                // Connection and session rules rewrite the connection's addresses, which all its transactions then
                // see; content rules the transaction's (in mode tcp, the tunnel's).
                rule = ParseSetAddress(ctx, action, keyword, location, site);
                next = 3;
                break;
            case "do-resolve" when open > 0 && set == RuleSet.Content:
                var resolve = HttpRuleParser.ParseDoResolve(action, open, ctx.Argument(2), out var resolveError);
                if (resolve is null)
                {
                    ctx.Alert(resolveError!);
                    return null;
                }

                rule = new TcpRule(TcpRuleAction.DoResolve, null, location) { Resolve = resolve };
                next = 3;
                break;
            case "set-var" or "set-var-fmt" or "unset-var" when open > 0 && action.EndsWith(')'):
                rule = ParseVariable(ctx, action[(open + 1)..^1], baseName, keyword, location, site, out next);
                break;
            default:
                var known = set switch
                {
                    RuleSet.Connection or RuleSet.Session => ConnectionActions,
                    RuleSet.Content => ContentActions,
                    _ => ResponseActions,
                };
                var listed = open < 0 ? action : baseName + "(*)";
                ctx.Alert(action.Length > 0 && Array.IndexOf(known, listed) >= 0
                    ? $"'{kind} {baseName}' is not supported yet."
                    : $"'{kind}' expects {string.Join(", ", known.Select(a => $"'{a}'"))} {where} (got '{action}').");
                return null;
        }

        if (rule is null)
        {
            return null;
        }

        if (next < ctx.ArgumentCount)
        {
            var word = ctx.Argument(next)!;
            if (word is not ("if" or "unless"))
            {
                ctx.Alert($"'{keyword}' only accepts 'if' or 'unless', {where} (got '{word}')");
                return null;
            }

            var condition = HttpRuleParser.ParseCondition(ctx, section, ctx.ArgumentIndex + next,
                $"'{keyword}' : error detected {where} while parsing '{word}' condition", site);
            if (condition is null)
            {
                return null;
            }

            rule = rule with { Condition = condition };
        }

        return rule;
    }

    /// <summary>`set-var(NAME) EXPR`, `set-var-fmt(NAME) FORMAT`, `unset-var(NAME)`.</summary>
    private static TcpRule? ParseVariable(KeywordContext ctx, string name, string baseName, string keyword, string location, RuleSite site, out int next)
    {
        next = baseName == "unset-var" ? 2 : 3;
        if (VariableNames.TryResolve(name, out var variable) is { } variableError)
        {
            ctx.Alert($"{variableError}.");
            return null;
        }

        if (baseName == "unset-var")
        {
            return new TcpRule(TcpRuleAction.UnsetVariable, null, location) { Variable = variable };
        }

        var text = ctx.Argument(2);
        if (baseName == "set-var-fmt")
        {
            // haproxy 2.6 takes a missing format as an empty one.
            var present = text is not (null or "if" or "unless");
            next = present ? 3 : 2;
            var format = HttpRuleParser.ParseFormat(ctx, $"'{keyword}' : ", present ? text! : string.Empty, site);
            return format is null ? null : new TcpRule(TcpRuleAction.SetVariableFormat, null, location) { Variable = variable, Format = format };
        }

        if (string.IsNullOrEmpty(text) || text is "if" or "unless")
        {
            ctx.Alert("missing fetch method");
            return null;
        }

        var expression = SampleExpressionParser.Parse(text, forAcl: false, out var expressionError);
        if (expression is null)
        {
            ctx.Alert($"'{keyword}' : {expressionError}.");
            return null;
        }

        if (!Available(ctx, expression, site, keyword))
        {
            return null;
        }

        return new TcpRule(TcpRuleAction.SetVariable, null, location) { Variable = variable, Expression = expression };
    }

    /// <summary>`set-src EXPR` and its siblings: the expression must be readable where the rule runs.</summary>
    private static TcpRule? ParseSetAddress(KeywordContext ctx, string action, string keyword, string location, RuleSite site)
    {
        var text = ctx.Argument(2);
        if (text is null or "if" or "unless")
        {
            ctx.Alert($"'{keyword}' : missing fetch method.");
            return null;
        }

        var expression = SampleExpressionParser.Parse(text, forAcl: false, out var error);
        if (expression is null)
        {
            ctx.Alert($"'{keyword}' : {error}.");
            return null;
        }

        return Available(ctx, expression, site, keyword)
            ? new TcpRule(TcpRuleAction.SetAddress, null, location) { Expression = expression, Address = AddressParts.FromActionName(action) }
            : null;
    }

    /// <summary>`tcp-request content capture EXPR len N`: a new request capture slot, as `http-request capture ... len N`.</summary>
    private static TcpRule? ParseCapture(KeywordContext ctx, ProxySection section, string keyword, string location, RuleSite site)
    {
        var text = ctx.Argument(2);
        if (string.IsNullOrEmpty(text) || ctx.Argument(3) != "len" || !ValueParsers.TryParseInt(ctx.Argument(4), out var length) || length <= 0)
        {
            ctx.Alert($"'{keyword}' expects <expression> 'len' <length>.");
            return null;
        }

        var expression = SampleExpressionParser.Parse(text, forAcl: false, out var error);
        if (expression is null)
        {
            ctx.Alert($"'{keyword}' : {error}.");
            return null;
        }

        if (!Available(ctx, expression, site, keyword))
        {
            return null;
        }

        section.RequestCaptures.Add(new CaptureSlot(null, length));
        return new TcpRule(TcpRuleAction.Capture, null, location) { Expression = expression, CaptureSlot = section.RequestCaptures.Count - 1 };
    }

    /// <summary>HAProxy refuses an expression that reads what the rule set cannot see, naming the action.</summary>
    private static bool Available(KeywordContext ctx, SampleExpression expression, RuleSite site, string keyword)
    {
        var missing = expression.Needs & ~site.Available;
        if (missing == 0)
        {
            return true;
        }

        var action = keyword[(keyword.LastIndexOf(' ') + 1)..];
        ctx.Alert($"fetch method '{action}' extracts information from '{RuleSite.DescribeFirst(missing)}', none of which is available here");
        return false;
    }
}
