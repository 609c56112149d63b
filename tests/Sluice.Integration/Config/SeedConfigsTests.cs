using Sluice.TestKit.Processes;

namespace Sluice.Integration.Config;

/// <summary>
/// Every configuration shown in the users' seed documents (addresses restored where the documents lost
/// them) either loads in Sluice or fails only because of keywords Sluice does not support yet, and Sluice
/// never accepts what HAProxy refuses. The exact output is pinned in golden files so that each feature
/// that lands shows up as a reviewed change of these files.
/// </summary>
public sealed class SeedConfigsTests : IClassFixture<SeedConfigsTests.CertificateDirectory>
{
    private readonly CertificateDirectory _certificates;

    public SeedConfigsTests(CertificateDirectory certificates)
    {
        _certificates = certificates;
    }

    public static IEnumerable<object[]> Cases => GoldenFiles.Cases("Seeds");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Check_SeedConfig_AgreesWithHAProxy(string name)
    {
        var dir = _certificates.Prepare(name + ".cfg");
        var haproxy = await CommandRunner.RunAsync(CommandRunner.Require("haproxy", "haproxy"), ["-c", "-f", name + ".cfg"], dir);
        var sluice = await SluiceBinary.RunAsync(["-c", "-f", name + ".cfg"], dir);

        var alerts = sluice.StandardError.Split('\n').Where(l => l.StartsWith("[ALERT]", StringComparison.Ordinal)).ToList();
        if (haproxy.ExitCode != 0)
        {
            Assert.True(sluice.ExitCode != 0, $"HAProxy refuses {name}.cfg but Sluice accepts it:\n{haproxy.StandardError}");
        }
        else if (sluice.ExitCode != 0)
        {
            var unexpected = alerts.Where(a => !a.Contains("not supported yet", StringComparison.Ordinal)
                && !a.StartsWith("[ALERT] config : Error(s) found", StringComparison.Ordinal)
                && !a.StartsWith("[ALERT] config : Fatal errors", StringComparison.Ordinal)).ToList();
            Assert.True(unexpected.Count == 0, $"HAProxy accepts {name}.cfg; Sluice may only refuse what it does not support yet:\n{string.Join('\n', unexpected)}");
        }

        GoldenFiles.AssertMatches("Seeds", name + ".expected", $"exit {sluice.ExitCode}\n{sluice.StandardOutput}{sluice.StandardError}");
    }

    /// <summary>A working directory with the seed configurations and the certificate files they name.</summary>
    public sealed class CertificateDirectory : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("sluice-seeds-").FullName;

        public CertificateDirectory()
        {
            var certs = Path.Combine(_dir, "certs");
            Directory.CreateDirectory(certs);
            var openssl = CommandRunner.Require("openssl", "openssl");
            var result = CommandRunner.RunAsync(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "3650", "-keyout", "key.pem", "-out", "ca.crt"], certs).GetAwaiter().GetResult();
            Assert.True(result.ExitCode == 0, result.StandardError);
            File.WriteAllText(Path.Combine(certs, "site.pem"), File.ReadAllText(Path.Combine(certs, "ca.crt")) + File.ReadAllText(Path.Combine(certs, "key.pem")));
        }

        public string Prepare(string file)
        {
            File.Copy(Path.Combine(GoldenFiles.ConfigsDirectory, "Seeds", file), Path.Combine(_dir, file), overwrite: true);
            return _dir;
        }

        public void Dispose() => Directory.Delete(_dir, recursive: true);
    }
}
