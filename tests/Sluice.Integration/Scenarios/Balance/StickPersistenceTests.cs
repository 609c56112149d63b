using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Balance;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// `stick on src` over a `stick-table type ip`: each client address stays on the server that first took it, moves
/// when that server goes into maintenance (the entry follows), is balanced again once its entry is cleared, and stays
/// on a drained server, which takes no new address. The
/// same steps run through haproxy 2.6 first, then Sluice, in mode http and in mode tcp: the same servers answer and
/// `show table` shows the same entries (`server_id`, `server_key`).
/// </summary>
public class StickPersistenceTests
{
    private static RecordingBackend Named(string name) => RecordingBackend.Start(_ => CannedResponse.Ok(name));

    private static string Config(string mode, int port, string socket, RecordingBackend[] servers) => $"""
        global
            stats socket {socket} level admin
        defaults
            mode {mode}
            timeout connect 2s
            timeout client 10s
            timeout server 10s
        listen l
            bind 127.0.0.1:{port}
            balance roundrobin
            stick-table type ip size 100 expire 1m
            stick on src
            server s1 {servers[0].Address}
            server s2 {servers[1].Address}
            server s3 {servers[2].Address}
        """;

    /// <summary>The entries of `show table l` without what differs between runs (the entry's address, its expiry).</summary>
    private static string[] Entries(string table) =>
        [.. table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => Regex.Replace(l, @"^0x[0-9a-f]+: (.*) exp=\d+ (.*)$", "$1 $2")).Order(StringComparer.Ordinal)];

    private static async Task<string> FromAsync(string source, int port)
    {
        var result = await Http.CurlAsync("--interface", source, Http.Url(port, "/"));
        Assert.Equal(0, result.ExitCode);
        return result.StandardOutput;
    }

    private static async Task<List<string>> RunAsync(int port, string socket)
    {
        var seen = new List<string>();
        async Task RequestsAsync(string source, int count)
        {
            for (var i = 0; i < count; i++)
            {
                seen.Add(source + " " + await FromAsync(source, port));
            }
        }

        await RequestsAsync("127.0.0.1", 3);
        await RequestsAsync("127.0.0.2", 3);
        await RequestsAsync("127.0.0.1", 1);
        seen.AddRange(Entries(await StatsPeers.UnixAsync(socket, "show table l")));

        // Its server in maintenance, the first address moves; the entry follows, and stays when the server is back.
        var first = seen[0].Split(' ')[1];
        await StatsPeers.UnixAsync(socket, $"set server l/{first} state maint");
        await RequestsAsync("127.0.0.1", 2);
        await StatsPeers.UnixAsync(socket, $"set server l/{first} state ready");
        await RequestsAsync("127.0.0.1", 2);
        seen.AddRange(Entries(await StatsPeers.UnixAsync(socket, "show table l")));

        // Without its entry the address is balanced again.
        await StatsPeers.UnixAsync(socket, "clear table l key 127.0.0.1");
        await RequestsAsync("127.0.0.1", 2);
        await RequestsAsync("127.0.0.3", 2);

        // A drained server keeps its sticky address and takes no new one.
        var second = seen[3].Split(' ')[1];
        await StatsPeers.UnixAsync(socket, $"set server l/{second} state drain");
        await RequestsAsync("127.0.0.2", 2);
        await RequestsAsync("127.0.0.4", 2);
        seen.AddRange(Entries(await StatsPeers.UnixAsync(socket, "show table l")));
        return seen;
    }

    /// <summary>The steps of <see cref="RunAsync"/>: which server took each request, and the table's entries.</summary>
    private static void AssertSticky(List<string> seen)
    {
        string ServerOf(int i) => seen[i].Split(' ')[1];
        void Same(string server, params int[] requests) => Assert.All(requests, i => Assert.Equal(server, ServerOf(i)));
        static string Entry(string address, string server) => $"key={address} use=0 server_id={server[1..]} server_key={server}";

        var (first, second) = (ServerOf(0), ServerOf(3));
        Assert.NotEqual(first, second);
        Same(first, 1, 2, 6);
        Same(second, 4, 5);
        Assert.Equal([Entry("127.0.0.1", first), Entry("127.0.0.2", second)], seen[7..9]);

        var moved = ServerOf(9);
        Assert.NotEqual(first, moved);
        Same(moved, 10, 11, 12);
        Assert.Equal([Entry("127.0.0.1", moved), Entry("127.0.0.2", second)], seen[13..15]);

        var (again, third, fourth) = (ServerOf(15), ServerOf(17), ServerOf(21));
        Same(again, 16);
        Same(third, 18);
        Same(second, 19, 20);
        Assert.NotEqual(second, fourth);
        Same(fourth, 22);
        Assert.Equal([Entry("127.0.0.1", again), Entry("127.0.0.2", second), Entry("127.0.0.3", third), Entry("127.0.0.4", fourth)], seen[23..]);
    }

    [Theory]
    [InlineData("http")]
    [InlineData("tcp")]
    public async Task StickOnSrc_AddressesStayOnTheirServer_FollowAMove_AsHAProxy(string mode)
    {
        RecordingBackend[] servers = [Named("s1"), Named("s2"), Named("s3")];
        try
        {
            // Ready once the stats socket answers: a probe of the port would be a connection to stick in mode tcp.
            var (reference, ours) = await HaproxyOracle.CompareAsync((port, socket) => Config(mode, port, socket, servers), RunAsync);

            // Both keep every address on one server and their entries name it; where the balancer picks a server
            // for an address without an entry, round robin may pick another one than haproxy's after a state change.
            AssertSticky(reference);
            AssertSticky(ours);
            Assert.Equal(reference[..9], ours[..9]);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// String tables (`type string len 8`): `stick on req.cook(SID)` keeps each session cookie on one server, keys
    /// cut to 8 characters; `track-sc0 req.hdr(x-api-key)` counts each key's requests, and a rule denies a key past
    /// two. haproxy 2.6 first, then Sluice: the same answers and the same `show table` output.
    /// </summary>
    [Fact]
    public async Task StringTables_StickOnCookie_TrackByHeader_AsHAProxy()
    {
        static string Config(int port, string socket, RecordingBackend[] servers) => $"""
            global
                stats socket {socket} level admin
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            listen l
                bind 127.0.0.1:{port}
                balance roundrobin
                stick-table type string len 8 size 100 expire 1m
                stick on req.cook(SID)
                http-request track-sc0 req.hdr(x-api-key) table keys if {"{"} req.hdr(x-api-key) -m found {"}"}
                http-request deny deny_status 429 if {"{"} sc_http_req_cnt(0) gt 2 {"}"}
                server s1 {servers[0].Address}
                server s2 {servers[1].Address}
                server s3 {servers[2].Address}
            backend keys
                stick-table type string len 8 size 100 expire 1m store http_req_cnt
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            foreach (var cookie in new[] { "alpha", "beta", "alpha", "session-number-one", "beta", "session-number-two" })
            {
                var result = await Http.CurlAsync("-b", "SID=" + cookie, Http.Url(port, "/"));
                seen.Add(cookie + " " + result.StandardOutput);
            }

            foreach (var key in new[] { "k1", "k1", "k2", "k1", "k1" })
            {
                var result = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "-H", "x-api-key: " + key, "-b", "SID=alpha", Http.Url(port, "/"));
                seen.Add(key + " " + result.StandardOutput);
            }

            foreach (var table in new[] { "l", "keys" })
            {
                var shown = await StatsPeers.UnixAsync(socket, "show table " + table);
                seen.Add(shown.Split('\n')[0]);
                seen.AddRange(Entries(shown));
            }

            return seen;
        }

        RecordingBackend[] servers = [Named("s1"), Named("s2"), Named("s3")];
        try
        {
            var (reference, ours) = await HaproxyOracle.CompareAsync((port, socket) => Config(port, socket, servers), RunAsync);

            // The reference shows what is asserted: a cookie keeps its server, keys are cut, the third k1 is denied.
            Assert.Equal(reference[0][6..], reference[2][6..]);
            Assert.Equal(reference[3][19..], reference[5][19..]);
            Assert.Equal(["k1 200", "k1 200", "k2 200", "k1 429", "k1 429"], reference[6..11]);
            Assert.Contains(reference, l => l.StartsWith("key=session- use=0 server_id=", StringComparison.Ordinal));
            Assert.Equal(reference, ours);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// `stick store-response res.cook(JSESSIONID)` with `stick match req.cook(JSESSIONID)`: the session cookie a server
    /// sets brings its client back to it. haproxy 2.6 first, then Sluice: the same answers and the same table.
    /// </summary>
    [Fact]
    public async Task StoreResponse_SessionCookieSetByTheServer_BringsItsClientBack_AsHAProxy()
    {
        static string Config(int port, string socket, RecordingBackend[] servers) => $"""
            global
                stats socket {socket} level admin
            defaults
                mode http
                timeout connect 2s
                timeout client 10s
                timeout server 10s
            listen l
                bind 127.0.0.1:{port}
                balance roundrobin
                stick-table type string len 32 size 100 expire 1m
                stick store-response res.cook(JSESSIONID)
                stick match req.cook(JSESSIONID)
                server s1 {servers[0].Address}
                server s2 {servers[1].Address}
                server s3 {servers[2].Address}
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                seen.Add("new " + (await Http.CurlAsync(Http.Url(port, "/"))).StandardOutput);
            }

            foreach (var session in new[] { "s2-session", "s2-session", "s3-session", "s1-session", "s3-session", "unknown" })
            {
                seen.Add(session + " " + (await Http.CurlAsync("-b", "JSESSIONID=" + session, Http.Url(port, "/"))).StandardOutput);
            }

            seen.AddRange(Entries(await StatsPeers.UnixAsync(socket, "show table l")));
            return seen;
        }

        RecordingBackend[] servers = [.. new[] { "s1", "s2", "s3" }.Select(n => RecordingBackend.Start(_ => CannedResponse.Ok(n, headers: [$"Set-Cookie: JSESSIONID={n}-session"])))];
        try
        {
            var (reference, ours) = await HaproxyOracle.CompareAsync((port, socket) => Config(port, socket, servers), RunAsync);

            // The reference shows what is asserted: each known session goes back to the server that set it.
            Assert.Equal(["s2-session s2", "s2-session s2", "s3-session s3", "s1-session s1", "s3-session s3"], reference[3..8]);
            Assert.Equal(reference, ours);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }
}
