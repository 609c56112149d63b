using System.Globalization;
using Sluice.Hosting;

namespace Sluice.Config.Conditions;

/// <summary>
/// Evaluates the expressions of <c>.if</c>/<c>.elif</c> and of the <c>-cc</c> command-line flag, as HAProxy
/// does (configuration.txt §2.4): terms are numbers (non-zero is true), or predicates
/// <c>defined(NAME)</c>, <c>feature(NAME)</c>, <c>streq(a,b)</c>, <c>strneq(a,b)</c>, <c>strstr(a,b)</c>,
/// <c>version_atleast(V)</c>, <c>version_before(V)</c>, <c>openssl_version_atleast(V)</c>,
/// <c>openssl_version_before(V)</c>, <c>ssllib_name_startswith(S)</c>, <c>enabled(OPTION)</c>;
/// combined with <c>!</c>, <c>&amp;&amp;</c>, <c>||</c> and parentheses. The words were already lexed, so
/// quotes and environment variables are resolved before evaluation.
/// </summary>
internal sealed class ConditionEvaluator
{
    private readonly Func<string, string?> _environment;
    private string _text = string.Empty;
    private int _pos;

    public ConditionEvaluator(Func<string, string?> environment)
    {
        _environment = environment;
    }

    /// <summary>Evaluates the words after <c>.if</c>; returns null on success, or an error message.</summary>
    public string? Evaluate(IReadOnlyList<string> words, out bool result)
    {
        _text = string.Join(' ', words);
        _pos = 0;
        result = false;
        if (string.IsNullOrWhiteSpace(_text))
        {
            return "missing condition";
        }

        var error = ParseOr(out result);
        if (error is not null)
        {
            return error;
        }

        SkipBlanks();
        return _pos < _text.Length ? $"unexpected character '{_text[_pos]}' at position {_pos + 1}" : null;
    }

    private string? ParseOr(out bool value)
    {
        var error = ParseAnd(out value);
        while (error is null)
        {
            SkipBlanks();
            if (!Consume("||"))
            {
                break;
            }

            error = ParseAnd(out var right);
            value = value || right;
        }

        return error;
    }

    private string? ParseAnd(out bool value)
    {
        var error = ParseUnary(out value);
        while (error is null)
        {
            SkipBlanks();
            if (!Consume("&&"))
            {
                break;
            }

            error = ParseUnary(out var right);
            value = value && right;
        }

        return error;
    }

    private string? ParseUnary(out bool value)
    {
        SkipBlanks();
        if (Consume("!"))
        {
            var error = ParseUnary(out var inner);
            value = !inner;
            return error;
        }

        if (Consume("("))
        {
            var error = ParseOr(out value);
            if (error is not null)
            {
                return error;
            }

            SkipBlanks();
            return Consume(")") ? null : $"expected ')' at position {_pos + 1}";
        }

        return ParseTerm(out value);
    }

    private string? ParseTerm(out bool value)
    {
        value = false;
        SkipBlanks();
        var start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '_' or '-' or '.'))
        {
            _pos++;
        }

        var name = _text[start.._pos];
        if (name.Length == 0)
        {
            return _pos < _text.Length ? $"unexpected character '{_text[_pos]}' at position {_pos + 1}" : "missing term";
        }

        if (_pos >= _text.Length || _text[_pos] != '(')
        {
            if (long.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                value = number != 0;
                return null;
            }

            return $"unparsable conditional expression '{name}'";
        }

        _pos++;
        var close = _text.IndexOf(')', _pos);
        if (close < 0)
        {
            return $"missing closing ')' after '{name}('";
        }

        var args = _text[_pos..close].Split(',');
        _pos = close + 1;
        return EvaluatePredicate(name, args, out value);
    }

    private string? EvaluatePredicate(string name, string[] args, out bool value)
    {
        value = false;
        int expected = name is "streq" or "strneq" or "strstr" ? 2 : 1;
        if (args.Length != expected)
        {
            return $"'{name}' expects {expected} argument{(expected > 1 ? "s" : string.Empty)}";
        }

        switch (name)
        {
            case "defined":
                value = _environment(args[0]) is not null;
                return null;
            case "feature":
                value = BuildInfo.HasFeature(args[0]);
                return null;
            case "streq":
                value = string.Equals(args[0], args[1], StringComparison.Ordinal);
                return null;
            case "strneq":
                value = !string.Equals(args[0], args[1], StringComparison.Ordinal);
                return null;
            case "strstr":
                value = args[0].Contains(args[1], StringComparison.Ordinal);
                return null;
            case "version_atleast":
                return CompareVersion(BuildInfo.HAProxyCompatibleVersion, args[0], atLeast: true, out value);
            case "version_before":
                return CompareVersion(BuildInfo.HAProxyCompatibleVersion, args[0], atLeast: false, out value);
            case "openssl_version_atleast":
                return CompareVersion(BuildInfo.OpenSslVersion, args[0], atLeast: true, out value);
            case "openssl_version_before":
                return CompareVersion(BuildInfo.OpenSslVersion, args[0], atLeast: false, out value);
            case "ssllib_name_startswith":
                value = BuildInfo.SslLibraryName.StartsWith(args[0], StringComparison.Ordinal);
                return null;
            case "enabled":
                value = BuildInfo.IsEnabled(args[0]);
                return null;
            default:
                return $"unknown conditional predicate '{name}'";
        }
    }

    private static string? CompareVersion(string current, string wanted, bool atLeast, out bool value)
    {
        value = false;
        if (!TryParseVersion(wanted, out var w))
        {
            return $"invalid version '{wanted}'";
        }

        _ = TryParseVersion(current, out var c);
        var cmp = CompareParts(c, w);
        value = atLeast ? cmp >= 0 : cmp < 0;
        return null;
    }

    /// <summary>Reads "2.4", "2.4.1", "3.0-dev2" into numeric parts; a "-dev" suffix counts as before the release.</summary>
    private static bool TryParseVersion(string text, out int[] parts)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var core = dash >= 0 ? text[..dash] : text;
        var pieces = core.Split('.');
        parts = new int[pieces.Length];
        for (var i = 0; i < pieces.Length; i++)
        {
            if (!int.TryParse(pieces[i], NumberStyles.None, CultureInfo.InvariantCulture, out parts[i]))
            {
                return false;
            }
        }

        return pieces.Length > 0;
    }

    private static int CompareParts(int[] a, int[] b)
    {
        var length = Math.Max(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            var x = i < a.Length ? a[i] : 0;
            var y = i < b.Length ? b[i] : 0;
            if (x != y)
            {
                return x.CompareTo(y);
            }
        }

        return 0;
    }

    private void SkipBlanks()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t')
        {
            _pos++;
        }
    }

    private bool Consume(string token)
    {
        if (string.CompareOrdinal(_text, _pos, token, 0, token.Length) == 0)
        {
            _pos += token.Length;
            return true;
        }

        return false;
    }
}
