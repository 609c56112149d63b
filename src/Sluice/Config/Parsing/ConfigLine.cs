namespace Sluice.Config.Parsing;

/// <summary>One non-empty, active configuration line after lexing.</summary>
internal sealed record ConfigLine(string File, int Number, IReadOnlyList<string> Words);
