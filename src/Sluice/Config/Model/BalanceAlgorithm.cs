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
    /// <summary>`uri`: a hash of the request's URI (or part of it).</summary>
    Uri = 6,
    /// <summary>`url_param NAME`: a hash of a query string parameter; round robin without it.</summary>
    UrlParam = 7,
    /// <summary>`hdr(NAME)`: a hash of a header's value; round robin without it.</summary>
    Header = 8,
    /// <summary>`hash EXPR`: a hash of a sample expression's value; round robin without it.</summary>
    Hash = 9,
    /// <summary>`rdp-cookie[(NAME)]`: a hash of an RDP connection request's cookie (`mstshash`); round robin without it.</summary>
    RdpCookie = 10,
}

/// <summary>
/// `balance ALGO [ARGS]` after parsing; <see cref="RandomDraws"/> is `random(N)`; the other fields are the options
/// of the hash-based algorithms.
/// </summary>
internal sealed record BalanceConfig(BalanceAlgorithm Algorithm, int RandomDraws = 2)
{
    public static readonly BalanceConfig Default = new(BalanceAlgorithm.RoundRobin);

    /// <summary>`uri len N`: only the first N characters are hashed; 0 for all.</summary>
    public int UriLength { get; init; }

    /// <summary>`uri depth N`: only the first N directories are hashed; 0 for all.</summary>
    public int UriDepth { get; init; }

    /// <summary>`uri whole`: the query string is hashed too.</summary>
    public bool UriWhole { get; init; }

    /// <summary>`uri path-only`: the scheme and authority of an absolute URI are left out.</summary>
    public bool UriPathOnly { get; init; }

    /// <summary>The parameter of `url_param`, the header of `hdr()` or the cookie of `rdp-cookie()`.</summary>
    public string? Name { get; init; }

    /// <summary><see cref="Name"/> encoded once (a header name in lower case).</summary>
    public byte[] NameBytes { get; init; } = [];

    /// <summary>`hdr(NAME) use_domain_only`: only the main domain label of the value is hashed.</summary>
    public bool UseDomainOnly { get; init; }
    /// <summary>`url_param NAME check_post`: a POST without NAME in its query string is hashed on NAME in its body.</summary>
    public bool CheckPost { get; init; }

    /// <summary>The expression of `balance hash`.</summary>
    public Sluice.Rules.Samples.SampleExpression? Expression { get; init; }

    /// <summary>True for the algorithms whose server follows from the request (HAProxy's BE_LB_KIND_HI).</summary>
    public bool IsHashBased => Algorithm is BalanceAlgorithm.Source or BalanceAlgorithm.Uri or BalanceAlgorithm.UrlParam
        or BalanceAlgorithm.Header or BalanceAlgorithm.Hash or BalanceAlgorithm.RdpCookie;
}

/// <summary>The hash function of `hash-type`.</summary>
internal enum HashFunction
{
    Sdbm = 0,
    Djb2 = 1,
    Wt6 = 2,
    Crc32 = 3,
}

/// <summary>`hash-type map-based|consistent [sdbm|djb2|wt6|crc32] [avalanche]`.</summary>
internal sealed record HashTypeConfig(bool Consistent, HashFunction Function, bool Avalanche)
{
    public static readonly HashTypeConfig Default = new(false, HashFunction.Sdbm, false);
}
