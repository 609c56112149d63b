using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>Seed 002's rules with python3-grpcio: gRPC routed by content-type and by path, and the passphrase deny.</summary>
public class GrpcRulesTests
{
    private static async Task<(int ExitCode, string Output)> GrpcCallAsync(int port, string message)
    {
        var result = await CommandRunner.RunAsync(
            PythonPeer.Python, [PythonPeer.Script("grpc_echo_client.py"), port.ToString(CultureInfo.InvariantCulture), "unary", message], timeout: TimeSpan.FromSeconds(60));
        return (result.ExitCode, (result.StandardOutput + result.StandardError).Trim());
    }

    [Theory]
    [InlineData("acl isgrpc req.hdr(content-type) -m str \"application/grpc\"\n    use_backend grp_servers if isgrpc")]
    [InlineData("acl is_echo_path path_beg /test.Echo/\n    use_backend grp_servers if is_echo_path")]
    public async Task Grpc_RoutedToTheGrpcBackend_OtherTrafficToTheWebOne(string rules)
    {
        await using var grpc = await PythonPeer.StartGrpcEchoServerAsync();
        await using var web = RecordingBackend.Start(_ => CannedResponse.Ok("web"));
        var port = Ports.FreeListeningPort();
        var config = Http.Config(port, $"server w1 {web.Address}", frontend: "    " + rules,
            extra: $"backend grp_servers\n    server g1 {grpc.Address} proto h2\n");
        await using var sluice = await Http.StartAsync(config, port);

        var call = await GrpcCallAsync(port, "hello");
        Assert.True(call.ExitCode == 0, call.Output);
        Assert.Equal("echo:hello", call.Output);
        Assert.Equal("web", (await Http.CurlAsync("--http2-prior-knowledge", Http.Url(port, "/index.html"))).StandardOutput);
        Assert.Equal("/index.html", Assert.Single(web.Requests).Target);
    }

    [Fact]
    public async Task Passphrase_GrpcCallWithoutIt_Denied()
    {
        await using var grpc = await PythonPeer.StartGrpcEchoServerAsync();
        var port = Ports.FreeListeningPort();
        var config = Http.Config(port, $"server g1 {grpc.Address} proto h2",
            frontend: "    http-request deny unless { req.hdr(mysecretpassphrase) -m str \"abc123\" }");
        await using var sluice = await Http.StartAsync(config, port);

        var call = await GrpcCallAsync(port, "hello");
        // gRPC reads the proxy's 403 as PERMISSION_DENIED; the echo client prints failed calls as "error STATUS ...".
        Assert.StartsWith("error PERMISSION_DENIED", call.Output, StringComparison.Ordinal);
        var curl = await Http.CurlAsync("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}", "-H", "content-type: application/grpc", Http.Url(port, "/test.Echo/Unary"));
        Assert.Equal("403", curl.StandardOutput);
    }
}
