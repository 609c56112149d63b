using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Http;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Queues;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// Server `maxconn`, the queues and `timeout queue`, with the real program between raw clients and a recording
/// server (RELIABILITY RES-08, FT-08 "in queue").
/// </summary>
public class QueueTests
{
    /// <summary>A server that answers each request once the test opens its gate, counting how many it holds at once.</summary>
    private sealed class GatedServer : IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> _arrivals = new();
        private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _inFlight;
        private int _maxInFlight;

        public GatedServer()
        {
            Backend = RecordingBackend.Start(async request =>
            {
                _arrivals.Enqueue(request.Target);
                var now = Interlocked.Increment(ref _inFlight);
                InterlockedMax(ref _maxInFlight, now);
                await _gate.Task.WaitAsync(TestTimeout.Token());
                Interlocked.Decrement(ref _inFlight);
                return CannedResponse.Ok("served " + request.Target);
            });
        }

        public RecordingBackend Backend { get; }

        public string[] Arrivals => [.. _arrivals];

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public void Open() => _gate.TrySetResult();

        public async Task WaitArrivalsAsync(int count)
        {
            var deadline = DateTime.UtcNow + TestTimeout.Value;
            while (_arrivals.Count < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {_arrivals.Count} requests arrived");
                await Task.Delay(20);
            }
        }

        public async ValueTask DisposeAsync()
        {
            Open();
            await Backend.DisposeAsync();
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    /// <summary>The Tw of a `-d` line: `client [fe] be/srv Tw/Tc/Tr/Ta ...`.</summary>
    private static long Tw(string line) =>
        long.Parse(line.Split(' ')[3].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture);

    private static string Config(int port, string server, string backend = "") => Http.Config(port, server, backend: backend);

    private static async Task<ISluiceInstance> StartAsync(string config, int port) =>
        await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);

    private static async Task<RawHttpConnection> SendAsync(int port, string path)
    {
        var connection = await RawHttpConnection.ConnectAsync(port);
        await connection.SendAsync(Http.Get(path));
        return connection;
    }

    [Fact]
    public async Task MaxConn1_QueuedRequests_ServedOneAtATimeInArrivalOrder()
    {
        await using var server = new GatedServer();
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Config(port, $"server s1 {server.Backend.Address} maxconn 1", "    timeout queue 30s"), port);

        var clients = new List<RawHttpConnection> { await SendAsync(port, "/1") };
        await server.WaitArrivalsAsync(1);
        for (var i = 2; i <= 5; i++)
        {
            clients.Add(await SendAsync(port, "/" + i));

            // Generous spacing so that each request is in the queue before the next one comes.
            await Task.Delay(150);
        }

        Assert.Single(server.Arrivals);
        server.Open();
        for (var i = 0; i < clients.Count; i++)
        {
            var response = await clients[i].ReadResponseAsync();
            Assert.NotNull(response);
            Assert.Equal(200, response.Status);
            Assert.Equal("served /" + (i + 1), response.BodyText);
            clients[i].Dispose();
        }

        Assert.Equal(["/1", "/2", "/3", "/4", "/5"], server.Arrivals);
        Assert.Equal(1, server.MaxInFlight);

        // The queued ones waited (Tw > 0) and the first did not.
        Assert.Equal(0, Tw(await Http.WaitLineAsync(sluice, l => l.Contains("\"GET /1 ", StringComparison.Ordinal))));
        Assert.True(Tw(await Http.WaitLineAsync(sluice, l => l.Contains("\"GET /5 ", StringComparison.Ordinal))) >= 100);
    }

    [Fact]
    public async Task TimeoutQueue_ServerFull_503sQAfterTheTimeout()
    {
        await using var server = new GatedServer();
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Config(port, $"server s1 {server.Backend.Address} maxconn 1", "    timeout queue 400ms"), port);

        using var first = await SendAsync(port, "/held");
        await server.WaitArrivalsAsync(1);
        var started = DateTime.UtcNow;
        using var second = await SendAsync(port, "/queued");
        var response = await second.ReadResponseAsync();
        var waited = DateTime.UtcNow - started;

        Assert.NotNull(response);
        Assert.Equal(503, response.Status);
        Assert.True(waited >= TimeSpan.FromMilliseconds(350), $"answered after {waited.TotalMilliseconds} ms");
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("/queued", StringComparison.Ordinal));
        Assert.Contains(" 503 ", line, StringComparison.Ordinal);
        Assert.Contains(" sQ ", line, StringComparison.Ordinal);

        // The request that timed out never reached the server; the held one is still served.
        server.Open();
        var held = await first.ReadResponseAsync();
        Assert.Equal(200, held!.Status);
        Assert.Equal(["/held"], server.Arrivals);
    }

    /// <summary>
    /// RELIABILITY RES-08, `maxqueue`: requests that a cookie binds to a full server wait in its queue up to
    /// `maxqueue`; the next one gets 503 `SQ`, or with `option redispatch` goes to another server.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RES_08_PinnedServerQueueFull_503SQ_OrRedispatchedWithOptionRedispatch(bool redispatch)
    {
        await using var pinned = new GatedServer();
        await using var other = RecordingBackend.Start(_ => CannedResponse.Ok("from s2"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Config(port,
            $"server s1 {pinned.Backend.Address} maxconn 1 maxqueue 1 cookie s1\n    server s2 {other.Address} cookie s2",
            "    timeout queue 30s\n    cookie SRV insert indirect nocache" + (redispatch ? "\n    option redispatch" : string.Empty)), port);

        async Task<RawHttpConnection> SendPinnedAsync(string path)
        {
            var connection = await RawHttpConnection.ConnectAsync(port);
            await connection.SendAsync(Http.Get(path, "Cookie: SRV=s1\r\n"));
            return connection;
        }

        using var held = await SendPinnedAsync("/held");
        await pinned.WaitArrivalsAsync(1);
        using var queued = await SendPinnedAsync("/queued");
        await Task.Delay(200);
        using var overflow = await SendPinnedAsync("/overflow");
        var response = await overflow.ReadResponseAsync();
        Assert.NotNull(response);
        if (redispatch)
        {
            Assert.Equal(200, response.Status);
            Assert.Equal("from s2", response.BodyText);
        }
        else
        {
            Assert.Equal(503, response.Status);
            Assert.Contains(" SQ", await Http.WaitLineAsync(sluice, l => l.Contains("/overflow", StringComparison.Ordinal)), StringComparison.Ordinal);
            Assert.Empty(other.Requests);
        }

        pinned.Open();
        Assert.Equal(200, (await held.ReadResponseAsync())!.Status);
        Assert.Equal(200, (await queued.ReadResponseAsync())!.Status);
        Assert.Equal(["/held", "/queued"], pinned.Arrivals);
    }

    /// <summary>
    /// HAProxy's pendconn_redistribute: with `option redispatch`, a server that goes down hands the requests waiting
    /// in its own queue to the other servers, and its DOWN line counts them as requeued.
    /// </summary>
    [Fact]
    public async Task ServerGoesDown_RequestInItsQueueServedByTheOther_CountedRequeued()
    {
        await using var pinned = new GatedServer();
        await using var other = RecordingBackend.Start(_ => CannedResponse.Ok("from s2"));
        await using var health = await Checks.CheckPeer.StartAsync("health");
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Config(port,
            $"server s1 {pinned.Backend.Address} maxconn 1 cookie s1 check port {health.Port} inter 1s fall 1\n    server s2 {other.Address} cookie s2",
            "    timeout queue 30s\n    cookie SRV insert indirect nocache\n    option redispatch\n    option httpchk GET /"), port);

        async Task<RawHttpConnection> SendPinnedAsync(string path)
        {
            var connection = await RawHttpConnection.ConnectAsync(port);
            await connection.SendAsync(Http.Get(path, "Cookie: SRV=s1\r\n"));
            return connection;
        }

        using var held = await SendPinnedAsync("/held");
        await pinned.WaitArrivalsAsync(1);
        using var queued = await SendPinnedAsync("/queued");
        await Task.Delay(300);
        Assert.Empty(other.Requests);

        await health.StopAsync();
        var response = await queued.ReadResponseAsync();
        Assert.Equal(200, response!.Status);
        Assert.Equal("from s2", response.BodyText);
        var down = await sluice.Output.WaitForAsync(l => l.Contains("Server be/s1 is DOWN", StringComparison.Ordinal));
        Assert.EndsWith("1 sessions active, 1 requeued, 0 remaining in queue.", down[0], StringComparison.Ordinal);

        pinned.Open();
        Assert.Equal(200, (await held.ReadResponseAsync())!.Status);
        Assert.Equal(["/held"], pinned.Arrivals);
    }

    [Fact]
    public async Task NoTimeoutQueue_TimeoutConnectBoundsTheWait()
    {
        await using var server = new GatedServer();
        var port = Ports.FreeListeningPort();
        var config = Http.Config(port, $"server s1 {server.Backend.Address} maxconn 1").Replace("timeout connect 2s", "timeout connect 300ms", StringComparison.Ordinal);
        await using var sluice = await StartAsync(config, port);

        using var first = await SendAsync(port, "/held");
        await server.WaitArrivalsAsync(1);
        using var second = await SendAsync(port, "/queued");
        var response = await second.ReadResponseAsync();

        Assert.Equal(503, response!.Status);
        Assert.Contains(" sQ ", await Http.WaitLineAsync(sluice, l => l.Contains("/queued", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    /// <summary>RELIABILITY FT-08 (queue): with or without `option abortonclose`, a client that closes while queued takes
    /// its request with it (HAProxy without the option would still send it to a server nobody answers to).</summary>
    [Theory]
    [InlineData("")]
    [InlineData("    option abortonclose")]
    public async Task FT_08_ClientLeavesQueue_RequestRemovedAndNeverSent(string option)
    {
        await using var server = new GatedServer();
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Config(port, $"server s1 {server.Backend.Address} maxconn 1", "    timeout queue 30s\n" + option), port);

        using var first = await SendAsync(port, "/held");
        await server.WaitArrivalsAsync(1);
        var leaving = await SendAsync(port, "/gone");
        await Task.Delay(200);
        leaving.Socket.Close();
        leaving.Dispose();

        var line = await Http.WaitLineAsync(sluice, l => l.Contains("/gone", StringComparison.Ordinal));
        Assert.Contains(" CQ ", line, StringComparison.Ordinal);

        using var third = await SendAsync(port, "/next");
        await Task.Delay(150);
        server.Open();
        Assert.Equal(200, (await first.ReadResponseAsync())!.Status);
        Assert.Equal("served /next", (await third.ReadResponseAsync())!.BodyText);
        Assert.Equal(["/held", "/next"], server.Arrivals);
    }

    [Fact]
    public async Task Http2ClientGivesUpWhileQueued_RequestRemovedCQ()
    {
        await using var server = new GatedServer();
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Config(port, $"server s1 {server.Backend.Address} maxconn 1", "    timeout queue 30s"), port);

        using var first = await SendAsync(port, "/held");
        await server.WaitArrivalsAsync(1);
        var gaveUp = await Http.CurlAsync("--http2-prior-knowledge", "--max-time", "1", Http.Url(port, "/h2gone"));
        Assert.NotEqual(0, gaveUp.ExitCode);

        var line = await Http.WaitLineAsync(sluice, l => l.Contains("/h2gone", StringComparison.Ordinal));
        Assert.Contains(" CQ ", line, StringComparison.Ordinal);
        server.Open();
        Assert.Equal(200, (await first.ReadResponseAsync())!.Status);
        Assert.Equal(["/held"], server.Arrivals);
    }

    [Fact]
    public async Task TwoServersMaxConn2_TwentyConcurrentCurls_AllServedNeverAboveLimits()
    {
        var inFlight = new int[2];
        var peak = new int[2];
        RecordingBackend Start(int index) => RecordingBackend.Start(async _ =>
        {
            var now = Interlocked.Increment(ref inFlight[index]);
            lock (peak)
            {
                peak[index] = Math.Max(peak[index], now);
            }

            await Task.Delay(100);
            Interlocked.Decrement(ref inFlight[index]);
            return CannedResponse.Ok("s" + index);
        });
        await using var a = Start(0);
        await using var b = Start(1);
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Config(port, $"server s0 {a.Address} maxconn 2\n    server s1 {b.Address} maxconn 2", "    timeout queue 30s"), port);

        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, "/"))));

        Assert.All(results, r => Assert.Equal("200", r.StandardOutput));
        Assert.InRange(peak[0], 1, 2);
        Assert.InRange(peak[1], 1, 2);
        Assert.Equal(20, a.Requests.Count + b.Requests.Count);
    }

    /// <summary>A tcp listener whose one server takes one connection at a time; the others wait up to <paramref name="queueTimeout"/>.</summary>
    private static string TcpQueueConfig(int port, string server, string queueTimeout) => $"""
        defaults
            mode tcp
            timeout connect 2s
            timeout client 10s
            timeout server 10s
            timeout queue {queueTimeout}
        listen app
            bind 127.0.0.1:{port}
            server s1 {server} maxconn 1
        """;

    [Fact]
    public async Task ModeTcp_MaxConn1_SecondConnectionWaitsForTheFirst()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        var config = TcpQueueConfig(port, echo.Address, "20s");
        await using var sluice = await StartAsync(config, port);
        var probes = echo.Total;

        using var first = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("one", await TestClient.EchoRoundTripAsync(first, "one"));
        using var second = await TestClient.ConnectTcpAsync(port);
        await second.SendAsync(Encoding.ASCII.GetBytes("two"), SocketFlags.None);
        await Task.Delay(300);
        Assert.Equal(probes + 1, echo.Total);

        first.Shutdown(SocketShutdown.Both);
        first.Close();
        Assert.Equal("two", await TestClient.ReadExactlyAsync(second, 3));
        Assert.Equal(probes + 2, echo.Total);
    }

    [Fact]
    public async Task ModeTcp_TimeoutQueue_ConnectionClosedAndLoggedsQ()
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        var port = Ports.FreeListeningPort();
        var config = TcpQueueConfig(port, echo.Address, "300ms");
        await using var sluice = await StartAsync(config, port);
        var probes = echo.Total;

        using var first = await TestClient.ConnectTcpAsync(port);
        Assert.Equal("one", await TestClient.EchoRoundTripAsync(first, "one"));
        using var second = await TestClient.ConnectTcpAsync(port);
        Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(second));
        var line = (await sluice.Output.WaitForAsync(l => l.Contains(" sQ ", StringComparison.Ordinal)))[^1];
        Assert.Contains("app/<NOSRV>", line, StringComparison.Ordinal);
        Assert.Equal(probes + 1, echo.Total);
    }

    /// <summary>
    /// A tcp connection whose server refuses it is retried there until that server goes into maintenance; then it is
    /// redispatched while the only other server (a backup) is at its `maxconn`, waits in the queue again, and
    /// `timeout queue` ends it there. It never reaches the busy server. haproxy 2.6 first, then Sluice: both end it
    /// a `timeout queue` after the maintenance, logged `SC` (the connection errors came first).
    /// </summary>
    [Fact]
    public async Task ModeTcp_RedispatchedWhileEveryServerIsFull_WaitsInTheQueueWithinTimeoutQueue_AsHAProxy()
    {
        static string Config(int port, string socket, string live, int refused) => $"""
            global
                stats socket {socket} level admin
                log stdout format raw local0
            defaults
                mode tcp
                log global
                option tcplog
                timeout connect 2s
                timeout client 20s
                timeout server 20s
                timeout queue 1s
            listen app
                bind 127.0.0.1:{port}
                retries 1000
                option redispatch
                server live {live} maxconn 1 backup
                server dead 127.0.0.1:{refused} maxconn 1 disabled
            """;

        foreach (var oracle in new[] { true, false })
        {
            await using var echo = TestServer.Tcp(TestServer.Echo);
            var (port, refused) = (Ports.FreeListeningPort(), Ports.FreeListeningPort());
            var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
            var config = Config(port, socket, echo.Address, refused);
            await using IAsyncDisposable proxy = oracle ? await HaproxyOracle.StartAsync(config, socket) : await StartAsync(config, port);
            var output = proxy is HaproxyOracle haproxy ? haproxy.Output : ((ISluiceInstance)proxy).Output;
            await StatsPeers.WaitForUnixSocketAsync(socket);
            var probes = echo.Total;

            // The backup takes the first connection while the active server is in maintenance.
            using var first = await TestClient.ConnectTcpAsync(port);
            Assert.Equal("one", await TestClient.EchoRoundTripAsync(first, "one"));
            await StatsPeers.UnixAsync(socket, "set server app/dead state ready");
            using var second = await TestClient.ConnectTcpAsync(port);
            await TestTimeout.WaitUntilAsync(async () => RetriesOf(await StatsPeers.UnixAsync(socket, "show stat")) > 0);
            await StatsPeers.UnixAsync(socket, "set server app/dead state maint");
            var maintenance = DateTime.UtcNow;

            Assert.Equal(string.Empty, await TestClient.ReadToEndAsync(second));
            Assert.InRange(DateTime.UtcNow - maintenance, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
            // The line of the second connection: the readiness probe's ends `--`.
            var line = (await output.WaitForAsync(l => l.Contains(" app app/", StringComparison.Ordinal) && !l.Contains(" -- ", StringComparison.Ordinal)))[^1];
            Assert.True(line.Contains(" SC ", StringComparison.Ordinal), line);
            Assert.Equal(probes + 1, echo.Total);
            Assert.Equal("still", await TestClient.EchoRoundTripAsync(first, "still"));
        }

        static int RetriesOf(string csv) => int.Parse(StatsPeers.ParseCsv(csv)["app/dead"]["wretr"], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A request whose answer is retried (`retry-on 503`, `option redispatch`) while both servers are at their
    /// `maxconn`, one of them taken at once by a request from the queue: it waits in the queue again and is served.
    /// Under haproxy 2.6 first, then Sluice, the same answers.
    /// </summary>
    [Fact]
    public async Task RetriedRequest_AllServersFull_QueuedAgainAndServed_AsHAProxy()
    {
        static string Config(int port, string s1, string s2) => $"""
            defaults
                mode http
                timeout connect 2s
                timeout client 30s
                timeout server 30s
                timeout queue 30s
            frontend fe
                bind 127.0.0.1:{HAProxyPeer.Port(port)}
                default_backend be
            backend be
                balance first
                retries 2
                option redispatch
                retry-on 503
                server s1 {s1} maxconn 1
                server s2 {s2} maxconn 1
            """;

        var haproxyPort = Ports.FreeListeningPort();
        string[] reference;
        await using (var rig = new RetryRig())
        await using (var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort, rig.First.Address, rig.Second.Address), haproxyPort))
        {
            reference = await rig.RunAsync(haproxyPort);
        }

        await using var ours = new RetryRig();
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, ours.First.Address, ours.Second.Address), [ReadyProbe.Tcp(port)]);
        var answers = await ours.RunAsync(port);

        Assert.Equal(["200 s1 /a", "200 s2 /c", "200 s2 /b"], reference);
        Assert.Equal(reference, answers);
    }

    /// <summary>
    /// s1 holds `/a` until its gate opens; s2 holds the first `/b` until its gate opens and answers it 503, then
    /// answers everything at once.
    /// </summary>
    private sealed class RetryRig : IAsyncDisposable
    {
        private readonly TaskCompletionSource _gateA = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _gateB = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _bSeen;

        public RetryRig()
        {
            First = RecordingBackend.Start(async request =>
            {
                if (request.Target == "/a")
                {
                    await _gateA.Task.WaitAsync(TestTimeout.Token());
                }

                return CannedResponse.Ok("s1 " + request.Target);
            });
            Second = RecordingBackend.Start(async request =>
            {
                if (request.Target == "/b" && Interlocked.Increment(ref _bSeen) == 1)
                {
                    await _gateB.Task.WaitAsync(TestTimeout.Token());
                    return CannedResponse.Ok("busy", status: 503, reason: "Service Unavailable");
                }

                return CannedResponse.Ok("s2 " + request.Target);
            });
        }

        public RecordingBackend First { get; }

        public RecordingBackend Second { get; }

        /// <summary>`/a` takes s1, `/b` s2, `/c` waits in the queue; then s2 refuses `/b` and `/a` ends.</summary>
        public async Task<string[]> RunAsync(int port)
        {
            using var a = await RawHttpConnection.ConnectAsync(port);
            await a.SendAsync(Http.Get("/a"));
            await First.WaitForRequestsAsync(1);
            using var b = await RawHttpConnection.ConnectAsync(port);
            await b.SendAsync(Http.Get("/b"));
            await Second.WaitForRequestsAsync(1);
            using var c = await RawHttpConnection.ConnectAsync(port);
            await c.SendAsync(Http.Get("/c"));

            // Nothing shows that /c is queued but its absence from both servers; a late /c still gets an answer.
            await Task.Delay(500);
            Assert.Single(First.Requests);
            Assert.Single(Second.Requests);

            _gateB.TrySetResult();
            var third = (await c.ReadResponseAsync())!;

            // The queued /b takes s2 as /c frees it; s1 opens only then, or a busy machine could hand /b to either.
            await Second.WaitForRequestsAsync(3);
            _gateA.TrySetResult();
            var first = (await a.ReadResponseAsync())!;
            var second = (await b.ReadResponseAsync())!;
            return [$"{first.Status} {first.BodyText}", $"{third.Status} {third.BodyText}", $"{second.Status} {second.BodyText}"];
        }

        public async ValueTask DisposeAsync()
        {
            _gateA.TrySetResult();
            _gateB.TrySetResult();
            await First.DisposeAsync();
            await Second.DisposeAsync();
        }
    }
}
