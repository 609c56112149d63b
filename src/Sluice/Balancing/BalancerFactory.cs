using Sluice.Backends;
using Sluice.Config.Model;

namespace Sluice.Balancing;

internal static class BalancerFactory
{
    public static IBalancer Create(BalanceConfig balance, BackendState backend) => Create(balance, backend.Config.HashType, backend);

    public static IBalancer Create(BalanceConfig balance, HashTypeConfig hashType, BackendState backend) => balance.Algorithm switch
    {
        BalanceAlgorithm.Source when hashType.Consistent || hashType.Avalanche => new HashBalancer(backend, hashType, hashesSource: true),
        BalanceAlgorithm.Uri or BalanceAlgorithm.UrlParam or BalanceAlgorithm.Header or BalanceAlgorithm.Hash or BalanceAlgorithm.RdpCookie => new HashBalancer(backend, hashType, hashesSource: false),
        BalanceAlgorithm.RoundRobin => new FwrrBalancer(backend),
        BalanceAlgorithm.StaticRoundRobin => new StaticRoundRobinBalancer(backend),
        BalanceAlgorithm.LeastConn => new LeastConnBalancer(backend),
        BalanceAlgorithm.First => new FirstBalancer(backend),
        BalanceAlgorithm.Source => new SourceBalancer(backend),
        BalanceAlgorithm.Random => new RandomBalancer(backend, balance.RandomDraws),
        _ => throw new ArgumentOutOfRangeException(nameof(balance), balance.Algorithm, "unknown balance algorithm"),
    };

    /// <summary>
    /// Whether the algorithm follows weight changes at run time (HAProxy's BE_LB_PROP_DYN): `slowstart` ramps the
    /// weight up and `set weight` may set any weight. `static-rr` and map-based hashing keep a static table.
    /// </summary>
    public static bool HasDynamicWeights(BackendConfig backend) => backend.Balance.Algorithm switch
    {
        BalanceAlgorithm.StaticRoundRobin => false,
        BalanceAlgorithm.Source or BalanceAlgorithm.Uri or BalanceAlgorithm.UrlParam or BalanceAlgorithm.Header
            or BalanceAlgorithm.Hash or BalanceAlgorithm.RdpCookie => backend.HashType.Consistent,
        _ => true,
    };
}
