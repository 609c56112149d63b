using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Http;
using HttpHelpers = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Tls;

/// <summary>
/// TLS termination on bind lines, against curl and openssl s_client: ALPN and the mux it selects, SNI over
/// directories and crt-lists, protocol versions, ciphers, handshake limits and failures, resumption, client
/// certificates failing above the leaf (RELIABILITY §7.4).
/// </summary>
public sealed class TlsFrontTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    /// <summary>An HTTP frontend on <paramref name="port"/> with `bind ... ssl OPTIONS`, its backend answering "ok".</summary>
    internal static string Config(int port, string bindOptions, string frontend = "", string global = "", string defaults = "")
    {
        var app = Ports.FreeListeningPort();
        return $"""
            global
                maxconn 500
            {global}
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            {defaults}
            frontend fe
                bind 127.0.0.1:{port} {bindOptions}
            {frontend}
                default_backend be
            backend be
                server app 127.0.0.1:{app}
            listen app
                bind 127.0.0.1:{app}
                http-request return status 200 content-type text/plain string "ok"
            """;
    }

    private async Task<(ISluiceInstance Sluice, int Port)> StartAsync(string bindOptions, string frontend = "", string global = "", string defaults = "")
    {
        var port = Ports.FreeListeningPort();
        var sluice = await InProcessSluice.StartAsync(Config(port, bindOptions, frontend, global, defaults), ReadyProbe.Tcp(port));
        return (sluice, port);
    }

    [Fact]
    public async Task Curl_AlpnH2OrHttp11_SelectsTheMux()
    {
        var site = _certs.Server("site.pem", "site.test");
        var (sluice, port) = await StartAsync($"ssl crt {site} alpn h2,http/1.1");
        await using var _ = sluice;

        var h2 = await TlsPeers.CurlAsync("site.test", port, "/", "--cacert", _certs.CaFile, "--http2", "-w", " %{http_version}");
        Assert.Equal("ok 2", h2.StandardOutput);
        var h1 = await TlsPeers.CurlAsync("site.test", port, "/", "--cacert", _certs.CaFile, "--http1.1", "-w", " %{http_version}");
        Assert.Equal("ok 1.1", h1.StandardOutput);

        await sluice.Output.WaitForAsync(l => l.Contains("[fe]", StringComparison.Ordinal) && l.Contains("HTTP/2.0", StringComparison.Ordinal));
        await sluice.Output.WaitForAsync(l => l.Contains("[fe]", StringComparison.Ordinal) && l.Contains("\"GET / HTTP/1.1\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tls03_SniOverDirectory_ExactWildcardThenDefault()
    {
        _certs.Server("certs/0-default.pem", "default.test");
        _certs.Server("certs/a.pem", "a.test", rsa: true);
        _certs.Server("certs/b.pem", "b.test", ["*.b.test"], keyApart: true);
        File.WriteAllText(Path.Combine(_certs.Directory, "certs", "b.pem.issuer"), "not a certificate: skipped as HAProxy does");
        var (sluice, port) = await StartAsync($"ssl crt {_certs.Directory}/certs");
        await using var _ = sluice;

        Assert.Equal("subject=CN = a.test", (await TlsPeers.SClientAsync(port, ["-servername", "a.test"])).Subject);
        Assert.Equal("subject=CN = a.test", (await TlsPeers.SClientAsync(port, ["-servername", "A.TEST"])).Subject);
        Assert.Equal("subject=CN = b.test", (await TlsPeers.SClientAsync(port, ["-servername", "x.b.test"])).Subject);
        // A wildcard covers one label only (RFC 6125 §6.4.3).
        Assert.Equal("subject=CN = default.test", (await TlsPeers.SClientAsync(port, ["-servername", "y.x.b.test"])).Subject);
        Assert.Equal("subject=CN = default.test", (await TlsPeers.SClientAsync(port, ["-servername", "unknown.test"])).Subject);
        Assert.Equal("subject=CN = default.test", (await TlsPeers.SClientAsync(port, ["-noservername"])).Subject);
    }

    [Fact]
    public async Task Tls03_StrictSni_UnknownOrMissingNameRefused()
    {
        var site = _certs.Server("a.pem", "a.test");
        var (sluice, port) = await StartAsync($"ssl crt {site} strict-sni");
        await using var _ = sluice;

        Assert.True((await TlsPeers.SClientAsync(port, ["-servername", "a.test"])).Connected);
        Assert.False((await TlsPeers.SClientAsync(port, ["-servername", "b.test"])).Connected);
        Assert.False((await TlsPeers.SClientAsync(port, ["-noservername"])).Connected);
        // The two refusals; the readiness probe, which sent nothing, is "Connection closed during SSL handshake".
        await sluice.Output.WaitForAsync(l => l.EndsWith(": SSL handshake failure", StringComparison.Ordinal), 2);
    }

    [Fact]
    public async Task SClient_CrtList_FiltersReplaceNamesAndExclusionsFallBack()
    {
        var first = _certs.Server("first.pem", "first.test");
        var api = _certs.Server("api.pem", "api.test", ["api.test"]);
        var wild = _certs.Server("wild.pem", "wild.test", ["*.shop.test"]);
        var list = Path.Combine(_certs.Directory, "list.txt");
        File.WriteAllText(list, $"# comment\n{first}\n\n{api} [] www.api.test\n{wild} !admin.shop.test\n");
        var (sluice, port) = await StartAsync($"ssl crt-list {list}");
        await using var _ = sluice;

        Assert.Equal("subject=CN = api.test", (await TlsPeers.SClientAsync(port, ["-servername", "www.api.test"])).Subject);
        // The filter replaced the certificate's own name.
        Assert.Equal("subject=CN = first.test", (await TlsPeers.SClientAsync(port, ["-servername", "api.test"])).Subject);
        Assert.Equal("subject=CN = wild.test", (await TlsPeers.SClientAsync(port, ["-servername", "cart.shop.test"])).Subject);
        Assert.Equal("subject=CN = first.test", (await TlsPeers.SClientAsync(port, ["-servername", "admin.shop.test"])).Subject);
    }

    [Fact]
    public async Task CrtBaseAndCaBase_RelativePathsOnLinesAndInCrtLists()
    {
        _certs.Server("base/a.pem", "a.test");
        _certs.Server("base/b.pem", "b.test");
        var client = _certs.Client("client", "CN=client");
        var bases = Path.Combine(_certs.Directory, "base");
        File.Copy(_certs.CaFile, Path.Combine(bases, "ca.pem"));
        // As HAProxy: the crt-list's own path is taken as written, the certificates in it under crt-base.
        var list = Path.Combine(_certs.Directory, "list.txt");
        File.WriteAllText(list, "b.pem [verify required ca-file ca.pem] b.test\n");
        var (sluice, port) = await StartAsync($"ssl crt a.pem crt-list {list}", global: $"    crt-base {bases}\n    ca-base {bases}");
        await using var _ = sluice;

        Assert.Equal("subject=CN = a.test", (await TlsPeers.SClientAsync(port, ["-servername", "a.test"])).Subject);
        var withoutCertificate = await TlsPeers.SClientAsync(port, ["-servername", "b.test", "-ign_eof"], "GET / HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n");
        Assert.DoesNotContain("HTTP/1.1 200", withoutCertificate.Output, StringComparison.Ordinal);
        var withCertificate = await TlsPeers.SClientAsync(port, ["-servername", "b.test", "-ign_eof", "-cert", client.Certificate, "-key", client.Key], "GET / HTTP/1.1\r\nHost: b.test\r\nConnection: close\r\n\r\n");
        Assert.Equal("subject=CN = b.test", withCertificate.Subject);
        Assert.Contains("HTTP/1.1 200", withCertificate.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A bind line's own TLS keywords, each seen by s_client: `crt` given twice (SNI picks each, the first is the
    /// default), `ssl-min-ver`, `ciphers` and `ciphersuites`.
    /// </summary>
    [Fact]
    public async Task BindLine_RepeatedCrtMinVersionAndOwnCiphers_Honoured()
    {
        var a = _certs.Server("a.pem", "a.test");
        var b = _certs.Server("b.pem", "b.test");
        var (tls13Only, port) = await StartAsync($"ssl crt {a} crt {b} ssl-min-ver TLSv1.3");
        await using (tls13Only)
        {
            Assert.Equal("subject=CN = b.test", (await TlsPeers.SClientAsync(port, ["-servername", "b.test"])).Subject);
            Assert.Equal("subject=CN = a.test", (await TlsPeers.SClientAsync(port, ["-servername", "a.test"])).Subject);
            Assert.Equal("subject=CN = a.test", (await TlsPeers.SClientAsync(port, ["-servername", "c.test"])).Subject);
            Assert.False((await TlsPeers.SClientAsync(port, ["-tls1_2", "-servername", "b.test"])).Connected);
        }

        var (ownCiphers, port2) = await StartAsync($"ssl crt {a} ciphers ECDHE-ECDSA-AES128-GCM-SHA256 ciphersuites TLS_CHACHA20_POLY1305_SHA256");
        await using (ownCiphers)
        {
            var tls12 = await TlsPeers.SClientAsync(port2, ["-tls1_2"]);
            Assert.Contains("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256", tls12.Output, StringComparison.Ordinal);
            Assert.False((await TlsPeers.SClientAsync(port2, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"])).Connected);
            var tls13 = await TlsPeers.SClientAsync(port2, ["-tls1_3"]);
            Assert.Contains("Cipher is TLS_CHACHA20_POLY1305_SHA256", tls13.Output, StringComparison.Ordinal);
        }
    }

    /// <summary>RELIABILITY TLS-01: TLS 1.0 and 1.1 are refused by default (HAProxy's `ssl-min-ver TLSv1.2`).</summary>
    [Fact]
    public async Task Tls01_Tls10Or11_RefusedTls12And13Accepted()
    {
        var site = _certs.Server("a.pem", "a.test", rsa: true);
        var (sluice, port) = await StartAsync($"ssl crt {site}");
        await using var _ = sluice;

        // SECLEVEL=0 lets the client offer the old versions; the refusal is the server's.
        Assert.False((await TlsPeers.SClientAsync(port, ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])).Connected);
        Assert.False((await TlsPeers.SClientAsync(port, ["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"])).Connected);
        var tls12 = await TlsPeers.SClientAsync(port, ["-tls1_2"]);
        Assert.True(tls12.Connected, tls12.Output);
        Assert.Equal("TLSv1.2", tls12.Protocol);
        var tls13 = await TlsPeers.SClientAsync(port, ["-tls1_3"]);
        Assert.Contains("New, TLSv1.3", tls13.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SClient_MaxVersionAndNoTlsv12_Honoured()
    {
        var site = _certs.Server("a.pem", "a.test");
        var (sluice, port) = await StartAsync($"ssl crt {site} ssl-max-ver TLSv1.2");
        await using var _ = sluice;
        Assert.False((await TlsPeers.SClientAsync(port, ["-tls1_3"])).Connected);
        Assert.True((await TlsPeers.SClientAsync(port, ["-tls1_2"])).Connected);

        var (sluice2, port2) = await StartAsync($"ssl crt {site}", global: "    ssl-default-bind-options no-tlsv12");
        await using var __ = sluice2;
        Assert.False((await TlsPeers.SClientAsync(port2, ["-tls1_2"])).Connected);
        Assert.True((await TlsPeers.SClientAsync(port2, ["-tls1_3"])).Connected);
    }

    /// <summary>RELIABILITY TLS-02: only the configured suites are negotiated, for TLS 1.2 and TLS 1.3.</summary>
    [Fact]
    public async Task Tls02_Ciphers_OnlyConfiguredSuites()
    {
        var site = _certs.Server("a.pem", "a.test", rsa: true);
        var (sluice, port) = await StartAsync(
            $"ssl crt {site}",
            global: "    ssl-default-bind-ciphers ECDHE-RSA-AES256-GCM-SHA384:!aNULL\n    ssl-default-bind-ciphersuites TLS_CHACHA20_POLY1305_SHA256");
        await using var _ = sluice;

        Assert.False((await TlsPeers.SClientAsync(port, ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])).Connected);
        var allowed = await TlsPeers.SClientAsync(port, ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256"]);
        Assert.Contains("Cipher is ECDHE-RSA-AES256-GCM-SHA384", allowed.Output, StringComparison.Ordinal);
        Assert.False((await TlsPeers.SClientAsync(port, ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"])).Connected);
        var tls13 = await TlsPeers.SClientAsync(port, ["-tls1_3"]);
        Assert.Contains("Cipher is TLS_CHACHA20_POLY1305_SHA256", tls13.Output, StringComparison.Ordinal);
    }

    /// <summary>RELIABILITY TLS-08: ALPN h2 preferred, http/1.1 otherwise, HTTP/1 without ALPN or without overlap.</summary>
    [Fact]
    public async Task Tls08_AlpnOffers_ServerPreferenceAndHttp1Fallback()
    {
        var site = _certs.Server("a.pem", "a.test");
        var (sluice, port) = await StartAsync($"ssl crt {site} alpn h2,http/1.1");
        await using var _ = sluice;

        Assert.Equal("h2", (await TlsPeers.SClientAsync(port, ["-alpn", "http/1.1,h2"])).Alpn);
        Assert.Equal("http/1.1", (await TlsPeers.SClientAsync(port, ["-alpn", "http/1.1"])).Alpn);
        const string Request = "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";
        var none = await TlsPeers.SClientAsync(port, ["-ign_eof"], Request);
        Assert.Contains("No ALPN negotiated", none.Output, StringComparison.Ordinal);
        Assert.Contains("HTTP/1.1 200", none.Output, StringComparison.Ordinal);
        var spdy = await TlsPeers.SClientAsync(port, ["-alpn", "spdy/3", "-ign_eof"], Request);
        Assert.True(spdy.Connected, spdy.Output);
        Assert.Null(spdy.Alpn);
        Assert.Contains("HTTP/1.1 200", spdy.Output, StringComparison.Ordinal);
    }

    /// <summary>RELIABILITY TLS-10: plain HTTP to a TLS port is closed and counted; TLS to a plain port gets 400.</summary>
    [Fact]
    public async Task Tls10_PlainHttpToTlsPort_ClosedAndCounted_TlsToPlainPort400()
    {
        var site = _certs.Server("a.pem", "a.test");
        var (sluice, port) = await StartAsync($"ssl crt {site}");
        await using var _ = sluice;
        var before = sluice.Output.Lines.Count(l => l.EndsWith(": SSL handshake failure", StringComparison.Ordinal));

        using (var plain = await RawHttpConnection.ConnectAsync(port))
        {
            await plain.SendAsync(HttpHelpers.Get());
            var answer = await plain.WaitClosedAsync(TestTimeout.Value);
            Assert.NotNull(answer);
            Assert.DoesNotContain("HTTP/1.1", answer, StringComparison.Ordinal);
        }

        await sluice.Output.WaitForAsync(l => l.EndsWith(": SSL handshake failure", StringComparison.Ordinal), before + 1);
        Assert.True((await TlsPeers.SClientAsync(port, ["-servername", "a.test"])).Connected);

        var plainPort = Ports.FreeListeningPort();
        await using var cleartext = await InProcessSluice.StartAsync(HttpHelpers.Config(plainPort, "server s 127.0.0.1:1"), ReadyProbe.Tcp(plainPort));
        var tls = await TlsPeers.SClientAsync(plainPort, []);
        Assert.False(tls.Connected);
        await cleartext.Output.WaitForAsync(l => l.Contains("<BADREQ>", StringComparison.Ordinal) && l.Contains(" 400 ", StringComparison.Ordinal));
    }

    /// <summary>
    /// RELIABILITY TLS-09: 1,000 connections that send half a ClientHello and stall are closed at `timeout client-hs`;
    /// while they are held, new handshakes succeed.
    /// </summary>
    [Fact]
    public async Task Tls09_HalfClientHello_Stalled_ClosedAtClientHsWhileOthersSucceed()
    {
        const int Stalled = 1000;
        const int ClientHsSeconds = 8;
        var clientHs = TimeSpan.FromSeconds(ClientHsSeconds);
        var site = _certs.Server("a.pem", "a.test");
        // maxconn above the stalled connections: what is tested is the handshake bound, not the connection limit.
        var (sluice, port) = await StartAsync($"ssl crt {site}", global: "    maxconn 2000", defaults: $"    timeout client-hs {ClientHsSeconds}s");
        await using var _ = sluice;

        // A record header announcing a 512-byte ClientHello, then the first bytes of it only.
        byte[] half = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03];
        var stalled = new List<Socket>();
        var sinceFirst = Stopwatch.StartNew();
        try
        {
            for (var batch = 0; batch < Stalled / 100; batch++)
            {
                stalled.AddRange(await Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
                {
                    var socket = await TestClient.ConnectTcpAsync(port);
                    await socket.SendAsync(half, SocketFlags.None);
                    return socket;
                })));
            }

            var allSent = Stopwatch.StartNew();
            for (var i = 0; i < 3; i++)
            {
                var good = await TlsPeers.CurlAsync("a.test", port, "/", "--cacert", _certs.CaFile);
                Assert.True(good.StandardOutput == "ok", good.StandardError);
            }

            // Those handshakes were made while the stalled ones were held (nothing to read: not closed yet).
            var held = stalled.Count(socket => !socket.Poll(0, SelectMode.SelectRead));
            Assert.True(held >= Stalled / 2, $"{held} of {Stalled} still held after {allSent.Elapsed}");

            using var cts = new CancellationTokenSource(clientHs + TimeSpan.FromSeconds(15));
            var reads = await Task.WhenAll(stalled.Select(async socket =>
            {
                try
                {
                    return await socket.ReceiveAsync(new byte[16], SocketFlags.None, cts.Token);
                }
                catch (SocketException)
                {
                    return 0;
                }
            }));
            Assert.All(reads, read => Assert.Equal(0, read));
            // Each was accepted after the first connect: none closed before its client-hs (a heartbeat's slack aside).
            Assert.True(sinceFirst.Elapsed >= clientHs - TimeSpan.FromSeconds(1), $"all closed {sinceFirst.Elapsed} after the first connect");
            Assert.InRange(allSent.Elapsed, TimeSpan.Zero, clientHs + TimeSpan.FromSeconds(10));
        }
        finally
        {
            stalled.ForEach(socket => socket.Dispose());
        }
    }

    /// <summary>
    /// `ca-ignore-err`: a client certificate issued by an expired intermediate CA (error 10 at depth 1; `ca-file`
    /// holds the root and the intermediate) is refused unless `ca-ignore-err` names the error or says `all`;
    /// `crt-ignore-err` is about the leaf and does not let it through. haproxy runs the same configuration and
    /// serves the same clients; a certificate from a valid intermediate is served by both throughout.
    /// </summary>
    [Theory]
    [InlineData("verify required", false)]
    [InlineData("verify required crt-ignore-err 10", false)]
    [InlineData("verify required crt-ignore-err all", false)]
    [InlineData("verify required ca-ignore-err 20", false)]
    [InlineData("verify required ca-ignore-err 10", true)]
    [InlineData("verify required ca-ignore-err all", true)]
    [InlineData("verify optional", false)]
    [InlineData("verify optional ca-ignore-err 10", true)]
    public async Task CaIgnoreErr_ClientOfExpiredIntermediate_ServedOnlyWhenItsErrorIsIgnored_AsHAProxy(string verify, bool served)
    {
        var site = _certs.Server("a.pem", "a.test");
        var current = _certs.Intermediate("Current Intermediate");
        var expired = _certs.Intermediate("Expired Intermediate", DateTimeOffset.UtcNow.AddDays(-60), DateTimeOffset.UtcNow.AddDays(-1));
        var good = _certs.Client("good", "CN=good", issuer: current);
        var late = _certs.Client("late", "CN=late", issuer: expired);
        var caFile = Path.Combine(_certs.Directory, "root-and-intermediates.crt");
        File.WriteAllText(caFile, _certs.Ca.ExportCertificatePem() + "\n" + current.ExportCertificatePem() + "\n" + expired.ExportCertificatePem() + "\n");
        var bind = $"ssl crt {site} ca-file {caFile} {verify}";

        var (sluice, port) = await StartAsync(bind);
        await using (sluice)
        {
            Assert.True(await ServedWithAsync(port, good.Certificate, good.Key));
            Assert.Equal(served, await ServedWithAsync(port, late.Certificate, late.Key));
        }

        var haproxyPort = Ports.FreeListeningPort();
        await using var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort, bind), haproxyPort);
        Assert.True(await ServedWithAsync(haproxyPort, good.Certificate, good.Key));
        Assert.Equal(served, await ServedWithAsync(haproxyPort, late.Certificate, late.Key));
    }

    private static async Task<bool> ServedWithAsync(int port, string certificate, string key)
    {
        var result = await TlsPeers.SClientAsync(port, ["-servername", "a.test", "-ign_eof", "-cert", certificate, "-key", key], "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n");
        return result.Output.Contains("HTTP/1.1 200", StringComparison.Ordinal);
    }

    /// <summary>RELIABILITY TLS-11: session tickets resume TLS 1.3 and TLS 1.2 sessions, and so does the TLS 1.2 session cache (20 reconnects each); `ssl_fc_is_resumed` says so.</summary>
    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_2 -no_ticket")]
    public async Task Tls11_Reconnects_Resumed(string options)
    {
        var version = options.Split(' ');
        var site = _certs.Server("a.pem", "a.test");
        var (sluice, port) = await StartAsync($"ssl crt {site}", frontend: "    http-response set-header x-resumed %[ssl_fc_is_resumed]");
        await using var _ = sluice;

        var session = Path.Combine(_certs.Directory, "session" + options.Replace(' ', '_'));
        var first = await TlsPeers.SClientAsync(port, [.. version, "-servername", "a.test", "-sess_out", session, "-ign_eof"], "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        Assert.True(first.Connected, first.Output);
        Assert.Contains("x-resumed: 0", first.Output, StringComparison.OrdinalIgnoreCase);
        var resumed = 0;
        var fetched = 0;
        for (var i = 0; i < 20; i++)
        {
            var again = await TlsPeers.SClientAsync(port, [.. version, "-servername", "a.test", "-sess_in", session, "-sess_out", session, "-ign_eof"], "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            resumed += again.ReusedCount;
            fetched += again.Output.Contains("x-resumed: 1", StringComparison.OrdinalIgnoreCase) ? 1 : 0;
        }

        Assert.InRange(resumed, 19, 20);
        // `ssl_fc_is_resumed` tells the same as the client.
        Assert.Equal(resumed, fetched);
    }

    /// <summary>RELIABILITY TLS-07: a client-initiated renegotiation is refused.</summary>
    [Fact]
    public async Task Tls07_Renegotiation_Refused()
    {
        var site = _certs.Server("a.pem", "a.test");
        var (sluice, port) = await StartAsync($"ssl crt {site}");
        await using var _ = sluice;

        var result = await TlsPeers.SClientAsync(port, ["-tls1_2", "-servername", "a.test"], "R\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        Assert.Contains("RENEGOTIATING", result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("HTTP/1.1 200", result.Output, StringComparison.Ordinal);
    }

    /// <summary>RELIABILITY TLS-12: TLS 1.3 early data is not accepted (0-RTT is off).</summary>
    [Fact]
    public async Task Tls12_EarlyDataPost_NotAccepted()
    {
        var site = _certs.Server("a.pem", "a.test");
        var (sluice, port) = await StartAsync($"ssl crt {site}");
        await using var _ = sluice;

        var session = Path.Combine(_certs.Directory, "early-session");
        var early = Path.Combine(_certs.Directory, "early.txt");
        File.WriteAllText(early, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
        var first = await TlsPeers.SClientAsync(port, ["-tls1_3", "-servername", "a.test", "-sess_out", session, "-ign_eof"], "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        Assert.True(first.Connected, first.Output);
        var second = await TlsPeers.SClientAsync(port, ["-tls1_3", "-servername", "a.test", "-sess_in", session, "-early_data", early]);
        Assert.True(second.Connected, second.Output);
        Assert.DoesNotContain("Early data was accepted", second.Output, StringComparison.Ordinal);
        Assert.True(second.Output.Contains("Early data was not sent", StringComparison.Ordinal) || second.Output.Contains("Early data was rejected", StringComparison.Ordinal), second.Output);
    }
}
