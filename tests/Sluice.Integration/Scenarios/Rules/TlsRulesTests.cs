using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>The seeds' TLS rules: client certificate facts passed to servers in headers (004), https redirect (003).</summary>
public sealed class TlsRulesTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    [Fact]
    public async Task ClientCertificate_SetHeaders_ServerSeesHAProxysValues()
    {
        var site = _certs.Server("site.pem", "www.example.test");
        var client = _certs.Client("alice", "CN=alice, O=Acme, C=FR");
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        var config = $"""
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend ft_www
                bind 127.0.0.1:{port} ssl crt {site} ca-file {_certs.CaFile} verify optional
                http-request set-header X-SSL                  %[ssl_fc]
                http-request set-header X-SSL-Client-Verify    %[ssl_c_verify]
                http-request set-header X-SSL-Client-DN        %{"{"}+Q{"}"}[ssl_c_s_dn]
                http-request set-header X-SSL-Client-CN        %{"{"}+Q{"}"}[ssl_c_s_dn(cn)]
                http-request set-header X-SSL-Issuer           %{"{"}+Q{"}"}[ssl_c_i_dn]
                http-request set-header X-SSL-Client-NotBefore %{"{"}+Q{"}"}[ssl_c_notbefore]
                http-request set-header X-SSL-SNI              %[ssl_fc_sni]
                default_backend bk_www
            backend bk_www
                server s1 {backend.Address}
            """;
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port));

        var url = $"https://www.example.test:{port}/";
        var resolve = $"www.example.test:{port}:127.0.0.1";
        var with = await Http.CurlAsync("--cacert", _certs.CaFile, "--resolve", resolve, "--cert", client.Certificate, "--key", client.Key, url);
        Assert.True(with.ExitCode == 0, with.StandardError);
        var without = await Http.CurlAsync("--cacert", _certs.CaFile, "--resolve", resolve, url);
        Assert.True(without.ExitCode == 0, without.StandardError);

        var requests = await backend.WaitForRequestsAsync(2);
        var first = requests[0];
        Assert.Equal("1", first.Header("X-SSL"));
        Assert.Equal("0", first.Header("X-SSL-Client-Verify"));
        Assert.Equal("/C=FR/O=Acme/CN=alice", first.Header("X-SSL-Client-DN"));
        Assert.Equal("alice", first.Header("X-SSL-Client-CN"));
        Assert.Contains("CN=Sluice Test CA", first.Header("X-SSL-Issuer"), StringComparison.Ordinal);
        Assert.Matches("^[0-9]{12}Z$", first.Header("X-SSL-Client-NotBefore"));
        Assert.Equal("www.example.test", first.Header("X-SSL-SNI"));

        // Without a certificate the fetches have no value: the headers are empty, as in HAProxy.
        var second = requests[1];
        Assert.Equal("1", second.Header("X-SSL"));
        Assert.Equal(string.Empty, second.Header("X-SSL-Client-CN"));
    }

    [Fact]
    public async Task RedirectSchemeHttps_UnlessSslFc_OnlyCleartextIsRedirected()
    {
        var site = _certs.Server("site.pem", "shop.example.test");
        await using var backend = RecordingBackend.Start();
        var tlsPort = Ports.FreeListeningPort();
        var plainPort = Ports.FreeListeningPort();
        var config = $"""
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{plainPort}
                bind 127.0.0.1:{tlsPort} ssl crt {site} alpn h2,http/1.1
                http-request redirect scheme https unless {"{"} ssl_fc {"}"}
                default_backend be
            backend be
                server s1 {backend.Address}
            """;
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(tlsPort));

        var plain = await Http.CurlAsync("-i", "-H", "Host: shop.example.test", $"http://127.0.0.1:{plainPort}/cart");
        Assert.StartsWith("HTTP/1.1 302 Found", plain.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("location: https://shop.example.test/cart\r\n", plain.StandardOutput, StringComparison.OrdinalIgnoreCase);
        var secure = await Http.CurlAsync("--http2", "--cacert", _certs.CaFile, "--resolve", $"shop.example.test:{tlsPort}:127.0.0.1", $"https://shop.example.test:{tlsPort}/cart");
        Assert.True(secure.ExitCode == 0, secure.StandardError);
        Assert.Equal("ok", secure.StandardOutput);
        Assert.Equal("/cart", Assert.Single(backend.Requests).Target);
    }

    [Fact]
    public async Task ConnectionReject_OnSslBind_BeforeTheHandshake()
    {
        var site = _certs.Server("site.pem", "www.example.test");
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        var config = $"""
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{port} ssl crt {site}
                tcp-request connection reject if {"{"} src 127.0.0.2 {"}"}
                default_backend be
            backend be
                server s1 {backend.Address}
            """;
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port));

        var url = $"https://www.example.test:{port}/";
        var resolve = $"www.example.test:{port}:127.0.0.1";
        var refused = await Http.CurlAsync("--cacert", _certs.CaFile, "--resolve", resolve, "--interface", "127.0.0.2", "-w", "%{ssl_verify_result}", url);
        // The connection is reset before any handshake, as haproxy resets it: curl says 35 (the handshake failed) or,
        // when the reset comes before it notices the connection made, 7; after a handshake it would be 52.
        Assert.Contains(refused.ExitCode, new[] { 7, 35 });
        var served = await Http.CurlAsync("--cacert", _certs.CaFile, "--resolve", resolve, "--interface", "127.0.0.1", url);
        Assert.True(served.ExitCode == 0, served.StandardError);
        Assert.Equal("ok", served.StandardOutput);
        Assert.Single(backend.Requests);

        // The refused connection was closed before any handshake: no handshake of 127.0.0.2 failed (the readiness
        // probe's own connection, from 127.0.0.1, does fail one).
        Assert.DoesNotContain(sluice.Output.Lines, l => l.StartsWith("127.0.0.2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ModeTcpOffload_SessionAndContentRules_ReadTheTlsFacts()
    {
        var site = _certs.Server("site.pem", "www.example.test", ["www.example.test", "other.example.test"]);
        await using var www = RecordingBackend.Start(_ => CannedResponse.Ok("www"));
        await using var other = RecordingBackend.Start(_ => CannedResponse.Ok("other"));
        var port = Ports.FreeListeningPort();
        var config = $"""
            defaults
                mode tcp
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{port} ssl crt {site}
                tcp-request session set-var(sess.sni) ssl_fc_sni
                tcp-request session reject unless {"{"} ssl_fc {"}"}
                tcp-request content reject if {"{"} var(sess.sni) -m beg refused. {"}"}
                use_backend be_other if {"{"} ssl_fc_sni other.example.test {"}"}
                default_backend be_www
            backend be_www
                server s1 {www.Address}
            backend be_other
                server s1 {other.Address}
            """;
        await using var sluice = await InProcessSluice.StartAsync(config, ReadyProbe.Tcp(port));

        async Task<Sluice.TestKit.Processes.CommandResult> Get(string name) =>
            await Http.CurlAsync("-k", "--resolve", $"{name}:{port}:127.0.0.1", $"https://{name}:{port}/");
        var toWww = await Get("www.example.test");
        Assert.True(toWww.ExitCode == 0, toWww.StandardError);
        Assert.Equal("www", toWww.StandardOutput);
        Assert.Equal("other", (await Get("other.example.test")).StandardOutput);
        // The content rule closes the tunnel once the handshake is done: curl sees the connection end, nothing comes.
        var refused = await Get("refused.example.test");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Equal(string.Empty, refused.StandardOutput);
        Assert.Single(www.Requests);
        Assert.Single(other.Requests);
    }
}
