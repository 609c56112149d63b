namespace Sluice.Config.Model;

/// <summary>The `balance` algorithms Sluice implements.</summary>
internal enum BalanceAlgorithm
{
    RoundRobin = 0,
    StaticRoundRobin = 1,
    LeastConn = 2,
    First = 3,
    Source = 4,
    Random = 5,
}

/// <summary>`balance ALGO [ARGS]` after parsing; <see cref="RandomDraws"/> is `random(N)`.</summary>
internal sealed record BalanceConfig(BalanceAlgorithm Algorithm, int RandomDraws = 2)
{
    public static readonly BalanceConfig Default = new(BalanceAlgorithm.RoundRobin);
}
