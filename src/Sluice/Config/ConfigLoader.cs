using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Config.Parsing;
using Sluice.Config.Sections;

namespace Sluice.Config;

/// <summary>
/// Loads a configuration from the <c>-f</c> paths: reads and lexes every file, parses sections and
/// keywords, builds the runtime model. All problems of one load are collected in the
/// <see cref="DiagnosticBag"/>; the result is null when any of them is an alert.
/// </summary>
internal static class ConfigLoader
{
    public static SluiceConfig? Load(IReadOnlyList<string> paths, Func<string, string?> environment, DiagnosticBag diagnostics)
    {
        using var userlists = Sluice.Rules.Auth.Userlists.BeginLoad();
        var reader = new ConfigFileReader(environment, diagnostics);
        var files = reader.ExpandPaths(paths);
        ReadUserlistsFirst(files, environment);
        var parser = new SectionParser(diagnostics);
        var filesWithErrors = new List<string>();
        var patterns = new Sluice.Rules.Acls.PatternReferences();
        SluiceConfig? config;
        using (Sluice.Rules.Acls.PatternReferences.BeginLoad(patterns))
        {
            foreach (var file in files)
            {
                var before = CountAlerts(diagnostics);
                parser.StartFile();
                reader.Read(file, parser.Parse);
                if (CountAlerts(diagnostics) > before)
                {
                    filesWithErrors.Add(file);
                }
            }

            config = ConfigBuilder.Build(parser.Global with { Resolvers = parser.Resolvers.ToDictionary(r => r.Name, StringComparer.Ordinal) }, parser.Proxies, diagnostics, parser.HttpErrors, parser.Rings);
        }

        patterns.NumberMaps();
        config = config is null ? null : config with { Patterns = patterns };
        if (config is not null && config.Global.ZeroWarning && diagnostics.Items.Any(d => d.Severity == DiagnosticSeverity.Warning))
        {
            diagnostics.ConfigAlert("Some warnings were found and 'zero-warning' is set. Aborting.");
            config = null;
        }

        if (diagnostics.HasAlerts)
        {
            foreach (var file in filesWithErrors)
            {
                diagnostics.ConfigAlert($"Error(s) found in configuration file : {file}");
            }

            diagnostics.ConfigAlert("Fatal errors found in configuration.");
            return null;
        }

        return config;
    }

    /// <summary>
    /// HAProxy resolves userlists after reading everything, so `http_auth(L)` may come before `userlist L`: a
    /// first pass reads only the userlist sections (its messages are dropped; the main pass reads them again
    /// and reports).
    /// </summary>
    private static void ReadUserlistsFirst(IReadOnlyList<string> files, Func<string, string?> environment)
    {
        var quiet = new DiagnosticBag();
        var reader = new ConfigFileReader(environment, quiet);
        var parser = new SectionParser(quiet) { UserlistsOnly = true };
        foreach (var file in files)
        {
            parser.StartFile();
            reader.Read(file, parser.Parse);
        }
    }

    private static int CountAlerts(DiagnosticBag diagnostics) =>
        diagnostics.Items.Count(d => d.Severity == DiagnosticSeverity.Alert);
}
