namespace Sluice.Config.Diagnostics;

/// <summary>HAProxy's message levels, in the order of gravity. Only <see cref="Alert"/> stops a start.</summary>
internal enum DiagnosticSeverity
{
    Notice = 0,
    Warning = 1,
    Alert = 2,
}
