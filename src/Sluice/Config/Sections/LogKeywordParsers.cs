using Sluice.Config.Keywords;
using Sluice.Config.Parsing;
using Sluice.Config.Model;
using Sluice.Logging;
using Sluice.Rules.Samples;

namespace Sluice.Config.Sections;

/// <summary>The traffic-log keywords of proxy and global sections (configuration.txt §4.2 "log", §8).</summary>
internal static class LogKeywordParsers
{
    /// <summary>`log TARGET ... FACILITY [LEVEL [MINLEVEL]]`, `log global`, `no log`.</summary>
    public static void ParseLog(KeywordContext ctx, ProxySection section)
    {
        if (ctx.Negated)
        {
            section.LogTargets = [];
            return;
        }

        if (ctx.ArgumentCount == 1 && ctx.Argument(0) == "global")
        {
            section.LogTargets = [.. section.LogTargets, .. section.Global.LogTargets];
            return;
        }

        if (Parse(ctx) is { } target)
        {
            section.LogTargets = [.. section.LogTargets, target];
        }
    }

    public static GlobalConfig? ParseGlobalLog(KeywordContext ctx, GlobalConfig global)
    {
        if (ctx.Negated)
        {
            return global with { LogTargets = [] };
        }

        return Parse(ctx) is { } target ? global with { LogTargets = [.. global.LogTargets, target] } : null;
    }

    private static LogTarget? Parse(KeywordContext ctx)
    {
        var args = ctx.Words.Skip(ctx.ArgumentIndex).ToArray();
        var target = LogTarget.Parse(args, out var error);
        if (target is null)
        {
            ctx.Alert($"log : {error}");
        }

        return target is null ? null : target with { Declared = ctx.Location };
    }

    public static void ParseLogTag(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount < 1 || string.IsNullOrEmpty(ctx.Argument(0)))
        {
            ctx.Alert("'log-tag' expects a tag for use in syslog.");
            return;
        }

        section.LogTag = ctx.Argument(0);
    }

    public static GlobalConfig? ParseGlobalLogTag(KeywordContext ctx, GlobalConfig global)
    {
        if (ctx.ArgumentCount < 1 || string.IsNullOrEmpty(ctx.Argument(0)))
        {
            ctx.Alert("'log-tag' expects a tag for use in syslog.");
            return null;
        }

        return global with { LogTag = ctx.Argument(0) };
    }

    /// <summary>`log-send-hostname [NAME]`: the system's host name without NAME.</summary>
    public static GlobalConfig? ParseSendHostname(KeywordContext ctx, GlobalConfig global) =>
        global with { LogSendHostname = ctx.Argument(0) ?? Environment.MachineName };

    /// <summary>`log-format FORMAT`.</summary>
    public static void ParseLogFormat(KeywordContext ctx, ProxySection section)
    {
        if (Compile(ctx, section) is { } format)
        {
            section.LogFormat = format;
            section.LogFormatChoice = LogFormatChoice.Custom;
            section.LogFormatLocation = ctx.Location;
        }
    }

    public static void ParseLogFormatSd(KeywordContext ctx, ProxySection section)
    {
        if (Compile(ctx, section) is { } format)
        {
            section.LogFormatSd = format;
        }
    }

    /// <summary>`error-log-format`: the format of the lines of connections that failed before their session.</summary>
    public static void ParseErrorLogFormat(KeywordContext ctx, ProxySection section)
    {
        if (Compile(ctx, section) is { } format)
        {
            section.ErrorLogFormat = format;
        }
    }

    /// <summary>
    /// `unique-id-format FORMAT`: rendered as an HTTP rule's format (no quotes, a missing sample writes nothing),
    /// with what a request head offers. Only a frontend's is used; HAProxy accepts the keyword in a backend silently.
    /// </summary>
    public static void ParseUniqueIdFormat(KeywordContext ctx, ProxySection section)
    {
        if (!CheckSingleArgument(ctx))
        {
            return;
        }

        var format = LogFormat.Parse(ctx.Argument(0)!, RuleSite.HttpRequest(backend: false), out var error, spacesSeparate: true);
        if (format is null)
        {
            ctx.Alert($"failed to parse unique-id : {error}.");
            return;
        }

        section.UniqueIdFormat = format;
    }

    /// <summary>`unique-id-header NAME`: HAProxy ignores words after the name.</summary>
    public static void ParseUniqueIdHeader(KeywordContext ctx, ProxySection section)
    {
        if (ctx.ArgumentCount < 1 || string.IsNullOrEmpty(ctx.Argument(0)))
        {
            ctx.Alert($"{ctx.Keyword} expects an argument.");
            return;
        }

        section.UniqueIdHeader = ctx.Argument(0);
    }

    private static bool CheckSingleArgument(KeywordContext ctx)
    {
        if (ctx.ArgumentCount < 1)
        {
            ctx.Alert($"{ctx.Keyword} expects an argument.");
            return false;
        }

        if (ctx.ArgumentCount > 1)
        {
            ctx.Alert($"{ctx.Keyword} expects only one argument, don't forget to escape spaces!");
            return false;
        }

        return true;
    }

    private static LogFormat? Compile(KeywordContext ctx, ProxySection section)
    {
        if (!CheckSingleArgument(ctx))
        {
            return null;
        }

        var format = LogFormat.Parse(ctx.Argument(0)!, RuleSite.Log, out var error);
        if (format is null)
        {
            ctx.Alert($"failed to parse {ctx.Keyword} : {error}.");
        }

        return format;
    }

    /// <summary>`option httplog [clf]`.</summary>
    public static void ParseHttpLog(KeywordContext ctx, ProxySection section)
    {
        var clf = ctx.Argument(0) == "clf";
        if (ctx.ArgumentCount > (clf ? 1 : 0))
        {
            ctx.Alert($"'option httplog' cannot handle unexpected argument '{ctx.Argument(clf ? 1 : 0)}'.");
            return;
        }

        Choose(section, ctx.Negated ? LogFormatChoice.None : clf ? LogFormatChoice.HttpClf : LogFormatChoice.Http, ctx.Location);
    }

    public static void ParseTcpLog(KeywordContext ctx, ProxySection section) => ParseChoice(ctx, section, LogFormatChoice.Tcp);

    public static void ParseHttpsLog(KeywordContext ctx, ProxySection section) => ParseChoice(ctx, section, LogFormatChoice.Https);

    private static void ParseChoice(KeywordContext ctx, ProxySection section, LogFormatChoice choice)
    {
        if (ctx.ArgumentCount > 0)
        {
            ctx.Alert($"'{ctx.Keyword}' cannot handle unexpected argument '{ctx.Argument(0)}'.");
            return;
        }

        Choose(section, ctx.Negated ? LogFormatChoice.None : choice, ctx.Location);
    }

    /// <summary>Sets one of HAProxy's own formats; `no option ...` goes back to no format.</summary>
    public static void Choose(ProxySection section, LogFormatChoice choice, Location location)
    {
        section.LogFormatChoice = choice;
        section.LogFormatLocation = location;
        section.LogFormat = choice == LogFormatChoice.None ? null : Compiled(choice);
    }

    public static LogFormat Compiled(LogFormatChoice choice) =>
        LogFormat.Parse(ProxyLogConfig.TextOf(choice), RuleSite.Log, out _)
        ?? throw new InvalidOperationException($"the built-in format {choice} does not compile");

    /// <summary>
    /// The frontend's log as the builder makes it: null without targets. An HTTP format on a tcp frontend falls
    /// back to `option tcplog` with HAProxy's warning; a `log-format` there with a variable of HTTP only is
    /// HAProxy's alert.
    /// </summary>
    public static ProxyLogConfig? Build(ProxySection section, GlobalConfig global, Action<string> warn, Action<string>? alert = null)
    {
        if (section.LogTargets.Length == 0)
        {
            return null;
        }

        var choice = section.LogFormatChoice;
        var format = section.LogFormat;
        if (alert is not null && section.Mode == ProxyMode.Tcp && choice == LogFormatChoice.Custom && format?.FirstHttpOnlyVariable() is { } httpOnly)
        {
            alert($"Parsing [{section.LogFormatLocation}]: failed to parse log-format : format variable '{httpOnly}' is reserved for HTTP mode.");
        }

        if (section.Mode == ProxyMode.Tcp && choice is LogFormatChoice.Http or LogFormatChoice.HttpClf or LogFormatChoice.Https)
        {
            var option = choice == LogFormatChoice.Https ? "httpslog" : "httplog";
            warn($"parsing [{section.LogFormatLocation}] : 'option {option}' not usable with {section.MessageKind} '{section.Name}' (needs 'mode http'). Falling back to 'option tcplog'.");
            choice = LogFormatChoice.Tcp;
            format = Compiled(choice);
        }

        return new ProxyLogConfig
        {
            Targets = section.LogTargets,
            Tag = section.LogTag ?? global.LogTag ?? ProxyLogConfig.DefaultTag,
            Hostname = global.LogSendHostname,
            Format = format ?? LogFormat.Parse(ProxyLogConfig.ConnectFormat + (section.Mode == ProxyMode.Http ? "HTTP)" : "TCP)"), RuleSite.Log, out _)!,
            Choice = format is null ? LogFormatChoice.None : choice,
            StructuredData = section.LogFormatSd,
            ErrorFormat = section.ErrorLogFormat,
            DontLogNull = section.DontLogNull,
            DontLogNormal = section.DontLogNormal,
            LogAsap = section.LogAsap,
            SeparateErrors = section.LogSeparateErrors,
        };
    }
}
