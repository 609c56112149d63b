using System.Globalization;

namespace Sluice.Rules.Samples;

/// <summary>
/// The arguments between parentheses after a fetch or converter name, already split, with typed readers that
/// fail with HAProxy's wording ("failed to parse 'a' as type 'integer' at position 1").
/// </summary>
internal sealed class SampleArguments
{
    public SampleArguments(string keyword, string[] values, bool forAcl)
    {
        Keyword = keyword;
        Values = values;
        ForAcl = forAcl;
    }

    public string Keyword { get; }

    public string[] Values { get; }

    /// <summary>True when the fetch feeds an ACL, where fetches with several values return all of them.</summary>
    public bool ForAcl { get; }

    public int Count => Values.Length;

    /// <summary>Set by the readers when an argument is wrong; the factory then returns null.</summary>
    public string? Error { get; private set; }

    /// <summary>The 1-based position of the argument <see cref="Error"/> is about, 0 when it is about them all.</summary>
    public int ErrorArgument { get; private set; }

    public string? String(int index) => index < Values.Length ? Values[index] : null;

    public string RequiredString(int index)
    {
        if (index < Values.Length && Values[index].Length > 0)
        {
            return Values[index];
        }

        Error ??= $"missing arg {index + 1}";
        return string.Empty;
    }

    public long Integer(int index, long fallback)
    {
        if (index >= Values.Length || Values[index].Length == 0)
        {
            return fallback;
        }

        if (long.TryParse(Values[index], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        FailArgument(index, $"failed to parse '{Values[index]}' as type 'integer' at position {index + 1}");
        return fallback;
    }

    public long RequiredInteger(int index)
    {
        if (index >= Values.Length || Values[index].Length == 0)
        {
            Error ??= $"missing arg {index + 1}";
            return 0;
        }

        return Integer(index, 0);
    }

    public void Fail(string message) => Error ??= message;

    /// <summary>Reports a wrong argument at <paramref name="index"/> (0-based), for HAProxy's "invalid arg N" wording.</summary>
    public void FailArgument(int index, string message)
    {
        if (Error is null)
        {
            Error = message;
            ErrorArgument = index + 1;
        }
    }
}
