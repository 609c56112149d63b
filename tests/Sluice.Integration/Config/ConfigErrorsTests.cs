using Sluice.TestKit.Processes;

namespace Sluice.Integration.Config;

/// <summary>
/// <c>sluice -c</c> on configurations with mistakes prints exactly the golden <c>[ALERT]</c>/<c>[WARNING]</c>
/// lines and exits 1 (the format is documented in docs/config-errors.md).
/// </summary>
public class ConfigErrorsTests
{
    public static IEnumerable<object[]> Cases => GoldenFiles.Cases("ConfigErrors");

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Check_InvalidConfig_GoldenAlerts(string name)
    {
        var dir = Path.Combine(GoldenFiles.ConfigsDirectory, "ConfigErrors");
        var result = await SluiceBinary.RunAsync(["-c", "-f", name + ".cfg"], dir);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(string.Empty, result.StandardOutput);
        GoldenFiles.AssertMatches("ConfigErrors", name + ".expected", result.StandardError);
    }

    [Fact]
    public async Task Check_ValidConfig_PrintsValid()
    {
        var dir = Path.Combine(GoldenFiles.ConfigsDirectory, "Seeds");
        var result = await SluiceBinary.RunAsync(["-c", "-f", "000-tcp-split.cfg"], dir);

        Assert.Equal((0, "Configuration file is valid\n", string.Empty), (result.ExitCode, result.StandardOutput, result.StandardError));
    }

    [Fact]
    public async Task Check_NoListener_ExitTwo()
    {
        var dir = Directory.CreateTempSubdirectory("sluice-cfg-").FullName;
        File.WriteAllText(Path.Combine(dir, "b.cfg"), "backend b\n    timeout server 1s\n    timeout connect 1s\n    server s 127.0.0.1:1\n");
        var result = await SluiceBinary.RunAsync(["-c", "-f", "b.cfg"], dir);
        Directory.Delete(dir, true);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("Configuration file has no error but will not start (no listener) => exit(2).\n", result.StandardOutput);
    }

    [Fact]
    public async Task Check_EnvironmentAndDirectory_Expanded()
    {
        var dir = Directory.CreateTempSubdirectory("sluice-cfg-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "conf.d"));
        File.WriteAllText(Path.Combine(dir, "conf.d", "10-fe.cfg"), "frontend fe\n    timeout client 1s\n    bind \"127.0.0.1:${FE_PORT}\"\n    default_backend be\n");
        File.WriteAllText(Path.Combine(dir, "conf.d", "20-be.cfg"), "backend be\n    timeout server 1s\n    timeout connect 1s\n    server s \"${BE_ADDR}\"\n");
        var result = await SluiceBinary.RunAsync(["-c", "-f", "conf.d"], dir, environment: new Dictionary<string, string> { ["FE_PORT"] = "8099", ["BE_ADDR"] = "127.0.0.1:not-a-port" });
        Directory.Delete(dir, true);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("[ALERT] parsing [conf.d/20-be.cfg:4] : 'server be/s' : invalid character 'n' in port number 'not-a-port' in '127.0.0.1:not-a-port'", result.StandardError);
    }

    [Theory]
    [InlineData("version_atleast(2.4)", 0)]
    [InlineData("version_before(2.4)", 1)]
    [InlineData("feature(THREAD) && !feature(LUA)", 0)]
    [InlineData("nonsense(", 1)]
    public async Task EvaluateCondition_Expression_ExitCode(string expression, int expected)
    {
        var result = await SluiceBinary.RunAsync(["-cc", expression]);
        Assert.Equal(expected, result.ExitCode);
    }

    [Fact]
    public async Task VersionVerbose_MuxTable_HAProxyLayout()
    {
        var result = await SluiceBinary.RunAsync(["-vv"]);

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Sluice version ", result.StandardOutput);
        Assert.Contains(
            "Available multiplexer protocols :\n(protocols marked as <default> cannot be specified using 'proto' keyword)\n" +
            "         h2 : mode=HTTP  side=FE|BE  mux=H2    flags=HTX|HOL_RISK|NO_UPG\n" +
            "  <default> : mode=HTTP  side=FE|BE  mux=H1    flags=HTX\n" +
            "         h1 : mode=HTTP  side=FE|BE  mux=H1    flags=HTX|NO_UPG\n" +
            "  <default> : mode=TCP   side=FE|BE  mux=PASS  flags=\n" +
            "       none : mode=TCP   side=FE|BE  mux=PASS  flags=NO_UPG\n",
            result.StandardOutput);
    }

    [Theory]
    [InlineData(new[] { "-N" }, "[ALERT] option '-N' is not supported yet.")]
    [InlineData(new[] { "-S" }, "[ALERT] -S requires a socket address.")]
    [InlineData(new[] { "-x" }, "[ALERT] -x requires the path of a unix socket.")]
    [InlineData(new[] { "-Z" }, "[ALERT] unknown option '-Z'.")]
    [InlineData(new string[0], "[ALERT] No configuration file was given (use -f <cfgfile|cfgdir>).")]
    public async Task CommandLine_BadArguments_AlertAndUsage(string[] args, string expected)
    {
        var result = await SluiceBinary.RunAsync(args);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith(expected + "\nUsage : sluice -f <cfgfile|cfgdir>*", result.StandardError);
    }
}
