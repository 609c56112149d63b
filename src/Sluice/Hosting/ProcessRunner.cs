using Sluice.Config.Diagnostics;
using Sluice.Config.Model;

namespace Sluice.Hosting;

/// <summary>Runs a loaded configuration until a signal stops it.</summary>
internal static class ProcessRunner
{
    public static int Run(SluiceConfig config, CommandLine commandLine)
    {
        Console.Error.WriteLine(AlertFormatter.Format(new ConfigDiagnostic(DiagnosticSeverity.Alert, "running a configuration is not available in this build yet.")));
        return 1;
    }
}
