using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;
using Proxy = Sluice.Integration.Scenarios.Http.Http;

namespace Sluice.Integration.Scenarios.Grpc;

/// <summary>
/// gRPC end to end through Sluice with python3-grpcio on both sides: the client speaks HTTP/2 to a `bind ... proto
/// h2` or to a bind that detects the preface, the server sits behind `server ... proto h2`. Every kind of call,
/// status and message trailers, messages forwarded as they come, and a large upload in bounded memory.
/// </summary>
public class GrpcTests
{
    public static IEnumerable<object[]> Fronts => [["proto h2"], ["detected"]];

    [Theory]
    [MemberData(nameof(Fronts))]
    public async Task Unary_AnswerAndErrorStatus_TrailersPreserved(string front)
    {
        await using var server = await PythonPeer.StartGrpcEchoServerAsync();
        var (port, probe, config) = Config(server, front);
        await using var sluice = await Proxy.StartAsync(config, probe);

        Assert.Equal("echo:hello", await ClientAsync(port, "unary", "hello"));

        // grpc-status and grpc-message travel in the server's trailers-only answer.
        Assert.Equal("error INVALID_ARGUMENT bad input", await ClientAsync(port, "unary", "fail"));
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("\"POST /test.Echo/Unary HTTP/2.0\"", StringComparison.Ordinal));
        Assert.Contains(" 200 ", line, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Fronts))]
    public async Task ServerStreaming_ThousandMessages_AllArrive(string front)
    {
        await using var server = await PythonPeer.StartGrpcEchoServerAsync();
        var (port, probe, config) = Config(server, front);
        await using var sluice = await Proxy.StartAsync(config, probe);

        Assert.Equal("received 1000 message 999", await ClientAsync(port, "server-stream", "1000"));
    }

    [Theory]
    [MemberData(nameof(Fronts))]
    public async Task ClientStreaming_ThousandMessages_ServerCountsAll(string front)
    {
        await using var server = await PythonPeer.StartGrpcEchoServerAsync();
        var (port, probe, config) = Config(server, front);
        await using var sluice = await Proxy.StartAsync(config, probe);

        Assert.Equal("1000 100000", await ClientAsync(port, "client-stream", "1000", "100"));
    }

    [Theory]
    [MemberData(nameof(Fronts))]
    public async Task Bidirectional_TenThousandMessages_EchoedInOrder(string front)
    {
        await using var server = await PythonPeer.StartGrpcEchoServerAsync();
        var (port, probe, config) = Config(server, front);
        await using var sluice = await Proxy.StartAsync(config, probe);

        Assert.Equal("bidi 10000 ok", await ClientAsync(port, "bidi", "10000"));
    }

    [Fact]
    public async Task Bidirectional_OneMessageAtATime_EachReplyBeforeTheNextMessage()
    {
        await using var server = await PythonPeer.StartGrpcEchoServerAsync();
        var (port, probe, config) = Config(server, "proto h2");
        await using var sluice = await Proxy.StartAsync(config, probe);

        // The client sends the next message only once the previous echo came back: a proxy that held messages back
        // (whole-body buffering, a flush that waits for more) would hang here until the call's deadline.
        Assert.Equal("ping-pong 300 ok", await ClientAsync(port, "ping-pong", "300"));
    }

    [Fact]
    public async Task LongLivedStream_IdleGapsShorterThanTimeouts_Lives()
    {
        await using var server = await PythonPeer.StartGrpcEchoServerAsync();
        var (port, probe, config) = Config(server, "proto h2", timeouts: "1s");
        await using var sluice = await Proxy.StartAsync(config, probe);

        // 12 round trips 300 ms apart: the call lasts well beyond `timeout client` and `timeout server` (1 s), which
        // are inactivity timeouts.
        Assert.Equal("ping-pong 12 ok", await ClientAsync(port, "ping-pong", "12", "0.3"));
    }

    [Fact]
    public async Task ClientStreaming_HundredMebibyteUpload_MemoryBounded()
    {
        await using var server = await PythonPeer.StartGrpcEchoServerAsync();
        var (port, probe, config) = Config(server, "proto h2");
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(probe)]);
        var idle = Proxy.ResidentBytes(sluice.ProcessId);
        using var sampling = new CancellationTokenSource();
        var peak = Proxy.PeakResidentBytesAsync(sluice.ProcessId, sampling.Token);

        Assert.Equal("100 104857600", await ClientAsync(port, "client-stream", "100", "1048576"));
        await sampling.CancelAsync();
        var grown = await peak - idle;
        Assert.True(grown < 48L * 1024 * 1024, $"RSS grew by {grown / 1024 / 1024} MiB during a 100 MiB upload");
    }

    [Theory]
    [MemberData(nameof(Fronts))]
    public async Task TwoThousandCallsAtOnce_EachAnswerIsItsOwn(string front)
    {
        await using var server = await PythonPeer.StartGrpcEchoServerAsync();
        var (port, probe, config) = Config(server, front);
        await using var sluice = await Proxy.StartAsync(config, probe);

        // Far more calls than streams at once on either side: streams in front and behind, and the pipes of their
        // bodies, serve many calls each, and every answer must still carry its own request's message.
        Assert.Equal("parallel 2000 ok", await ClientAsync(port, "parallel", "2000"));
        Assert.Equal("parallel 2000 ok", await ClientAsync(port, "parallel", "2000"));
    }

    [Fact]
    public async Task ServerAllowsTwoStreams_FiftyCallsAtOnce_AllAnswered()
    {
        await using var server = await PythonPeer.StartGrpcEchoServerAsync(maxConcurrentStreams: 2);
        var (port, probe, config) = Config(server, "proto h2");
        await using var sluice = await Proxy.StartAsync(config, probe);

        // 50 POSTs at once against SETTINGS_MAX_CONCURRENT_STREAMS 2: the streams that find no room are sent on other
        // connections, never refused to the client, even though each carries a body.
        Assert.Equal("parallel 50 ok", await ClientAsync(port, "parallel", "50"));
        var lines = Proxy.Lines(sluice);
        Assert.DoesNotContain(lines, l => l.Contains(" 502 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ServerDown_ClientSeesUnavailable()
    {
        // RELIABILITY FT-19: no server to answer is a 503 from the proxy, which gRPC clients read as UNAVAILABLE.
        var closed = Ports.FreeListeningPort();
        var port = Ports.FreeListeningPort();
        var config = Proxy.Config(port, $"server s1 127.0.0.1:{closed.ToString(CultureInfo.InvariantCulture)} proto h2");
        await using var sluice = await Proxy.StartAsync(config, port);

        var answer = await ClientAsync(port, "unary", "hello");
        Assert.StartsWith("error UNAVAILABLE", answer, StringComparison.Ordinal);
        var line = await Proxy.WaitLineAsync(sluice, l => l.Contains("/test.Echo/Unary", StringComparison.Ordinal));
        Assert.Contains(" 503 ", line, StringComparison.Ordinal);
    }

    /// <summary>
    /// A frontend for the client (HTTP/2 forced, or detected on a bind that serves both) and the server behind
    /// `proto h2`. The readiness probe connects and closes, which only a bind without `proto h2` reports: with
    /// `proto h2` it gets a bind of its own.
    /// </summary>
    private static (int Port, int ProbePort, string Config) Config(PythonPeer server, string front, string timeouts = "30s")
    {
        var port = Ports.FreeListeningPort();
        var forced = front == "proto h2";
        var probe = forced ? Ports.FreeListeningPort() : port;
        var binds = forced ? $"    bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)} proto h2" : string.Empty;
        var config = Proxy.Config(probe, $"server s1 {server.Address} proto h2", frontend: binds)
            .Replace("timeout client 10s", "timeout client " + timeouts, StringComparison.Ordinal)
            .Replace("timeout server 10s", "timeout server " + timeouts, StringComparison.Ordinal);
        return (port, probe, config);
    }

    private static async Task<string> ClientAsync(int port, params string[] arguments)
    {
        var result = await CommandRunner.RunAsync(
            PythonPeer.Python, [PythonPeer.Script("grpc_echo_client.py"), port.ToString(CultureInfo.InvariantCulture), .. arguments], timeout: TimeSpan.FromSeconds(150));
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        return result.StandardOutput.Trim();
    }
}
