using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Stats;

namespace Sluice.Integration.Scenarios.Checks;

/// <summary>
/// HTTP checks over HTTP/2: `option httpchk` towards a `proto h2` server, or one with `check-proto h2`, against nginx
/// serving cleartext HTTP/2 (which answers 400 to a request without `:authority`, so a check without `Host` fails
/// there). haproxy 2.6 first, then Sluice: the same check status, code and description for each server, and the same
/// requests in nginx's log.
/// </summary>
public class Http2CheckTests
{
    [Fact]
    public async Task OptionHttpchk_OverHttp2_SameResultsAsHAProxy()
    {
        await using var nginx = await NginxBackend.StartAsync(new NginxOptions
        {
            Http2 = true,
            ExtraServerDirectives = """
                location = /ok { return 200 "alive\n"; }
                location = /bad { return 503 "down\n"; }
                """,
        });
        string Config(int port, string socket) => $"""
            {HaproxyOracle.Preamble(socket)}
            # `timeout check` longer than `inter`: on a loaded machine an answer may take more than 300 ms.
            frontend f
                bind 127.0.0.1:{port}
                default_backend named
            backend named
                option httpchk GET /ok
                http-check send hdr Host checks.test
                http-check expect string alive
                server s {nginx.Address} proto h2 check inter 300
                timeout check 5s
            backend nohost
                option httpchk GET /ok
                server s {nginx.Address} proto h2 check inter 300
                timeout check 5s
            backend down
                option httpchk
                http-check send meth GET uri /bad ver HTTP/1.1 hdr Host checks.test
                server s {nginx.Address} proto h2 check inter 300
                timeout check 5s
            backend status
                option httpchk
                http-check send meth POST uri /ok ver HTTP/1.1 hdr Host checks.test body payload
                http-check expect status 201
                server s {nginx.Address} check-proto h2 check inter 300
                timeout check 5s
            backend h1
                option httpchk GET /ok
                http-check send hdr Host checks.test
                server s {nginx.Address} proto h2 check-proto h1 check inter 300
                timeout check 5s
            """;

        async Task<List<string>> RunAsync(int port, string socket)
        {
            List<string> rows = [];
            await TestTimeout.WaitUntilAsync(async () =>
            {
                var stats = StatsPeers.ParseCsv(await StatsPeers.UnixAsync(socket, "show stat"));
                rows = [.. new[] { "named", "nohost", "down", "status", "h1" }.Select(b => stats[b + "/s"]).Select(s => $"{s["status"]} {s["check_status"]} {s["check_code"]} [{s["check_desc"]}]")];
                return rows.All(r => !r.Contains("INI", StringComparison.Ordinal) && !r.Contains(" * ", StringComparison.Ordinal) && r.Split(' ')[1].Length > 0);
            });
            return rows;
        }

        var (reference, ours) = await HaproxyOracle.CompareAsync(Config, RunAsync);

        Assert.Equal("L7OK", reference[0].Split(' ')[1]);
        Assert.StartsWith("DOWN L7STS 400", reference[1], StringComparison.Ordinal);
        Assert.StartsWith("DOWN L7STS 503", reference[2], StringComparison.Ordinal);
        Assert.StartsWith("DOWN L7STS 200", reference[3], StringComparison.Ordinal);
        Assert.Equal(reference, ours);
    }
}
