namespace Sluice.Config.Diagnostics;

/// <summary>
/// Collects every diagnostic of one configuration load, so that a single run reports all problems
/// (a bad configuration changes nothing and is reported whole).
/// </summary>
internal sealed class DiagnosticBag
{
    private readonly List<ConfigDiagnostic> _items = [];

    public IReadOnlyList<ConfigDiagnostic> Items => _items;

    public bool HasAlerts { get; private set; }

    public void Add(ConfigDiagnostic diagnostic)
    {
        _items.Add(diagnostic);
        if (diagnostic.Severity == DiagnosticSeverity.Alert)
        {
            HasAlerts = true;
        }
    }

    public void Alert(string file, int line, string message) => Add(new(DiagnosticSeverity.Alert, message, file, line));

    public void Warning(string file, int line, string message) => Add(new(DiagnosticSeverity.Warning, message, file, line));

    public void Notice(string file, int line, string message) => Add(new(DiagnosticSeverity.Notice, message, file, line));

    /// <summary>A problem of the configuration as a whole, reported as <c>config : ...</c>.</summary>
    public void ConfigAlert(string message) => Add(new(DiagnosticSeverity.Alert, message, File: string.Empty));

    public void ConfigWarning(string message) => Add(new(DiagnosticSeverity.Warning, message, File: string.Empty));

    public void WriteTo(TextWriter writer)
    {
        foreach (var item in _items)
        {
            writer.WriteLine(AlertFormatter.Format(item));
        }
    }
}
