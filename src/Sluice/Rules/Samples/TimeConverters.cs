using System.Runtime.InteropServices;
using System.Text;

namespace Sluice.Rules.Samples;

/// <summary>
/// `http_date([offset[,unit]])`: a date in seconds (or `ms`, `us`) since the epoch, shifted by the offset (same
/// unit), as an IMF-fixdate (RFC 9110 §5.6.7) in GMT; with `ms`/`us` the fraction follows the seconds, as
/// HAProxy writes it.
/// </summary>
internal sealed class HttpDateConverter(long offset, int unitsPerSecond) : SampleConverter
{
    private const int MaxLength = 48;
    private static readonly byte[] DayNames = "SunMonTueWedThuFriSat"u8.ToArray();
    private static readonly byte[] MonthNames = "JanFebMarAprMayJunJulAugSepOctNovDec"u8.ToArray();

    public override SampleType InputType => SampleType.Int;

    public override SampleType OutputType => SampleType.Str;

    public static SampleConverter? Create(SampleArguments a)
    {
        var offset = a.Integer(0, 0);
        var unitsPerSecond = (a.String(1) ?? "s") switch
        {
            "" or "s" => 1,
            "ms" => 1_000,
            "us" => 1_000_000,
            _ => 0,
        };
        if (unitsPerSecond == 0)
        {
            a.Fail($"expects 's', 'ms' or 'us', got '{a.String(1)}'");
            return null;
        }

        return new HttpDateConverter(offset, unitsPerSecond);
    }

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        var value = sample.Integer + offset;
        var seconds = Math.DivRem(value, unitsPerSecond, out var fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += unitsPerSecond;
        }

        if (seconds < -62135596800 || seconds > 253402300799 || !ctx.TryReserve(MaxLength, out var buffer, out var at))
        {
            return false;
        }

        var date = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime;
        var span = buffer.AsSpan(at, MaxLength);
        var length = 0;
        Put(span, ref length, DayNames.AsSpan((int)date.DayOfWeek * 3, 3));
        Put(span, ref length, ", "u8);
        Number(span, ref length, date.Day, 2);
        Put(span, ref length, " "u8);
        Put(span, ref length, MonthNames.AsSpan((date.Month - 1) * 3, 3));
        Put(span, ref length, " "u8);
        Number(span, ref length, date.Year, 4);
        Put(span, ref length, " "u8);
        Number(span, ref length, date.Hour, 2);
        Put(span, ref length, ":"u8);
        Number(span, ref length, date.Minute, 2);
        Put(span, ref length, ":"u8);
        Number(span, ref length, date.Second, 2);
        if (unitsPerSecond > 1)
        {
            Put(span, ref length, "."u8);
            Number(span, ref length, fraction, unitsPerSecond == 1_000 ? 3 : 6);
        }

        Put(span, ref length, " GMT"u8);
        ctx.Shrink(MaxLength - length);
        sample = Sample.FromString(buffer, at, length);
        return true;
    }

    private static void Put(Span<byte> span, ref int length, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[length..]);
        length += bytes.Length;
    }

    private static void Number(Span<byte> span, ref int length, long number, int digits)
    {
        for (var i = digits - 1; i >= 0; i--)
        {
            span[length + i] = (byte)('0' + (number % 10));
            number /= 10;
        }

        length += digits;
    }
}

/// <summary>
/// `ltime(format[,offset])` and `utime(format[,offset])`: a date in seconds since the epoch, shifted by the
/// offset, written by the C library's strftime in local time or UTC, so every format HAProxy accepts means
/// the same here.
/// </summary>
internal sealed class StrftimeConverter(byte[] nulTerminatedFormat, long offset, bool localTime) : SampleConverter
{
    private const int MaxLength = 256;

    public override SampleType InputType => SampleType.Int;

    public override SampleType OutputType => SampleType.Str;

    public static SampleConverter? Create(SampleArguments a, bool localTime)
    {
        var format = a.String(0) ?? string.Empty;
        var offset = a.Integer(1, 0);
        if (a.Error is not null)
        {
            return null;
        }

        var bytes = new byte[Encoding.Latin1.GetByteCount(format) + 1];
        Encoding.Latin1.GetBytes(format, bytes);
        return new StrftimeConverter(bytes, offset, localTime);
    }

    public override bool Convert(SampleContext ctx, ref Sample sample)
    {
        var seconds = sample.Integer + offset;
        var parts = default(BrokenDownTime);
        var converted = localTime ? LocalTime(in seconds, ref parts) : UniversalTime(in seconds, ref parts);
        if (converted == IntPtr.Zero || !ctx.TryReserve(MaxLength, out var buffer, out var at))
        {
            return false;
        }

        var length = (int)FormatTime(ref buffer[at], MaxLength, nulTerminatedFormat, in parts);
        ctx.Shrink(MaxLength - length);
        sample = Sample.FromString(buffer, at, length);
        return true;
    }

    /// <summary>glibc's `struct tm` on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct BrokenDownTime
    {
        public int Second;
        public int Minute;
        public int Hour;
        public int Day;
        public int Month;
        public int Year;
        public int WeekDay;
        public int YearDay;
        public int DaylightSaving;
        public long GmtOffset;
        public IntPtr Zone;
    }

#pragma warning disable SYSLIB1054 // LibraryImport would require AllowUnsafeBlocks for the whole project.
    [DllImport("libc", EntryPoint = "localtime_r")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr LocalTime(in long seconds, ref BrokenDownTime result);

    [DllImport("libc", EntryPoint = "gmtime_r")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr UniversalTime(in long seconds, ref BrokenDownTime result);

    [DllImport("libc", EntryPoint = "strftime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nuint FormatTime(ref byte destination, nuint size, byte[] format, in BrokenDownTime parts);
#pragma warning restore SYSLIB1054
}
