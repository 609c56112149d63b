using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// A directory of 3,000 certificates on one bind line (`ssl crt DIR`): the program is ready in seconds, and SNI
/// picks each name's own certificate (exact names, a wildcard SAN), the first file of the directory otherwise.
/// </summary>
public sealed class CertificateScaleTests : IDisposable
{
    private const int Count = 3000;

    /// <summary>Generous for a loaded machine: the point is seconds, not minutes.</summary>
    private static readonly TimeSpan StartBound = TimeSpan.FromSeconds(60);

    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static string Site(int i) => "site" + i.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>Every tenth site also answers for its subdomains (`*.siteNNNN.example.test`).</summary>
    private static bool HasWildcard(int i) => i % 10 == 0;

    [Fact]
    public async Task ThreeThousandCertificatesInADirectory_ReadyInSecondsAndEachNameGetsItsOwn()
    {
        // One CA key signs them all: no process per certificate, a few seconds in all.
        Parallel.For(1, Count + 1, i =>
        {
            var name = Site(i) + ".example.test";
            _certs.Server($"sites/{Site(i)}.pem", name, HasWildcard(i) ? [name, "*." + name] : [name]);
        });
        var directory = Path.Combine(_certs.Directory, "sites");
        Assert.Equal(Count, Directory.GetFiles(directory).Length);

        var port = Ports.FreeListeningPort();
        var clock = Stopwatch.StartNew();
        await using var sluice = await SluiceProcess.StartAsync(TlsFrontTests.Config(port, $"ssl crt {directory}"), []);
        await WaitListeningAsync(sluice, port);
        // Ready means serving: the first handshake, with the last certificate of the directory.
        var last = await TlsPeers.CurlAsync("site3000.example.test", port, "/", "--cacert", _certs.CaFile);
        Assert.True(last.StandardOutput == "ok", last.StandardError);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, StartBound);

        foreach (var name in new[] { "site0001.example.test", "site1501.example.test", "site3000.example.test" })
        {
            Assert.Equal($"subject=CN = {name}", (await TlsPeers.SClientAsync(port, ["-servername", name])).Subject);
            // curl checks the name against the certificate it got.
            var served = await TlsPeers.CurlAsync(name, port, "/", "--cacert", _certs.CaFile);
            Assert.True(served.StandardOutput == "ok", name + ": " + served.StandardError);
        }

        Assert.True(HasWildcard(1500) && !HasWildcard(1501));
        Assert.Equal("subject=CN = site1500.example.test", (await TlsPeers.SClientAsync(port, ["-servername", "shop.site1500.example.test"])).Subject);
        var wildcard = await TlsPeers.CurlAsync("shop.site1500.example.test", port, "/", "--cacert", _certs.CaFile);
        Assert.True(wildcard.StandardOutput == "ok", wildcard.StandardError);

        // No certificate has these names: the default is the directory's first file.
        Assert.Equal("subject=CN = site0001.example.test", (await TlsPeers.SClientAsync(port, ["-servername", "shop.site1501.example.test"])).Subject);
        Assert.Equal("subject=CN = site0001.example.test", (await TlsPeers.SClientAsync(port, ["-servername", "unknown.example.test"])).Subject);
        Assert.Equal("subject=CN = site0001.example.test", (await TlsPeers.SClientAsync(port, ["-noservername"])).Subject);
    }

    /// <summary>Waits until the program accepts on <paramref name="port"/>, within <see cref="StartBound"/> rather than the usual wait.</summary>
    private static async Task WaitListeningAsync(SluiceProcess sluice, int port)
    {
        var deadline = DateTime.UtcNow + StartBound;
        while (true)
        {
            Assert.False(sluice.HasExited, sluice.Output.Text);
            try
            {
                using var socket = await TestClient.ConnectTcpAsync(port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
