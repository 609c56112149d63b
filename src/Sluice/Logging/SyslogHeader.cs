namespace Sluice.Logging;

/// <summary>
/// The header each `format` of a `log` line puts before the message, byte for byte as HAProxy 2.6 writes it:
/// <list type="bullet">
/// <item>rfc3164: <c>&lt;134&gt;Dec  2 02:40:01 [host ]haproxy[1234]: </c> (local time, the day padded with a space);</item>
/// <item>local: the same without the host;</item>
/// <item>rfc5424: <c>&lt;134&gt;1 2026-12-02T02:40:01.123456+00:00 host|- haproxy 1234 - SD </c> (SD is `-` without `log-format-sd`);</item>
/// <item>priority: <c>&lt;134&gt;</c>; short: <c>&lt;6&gt;</c> (the level alone); timed: <c>&lt;6&gt;</c> and the ISO date; iso: the ISO date; raw: nothing.</item>
/// </list>
/// </summary>
internal static class SyslogHeader
{
    private static ReadOnlySpan<byte> MonthNames => "JanFebMarAprMayJunJulAugSepOctNovDec"u8;

    /// <summary>Writes the header at the start of <paramref name="output"/> and returns its length.</summary>
    public static int Write(Span<byte> output, LogTarget target, int level, long unixMicroseconds, byte[]? hostname, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> pid, ReadOnlySpan<byte> structuredData)
    {
        var n = 0;
        var priority = (target.Facility * 8) + level;
        switch (target.Format)
        {
            case SyslogFormat.Raw:
                return 0;
            case SyslogFormat.Iso:
                n += WriteIso(output, unixMicroseconds);
                output[n++] = (byte)' ';
                return n;
            case SyslogFormat.Short:
                return WritePriority(output, level);
            case SyslogFormat.Timed:
                n = WritePriority(output, level);
                n += WriteIso(output[n..], unixMicroseconds);
                output[n++] = (byte)' ';
                return n;
            case SyslogFormat.Priority:
                return WritePriority(output, priority);
            case SyslogFormat.Rfc5424:
                n = WritePriority(output, priority);
                output[n++] = (byte)'1';
                output[n++] = (byte)' ';
                n += WriteIso(output[n..], unixMicroseconds);
                output[n++] = (byte)' ';
                n += Copy(output[n..], hostname ?? "-"u8);
                output[n++] = (byte)' ';
                n += Copy(output[n..], tag);
                output[n++] = (byte)' ';
                n += Copy(output[n..], pid);
                n += Copy(output[n..], " - "u8);
                if (structuredData.IsEmpty)
                {
                    n += Copy(output[n..], "- "u8);
                }
                else
                {
                    n += Copy(output[n..], structuredData);
                    output[n++] = (byte)' ';
                }

                return n;
            default:
                n = WritePriority(output, priority);
                n += WriteRfc3164Date(output[n..], unixMicroseconds);
                output[n++] = (byte)' ';
                if (target.Format == SyslogFormat.Rfc3164 && hostname is not null)
                {
                    n += Copy(output[n..], hostname);
                    output[n++] = (byte)' ';
                }

                n += Copy(output[n..], tag);
                output[n++] = (byte)'[';
                n += Copy(output[n..], pid);
                n += Copy(output[n..], "]: "u8);
                return n;
        }
    }

    private static int Copy(Span<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output);
        return bytes.Length;
    }

    private static int WritePriority(Span<byte> output, int value)
    {
        var n = 0;
        output[n++] = (byte)'<';
        if (value >= 100)
        {
            output[n++] = (byte)('0' + (value / 100));
        }

        if (value >= 10)
        {
            output[n++] = (byte)('0' + (value / 10 % 10));
        }

        output[n++] = (byte)('0' + (value % 10));
        output[n++] = (byte)'>';
        return n;
    }

    private static DateTime Local(long unixMicroseconds, out TimeSpan offset)
    {
        var utc = DateTime.UnixEpoch.AddTicks(unixMicroseconds * 10);
        offset = TimeZoneInfo.Local.GetUtcOffset(utc);
        return utc + offset;
    }

    /// <summary>`Dec  2 02:40:01`.</summary>
    private static int WriteRfc3164Date(Span<byte> output, long unixMicroseconds)
    {
        var time = Local(unixMicroseconds, out _);
        MonthNames.Slice((time.Month - 1) * 3, 3).CopyTo(output);
        output[3] = (byte)' ';
        output[4] = time.Day < 10 ? (byte)' ' : (byte)('0' + (time.Day / 10));
        output[5] = (byte)('0' + (time.Day % 10));
        output[6] = (byte)' ';
        Two(output[7..], time.Hour);
        output[9] = (byte)':';
        Two(output[10..], time.Minute);
        output[12] = (byte)':';
        Two(output[13..], time.Second);
        return 15;
    }

    /// <summary>`2026-12-02T02:40:01.123456+00:00`.</summary>
    private static int WriteIso(Span<byte> output, long unixMicroseconds)
    {
        var time = Local(unixMicroseconds, out var offset);
        var year = time.Year;
        output[0] = (byte)('0' + (year / 1000));
        output[1] = (byte)('0' + (year / 100 % 10));
        output[2] = (byte)('0' + (year / 10 % 10));
        output[3] = (byte)('0' + (year % 10));
        output[4] = (byte)'-';
        Two(output[5..], time.Month);
        output[7] = (byte)'-';
        Two(output[8..], time.Day);
        output[10] = (byte)'T';
        Two(output[11..], time.Hour);
        output[13] = (byte)':';
        Two(output[14..], time.Minute);
        output[16] = (byte)':';
        Two(output[17..], time.Second);
        output[19] = (byte)'.';
        var micros = (int)(((unixMicroseconds % 1_000_000) + 1_000_000) % 1_000_000);
        for (var i = 25; i >= 20; i--)
        {
            output[i] = (byte)('0' + (micros % 10));
            micros /= 10;
        }

        output[26] = offset < TimeSpan.Zero ? (byte)'-' : (byte)'+';
        var minutes = (int)Math.Abs(offset.TotalMinutes);
        Two(output[27..], minutes / 60);
        output[29] = (byte)':';
        Two(output[30..], minutes % 60);
        return 32;
    }

    private static void Two(Span<byte> output, int value)
    {
        output[0] = (byte)('0' + (value / 10));
        output[1] = (byte)('0' + (value % 10));
    }
}
