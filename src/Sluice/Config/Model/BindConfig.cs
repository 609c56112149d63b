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
    /// <summary>`ssl` and its options, loaded: null for a cleartext bind.</summary>
    public Sluice.Tls.TlsTerminator? Tls { get; init; }
}
