using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.RateLimit;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// Stick tables for rate limiting: the seed 002 remark `http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }`
/// with `track-sc0 src`, driven by h2load with a bounded request count.
/// </summary>
public partial class StickTableTests
{
    [GeneratedRegex(@"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")]
    private static partial Regex StatusCodes();

    private static async Task<(int Ok, int ClientErrors)> H2LoadAsync(int port, int requests)
    {
        var result = await CommandRunner.RunAsync(CommandRunner.Require("h2load", "nghttp2-client"),
            ["--h1", "-n", requests.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c", "4", Http.Url(port, "/")], timeout: TimeSpan.FromSeconds(60));
        var match = StatusCodes().Match(result.StandardOutput);
        Assert.True(match.Success, result.StandardOutput + result.StandardError);
        return (int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task SeedRateLimit_MoreThan100RequestsIn10s_Denied429()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        var config = Http.Config(port, $"server s1 {backend.Address}", frontend: """
                stick-table type ip size 100k expire 30s store http_req_rate(10s),conn_cur
                http-request track-sc0 src
                http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }
            """);
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);

        var (ok, denied) = await H2LoadAsync(port, 300);

        // The 101st request within the period is over the limit; the rate counts the request being judged.
        Assert.Equal(100, ok);
        Assert.Equal(200, denied);
        Assert.Equal(100, backend.Requests.Count);
        var status = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, "/"));
        Assert.Equal("429", status.StandardOutput);
    }

    [Fact]
    public async Task TrackInOtherTable_ConnCurAndCountsReadable()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        var config = Http.Config(port, $"server s1 {backend.Address}", frontend: """
                http-request track-sc1 src table st_src
                http-request set-header X-Req-Count %[sc1_http_req_cnt]
                http-request set-header X-Conn-Cur %[sc_conn_cur(1)]
                http-request set-header X-Src-Count %[src_http_req_cnt(st_src)]
                http-request set-header X-Src-Own %[src_http_req_cnt]
            """, extra: "backend st_src\n    stick-table type ip size 10 expire 1m store http_req_cnt,conn_cur\n");
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);

        for (var i = 0; i < 3; i++)
        {
            // conn_cur counts connections still open: let the previous one's close be seen first.
            await Task.Delay(i == 0 ? 0 : 300);
            await Http.CurlAsync(Http.Url(port, "/"));
        }

        Assert.Equal(["1", "2", "3"], backend.Requests.Select(r => r.Header("X-Req-Count")));
        Assert.All(backend.Requests, r => Assert.Equal("1", r.Header("X-Conn-Cur")));
        Assert.Equal(["1", "2", "3"], backend.Requests.Select(r => r.Header("X-Src-Count")));

        // The frontend has no table of its own: `src_*` without a table finds nothing to read.
        Assert.All(backend.Requests, r => Assert.Equal(string.Empty, r.Header("X-Src-Own") ?? string.Empty));
    }

    /// <summary>
    /// A full table makes room for a new key by dropping its oldest entry (the one used least recently), unless
    /// `nopurge`, where the new key goes untracked. haproxy 2.6 first, then Sluice: the same `show table` after
    /// each request from 127.0.0.1, .2, .1, .3, .4.
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData(" nopurge")]
    public async Task FullTable_OldestEntryMakesRoom_UnlessNoPurge_AsHAProxy(string option)
    {
        string Config(int port, string socket) => $"""
            {Scenarios.Stats.HaproxyOracle.Preamble(socket)}
            frontend f
                bind 127.0.0.1:{port}
                stick-table type ip size 2 expire 1m store http_req_cnt{option}
                http-request track-sc0 src
                http-request return status 200 content-type text/plain string ok
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            foreach (var source in new[] { "127.0.0.1", "127.0.0.2", "127.0.0.1", "127.0.0.3", "127.0.0.4" })
            {
                Assert.Equal(0, (await Http.CurlAsync("--interface", source, "-o", "/dev/null", Http.Url(port, "/"))).ExitCode);
                var table = await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f");
                seen.Add(string.Join(" ", Regex.Matches(table, @"key=(\S+) use=\d+ exp=\d+ (http_req_cnt=\d+)").Select(m => m.Groups[1].Value + ":" + m.Groups[2].Value)));
            }

            return seen;
        }

        var (reference, ours) = await Scenarios.Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal(option.Length == 0 ? "127.0.0.3:http_req_cnt=1 127.0.0.4:http_req_cnt=1" : "127.0.0.1:http_req_cnt=2 127.0.0.2:http_req_cnt=1", reference[^1]);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// The general purpose counter 0 as an abuse flag: `sc-inc-gpc0(0)` on bad paths (in `http-request` and in
    /// `tcp-request content` rules), a deny once it passes 1, `sc0_clr_gpc0` to reset it, `gpc0_rate(10s)` beside it.
    /// haproxy 2.6 first, then Sluice: the same statuses and the same `show table` lines.
    /// </summary>
    [Fact]
    public async Task Gpc0_IncrementDenyClear_AsHAProxy()
    {
        static string Config(int port, string socket) => $"""
            {Scenarios.Stats.HaproxyOracle.Preamble(socket)}
            frontend f
                bind 127.0.0.1:{port}
                stick-table type ip size 10 expire 1m store gpc0,gpc0_rate(10s),http_req_cnt
                tcp-request content track-sc0 src
                tcp-request content sc-inc-gpc0(0) if {"{"} path_beg /worse {"}"}
                http-request sc-inc-gpc0(0) if {"{"} path_beg /bad {"}"} || {"{"} path_beg /worse {"}"}
                http-request return status 200 content-type text/plain string reset if {"{"} path_beg /reset {"}"} {"{"} sc0_clr_gpc0 ge 0 {"}"}
                http-request deny deny_status 403 if {"{"} sc_get_gpc0(0) gt 1 {"}"}
                http-request return status 200 content-type text/plain string ok
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            foreach (var path in new[] { "/ok", "/bad", "/bad", "/ok", "/reset", "/ok", "/worse", "/ok" })
            {
                var result = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, path));
                seen.Add(path + " " + result.StandardOutput);
            }

            seen.AddRange(Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f")));
            return seen;
        }

        var (reference, ours) = await Scenarios.Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal(["/ok 200", "/bad 200", "/bad 403", "/ok 403", "/reset 200", "/ok 200", "/worse 403", "/ok 403"], reference[..8]);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// Counter 1 of a table with `gpc1`, `gpc1_rate(10s)` and `gpt0`: `sc-inc-gpc1(1)`, `sc-set-gpt0(1)` with an integer
    /// in `tcp-request content` and `http-request` rules, `sc1_clr_gpc1`, and a deny on the tag. haproxy 2.6 first,
    /// then Sluice: the same statuses and `show table` lines.
    /// </summary>
    [Fact]
    public async Task Gpc1AndGpt0_OnCounter1_AsHAProxy()
    {
        static string Config(int port, string socket) => $"""
            {Scenarios.Stats.HaproxyOracle.Preamble(socket)}
            frontend f
                bind 127.0.0.1:{port}
                stick-table type ip size 10 expire 1m store gpc1,gpc1_rate(10s),gpt0
                tcp-request content track-sc1 src
                tcp-request content sc-set-gpt0(1) 3 if {"{"} path_beg /tcp-tag {"}"}
                http-request sc-inc-gpc1(1) if {"{"} path_beg /bad {"}"}
                http-request sc-set-gpt0(1) 7 if {"{"} path_beg /tag {"}"}
                http-request return status 200 content-type text/plain string reset if {"{"} path_beg /reset {"}"} {"{"} sc1_clr_gpc1 ge 0 {"}"}
                http-request deny deny_status 403 if {"{"} sc1_get_gpt0 eq 7 {"}"} || {"{"} sc_get_gpc1(1) gt 2 {"}"}
                http-request return status 200 content-type text/plain string ok
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            foreach (var path in new[] { "/ok", "/bad", "/bad", "/bad", "/reset", "/ok", "/tcp-tag", "/ok" })
            {
                var result = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, path));
                seen.Add(path + " " + result.StandardOutput);
            }

            seen.AddRange(Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f")));
            var tagged = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, "/tag"));
            seen.Add("/tag " + tagged.StandardOutput);
            seen.AddRange(Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f")));
            return seen;
        }

        var (reference, ours) = await Scenarios.Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal(["/ok 200", "/bad 200", "/bad 200", "/bad 403", "/reset 200", "/ok 200", "/tcp-tag 200", "/ok 200"], reference[..8]);
        Assert.Equal("/tag 403", reference[^2]);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `src_inc_gpc0` and `src_clr_gpc0` without any tracking: the client's entry is created by the first increment.
    /// haproxy 2.6 first, then Sluice: the same statuses and `show table` lines.
    /// </summary>
    [Fact]
    public async Task SourceIncrementAndClear_CreateTheEntry_AsHAProxy()
    {
        static string Config(int port, string socket) => $"""
            {Scenarios.Stats.HaproxyOracle.Preamble(socket)}
            frontend f
                bind 127.0.0.1:{port}
                stick-table type ip size 10 expire 1m store gpc0
                http-request return status 200 content-type text/plain string cleared if {"{"} path_beg /clear {"}"} {"{"} src_clr_gpc0 ge 0 {"}"}
                http-request deny deny_status 429 if {"{"} src_inc_gpc0 gt 2 {"}"}
                http-request return status 200 content-type text/plain string ok
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            foreach (var path in new[] { "/clear", "/a", "/a", "/a", "/a", "/clear", "/a" })
            {
                seen.Add(path + " " + (await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, path))).StandardOutput);
            }

            seen.AddRange(Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f")));
            return seen;
        }

        var (reference, ours) = await Scenarios.Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal(["/clear 200", "/a 200", "/a 200", "/a 429", "/a 429", "/clear 200", "/a 200"], reference[..7]);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `sess_cnt` and `sess_rate` count a client connection once, and only when it tracks from `tcp-request
    /// connection|session` rules; `conn_cnt` and `http_req_cnt` beside them. Two requests on one connection and one on
    /// another, tracked from each rule set in turn; haproxy 2.6 first, then Sluice: the same `show table` line.
    /// </summary>
    [Theory]
    [InlineData("tcp-request connection track-sc0 src")]
    [InlineData("tcp-request session track-sc0 src")]
    [InlineData("tcp-request content track-sc0 src")]
    [InlineData("http-request track-sc0 src")]
    public async Task SessionCounters_CountTrackedConnectionsOnce_AsHAProxy(string tracking)
    {
        string Config(int port, string socket) => $"""
            {Scenarios.Stats.HaproxyOracle.Preamble(socket)}
            frontend f
                bind 127.0.0.1:{port}
                stick-table type ip size 10 expire 1m store sess_cnt,sess_rate(10s),conn_cnt,http_req_cnt
                {tracking}
                http-request return status 200 content-type text/plain string ok
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            Assert.Equal(0, (await Http.CurlAsync("-o", "/dev/null", "-o", "/dev/null", Http.Url(port, "/a"), Http.Url(port, "/b"))).ExitCode);
            Assert.Equal(0, (await Http.CurlAsync("-o", "/dev/null", Http.Url(port, "/c"))).ExitCode);
            return [.. Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f"))];
        }

        var (reference, ours) = await Scenarios.Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Contains(tracking.StartsWith("tcp-request connection", StringComparison.Ordinal) || tracking.StartsWith("tcp-request session", StringComparison.Ordinal)
            ? "sess_cnt=2 sess_rate(10000)=2" : "sess_cnt=0 sess_rate(10000)=0", Assert.Single(reference), StringComparison.Ordinal);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `http_fail_cnt`/`http_fail_rate` count the server's 5xx but 501 and 505, and the 502 of a server that closed
    /// without answering; `bytes_in_*`/`bytes_out_*` count what each transaction carried, read in kilobytes by
    /// `sc_kbytes_in`; mode http, with a POST body. haproxy 2.6 first, then Sluice: the same `show table` line after
    /// each request, and the same statuses.
    /// </summary>
    [Fact]
    public async Task FailuresAndBytes_CountedPerTransaction_AsHAProxy()
    {
        await using var server = RecordingBackend.Start(r => r.Target switch
        {
            "/fail" => CannedResponse.Ok("broken", status: 500, reason: "Internal Server Error"),
            "/notimpl" => CannedResponse.Ok("no", status: 501, reason: "Not Implemented"),
            "/busy" => CannedResponse.Ok("busy", status: 503, reason: "Service Unavailable"),
            "/missing" => CannedResponse.Ok("none", status: 404, reason: "Not Found"),
            "/drop" => CannedResponse.Raw(string.Empty, AfterResponse.Close),
            _ => CannedResponse.Ok(new string('x', 3000)),
        });
        string Config(int port, string socket) => $"""
            {Scenarios.Stats.HaproxyOracle.Preamble(socket)}
            frontend f
                bind 127.0.0.1:{port}
                stick-table type ip size 10 expire 1m store http_fail_cnt,http_fail_rate(10s),http_err_cnt,bytes_in_cnt,bytes_in_rate(10s),bytes_out_cnt,bytes_out_rate(10s)
                http-request track-sc0 src
                http-request return status 200 content-type text/plain lf-string "%[sc_kbytes_in(0)]/%[sc0_kbytes_out]/%[sc_http_fail_cnt(0)]/%[sc0_http_fail_rate]" if {"{"} path_beg /read {"}"}
                default_backend b
            backend b
                server s {server.Address}
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            var paths = new[] { "/ok", "/fail", "/notimpl", "/busy", "/missing", "/drop", "/ok" };
            foreach (var p in paths)
            {
                var result = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code} ", Http.Url(port, p));
                seen.Add(result.StandardOutput.Trim());
                seen.AddRange(Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f")));
            }
            var body = Path.Combine(Ports.TempDirectory(), "body");
            await File.WriteAllTextAsync(body, new string('y', 2500));
            seen.Add((await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "@" + body, Http.Url(port, "/ok"))).StandardOutput);
            seen.Add((await Http.CurlAsync(Http.Url(port, "/read"))).StandardOutput);
            seen.AddRange(Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f")));
            return seen;
        }

        var (reference, ours) = await Scenarios.Stats.HaproxyOracle.CompareAsync(Config, RunAsync);


        Assert.Equal(["200", "500", "501", "503", "404", "502", "200"], reference.Where((_, i) => i < 14 && i % 2 == 0));
        Assert.Equal("3/9/3/3", reference[^2]);
        Assert.Contains("http_fail_cnt=3 ", reference[^1], StringComparison.Ordinal);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// Mode tcp: a tunnel's bytes each way count in the entries its connection or content rules track, once the
    /// tunnel is over. haproxy 2.6 first, then Sluice: the same `show table` line.
    /// </summary>
    [Theory]
    [InlineData("tcp-request connection track-sc0 src")]
    [InlineData("tcp-request content track-sc1 src")]
    public async Task TunnelBytes_CountedInTrackedEntries_AsHAProxy(string tracking)
    {
        await using var echo = TestServer.Tcp(TestServer.Echo);
        string Config(int port, string socket) => $"""
            {Scenarios.Stats.HaproxyOracle.Preamble(socket, "tcp")}
            frontend f
                bind 127.0.0.1:{port}
                stick-table type ip size 10 expire 1m store bytes_in_cnt,bytes_out_cnt,bytes_in_rate(10s)
                {tracking}
                default_backend b
            backend b
                server s {echo.Address}
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            using (var client = await TestClient.ConnectTcpAsync(port))
            {
                Assert.Equal("a first line\n", await TestClient.EchoRoundTripAsync(client, "a first line\n"));
                Assert.Equal("and a second, longer one\n", await TestClient.EchoRoundTripAsync(client, "and a second, longer one\n"));
            }

            await Task.Delay(300);
            return [.. Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f"))];
        }

        var (reference, ours) = await Scenarios.Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("key=127.0.0.1 use=0 bytes_in_cnt=38 bytes_in_rate(10000)=38 bytes_out_cnt=38", Assert.Single(reference));
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `type binary [len N]`: a text's bytes, an integer's 8 bytes, cut or padded with zeros to N (32 by default),
    /// shown in hex in key order; the runtime API names no key of such a table, with haproxy's answers. haproxy 2.6
    /// first, then Sluice: the same counts, `show table` lines and answers.
    /// </summary>
    [Fact]
    public async Task BinaryKeys_PaddedCutAndShownInHex_AsHAProxy()
    {
        static string Config(int port, string socket) => $"""
            {Scenarios.Stats.HaproxyOracle.Preamble(socket)}
            frontend f
                bind 127.0.0.1:{port}
                stick-table type binary len 8 size 10 expire 1m store http_req_cnt
                http-request track-sc0 req.hdr(x)
                http-request track-sc1 int(258) table g
                http-request track-sc2 req.hdr(x),hex table g
                http-request return status 200 content-type text/plain lf-string "%[sc_http_req_cnt(0)]"
            backend g
                stick-table type binary size 10 expire 1m store http_req_cnt
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            foreach (var value in new[] { "abc", "abcdefghijkl", "abc", "a b" })
            {
                seen.Add(value + " " + (await Http.CurlAsync("-H", "x: " + value, Http.Url(port, "/"))).StandardOutput);
            }

            seen.Add("none [" + (await Http.CurlAsync(Http.Url(port, "/"))).StandardOutput + "]");
            foreach (var command in new[] { "show table f", "show table g", "show table f key 616263", "set table f key 61 data.http_req_cnt 5", "clear table f key 616263" })
            {
                var answer = await Scenarios.Stats.StatsPeers.UnixAsync(socket, command);
                seen.Add(command + ":");
                seen.AddRange(command.StartsWith("show table", StringComparison.Ordinal) && !command.Contains("key", StringComparison.Ordinal) ? Entries(answer) : [answer.Trim()]);
            }

            return seen;
        }

        var (reference, ours) = await Scenarios.Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal(["abc 1", "abcdefghijkl 1", "abc 2", "a b 1", "none []", "show table f:"], reference[..6]);
        Assert.Equal("key=6162630000000000 use=0 http_req_cnt=2", reference[7]);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// The arrays `gpc(N)`, `gpc_rate(N,P)` and `gpt(N)`: `sc-inc-gpc(I,N)` and `sc-set-gpt(I,N)` in http and tcp rules,
    /// the single-counter actions and fetches on their first elements, an index beyond the array changing and
    /// reading nothing, the `sc_`/`src_` element fetches, `show table` and the runtime API's refusals. haproxy 2.6
    /// first, then Sluice: the same answers and `show table` lines.
    /// </summary>
    [Fact]
    public async Task CounterAndTagArrays_AsHAProxy()
    {
        static string Config(int port, string socket) => $$"""
            {{Scenarios.Stats.HaproxyOracle.Preamble(socket)}}
            frontend f
                bind 127.0.0.1:{{port}}
                stick-table type ip size 10 expire 1m store gpc(3),gpc_rate(2,10s),gpt(2),http_req_cnt
                tcp-request content track-sc1 src
                tcp-request content sc-inc-gpc(2,1) if { req.len ge 0 }
                http-request track-sc0 src
                http-request sc-inc-gpc(1,0) if { path_beg /inc1 }
                http-request sc-inc-gpc(5,0) if { path_beg /inc5 }
                http-request sc-inc-gpc0(0) if { path_beg /inc0 }
                http-request sc-set-gpt(1,0) 42 if { path_beg /tag }
                http-request sc-set-gpt0(0) 7 if { path_beg /tag0 }
                http-request return status 200 content-type text/plain lf-string "%[sc_get_gpc(0,0)] %[sc_get_gpc(1,0)] %[sc_get_gpc(2,1)] %[sc_gpc_rate(1,0)] [%[sc_gpc_rate(2,0)]] %[sc_get_gpt(1,0)] %[sc_get_gpc0(0)] %[sc0_get_gpt0] %[src_get_gpc(1,f)] %[src_gpc_rate(0,f)] %[src_get_gpt(1,f)] [%[sc_get_gpc(7,0)]]" if { path_beg /read }
                http-request return status 200 content-type text/plain string ok
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string>();
            foreach (var path in new[] { "/read", "/inc1", "/inc1", "/inc5", "/inc0", "/tag", "/tag0", "/read" })
            {
                seen.Add(path + " " + (await Http.CurlAsync(Http.Url(port, path))).StandardOutput);
            }

            seen.AddRange(Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f")));
            foreach (var command in new[] { "set table f key 127.0.0.1 data.gpc 5", "show table f data.gpc(1) gt 1", "show table f data.gpc0 gt 0" })
            {
                seen.Add(command + ": " + (await Scenarios.Stats.StatsPeers.UnixAsync(socket, command)).Trim());
            }

            return seen;
        }

        var (reference, ours) = await Scenarios.Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("/read 1 2 8 2 [] 42 1 7 2 1 42 []", reference[7]);
        Assert.Equal("key=127.0.0.1 use=0 http_req_cnt=16 gpt0=7 gpt1=42 gpc0=1 gpc1=2 gpc2=8 gpc0_rate(10000)=1 gpc1_rate(10000)=2", reference[8]);
        Assert.Equal(reference, ours);
    }

    /// <summary>
    /// `sc_NAME(N,TABLE)` and `scN_NAME(TABLE)`: the tracked key's entry in another table, looked up without being
    /// created (0 while absent), nothing for an untracked counter; the actions change the tracked entry only. haproxy
    /// 2.6 first, then Sluice: the same answers and `show table` lines.
    /// </summary>
    [Fact]
    public async Task CounterFetches_InAnotherTable_AsHAProxy()
    {
        static string Config(int port, string socket) => $$"""
            {{Scenarios.Stats.HaproxyOracle.Preamble(socket)}}
            frontend f
                bind 127.0.0.1:{{port}}
                stick-table type ip size 10 expire 1m store http_req_cnt,gpc0
                http-request track-sc0 src
                http-request sc-inc-gpc0(0) if { path_beg /inc }
                http-request return status 200 content-type text/plain lf-string "%[sc_http_req_cnt(0)] [%[sc_http_req_cnt(0,other)]] [%[sc0_get_gpc0(other)]] [%[sc_http_req_cnt(1,other)]]"
            backend other
                stick-table type ip size 10 expire 1m store http_req_cnt,gpc0
            """;

        static async Task<List<string>> RunAsync(int port, string socket)
        {
            var seen = new List<string> { (await Http.CurlAsync(Http.Url(port, "/a"))).StandardOutput };
            seen.Add((await Scenarios.Stats.StatsPeers.UnixAsync(socket, "set table other key 127.0.0.1 data.http_req_cnt 7 data.gpc0 3")).Trim());
            seen.Add((await Http.CurlAsync(Http.Url(port, "/inc"))).StandardOutput);
            seen.AddRange(Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table other")));
            seen.AddRange(Entries(await Scenarios.Stats.StatsPeers.UnixAsync(socket, "show table f")));
            return seen;
        }

        var (reference, ours) = await Scenarios.Stats.HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal(["1 [0] [0] []", string.Empty, "2 [7] [3] []"], reference[..3]);
        Assert.Equal(reference, ours);
    }

    /// <summary>`show table` lines without what differs between runs (the entry's address, its expiry).</summary>
    private static IEnumerable<string> Entries(string table) =>
        table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => Regex.Replace(l, @"^0x[0-9a-f]+: (.*) exp=\d+ (.*)$", "$1 $2"));

    [Fact]
    public async Task Check_MissingTable_Alert()
    {
        var dir = Directory.CreateTempSubdirectory("sluice-st-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "t.cfg"), Http.Config(8, "server s1 127.0.0.1:1", frontend: "    http-request track-sc0 src table nowhere"));
        var result = await SluiceBinary.RunAsync(["-c", "-f", "t.cfg"], dir);
        Directory.Delete(dir, true);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unable to find table 'nowhere' referenced by track-sc0", result.StandardError, StringComparison.Ordinal);
    }
}
