using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Tls;

namespace Sluice.Tests.Tls;

/// <summary>
/// The TLS keywords of bind, server and global lines (valid and invalid, HAProxy's messages), the SNI index and
/// the formatting of the connection record.
/// </summary>
public sealed class TlsKeywordsTests : IDisposable
{
    private const string Defaults = "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-tls-").FullName;

    public TlsKeywordsTests()
    {
        WriteCertificate("site.pem", "site.test", ["site.test", "*.site.test"]);
        WriteCertificate("other.pem", "other.test", ["other.test"]);
        using var ca = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var caCertificate = new CertificateRequest("CN=Test CA", ca, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(_dir, "ca.crt"), caCertificate.ExportCertificatePem());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (SluiceConfig? Config, List<string> Lines) Load(string text)
    {
        var path = Path.Combine(_dir, "t.cfg");
        File.WriteAllText(path, text);
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load([path], _ => null, diagnostics);
        return (config, diagnostics.Items.Select(d => AlertFormatter.Format(d).Replace(_dir + "/", string.Empty, StringComparison.Ordinal)).ToList());
    }

    private (SluiceConfig? Config, List<string> Lines) LoadBind(string options, string global = "") =>
        Load($"global\n{global}\n{Defaults}frontend f\n    bind 127.0.0.1:8443 {options.Replace("DIR", _dir, StringComparison.Ordinal)}\n    default_backend b\nbackend b\n    server s 127.0.0.1:80\n");

    private void WriteCertificate(string file, string cn, string[] names)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={cn}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            san.AddDnsName(name);
        }

        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(Path.Combine(_dir, file), certificate.ExportCertificatePem() + "\n" + key.ExportECPrivateKeyPem() + "\n");
    }

    [Fact]
    public void Bind_FullSet_Loaded()
    {
        var (config, lines) = LoadBind(
            "ssl crt DIR/site.pem crt DIR/other.pem alpn h2,http/1.1 ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3 no-tlsv12 ciphers ECDHE-ECDSA-AES128-GCM-SHA256 ciphersuites TLS_AES_128_GCM_SHA256 ca-file DIR/ca.crt verify optional ca-ignore-err all crt-ignore-err 10,23 strict-sni no-tls-tickets",
            "    ssl-default-bind-options ssl-min-ver TLSv1.1 no-tls-tickets\n    ssl-default-bind-ciphers ECDHE-RSA-AES128-GCM-SHA256");
        Assert.Empty(lines);
        var tls = config!.Frontends[0].Binds[0].Tls!;
        Assert.Equal(2, tls.Store.Entries.Count);
        Assert.Equal(["h2", "http/1.1"], tls.Settings.Alpn!);
        Assert.Equal(TlsVersions.Tls13, TlsVersionRange.Allowed(tls.Settings, server: false));
        Assert.Equal(TlsVerify.Optional, tls.Settings.Verify);
        Assert.True(tls.Settings.CrtIgnoreErrors.Ignores(23));
        Assert.False(tls.Settings.CrtIgnoreErrors.Ignores(20));
        Assert.True(tls.Settings.CaIgnoreErrors.Ignores(20));
        Assert.True(tls.Settings.StrictSni);
        Assert.Equal("ECDHE-ECDSA-AES128-GCM-SHA256", tls.Settings.Ciphers);
        Assert.False(tls.Store.Entries[0].Options(withoutAlpn: false).AllowTlsResume);
        Assert.Null(tls.Store.Entries[0].Options(withoutAlpn: true).ApplicationProtocols);
        Assert.NotNull(tls.Store.Entries[0].Options(withoutAlpn: false).ServerCertificateContext);
    }

    [Fact]
    public void Bind_GlobalDefaults_AppliedToLaterBinds()
    {
        var (config, lines) = LoadBind("ssl crt DIR/site.pem", "    ssl-default-bind-options force-tlsv13\n    ssl-default-bind-ciphersuites TLS_AES_256_GCM_SHA384");
        Assert.Empty(lines);
        var settings = config!.Frontends[0].Binds[0].Tls!.Settings;
        Assert.Equal(TlsVersions.Tls13, TlsVersionRange.Allowed(settings, server: false));
        Assert.Equal("TLS_AES_256_GCM_SHA384", settings.CipherSuites);
    }

    [Fact]
    public void OcspFileBesideCertificate_RefusedAsNotSupported()
    {
        File.Copy(Path.Combine(_dir, "site.pem"), Path.Combine(_dir, "stapled.pem"));
        File.WriteAllText(Path.Combine(_dir, "stapled.pem.ocsp"), "response");
        var (config, lines) = LoadBind("ssl crt DIR/stapled.pem");
        Assert.Null(config);
        Assert.Contains(lines, l => l.StartsWith("[ALERT] parsing [t.cfg:9] : 'bind 127.0.0.1:8443' : '", StringComparison.Ordinal)
            && l.EndsWith("stapled.pem.ocsp' is present: OCSP stapling is not supported yet.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ssl crt nope.pem", "[ALERT] parsing [t.cfg:9] : 'bind 127.0.0.1:8443' : unable to stat SSL certificate from file 'nope.pem' : No such file or directory.")]
    [InlineData("ssl", "[ALERT] config : Proxy 'f': no SSL certificate specified for bind '127.0.0.1:8443' at [t.cfg:9] (use 'crt').")]
    [InlineData("ssl crt DIR/site.pem verify required", "[ALERT] config : Proxy 'f': verify is enabled but no CA file specified for bind '127.0.0.1:8443' at [t.cfg:9].")]
    [InlineData("ssl crt DIR/site.pem ssl-min-ver TLSv9", "[ALERT] parsing [t.cfg:9] : 'bind 127.0.0.1:8443' : 'TLSv9' : unknown ssl/tls version")]
    [InlineData("ssl crt DIR/site.pem alpn", "[ALERT] parsing [t.cfg:9] : 'bind 127.0.0.1:8443' : 'alpn' : missing the comma-delimited ALPN protocol suite")]
    [InlineData("ssl crt-list nolist.txt", "[ALERT] parsing [t.cfg:9] : 'bind 127.0.0.1:8443' : 'crt-list' : cannot open file 'nolist.txt' : No such file or directory")]
    [InlineData("ssl crt DIR/site.pem ciphers FOO-BAR", "[ALERT] config : Proxy 'f': unable to set SSL cipher list to 'FOO-BAR' for bind '127.0.0.1:8443' at [t.cfg:9].")]
    [InlineData("ssl crt DIR/site.pem ciphers HIGH:!aNULL", "[ALERT] parsing [t.cfg:9] : 'bind 127.0.0.1:8443' : cipher list 'HIGH:!aNULL' : OpenSSL cipher-string keywords is not supported yet.")]
    [InlineData("ssl crt DIR/site.pem ciphersuites FOO", "[ALERT] config : Proxy 'f': unable to set TLS 1.3 cipher suites to 'FOO' for bind '127.0.0.1:8443' at [t.cfg:9].")]
    [InlineData("ssl crt DIR/site.pem verify maybe", "[ALERT] parsing [t.cfg:9] : 'bind 127.0.0.1:8443' : 'verify' : unknown verify method 'maybe', only 'none', 'optional', and 'required' are supported")]
    [InlineData("ssl crt DIR/site.pem ca-file nope.crt", "[ALERT] parsing [t.cfg:9] : 'bind 127.0.0.1:8443' : 'ca-file' : unable to load nope.crt")]
    [InlineData("ssl crt DIR/site.pem crt-ignore-err foo", "[ALERT] parsing [t.cfg:9] : 'bind 127.0.0.1:8443' : 'crt-ignore-err' : ID '0' out of range (1..94) in error IDs list 'foo'")]
    [InlineData("ssl crt DIR/site.pem no-tlsv12 no-tlsv13", "[ALERT] config : Proxy 'f': all SSL/TLS versions are disabled for bind '127.0.0.1:8443' at [t.cfg:9].")]
    [InlineData("ssl crt DIR/site.pem prefer-client-ciphers", "[ALERT] parsing [t.cfg:9] : 'bind 127.0.0.1:8443' : 'prefer-client-ciphers' is not supported yet.")]
    public void Bind_Invalid_HAProxyMessage(string options, string message)
    {
        var (config, lines) = LoadBind(options);
        Assert.Null(config);
        Assert.Contains(message, lines);
    }

    [Theory]
    [InlineData("server s 127.0.0.1:443 ssl verify none sni str(api.test) alpn http/1.1", null)]
    [InlineData("server s 127.0.0.1:443 ssl ca-file DIR/ca.crt", null)]
    [InlineData("server s 127.0.0.1:443 ssl verify none sni req.hdr(host)", null)]
    [InlineData("server s 127.0.0.1:443 ssl verify none sni nosuch(x)", "[ALERT] parsing [t.cfg:10] : 'server b/s' : error detected while parsing sni expression : unknown fetch method 'nosuch'")]
    [InlineData("server s 127.0.0.1:443 ssl verify optional", "[ALERT] parsing [t.cfg:10] : 'server b/s' : 'verify' : unknown verify method 'optional', only 'none' and 'required' are supported")]
    [InlineData("server s 127.0.0.1:443 ssl ca-file nope.crt", "[ALERT] config : [t.cfg:10] : 'server b/s' : Couldn't open the ca-file 'nope.crt' (No such file or directory).")]
    public void Server_Options(string line, string? message)
    {
        var (config, lines) = Load($"{Defaults}frontend f\n    bind 127.0.0.1:8080\n    default_backend b\nbackend b\n    {line.Replace("DIR", _dir, StringComparison.Ordinal)}\n");
        if (message is null)
        {
            Assert.Empty(lines);
            Assert.NotNull(config!.Backends[0].Servers[0].Tls);
        }
        else
        {
            Assert.Null(config);
            Assert.Contains(message, lines);
        }
    }

    [Fact]
    public void Versions_BindMaximumBelowDefaultMinimum_LoweredWithHAProxysWarning_ServerHasNoMinimum()
    {
        var (bound, bindLines) = LoadBind("ssl crt DIR/site.pem ssl-max-ver TLSv1.1");
        Assert.Equal(TlsVersions.Tls11, TlsVersionRange.Allowed(bound!.Frontends[0].Binds[0].Tls!.Settings, server: false));
        Assert.Equal(
            ["[WARNING] config : Proxy 'f': Ambiguous configuration for bind '127.0.0.1:8443' at [t.cfg:9]: the ssl-min-ver value is not configured and the ssl-max-ver value is lower than the default ssl-min-ver value (TLSv1.2). Setting the ssl-min-ver to TLSv1.1. Use 'ssl-min-ver' to fix this."],
            bindLines);

        var (served, serverLines) = Load($"{Defaults}backend b\n    server s 127.0.0.1:443 ssl verify none ssl-max-ver TLSv1.0\n    server t 127.0.0.1:443 ssl verify none\n");
        Assert.Empty(serverLines);
        Assert.Equal(TlsVersions.Tls10, TlsVersionRange.Allowed(served!.Backends[0].Servers[0].Tls!.Settings, server: true));
        Assert.Equal(TlsVersions.Tls10 | TlsVersions.Tls11 | TlsVersions.Tls12 | TlsVersions.Tls13, TlsVersionRange.Allowed(served.Backends[0].Servers[1].Tls!.Settings, server: true));

        var (refused, refusedLines) = Load($"{Defaults}backend b\n    server s 127.0.0.1:443 ssl verify none ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.1\n");
        Assert.Null(refused);
        Assert.Contains("[ALERT] config : [t.cfg:7] : 'server b/s' : all SSL/TLS versions are disabled", refusedLines);
    }

    [Fact]
    public void Server_SslServerVerifyNone_NoCaFileNeeded()
    {
        var (config, lines) = Load($"global\n    ssl-server-verify none\n{Defaults}backend b\n    server s 127.0.0.1:443 ssl\n");
        Assert.DoesNotContain(lines, l => l.StartsWith("[ALERT]", StringComparison.Ordinal));
        Assert.False(config!.Backends[0].Servers[0].Tls!.Verifies);
    }

    [Fact]
    public void Store_Select_ExactWildcardDefaultStrict()
    {
        var (config, _) = LoadBind("ssl crt DIR/other.pem crt DIR/site.pem");
        var store = config!.Frontends[0].Binds[0].Tls!.Store;
        Assert.Equal(["other.test"], store.Select("other.test")!.Names);
        Assert.Equal("site.test", store.Select("SITE.test.")!.Names[0]);
        Assert.Equal("site.test", store.Select("www.site.test")!.Names[0]);
        Assert.Equal("other.test", store.Select("a.www.site.test")!.Names[0]);
        Assert.Equal("other.test", store.Select(null)!.Names[0]);

        var strict = new CertificateStore(strictSni: true);
        foreach (var entry in store.Entries)
        {
            strict.Add(entry);
        }

        Assert.Null(strict.Select("unknown.test"));
        Assert.Null(strict.Select(null));
        Assert.NotNull(strict.Select("x.site.test"));
    }

    [Fact]
    public void ConnectionInfo_Formats()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=\"a,b\", O=\" lead\", C=FR", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(new DateTimeOffset(2024, 3, 4, 5, 6, 7, TimeSpan.Zero), new DateTimeOffset(2051, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var info = new TlsConnectionInfo(null, default, SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, certificate, 0);
        Assert.Equal("/C=FR/O= lead/CN=a,b", info.ClientSubject());
        Assert.Equal("CN=a\\,b,O=\\ lead,C=FR", info.ClientSubject(rfc2253: true));
        Assert.Equal("240304050607Z", info.ClientNotBefore);
        Assert.Equal("20510102030405Z", info.ClientNotAfter);
        Assert.Equal("TLSv1.2", info.ProtocolText);
        Assert.Equal("ECDHE-ECDSA-CHACHA20-POLY1305", info.CipherText);
        Assert.Equal(string.Empty, info.AlpnText);
        Assert.Null(info.ClientSubject("OU"));
        Assert.False(info.IsH2);
    }
}
