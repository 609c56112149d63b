using Sluice.Config.Conditions;
using Sluice.Config.Diagnostics;

namespace Sluice.Config.Parsing;

/// <summary>
/// Reads configuration files into lexed lines, honouring the conditional blocks of configuration.txt
/// §2.4 (<c>.if</c>, <c>.elif</c>, <c>.else</c>, <c>.endif</c>) and the messages <c>.notice</c>,
/// <c>.warning</c>, <c>.alert</c> and <c>.diag</c>. A directory given with <c>-f</c> contributes its
/// <c>*.cfg</c> files in lexical order, as HAProxy does.
/// </summary>
internal sealed class ConfigFileReader
{
    private readonly Func<string, string?> _environment;
    private readonly DiagnosticBag _diagnostics;

    public ConfigFileReader(Func<string, string?> environment, DiagnosticBag diagnostics)
    {
        _environment = environment;
        _diagnostics = diagnostics;
    }

    /// <summary>Expands <c>-f</c> arguments into files; reports paths that cannot be read.</summary>
    public List<string> ExpandPaths(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var entries = Directory.GetFiles(path, "*.cfg");
                Array.Sort(entries, StringComparer.Ordinal);
                files.AddRange(entries);
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                _diagnostics.Add(new(DiagnosticSeverity.Alert, $"Could not open configuration file {path} : No such file or directory"));
            }
        }

        return files;
    }

    /// <summary>Reads one file; calls <paramref name="onLine"/> for each active line in order.</summary>
    public void Read(string file, Action<ConfigLine> onLine)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (IOException e)
        {
            _diagnostics.Add(new(DiagnosticSeverity.Alert, $"Could not open configuration file {file} : {e.Message}"));
            return;
        }
        catch (UnauthorizedAccessException)
        {
            _diagnostics.Add(new(DiagnosticSeverity.Alert, $"Could not open configuration file {file} : Permission denied"));
            return;
        }

        var blocks = new Stack<Block>();
        var evaluator = new ConditionEvaluator(_environment);
        var words = new List<string>();
        for (var index = 0; index < lines.Length; index++)
        {
            var number = index + 1;
            var error = ConfigLexer.Tokenize(lines[index], _environment, words);
            if (error is not null)
            {
                _diagnostics.Alert(file, number, $"{error} in '{lines[index].Trim()}'");
                continue;
            }

            if (words.Count == 0)
            {
                continue;
            }

            var active = blocks.Count == 0 || blocks.Peek().Active;
            var first = words[0];
            if (first.StartsWith('.') && HandleDirective(file, number, words, blocks, evaluator, active))
            {
                continue;
            }

            if (active)
            {
                onLine(new ConfigLine(file, number, words.ToArray()));
            }
        }

        foreach (var block in blocks)
        {
            _diagnostics.Alert(file, block.Line, "non-terminated '.if' block.");
        }
    }

    /// <summary>Handles a line starting with a dot; returns false when it is not a directive.</summary>
    private bool HandleDirective(string file, int number, List<string> words, Stack<Block> blocks, ConditionEvaluator evaluator, bool active)
    {
        var args = words.GetRange(1, words.Count - 1);
        switch (words[0])
        {
            case ".if":
            {
                var parentActive = active;
                var value = parentActive && Evaluate(file, number, ".if", args, evaluator);
                blocks.Push(new Block(number, ParentActive: parentActive, Active: value, Taken: value, SeenElse: false));
                return true;
            }

            case ".elif":
            {
                if (!TryPeek(file, number, ".elif", blocks, out var block))
                {
                    return true;
                }

                if (block.SeenElse)
                {
                    _diagnostics.Alert(file, number, "'.elif' after '.else' is not permitted.");
                    return true;
                }

                var value = block.ParentActive && !block.Taken && Evaluate(file, number, ".elif", args, evaluator);
                blocks.Pop();
                blocks.Push(block with { Active = value, Taken = block.Taken || value });
                return true;
            }

            case ".else":
            {
                if (!TryPeek(file, number, ".else", blocks, out var block))
                {
                    return true;
                }

                if (block.SeenElse)
                {
                    _diagnostics.Alert(file, number, "'.else' after '.else' is not permitted.");
                    return true;
                }

                blocks.Pop();
                blocks.Push(block with { Active = block.ParentActive && !block.Taken, Taken = true, SeenElse = true });
                return true;
            }

            case ".endif":
                if (TryPeek(file, number, ".endif", blocks, out _))
                {
                    blocks.Pop();
                }

                return true;
            case ".notice" or ".warning" or ".alert" or ".diag":
                if (active)
                {
                    var text = string.Join(' ', args);
                    switch (words[0])
                    {
                        case ".notice":
                            _diagnostics.Notice(file, number, $"'{text}'.");
                            break;
                        case ".warning":
                            _diagnostics.Warning(file, number, $"'{text}'.");
                            break;
                        case ".alert":
                            _diagnostics.Alert(file, number, $"'{text}'.");
                            break;
                        default:
                            // Diagnostic messages are only shown in HAProxy's -dD mode; Sluice has no such mode yet.
                            break;
                    }
                }

                return true;
            default:
                if (active)
                {
                    _diagnostics.Alert(file, number, $"unknown directive '{words[0]}'.");
                }

                return true;
        }
    }

    private bool TryPeek(string file, int number, string directive, Stack<Block> blocks, out Block block)
    {
        if (blocks.TryPeek(out block!))
        {
            return true;
        }

        _diagnostics.Alert(file, number, $"'{directive}' with no matching '.if'.");
        return false;
    }

    private bool Evaluate(string file, int number, string directive, List<string> args, ConditionEvaluator evaluator)
    {
        var error = evaluator.Evaluate(args, out var value);
        if (error is null)
        {
            return value;
        }

        _diagnostics.Alert(file, number, $"{error} in '{directive}'.");
        return false;
    }

    /// <summary>
    /// One open conditional block. <see cref="Active"/>: lines are used now; <see cref="Taken"/>: a branch
    /// of this block was already used, so later <c>.elif</c>/<c>.else</c> branches are skipped.
    /// </summary>
    private sealed record Block(int Line, bool ParentActive, bool Active, bool Taken, bool SeenElse);
}
