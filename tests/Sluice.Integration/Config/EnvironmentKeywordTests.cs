using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Config;

/// <summary>
/// `setenv`, `presetenv`, `unsetenv` and `resetenv` in the global section change the environment the following
/// lines are expanded with (inside double quotes), as in HAProxy: the frontends below listen where the variables say.
/// </summary>
public sealed class EnvironmentKeywordTests
{
    [Fact]
    public async Task EnvironmentKeywords_ChangeTheVariablesOfTheLinesAfterThem()
    {
        var set = Ports.FreeListeningPort();
        var preset = Ports.FreeListeningPort();
        var config = $"""
            global
                setenv SLT_SET {set.ToString(CultureInfo.InvariantCulture)}
                setenv SLT_PRESET {preset.ToString(CultureInfo.InvariantCulture)}
                presetenv SLT_PRESET 1
                setenv SLT_GONE gone
                unsetenv SLT_GONE
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind "127.0.0.1:${"{"}SLT_SET{"}"}"
                bind "127.0.0.1:${"{"}SLT_PRESET{"}"}"
                http-request return status 200 content-type text/plain string "[${"{"}SLT_GONE-unset{"}"}]"
            """;
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(set)]);
        foreach (var port in new[] { set, preset })
        {
            var answer = await Scenarios.Http.Http.CurlAsync(Scenarios.Http.Http.Url(port, "/"));
            Assert.Equal("[unset]", answer.StandardOutput);
        }
    }

    [Fact]
    public async Task SetenvWithoutValue_IsHAProxysAlert()
    {
        var path = Path.Combine(Ports.TempDirectory(), "env.cfg");
        await File.WriteAllTextAsync(path, "global\n    setenv ONLY_NAME\n    unsetenv\n");
        var result = await SluiceBinary.RunAsync(["-c", "-f", path]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'setenv' expects a name and a value.", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("'unsetenv' expects at least one variable name.", result.StandardError, StringComparison.Ordinal);
    }
}
