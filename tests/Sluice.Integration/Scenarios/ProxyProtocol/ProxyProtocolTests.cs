using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.Protocols.ProxyProtocol;
using Sluice.Transport;

namespace Sluice.Integration.Scenarios.ProxyProtocol;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// The PROXY protocol with haproxy on the other side, as sender (`send-proxy`, `send-proxy-v2`) and as receiver
/// (`accept-proxy`), and with headers written by hand: addresses, TLVs, ALPN choosing the front mux, bad and
/// slow headers, `expect-proxy` rules.
/// </summary>
public sealed class ProxyProtocolTests
{
    private const string Defaults = """
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        """;

    private static string P(int port) => HAProxyPeer.Port(port);

    private static async Task<string> GetAsync(int port, string path = "/")
    {
        var result = await Http.CurlAsync(Http.Url(port, path));
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }

    /// <summary>Sends raw bytes on a new connection and reads until the peer closes (empty when it closed at once or reset).</summary>
    private static async Task<string> ExchangeAsync(int port, byte[] bytes, IPAddress? from = null)
    {
        using var socket = await TestClient.ConnectTcpAsync(port, from);
        try
        {
            await socket.SendAsync(bytes, SocketFlags.None);
            return await TestClient.ReadToEndAsync(socket);
        }
        catch (SocketException)
        {
            return string.Empty;
        }
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private const string Request = "GET / HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n";

    [Theory]
    [InlineData("send-proxy")]
    [InlineData("send-proxy-v2")]
    public async Task HAProxySends_SluiceTakesTheClientsAddresses(string option)
    {
        var sluicePort = Ports.FreeListeningPort();
        var haproxyPort = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($"""
            {Defaults}
            frontend fe
                bind 127.0.0.1:{P(sluicePort)} accept-proxy
                http-request return status 200 content-type text/plain lf-string "%[src] %[dst_port] %[fc_rcvd_proxy]"
            """, ReadyProbe.Tcp(sluicePort));
        await using var haproxy = await HAProxyPeer.StartAsync($"""
            {Defaults}
            frontend edge
                bind 127.0.0.1:{P(haproxyPort)}
                default_backend sluice
            backend sluice
                server s 127.0.0.1:{P(sluicePort)} {option}
            """, haproxyPort);

        // dst_port is the port the client reached at haproxy, not the one haproxy reached at Sluice.
        Assert.Equal($"127.0.0.1 {P(haproxyPort)} 1", await GetAsync(haproxyPort));
        Assert.Equal($"127.0.0.1 {P(haproxyPort)} 1", await GetAsync(haproxyPort));
    }

    [Theory]
    [InlineData("send-proxy")]
    [InlineData("send-proxy-v2")]
    public async Task SluiceSends_HAProxyTakesTheClientsAddresses_AndChecksSpeakItToo(string option)
    {
        var sluicePort = Ports.FreeListeningPort();
        var haproxyPort = Ports.FreeListeningPort();
        await using var haproxy = await HAProxyPeer.StartAsync($"""
            {Defaults}
            frontend inner
                bind 127.0.0.1:{P(haproxyPort)} accept-proxy
                http-request return status 200 content-type text/plain lf-string "%[src] %[dst_port]"
            """, haproxyPort);
        await using var sluice = await InProcessSluice.StartAsync($"""
            {Defaults}
            frontend fe
                bind 127.0.0.1:{P(sluicePort)}
                default_backend be
            backend be
                option httpchk GET /
                # A check without the header is refused at once; a slow answer on a busy machine is not what is tested.
                timeout check 3s
                server s 127.0.0.1:{P(haproxyPort)} {option} check inter 1s fall 1 rise 1
            """, ReadyProbe.Tcp(sluicePort));

        // Checks without the header would fail at haproxy and take the server down at the first one: requests
        // spread over three seconds (three checks) all pass.
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal($"127.0.0.1 {P(sluicePort)}", await GetAsync(sluicePort));
            await Task.Delay(500);
        }

        Assert.Null(sluice.Output.Lines.FirstOrDefault(l => l.Contains("is DOWN", StringComparison.Ordinal)));
    }

    /// <summary>
    /// `check-send-proxy`: checks sent elsewhere (`port`, `addr`) or of a server whose traffic has no PROXY header
    /// still begin with one, v2 (a LOCAL command) when the traffic speaks v2, else v1 naming the check connection's
    /// own addresses, as a `tcp-check connect send-proxy` step does. What the check targets receive first, as
    /// haproxy 2.6 sends it.
    /// </summary>
    [Fact]
    public async Task CheckSendProxy_ChecksBeginWithTheHeader_AsHAProxy()
    {
        var firstBytes = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        Func<Socket, Task> Recorder(string name) => async socket =>
        {
            var buffer = new byte[512];
            var seen = new List<byte>();
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                while (seen.Count < 64)
                {
                    var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    seen.AddRange(buffer.AsSpan(0, read).ToArray());
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                // What came before the check gave up is what it sent.
            }

            // The check connection's own source port differs from run to run.
            var text = System.Text.RegularExpressions.Regex.Replace(Encoding.Latin1.GetString([.. seen]), @"^(PROXY TCP4 \S+ \S+ )\d+ ", "${1}SPORT ");
            firstBytes.TryAdd(name, Convert.ToHexString(Encoding.Latin1.GetBytes(text)));
        };

        await using var v1 = TestServer.Tcp(Recorder("v1"));
        await using var v2 = TestServer.Tcp(Recorder("v2"));
        await using var step = TestServer.Tcp(Recorder("step"));
        await using var traffic = TestServer.Tcp(TestServer.Silent);
        string Config(int port, string socket) => $"""
            {Stats.HaproxyOracle.Preamble(socket, "tcp")}
            listen l
                bind 127.0.0.1:{port}
                server forced {traffic.Address} check inter 200 check-send-proxy port {P(PortOf(v1.Address))}
                server forced-v2 {traffic.Address} send-proxy-v2 check inter 200 check-send-proxy addr 127.0.0.1 port {P(PortOf(v2.Address))}
            backend steps
                option tcp-check
                tcp-check connect port {P(PortOf(step.Address))} send-proxy
                server t {traffic.Address} check inter 200
            """;

        async Task<string> RunAsync(int port, string socket)
        {
            firstBytes.Clear();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (firstBytes.Count < 3 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            return string.Join(' ', firstBytes.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        }

        var (reference, ours) = await Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Contains("v1=" + Convert.ToHexString(Encoding.ASCII.GetBytes($"PROXY TCP4 127.0.0.1 127.0.0.1 SPORT {PortOf(v1.Address)}\r\n")), reference, StringComparison.Ordinal);
        Assert.Contains("v2=0D0A0D0A000D0A515549540A200000", reference, StringComparison.Ordinal);
        Assert.Contains("step=" + Convert.ToHexString(Encoding.ASCII.GetBytes($"PROXY TCP4 127.0.0.1 127.0.0.1 SPORT {PortOf(step.Address)}\r\n")), reference, StringComparison.Ordinal);
        Assert.Equal(reference, ours);
    }

    private static int PortOf(string address) => int.Parse(address[(address.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task HandWrittenV2Header_TlvsReachTheFetches_AndHttpRulesSeeItsAddresses()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($$"""
            {{Defaults}}
            frontend fe
                bind 127.0.0.1:{{P(port)}} accept-proxy
                tcp-request connection reject if { src 203.0.113.7 }
                http-request deny deny_status 403 if { src 203.0.113.8 }
                http-request return status 200 content-type text/plain lf-string "%[fc_pp_authority]|%[fc_pp_unique_id]|%[fc_pp_tlv(0xE1)]|%[src]:%[src_port]|%[dst]:%[dst_port]"
            """, ReadyProbe.Tcp(port));

        byte[] Header(string source) => ProxyHeaderWriter.WriteV2(
            ProxyCommand.Proxy,
            new IPEndPoint(IPAddress.Parse(source), 4444),
            new IPEndPoint(IPAddress.Parse("198.51.100.1"), 443),
            [new(ProxyTlvType.Authority, Ascii("www.example.com")), new(ProxyTlvType.UniqueId, Ascii("id-42")), new(0xE1, Ascii("custom"))],
            crc32c: true);

        // `tcp-request connection` rules see the real address (127.0.0.1), everything after sees the header's.
        var answer = await ExchangeAsync(port, [.. Header("203.0.113.7"), .. Ascii(Request)]);
        Assert.StartsWith("HTTP/1.1 200", answer, StringComparison.Ordinal);
        Assert.EndsWith("www.example.com|id-42|custom|203.0.113.7:4444|198.51.100.1:443", answer, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 403", await ExchangeAsync(port, [.. Header("203.0.113.8"), .. Ascii(Request)]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AHeaderDribbledByteByByteIsRead()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($"""
            {Defaults}
            frontend fe
                bind 127.0.0.1:{P(port)} accept-proxy
                http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port]"
            """, ReadyProbe.Tcp(port));
        using var socket = await TestClient.ConnectTcpAsync(port);
        foreach (var b in Ascii("PROXY TCP4 192.0.2.1 192.0.2.2 1234 80\r\n"))
        {
            await socket.SendAsync(new[] { b }, SocketFlags.None);
            await Task.Delay(5);
        }

        await socket.SendAsync(Ascii(Request), SocketFlags.None);
        Assert.EndsWith("192.0.2.1:1234", await TestClient.ReadToEndAsync(socket), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadMissingAndSlowHeaders_CloseTheConnectionWithHAProxysReason()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($"""
            defaults
                mode http
                timeout connect 2s
                timeout client 300ms
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{P(port)} accept-proxy
                http-request return status 200 content-type text/plain string "served"
            """, ReadyProbe.Tcp(port));

        Assert.Equal(string.Empty, await ExchangeAsync(port, Ascii(Request)));
        await sluice.Output.WaitForAsync(l => l.EndsWith(": " + ProxyHeaderReceiver.NotHeader, StringComparison.Ordinal));

        var corrupt = ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2), [], crc32c: true);
        corrupt[^1] ^= 0xFF;
        Assert.Equal(string.Empty, await ExchangeAsync(port, [.. corrupt, .. Ascii(Request)]));
        await sluice.Output.WaitForAsync(l => l.EndsWith(": " + ProxyHeaderReceiver.BadHeader, StringComparison.Ordinal));

        // Half a header, then silence: `timeout client` ends the wait.
        Assert.Equal(string.Empty, await ExchangeAsync(port, Ascii("PROXY TCP4 192.0.2.1")));
        await sluice.Output.WaitForAsync(l => l.EndsWith(": " + ProxyHeaderReceiver.TimedOut, StringComparison.Ordinal));

        Assert.EndsWith("served", await ExchangeAsync(port, Ascii("PROXY UNKNOWN\r\n" + Request)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpectProxyRule_AsksForTheHeaderOnlyWhereItsConditionHolds()
    {
        var guarded = Ports.FreeListeningPort();
        var open = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($$"""
            {{Defaults}}
            frontend guarded
                bind 127.0.0.1:{{P(guarded)}}
                tcp-request connection expect-proxy layer4 if { src 127.0.0.1 }
                http-request return status 200 content-type text/plain lf-string "%[src]"
            frontend open
                bind 127.0.0.1:{{P(open)}}
                tcp-request connection expect-proxy layer4 if { src 10.0.0.0/8 }
                http-request return status 200 content-type text/plain lf-string "%[src]"
            """, ReadyProbe.Tcp(guarded), ReadyProbe.Tcp(open));

        Assert.Equal(string.Empty, await ExchangeAsync(guarded, Ascii(Request)));
        Assert.EndsWith("192.0.2.9", await ExchangeAsync(guarded, Ascii("PROXY TCP4 192.0.2.9 127.0.0.1 5555 80\r\n" + Request)), StringComparison.Ordinal);
        Assert.EndsWith("127.0.0.1", await ExchangeAsync(open, Ascii(Request)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AlpnOfTheV2Header_ChoosesTheMuxBeforeAnyByte()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await InProcessSluice.StartAsync($"""
            {Defaults}
            frontend fe
                bind 127.0.0.1:{P(port)} accept-proxy
                http-request return status 200 content-type text/plain string "served"
            """, ReadyProbe.Tcp(port));

        byte[] Header(string alpn) => ProxyHeaderWriter.WriteV2(ProxyCommand.Proxy, new IPEndPoint(IPAddress.Loopback, 1), new IPEndPoint(IPAddress.Loopback, 2),
            [new(ProxyTlvType.Alpn, Ascii(alpn))], crc32c: false);

        // h2: the server's SETTINGS frame comes at once, before the client sent its preface.
        using (var socket = await TestClient.ConnectTcpAsync(port))
        {
            await socket.SendAsync(Header("h2"), SocketFlags.None);
            var frame = new byte[9];
            var read = await socket.ReceiveAsync(frame, SocketFlags.None, TestTimeout.Token());
            Assert.True(read >= 4, "no frame");
            Assert.Equal(0x04, frame[3]);
        }

        // http/1.1: the offloader said HTTP/1.1, so an HTTP/2 preface is not sniffed but refused as a bad request.
        var answer = await ExchangeAsync(port, [.. Header("http/1.1"), .. Ascii("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")]);
        Assert.StartsWith("HTTP/1.1 400", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModeTcp_HeaderReadInFront_AndSentBehind()
    {
        var port = Ports.FreeListeningPort();
        var haproxyPort = Ports.FreeListeningPort();
        await using var haproxy = await HAProxyPeer.StartAsync($"""
            {Defaults}
            frontend inner
                bind 127.0.0.1:{P(haproxyPort)} accept-proxy
                http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port]"
            """, haproxyPort);
        await using var sluice = await InProcessSluice.StartAsync($"""
            defaults
                mode tcp
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{P(port)} accept-proxy
                default_backend be
            backend be
                server s 127.0.0.1:{P(haproxyPort)} send-proxy-v2
            """, ReadyProbe.Tcp(port));

        var answer = await ExchangeAsync(port, Ascii($"PROXY TCP4 203.0.113.7 127.0.0.1 4444 {P(port)}\r\n" + Request));
        Assert.EndsWith("203.0.113.7:4444", answer, StringComparison.Ordinal);
    }
}
