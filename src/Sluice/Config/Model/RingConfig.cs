using Sluice.Logging;

namespace Sluice.Config.Model;

/// <summary>A `server NAME ADDR [log-proto legacy|octet-count]` line of a ring: a TCP syslog server the ring's events are forwarded to.</summary>
/// <param name="OctetCount">`log-proto octet-count` (RFC 6587 "octet counting": `LEN MSG`); else each event ends with a newline.</param>
internal sealed record RingServerConfig(string Name, System.Net.IPEndPoint Address, bool OctetCount);

/// <summary>
/// A `ring NAME` section (configuration.txt §3.9): a buffer of the latest events (log lines) of a bounded size, which
/// the runtime API's `show events` shows and its servers receive.
/// </summary>
internal sealed record RingConfig
{
    /// <summary>HAProxy's default `size` and `maxlen`: its buffer size.</summary>
    public const int DefaultSize = 16384;

    public required string Name { get; init; }

    /// <summary>`description`: shown by `show events`; the name when not set.</summary>
    public string? Description { get; init; }

    /// <summary>`format`: the header each event gets (raw by default).</summary>
    public SyslogFormat Format { get; init; } = SyslogFormat.Raw;

    /// <summary>`maxlen`: the longest event, header included; longer ones are truncated.</summary>
    public int MaxLength { get; init; } = DefaultSize;

    /// <summary>`size`: the bytes of events kept; the oldest go first.</summary>
    public int Size { get; init; } = DefaultSize;

    /// <summary>`timeout connect`: how long a connection to a server may take; null for no limit.</summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>`timeout server`: how long events may wait to be written to a server; null for no limit.</summary>
    public TimeSpan? ServerTimeout { get; init; }

    public IReadOnlyList<RingServerConfig> Servers { get; init; } = [];
}
