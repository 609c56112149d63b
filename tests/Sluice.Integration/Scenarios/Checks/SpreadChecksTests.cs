using System.Globalization;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>`spread-checks`: the intervals between a server's checks vary by up to the percentage either way.</summary>
public class SpreadChecksTests
{
    /// <summary>A check server that prints the time (monotonic, ms) of each connection and answers 200.</summary>
    private const string TimingServer = """
        import socket, time
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        print("listening", listener.getsockname()[1], flush=True)
        while True:
            connection, _ = listener.accept()
            print("AT %.1f" % (time.monotonic() * 1000), flush=True)
            try:
                connection.recv(4096)
                connection.sendall(b"HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n")
            except OSError:
                pass
            connection.close()
        """;

    /// <summary>The times between the checks the server receives, over <paramref name="count"/> checks.</summary>
    private static async Task<List<double>> IntervalsAsync(string global, int count)
    {
        await using var peer = PeerProcess.Start(PythonPeer.Python, ["-c", TimingServer]);
        var listening = await peer.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal)).WaitAsync(TestTimeout.Value);
        var address = "127.0.0.1:" + listening["listening ".Length..];
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync($"""
            global
            {global}
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
                default_backend be
            backend be
                option httpchk GET /
                server s1 {address} check inter 600
            """, [ReadyProbe.Tcp(port)]);

        var times = (await peer.Output.WaitForAsync(l => l.StartsWith("AT ", StringComparison.Ordinal), count + 1))
            .Take(count + 1)
            .Select(l => double.Parse(l["AT ".Length..], CultureInfo.InvariantCulture))
            .ToList();
        return [.. times.Zip(times.Skip(1), (a, b) => b - a)];
    }

    [Fact]
    public async Task SpreadChecks50_IntervalsVaryWithinHalfOfInter_WithoutItTheyStayAtInter()
    {
        var spread = await IntervalsAsync("    spread-checks 50", 10);
        var steady = await IntervalsAsync(string.Empty, 6);

        // The heartbeat starts a check up to one 100 ms tick late.
        Assert.All(spread, ms => Assert.InRange(ms, 250, 1050));
        Assert.True(spread.Max() - spread.Min() > 200, string.Join(", ", spread));
        Assert.All(steady, ms => Assert.InRange(ms, 500, 900));
    }
}
