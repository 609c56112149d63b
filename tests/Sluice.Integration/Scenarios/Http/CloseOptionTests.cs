using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>
/// How connections end: `option nolinger` closes them with a reset on the side it is set for, and `option
/// idle-close-on-response` lets an idle keep-alive connection live through a soft stop until its next response.
/// </summary>
public sealed class CloseOptionTests
{
    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads to the end (a reset counts as an end).</summary>
    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, TestTimeout.Token())) > 0)
            {
                text.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return text.ToString();
    }

    /// <summary>Sluice's sockets that <paramref name="filter"/> selects still waiting in FIN-WAIT-2 for the peer's close.</summary>
    private static async Task<int> LingeringAsync(string filter)
    {
        var ss = await CommandRunner.RunAsync(CommandRunner.Require("ss", "iproute2"), ["-tnH", "state", "fin-wait-2", filter]);
        Assert.Equal(0, ss.ExitCode);
        return ss.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    [Fact]
    public async Task NoLinger_AClosedClientConnectionLeavesNothingBehind()
    {
        var (reset, plain) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend reset
                bind 127.0.0.1:{P(reset)}
                option nolinger
                http-request return status 200 content-type text/plain string "reset"
            frontend plain
                bind 127.0.0.1:{P(plain)}
                http-request return status 200 content-type text/plain string "plain"
            """, [ReadyProbe.Tcp(plain)]);

        // The clients keep their sockets open: a socket closed the usual way waits for them in FIN-WAIT-2.
        foreach (var (port, lingering) in new[] { (reset, 0), (plain, 1) })
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.0\r\n\r\n"));
            Assert.Contains("HTTP/1.1 200", await ReadToEndAsync(client), StringComparison.Ordinal);
            await Task.Delay(200);
            Assert.Equal(lingering, await LingeringAsync($"( sport = :{P(port)} )"));
        }
    }

    [Theory]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    public async Task NoLinger_InABackend_LeavesNoServerConnectionBehind(bool option, int lingering)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = TestServer.Tcp(async socket =>
        {
            await socket.ReceiveAsync(new byte[4096]);
            await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
            await release.Task;
        });
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            frontend fe
                bind 127.0.0.1:{P(port)}
                default_backend be
            backend be
                option http-server-close
                {(option ? "option nolinger" : string.Empty)}
                server s {server.Address}
            """, [ReadyProbe.Tcp(port)]);

        // Sluice closes its server connection after the response (http-server-close) while the server keeps its own.
        Assert.Equal("ok", (await Http.CurlAsync(Http.Url(port, "/"))).StandardOutput);
        await Task.Delay(300);
        Assert.Equal(lingering, await LingeringAsync($"( dport = :{server.Address.Split(':')[1]} )"));
        release.TrySetResult();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task IdleCloseOnResponse_AnIdleConnectionIsServedOnceMoreAfterASoftStop(bool option)
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
                timeout http-keep-alive 10s
            frontend fe
                bind 127.0.0.1:{P(port)}
                {(option ? "option idle-close-on-response" : string.Empty)}
                http-request return status 200 content-type text/plain string "ok"
            """, [ReadyProbe.Tcp(port)]);

        using var client = await TestClient.ConnectTcpAsync(port);
        var request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        await client.SendAsync(request);
        Assert.Contains("HTTP/1.1 200", await ReadResponseAsync(client), StringComparison.Ordinal);

        Assert.Equal(0, (await CommandRunner.RunAsync("kill", ["-USR1", P(sluice.ProcessId)])).ExitCode);
        await Task.Delay(500);
        if (option)
        {
            await client.SendAsync(request);
            var last = await ReadToEndAsync(client);
            Assert.StartsWith("HTTP/1.1 200", last, StringComparison.Ordinal);
            Assert.Contains("connection: close", last.ToLowerInvariant(), StringComparison.Ordinal);
        }
        else
        {
            var nothing = await ReadToEndAsync(client);
            Assert.Equal(string.Empty, nothing);
        }
    }

    /// <summary>
    /// `close-spread-time`: at a soft stop, twenty idle keep-alive connections close over the window rather than at
    /// once; with `infinite` none is closed before its `timeout http-keep-alive`.
    /// </summary>
    [Theory]
    [InlineData("1500ms")]
    [InlineData("infinite")]
    public async Task CloseSpreadTime_IdleConnectionsCloseOverTheWindow(string spread)
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($$"""
            global
                close-spread-time {{spread}}
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
                timeout http-keep-alive 2500ms
            frontend fe
                bind 127.0.0.1:{{P(port)}}
                http-request return status 200 content-type text/plain string "ok"
            """, [ReadyProbe.Tcp(port)]);

        var request = Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        var clients = new List<Socket>();
        for (var i = 0; i < 20; i++)
        {
            var client = await TestClient.ConnectTcpAsync(port);
            clients.Add(client);
            await client.SendAsync(request);
            Assert.Contains("HTTP/1.1 200", await ReadResponseAsync(client), StringComparison.Ordinal);
        }

        // Each connection's idle keep-alive timer starts now; the soft stop comes right after.
        var stop = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, (await CommandRunner.RunAsync("kill", ["-USR1", P(sluice.ProcessId)])).ExitCode);
        var closedAfter = await Task.WhenAll(clients.Select(async c =>
        {
            await ReadToEndAsync(c);
            return stop.ElapsedMilliseconds;
        }));
        foreach (var client in clients)
        {
            client.Dispose();
        }

        Array.Sort(closedAfter);
        var spreadOut = string.Join(' ', closedAfter);
        if (spread == "infinite")
        {
            Assert.True(closedAfter[0] >= 2000, "closed before their keep-alive timeout: " + spreadOut);
        }
        else
        {
            Assert.True(closedAfter[^1] < 2400, "not closed within the window: " + spreadOut);
            Assert.True(closedAfter[^1] - closedAfter[0] >= 500, "closed at once: " + spreadOut);
        }
    }

    private static async Task<string> ReadResponseAsync(Socket client)
    {
        var buffer = new byte[4096];
        var text = new StringBuilder();
        while (!text.ToString().Contains("\r\n\r\nok", StringComparison.Ordinal))
        {
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, TestTimeout.Token());
            Assert.True(read > 0, "closed early: " + text);
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }
}
