using Sluice.Config;
using Sluice.Config.Conditions;
using Sluice.Config.Diagnostics;
using Sluice.Config.Parsing;

namespace Sluice.Hosting;

/// <summary>The <c>sluice</c> command: HAProxy's flags, configuration loading, then the proxy until a signal stops it.</summary>
internal static class Program
{
    /// <summary>HAProxy's exit status of <c>-c</c> for a valid configuration that has no listener.</summary>
    private const int ExitNoListener = 2;

    public static int Main(string[] args)
    {
        RuntimeTuning.Apply();
        var commandLine = CommandLine.Parse(args);
        switch (commandLine.Action)
        {
            case RunAction.Version:
                Console.Out.WriteLine(BuildInfo.VersionLine);
                return 0;
            case RunAction.VersionVerbose:
                Console.Out.Write(BuildInfo.Verbose());
                return 0;
            case RunAction.Usage:
                if (commandLine.Error is not null)
                {
                    Console.Error.WriteLine(AlertFormatter.Format(new ConfigDiagnostic(DiagnosticSeverity.Alert, commandLine.Error)));
                }

                Console.Error.Write(CommandLine.Usage);
                return commandLine.Error is null ? 0 : 1;
            case RunAction.EvaluateCondition:
                return EvaluateCondition(commandLine.Condition!);
        }

        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load(commandLine.ConfigPaths, Environment.GetEnvironmentVariable, diagnostics);
        var quiet = commandLine.Quiet || config?.Global.Quiet == true;
        if (config is not null && commandLine.ZeroWarning && diagnostics.Items.Any(d => d.Severity == DiagnosticSeverity.Warning))
        {
            diagnostics.ConfigAlert("Some warnings were found and 'zero-warning' is set. Aborting.");
            config = null;
        }

        Report(diagnostics, quiet && config is not null);
        if (config is null)
        {
            return 1;
        }

        // The runtime API's sockets are listeners too: a configuration with only `stats socket` runs, as in HAProxy.
        var listeners = config.Frontends.Sum(f => f.Disabled ? 0 : f.Binds.Count) + config.Global.StatsSockets.Count;
        if (commandLine.Action == RunAction.Check)
        {
            if (diagnostics.Items.Any(d => d.Severity == DiagnosticSeverity.Warning))
            {
                Console.Out.WriteLine("Warnings were found.");
            }

            if (listeners == 0)
            {
                Console.Out.WriteLine("Configuration file has no error but will not start (no listener) => exit(2).");
                return ExitNoListener;
            }

            Console.Out.WriteLine("Configuration file is valid");
            return 0;
        }

        if (listeners == 0)
        {
            Console.Error.WriteLine(AlertFormatter.Format(new ConfigDiagnostic(DiagnosticSeverity.Alert, "[sluice.main()] No enabled listener found (check for 'bind' directives) ! Exiting.")));
            return 1;
        }

        return ProcessRunner.Run(config, commandLine, reloaded => ConfigLoader.Load(commandLine.ConfigPaths, Environment.GetEnvironmentVariable, reloaded));
    }

    /// <summary>Prints diagnostics to stderr; in quiet mode only alerts.</summary>
    private static void Report(DiagnosticBag diagnostics, bool quiet)
    {
        foreach (var item in diagnostics.Items)
        {
            if (!quiet || item.Severity == DiagnosticSeverity.Alert)
            {
                Console.Error.WriteLine(AlertFormatter.Format(item));
            }
        }
    }

    /// <summary><c>-cc EXPR</c>: exit 0 when the condition is true, 1 when false or invalid, like HAProxy.</summary>
    private static int EvaluateCondition(string condition)
    {
        var words = new List<string>();
        var value = false;
        var error = ConfigLexer.Tokenize(condition, Environment.GetEnvironmentVariable, words)
            ?? new ConditionEvaluator(Environment.GetEnvironmentVariable).Evaluate(words, out value);
        if (error is not null)
        {
            Console.Error.WriteLine(AlertFormatter.Format(new ConfigDiagnostic(DiagnosticSeverity.Alert, $"Failed to evaluate condition: {error}")));
            return 1;
        }

        return value ? 0 : 1;
    }
}
