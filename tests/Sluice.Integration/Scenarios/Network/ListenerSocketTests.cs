using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Xunit.Abstractions;

namespace Sluice.Integration.Scenarios.Network;

/// <summary>
/// Listening sockets below HTTP: SO_REUSEPORT shared by processes and by `nbthread` accept loops, and the bind
/// options that need a network of their own (`interface`, `namespace`, `transparent`), tested in namespaces the
/// test makes.
/// </summary>
public sealed class ListenerSocketTests(ITestOutputHelper output)
{
    private const string Defaults = """
        defaults
            mode http
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        """;

    private static string P(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string Answering(string name, string bind, string global = "") => $"""
        global
        {global}
        {Defaults}
        frontend fe
            bind {bind}
            http-request return status 200 content-type text/plain string "{name}"
        """;

    /// <summary>One request on a new connection; the body.</summary>
    private static async Task<string> AskAsync(int port)
    {
        using var socket = await TestClient.ConnectTcpAsync(port);
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), SocketFlags.None);
        var answer = await TestClient.ReadToEndAsync(socket);
        return answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
    }

    [Fact]
    public async Task NbThread_SpreadsConnectionsOverItsReusePortSockets()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start(Answering("one", $"127.0.0.1:{P(port)}", "    nbthread 4"));
        for (var i = 0; i < 400; i++)
        {
            Assert.Equal("one", await AskAsync(port));
        }

        var counts = sluice.Host.Listeners.Select(l => l.Accepted).ToArray();
        output.WriteLine("accepted per socket: " + string.Join(' ', counts));
        Assert.Equal(4, counts.Length);
        Assert.Equal(400, counts.Sum());
        // An even spread is 100 each; the kernel hashes each connection's addresses, so allow for chance.
        Assert.All(counts, c => Assert.InRange(c, 50, 150));
    }

    /// <summary>
    /// `shards` sets the sockets of an address and `thread` the threads (accept loops) a bind gets, shared among its
    /// sockets; each socket takes connections. Counted with `ss`, and per socket.
    /// </summary>
    [Theory]
    [InlineData("shards 2", 2, 2)]
    [InlineData("shards by-thread", 4, 1)]
    [InlineData("shards 9", 4, 1)]
    [InlineData("thread 1-2", 2, 1)]
    [InlineData("thread odd shards 1", 1, 2)]
    [InlineData("thread 1/3-", 2, 1)]
    public async Task ShardsAndThread_SetTheSocketsAndAcceptLoopsOfABind(string options, int sockets, int loopsEach)
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start(Answering("one", $"127.0.0.1:{P(port)} {options}", "    nbthread 4\n    thread-groups 1"));
        var listening = await Sluice.TestKit.Processes.CommandRunner.RunAsync(Sluice.TestKit.Processes.CommandRunner.Require("ss", "iproute2"), ["-Hltn", $"sport = :{P(port)}"]);
        Assert.Equal(sockets, listening.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        for (var i = 0; i < 40 * sockets; i++)
        {
            Assert.Equal("one", await AskAsync(port));
        }

        Assert.Equal(sockets, sluice.Host.Listeners.Count);
        Assert.All(sluice.Host.Listeners, l => Assert.Equal(loopsEach, l.AcceptLoops));
        Assert.All(sluice.Host.Listeners, l => Assert.True(l.Accepted > 0, "a socket took no connection"));
    }

    [Fact]
    public async Task NoReusePort_NbThreadLoopsShareOneSocket()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = InProcessSluice.Start(Answering("one", $"127.0.0.1:{P(port)}", "    nbthread 3\n    noreuseport"));
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal("one", await AskAsync(port));
        }

        Assert.Equal([30L], sluice.Host.Listeners.Select(l => l.Accepted));
    }

    [Fact]
    public async Task TwoProcessesShareOnePort_AndNoReusePortKeepsItToOne()
    {
        var port = Ports.FreeListeningPort();
        await using var first = await SluiceProcess.StartAsync(Answering("first", $"127.0.0.1:{P(port)}"), [ReadyProbe.Tcp(port)]);
        await using var second = await SluiceProcess.StartAsync(Answering("second", $"127.0.0.1:{P(port)}"), []);
        // The second has no probe of its own (a probe may reach either): it is up once it answers.
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (await AskAsync(port) != "second")
        {
            Assert.True(DateTime.UtcNow < deadline, "the second process never answered:\n" + second.Output.Text);
        }

        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < 400; i++)
        {
            var name = await AskAsync(port);
            seen[name] = seen.GetValueOrDefault(name) + 1;
        }

        output.WriteLine("connections per process: " + string.Join(' ', seen.Select(p => $"{p.Key}={p.Value}")));
        Assert.Equal(400, seen.Values.Sum());
        Assert.InRange(seen.GetValueOrDefault("first"), 120, 280);
        Assert.InRange(seen.GetValueOrDefault("second"), 120, 280);

        var other = Ports.FreeListeningPort();
        await using var alone = await SluiceProcess.StartAsync(Answering("alone", $"127.0.0.1:{P(other)}", "    noreuseport"), [ReadyProbe.Tcp(other)]);
        var late = Path.Combine(Ports.TempDirectory(), "late.cfg");
        await File.WriteAllTextAsync(late, Answering("late", $"127.0.0.1:{P(other)}"));
        var refused = await Sluice.TestKit.Processes.SluiceBinary.RunAsync(["-f", late]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"[ALERT] Starting frontend fe: cannot bind socket (Address already in use) [127.0.0.1:{P(other)}]", refused.StandardError, StringComparison.Ordinal);
    }
}
