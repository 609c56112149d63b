using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Http;

namespace Sluice.Integration.Scenarios.Persistence;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// `cookie` persistence with the real program, curl's cookie engine as the client and recording servers. The
/// Set-Cookie forms are the ones HAProxy 2.6 writes for the same configuration.
/// </summary>
public class CookieTests
{
    private static async Task<ISluiceInstance> StartAsync(string config, int port) =>
        await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);

    private static RecordingBackend Named(string name, params string[] headers) =>
        RecordingBackend.Start(r => CannedResponse.Ok(name, headers: headers));

    private static string ThreeServers(RecordingBackend a, RecordingBackend b, RecordingBackend c, string options = "") =>
        $"server s1 {a.Address} cookie websrv1{options}\n    server s2 {b.Address} cookie websrv2{options}\n    server s3 {c.Address} cookie websrv3{options}";

    /// <summary>Runs curl once for <paramref name="count"/> requests (URL globbing, one connection), each body on a line.</summary>
    private static async Task<string[]> CurlManyAsync(int port, int count, string? jar)
    {
        string[] cookies = jar is null ? [] : ["-b", jar, "-c", jar];
        var result = await Http.CurlAsync([.. cookies, "-w", "\\n", Http.Url(port, $"/[1-{count}]")]);
        Assert.Equal(0, result.ExitCode);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task Insert_ThousandRequestsWithCookieJar_AllOnOneServer()
    {
        await using var a = Named("s1");
        await using var b = Named("s2");
        await using var c = Named("s3");
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port, ThreeServers(a, b, c), backend: "    cookie SRVID insert nocache"), port);
        var jar = Path.Combine(Ports.TempDirectory(), "jar.txt");

        var bodies = await CurlManyAsync(port, 1000, jar);

        Assert.Equal(1000, bodies.Length);
        var only = Assert.Single(bodies.Distinct());
        var pinned = new[] { a, b, c }[int.Parse(only[1..], System.Globalization.CultureInfo.InvariantCulture) - 1];
        Assert.Equal(1000, pinned.Requests.Count);
        Assert.Contains("websrv" + only[1..], await File.ReadAllTextAsync(jar), StringComparison.Ordinal);

        // Only the first response set the cookie: the others came with it (HAProxy's SF_DIRECT).
        Assert.Null(pinned.Requests[0].Header("Cookie"));
        Assert.All(pinned.Requests.Skip(1), r => Assert.Equal("SRVID=websrv" + only[1..], r.Header("Cookie")));
    }

    [Fact]
    public async Task Insert_WithoutCookie_RequestsSpreadOverServers()
    {
        await using var a = Named("s1");
        await using var b = Named("s2");
        await using var c = Named("s3");
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port, ThreeServers(a, b, c), backend: "    cookie SRVID insert nocache"), port);

        var bodies = await CurlManyAsync(port, 30, jar: null);

        // The readiness probe took no server; round robin gives each one a third.
        Assert.Equal(10, bodies.Count(x => x == "s1"));
        Assert.Equal(10, bodies.Count(x => x == "s2"));
        Assert.Equal(10, bodies.Count(x => x == "s3"));
    }

    [Fact]
    public async Task Insert_SetCookieAndCacheControl_AsHaproxyWritesThem()
    {
        await using var a = RecordingBackend.Start(r => CannedResponse.Ok("s1", headers: r.Target == "/fresh" ? ["Cache-Control: max-age=60"] : ["Set-Cookie: SRVID=fromserver; path=/"]));
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port, $"server s1 {a.Address} cookie websrv1",
            backend: "    cookie SRVID insert indirect nocache httponly secure domain .example.com"), port);

        using var connection = await RawHttpConnection.ConnectAsync(port);
        await connection.SendAsync(Http.Get("/fresh"));
        var fresh = (await connection.ReadResponseAsync())!;
        Assert.Equal(["SRVID=websrv1; path=/; domain=.example.com; HttpOnly; Secure"], fresh.HeaderValues("Set-Cookie"));
        Assert.Equal(["max-age=60", "private"], fresh.HeaderValues("Cache-Control"));

        // The server's own SRVID cookie is replaced by the proxy's; no freshness, so no Cache-control.
        await connection.SendAsync(Http.Get("/own"));
        var own = (await connection.ReadResponseAsync())!;
        Assert.Equal(["SRVID=websrv1; path=/; domain=.example.com; HttpOnly; Secure"], own.HeaderValues("Set-Cookie"));
        Assert.Empty(own.HeaderValues("Cache-Control"));
    }

    [Fact]
    public async Task Indirect_ValidCookie_RemovedFromRequestAndNotSetAgain()
    {
        await using var a = Named("s1");
        await using var b = Named("s2");
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port, $"server s1 {a.Address} cookie websrv1\n    server s2 {b.Address} cookie websrv2",
            backend: "    cookie SRVID insert indirect"), port);

        using var connection = await RawHttpConnection.ConnectAsync(port);
        for (var i = 0; i < 4; i++)
        {
            await connection.SendAsync(Http.Get("/", "Cookie: a=1; SRVID=websrv2; b=2\r\n"));
            var response = (await connection.ReadResponseAsync())!;
            Assert.Equal("s2", response.BodyText);
            Assert.Empty(response.HeaderValues("Set-Cookie"));
        }

        Assert.Empty(a.Requests);
        Assert.All(b.Requests, r => Assert.Equal("a=1; b=2", r.Header("Cookie")));

        // A cookie that names no server: balanced, and the right cookie comes back.
        await connection.SendAsync(Http.Get("/", "Cookie: SRVID=bogus\r\n"));
        var fixedUp = (await connection.ReadResponseAsync())!;
        Assert.Equal("SRVID=websrv" + fixedUp.BodyText[1..] + "; path=/", Assert.Single(fixedUp.HeaderValues("Set-Cookie")));
    }

    [Fact]
    public async Task PinnedServerGoesDown_ClientRepinnedToAnother()
    {
        var a = Named("s1");
        await using var b = Named("s2");
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port,
            // Only s1 is checked: a check of s2 held up on a busy machine would take it down too and leave nothing.
            $"server s1 {a.Address} cookie websrv1 check inter 200ms fall 1 rise 1\n    server s2 {b.Address} cookie websrv2",
            backend: "    cookie SRVID insert indirect nocache\n    option redispatch"), port);

        using var connection = await RawHttpConnection.ConnectAsync(port);
        await connection.SendAsync(Http.Get("/", "Cookie: SRVID=websrv1\r\n"));
        Assert.Equal("s1", (await connection.ReadResponseAsync())!.BodyText);

        await a.DisposeAsync();
        await sluice.Output.WaitForAsync(l => l.Contains("be/s1 is DOWN", StringComparison.Ordinal));
        await connection.SendAsync(Http.Get("/", "Cookie: SRVID=websrv1\r\n"));
        var moved = (await connection.ReadResponseAsync())!;
        Assert.Equal("s2", moved.BodyText);
        Assert.Equal("SRVID=websrv2; path=/", Assert.Single(moved.HeaderValues("Set-Cookie")));

        // With the new cookie the client stays on s2.
        var bodies = await CurlManyAsync(port, 20, jar: null);
        await connection.SendAsync(Http.Get("/", "Cookie: SRVID=websrv2\r\n"));
        Assert.Equal("s2", (await connection.ReadResponseAsync())!.BodyText);
        Assert.All(bodies, x => Assert.Equal("s2", x));
    }

    [Fact]
    public async Task OptionPersist_CookieOfDownServer_StillSentThere()
    {
        await using var a = Named("s1");
        await using var b = Named("s2");
        var port = Ports.FreeListeningPort();

        // s1's check port is closed: s1 is DOWN while its service port answers.
        var closedPort = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port,
            $"server s1 {a.Address} cookie websrv1 check port {closedPort} inter 200ms fall 1\n    server s2 {b.Address} cookie websrv2",
            backend: "    cookie SRVID insert indirect\n    option persist"), port);
        await sluice.Output.WaitForAsync(l => l.Contains("be/s1 is DOWN", StringComparison.Ordinal));

        var pinned = await Http.CurlAsync("-b", "SRVID=websrv1", Http.Url(port, "/"));
        var free = await Http.CurlAsync(Http.Url(port, "/"));
        Assert.Equal("s1", pinned.StandardOutput);
        Assert.Equal("s2", free.StandardOutput);
    }

    /// <summary>
    /// A drained server keeps the clients its cookie names and takes no others; in maintenance it takes none (haproxy
    /// 2.6 does the same).
    /// </summary>
    [Fact]
    public async Task DrainedServer_KeepsItsCookieClients_MaintenanceDoesNot()
    {
        await using var a = Named("s1");
        await using var b = Named("s2");
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        await using var sluice = await StartAsync(Http.Config(port, $"server s1 {a.Address} cookie websrv1\n    server s2 {b.Address} cookie websrv2",
            backend: "    cookie SRVID insert indirect", extra: $"global\n    stats socket {socket} level admin"), port);
        await Scenarios.Stats.StatsPeers.WaitForUnixSocketAsync(socket);

        await Scenarios.Stats.StatsPeers.UnixAsync(socket, "set server be/s1 state drain");
        var pinned = await Http.CurlAsync("-b", "SRVID=websrv1", "-w", "\n", Http.Url(port, "/[1-3]"));
        var free = await Http.CurlAsync("-w", "\n", Http.Url(port, "/[1-3]"));
        Assert.Equal("s1\ns1\ns1\n", pinned.StandardOutput);
        Assert.Equal("s2\ns2\ns2\n", free.StandardOutput);

        await Scenarios.Stats.StatsPeers.UnixAsync(socket, "set server be/s1 state maint");
        Assert.Equal("s2", (await Http.CurlAsync("-b", "SRVID=websrv1", Http.Url(port, "/"))).StandardOutput);
    }

    [Fact]
    public async Task Rewrite_ServerCookieValueReplaced()
    {
        await using var a = Named("s1", "Set-Cookie: JSESSIONID=abc123; path=/; HttpOnly");
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port, $"server s1 {a.Address} cookie websrv1", backend: "    cookie JSESSIONID rewrite"), port);

        var response = await Http.CurlAsync("-i", Http.Url(port, "/"));
        Assert.Contains("JSESSIONID=websrv1; path=/; HttpOnly", response.StandardOutput, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Prefix_ServerCookiePrefixedAndStrippedOnTheWayBack()
    {
        await using var a = Named("s1", "Set-Cookie: JSESSIONID=abc123; path=/");
        await using var b = Named("s2", "Set-Cookie: JSESSIONID=abc123; path=/");
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port, $"server s1 {a.Address} cookie s1\n    server s2 {b.Address} cookie s2",
            backend: "    cookie JSESSIONID prefix"), port);

        var first = await Http.CurlAsync("-i", Http.Url(port, "/"));
        Assert.Contains("JSESSIONID=s1~abc123; path=/", first.StandardOutput, StringComparison.OrdinalIgnoreCase);

        var back = await Http.CurlAsync("-b", "JSESSIONID=s2~xyz", Http.Url(port, "/"));
        Assert.Equal("s2", back.StandardOutput);
        Assert.Equal("JSESSIONID=xyz", b.Requests[^1].Header("Cookie"));
    }

    [Fact]
    public async Task PinnedServerQueueFull_503SQ()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var a = RecordingBackend.Start(async _ =>
        {
            await gate.Task.WaitAsync(TestTimeout.Token());
            return CannedResponse.Ok("s1");
        });
        await using var b = Named("s2");
        var port = Ports.FreeListeningPort();
        var servers = $"server s1 {a.Address} cookie websrv1 maxconn 1 maxqueue 1\n    server s2 {b.Address} cookie websrv2";
        await using var sluice = await StartAsync(Http.Config(port, servers, backend: "    cookie SRVID insert indirect\n    timeout queue 20s"), port);

        try
        {
            using var held = await RawHttpConnection.ConnectAsync(port);
            await held.SendAsync(Http.Get("/held", "Cookie: SRVID=websrv1\r\n"));
            await a.WaitForRequestsAsync(1);
            using var queued = await RawHttpConnection.ConnectAsync(port);
            await queued.SendAsync(Http.Get("/queued", "Cookie: SRVID=websrv1\r\n"));
            await Task.Delay(200);

            using var overflow = await RawHttpConnection.ConnectAsync(port);
            await overflow.SendAsync(Http.Get("/overflow", "Cookie: SRVID=websrv1\r\n"));
            var refused = (await overflow.ReadResponseAsync())!;
            Assert.Equal(503, refused.Status);
            Assert.Contains(" SQ ", await Http.WaitLineAsync(sluice, l => l.Contains("/overflow", StringComparison.Ordinal)), StringComparison.Ordinal);

            gate.TrySetResult();
            Assert.Equal("s1", (await held.ReadResponseAsync())!.BodyText);
            Assert.Equal("s1", (await queued.ReadResponseAsync())!.BodyText);
        }
        finally
        {
            gate.TrySetResult();
        }
    }
}
