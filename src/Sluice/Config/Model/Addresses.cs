using System.Net;

namespace Sluice.Config.Model;

/// <summary>Where a listener listens: one entry of a bind line's comma-separated address list.</summary>
internal abstract record BindAddress
{
    /// <summary>The address as the user wrote it, for messages and logs.</summary>
    public required string Text { get; init; }
}

/// <summary>An IPv4 or IPv6 address with a port range (`:80`, `[::]:8000-8010`, `ipv4@0.0.0.0:80`).</summary>
internal sealed record InetBindAddress : BindAddress
{
    public required IPAddress Address { get; init; }
    public required int FirstPort { get; init; }
    public required int LastPort { get; init; }
}

/// <summary>A filesystem unix stream socket (`unix@/path` or `/path`).</summary>
internal sealed record UnixBindAddress : BindAddress
{
    public required string Path { get; init; }
}

/// <summary>A Linux abstract-namespace unix socket (`abns@name`).</summary>
internal sealed record AbstractBindAddress : BindAddress
{
    public required string Name { get; init; }
}

/// <summary>A listening socket inherited from the parent process (`fd@N`).</summary>
internal sealed record FdBindAddress : BindAddress
{
    public required int Fd { get; init; }
}

/// <summary>Where a server is reached.</summary>
internal abstract record ServerAddress
{
    public required string Text { get; init; }
}

/// <summary>
/// An IP endpoint. <see cref="Port"/> is absolute unless <see cref="PortIsOffset"/> (`+N`/`-N`), and
/// 0 without offset means "the port the client connected to", as in HAProxy.
/// </summary>
internal sealed record InetServerAddress : ServerAddress
{
    public required IPAddress Address { get; init; }
    public required int Port { get; init; }
    public bool PortIsOffset { get; init; }
    /// <summary>The host name the address was resolved from (`show servers state`'s srv_fqdn); null for an IP literal.</summary>
    public string? Fqdn { get; init; }
}

/// <summary>A unix stream socket on the filesystem.</summary>
internal sealed record UnixServerAddress : ServerAddress
{
    public required string Path { get; init; }
}

/// <summary>A Linux abstract-namespace unix socket.</summary>
internal sealed record AbstractServerAddress : ServerAddress
{
    public required string Name { get; init; }
}

/// <summary>What `usesrc` makes the source of a connection to a server.</summary>
internal enum UseSource
{
    /// <summary>No `usesrc`: the `source` address (and port range) itself.</summary>
    None = 0,
    /// <summary>`usesrc ADDR[:PORT]`: that address, which the host need not own.</summary>
    Address = 1,
    /// <summary>`usesrc client`: the client's address and port.</summary>
    Client = 2,
    /// <summary>`usesrc clientip`: the client's address, any port.</summary>
    ClientIp = 3,
}

/// <summary>
/// `source ADDR[:PORT[-PORT]] [usesrc ADDR[:PORT]|client|clientip] [interface NAME]` on a server, backend or
/// defaults section.
/// </summary>
internal sealed record SourceConfig
{
    public required string Text { get; init; }
    public required IPAddress Address { get; init; }
    public int FirstPort { get; init; }
    public int LastPort { get; init; }
    /// <summary>`usesrc`: the connection is bound transparently (IP_TRANSPARENT) to another source.</summary>
    public UseSource UseSource { get; init; }
    /// <summary>The address of `usesrc ADDR[:PORT]`; null otherwise.</summary>
    public IPEndPoint? UseSourceAddress { get; init; }
    /// <summary>`interface NAME`: connections leave through that interface (SO_BINDTODEVICE).</summary>
    public string? Interface { get; init; }
}
