namespace Sluice.Config.Diagnostics;

/// <summary>
/// The one place that renders diagnostics. The form is fixed and documented in docs/config-errors.md:
/// <c>[ALERT] parsing [FILE:LINE] : MESSAGE</c> for a line of a file, <c>[ALERT] config : MESSAGE</c> for the
/// configuration as a whole, and <c>[ALERT] MESSAGE</c> for start-up and run time. HAProxy pads the label
/// and inserts its pid; Sluice does neither, so that the lines can be compared byte for byte.
/// </summary>
internal static class AlertFormatter
{
    public static string Label(DiagnosticSeverity severity) => severity switch
    {
        DiagnosticSeverity.Alert => "[ALERT]",
        DiagnosticSeverity.Warning => "[WARNING]",
        _ => "[NOTICE]",
    };

    public static string Format(ConfigDiagnostic diagnostic)
    {
        var label = Label(diagnostic.Severity);
        if (diagnostic.File is not null && diagnostic.Line > 0)
        {
            return $"{label} parsing [{diagnostic.File}:{diagnostic.Line}] : {diagnostic.Message}";
        }

        if (diagnostic.File is not null)
        {
            return $"{label} config : {diagnostic.Message}";
        }

        return $"{label} {diagnostic.Message}";
    }
}
