using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;
using Sluice.Integration.Scenarios.Tls;

namespace Sluice.Integration.Scenarios.RuntimeApi;

/// <summary>
/// Certificates changed through the runtime API (RELIABILITY TLS-14): `set ssl cert` + `commit ssl cert` under
/// load, and the answers of the certificate commands compared with those of Debian's haproxy 2.6 on the same
/// configuration and files.
/// </summary>
public sealed class SslCertCommandsTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static string Config(int port, string socket, string list) => $"""
        global
            stats socket {socket} mode 600 level admin
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        frontend fe
            bind 127.0.0.1:{port} ssl crt-list {list}
            http-request return status 200 content-type text/plain string ok
        """;

    private string List(params string[] lines)
    {
        var list = Path.Combine(_certs.Directory, "list.txt");
        File.WriteAllText(list, string.Join('\n', lines) + "\n");
        return list;
    }

    private static Task<string> CliAsync(string socket, string command, string? payload = null) =>
        StatsPeers.SocatAsync("UNIX-CONNECT:" + socket, payload is null ? command + "\n" : $"{command} <<\n{payload.TrimEnd('\n')}\n\n");

    [Fact]
    public async Task Tls14_SetAndCommitUnderLoad_NewHandshakesGetNewCertificate_ExistingConnectionsIntact()
    {
        var site = _certs.Server("site.pem", "a.test");
        var next = _certs.Server("next.pem", "next.test");
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        await using var sluice = await SluiceProcess.StartAsync(Config(port, socket, List($"{site} a.test")), [ReadyProbe.Tcp(port)]);
        Assert.Equal("subject=CN = a.test", (await TlsPeers.SClientAsync(port, ["-servername", "a.test"])).Subject);

        // One keep-alive connection spanning the change (curl paces its 16 requests over about 3 s), and new
        // handshakes in a loop beside it.
        var p = port.ToString(CultureInfo.InvariantCulture);
        var url = $"https://a.test:{p}/";
        var keptAlive = Sluice.Integration.Scenarios.Http.Http.CurlAsync(
            ["--resolve", $"a.test:{p}:127.0.0.1", "-k", "--rate", "5/s", "-w", "%{http_code}/%{num_connects} ", .. Enumerable.Repeat(url, 16)]);
        using var stop = new CancellationTokenSource();
        var handshakes = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            var results = new List<string>();
            while (!stop.IsCancellationRequested)
            {
                var result = await TlsPeers.CurlAsync("a.test", port, "/", "-k", "-o", "/dev/null", "-w", "%{http_code}");
                results.Add(result.StandardOutput);
            }

            return results;
        })).ToArray();

        await Task.Delay(600);
        Assert.Equal($"Transaction created for certificate {site}!\n\n", await CliAsync(socket, $"set ssl cert {site}", File.ReadAllText(next)));
        // Until the commit, handshakes keep the old certificate.
        Assert.Equal("subject=CN = a.test", (await TlsPeers.SClientAsync(port, ["-servername", "a.test"])).Subject);
        Assert.Equal($"Committing {site}.\nSuccess!\n\n", await CliAsync(socket, $"commit ssl cert {site}"));
        Assert.Equal("subject=CN = next.test", (await TlsPeers.SClientAsync(port, ["-servername", "a.test"])).Subject);
        Assert.Equal("subject=CN = next.test", (await TlsPeers.SClientAsync(port, ["-noservername"])).Subject);

        // Each transfer prints its body ("ok") then the status and the connections it opened.
        var kept = (await keptAlive).StandardOutput.Replace("ok", "", StringComparison.Ordinal).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        await stop.CancelAsync();
        var loops = (await Task.WhenAll(handshakes)).SelectMany(r => r).ToList();
        Assert.Equal(["200/1", .. Enumerable.Repeat("200/0", 15)], kept);
        Assert.True(loops.Count >= 4, $"only {loops.Count} handshakes ran");
        Assert.All(loops, status => Assert.Equal("200", status));
    }

    [Fact]
    public async Task Tls14_CertificateCommands_AnswerAsHAProxy()
    {
        var a = _certs.Server("a.pem", "a.test");
        var b = _certs.Server("b.pem", "b.test");
        var c = _certs.Server("c.pem", "c.test", ["c.test", "*.c.test"]);
        var list = List($"{a} a.test", $"{b}");
        var missing = Path.Combine(_certs.Directory, "missing.pem");
        var script = new (string Command, string? Payload)[]
        {
            ("show ssl cert", null),
            ($"show ssl cert {a}", null),
            ($"set ssl cert {a}", File.ReadAllText(c)),
            ("show ssl cert", null),
            ($"show ssl cert *{a}", null),
            ($"abort ssl cert {a}", null),
            ($"abort ssl cert {a}", null),
            ($"commit ssl cert {a}", null),
            ($"set ssl cert {missing}", File.ReadAllText(c)),
            ($"set ssl cert {a}", "garbage"),
            ($"new ssl cert {c}", null),
            ($"new ssl cert {c}", null),
            ($"set ssl cert {c}", File.ReadAllText(c)),
            ($"commit ssl cert {c}", null),
            ($"add ssl crt-list {list} {c}", null),
            ("show ssl crt-list", null),
            ($"show ssl crt-list -n {list}", null),
            ($"del ssl crt-list {list} {c}", null),
            ($"del ssl crt-list {list} {c}", null),
            ($"add ssl crt-list {list}", $"{c} [verify none] www.c.test"),
            ($"show ssl crt-list {list}", null),
            ($"show ssl cert {c}", null),
            ($"set ssl cert {b}", File.ReadAllText(c)),
            ($"commit ssl cert {b}", null),
            ($"show ssl cert {b}", null),
        };

        async Task<List<string>> RunAsync(string socket)
        {
            var answers = new List<string>();
            foreach (var (command, payload) in script)
            {
                answers.Add($"{command}\n{await CliAsync(socket, command, payload)}");
            }

            return answers;
        }

        var haPort = Ports.FreeListeningPort();
        var haSocket = Path.Combine(Ports.TempDirectory(), "h.sock");
        List<string> expected;
        await using (var haproxy = await HAProxyPeer.StartAsync(Config(haPort, haSocket, list), haPort))
        {
            expected = await RunAsync(haSocket);
            Assert.Equal("subject=CN = c.test", (await TlsPeers.SClientAsync(haPort, ["-servername", "www.c.test"])).Subject);
        }

        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        await using var sluice = await SluiceProcess.StartAsync(Config(port, socket, list), [ReadyProbe.Tcp(port)]);
        var actual = await RunAsync(socket);
        for (var i = 0; i < script.Length; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }

        // What the commands did: c answers for its crt-list name, b's file now holds c's certificate.
        Assert.Equal("subject=CN = c.test", (await TlsPeers.SClientAsync(port, ["-servername", "www.c.test"])).Subject);
        Assert.Equal("subject=CN = c.test", (await TlsPeers.SClientAsync(port, ["-servername", "c.test"])).Subject);
        Assert.Equal("subject=CN = a.test", (await TlsPeers.SClientAsync(port, ["-servername", "a.test"])).Subject);
    }
}
