using System.Globalization;
using Sluice.Integration.Fixtures;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Http2;

/// <summary>
/// RELIABILITY.md §7.3 H2-24: the h2spec cases (<see cref="H2SpecCases"/>) against Sluice in proxy mode, each over
/// cleartext HTTP/2 with prior knowledge and over TLS with ALPN h2, in front of an HTTP/1.1 server.
/// </summary>
public sealed class H2_24_H2SpecTests : IClassFixture<H2_24_H2SpecTests.ProxyUnderTest>
{
    private readonly ProxyUnderTest _proxy;

    public H2_24_H2SpecTests(ProxyUnderTest proxy) => _proxy = proxy;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var (id, _) in H2SpecCases.All)
        {
            data.Add(id, "h2c");
            data.Add(id, "tls");
        }

        return data;
    }

    [Fact]
    public void CaseIds_AreUniqueAndCoverEverySection()
    {
        var ids = H2SpecCases.All.Select(c => c.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        string[] sections =
        [
            "generic/1/", "generic/2/", "generic/3.1/", "generic/3.2/", "generic/3.3/", "generic/3.4/", "generic/3.5/", "generic/3.7/",
            "generic/3.8/", "generic/3.9/", "generic/3.10/", "generic/4/", "generic/5/", "http2/3.5/", "http2/4.1/", "http2/4.2/",
            "http2/4.3/", "http2/5.1/", "http2/5.1.1/", "http2/5.1.2/", "http2/5.3.1/", "http2/5.4.1/", "http2/5.5/", "http2/6.1/",
            "http2/6.2/", "http2/6.3/", "http2/6.4/", "http2/6.5/", "http2/6.5.2/", "http2/6.5.3/", "http2/6.7/", "http2/6.8/",
            "http2/6.9/", "http2/6.9.1/", "http2/6.9.2/", "http2/6.10/", "http2/7/", "http2/8.1/", "http2/8.1.2/", "http2/8.1.2.1/",
            "http2/8.1.2.2/", "http2/8.1.2.3/", "http2/8.1.2.6/", "http2/8.2/", "hpack/2.3.3/", "hpack/4.2/", "hpack/5.2/",
            "hpack/6.1/", "hpack/6.3/",
        ];
        Assert.All(sections, s => Assert.Contains(ids, id => id.StartsWith(s, StringComparison.Ordinal)));
        Assert.True(ids.Count >= 147, ids.Count.ToString(CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task H2Spec_Case_Passes(string id, string transport)
    {
        var run = H2SpecCases.All.Single(c => c.Id == id).Run;
        using var connection = transport == "tls"
            ? await H2SpecConnection.OpenAsync(_proxy.TlsPort, _proxy.Ca)
            : await H2SpecConnection.OpenAsync(_proxy.Port, trustedCa: null);
        await run(connection);
    }

    /// <summary>One Sluice for every case, as h2spec runs against one server: a cleartext bind and a TLS bind.</summary>
    public sealed class ProxyUnderTest : IAsyncLifetime
    {
        private readonly TestCertificates _certificates = new();
        private RecordingBackend? _backend;
        private ISluiceInstance? _sluice;

        public int Port { get; } = Ports.FreeListeningPort();

        public int TlsPort { get; } = Ports.FreeListeningPort();

        public System.Security.Cryptography.X509Certificates.X509Certificate2 Ca => _certificates.Ca;

        public async Task InitializeAsync()
        {
            _backend = RecordingBackend.Start(r => CannedResponse.Ok("h2spec answer body", forHead: r.Method == "HEAD"));
            var site = _certificates.Server("site.pem", "localhost");
            var config = Proxy.Config(Port, $"server s1 {_backend.Address}",
                frontend: "    bind 127.0.0.1:" + TlsPort.ToString(CultureInfo.InvariantCulture) + $" ssl crt {site} alpn h2,http/1.1");
            _sluice = await Proxy.StartAsync(config, Port);
        }

        public async Task DisposeAsync()
        {
            if (_sluice is not null)
            {
                await _sluice.DisposeAsync();
            }

            if (_backend is not null)
            {
                await _backend.DisposeAsync();
            }

            _certificates.Dispose();
        }
    }
}
