using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Sluice.Config.Model;
using Sluice.Tls;

namespace Sluice.Benchmarks.Tls;

/// <summary>
/// The SNI lookup of a bind line with 10, 1,000 and 3,000 certificates: an exact name, a name under a wildcard,
/// and an unknown name (the default). Its cost must not grow with the count.
/// </summary>
[MemoryDiagnoser]
public class SniSelectBenchmark
{
    private CertificateStore _store = null!;
    private string _exact = null!;
    private string _wildcard = null!;

    [Params(10, 1000, 3000)]
    public int Certificates { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // The store looks at names only: every entry shares one certificate here.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var certificate = new CertificateRequest("CN=bench", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var loaded = new LoadedCertificate(certificate, [], "bench.pem");
        var policy = TlsEntryPolicy.Create(new TlsSettings(), TlsVersions.Tls12 | TlsVersions.Tls13, null, _ => { }, _ => { })!;
        _store = new CertificateStore(strictSni: false);
        var none = new HashSet<string>();
        for (var i = 0; i < Certificates; i++)
        {
            _store.Add(new CertificateEntry(loaded, [$"site{i}.bench.test", $"*.site{i}.bench.test"], none, policy));
        }

        _exact = $"site{Certificates / 2}.bench.test";
        _wildcard = $"www.site{Certificates - 1}.bench.test";
    }

    [Benchmark(Baseline = true)]
    public bool Exact() => _store.Select(_exact) is not null;

    [Benchmark]
    public bool Wildcard() => _store.Select(_wildcard) is not null;

    [Benchmark]
    public bool Unknown() => _store.Select("unknown.example.org") is not null;
}
