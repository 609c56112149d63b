using System.Text;

namespace Sluice.Rules.Samples;

/// <summary>
/// Reads `fetch[(args)][,converter[(args)]]...` as HAProxy writes it, checks each name against the tables and
/// compiles the expression. Arguments are split on commas; quotes protect commas and parentheses.
/// </summary>
internal static class SampleExpressionParser
{
    /// <summary>
    /// Parses from <paramref name="pos"/> up to the end of <paramref name="text"/> or up to <paramref name="stop"/>
    /// outside parentheses; <paramref name="pos"/> is left on the stop character. Errors are HAProxy's
    /// messages without their prefix ("unknown fetch method 'x'").
    /// </summary>
    public static SampleExpression? Parse(string text, ref int pos, char stop, bool forAcl, out string? error)
    {
        var start = pos;
        if (!ReadCall(text, ref pos, stop, out var name, out var args, out error))
        {
            error = $"fetch method '{name}' : {error}";
            return null;
        }

        if (name.Length == 0)
        {
            error = "missing fetch method";
            return null;
        }

        var definition = SampleFetchTable.Find(name);
        if (definition is null)
        {
            error = $"unknown fetch method '{name}'";
            return null;
        }

        var arguments = new SampleArguments(name, args, forAcl);
        if (args.Length > definition.MaxArguments)
        {
            error = $"fetch method '{name}' : end of arguments expected at position {definition.MaxArguments + 1}, but got '{args[definition.MaxArguments]}'";
            return null;
        }

        var fetch = definition.Create(arguments);
        if (fetch is null || arguments.Error is not null)
        {
            error = $"fetch method '{name}' : {arguments.Error ?? "invalid arguments"}";
            return null;
        }

        var type = fetch.OutputType;
        var converters = new List<SampleConverter>();
        while (pos < text.Length && text[pos] == ',')
        {
            pos++;
            if (!ReadCall(text, ref pos, stop, out var convName, out var convArgs, out error))
            {
                error = $"converter '{convName}' : {error}";
                return null;
            }

            var convDefinition = SampleConverterTable.Find(convName);
            if (convDefinition is null)
            {
                error = $"unknown converter '{convName}'";
                return null;
            }

            var convArguments = new SampleArguments(convName, convArgs, forAcl);
            var converter = convDefinition.Create(convArguments);
            if (converter is null || convArguments.Error is not null)
            {
                error = convArguments.ErrorArgument > 0
                    ? $"invalid arg {convArguments.ErrorArgument} in converter '{convName}' : {convArguments.Error}"
                    : $"invalid args in converter '{convName}' : {convArguments.Error ?? "invalid arguments"}";
                return null;
            }

            if (!SampleCasts.CanCast(type, converter.InputType))
            {
                error = $"converter '{convName}' cannot be applied";
                return null;
            }

            converters.Add(converter);
            type = converter.OutputType;
        }

        if (pos < text.Length && text[pos] != stop)
        {
            error = $"unexpected character '{text[pos]}' after '{text[start..pos]}'";
            return null;
        }

        error = null;
        return new SampleExpression(text[start..pos], fetch, [.. converters], definition.Needs);
    }

    /// <summary>Parses a whole word as one expression.</summary>
    public static SampleExpression? Parse(string text, bool forAcl, out string? error)
    {
        var pos = 0;
        return Parse(text, ref pos, '\0', forAcl, out error);
    }

    /// <summary>
    /// A backslash protects only a backslash, a quote or a space, as in HAProxy's argument parser; before any
    /// other character it stays, so `regsub(\.,-)` and `regsub("(b)(c)","\2\1")` reach the regex as written.
    /// </summary>
    private static bool IsEscapable(char c) => c is '\\' or '"' or '\'' or ' ';

    /// <summary>Reads `name` or `name(arg,arg)`; the name is made of letters, digits and `._-`.</summary>
    private static bool ReadCall(string text, ref int pos, char stop, out string name, out string[] args, out string? error)
    {
        var start = pos;
        while (pos < text.Length && (char.IsAsciiLetterOrDigit(text[pos]) || text[pos] is '_' or '.' or '-'))
        {
            pos++;
        }

        name = text[start..pos];
        args = [];
        error = null;
        if (pos >= text.Length || text[pos] != '(')
        {
            return true;
        }

        pos++;
        var list = new List<string>();
        var current = new StringBuilder();
        char quote = '\0';
        while (true)
        {
            if (pos >= text.Length || (quote == '\0' && text[pos] == stop && stop != '\0'))
            {
                error = "expected ')'";
                return false;
            }

            var c = text[pos++];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && pos < text.Length && IsEscapable(text[pos]))
                {
                    current.Append(text[pos++]);
                }
                else
                {
                    current.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '\\' when pos < text.Length && IsEscapable(text[pos]):
                    current.Append(text[pos++]);
                    break;
                case '"' or '\'':
                    quote = c;
                    break;
                case ',':
                    list.Add(current.ToString());
                    current.Clear();
                    break;
                case ')':
                    if (list.Count > 0 || current.Length > 0)
                    {
                        list.Add(current.ToString());
                    }

                    args = [.. list];
                    return true;
                default:
                    current.Append(c);
                    break;
            }
        }
    }
}
