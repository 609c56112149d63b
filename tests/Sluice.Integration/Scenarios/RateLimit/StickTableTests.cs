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
        var port = Ports.FreeTcpPort();
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
        var port = Ports.FreeTcpPort();
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
