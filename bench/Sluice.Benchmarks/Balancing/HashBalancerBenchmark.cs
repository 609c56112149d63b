using System.Net;
using BenchmarkDotNet.Attributes;
using Sluice.Backends;
using Sluice.Balancing;
using Sluice.Config.Model;

namespace Sluice.Benchmarks.Balancing;

/// <summary>
/// One pick and release by the hash-based balancers over 8 servers: the key's hash (`balance uri`, sdbm), then the
/// map-based or consistent lookup; and the whole request-side path with a backend queue check. Round robin is the
/// baseline. Each operation is <see cref="Keys"/> picks over different URIs.
/// </summary>
[MemoryDiagnoser]
public class HashBalancerBenchmark
{
    private const int Keys = 64;

    private BackendState _roundRobin = null!;
    private BackendState _mapBased = null!;
    private BackendState _consistent = null!;
    private BackendState _limited = null!;
    private byte[][] _uris = null!;
    private readonly QueueWaiter _waiter = new();

    [GlobalSetup]
    public void Setup()
    {
        _roundRobin = Build(new BalanceConfig(BalanceAlgorithm.RoundRobin), HashTypeConfig.Default, maxConn: 0);
        _mapBased = Build(new BalanceConfig(BalanceAlgorithm.Uri), HashTypeConfig.Default, maxConn: 0);
        _consistent = Build(new BalanceConfig(BalanceAlgorithm.Uri), new HashTypeConfig(true, HashFunction.Sdbm, true), maxConn: 0);
        _limited = Build(new BalanceConfig(BalanceAlgorithm.Uri), new HashTypeConfig(true, HashFunction.Sdbm, true), maxConn: 100);
        _uris = [.. Enumerable.Range(0, Keys).Select(i => System.Text.Encoding.ASCII.GetBytes($"/static/images/product-{i}.jpg?v=3"))];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Keys)]
    public int RoundRobin()
    {
        var total = 0;
        for (var i = 0; i < Keys; i++)
        {
            var server = _roundRobin.Balancer.Pick(null, null)!;
            total += server.Index;
            server.Release();
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = Keys)]
    public int UriMapBased() => PickAll(_mapBased);

    [Benchmark(OperationsPerInvoke = Keys)]
    public int UriConsistent() => PickAll(_consistent);

    /// <summary>The transaction's path: a server with `maxconn`, through <see cref="ServerAssignment"/> (no queue needed).</summary>
    [Benchmark(OperationsPerInvoke = Keys)]
    public int UriConsistentWithMaxConn()
    {
        var total = 0;
        var balance = _limited.Config.Balance;
        for (var i = 0; i < Keys; i++)
        {
            var hash = HashFunctions.Avalanche(HashFunctions.Sdbm(RequestHash.UriKey(_uris[i], balance)));
            ServerAssignment.Assign(_limited, null, null, false, _waiter, long.MaxValue, out var server, hash);
            total += server!.Index;
            server.Release();
        }

        return total;
    }

    private int PickAll(BackendState backend)
    {
        var total = 0;
        var balance = backend.Config.Balance;
        var type = backend.Config.HashType;
        var balancer = (IHashBalancer)backend.Balancer;
        for (var i = 0; i < Keys; i++)
        {
            var hash = HashFunctions.Compute(type.Function, RequestHash.UriKey(_uris[i], balance));
            if (type.Avalanche)
            {
                hash = HashFunctions.Avalanche(hash);
            }

            var server = balancer.PickByHash(hash, null)!;
            total += server.Index;
            server.Release();
        }

        return total;
    }

    private static BackendState Build(BalanceConfig balance, HashTypeConfig hashType, int maxConn) => new(new BackendConfig
    {
        Name = "be",
        Location = "bench.cfg:1",
        Id = 1,
        Balance = balance,
        HashType = hashType,
        Servers = [.. Enumerable.Range(1, 8).Select(id => new ServerConfig
        {
            Name = "s" + id,
            Location = "bench.cfg:" + id,
            Id = id,
            Address = new InetServerAddress { Text = "127.0.0.1:1", Address = IPAddress.Loopback, Port = 1 },
            Weight = id % 2 == 0 ? 2 : 1,
            MaxConn = maxConn,
        })],
    });
}
