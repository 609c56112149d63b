using System.Net;

namespace Sluice.Config.Model;

/// <summary>A `nameserver NAME ADDR[:PORT]` line of a `resolvers` section: a DNS server asked over UDP, or over TCP with `tcp@`.</summary>
internal sealed record NameserverConfig(string Name, IPEndPoint Address, bool Tcp = false);

/// <summary>
/// A `resolvers NAME` section (configuration.txt §5.3.2): the name servers that servers with `resolvers NAME` ask
/// for their address at run time, how often, how many times, and how long an answer that is no address is
/// tolerated before the server is taken out.
/// </summary>
internal sealed record ResolversConfig
{
    public required string Name { get; init; }

    public required string Location { get; init; }

    public IReadOnlyList<NameserverConfig> Nameservers { get; init; } = [];

    /// <summary>`resolve_retries`: queries sent for one resolution before it fails.</summary>
    public int ResolveRetries { get; init; } = 3;

    /// <summary>`timeout resolve`: the time between two resolutions of a name.</summary>
    public TimeSpan Resolve { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>`timeout retry`: how long a query waits for its answer before it is sent again.</summary>
    public TimeSpan Retry { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>`hold nx`, `refused`, `timeout`, `other`: how long after its last valid answer a server keeps its address through failures.</summary>
    public TimeSpan HoldNx { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan HoldRefused { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan HoldTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan HoldOther { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>`hold valid` (read and kept: it concerns `do-resolve`, which Sluice lacks) and `hold obsolete` (how long a record no longer answered is kept).</summary>
    public TimeSpan HoldValid { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan HoldObsolete { get; init; }

    /// <summary>`accepted_payload_size`: the UDP payload size announced in each query (EDNS0).</summary>
    public int AcceptedPayloadSize { get; init; } = 512;
}
