using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>The README's first command: examples/quickstart.cfg must balance over its demo servers with nothing else running.</summary>
public class QuickstartTests
{
    [Fact]
    public async Task Quickstart_CurlThreeTimes_EachDemoServerAnswersInTurn()
    {
        var config = await File.ReadAllTextAsync(QuickstartPath());
        await using var sluice = await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(8080), ReadyProbe.Tcp(8081), ReadyProbe.Tcp(8082), ReadyProbe.Tcp(8083)]);
        var curl = CommandRunner.Require("curl", "curl");

        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var result = await CommandRunner.RunAsync(curl, ["-sS", "--max-time", "10", "http://127.0.0.1:8080/"]);
            Assert.Equal(0, result.ExitCode);
            answers.Add(result.StandardOutput.Trim());
        }

        // Round robin: three requests reach the three servers, in some rotation.
        Assert.Equal(["hello from s1", "hello from s2", "hello from s3"], answers.Order(StringComparer.Ordinal));
        await sluice.Output.WaitForAsync(l => l.Contains("[quickstart] demo/s", StringComparison.Ordinal) && l.Contains(" 200 ", StringComparison.Ordinal), 3);
    }

    private static string QuickstartPath() => RepositoryFiles.Path("examples", "quickstart.cfg");
}
