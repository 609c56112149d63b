namespace Sluice.Config.Diagnostics;

/// <summary>
/// One message about the configuration or the start-up. <see cref="File"/> and <see cref="Line"/> are set
/// when the message is about a line of a file; <see cref="Message"/> never repeats the location.
/// </summary>
internal sealed record ConfigDiagnostic(DiagnosticSeverity Severity, string Message, string? File = null, int Line = 0)
{
    public override string ToString() => AlertFormatter.Format(this);
}
