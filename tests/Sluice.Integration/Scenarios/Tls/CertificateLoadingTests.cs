using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// Certificate files as OpenSSL writes them, checked at start-up from their DER (the key is imported at the first
/// handshake): a key that is not the certificate's, or no key, is refused with haproxy's own words; every key form
/// OpenSSL writes loads and serves; the chain after the certificate is sent with it.
/// </summary>
public sealed partial class CertificateLoadingTests : IDisposable
{
    private readonly string _directory = Ports.TempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A certificate and key pair made by openssl: `ec` (P-256) or `rsa`; returns the certificate and key PEM files.</summary>
    private async Task<(string Certificate, string Key)> OpenSslPairAsync(string name, string kind)
    {
        var key = Path.Combine(_directory, name + ".key.pem");
        var certificate = Path.Combine(_directory, name + ".crt.pem");
        string[] algorithm = kind == "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] : ["-newkey", "rsa:2048"];
        var result = await CommandRunner.RunAsync(TlsPeers.OpenSsl, ["req", "-x509", .. algorithm, "-nodes", "-days", "30", "-subj", $"/CN={name}.test", "-keyout", key, "-out", certificate]);
        Assert.True(result.ExitCode == 0, result.StandardError);
        return (certificate, key);
    }

    private string Write(string name, params string[] parts)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, string.Concat(parts.Select(File.ReadAllText)));
        return path;
    }

    private string ConfigFile(string crt, int port)
    {
        var path = Path.Combine(_directory, "check.cfg");
        File.WriteAllText(path, $"""
            defaults
                mode http
                timeout connect 2s
                timeout client 2s
                timeout server 2s
            frontend fe
                bind 127.0.0.1:{port} ssl crt {crt}
                http-request return status 200 content-type text/plain string "ok"
            """ + "\n");
        return path;
    }

    [Theory]
    [InlineData("ec")]
    [InlineData("rsa")]
    public async Task KeyOfAnotherCertificate_RefusedAtStartAsHAProxy(string kind)
    {
        var mine = await OpenSslPairAsync("mine", kind);
        var other = await OpenSslPairAsync("other", kind);
        var crt = Write("mismatch.pem", mine.Certificate, other.Key);

        var (sluice, haproxy) = await CheckBothAsync(crt);
        Assert.Equal(1, sluice.ExitCode);
        Assert.Contains($"inconsistencies between private key and certificate loaded '{crt}'.", haproxy);
        Assert.Equal(AlertReason(haproxy), AlertReason(sluice.StandardError));
    }

    [Fact]
    public async Task NoKeyInFileNorBeside_RefusedAtStartAsHAProxy()
    {
        var mine = await OpenSslPairAsync("alone", "ec");
        var crt = Write("alone.pem", mine.Certificate);

        var (sluice, haproxy) = await CheckBothAsync(crt);
        Assert.Equal(1, sluice.ExitCode);
        Assert.Contains($"No Private Key found in '{crt}.key'.", haproxy);
        Assert.Equal(AlertReason(haproxy), AlertReason(sluice.StandardError));
    }

    /// <summary>
    /// SEC1 without the public point (`openssl ec -no_public`), PKCS#1 RSA (`-traditional`), PKCS#8 and a key in
    /// FILE.key: each loads, and the first handshake that picks it (which imports the key) serves the certificate.
    /// </summary>
    [Fact]
    public async Task EveryOpenSslKeyForm_LoadsAndServesItsCertificate()
    {
        var ec = await OpenSslPairAsync("ec", "ec");
        var noPublic = Path.Combine(_directory, "ec-nopub.key.pem");
        Assert.Equal(0, (await CommandRunner.RunAsync(TlsPeers.OpenSsl, ["ec", "-in", ec.Key, "-no_public", "-out", noPublic])).ExitCode);
        var rsa = await OpenSslPairAsync("rsa", "rsa");
        var traditional = Path.Combine(_directory, "rsa-pkcs1.key.pem");
        Assert.Equal(0, (await CommandRunner.RunAsync(TlsPeers.OpenSsl, ["rsa", "-in", rsa.Key, "-traditional", "-out", traditional])).ExitCode);
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----", File.ReadAllText(traditional), StringComparison.Ordinal);
        var apart = await OpenSslPairAsync("apart", "ec");

        var certs = Path.Combine(_directory, "certs");
        Directory.CreateDirectory(certs);
        File.Move(Write("1-ec.pem", ec.Certificate, noPublic), Path.Combine(certs, "1-ec.pem"));
        File.Move(Write("2-rsa.pem", rsa.Certificate, traditional), Path.Combine(certs, "2-rsa.pem"));
        File.Move(Write("3-apart.pem", apart.Certificate), Path.Combine(certs, "3-apart.pem"));
        File.Copy(apart.Key, Path.Combine(certs, "3-apart.pem.key"));
        var pkcs8 = await OpenSslPairAsync("pkcs8", "ec");
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(pkcs8.Key), StringComparison.Ordinal);
        File.Move(Write("4-pkcs8.pem", pkcs8.Certificate, pkcs8.Key), Path.Combine(certs, "4-pkcs8.pem"));

        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(File.ReadAllText(ConfigFile(certs, port)), ReadyProbe.Tcp(port));
        foreach (var name in new[] { "ec", "rsa", "apart", "pkcs8" })
        {
            for (var attempt = 0; attempt < 2; attempt++)
            {
                var hello = await TlsPeers.SClientAsync(port, ["-servername", name + ".test"]);
                Assert.True(hello.Connected, hello.Output);
                Assert.Equal($"subject=CN = {name}.test", hello.Subject);
                var response = await TlsPeers.CurlAsync(name + ".test", port, "/", "--insecure");
                Assert.Equal("ok", response.StandardOutput);
            }
        }
    }

    /// <summary>
    /// A PEM of leaf, intermediate CA and key: both certificates are sent, so a client that trusts only the root
    /// verifies the leaf.
    /// </summary>
    [Fact]
    public async Task LeafIntermediateAndKey_BothSent_ClientTrustingTheRootVerifies()
    {
        using var certs = new TestCertificates("Sluice Test Root");
        var intermediate = certs.Intermediate("Sluice Test Intermediate");
        var crt = certs.Server("chained.pem", "chained.test", issuer: intermediate);
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync(File.ReadAllText(ConfigFile(crt, port)), ReadyProbe.Tcp(port));

        var shown = await TlsPeers.SClientAsync(port, ["-servername", "chained.test", "-showcerts", "-CAfile", certs.CaFile]);
        Assert.True(shown.Connected, shown.Output);
        Assert.Equal(2, Regex.Count(shown.Output, "-----BEGIN CERTIFICATE-----"));
        Assert.Contains(" 0 s:CN = chained.test\n   i:C = FR, O = Sluice, CN = Sluice Test Intermediate\n", shown.Output, StringComparison.Ordinal);
        Assert.Contains(" 1 s:C = FR, O = Sluice, CN = Sluice Test Intermediate\n   i:C = FR, O = Sluice, CN = Sluice Test Root\n", shown.Output, StringComparison.Ordinal);
        Assert.Contains("Verify return code: 0 (ok)", shown.Output, StringComparison.Ordinal);

        var response = await TlsPeers.CurlAsync("chained.test", port, "/", "--cacert", certs.CaFile);
        Assert.True(response.StandardOutput == "ok", response.StandardError);
    }

    /// <summary>`-c` by both programs on the same file; Sluice's result and haproxy's standard error.</summary>
    private async Task<(CommandResult Sluice, string HAProxy)> CheckBothAsync(string crt)
    {
        var config = ConfigFile(crt, Ports.FreeListeningPort());
        var haproxy = await CommandRunner.RunAsync(CommandRunner.Require("haproxy", "haproxy"), ["-c", "-f", config]);
        Assert.NotEqual(0, haproxy.ExitCode);
        var sluice = await SluiceBinary.RunAsync(["-c", "-f", config], _directory);
        return (sluice, haproxy.StandardError + haproxy.StandardOutput);
    }

    /// <summary>What an `[ALERT]` about the bind line says after `'bind ADDRESS'` (and haproxy's ` in section '...'`).</summary>
    private static string AlertReason(string output)
    {
        var match = BindAlert().Match(output);
        Assert.True(match.Success, output);
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"'bind [^']+'(?: in section '[a-z]+')? : (.+)")]
    private static partial Regex BindAlert();
}
