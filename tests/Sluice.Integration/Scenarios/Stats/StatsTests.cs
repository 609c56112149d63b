using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Checks;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Stats;

/// <summary>
/// The stats of the real program: the CSV is HAProxy 2.6's (compared with Debian's haproxy run in the test), the
/// counters after known traffic match what haproxy counts for the same traffic, the HTML page renders in headless
/// Chromium, `stats auth` and `stats admin` behave as HAProxy's, and the Prometheus exporter's output is read by
/// python's prometheus_client parser.
/// </summary>
public class StatsTests
{
    private static string Config(int port, string socket, string server, string extra = "") => $"""
        global
            stats socket {socket} mode 600 level admin
        defaults
            mode http
            timeout connect 2s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{port}
            http-request deny if {"{"} path /denied {"}"}
        {extra}
            default_backend be
        backend be
            server s1 {server}
        """;

    [Fact]
    public async Task Csv_Header_IdenticalToHaproxy26()
    {
        await using var peer = await CheckPeer.StartAsync("s1");
        var directory = Ports.TempDirectory();
        var haproxySocket = Path.Combine(directory, "h.sock");
        var sluiceSocket = Path.Combine(directory, "s.sock");
        var haproxyPort = Ports.FreeListeningPort();
        var sluicePort = Ports.FreeListeningPort();
        const string Page = "    stats enable\n    stats uri /stats";
        await using var haproxy = await HaproxyOracle.StartAsync(Config(haproxyPort, haproxySocket, peer.Address, Page), haproxySocket);
        await using var sluice = await SluiceProcess.StartAsync(Config(sluicePort, sluiceSocket, peer.Address, Page), [ReadyProbe.Tcp(sluicePort)]);

        var expected = (await StatsPeers.UnixAsync(haproxySocket, "show stat")).Split('\n')[0];
        var actual = (await StatsPeers.UnixAsync(sluiceSocket, "show stat")).Split('\n')[0];
        Assert.StartsWith("# pxname,svname,qcur,", expected, StringComparison.Ordinal);
        Assert.Equal(expected, actual);

        var (status, head, body) = await StatsPeers.CurlAsync(StatsPeers.Url(sluicePort, "/stats;csv"));
        var (_, _, haproxyBody) = await StatsPeers.CurlAsync(StatsPeers.Url(haproxyPort, "/stats;csv"));
        Assert.Equal(200, status);
        Assert.Contains("content-type: text/plain", head, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(haproxyBody.Split('\n')[0], body.Split('\n')[0]);

        // Every row has as many columns as the header, as scripts that split on commas expect.
        var columns = expected.Split(',').Length;
        Assert.All(body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1), line => Assert.Equal(columns, line.Split(',').Length));
    }

    [Fact]
    public async Task Counters_KnownTraffic_SameAsHaproxy()
    {
        await using var peer = await CheckPeer.StartAsync("s1");
        var directory = Ports.TempDirectory();
        var haproxySocket = Path.Combine(directory, "h.sock");
        var sluiceSocket = Path.Combine(directory, "s.sock");
        var haproxyPort = Ports.FreeListeningPort();
        var sluicePort = Ports.FreeListeningPort();
        await using var haproxy = await HaproxyOracle.StartAsync(Config(haproxyPort, haproxySocket, peer.Address), haproxySocket);
        await using var sluice = await SluiceProcess.StartAsync(Config(sluicePort, sluiceSocket, peer.Address), [ReadyProbe.Tcp(sluicePort)]);
        await StatsPeers.UnixAsync(sluiceSocket, "clear counters all");
        await StatsPeers.UnixAsync(haproxySocket, "clear counters all");

        foreach (var port in new[] { haproxyPort, sluicePort })
        {
            for (var i = 0; i < 10; i++)
            {
                // One Host for both, so that the heads counted in bin are the same length.
                var (status, _, body) = await StatsPeers.CurlAsync("-H", "Host: stats.test", StatsPeers.Url(port, "/"));
                Assert.Equal(200, status);
                Assert.Equal("s1", body);
            }

            var (denied, _, _) = await StatsPeers.CurlAsync("-H", "Host: stats.test", StatsPeers.Url(port, "/denied"));
            Assert.Equal(403, denied);
        }

        var ours = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(sluiceSocket, "show stat"));
        var theirs = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(haproxySocket, "show stat"));

        // The figures the traffic fixes: 11 requests, 10 answered 2xx by the server, one denied with 403.
        Assert.Equal("11", ours["fe/FRONTEND"]["req_tot"]);
        Assert.Equal("10", ours["fe/FRONTEND"]["hrsp_2xx"]);
        Assert.Equal("1", ours["fe/FRONTEND"]["hrsp_4xx"]);
        Assert.Equal("1", ours["fe/FRONTEND"]["dreq"]);
        Assert.Equal("10", ours["be/BACKEND"]["stot"]);
        Assert.Equal("10", ours["be/s1"]["stot"]);
        Assert.Equal("10", ours["be/s1"]["hrsp_2xx"]);
        Assert.Equal("UP", ours["be/BACKEND"]["status"]);
        Assert.Equal("no check", ours["be/s1"]["status"]);

        // And the same columns as haproxy's own counting of the same traffic.
        string[] compared = ["req_tot", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other", "dreq", "dresp", "ereq", "econ", "eresp",
            "stot", "lbtot", "status", "weight", "act", "bck", "wretr", "wredis", "type", "mode", "cli_abrt", "srv_abrt", "scur", "pid", "iid", "sid", "bin", "bout"];
        foreach (var row in new[] { "fe/FRONTEND", "be/s1", "be/BACKEND" })
        {
            foreach (var column in compared)
            {
                Assert.True(theirs[row][column] == ours[row][column], $"{row} {column}: haproxy '{theirs[row][column]}', sluice '{ours[row][column]}'");
            }
        }
    }

    [Fact]
    public async Task StatsPage_HeadlessChromium_ScreenshotAndServerTable()
    {
        var chromium = CommandRunner.Require("chromium", "chromium");
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        await using var sluice = await SluiceProcess.StartAsync($"""
            {HaproxyOracle.Preamble(socket)}
            listen web
                bind 127.0.0.1:{port}
                stats enable
                stats uri /admin/stats
                stats refresh 10s
                stats show-legends
                server a {a.Address} check inter 300
                server b {b.Address}
                server c 127.0.0.1:1 check inter 300
            """, [ReadyProbe.Tcp(port)]);
        await sluice.Output.WaitForAsync(l => l.Contains("Server web/c is DOWN", StringComparison.Ordinal));
        await StatsPeers.UnixAsync(socket, "set server web/b state drain");
        for (var i = 0; i < 4; i++)
        {
            await StatsPeers.CurlAsync(StatsPeers.Url(port, "/"));
        }

        var directory = Ports.TempDirectory();
        var png = Path.Combine(directory, "stats.png");
        var url = StatsPeers.Url(port, "/admin/stats;norefresh");
        string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + Path.Combine(directory, "profile")];
        var shot = await CommandRunner.RunAsync(chromium, [.. common, "--window-size=1400,900", "--screenshot=" + png, url], timeout: TimeSpan.FromSeconds(90));
        Assert.True(File.Exists(png), $"no screenshot ({shot.ExitCode}): {shot.StandardError}");
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 10_000, $"screenshot of {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);

        var dom = await CommandRunner.RunAsync(chromium, [.. common, "--dump-dom", url], timeout: TimeSpan.FromSeconds(90));
        var html = dom.StandardOutput;
        Assert.Contains("<table class=\"stats\" data-proxy=\"web\">", html, StringComparison.Ordinal);
        Assert.Matches("<tr class=\"server up\">.*?<th class=\"name\" title=\"127\\.0\\.0\\.1:\\d+\">a</th>", html);
        Assert.Matches("<tr class=\"server drain\">.*?>b</th>", html);
        Assert.Matches("<tr class=\"server down\">.*?>c</th>.*?L4CON", html);
        Assert.Contains("<tr class=\"backend up\">", html, StringComparison.Ordinal);

        var (_, head, page) = await StatsPeers.CurlAsync(StatsPeers.Url(port, "/admin/stats"));
        Assert.Contains("refresh: 10", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("<meta http-equiv=\"refresh\" content=\"10\">", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatsAuth_WithoutCredentials_401WithRealm_AsHaproxy()
    {
        await using var peer = await CheckPeer.StartAsync("s1");
        var directory = Ports.TempDirectory();
        var haproxySocket = Path.Combine(directory, "h.sock");
        var sluiceSocket = Path.Combine(directory, "s.sock");
        var haproxyPort = Ports.FreeListeningPort();
        var sluicePort = Ports.FreeListeningPort();
        const string Page = "    stats enable\n    stats uri /st\n    stats realm Ops\\ only\n    stats auth admin:s3cret";
        await using var haproxy = await HaproxyOracle.StartAsync(Config(haproxyPort, haproxySocket, peer.Address, Page), haproxySocket);
        await using var sluice = await SluiceProcess.StartAsync(Config(sluicePort, sluiceSocket, peer.Address, Page), [ReadyProbe.Tcp(sluicePort)]);

        foreach (var port in new[] { haproxyPort, sluicePort })
        {
            var (status, head, _) = await StatsPeers.CurlAsync(StatsPeers.Url(port, "/st"));
            Assert.Equal(401, status);
            Assert.Contains("www-authenticate: Basic realm=\"Ops only\"", head, StringComparison.OrdinalIgnoreCase);
            var (wrong, _, _) = await StatsPeers.CurlAsync("-u", "admin:nope", StatsPeers.Url(port, "/st"));
            Assert.Equal(401, wrong);
            var (ok, okHead, body) = await StatsPeers.CurlAsync("-u", "admin:s3cret", StatsPeers.Url(port, "/st"));
            Assert.Equal(200, ok);
            Assert.Contains("content-type: text/html", okHead, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("s1", body, StringComparison.Ordinal);
        }

        // Other paths are not the stats page's business.
        var (other, _, proxied) = await StatsPeers.CurlAsync(StatsPeers.Url(sluicePort, "/"));
        Assert.Equal(200, other);
        Assert.Equal("s1", proxied);
    }

    [Fact]
    public async Task StatsAdmin_PostedForm_SetsStateAndRedirects()
    {
        await using var a = await CheckPeer.StartAsync("a");
        await using var b = await CheckPeer.StartAsync("b");
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        await using var sluice = await SluiceProcess.StartAsync(Config(port, socket, a.Address,
            "    acl local src 127.0.0.1\n    stats enable\n    stats uri /st\n    stats admin if local") + $"\n    server s2 {b.Address}\n", [ReadyProbe.Tcp(port)]);

        var (page, _, html) = await StatsPeers.CurlAsync(StatsPeers.Url(port, "/st"));
        Assert.Equal(200, page);
        Assert.Contains("<input type=\"checkbox\" name=\"s\" value=\"s1\">", html, StringComparison.Ordinal);

        var (status, head, _) = await StatsPeers.CurlAsync("--data", "b=be&s=s1&action=maint", StatsPeers.Url(port, "/st"));
        Assert.Equal(303, status);
        Assert.Contains("location: /st;st=DONE", head, StringComparison.OrdinalIgnoreCase);
        var rows = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"));
        Assert.Equal("MAINT", rows["be/s1"]["status"]);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal("b", (await StatsPeers.CurlAsync(StatsPeers.Url(port, "/"))).Body);
        }

        var (again, againHead, _) = await StatsPeers.CurlAsync("--data", "b=be&s=s1&action=ready", StatsPeers.Url(port, "/st"));
        Assert.Equal(303, again);
        Assert.Contains(";st=DONE", againHead, StringComparison.Ordinal);
        Assert.Equal("UP", StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"))["be/s1"]["status"] is "UP" or "no check" ? "UP" : "other");
    }

    [Fact]
    public async Task Prometheus_ParsedByPrometheusClient_ExpectedValues()
    {
        await using var peer = await CheckPeer.StartAsync("s1");
        var port = Ports.FreeListeningPort();
        var socket = Path.Combine(Ports.TempDirectory(), "s.sock");
        await using var sluice = await SluiceProcess.StartAsync(Config(port, socket, peer.Address,
            "    http-request use-service prometheus-exporter if { path /metrics }") + "\n    server s2 127.0.0.1:1 disabled\n", [ReadyProbe.Tcp(port)]);
        await StatsPeers.UnixAsync(socket, "clear counters all");
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(200, (await StatsPeers.CurlAsync(StatsPeers.Url(port, "/"))).Status);
        }

        var (status, head, _) = await StatsPeers.CurlAsync(StatsPeers.Url(port, "/metrics"));
        Assert.Equal(200, status);
        Assert.Contains("content-type: text/plain; version=0.0.4", head, StringComparison.OrdinalIgnoreCase);

        const string Script = """
            import sys, urllib.request
            from prometheus_client.parser import text_string_to_metric_families
            text = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
            for family in text_string_to_metric_families(text):
                for s in family.samples:
                    labels = ",".join("%s=%s" % (k, v) for k, v in sorted(s.labels.items()))
                    print("%s %s{%s} %r" % (family.type, s.name, labels, s.value))
            """;
        var python = await CommandRunner.RunAsync("/usr/bin/python3", ["-c", Script, StatsPeers.Url(port, "/metrics")], timeout: TimeSpan.FromSeconds(60));
        Assert.True(python.ExitCode == 0, $"the parser refused the exposition: {python.StandardError}");
        var samples = python.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        void Has(string sample) => Assert.True(samples.Contains(sample), $"missing '{sample}' in:\n{python.StandardOutput}");

        // The scrape itself is a request too: the first one is counted, the one being served is not finished.
        Has("counter haproxy_frontend_http_requests_total{proxy=fe} 8.0");
        Has("gauge haproxy_frontend_current_sessions{proxy=fe} 1.0");
        Has("counter haproxy_backend_http_responses_total{code=2xx,proxy=be} 7.0");
        Has("counter haproxy_backend_http_responses_total{code=5xx,proxy=be} 0.0");
        Has("counter haproxy_server_sessions_total{proxy=be,server=s1} 7.0");
        Has("gauge haproxy_server_status{proxy=be,server=s1,state=UP} 1.0");
        Has("gauge haproxy_server_status{proxy=be,server=s2,state=MAINT} 1.0");
        Has("gauge haproxy_server_status{proxy=be,server=s2,state=UP} 0.0");
        Has("gauge haproxy_backend_status{proxy=be,state=UP} 1.0");
        Has("histogram sluice_backend_response_time_seconds_count{proxy=be} 7.0");
        Has("histogram sluice_backend_response_time_seconds_bucket{le=+Inf,proxy=be} 7.0");
        Assert.Contains(samples, s => s.StartsWith("gauge haproxy_process_build_info{version=", StringComparison.Ordinal));
        Assert.Contains(samples, s => s == "counter haproxy_frontend_intercepted_requests_total{proxy=fe} 1.0");
    }
}
