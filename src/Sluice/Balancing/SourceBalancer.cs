using System.Buffers.Binary;
using System.Net;
using Sluice.Backends;

namespace Sluice.Balancing;

/// <summary>
/// `balance source`: a hash of the client's address indexes the weighted server map (HAProxy's default
/// map-based hashing: each server appears weight times), so one address always reaches the same server while
/// the set of servers does not change. The hash is HAProxy's: the XOR of the address's 32-bit words in network
/// order. When the chosen server is full or the one to avoid, the next different server of the map is taken.
/// </summary>
internal sealed class SourceBalancer : IBalancer
{
    private readonly EligibleServers _eligible;

    public SourceBalancer(BackendState backend) => _eligible = new EligibleServers(backend);

    public ServerState? Pick(IPAddress? clientAddress, ServerState? avoid)
    {
        var snapshot = _eligible.Current;
        var servers = snapshot.Servers;
        var map = snapshot.Schedule;
        if (map.Length == 0)
        {
            return null;
        }

        var start = (int)(Hash(clientAddress) % (uint)map.Length);
        for (var step = 0; step < map.Length; step++)
        {
            var server = servers[map[(start + step) % map.Length]];
            if (server == avoid && servers.Length > 1)
            {
                continue;
            }

            if (server.TryAcquire())
            {
                return server;
            }
        }

        return null;
    }

    internal static uint Hash(IPAddress? address)
    {
        if (address is null)
        {
            return 0;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var length))
        {
            return 0;
        }

        uint hash = 0;
        for (var offset = 0; offset + 4 <= length; offset += 4)
        {
            hash ^= BinaryPrimitives.ReadUInt32BigEndian(bytes[offset..]);
        }

        return hash;
    }
}
