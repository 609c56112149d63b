using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Http;
using Sluice.Integration.Scenarios.Stats;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Hosting;

/// <summary>
/// A soft stop (SIGUSR1) seen from clients, under haproxy 2.6 and under Sluice with the same configuration: the
/// `grace` period with the `stopping` fetch, and an HTTP/1.1 request in flight when the stop comes.
/// </summary>
public sealed class SoftStopTests
{
    private static string P(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// `grace 2s`: right after SIGUSR1 `stopping` is true (a `monitor fail` check answers 503) while new connections
    /// are still served and keep-alive goes on; once the grace ends the listener is closed. Both notices are printed.
    /// </summary>
    [Fact]
    public async Task Grace_ReportsStopping_AndKeepsAccepting_UntilItEnds()
    {
        string Config(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket)}
            global
                grace 2s
            frontend ext-check
                bind 127.0.0.1:{P(port)}
                monitor-uri /ext-check
                monitor fail if {"{"} stopping {"}"}
                http-request return status 200 content-type text/plain lf-string "stopping=%[stopping]"
            """;

        async Task<string[]> Observe(int port, string socket, int pid, LineCollector output)
        {
            var seen = new List<string>
            {
                await StatusAsync(port, "/ext-check"),
                await BodyAsync(port, "/x"),
            };
            using var kept = await TestClient.ConnectTcpAsync(port);
            seen.Add(await KeepAliveExchangeAsync(kept, "/before"));
            await SignalAsync(pid, "USR1");
            await output.WaitForAsync(l => l.Contains("Scheduling a soft-stop in 2000 ms.", StringComparison.Ordinal));
            seen.Add(await StatusAsync(port, "/ext-check"));
            seen.Add(await BodyAsync(port, "/x"));
            seen.Add(await KeepAliveExchangeAsync(kept, "/during"));
            await output.WaitForAsync(l => l.Contains("Grace period expired, proceeding with soft-stop now.", StringComparison.Ordinal));
            await Task.Delay(300);
            seen.Add(await RefusedAsync(port) ? "refused" : "accepted");
            return [.. seen];
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, Observe);
        Assert.Equal(["200", "stopping=0", "200 keep-alive stopping=0", "503", "stopping=1", "200 keep-alive stopping=1", "refused"], reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// A request waits on a slow server when SIGUSR1 comes: its response still arrives whole, says `Connection:
    /// close` (or not) as haproxy's does, and the connection ends after it; new connections are refused at once.
    /// </summary>
    [Fact]
    public async Task RequestInFlight_IsAnswered_ThenTheConnectionCloses()
    {
        await using var slow = TestServer.Tcp(SlowKeepAliveAnswerAsync);
        string Config(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket)}
            frontend fe
                bind 127.0.0.1:{P(port)}
                default_backend slow
            backend slow
                server s {slow.Address}
            """;

        async Task<string[]> Observe(int port, string socket, int pid, LineCollector output)
        {
            using var client = await TestClient.ConnectTcpAsync(port);
            await client.SendAsync(Encoding.ASCII.GetBytes("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
            await Task.Delay(300);
            await SignalAsync(pid, "USR1");
            await Task.Delay(200);
            var refused = await RefusedAsync(port) ? "refused" : "accepted";
            var response = await ReadToEndAsync(client);
            var head = response.Split("\r\n\r\n")[0].Split("\r\n");
            var connection = head.FirstOrDefault(l => l.StartsWith("connection:", StringComparison.OrdinalIgnoreCase))?.ToLowerInvariant() ?? "(no connection field)";
            return [refused, head[0], connection, response.EndsWith("\r\n\r\nslow answer", StringComparison.Ordinal) ? "whole" : "cut: " + response];
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, Observe);
        Assert.Equal("refused", reference[0]);
        Assert.Equal("HTTP/1.1 200 OK", reference[1]);
        Assert.Equal("whole", reference[3]);
        Assert.Equal(reference, ours);
    }

    /// <summary>Reads a request head, waits a second, answers 200 "slow answer" and keeps the connection open.</summary>
    private static async Task SlowKeepAliveAnswerAsync(Socket socket)
    {
        if (await TestServer.ReadRequestHeadAsync(socket) is null)
        {
            return;
        }

        await Task.Delay(1000);
        await socket.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nslow answer"));
        await TestServer.DrainAsync(socket);
    }

    private static async Task SignalAsync(int pid, string signal) =>
        Assert.Equal(0, (await CommandRunner.RunAsync("kill", ["-" + signal, P(pid)])).ExitCode);

    private static async Task<bool> RefusedAsync(int port)
    {
        try
        {
            using var probe = await TestClient.ConnectTcpAsync(port);
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    private static async Task<string> StatusAsync(int port, string path) =>
        (await Http.CurlAsync(["-s", "-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, path)])).StandardOutput;

    private static async Task<string> BodyAsync(int port, string path) =>
        (await Http.CurlAsync(Http.Url(port, path))).StandardOutput;

    /// <summary>One request on a kept connection: its status, whether the connection stays open, and its body.</summary>
    private static async Task<string> KeepAliveExchangeAsync(Socket client, string path)
    {
        await client.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"));
        var buffer = new byte[4096];
        var text = new StringBuilder();
        while (!text.ToString().Contains("stopping=", StringComparison.Ordinal) || !char.IsDigit(text[^1]))
        {
            var read = await client.ReceiveAsync(buffer, SocketFlags.None, TestTimeout.Token());
            Assert.True(read > 0, "closed early: " + text);
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var response = text.ToString();
        var closing = response.Contains("connection: close", StringComparison.OrdinalIgnoreCase);
        return $"{response.Split(' ')[1]} {(closing ? "close" : "keep-alive")} {response[response.IndexOf("stopping=", StringComparison.Ordinal)..]}";
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, TestTimeout.Token())) > 0)
        {
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }
}
