using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Logs;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// `ring` sections: `log ring@NAME` stores log lines in the ring with its `format` and `maxlen`, the runtime API's
/// `show events` lists the sinks and shows a ring's events (`-n`, `-w`), and the ring's `server` lines receive them
/// over TCP (`log-proto legacy` and `octet-count`). Each scenario runs under haproxy 2.6, then Sluice, with the
/// same configuration and requests, and what the CLI and the servers show must be the same.
/// </summary>
public class RingTests
{
    private static string Config(int port, string socket, string rings, string frontendLogs) => $$"""
        global
            stats socket {{socket}} level admin
        {{rings}}
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend f
            bind 127.0.0.1:{{port}}
            log-format "%HM %HU %ST"
        {{frontendLogs}}
            http-request return status 200 if { path_beg /ok }
            http-request return status 404
        """;

    private static async Task RequestsAsync(int port, params string[] paths)
    {
        foreach (var path in paths)
        {
            await Http.CurlAsync(Http.Url(port, path));
        }
    }

    /// <summary>The answers to the commands, one after the other, each as the CLI gave it.</summary>
    private static async Task<string> CommandsAsync(string socket, params string[] commands)
    {
        var answers = new StringBuilder();
        foreach (var command in commands)
        {
            answers.Append("== ").Append(command).Append('\n').Append(await StatsPeers.UnixAsync(socket, command));
        }

        return answers.ToString();
    }

    [Fact]
    public async Task LogToRings_ShowEvents_ListsAndDumps_AsHAProxy()
    {
        string Config(int port, string socket) => RingTests.Config(port, socket, """
            ring plain
                description "Plain lines"
                format raw
            ring short
                format short
                maxlen 12
            ring quiet
            """, """
                log ring@plain local0
                log ring@short local0 info
            """);

        static async Task<string> RunAsync(int port, string socket)
        {
            await RequestsAsync(port, "/ok/1", "/missing", "/ok/a-much-longer-path-than-maxlen");
            await Task.Delay(300);
            return await CommandsAsync(socket, "show events", "show events plain", "show events short", "show events quiet",
                "show events plain -n", "show events nosuch", "show events plain -x", "show events stdout");
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Contains("    plain      : type=buffer, 0 dropped, Plain lines\n", reference, StringComparison.Ordinal);
        Assert.Contains("== show events plain\nGET /ok/1 200\nGET /missing 404\nGET /ok/a-much-longer-path-than-maxlen 200\n\n", reference, StringComparison.Ordinal);
        Assert.Contains("== show events short\n<6>GET /ok/1\n", reference, StringComparison.Ordinal);
        Assert.Equal(reference, ours);
    }

    /// <summary>`show events RING -w` shows the events there, then each new one as it comes, until the client sends anything.</summary>
    [Fact]
    public async Task ShowEventsWait_FollowsNewEvents_AsHAProxy()
    {
        string Config(int port, string socket) => RingTests.Config(port, socket, "ring r\n    format raw", "    log ring@r local0");

        static async Task<string> RunAsync(int port, string socket)
        {
            await RequestsAsync(port, "/ok/before");
            await Task.Delay(200);
            using var cli = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await cli.ConnectAsync(new UnixDomainSocketEndPoint(socket));
            await cli.SendAsync("show events r -w\n"u8.ToArray());
            await Task.Delay(300);
            await RequestsAsync(port, "/ok/while-waiting", "/after");
            await Task.Delay(300);
            cli.Shutdown(SocketShutdown.Send);
            return await TestClient.ReadToEndAsync(cli);
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("GET /ok/before 200\nGET /ok/while-waiting 200\nGET /after 404\n\n", reference);
        Assert.Equal(reference, ours);
    }

    /// <summary>A ring's servers get its events over TCP: each ending with a newline, or after its length (`octet-count`).</summary>
    [Fact]
    public async Task RingServers_ReceiveTheEvents_LegacyAndOctetCount_AsHAProxy()
    {
        var received = new Dictionary<string, StringBuilder> { ["legacy"] = new(), ["octets"] = new() };
        Func<Socket, Task> Recorder(string name) => async socket =>
        {
            var buffer = new byte[4096];
            int read;
            while ((read = await socket.ReceiveAsync(buffer)) > 0)
            {
                lock (received)
                {
                    received[name].Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
            }
        };

        await using var legacy = TestServer.Tcp(Recorder("legacy"));
        await using var octets = TestServer.Tcp(Recorder("octets"));
        string Config(int port, string socket) => RingTests.Config(port, socket, $"""
            ring to_legacy
                format raw
                timeout connect 1s
                timeout server 2s
                server collector {legacy.Address}
            ring to_octets
                format short
                timeout connect 1s
                timeout server 2s
                server collector {octets.Address} log-proto octet-count
            """, """
                log ring@to_legacy local0
                log ring@to_octets local0
            """);

        async Task<string> RunAsync(int port, string socket)
        {
            lock (received)
            {
                received["legacy"].Clear();
                received["octets"].Clear();
            }

            await RequestsAsync(port, "/ok/one", "/two");
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                lock (received)
                {
                    if (received["legacy"].ToString().Contains("/two", StringComparison.Ordinal) && received["octets"].ToString().Contains("/two", StringComparison.Ordinal))
                    {
                        break;
                    }
                }

                await Task.Delay(50);
            }

            lock (received)
            {
                return $"legacy={received["legacy"]}|octets={received["octets"]}";
            }
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("legacy=GET /ok/one 200\nGET /two 404\n|octets=18 <6>GET /ok/one 200" + "15 <6>GET /two 404", reference);
        Assert.Equal(reference, ours);
    }
}
