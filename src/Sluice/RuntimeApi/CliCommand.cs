using System.Text;
using Sluice.Config.Model;

namespace Sluice.RuntimeApi;

/// <summary>
/// One runtime API command: the words that name it, the usage and help shown by `help`, the lowest level that
/// sees it, and its handler. The handler writes the answer without the blank line that ends every answer.
/// </summary>
internal sealed record CliCommand(string[] Words, string Usage, string Help, CliLevel Level, Action<CliRequest, StringBuilder> Run)
{
    /// <summary>`  usage (padded to 40) : help`, as HAProxy's `help` prints it.</summary>
    public string HelpLine => string.Concat("  ", Usage.PadRight(40), ": ", Help);

    public bool Matches(IReadOnlyList<string> args)
    {
        if (args.Count < Words.Length)
        {
            return false;
        }

        for (var i = 0; i < Words.Length; i++)
        {
            if (!string.Equals(Words[i], args[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>One command as typed: its words, the connection it came on, the running configuration's stats, and its payload if any.</summary>
internal sealed class CliRequest(CliConnection connection, IReadOnlyList<string> args, Stats.StatsHub hub, string? payload = null)
{
    /// <summary>The lines after a command that ends with `&lt;&lt;`, up to the first empty line (HAProxy's payload), each ending with a newline.</summary>
    public string? Payload { get; } = payload;

    public CliConnection Connection { get; } = connection;

    public IReadOnlyList<string> Args { get; } = args;

    public Stats.StatsHub Hub { get; } = hub;

    /// <summary>The word at <paramref name="index"/>, or null past the end.</summary>
    public string? Arg(int index) => index < Args.Count ? Args[index] : null;
}
