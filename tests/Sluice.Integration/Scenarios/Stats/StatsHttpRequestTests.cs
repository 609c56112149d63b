using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Stats;

/// <summary>
/// `stats http-request allow|deny|auth [realm R] [if|unless COND]`: the same configuration under haproxy 2.6 and
/// Sluice gives the same status and challenge to the same requests for the stats page.
/// </summary>
public class StatsHttpRequestTests
{
    private static string Config(int port) => $$"""
        userlist L
            user bob insecure-password pw
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        listen st
            bind 127.0.0.1:{{port.ToString(CultureInfo.InvariantCulture)}}
            stats enable
            stats uri /st
            stats http-request deny if { path_end /deny }
            stats http-request auth realm Zone unless { http_auth(L) } || { path_end /open }
            stats http-request allow if { path_end /open }
        """ + "\n";

    [Fact]
    public async Task Rules_DenyAuthAllow_SameAnswersAsHaproxy()
    {
        var haproxyPort = Ports.FreeListeningPort();
        var sluicePort = Ports.FreeListeningPort();
        await using var haproxy = await HAProxyPeer.StartAsync(Config(haproxyPort), haproxyPort);
        await using var sluice = await SluiceProcess.StartAsync(Config(sluicePort), [ReadyProbe.Tcp(sluicePort)]);

        string[][] requests = [["/st"], ["/st/deny"], ["/st/open"], ["-u", "bob:pw", "/st"], ["-u", "bob:pw", "/st/deny"], ["-u", "bob:wrong", "/st"]];
        var answers = new List<string>();
        foreach (var request in requests)
        {
            var expected = await AnswerAsync(haproxyPort, request);
            var actual = await AnswerAsync(sluicePort, request);
            Assert.Equal(expected, actual);
            answers.Add(actual);
        }

        // Each rule had its say: the challenge, the refusal, the page.
        Assert.Equal(["401 Basic realm=\"Zone\"", "403 ", "200 ", "200 ", "403 ", "401 Basic realm=\"Zone\""], answers);
    }

    [Fact]
    public async Task WithStatsAuth_AlertAsHaproxy()
    {
        var directory = Ports.TempDirectory();
        var path = Path.Combine(directory, "st.cfg");
        await File.WriteAllTextAsync(path, Config(8080).Replace("    stats enable\n", "    stats enable\n    stats auth admin:pw\n", StringComparison.Ordinal));
        var result = await SluiceBinary.RunAsync(["-c", "-f", path], directory);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[ALERT] config : proxy 'st': stats 'auth'/'realm' and 'http-request' can't be used at the same time.", result.StandardError, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>The status and the challenge (if any) of a GET of the page, as curl reports them.</summary>
    private static async Task<string> AnswerAsync(int port, string[] request)
    {
        var url = "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + request[^1];
        var result = await CommandRunner.RunAsync(CommandRunner.Require("curl", "curl"),
            ["-sS", "--max-time", "20", "-o", "/dev/null", "-w", "%{http_code} %header{www-authenticate}", .. request[..^1], url], timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }
}
