using System.Net;
using Sluice.Backends;
using Sluice.Config.Model;

namespace Sluice.Balancing;

/// <summary>A balancer that can place a request by a hash of its key (the request's URI, a parameter, a header...).</summary>
internal interface IHashBalancer
{
    /// <summary>The server for <paramref name="hash"/>, slot taken; when it is full or the one to avoid, the next one along the map or ring.</summary>
    ServerState? PickByHash(uint hash, ServerState? avoid);
}

/// <summary>
/// The hash-based algorithms (`uri`, `url_param`, `hdr()`, `hash`, and `source` with `hash-type consistent`).
/// Map-based (HAProxy's default): the hash indexes the weighted server map, so any change of the servers moves most
/// keys. Consistent: each server owns weight × 16 points on a 32-bit ring, placed by the avalanche hash of its id
/// alone, and a key goes to the nearest point; a server that leaves or comes back moves only its own share of keys.
/// A request without a key (no such header or parameter) walks the weighted map round robin, as HAProxy's
/// map_get_server_rr, or along the ring with `hash-type consistent` (chash_get_next_server).
/// </summary>
/// <remarks>
/// The map and the ring are rebuilt when the eligible servers change (rare, allocates); a pick reads the current
/// ones without a lock and allocates nothing. A server at its `maxconn` passes the request to the next server along
/// the ring, rather than keeping it in the server's queue; with `hash-balance-factor`, so does a server above its
/// bounded share of the load.
/// </remarks>
internal sealed class HashBalancer : IBalancer, IHashBalancer
{
    /// <summary>HAProxy's BE_WEIGHT_SCALE: points per unit of weight on the ring.</summary>
    internal const int PointsPerWeight = 16;

    private readonly BackendState _backend;
    private readonly EligibleServers _eligible;
    private readonly StaticRoundRobinBalancer _fallback;
    private readonly HashTypeConfig _hashType;
    private readonly bool _hashesSource;
    private readonly Lock _walkLock = new();
    private Ring? _ring;
    // The key of the point the last keyless request took (HAProxy's chash.last); null before the first.
    private uint? _lastKey;

    public HashBalancer(BackendState backend, HashTypeConfig hashType, bool hashesSource)
    {
        _backend = backend;
        _eligible = new EligibleServers(backend);
        _fallback = new StaticRoundRobinBalancer(backend);
        _hashType = hashType;
        _hashesSource = hashesSource;
    }

    /// <summary>
    /// `source`: the client's address is the key. The other algorithms come here only without a key: round robin,
    /// along the map (HAProxy's map_get_server_rr) or, with `hash-type consistent`, along the ring.
    /// </summary>
    public ServerState? Pick(IPAddress? clientAddress, ServerState? avoid)
    {
        if (!_hashesSource)
        {
            return _hashType.Consistent ? NextOnRing(avoid) : _fallback.Pick(clientAddress, avoid);
        }

        var hash = SourceBalancer.Hash(clientAddress);
        return PickByHash(_hashType.Avalanche ? HashFunctions.Avalanche(hash) : hash, avoid);
    }

    public ServerState? PickByHash(uint hash, ServerState? avoid)
    {
        var snapshot = _eligible.Current;

        // On the ring haproxy 2.6 looks up the key's hash through the avalanche function, `avalanche` or not
        // (applied once either way, as observed against it).
        return _hashType.Consistent
            ? PickOnRing(snapshot, _hashType.Avalanche ? hash : HashFunctions.Avalanche(hash), avoid)
            : PickOnMap(snapshot, hash, avoid);
    }

    private static ServerState? PickOnMap(EligibleServers.Snapshot snapshot, uint hash, ServerState? avoid)
    {
        var servers = snapshot.Servers;
        var map = snapshot.Schedule;
        if (map.Length == 0)
        {
            return null;
        }

        var start = (int)(hash % (uint)map.Length);
        for (var step = 0; step < map.Length; step++)
        {
            var server = servers[map[(start + step) % map.Length]];
            if ((server != avoid || servers.Length == 1) && server.TryAcquire())
            {
                return server;
            }
        }

        return null;
    }

    /// <summary>
    /// HAProxy's chash_get_next_server: the point after the one the last keyless request took, walking on past
    /// servers at their `maxconn` and the one to avoid (taken only when nothing else is free). The place is kept as
    /// the point's key, so a ring rebuilt after a state change goes on from there.
    /// </summary>
    private ServerState? NextOnRing(ServerState? avoid)
    {
        lock (_walkLock)
        {
            var snapshot = _eligible.Current;
            var ring = CurrentRing(snapshot);
            var keys = ring.Keys;
            if (keys.Length == 0)
            {
                return null;
            }

            var index = _lastKey is { } last ? ring.After(last) : 0;
            ServerState? avoided = null;
            for (var step = 0; step < keys.Length; step++, index = (index + 1) % keys.Length)
            {
                var server = snapshot.Servers[ring.Owners[index]];
                _lastKey = keys[index];
                if (!server.HasFreeSlot)
                {
                    continue;
                }

                if (server == avoid)
                {
                    avoided = server;
                    continue;
                }

                if (server.TryAcquire())
                {
                    return server;
                }
            }

            return avoided is not null && avoided.TryAcquire() ? avoided : null;
        }
    }

    private Ring CurrentRing(EligibleServers.Snapshot snapshot)
    {
        var ring = Volatile.Read(ref _ring);
        if (ring is null || ring.Snapshot != snapshot)
        {
            ring = Ring.Build(snapshot);
            Volatile.Write(ref _ring, ring);
        }

        return ring;
    }

    private ServerState? PickOnRing(EligibleServers.Snapshot snapshot, uint hash, ServerState? avoid)
    {
        var ring = CurrentRing(snapshot);

        var keys = ring.Keys;
        if (keys.Length == 0)
        {
            return null;
        }

        var servers = snapshot.Servers;
        var start = ring.Nearest(hash);
        var factor = _backend.Config.HashBalanceFactor;
        var served = factor > 0 ? _backend.CurrentConnections : 0;
        for (var step = 0; step < keys.Length; step++)
        {
            var owner = ring.Owners[(start + step) % keys.Length];
            var server = servers[owner];
            if ((server != avoid || servers.Length == 1) && (factor == 0 || HasBoundedRoom(ring, owner, served, factor)) && server.TryAcquire())
            {
                return server;
            }
        }

        return null;
    }

    /// <summary>
    /// `hash-balance-factor`: whether the server serves fewer requests than its share of the bound, HAProxy's
    /// bounded-load rule: the backend's requests plus this one, times the factor in percent (rounded up), shared
    /// out by weight (each server a whole number per unit of weight, the rest by where its weight falls in the
    /// servers' cumulated weights), at least one each.
    /// </summary>
    private static bool HasBoundedRoom(Ring ring, int owner, int served, int factor)
    {
        var totalSlots = (((long)served + 1) * factor + 99) / 100;
        var totalWeight = ring.TotalWeight;
        var weight = ring.Snapshot.Servers[owner].Weight * (long)PointsPerWeight;
        var before = ring.WeightBefore[owner];
        var remainder = totalSlots % totalWeight;
        var slots = (weight * (totalSlots / totalWeight)) + ((before + weight) * remainder / totalWeight) - (before * remainder / totalWeight);
        return ring.Snapshot.Servers[owner].CurrentConnections < Math.Max(1, slots);
    }

    /// <summary>The points of the eligible servers on the ring, sorted: <see cref="Owners"/>[i] owns <see cref="Keys"/>[i].</summary>
    internal sealed class Ring
    {
        private Ring(EligibleServers.Snapshot snapshot, uint[] keys, int[] owners, long[] weightBefore, long totalWeight)
        {
            Snapshot = snapshot;
            Keys = keys;
            Owners = owners;
            WeightBefore = weightBefore;
            TotalWeight = totalWeight;
        }

        public EligibleServers.Snapshot Snapshot { get; }

        public uint[] Keys { get; }

        public int[] Owners { get; }

        /// <summary>The scaled weights of the servers before each one, in the snapshot's order (for the bounded load).</summary>
        public long[] WeightBefore { get; }

        /// <summary>The servers' weights, scaled as their points are.</summary>
        public long TotalWeight { get; }

        /// <summary>The first point whose key is above <paramref name="key"/>, round the ring.</summary>
        public int After(uint key)
        {
            var index = Array.BinarySearch(Keys, key);
            index = index >= 0 ? index + 1 : ~index;
            while (index < Keys.Length && Keys[index] == key)
            {
                index++;
            }

            return index % Keys.Length;
        }

        /// <summary>HAProxy's chash lookup: the first point at or after the hash, or the one before when that is nearer.</summary>
        public int Nearest(uint hash)
        {
            var index = Array.BinarySearch(Keys, hash);
            if (index >= 0)
            {
                return index;
            }

            var next = ~index % Keys.Length;
            var previous = (next - 1 + Keys.Length) % Keys.Length;
            var toPrevious = unchecked(hash - Keys[previous]);
            var toNext = unchecked(Keys[next] - hash);
            return toPrevious <= toNext ? previous : next;
        }

        // Allocates: once per change of the eligible servers.
        public static Ring Build(EligibleServers.Snapshot snapshot)
        {
            var servers = snapshot.Servers;
            var total = 0;
            foreach (var server in servers)
            {
                total += server.Weight * PointsPerWeight;
            }

            var keys = new uint[total];
            var owners = new int[total];
            var weightBefore = new long[servers.Length];
            var n = 0;
            for (var i = 0; i < servers.Length; i++)
            {
                weightBefore[i] = n;
                var points = servers[i].Weight * PointsPerWeight;
                for (var point = 0; point < points; point++)
                {
                    // HAProxy places node `point` of server `id` at full_hash(id * SRV_EWGHT_RANGE + point).
                    keys[n] = HashFunctions.Avalanche((uint)((servers[i].Config.Id * 4096) + point));
                    owners[n] = i;
                    n++;
                }
            }

            Array.Sort(keys, owners);
            return new Ring(snapshot, keys, owners, weightBefore, total);
        }
    }
}
