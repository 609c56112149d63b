namespace Sluice.Config.Model;

/// <summary>One listening address of a frontend, with the options of its bind line.</summary>
internal sealed record BindConfig
{
    /// <summary>The bind line's location, for run-time messages.</summary>
    public required string Location { get; init; }
    public required BindAddress Address { get; init; }
    public string? Name { get; init; }
    public int? MaxConn { get; init; }
    public int? Backlog { get; init; }
    public bool V4V6 { get; init; }
    public bool V6Only { get; init; }
    /// <summary>Permissions of a unix socket (`mode 660`), octal as written.</summary>
    public int? UnixMode { get; init; }
    public string? UnixUser { get; init; }
    public string? UnixGroup { get; init; }
    /// <summary>`proto NAME`: the multiplexer forced on this bind, or null to choose per connection.</summary>
    public string? Proto { get; init; }
    /// <summary>`accept-proxy`: every connection begins with a PROXY header (v1 or v2), whose addresses stand for the client's.</summary>
    public bool AcceptProxy { get; init; }
    /// <summary>`interface NAME`: accept only connections that arrive on this network interface (SO_BINDTODEVICE).</summary>
    public string? Interface { get; init; }
    /// <summary>`transparent`: bind to an address this host does not own (IP_TRANSPARENT), for traffic routed here.</summary>
    public bool Transparent { get; init; }
    /// <summary>`namespace NAME`: the socket is made in the network namespace /var/run/netns/NAME.</summary>
    public string? Namespace { get; init; }
    /// <summary>`tfo`: TCP Fast Open, with a queue as long as the backlog.</summary>
    public bool FastOpen { get; init; }
    /// <summary>`defer-accept`: wake up on a connection only once it brings data (TCP_DEFER_ACCEPT).</summary>
    public bool DeferAccept { get; init; }
    /// <summary>`mss N`: the MSS advertised to clients; negative to lower the client's by that much.</summary>
    public int? Mss { get; init; }
    /// <summary>`shards N`: listening sockets per address (SO_REUSEPORT); <see cref="ShardsByThread"/> for `by-thread`; null when not set.</summary>
    public int? Shards { get; init; }
    public const int ShardsByThread = -1;
    /// <summary>`thread SET` (repeatable): the threads, from 1, allowed to accept for this bind, one bit each; 0 when not set (all).</summary>
    public ulong Threads { get; init; }
    /// <summary>`ssl` and its options, loaded: null for a cleartext bind.</summary>
    public Sluice.Tls.TlsTerminator? Tls { get; init; }
}
