using System.Text;
using System.Text.RegularExpressions;
using Sluice.Config.Keywords;
using Sluice.Config.Model;
using Sluice.Logging;
using Sluice.Rules.Acls;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;

namespace Sluice.Config.Sections;

/// <summary>
/// Reads <c>http-request</c> and <c>http-response</c> rules: the action and its arguments, then an optional
/// <c>if</c>/<c>unless</c> condition. Actions HAProxy knows that Sluice lacks are refused as not supported
/// yet; unknown ones get HAProxy's list.
/// </summary>
internal static class HttpRuleParser
{
    /// <summary>HAProxy's <c>http-request</c> actions, in the order of its "expects" message.</summary>
    public static readonly string[] RequestActions =
    [
        "wait-for-handshake", "ot-group", "set-log-level", "set-nice", "use-service", "sc-add-gpc(*)", "sc-inc-gpc(*)",
        "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)", "sc-set-gpt0(*)", "send-spoe-group", "do-resolve(*)",
        "cache-use", "add-acl(*)", "add-header", "allow", "auth", "capture", "del-acl(*)", "del-header", "del-map(*)",
        "deny", "disable-l7-retry", "early-hint", "normalize-uri", "redirect", "reject", "replace-header",
        "replace-path", "replace-pathq", "replace-uri", "replace-value", "return", "set-header", "set-map(*)",
        "set-method", "set-path", "set-pathq", "set-query", "set-uri", "strict-mode", "tarpit", "track-sc(*)",
        "set-timeout", "wait-for-body", "set-var-fmt(*)", "set-var(*)", "unset-var(*)", "set-dst", "set-dst-port",
        "set-mark", "set-src", "set-src-port", "set-tos", "silent-drop", "set-priority-class", "set-priority-offset",
        "set-bandwidth-limit", "set-retries", "do-log", "set-fc-mark", "set-fc-tos",
    ];

    /// <summary>HAProxy's <c>http-response</c> actions, in the order of its "expects" message.</summary>
    public static readonly string[] ResponseActions =
    [
        "ot-group", "set-log-level", "set-nice", "sc-inc-gpc(*)", "sc-inc-gpc0(*)", "sc-inc-gpc1(*)", "sc-set-gpt(*)",
        "sc-set-gpt0(*)", "send-spoe-group", "cache-store", "add-acl(*)", "add-header", "allow", "capture", "del-acl(*)",
        "del-header", "del-map(*)", "deny", "redirect", "replace-header", "replace-value", "return", "set-header",
        "set-map(*)", "set-status", "strict-mode", "track-sc(*)", "wait-for-body", "set-var-fmt(*)", "set-var(*)",
        "unset-var(*)", "set-mark", "set-tos", "silent-drop",
    ];

    private static readonly string[] LogLevels = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "silent"];

    public static void ParseRequest(KeywordContext ctx, ProxySection section) => Parse(ctx, section, response: false);

    public static void ParseResponse(KeywordContext ctx, ProxySection section) => Parse(ctx, section, response: true);

    /// <summary>The rule site of a proxy section's request or response rules (a listen section runs them as a frontend).</summary>
    public static RuleSite Site(ProxySection section, bool response) => response
        ? RuleSite.HttpResponse(section.Kind == ProxyKinds.Backend)
        : RuleSite.HttpRequest(section.Kind == ProxyKinds.Backend);

    private static void Parse(KeywordContext ctx, ProxySection section, bool response)
    {
        var keyword = response ? "http-response" : "http-request";
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert(section.Name.Length == 0
                ? $"'{keyword}' not allowed in anonymous 'defaults' section."
                : $"'{keyword}' in a 'defaults' section is not supported yet.");
            return;
        }

        var rules = response ? section.HttpResponseRules : section.HttpRequestRules;
        if (rules.Count > 0 && rules[^1] is { Condition: null, Action.IsFinal: true })
        {
            ctx.Warning($"previous '{keyword}' action is final and has no condition attached, further entries are NOOP.");
        }

        if (ParseRule(ctx, section, response) is not { } parsed)
        {
            return;
        }

        rules.Add(parsed);
        if (!response && section.UseBackends.Count > 0)
        {
            ctx.Warning("a 'http-request' rule placed after a 'use_backend' rule will still be processed before.");
        }
    }

    /// <summary>
    /// One `http-request`/`http-response` rule: the action whose name is the first argument of
    /// <paramref name="ctx"/>, and its condition. Null after an alert. `stats http-request` rules are read here too.
    /// </summary>
    public static HttpRule? ParseRule(KeywordContext ctx, ProxySection section, bool response)
    {
        var keyword = response ? "http-response" : "http-request";
        var name = ctx.Argument(0) ?? string.Empty;
        var site = Site(section, response);
        var rule = new RuleWords(ctx, section, keyword, name, site);
        var action = ParseAction(rule, response);
        if (action is null)
        {
            return null;
        }

        Condition? condition = null;
        if (rule.Next < ctx.ArgumentCount)
        {
            var word = ctx.Argument(rule.Next)!;
            if (word is not ("if" or "unless"))
            {
                ctx.Alert($"'{keyword} {rule.ActionName}' expects either 'if' or 'unless' followed by a condition but found '{word}'.");
                return null;
            }

            condition = ParseCondition(ctx, section, ctx.ArgumentIndex + rule.Next, $"error detected while parsing an '{keyword} {rule.ActionName}' condition", site);
            if (condition is null)
            {
                return null;
            }
        }

        return new HttpRule(action, condition, ctx.Location.ToString()) { Keyword = $"{keyword} {rule.ActionName}" };
    }

    /// <summary>
    /// Compiles the condition whose first word (`if` or `unless`) is at <paramref name="wordIndex"/>; alerts
    /// as HAProxy does and returns null on error. Shared by every keyword that takes a condition.
    /// </summary>
    public static Condition? ParseCondition(KeywordContext ctx, ProxySection section, int wordIndex, string errorPrefix, RuleSite site)
    {
        var warnings = new List<string>();
        var condition = ConditionParser.Parse(ctx.Words, wordIndex, n => section.Acls.GetValueOrDefault(n), site, warnings, out var error);
        foreach (var warning in warnings)
        {
            ctx.Warning(warning);
        }

        if (condition is null)
        {
            ctx.Alert($"{errorPrefix} : {error}.");
        }

        return condition;
    }

    /// <summary>Compiles a log-format argument; alerts with the rule's prefix and returns null on error.</summary>
    public static LogFormat? ParseFormat(KeywordContext ctx, string prefix, string text, RuleSite site)
    {
        var format = LogFormat.Parse(text, site, out var error);
        if (format is null)
        {
            ctx.Alert($"{prefix}{error}.");
        }

        return format;
    }

    /// <summary>
    /// `set-map(FILE) KEY VALUE`, `del-map(FILE) KEY`, `add-acl(FILE) KEY`, `del-acl(FILE) KEY`: KEY and VALUE are
    /// log-formats. As in HAProxy, the file name is what stands between the parentheses, if any.
    /// </summary>
    private static HttpAction? ParsePatternUpdate(RuleWords rule, string baseName, int open)
    {
        var ctx = rule.Ctx;
        var arguments = baseName == "set-map" ? 2 : 1;
        if (rule.Count(1) < arguments)
        {
            return rule.Fail($"expects exactly {arguments} arguments");
        }

        var close = rule.ActionName.IndexOf(')', StringComparison.Ordinal);
        var file = open < 0 ? string.Empty : rule.ActionName[(open + 1)..(close > open ? close : rule.ActionName.Length)];
        var key = ParseFormat(ctx, rule.Prefix, ctx.Argument(1)!, rule.Site);
        var value = key is not null && arguments == 2 ? ParseFormat(ctx, rule.Prefix, ctx.Argument(2)!, rule.Site) : null;
        rule.Next = arguments + 1;
        if (key is null || (arguments == 2 && value is null))
        {
            return null;
        }

        var kind = baseName switch
        {
            "set-map" => PatternUpdate.SetMap,
            "del-map" => PatternUpdate.DeleteMap,
            "add-acl" => PatternUpdate.AddAcl,
            _ => PatternUpdate.DeleteAcl,
        };
        return new PatternUpdateAction(kind, file, key, value, PatternReferences.Loading);
    }

    private static HttpAction? ParseAction(RuleWords rule, bool response)
    {
        var ctx = rule.Ctx;
        var open = rule.ActionName.IndexOf('(', StringComparison.Ordinal);
        var baseName = open < 0 ? rule.ActionName : rule.ActionName[..open];
        rule.Next = 1;
        switch (baseName)
        {
            case "allow" when open < 0:
                return new AllowAction();
            case "reject" when open < 0 && !response:
            case "silent-drop" when open < 0:
                return new RejectAction();
            case "deny" or "tarpit" when open < 0 && (baseName == "deny" || !response):
                return ParseReply(rule, baseName == "tarpit" ? RuleVerdict.Tarpit : RuleVerdict.Reply, isDenial: true, baseName == "tarpit" ? 500 : response ? 502 : 403);
            case "return" when open < 0:
                return ParseReply(rule, RuleVerdict.Reply, isDenial: false, 200);
            case "redirect" when open < 0:
                return ParseRedirect(rule);
            case "auth" when open < 0 && !response:
                return ParseAuth(rule);
            case "set-header" or "add-header" when open < 0:
            {
                if (rule.Count(1) < 2)
                {
                    return rule.Fail("expects exactly 2 arguments");
                }

                var format = ParseFormat(ctx, rule.Prefix, ctx.Argument(2)!, rule.Site);
                rule.Next = 3;
                return format is null ? null : new SetHeaderAction(Encoding.Latin1.GetBytes(ctx.Argument(1)!.ToLowerInvariant()), format, baseName == "set-header");
            }

            case "early-hint" when open < 0 && !response:
            {
                if (rule.Count(1) < 2)
                {
                    return rule.Fail("expects exactly 2 arguments");
                }

                var format = ParseFormat(ctx, rule.Prefix, ctx.Argument(2)!, rule.Site);
                rule.Next = 3;
                return format is null ? null : new EarlyHintAction(Encoding.Latin1.GetBytes(ctx.Argument(1)!.ToLowerInvariant()), format);
            }

            case "del-header" when open < 0:
                return ParseDeleteHeader(rule);
            case "replace-header" or "replace-value" when open < 0:
            {
                if (rule.Count(1) < 3)
                {
                    return rule.Fail("expects exactly 3 arguments");
                }

                var regex = CompileRegex(rule, ctx.Argument(2)!);
                var format = regex is null ? null : ParseFormat(ctx, rule.Prefix, ctx.Argument(3)!, rule.Site);
                rule.Next = 4;
                return format is null ? null : new ReplaceHeaderAction(Encoding.Latin1.GetBytes(ctx.Argument(1)!.ToLowerInvariant()), regex!, format, baseName == "replace-value");
            }

            case "set-path" or "set-pathq" or "set-query" or "set-uri" or "set-method" when open < 0 && !response:
            {
                if (rule.Count(1) < 1)
                {
                    return rule.Fail("expects exactly 1 argument <format>");
                }

                var format = ParseFormat(ctx, rule.Prefix, ctx.Argument(1)!, rule.Site);
                rule.Next = 2;
                var part = baseName switch
                {
                    "set-path" => RequestLinePart.Path,
                    "set-pathq" => RequestLinePart.PathAndQuery,
                    "set-query" => RequestLinePart.Query,
                    "set-uri" => RequestLinePart.Uri,
                    _ => RequestLinePart.Method,
                };
                return format is null ? null : new SetRequestLineAction(part, format);
            }

            case "normalize-uri" when open < 0 && !response:
                return ParseNormalizeUri(rule);
            case "set-status" when open < 0 && response:
                return ParseSetStatus(rule);
            case "set-var" or "unset-var" when open > 0:
                return ParseVariable(rule, baseName == "set-var", open);
            case "do-resolve" when open > 0 && !response:
                return ParseDoResolve(rule, open);
            case "set-var-fmt" when open > 0:
                return ParseVariableFormat(rule, open);
            case "set-map" or "del-map" or "add-acl" or "del-acl":
                return ParsePatternUpdate(rule, baseName, open);
            case "set-log-level" when open < 0:
            {
                var level = ctx.Argument(1);
                if (level is null || Array.IndexOf(LogLevels, level) < 0)
                {
                    return rule.Fail("expects exactly 1 argument (log level name or 'silent')");
                }

                rule.Next = 2;
                return new SetLogLevelAction(level);
            }

            case "wait-for-body" when open < 0 && !response:
                return ParseWaitForBody(rule);
            case "use-service" when open < 0 && !response:
                return ParseUseService(rule);
            case "capture" when open < 0:
                return ParseCapture(rule, response);
            case "sc-inc-gpc0" or "sc-inc-gpc1":
                return StickTracking.ParseTrackId(rule.ActionName, open, out var counter) is { } trackIdError
                    ? rule.Fail(trackIdError)
                    : new IncrementGpcAction(baseName[^1] - '0', counter, array: false);
            case "sc-inc-gpc":
                return StickTracking.ParseArrayIds(rule.ActionName, open, "gpc", out var element, out var counted) is { } idsError
                    ? rule.Fail(idsError)
                    : new IncrementGpcAction(element, counted, array: true);
            case "sc-set-gpt0" or "sc-set-gpt":
            {
                var array = baseName == "sc-set-gpt";
                var tag = 0;
                var tracked = 0;
                if ((array ? StickTracking.ParseArrayIds(rule.ActionName, open, "gpt", out tag, out tracked) : StickTracking.ParseTrackId(rule.ActionName, open, out tracked)) is { } gptError)
                {
                    return rule.Fail(gptError);
                }

                if (ParseGptValue(rule.Ctx.Argument(1), out var gptValue) is { } valueError)
                {
                    return rule.Fail(valueError);
                }

                rule.Next = 2;
                return new SetGptAction(tracked, tag, array, gptValue!);
            }

            case "track-sc0" or "track-sc1" or "track-sc2" when open < 0 && !response:
                return ParseTrackSc(rule, baseName[^1] - '0');
            case "set-src" or "set-src-port" or "set-dst" or "set-dst-port" when open < 0 && !response:
                return ParseSetAddress(rule);
        }

        var listed = open < 0 ? rule.ActionName : baseName + "(*)";
        var known = response ? ResponseActions : RequestActions;
        if (rule.ActionName.Length > 0 && Array.IndexOf(known, listed) >= 0)
        {
            ctx.Alert($"'{rule.Keyword} {baseName}' is not supported yet.");
            return null;
        }

        var got = rule.ActionName.Length == 0 ? "'' (missing argument)" : $"'{rule.ActionName}'";
        ctx.Alert($"'{rule.Keyword}' expects {string.Join(", ", known.Select(a => $"'{a}'"))}, but got {got}.");
        return null;
    }

    /// <summary>`set-src|set-src-port|set-dst|set-dst-port EXPR`.</summary>
    private static HttpAction? ParseSetAddress(RuleWords rule)
    {
        var text = rule.Ctx.Argument(1);
        if (text is null or "if" or "unless")
        {
            return rule.Fail("missing fetch method");
        }

        var expression = SampleExpressionParser.Parse(text, forAcl: false, out var error);
        if (expression is null)
        {
            return rule.Fail(error ?? "invalid fetch method");
        }

        rule.Next = 2;
        return new SetAddressAction(AddressParts.FromActionName(rule.ActionName), expression);
    }

    /// <summary>`track-scN KEY [table T]`: the key is a sample expression; the table is resolved by the builder.</summary>
    private static HttpAction? ParseTrackSc(RuleWords rule, int index)
    {
        if (ParseTrackScArguments(rule.Ctx, 1, out var key, out var table, out var next) is { } error)
        {
            return rule.Fail(error);
        }

        rule.Next = next;
        return new TrackScAction(index, key!, table);
    }

    /// <summary>The VALUE of `sc-set-gpt0(N) VALUE`: an integer, or an expression; the error, or null.</summary>
    internal static string? ParseGptValue(string? text, out SampleExpression? value)
    {
        value = null;
        if (text is null or "if" or "unless")
        {
            return "expects an integer or an expression";
        }

        value = long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? SampleExpressionParser.Parse($"int({text})", forAcl: false, out var error)
            : SampleExpressionParser.Parse(text, forAcl: false, out error);
        return value is null ? error ?? "invalid expression" : null;
    }

    /// <summary>
    /// The words after `track-scN` from argument <paramref name="keyAt"/> on: KEY and an optional `table T`, for the
    /// http and tcp rules alike. Returns the error, or null with <paramref name="next"/> the first word after them.
    /// </summary>
    internal static string? ParseTrackScArguments(KeywordContext ctx, int keyAt, out SampleExpression? key, out string? table, out int next)
    {
        key = null;
        table = null;
        next = keyAt + 1;
        var text = ctx.Argument(keyAt);
        if (text is null or "if" or "unless")
        {
            return "missing fetch method";
        }

        key = SampleExpressionParser.Parse(text, forAcl: false, out var error);
        if (key is null)
        {
            return error ?? "invalid fetch method";
        }

        if (ctx.Argument(keyAt + 1) == "table")
        {
            table = ctx.Argument(keyAt + 2);
            if (table is null)
            {
                return "missing table name";
            }

            next = keyAt + 3;
        }

        return null;
    }

    /// <summary>`use-service NAME`: the proxy answers with a built-in service; `prometheus-exporter` is the one Sluice has.</summary>
    private static HttpAction? ParseUseService(RuleWords rule)
    {
        var name = rule.Ctx.Argument(1);
        rule.Next = 2;
        if (string.IsNullOrEmpty(name))
        {
            return rule.Fail("expects a service name");
        }

        if (name == "prometheus-exporter")
        {
            return new Stats.PrometheusServiceAction();
        }

        if (name.StartsWith("lua.", StringComparison.Ordinal))
        {
            rule.Ctx.Alert($"'{rule.Keyword} use-service {name}' is not supported yet.");
            return null;
        }

        return rule.Fail($"unknown service '{name}'");
    }

    private static Regex? CompileRegex(RuleWords rule, string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException ex)
        {
            rule.Fail($"regex '{pattern}' is invalid (error={ex.Message})");
            return null;
        }
    }

    private static HttpAction? ParseDeleteHeader(RuleWords rule)
    {
        var ctx = rule.Ctx;
        if (rule.Count(1) < 1)
        {
            return rule.Fail("expects at least 1 argument");
        }

        var name = ctx.Argument(1)!;
        var method = MatchMethod.Str;
        Regex? regex = null;
        rule.Next = 2;
        if (ctx.Argument(2) == "-m")
        {
            var methodName = ctx.Argument(3) ?? string.Empty;
            method = methodName switch
            {
                "str" => MatchMethod.Str,
                "beg" => MatchMethod.Beg,
                "end" => MatchMethod.End,
                "sub" => MatchMethod.Sub,
                "reg" => MatchMethod.Reg,
                _ => (MatchMethod)255,
            };
            if ((byte)method == 255)
            {
                return rule.Fail($"-m with unsupported matching method '{methodName}'");
            }

            if (method == MatchMethod.Reg && (regex = CompileRegex(rule, name)) is null)
            {
                return null;
            }

            rule.Next = 4;
        }

        return new DeleteHeaderAction(Encoding.Latin1.GetBytes(name.ToLowerInvariant()), method, regex);
    }

    private static HttpAction? ParseSetStatus(RuleWords rule)
    {
        var ctx = rule.Ctx;
        if (!ValueParsers.TryParseInt(ctx.Argument(1), out var status) || status < 100 || status > 999)
        {
            return rule.Fail("expects an integer status code between 100 and 999");
        }

        rule.Next = 2;
        byte[]? reason = null;
        if (ctx.Argument(2) == "reason" && ctx.Argument(3) is { } text)
        {
            reason = Encoding.Latin1.GetBytes(text);
            rule.Next = 4;
        }

        return new SetStatusAction(status, reason);
    }

    private static HttpAction? ParseVariable(RuleWords rule, bool set, int open)
    {
        var ctx = rule.Ctx;
        var name = rule.ActionName;
        if (!name.EndsWith(')'))
        {
            return rule.Fail($"invalid variable '{name}'. Expects '{(set ? "set" : "unset")}-var(<var-name>)'");
        }

        var variableText = name[(open + 1)..^1];
        if (VariableNames.TryResolve(variableText, out var variable) is { } error)
        {
            return rule.Fail(error);
        }

        if (!set)
        {
            return new SetVariableAction(variable!, null);
        }

        var text = ctx.Argument(1);
        if (string.IsNullOrEmpty(text) || text is "if" or "unless")
        {
            return rule.Fail("missing fetch method");
        }

        var expression = SampleExpressionParser.Parse(text, forAcl: false, out var expressionError);
        if (expression is null)
        {
            return rule.Fail(expressionError!);
        }

        if ((expression.Needs & rule.Site.Available) != expression.Needs)
        {
            var missing = expression.Needs & ~rule.Site.Available;
            return rule.Fail($"fetch method '{text}' extracts information from '{RuleSite.DescribeFirst(missing)}', none of which is available here");
        }

        rule.Next = 2;
        return new SetVariableAction(variable!, expression);
    }

    /// <summary>`do-resolve(VAR,RESOLVERS[,ipv4|ipv6]) EXPR`, with haproxy 2.6's message; the section is found when the configuration is built.</summary>
    private static HttpAction? ParseDoResolve(RuleWords rule, int open)
    {
        var action = ParseDoResolve(rule.ActionName, open, rule.Ctx.Argument(1), out var error);
        rule.Next = 2;
        return action ?? rule.Fail(error!);
    }

    /// <summary>
    /// `do-resolve(VAR,RESOLVERS[,ipv4|ipv6]) EXPR` of `http-request` and `tcp-request content` rules, with
    /// HAProxy's one message for every mistake; the resolvers section is found when the configuration is built.
    /// </summary>
    public static DoResolveAction? ParseDoResolve(string name, int open, string? text, out string? error)
    {
        var arguments = name.EndsWith(')') ? name[(open + 1)..^1].Split(',') : [];
        string Usage(string what) => $"Can't parse '{what}'. Expects 'do-resolve(<varname>,<resolvers>[,<options>]) <expr>'. Available options are 'ipv4' and 'ipv6'";
        if (arguments.Length is < 2 or > 3 || (arguments.Length == 3 && arguments[2] is not ("ipv4" or "ipv6")))
        {
            error = Usage(name);
            return null;
        }

        if (string.IsNullOrEmpty(text) || text is "if" or "unless")
        {
            error = Usage(string.Empty);
            return null;
        }

        if (VariableNames.TryResolve(arguments[0], out var variable) is { } variableError)
        {
            error = variableError;
            return null;
        }

        var expression = SampleExpressionParser.Parse(text, forAcl: false, out _);
        if (expression is null)
        {
            error = Usage(text);
            return null;
        }

        error = null;
        return new DoResolveAction(variable!, arguments[1], arguments.Length == 3 && arguments[2] == "ipv4", expression);
    }

    /// <summary>`normalize-uri NORMALIZER [full|strict]`, with haproxy 2.6's messages.</summary>
    private static HttpAction? ParseNormalizeUri(RuleWords rule)
    {
        var ctx = rule.Ctx;
        var name = ctx.Argument(1);
        if (name is null or "if" or "unless")
        {
            return rule.Fail("missing argument <normalizer>");
        }

        UriNormalizerKind? kind = name switch
        {
            "path-merge-slashes" => UriNormalizerKind.PathMergeSlashes,
            "path-strip-dot" => UriNormalizerKind.PathStripDot,
            "path-strip-dotdot" => UriNormalizerKind.PathStripDotDot,
            "percent-decode-unreserved" => UriNormalizerKind.PercentDecodeUnreserved,
            "percent-to-uppercase" => UriNormalizerKind.PercentToUppercase,
            "query-sort-by-name" => UriNormalizerKind.QuerySortByName,
            "fragment-strip" => UriNormalizerKind.FragmentStrip,
            "fragment-encode" => UriNormalizerKind.FragmentEncode,
            _ => null,
        };
        if (kind is null)
        {
            return rule.Fail($"unknown normalizer '{name}'");
        }

        rule.Next = 2;
        var optionName = kind switch
        {
            UriNormalizerKind.PathStripDotDot => "full",
            UriNormalizerKind.PercentDecodeUnreserved or UriNormalizerKind.PercentToUppercase => "strict",
            _ => null,
        };
        var option = false;
        if (optionName is not null && ctx.Argument(2) is { } word && word is not ("if" or "unless"))
        {
            if (word != optionName)
            {
                return rule.Fail($"unknown argument '{word}' for '{name}' normalizer");
            }

            option = true;
            rule.Next = 3;
        }

        return new NormalizeUriAction(kind.Value, option);
    }

    /// <summary>`set-var-fmt(NAME) FORMAT`: the variable gets the rendered log-format text.</summary>
    private static HttpAction? ParseVariableFormat(RuleWords rule, int open)
    {
        var ctx = rule.Ctx;
        var name = rule.ActionName;
        if (!name.EndsWith(')'))
        {
            return rule.Fail($"invalid variable '{name}'. Expects 'set-var-fmt(<var-name>)'");
        }

        if (VariableNames.TryResolve(name[(open + 1)..^1], out var variable) is { } error)
        {
            return rule.Fail(error);
        }

        // haproxy 2.6 takes a missing format as an empty one.
        var text = ctx.Argument(1);
        var present = text is not (null or "if" or "unless");
        var format = ParseFormat(ctx, rule.Prefix, present ? text! : string.Empty, rule.Site);
        rule.Next = present ? 2 : 1;
        return format is null ? null : new SetVariableFormatAction(variable!, format);
    }

    /// <summary>`capture EXPR len N` declares a new request slot; `capture EXPR id N` fills a declared one.</summary>
    private static HttpAction? ParseCapture(RuleWords rule, bool response)
    {
        var ctx = rule.Ctx;
        var text = ctx.Argument(1);
        var how = ctx.Argument(2);
        if (string.IsNullOrEmpty(text) || how is not ("len" or "id") || !ValueParsers.TryParseInt(ctx.Argument(3), out var number))
        {
            return rule.Fail(response ? "expects <expression> id <idx>" : "expects <expression> [ 'len' <length> | id <idx> ]");
        }

        var expression = SampleExpressionParser.Parse(text, forAcl: false, out var error);
        if (expression is null)
        {
            return rule.Fail(error!);
        }

        rule.Next = 4;
        var slots = response ? rule.Section.ResponseCaptures : rule.Section.RequestCaptures;
        if (how == "len")
        {
            if (response)
            {
                return rule.Fail("expects <expression> id <idx>");
            }

            slots.Add(new CaptureSlot(null, number));
            return new CaptureAction(expression, slots.Count - 1, response);
        }

        if (number >= slots.Count)
        {
            ctx.Alert($"Proxy '{rule.Section.Name}': unable to find capture id '{number}' referenced by {rule.Keyword} capture rule.");
            return null;
        }

        return new CaptureAction(expression, number, response);
    }

    /// <summary>The legacy `redirect` keyword: an `http-request redirect` run after the `http-request` rules.</summary>
    public static void ParseLegacyRedirect(KeywordContext ctx, ProxySection section)
    {
        if (section.Kind == ProxyKinds.Defaults)
        {
            ctx.Alert("'redirect' not allowed in 'defaults' section.");
            return;
        }

        // Read as if "redirect" were the action of an http-request rule.
        var shifted = new KeywordContext(ctx.File, ctx.Line, ctx.Words, ctx.ArgumentIndex - 1, ctx.Negated, ctx.Diagnostics);
        var rule = new RuleWords(shifted, section, "http-request", "redirect", Site(section, response: false));
        var action = ParseRedirect(rule);
        if (action is null)
        {
            return;
        }

        Condition? condition = null;
        if (rule.Next < shifted.ArgumentCount)
        {
            condition = ParseCondition(shifted, section, shifted.ArgumentIndex + rule.Next, "error detected while parsing redirect rule", rule.Site);
            if (condition is null)
            {
                return;
            }
        }

        section.RedirectRules.Add(new HttpRule(action, condition, ctx.Location.ToString()) { Keyword = "redirect" });
    }

    private static HttpAction? ParseWaitForBody(RuleWords rule)
    {
        var ctx = rule.Ctx;
        if (ctx.Argument(1) != "time" || ctx.Argument(2) is not { } timeText || ValueParsers.ParseTime(timeText, out var time) is not null)
        {
            return rule.Fail("expects time <time> [ at-least <bytes> ]");
        }

        rule.Next = 3;
        long atLeast = 0;
        if (ctx.Argument(3) == "at-least")
        {
            if (ctx.Argument(4) is not { } sizeText || ValueParsers.ParseSize(sizeText, out atLeast) is not null)
            {
                return rule.Fail("expects time <time> [ at-least <bytes> ]");
            }

            rule.Next = 5;
        }

        return new WaitForBodyAction(Math.Max(1, (long)time.TotalMilliseconds), atLeast);
    }

    private static HttpAction? ParseAuth(RuleWords rule)
    {
        var ctx = rule.Ctx;
        var realm = rule.Section.Name;
        if (ctx.Argument(1) == "realm")
        {
            if (ctx.Argument(2) is not { Length: > 0 } value || value is "if" or "unless")
            {
                return rule.Fail("missing realm value.\n");
            }

            realm = value;
            rule.Next = 3;
        }

        return new AuthAction(realm);
    }

    private static HttpAction? ParseRedirect(RuleWords rule)
    {
        var ctx = rule.Ctx;
        RedirectAction.Kind? kind = null;
        string? target = null;
        var code = 302;
        var dropQuery = false;
        var appendSlash = false;
        string? cookie = null;
        var i = 1;
        for (; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i)!;
            if (word is "if" or "unless")
            {
                break;
            }

            switch (word)
            {
                case "location" or "prefix" or "scheme":
                    if (ctx.Argument(i + 1) is not { } value)
                    {
                        return rule.Fail($"missing argument for '{word}'");
                    }

                    kind = word switch
                    {
                        "location" => RedirectAction.Kind.Location,
                        "prefix" => RedirectAction.Kind.Prefix,
                        _ => RedirectAction.Kind.Scheme,
                    };
                    target = value;
                    i++;
                    break;
                case "code":
                    if (!ValueParsers.TryParseInt(ctx.Argument(i + 1), out code) || code is not (301 or 302 or 303 or 307 or 308))
                    {
                        return rule.Fail($"'code': unsupported HTTP code '{ctx.Argument(i + 1)}' (must be one of 301, 302, 303, 307 or 308)");
                    }

                    i++;
                    break;
                case "drop-query":
                    dropQuery = true;
                    break;
                case "append-slash":
                    appendSlash = true;
                    break;
                case "set-cookie" or "clear-cookie":
                    if (ctx.Argument(i + 1) is not { } cookieText)
                    {
                        return rule.Fail($"missing argument for '{word}'");
                    }

                    cookie = word == "set-cookie"
                        ? $"{cookieText}; path=/;"
                        : $"{cookieText.TrimEnd('=')}=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/;";
                    i++;
                    break;
                case "ignore-empty":
                    rule.Ctx.Alert($"'{rule.Keyword} redirect' : 'ignore-empty' is not supported yet.");
                    return null;
                default:
                    return rule.Fail($"expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '{word}')");
            }
        }

        if (kind is null || target is null)
        {
            return rule.Fail("redirection type expected ('prefix', 'location', or 'scheme')");
        }

        rule.Next = i;
        var format = ParseFormat(ctx, rule.Prefix, target, rule.Site);
        return format is null ? null : new RedirectAction(kind.Value, format, code, dropQuery, appendSlash, cookie);
    }

    /// <summary>
    /// `http-error status CODE [content-type T] [default-errorfiles | errorfile F | errorfiles N | file F |
    /// string S] [hdr NAME VALUE]*`: the proxy's own reply for CODE, written with `http-request return`'s words.
    /// Without a payload the built-in page is kept; `errorfiles N` takes N's page for CODE.
    /// </summary>
    public static void ParseHttpError(KeywordContext ctx, ProxySection section)
    {
        if (ctx.Argument(0) != "status")
        {
            ctx.Alert("http-error : expects at least a <status> as arguments.\n");
            return;
        }

        // Read as if "http-error" were the action of a rule, so that the reply's words start at "status".
        var shifted = new KeywordContext(ctx.File, ctx.Line, ctx.Words, ctx.ArgumentIndex - 1, ctx.Negated, ctx.Diagnostics);
        var rule = new RuleWords(shifted, section, "http-error", "http-error", Site(section, response: true)) { StandalonePrefix = "http-error : " };
        if (ParseReply(rule, RuleVerdict.Reply, isDenial: true, defaultStatus: 200) is not ReplyAction reply)
        {
            return;
        }

        var spec = reply.Spec;
        if (Array.IndexOf(HttpKeywordParsers.ErrorStatuses, spec.Status) < 0)
        {
            ctx.Alert($"http-error: status code '{spec.Status}' not handled.");
            return;
        }

        if (rule.Next < shifted.ArgumentCount)
        {
            ctx.Alert($"http-error : unknown keyword '{shifted.Argument(rule.Next)}'.");
            return;
        }

        // Log-format parts are rendered with the answer's transaction, wherever the page is sent from.
        spec = spec with { BodyFormat = reply.Body, HeaderFormats = reply.DynamicHeaders };
        var location = ctx.Location.ToString();
        section.ErrorPages.Add(spec.ErrorFilesName is { } name
            ? new ErrorPageSectionReference(name, [spec.Status], location)
            : new ErrorPageReply(spec.Status, spec.UseDefaultErrorFile ? null : spec, location));
    }

    /// <summary>
    /// `deny`, `tarpit` and `return` arguments: `[status|deny_status N] [content-type T] [string S | file F |
    /// lf-string FMT | lf-file F | errorfile F | default-errorfiles] [hdr NAME FMT]*`.
    /// </summary>
    private static HttpAction? ParseReply(RuleWords rule, RuleVerdict verdict, bool isDenial, int defaultStatus)
    {
        var ctx = rule.Ctx;
        var status = defaultStatus;
        string? contentType = null;
        string? bodyKind = null;
        byte[] body = [];
        string? errorFilesName = null;
        LogFormat? bodyFormat = null;
        // The `hdr` fields in the order written; fixed ones become plain fields unless one of them reads samples.
        var headers = new List<(string Name, LogFormat Value)>();
        var i = 1;
        for (; i < ctx.ArgumentCount; i++)
        {
            var word = ctx.Argument(i)!;
            var value = ctx.Argument(i + 1);
            if (word is "string" or "file" or "lf-string" or "lf-file" or "errorfile" or "default-errorfiles" or "errorfiles" && bodyKind is not null)
            {
                return rule.Fail($"unexpected '{word}' argument, '{bodyKind}' already defined");
            }

            switch (word)
            {
                case "status" or "deny_status" when word == "status" || isDenial:
                    if (string.IsNullOrEmpty(value))
                    {
                        return rule.Fail($"'{word}' expects <status_code> as argument");
                    }

                    status = LeadingNumber(value);
                    if (status is < 200 or > 599)
                    {
                        return rule.Fail($"Unexpected status code '{status}'");
                    }

                    i++;
                    break;
                case "content-type":
                    if (string.IsNullOrEmpty(value))
                    {
                        return rule.Fail("'content-type' expects <ctype> as argument");
                    }

                    contentType = value;
                    i++;
                    break;
                case "string" or "lf-string":
                    if (string.IsNullOrEmpty(value))
                    {
                        return rule.Fail($"'{word}' expects {(word == "string" ? "<str>" : "<fmt>")} as argument");
                    }

                    if (word == "lf-string")
                    {
                        bodyFormat = ParseFormat(ctx, rule.Prefix, value, rule.Site);
                        if (bodyFormat is null)
                        {
                            return null;
                        }
                    }
                    else
                    {
                        body = Encoding.UTF8.GetBytes(value);
                    }

                    bodyKind = word;
                    i++;
                    break;
                case "file" or "lf-file" or "errorfile":
                    if (string.IsNullOrEmpty(value))
                    {
                        return rule.Fail($"'{word}' expects {(word == "errorfile" ? "<fmt>" : "<file>")} as argument");
                    }

                    if (word == "errorfile")
                    {
                        if (HttpKeywordParsers.LoadErrorFile(ctx, value, rule.Section.Global.BufSize, out var response) is { } error)
                        {
                            ctx.Alert($"{rule.Prefix}{error}");
                            return null;
                        }

                        body = response!;
                    }
                    else
                    {
                        try
                        {
                            body = File.ReadAllBytes(value);
                        }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                        {
                            return rule.Fail($"error opening file '{value}'");
                        }

                        if (word == "lf-file")
                        {
                            bodyFormat = ParseFormat(ctx, rule.Prefix, Encoding.UTF8.GetString(body), rule.Site);
                            if (bodyFormat is null)
                            {
                                return null;
                            }
                        }
                    }

                    bodyKind = word;
                    i++;
                    break;
                case "default-errorfiles":
                    bodyKind = word;
                    break;
                case "errorfiles":
                    if (string.IsNullOrEmpty(value))
                    {
                        return rule.Fail("'errorfiles' expects <name> as argument");
                    }

                    errorFilesName = value;
                    bodyKind = word;
                    i++;
                    break;
                case "hdr":
                    if (string.IsNullOrEmpty(value) || string.IsNullOrEmpty(ctx.Argument(i + 2)))
                    {
                        return rule.Fail("'hdr' expects <name> and <value> as arguments");
                    }

                    if (value.Equals("content-length", StringComparison.OrdinalIgnoreCase)
                        || value.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)
                        || value.Equals("content-type", StringComparison.OrdinalIgnoreCase))
                    {
                        ctx.Warning($"header '{value}' always ignored by the http reply.");
                    }
                    else
                    {
                        var format = ParseFormat(ctx, rule.Prefix, ctx.Argument(i + 2)!, rule.Site);
                        if (format is null)
                        {
                            return null;
                        }

                        headers.Add((value, format));
                    }

                    i += 2;
                    break;
                default:
                    goto EndOfArguments;
            }
        }

    EndOfArguments:
        rule.Next = i;
        if (bodyFormat is { IsConstant: true })
        {
            body = bodyFormat.ConstantBytes;
            bodyFormat = null;
        }

        var logFormat = bodyKind is "lf-string" or "lf-file";
        var fullResponse = bodyKind is "errorfile" or "default-errorfiles" or "errorfiles";
        var useDefaultErrorFile = bodyKind == "default-errorfiles" || (bodyKind is null && isDenial);
        if (bodyKind is null)
        {
            if (contentType is not null)
            {
                ctx.Warning($"content-type '{contentType}' ignored by the http reply because neither errorfile nor payload defined.");
                contentType = null;
            }
        }
        else if (fullResponse)
        {
            if (bodyKind == "default-errorfiles" && Array.IndexOf(HttpKeywordParsers.ErrorStatuses, status) < 0)
            {
                return rule.Fail($"status code '{status}' not handled by default with 'default-errorfiles' argument");
            }

            if (contentType is not null)
            {
                // HAProxy's own spelling.
                ctx.Warning($"content-type '{contentType}' ignored by the http reply when used with an erorrfile.");
                contentType = null;
            }

            if (headers.Count > 0)
            {
                ctx.Warning("hdr parameters ignored by the http reply when used with an erorrfile.");
                headers.Clear();
            }
        }
        else
        {
            if ((status is 204 or 304) && (logFormat || body.Length > 0))
            {
                return rule.Fail($"No body expected for {status} responses");
            }

            if (contentType is null && (logFormat || body.Length > 0))
            {
                return rule.Fail(logFormat
                    ? "a content type must be defined with a log-format payload"
                    : "a content type must be defined when non-empty payload is configured");
            }

            if (!logFormat && contentType is not null && body.Length == 0)
            {
                ctx.Warning($"content-type '{contentType}' ignored by the http reply when used with an empty payload.");
                contentType = null;
            }

            var global = rule.Section.Global;
            if (!logFormat && body.Length > global.BufSize - global.MaxRewrite)
            {
                ctx.Warning("http reply payload runs over the buffer space reserved to headers rewriting. It may lead to internal errors if strict rewriting mode is enabled.");
            }
        }

        // A reply rendered per request keeps all its fields in the order written, the fixed ones among them.
        var rendered = headers.Exists(h => !h.Value.IsConstant);

        var spec = new HttpReturnRule
        {
            Location = ctx.Location.ToString(),
            Status = status,
            ContentType = contentType,
            Body = body,
            BodyIsFullResponse = fullResponse,
            UseDefaultErrorFile = useDefaultErrorFile,
            Headers = rendered ? [] : [.. headers.Select(h => new KeyValuePair<string, string>(h.Name, Encoding.Latin1.GetString(h.Value.ConstantBytes)))],
            ErrorFilesName = errorFilesName,
        };
        return new ReplyAction(verdict, isDenial, spec, bodyFormat, rendered ? headers : []);
    }

    /// <summary>The number its leading digits make, as C's atol reads it (HAProxy shows that number back).</summary>
    private static int LeadingNumber(string text)
    {
        var end = 0;
        while (end < text.Length && end < 9 && char.IsAsciiDigit(text[end]))
        {
            end++;
        }

        return end == 0 ? 0 : int.Parse(text.AsSpan(0, end), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The words of one rule being read, the position after the action's arguments, and its messages' prefix.</summary>
    private sealed class RuleWords(KeywordContext ctx, ProxySection section, string keyword, string actionName, RuleSite site)
    {
        public KeywordContext Ctx { get; } = ctx;

        public ProxySection Section { get; } = section;

        public string Keyword { get; } = keyword;

        public string ActionName { get; } = actionName;

        public RuleSite Site { get; } = site;

        /// <summary>The argument index after the action's own arguments: a condition may start there.</summary>
        public int Next { get; set; }

        /// <summary>Set for a keyword that is not a rule but takes a rule's reply arguments (`http-error`): its own prefix, and no final period.</summary>
        public string? StandalonePrefix { get; init; }

        public string Prefix => StandalonePrefix ?? $"error detected in {Section.MessageKind} '{Section.Name}' while parsing '{Keyword} {ActionName}' rule : ";

        /// <summary>How many arguments follow <paramref name="from"/> before a condition starts.</summary>
        public int Count(int from)
        {
            var n = 0;
            for (var i = from; i < Ctx.ArgumentCount && Ctx.Argument(i) is not ("if" or "unless"); i++)
            {
                n++;
            }

            return n;
        }

        public HttpAction? Fail(string message)
        {
            Ctx.Alert($"{Prefix}{message}{(message.EndsWith('\n') || StandalonePrefix is not null ? string.Empty : ".")}");
            return null;
        }
    }
}
