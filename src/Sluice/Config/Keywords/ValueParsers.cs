using System.Globalization;

namespace Sluice.Config.Keywords;

/// <summary>HAProxy's number, time and size syntaxes (configuration.txt §2.5).</summary>
internal static class ValueParsers
{
    /// <summary>
    /// Parses a time such as <c>500</c> (milliseconds), <c>100us</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>, <c>1d</c>.
    /// Returns null on success or HAProxy's complaint about the value.
    /// </summary>
    public static string? ParseTime(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (ParseDuration(text, TimeSpan.TicksPerMillisecond, out var ticks) is { } error)
        {
            return error;
        }

        // HAProxy keeps times in milliseconds on 31 bits: about 24.8 days.
        if (ticks / TimeSpan.TicksPerMillisecond > int.MaxValue)
        {
            return "timer overflow";
        }

        value = TimeSpan.FromTicks((long)ticks);
        return null;
    }

    /// <summary>
    /// Parses a time whose bare number counts seconds (HAProxy's TIME_UNIT_S, e.g. `cookie ... maxidle 30m`), up to
    /// 2147483647 s. Returns null on success, "timer overflow", "timer underflow" (a non-zero time under one second)
    /// or the unexpected character.
    /// </summary>
    public static string? ParseSeconds(string text, out long seconds)
    {
        seconds = 0;
        if (ParseDuration(text, TimeSpan.TicksPerSecond, out var ticks) is { } error)
        {
            return error;
        }

        if (ticks / TimeSpan.TicksPerSecond > int.MaxValue)
        {
            return "timer overflow";
        }

        if (ticks > 0 && ticks < TimeSpan.TicksPerSecond)
        {
            return "timer underflow";
        }

        seconds = (long)(ticks / TimeSpan.TicksPerSecond);
        return null;
    }

    /// <summary>Digits and an optional unit; a bare number counts <paramref name="defaultTicksPerUnit"/>.</summary>
    private static string? ParseDuration(string text, long defaultTicksPerUnit, out double ticks)
    {
        ticks = 0;
        var i = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        if (i == 0)
        {
            return text.Length == 0 ? "missing value" : $"unexpected character '{text[0]}'";
        }

        if (!long.TryParse(text.AsSpan(0, i), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return "timer overflow";
        }

        var unit = text[i..];
        double ticksPerUnit = unit switch
        {
            "" => defaultTicksPerUnit,
            "ms" => TimeSpan.TicksPerMillisecond,
            "us" => TimeSpan.TicksPerMicrosecond,
            "s" => TimeSpan.TicksPerSecond,
            "m" => TimeSpan.TicksPerMinute,
            "h" => TimeSpan.TicksPerHour,
            "d" => TimeSpan.TicksPerDay,
            _ => -1,
        };

        if (ticksPerUnit < 0)
        {
            return $"unexpected character '{unit[0]}'";
        }

        ticks = number * ticksPerUnit;
        return null;
    }

    /// <summary>Parses a size such as <c>16384</c>, <c>16k</c>, <c>1m</c>, <c>1g</c> (powers of 1024).</summary>
    public static string? ParseSize(string text, out long value)
    {
        value = 0;
        var i = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        if (i == 0 || !long.TryParse(text.AsSpan(0, i), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return "invalid size";
        }

        long multiplier = text[i..].ToLowerInvariant() switch
        {
            "" => 1,
            "k" => 1024,
            "m" => 1024 * 1024,
            "g" => 1024L * 1024 * 1024,
            _ => -1,
        };

        if (multiplier < 0)
        {
            return $"unexpected character '{text[i]}'";
        }

        value = number * multiplier;
        return null;
    }

    /// <summary>Parses a non-negative decimal integer (HAProxy's <c>atol</c> with validation).</summary>
    public static bool TryParseInt(string? text, out int value)
    {
        value = 0;
        return text is not null && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Parses an integer that may be negative.</summary>
    public static bool TryParseSignedInt(string? text, out int value)
    {
        value = 0;
        return text is not null && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>HAProxy's atoi: an optional sign, then the leading digits; what follows is ignored, no digit reads as 0.</summary>
    public static int ParseLeadingInt(string text)
    {
        return Rules.Samples.Sample.TryParseLeadingInteger(System.Text.Encoding.ASCII.GetBytes(text), out var value)
            ? (int)Math.Clamp(value, int.MinValue, int.MaxValue)
            : 0;
    }
}
