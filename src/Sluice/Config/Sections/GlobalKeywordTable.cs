using Sluice.Config.Keywords;
using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>
/// The keywords of the <c>global</c> section that Sluice implements. Each parser returns the updated
/// settings, or null after reporting a problem. Several global sections add up, as in HAProxy.
/// </summary>
internal static class GlobalKeywordTable
{
    public static readonly Dictionary<string, Func<KeywordContext, GlobalConfig, GlobalConfig?>> Keywords = new(StringComparer.Ordinal)
    {
        ["maxconn"] = (ctx, g) => Int(ctx, min: 1, v => g with { MaxConn = v }),
        ["maxconnrate"] = (ctx, g) => Int(ctx, min: 0, v => g with { MaxConnRate = v }),
        ["maxsessrate"] = (ctx, g) => Int(ctx, min: 0, v => g with { MaxSessRate = v }),
        ["maxsslrate"] = (ctx, g) => Int(ctx, min: 0, v => g with { MaxSslRate = v }),
        ["maxsslconn"] = (ctx, g) => Int(ctx, min: 0, v => g with { MaxSslConn = v }),
        ["nbthread"] = (ctx, g) => Int(ctx, min: 1, v => g with { NbThread = v }),
        ["cpu-map"] = CpuMapParser.Parse,
        // HAProxy 2.6 knows one thread group only.
        ["thread-groups"] = (ctx, g) => !ValueParsers.TryParseInt(ctx.Argument(0), out var groups)
            ? Fail(ctx, $"passed a missing or unparsable integer value in '{ctx.Argument(0)}'")
            : groups != 1 ? Fail(ctx, $"value must be between 1 and 1 (was {groups})") : g,
        ["nbproc"] = (ctx, _) => Fail(ctx, "is not supported any more since HAProxy 2.5. Threads will automatically be used on multi-processor machines if available."),
        ["noreuseport"] = (ctx, g) => Flag(ctx, g with { NoReusePort = true }),
        ["strict-limits"] = (ctx, g) => Flag(ctx, g with { StrictLimits = !ctx.Negated }),
        ["hard-stop-after"] = (ctx, g) => Time(ctx, v => g with { HardStopAfter = v }),
        ["grace"] = (ctx, g) => Time(ctx, v => g with { Grace = v }),
        ["close-spread-time"] = (ctx, g) => ctx.Argument(0) == "infinite" && ctx.ArgumentCount == 1
            ? g with { CloseSpreadTime = Timeout.InfiniteTimeSpan }
            : Time(ctx, v => g with { CloseSpreadTime = v }),
        ["pidfile"] = (ctx, g) => Text(ctx, v => g with { PidFile = v }),
        ["daemon"] = (ctx, g) => Flag(ctx, g with { Daemon = true }),
        ["master-worker"] = MasterWorker,
        ["mworker-max-reloads"] = (ctx, g) => Int(ctx, min: 0, v => g with { MworkerMaxReloads = v }),
        ["server-state-base"] = (ctx, g) => ctx.ArgumentCount >= 1 ? g with { ServerStateBase = ctx.Argument(0) } : Fail(ctx, "expects one argument: a directory path."),
        ["server-state-file"] = (ctx, g) => ctx.ArgumentCount >= 1 ? g with { ServerStateFile = ctx.Argument(0) } : Fail(ctx, "expect one argument: a file path."),
        ["chroot"] = (ctx, g) => ctx.ExpectArguments(1, "a directory as an argument") ? g with { Chroot = ctx.Argument(0) } : null,
        ["user"] = (ctx, g) => Text(ctx, v => g with { User = v }),
        ["nosplice"] = (ctx, g) => Flag(ctx, g with { NoSplice = true }),
        ["noepoll"] = (ctx, g) => Flag(ctx, g with { NoEpoll = true }),
        ["maxpipes"] = (ctx, g) => Int(ctx, min: 0, v => g with { MaxPipes = v }),
        ["tune.pipesize"] = (ctx, g) => Size(ctx, min: 0, v => g with { PipeSize = v }),
        ["group"] = (ctx, g) => Text(ctx, v => g with { Group = v }),
        ["uid"] = (ctx, g) => Int(ctx, min: 0, v => g with { Uid = v }),
        ["gid"] = (ctx, g) => Int(ctx, min: 0, v => g with { Gid = v }),
        ["ulimit-n"] = (ctx, g) => Int(ctx, min: 1, v => g with { UlimitN = v }),
        ["tune.bufsize"] = (ctx, g) => Size(ctx, min: 1024, v => g with { BufSize = v }),
        ["tune.maxrewrite"] = (ctx, g) => Size(ctx, min: 0, v => g with { MaxRewrite = v }),
        ["tune.http.maxhdr"] = (ctx, g) => Int(ctx, min: 1, v => v > 32767 ? null : g with { MaxHeaders = v }),
        ["tune.h2.max-concurrent-streams"] = (ctx, g) => Int(ctx, min: 1, v => g with { H2MaxConcurrentStreams = v }),
        ["tune.h2.fe.max-concurrent-streams"] = (ctx, g) => Int(ctx, min: 1, v => g with { H2MaxConcurrentStreams = v }),
        ["tune.h2.initial-window-size"] = (ctx, g) => Int(ctx, min: 1, v => g with { H2InitialWindowSize = v }),
        ["tune.h2.fe.initial-window-size"] = (ctx, g) => Int(ctx, min: 1, v => g with { H2FrontInitialWindowSize = v }),
        ["tune.h2.be.initial-window-size"] = (ctx, g) => Int(ctx, min: 1, v => g with { H2BackInitialWindowSize = v }),
        ["tune.h2.be.max-concurrent-streams"] = (ctx, g) => Int(ctx, min: 0, v => g with { H2BackMaxConcurrentStreams = v }),
        ["tune.h2.header-table-size"] = (ctx, g) => Int(ctx, min: 0, v => v > 65536 ? null : g with { H2HeaderTableSize = v }),
        ["tune.h2.max-frame-size"] = (ctx, g) => Int(ctx, min: 16384, v => v > 16777215 ? null : g with { H2MaxFrameSize = v }),
        ["tune.h2.fe.glitches-threshold"] = (ctx, g) => Int(ctx, min: 0, v => g with { H2FrontGlitchesThreshold = v }),
        ["tune.h2.fe.max-total-streams"] = (ctx, g) => Int(ctx, min: 0, v => g with { H2FrontMaxTotalStreams = v }),
        ["expose-experimental-directives"] = (ctx, g) => Flag(ctx, g with { ExposeExperimentalDirectives = true }),
        ["description"] = (ctx, g) => ctx.ArgumentCount > 0 ? g with { Description = string.Join(' ', ctx.Words.Skip(ctx.ArgumentIndex)) } : Fail(ctx, "expects a string argument."),
        ["node"] = (ctx, g) => Text(ctx, v => g with { Node = v }),
        ["spread-checks"] = SpreadChecks,
        ["quiet"] = (ctx, g) => Flag(ctx, g with { Quiet = true }),
        ["zero-warning"] = (ctx, g) => Flag(ctx, g with { ZeroWarning = true }),
        ["ssl-default-bind-options"] = (ctx, g) => TlsKeywordParsers.ParseDefaultOptions(ctx, g.TlsBindDefaults) is { } tls ? g with { TlsBindDefaults = tls } : null,
        ["ssl-default-server-options"] = (ctx, g) => TlsKeywordParsers.ParseDefaultOptions(ctx, g.TlsServerDefaults) is { } tls ? g with { TlsServerDefaults = tls } : null,
        ["ssl-default-bind-ciphers"] = (ctx, g) => Text(ctx, v => g with { TlsBindDefaults = g.TlsBindDefaults with { Ciphers = v } }),
        ["ssl-default-bind-ciphersuites"] = (ctx, g) => Text(ctx, v => g with { TlsBindDefaults = g.TlsBindDefaults with { CipherSuites = v } }),
        ["ssl-default-server-ciphers"] = (ctx, g) => Text(ctx, v => g with { TlsServerDefaults = g.TlsServerDefaults with { Ciphers = v } }),
        ["ssl-default-server-ciphersuites"] = (ctx, g) => Text(ctx, v => g with { TlsServerDefaults = g.TlsServerDefaults with { CipherSuites = v } }),
        // The bases go into both default settings, which every bind and server line starts from.
        ["crt-base"] = (ctx, g) => Text(ctx, v => g with { TlsBindDefaults = g.TlsBindDefaults with { CrtBase = v }, TlsServerDefaults = g.TlsServerDefaults with { CrtBase = v } }),
        ["ca-base"] = (ctx, g) => Text(ctx, v => g with { TlsBindDefaults = g.TlsBindDefaults with { CaBase = v }, TlsServerDefaults = g.TlsServerDefaults with { CaBase = v } }),
        ["ssl-server-verify"] = (ctx, g) => ctx.Argument(0) switch
        {
            "none" when ctx.ArgumentCount == 1 => g with { TlsServerDefaults = g.TlsServerDefaults with { Verify = TlsVerify.None } },
            "required" when ctx.ArgumentCount == 1 => g with { TlsServerDefaults = g.TlsServerDefaults with { Verify = TlsVerify.Required } },
            _ => Fail(ctx, "expects 'none' or 'required' as argument."),
        },
        ["stats"] = StatsKeywordParsers.ParseGlobal,
        ["log"] = LogKeywordParsers.ParseGlobalLog,
        ["log-tag"] = LogKeywordParsers.ParseGlobalLogTag,
        ["log-send-hostname"] = LogKeywordParsers.ParseSendHostname,
        ["setenv"] = (ctx, g) => SetEnvironment(ctx, g, overwrite: true),
        ["presetenv"] = (ctx, g) => SetEnvironment(ctx, g, overwrite: false),
        ["unsetenv"] = UnsetEnvironment,
        ["resetenv"] = ResetEnvironment,
        ["tune.ssl.default-dh-param"] = (ctx, g) => NoEffectYet(ctx, g, "OpenSSL sizes DHE parameters to the certificate's key"),
        ["tune.ssl.cachesize"] = (ctx, g) => NoEffectYet(ctx, g, "the TLS session cache is the platform's"),
        ["tune.ssl.lifetime"] = (ctx, g) => NoEffectYet(ctx, g, "the TLS session cache is the platform's"),
    };

    /// <summary>
    /// `setenv NAME VALUE` and `presetenv NAME VALUE` (only when NAME is not set): the process environment changes
    /// at once, so `${NAME}` in the lines after it sees the value, as in HAProxy.
    /// </summary>
    private static GlobalConfig? SetEnvironment(KeywordContext ctx, GlobalConfig global, bool overwrite)
    {
        if (ctx.ArgumentCount < 2)
        {
            return Fail(ctx, "expects a name and a value.");
        }

        if (overwrite || Environment.GetEnvironmentVariable(ctx.Argument(0)!) is null)
        {
            Environment.SetEnvironmentVariable(ctx.Argument(0)!, ctx.Argument(1));
        }

        return global;
    }

    /// <summary>`unsetenv NAME...`.</summary>
    private static GlobalConfig? UnsetEnvironment(KeywordContext ctx, GlobalConfig global)
    {
        if (ctx.ArgumentCount < 1)
        {
            return Fail(ctx, "expects at least one variable name.");
        }

        for (var i = 0; i < ctx.ArgumentCount; i++)
        {
            Environment.SetEnvironmentVariable(ctx.Argument(i)!, null);
        }

        return global;
    }

    /// <summary>
    /// `resetenv [NAME...]`: every variable but the ones named is removed, except the runtime's and Sluice's own
    /// (`DOTNET_*`, `SLUICE_*`), which a daemon's re-executed process still needs.
    /// </summary>
    private static GlobalConfig? ResetEnvironment(KeywordContext ctx, GlobalConfig global)
    {
        var kept = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ctx.ArgumentCount; i++)
        {
            kept.Add(ctx.Argument(i)!);
        }

        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(n => !kept.Contains(n) && !n.StartsWith("DOTNET_", StringComparison.Ordinal) && !n.StartsWith("SLUICE_", StringComparison.Ordinal)).ToList())
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        return global;
    }

    /// <summary>A tuning that loads but changes nothing yet: its value is checked, then a warning says why.</summary>
    private static GlobalConfig? NoEffectYet(KeywordContext ctx, GlobalConfig global, string why)
    {
        if (!ctx.ExpectArguments(1, "an argument"))
        {
            return null;
        }

        ctx.Warning($"'{ctx.Keyword}' is accepted but has no effect yet: {why}.");
        return global;
    }

    private static GlobalConfig? Fail(KeywordContext ctx, string what)
    {
        ctx.Alert($"'{ctx.Keyword}' {what}");
        return null;
    }

    /// <summary>`spread-checks N`, 0 to 50; HAProxy reads the number with atol, so a word is 0.</summary>
    private static GlobalConfig? SpreadChecks(KeywordContext ctx, GlobalConfig g)
    {
        if (ctx.ArgumentCount == 0)
        {
            return Fail(ctx, "expects an integer argument (0..50).");
        }

        var percent = ValueParsers.TryParseInt(ctx.Argument(0), out var value) ? value : 0;
        return percent > 50 ? Fail(ctx, "needs a positive value in range 0..50.") : g with { SpreadChecks = percent };
    }

    /// <summary>
    /// `master-worker [no-exit-on-failure]`. Sluice's master and worker are one process, so no worker can fail
    /// alone and `no-exit-on-failure` has nothing to change.
    /// </summary>
    private static GlobalConfig? MasterWorker(KeywordContext ctx, GlobalConfig g) => ctx.Argument(0) switch
    {
        _ when ctx.ArgumentCount > 1 => Fail(ctx, $"cannot handle unexpected argument '{ctx.Argument(1)}'."),
        null or "no-exit-on-failure" => g with { MasterWorker = true },
        _ => Fail(ctx, "only supports 'no-exit-on-failure' option."),
    };

    private static GlobalConfig? Flag(KeywordContext ctx, GlobalConfig updated) =>
        ctx.ArgumentCount == 0 ? updated : Fail(ctx, $"cannot handle unexpected argument '{ctx.Argument(0)}'.");

    private static GlobalConfig? Text(KeywordContext ctx, Func<string, GlobalConfig> set) =>
        ctx.ExpectArguments(1, "exactly 1 argument") ? set(ctx.Argument(0)!) : null;

    private static GlobalConfig? Int(KeywordContext ctx, int min, Func<int, GlobalConfig?> set)
    {
        if (!ctx.ExpectArguments(1, "an integer argument"))
        {
            return null;
        }

        if (!ValueParsers.TryParseInt(ctx.Argument(0), out var value) || value < min)
        {
            return Fail(ctx, $"expects an integer argument of at least {min} (got '{ctx.Argument(0)}').");
        }

        return set(value) ?? Fail(ctx, $"value '{ctx.Argument(0)}' is out of range.");
    }

    private static GlobalConfig? Size(KeywordContext ctx, int min, Func<int, GlobalConfig> set)
    {
        if (!ctx.ExpectArguments(1, "a size argument"))
        {
            return null;
        }

        var error = ValueParsers.ParseSize(ctx.Argument(0)!, out var value);
        if (error is not null || value < min || value > int.MaxValue / 2)
        {
            return Fail(ctx, $"expects a size between {min} and {int.MaxValue / 2} (got '{ctx.Argument(0)}').");
        }

        return set((int)value);
    }

    private static GlobalConfig? Time(KeywordContext ctx, Func<TimeSpan, GlobalConfig> set)
    {
        if (!ctx.ExpectArguments(1, "a time argument"))
        {
            return null;
        }

        var error = ValueParsers.ParseTime(ctx.Argument(0)!, out var value);
        return error is null ? set(value) : Fail(ctx, $": {error} in argument '{ctx.Argument(0)}'.");
    }
}
