using System.Globalization;
using Sluice.Integration.Fixtures;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Network;

/// <summary>
/// Cleartext connections wait for their bytes on Sluice's own epoll loops (docs/internals/event-loop.md); the
/// global `noepoll` keeps them with the runtime's socket engine. Both ways serve HTTP/1.1, prior-knowledge h2c and
/// a pooled server connection that the server closes, and only the first runs threads named for the loops.
/// </summary>
public class EventLoopTests
{
    [Theory]
    [InlineData("", true)]
    [InlineData("noepoll", false)]
    public async Task Traffic_OnTheLoopsOrWithNoepoll_ServedAlike(string global, bool loops)
    {
        await using var backend = RecordingBackend.Start(r => r.Target.StartsWith("/close", StringComparison.Ordinal)
            ? CannedResponse.Ok("closing " + r.Target) with { After = AfterResponse.Close }
            : CannedResponse.Ok("answer " + r.Target));
        var port = Ports.FreeListeningPort();
        var config = Proxy.Config(port, $"server s1 {backend.Address}", backend: "    retries 3\n    http-reuse always")
            .Replace("    maxconn 200", "    maxconn 200\n    " + global, StringComparison.Ordinal);
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);

        var http1 = await Proxy.CurlAsync("-w", " %{http_version}", Proxy.Url(port, "/a"), Proxy.Url(port, "/b"));
        Assert.Equal("answer /a 1.1answer /b 1.1", http1.StandardOutput.Trim());

        // One URL per curl: curl 7.88 fails its second request on a reused prior-knowledge connection, with haproxy too.
        var h2c = await Proxy.CurlAsync("--http2-prior-knowledge", "-w", " %{http_version}", Proxy.Url(port, "/c"));
        Assert.Equal("answer /c 2", h2c.StandardOutput.Trim());

        // The server ends each of these connections after its answer: the next request must not wait on a dead one.
        for (var i = 0; i < 5; i++)
        {
            var closing = await Proxy.CurlAsync(Proxy.Url(port, "/close" + i.ToString(CultureInfo.InvariantCulture)));
            Assert.Equal("closing /close" + i.ToString(CultureInfo.InvariantCulture), closing.StandardOutput);
        }

        Assert.Equal(loops, LoopThreads(sluice.ProcessId) > 0);
    }

    private static int LoopThreads(int processId) =>
        Directory.GetDirectories($"/proc/{processId}/task")
            .Count(task => File.ReadAllText(Path.Combine(task, "comm")).StartsWith("Sluice loop", StringComparison.Ordinal));
}
