using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Sluice.Logging;

/// <summary>Where a `log` line sends its messages.</summary>
internal enum LogTargetKind : byte
{
    Stdout,
    Stderr,
    Udp,
    Unix,
    /// <summary>`fd@N`: a file descriptor the process inherited (fd@1 and fd@2 are stdout and stderr).</summary>
    FileDescriptor,
    /// <summary>`ring@NAME`: a `ring` section's buffer, whose format and length limit apply.</summary>
    Ring,
}

/// <summary>The header a target puts before each message (`format` on the `log` line).</summary>
internal enum SyslogFormat : byte
{
    /// <summary>`<PRI>Mmm dd hh:mm:ss [host ]tag[pid]: ` (the default).</summary>
    Rfc3164,
    /// <summary>`<PRI>1 ISO-time host|- tag pid - SD `.</summary>
    Rfc5424,
    /// <summary>Like rfc3164 without the host name.</summary>
    Local,
    /// <summary>`<PRI>` only.</summary>
    Priority,
    /// <summary>`<LEVEL>` only.</summary>
    Short,
    /// <summary>`<LEVEL>ISO-time `.</summary>
    Timed,
    /// <summary>`ISO-time `.</summary>
    Iso,
    /// <summary>The message alone.</summary>
    Raw,
}

/// <summary>
/// One `log` line of a global or proxy section: `log TARGET [len N] [format F] [sample R:S] FACILITY [LEVEL [MINLEVEL]]`
/// (configuration.txt §4.2 "log"). Levels are syslog's numbers: 0 emerg ... 7 debug.
/// </summary>
internal sealed record LogTarget
{
    public required LogTargetKind Kind { get; init; }

    /// <summary>The target as written, for messages.</summary>
    public required string Text { get; init; }

    /// <summary>The UDP address (port 514 when none is given).</summary>
    public IPEndPoint? Address { get; init; }

    /// <summary>The unix datagram socket's path.</summary>
    public string? Path { get; init; }

    /// <summary>The inherited file descriptor of `fd@N`.</summary>
    public int Descriptor { get; init; }

    /// <summary>The ring of `ring@NAME`.</summary>
    public string? RingName { get; init; }

    /// <summary>Where the `log` line is, for messages about its target.</summary>
    public Sluice.Config.Keywords.Location Declared { get; init; }

    public SyslogFormat Format { get; init; } = SyslogFormat.Rfc3164;

    /// <summary>`len`: the longest message, header and trailing newline included.</summary>
    public int MaxLength { get; init; } = 1024;

    public int Facility { get; init; }

    /// <summary>Messages less severe than this level are not sent.</summary>
    public int MaxLevel { get; init; } = 7;

    /// <summary>Messages more severe than this level are sent at this level.</summary>
    public int MinLevel { get; init; }

    /// <summary>`sample R:S`: of every S messages, those whose position (1..S) is in a range are sent; null sends all.</summary>
    public (int From, int To)[]? SampleRanges { get; init; }

    public int SampleSize { get; init; }

    public static readonly string[] Facilities =
    [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "auth2", "ftp", "ntp", "audit",
        "alert", "cron2", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
    ];

    public static readonly string[] Levels = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

    /// <summary>
    /// Reads the words after `log` (`log global` is the caller's). The error is HAProxy's message after "log : ".
    /// </summary>
    public static LogTarget? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        if (args.Count < 2)
        {
            error = "expects <address> and <facility>  as arguments";
            return null;
        }

        var target = ParseAddress(args[0], out error);
        if (target is null)
        {
            return null;
        }

        var i = 1;
        while (i < args.Count - 1)
        {
            switch (args[i])
            {
                case "len":
                    if (!int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length < 80 || length > 65535)
                    {
                        error = $"invalid log length '{args[i + 1]}', must be between 80 and 65535";
                        return null;
                    }

                    target = target with { MaxLength = length };
                    i += 2;
                    continue;
                case "format":
                    if (ParseFormat(args[i + 1]) is not { } format)
                    {
                        error = $"unknown log format '{args[i + 1]}'";
                        return null;
                    }

                    target = target with { Format = format };
                    i += 2;
                    continue;
                case "sample":
                    if (!TryParseSample(args[i + 1], out var ranges, out var size, out error))
                    {
                        return null;
                    }

                    target = target with { SampleRanges = ranges, SampleSize = size };
                    i += 2;
                    continue;
            }

            break;
        }

        if (i >= args.Count)
        {
            error = "expects <address> and <facility>  as arguments";
            return null;
        }

        var facility = Array.IndexOf(Facilities, args[i]);
        if (facility < 0)
        {
            error = $"unknown log facility '{args[i]}'";
            return null;
        }

        target = target with { Facility = facility };
        i++;
        if (i < args.Count)
        {
            var level = Array.IndexOf(Levels, args[i]);
            if (level < 0)
            {
                error = $"unknown optional log level '{args[i]}'";
                return null;
            }

            target = target with { MaxLevel = level };
            i++;
        }

        if (i < args.Count)
        {
            var level = Array.IndexOf(Levels, args[i]);
            if (level < 0)
            {
                error = $"unknown optional minimum log level '{args[i]}'";
                return null;
            }

            target = target with { MinLevel = level };
            i++;
        }

        if (i < args.Count)
        {
            error = $"cannot handle unexpected argument '{args[i]}'";
            return null;
        }

        return target;
    }

    internal static SyslogFormat? ParseFormat(string name) => name switch
    {
        "rfc3164" => SyslogFormat.Rfc3164,
        "rfc5424" => SyslogFormat.Rfc5424,
        "local" => SyslogFormat.Local,
        "priority" => SyslogFormat.Priority,
        "short" => SyslogFormat.Short,
        "timed" => SyslogFormat.Timed,
        "iso" => SyslogFormat.Iso,
        "raw" => SyslogFormat.Raw,
        _ => null,
    };

    private static bool TryParseSample(string text, out (int From, int To)[]? ranges, out int size, out string? error)
    {
        ranges = null;
        size = 0;
        error = null;
        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out size) || size <= 0)
        {
            error = $"invalid sample syntax '{text}', expecting <ranges>:<sample_size>";
            return false;
        }

        var list = new List<(int, int)>();
        foreach (var part in text[..colon].Split(','))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            var fromText = dash < 0 ? part : part[..dash];
            var toText = dash < 0 ? part : part[(dash + 1)..];
            if (!int.TryParse(fromText, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                || !int.TryParse(toText, NumberStyles.None, CultureInfo.InvariantCulture, out var to)
                || from < 1 || to < from || to > size)
            {
                error = $"invalid sample range '{part}' in '{text}'";
                return false;
            }

            list.Add((from, to));
        }

        ranges = [.. list];
        return true;
    }

    private static LogTarget? ParseAddress(string text, out string? error)
    {
        error = null;
        switch (text)
        {
            case "stdout":
                return new LogTarget { Kind = LogTargetKind.Stdout, Text = text };
            case "stderr":
                return new LogTarget { Kind = LogTargetKind.Stderr, Text = text };
        }

        if (text.StartsWith("ring@", StringComparison.Ordinal))
        {
            if (text.Length == "ring@".Length)
            {
                error = $"invalid address: '{text}'";
                return null;
            }

            return new LogTarget { Kind = LogTargetKind.Ring, Text = text, RingName = text["ring@".Length..] };
        }

        if (text.StartsWith("fd@", StringComparison.Ordinal))
        {
            if (!int.TryParse(text.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var fd))
            {
                error = $"invalid address: '{text}'";
                return null;
            }

            return fd switch
            {
                1 => new LogTarget { Kind = LogTargetKind.Stdout, Text = text },
                2 => new LogTarget { Kind = LogTargetKind.Stderr, Text = text },
                _ => new LogTarget { Kind = LogTargetKind.FileDescriptor, Text = text, Descriptor = fd },
            };
        }

        var rest = text;
        AddressFamily? family = null;
        var unix = false;
        if (rest.StartsWith("udp@", StringComparison.Ordinal) || rest.StartsWith("udp4@", StringComparison.Ordinal))
        {
            family = rest[3] == '4' ? AddressFamily.InterNetwork : null;
            rest = rest[(rest.IndexOf('@', StringComparison.Ordinal) + 1)..];
        }
        else if (rest.StartsWith("udp6@", StringComparison.Ordinal) || rest.StartsWith("ipv6@", StringComparison.Ordinal))
        {
            family = AddressFamily.InterNetworkV6;
            rest = rest[5..];
        }
        else if (rest.StartsWith("ipv4@", StringComparison.Ordinal))
        {
            family = AddressFamily.InterNetwork;
            rest = rest[5..];
        }
        else if (rest.StartsWith("unix@", StringComparison.Ordinal))
        {
            unix = true;
            rest = rest[5..];
        }
        else if (rest.StartsWith('/'))
        {
            unix = true;
        }
        else if (rest.Contains('@', StringComparison.Ordinal))
        {
            var prefix = rest[..rest.IndexOf('@', StringComparison.Ordinal)];
            error = $"'{prefix}@' address prefix is not supported yet in '{text}'";
            return null;
        }

        if (unix)
        {
            if (rest.Length == 0)
            {
                error = $"invalid address: '{text}'";
                return null;
            }

            return new LogTarget { Kind = LogTargetKind.Unix, Text = text, Path = rest };
        }

        var host = rest;
        var port = 514;
        var lastColon = rest.LastIndexOf(':');
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"invalid address: '{rest}' in '{text}'";
                return null;
            }

            host = rest[1..close];
            lastColon = rest.Length > close + 1 && rest[close + 1] == ':' ? close + 1 : -1;
        }
        else if (lastColon >= 0 && rest.IndexOf(':') != lastColon)
        {
            // Several colons without brackets: HAProxy reads the part after the last one as the port.
            host = rest[..lastColon];
        }
        else if (lastColon >= 0)
        {
            host = rest[..lastColon];
        }

        if (lastColon >= 0)
        {
            var portText = rest[(lastColon + 1)..];
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port < 1 || port > 65535)
            {
                error = $"invalid port '{portText}'";
                return null;
            }
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            address = Resolve(host, family);
        }

        if (address is null || (family is { } f && address.AddressFamily != f))
        {
            error = $"invalid address: '{rest}' in '{text}'\n";
            return null;
        }

        return new LogTarget { Kind = LogTargetKind.Udp, Text = text, Address = new IPEndPoint(address, port) };
    }

    private static IPAddress? Resolve(string host, AddressFamily? family)
    {
        if (host.Length == 0 || host.Contains(':', StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            foreach (var address in Dns.GetHostAddresses(host))
            {
                if (family is null || address.AddressFamily == family)
                {
                    return address;
                }
            }
        }
        catch (SocketException)
        {
            // An unknown name is reported by the caller.
        }

        return null;
    }
}
