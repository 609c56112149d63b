using Sluice.Config.Diagnostics;

namespace Sluice.Config.Keywords;

/// <summary>
/// One configuration line handed to a keyword parser: its words, where it comes from, and where its
/// messages go. Parsers never print; they add diagnostics here and the loader renders them all at the end.
/// </summary>
internal sealed class KeywordContext
{
    public KeywordContext(string file, int line, IReadOnlyList<string> words, int argumentIndex, bool negated, DiagnosticBag diagnostics)
    {
        File = file;
        Line = line;
        Words = words;
        ArgumentIndex = argumentIndex;
        Negated = negated;
        Diagnostics = diagnostics;
    }

    public string File { get; }

    public int Line { get; }

    /// <summary>Every word of the line, including a leading <c>no</c>/<c>default</c> and the keyword itself.</summary>
    public IReadOnlyList<string> Words { get; }

    /// <summary>Index in <see cref="Words"/> of the first argument after the keyword's own words.</summary>
    public int ArgumentIndex { get; }

    /// <summary>The line started with <c>no</c>.</summary>
    public bool Negated { get; }

    public DiagnosticBag Diagnostics { get; }

    public int ArgumentCount => Words.Count - ArgumentIndex;

    /// <summary>The keyword as written (its words without the arguments), for messages.</summary>
    public string Keyword => string.Join(' ', Words.Skip(Negated ? 1 : 0).Take(ArgumentIndex - (Negated ? 1 : 0)));

    /// <summary>The argument at <paramref name="index"/> (0 = first argument), or null when absent.</summary>
    public string? Argument(int index) => ArgumentIndex + index < Words.Count ? Words[ArgumentIndex + index] : null;

    public Location Location => new(File, Line);

    public void Alert(string message) => Diagnostics.Alert(File, Line, message);

    public void Warning(string message) => Diagnostics.Warning(File, Line, message);

    /// <summary>Checks that exactly <paramref name="count"/> arguments follow; alerts in HAProxy's words otherwise.</summary>
    public bool ExpectArguments(int count, string what)
    {
        if (ArgumentCount < count)
        {
            Alert($"'{Keyword}' expects {what}.");
            return false;
        }

        if (ArgumentCount > count)
        {
            Alert($"'{Keyword}' cannot handle unexpected argument '{Argument(count)}'.");
            return false;
        }

        return true;
    }
}

/// <summary>A place in a configuration file, rendered as <c>file:line</c>.</summary>
internal readonly record struct Location(string File, int Line)
{
    public override string ToString() => $"{File}:{Line}";
}
