using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Hosting;

/// <summary>
/// `cpu-map`: the process is bound to the mapped CPUs (every thread, as /proc shows), a per-thread mapping binds it to
/// their union with a warning, and a CPU list that is not one is HAProxy's alert.
/// </summary>
public sealed class CpuMapTests
{
    private static string Config(int port, string cpuMap) => $"""
        global
            nbthread 2
        {cpuMap}
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
            http-request return status 200
        """;

    /// <summary>The Cpus_allowed_list of every thread of the process.</summary>
    private static List<string> AllowedCpus(int processId) =>
        [.. Directory.EnumerateDirectories($"/proc/{processId.ToString(CultureInfo.InvariantCulture)}/task")
            .Select(task => File.ReadLines(Path.Combine(task, "status")).Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))["Cpus_allowed_list:".Length..].Trim())
            .Distinct()];

    [Fact]
    public async Task AllThreadsOnOneCpu_EveryThreadIsBoundToIt()
    {
        Assert.True(Environment.ProcessorCount >= 2, "the test needs two CPUs to see a binding");
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, "    cpu-map 1/all 0"), [ReadyProbe.Tcp(port)]);
        Assert.Equal(["0"], AllowedCpus(sluice.ProcessId));
    }

    [Fact]
    public async Task ThreadsMappedOneByOne_TheProcessTakesTheirUnion_WithAWarning()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await SluiceProcess.StartAsync(Config(port, "    cpu-map 1/1 1\n    cpu-map 1/2 0"), [ReadyProbe.Tcp(port)]);
        Assert.Equal(["0-1"], AllowedCpus(sluice.ProcessId));
        Assert.Contains(sluice.Output.Lines, l => l.StartsWith("[WARNING]", StringComparison.Ordinal) && l.Contains("cpu-map : the process is bound to CPUs 0,1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NotACpuRange_IsHAProxysAlert()
    {
        var path = Path.Combine(Ports.TempDirectory(), "cpu.cfg");
        await File.WriteAllTextAsync(path, Config(9, "    cpu-map 1 x"));
        var result = await SluiceBinary.RunAsync(["-c", "-f", path]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cpu-map : 'x' is not a CPU range.", result.StandardError, StringComparison.Ordinal);
    }
}
