using System.Text;

namespace Sluice.Config.Parsing;

/// <summary>
/// Splits one configuration line into words the way HAProxy does (configuration.txt §2.2, §2.3):
/// blanks separate words; <c>#</c> starts a comment; a backslash escapes a blank, <c>#</c>, a quote,
/// <c>$</c> or itself, and writes CR, LF, TAB or a byte for <c>\r</c>, <c>\n</c>, <c>\t</c>, <c>\xHH</c>;
/// double quotes ("weak") keep blanks and expand environment variables (<c>$NAME</c>, <c>${NAME}</c>,
/// <c>${NAME-default}</c>, and <c>${NAME[*]}</c> which becomes one word per blank-separated element);
/// single quotes ("strong") keep everything as written. Adjacent quoted and unquoted parts join into one
/// word, and <c>""</c> is an empty word.
/// </summary>
internal static class ConfigLexer
{
    /// <summary>
    /// Fills <paramref name="words"/> with the words of <paramref name="line"/>. Returns null on success,
    /// or the message of the first lexical error (unmatched quote, bad escape).
    /// </summary>
    public static string? Tokenize(string line, Func<string, string?> environment, List<string> words)
    {
        words.Clear();
        var current = new StringBuilder();
        var inWord = false;
        var quote = '\0';
        var quoteStart = 0;

        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];

            if (quote == '\'')
            {
                if (c == '\'')
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }

                continue;
            }

            if (c == '\\')
            {
                if (i + 1 >= line.Length)
                {
                    // A trailing backslash has nothing to escape: HAProxy keeps it as is.
                    current.Append(c);
                    inWord = true;
                    continue;
                }

                var next = line[i + 1];
                switch (next)
                {
                    case ' ' or '\t' or '#' or '\\' or '\'' or '"' or '$':
                        current.Append(next);
                        i++;
                        break;
                    case 'r':
                        current.Append('\r');
                        i++;
                        break;
                    case 'n':
                        current.Append('\n');
                        i++;
                        break;
                    case 't':
                        current.Append('\t');
                        i++;
                        break;
                    case 'x':
                        if (i + 3 < line.Length && IsHex(line[i + 2]) && IsHex(line[i + 3]))
                        {
                            current.Append((char)Convert.ToInt32(line.Substring(i + 2, 2), 16));
                            i += 3;
                            break;
                        }

                        return $"truncated or invalid hexadecimal sequence at position {i + 1}";
                    default:
                        // Not an escape sequence: the backslash stays (regular expressions rely on it).
                        current.Append(c);
                        break;
                }

                inWord = true;
                continue;
            }

            if (quote == '"')
            {
                if (c == '"')
                {
                    quote = '\0';
                }
                else if (c == '$')
                {
                    var error = ExpandVariable(line, ref i, environment, current, words, ref inWord);
                    if (error is not null)
                    {
                        return error;
                    }
                }
                else
                {
                    current.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '#':
                    goto EndOfLine;
                case ' ' or '\t' or '\r' or '\n':
                    if (inWord)
                    {
                        words.Add(current.ToString());
                        current.Clear();
                        inWord = false;
                    }

                    break;
                case '"' or '\'':
                    quote = c;
                    quoteStart = i;
                    inWord = true;
                    break;
                default:
                    current.Append(c);
                    inWord = true;
                    break;
            }
        }

    EndOfLine:
        if (quote != '\0')
        {
            return quote == '"'
                ? $"unmatched double quote at position {quoteStart + 1}"
                : $"unmatched single quote at position {quoteStart + 1}";
        }

        if (inWord)
        {
            words.Add(current.ToString());
        }

        return null;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    /// <summary>
    /// Expands the variable starting at <paramref name="i"/> (on the '$') inside double quotes and leaves
    /// <paramref name="i"/> on its last character. `${NAME[*]}` closes the current word after each element.
    /// </summary>
    private static string? ExpandVariable(string line, ref int i, Func<string, string?> environment, StringBuilder current, List<string> words, ref bool inWord)
    {
        var start = i;
        if (i + 1 < line.Length && line[i + 1] == '{')
        {
            var close = line.IndexOf('}', i + 2);
            if (close < 0)
            {
                return $"missing closing '}}' in environment variable reference at position {start + 1}";
            }

            var inner = line.Substring(i + 2, close - i - 2);
            i = close;
            var split = false;
            string? fallback = null;
            if (inner.EndsWith("[*]", StringComparison.Ordinal))
            {
                split = true;
                inner = inner[..^3];
            }

            var dash = inner.IndexOf('-', StringComparison.Ordinal);
            if (dash >= 0)
            {
                fallback = inner[(dash + 1)..];
                inner = inner[..dash];
            }

            if (!IsVariableName(inner))
            {
                return $"invalid environment variable name '{inner}' at position {start + 1}";
            }

            var value = environment(inner) ?? fallback ?? string.Empty;
            if (!split)
            {
                current.Append(value);
                return null;
            }

            var parts = value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            for (var p = 0; p < parts.Length; p++)
            {
                current.Append(parts[p]);
                if (p < parts.Length - 1)
                {
                    words.Add(current.ToString());
                    current.Clear();
                }
            }

            inWord = true;
            return null;
        }

        var end = i + 1;
        while (end < line.Length && (char.IsAsciiLetterOrDigit(line[end]) || line[end] == '_'))
        {
            end++;
        }

        if (end == i + 1 || char.IsAsciiDigit(line[i + 1]))
        {
            // A lone '$' (or one followed by a digit) is not a reference: kept literally.
            current.Append('$');
            return null;
        }

        current.Append(environment(line.Substring(i + 1, end - i - 1)) ?? string.Empty);
        i = end - 1;
        return null;
    }

    private static bool IsVariableName(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }
}
