using System.Net;
using System.Text;
using Sluice.Checks;
using Sluice.Config.Model;

namespace Sluice.Tests.Checks;

/// <summary>What an HTTP check sends and how it judges the answer.</summary>
public class CheckProbeTests
{
    private static CheckProbe Probe(HttpCheckExpect? expect = null) =>
        new(() => new IPEndPoint(IPAddress.Loopback, 1), new BackendCheckConfig { Kind = HealthCheckKind.Http, Expect = expect });

    private static CheckResult? Judge(CheckProbe probe, string response, bool complete = false) =>
        probe.Judge(Encoding.Latin1.GetBytes(response), complete);

    [Fact]
    public void Request_Default_OptionsHttp10()
    {
        Assert.Equal("OPTIONS / HTTP/1.0\r\n\r\n", Encoding.Latin1.GetString(CheckProbe.BuildRequest(HttpCheckRequest.Default)));
    }

    [Fact]
    public void Request_Http11_LowerCaseHeadersAndConnectionClose()
    {
        var request = new HttpCheckRequest { Method = "GET", Uri = "/health", Version = "HTTP/1.1", Headers = [new("Host", "www")] };
        Assert.Equal("GET /health HTTP/1.1\r\nhost: www\r\nconnection: close\r\n\r\n", Encoding.Latin1.GetString(CheckProbe.BuildRequest(request)));
    }

    [Fact]
    public void Request_Body_ContentLength()
    {
        var request = new HttpCheckRequest { Method = "POST", Body = "hi" };
        Assert.Equal("POST / HTTP/1.0\r\ncontent-length: 2\r\n\r\nhi", Encoding.Latin1.GetString(CheckProbe.BuildRequest(request)));
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(302, true)]
    [InlineData(399, true)]
    [InlineData(404, false)]
    [InlineData(500, false)]
    public void NoExpect_2xx3xxPass(int code, bool passes)
    {
        var result = Judge(Probe(), $"HTTP/1.1 {code} Reason\r\nContent-Length: 0\r\n\r\n")!.Value;
        Assert.Equal(passes ? CheckStatus.L7Ok : CheckStatus.L7Status, result.Status);
        Assert.Equal((code, "Reason"), (result.Code, result.Info));
    }

    [Fact]
    public void HeadNotComplete_WaitsForMore()
    {
        Assert.Null(Judge(Probe(), "HTTP/1.1 200 OK\r\nServer: x\r\n"));
        Assert.Null(Judge(Probe(), "HTTP/1.1 20"));
    }

    [Theory]
    [InlineData("garbage\r\n\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("SSH-2.0-OpenSSH\r\n")]
    public void NotHttp_L7Rsp(string response)
    {
        var result = Judge(Probe(), response)!.Value;
        Assert.Equal(CheckStatus.L7Response, result.Status);
        Assert.False(result.HasCode);
    }

    [Fact]
    public void ClosedBeforeStatusLine_L7Rsp()
    {
        Assert.Equal(CheckStatus.L7Response, Judge(Probe(), "HTTP/1.1 200", complete: true)!.Value.Status);
    }

    [Fact]
    public void ExpectStatus_ListAndNegation()
    {
        var expect = new HttpCheckExpect(HttpCheckExpectKind.Status, "200,204", false) { Codes = [(200, 200), (204, 204)] };
        Assert.Equal(CheckStatus.L7Ok, Judge(Probe(expect), "HTTP/1.1 204 No Content\r\n\r\n")!.Value.Status);
        Assert.Equal(CheckStatus.L7Status, Judge(Probe(expect), "HTTP/1.1 302 Found\r\n\r\n")!.Value.Status);
        var not = expect with { Negated = true };
        Assert.Equal(CheckStatus.L7Status, Judge(Probe(not), "HTTP/1.1 200 OK\r\n\r\n")!.Value.Status);
        Assert.Equal(CheckStatus.L7Ok, Judge(Probe(not), "HTTP/1.1 500 Internal Server Error\r\n\r\n")!.Value.Status);
    }

    [Fact]
    public void ExpectRStatus_Regex()
    {
        var expect = new HttpCheckExpect(HttpCheckExpectKind.RStatus, "^(2|404)", false);
        Assert.Equal(CheckStatus.L7Ok, Judge(Probe(expect), "HTTP/1.0 404 Not Found\r\n\r\n")!.Value.Status);
        Assert.Equal(CheckStatus.L7Status, Judge(Probe(expect), "HTTP/1.0 500 Oops\r\n\r\n")!.Value.Status);
    }

    [Fact]
    public void ExpectString_WaitsForBodyThenMatches()
    {
        var expect = new HttpCheckExpect(HttpCheckExpectKind.String, "healthy", false);
        Assert.Null(Judge(Probe(expect), "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nall "));
        Assert.Equal(CheckStatus.L7Ok, Judge(Probe(expect), "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nall healthy")!.Value.Status);
        Assert.Equal(CheckStatus.L7Ok, Judge(Probe(expect), "HTTP/1.0 200 OK\r\n\r\nhealthy, really", complete: true)!.Value.Status);
        var failed = Judge(Probe(expect), "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nsick")!.Value;
        Assert.Equal((CheckStatus.L7Response, "HTTP content check did not match"), (failed.Status, failed.Info));
    }

    [Fact]
    public void ExpectRString_Negated()
    {
        var expect = new HttpCheckExpect(HttpCheckExpectKind.RString, "err(or)?", true);
        Assert.Equal(CheckStatus.L7Ok, Judge(Probe(expect), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")!.Value.Status);
        Assert.Equal(CheckStatus.L7Response, Judge(Probe(expect), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nerror")!.Value.Status);
    }

    [Fact]
    public void EndPoint_AddrAndPortReplaceTheServers()
    {
        var server = new ServerConfig
        {
            Name = "s",
            Location = "t.cfg:1",
            Id = 1,
            Address = new InetServerAddress { Text = "127.0.0.1:80", Address = IPAddress.Loopback, Port = 80 },
            Check = new ServerCheckConfig { Enabled = true, Port = 8081, Address = IPAddress.Parse("127.0.0.2") },
        };
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 8081), HealthChecker.ResolveEndPoint(Live(server)));
        var plain = Live(server with { Check = ServerCheckConfig.Default });
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 80), HealthChecker.ResolveEndPoint(plain));

        // `set server addr` moves the checks with the traffic.
        plain.Address = new InetServerAddress { Text = "127.0.0.3:81", Address = IPAddress.Parse("127.0.0.3"), Port = 81 };
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.3"), 81), HealthChecker.ResolveEndPoint(plain));
    }

    private static Sluice.Backends.ServerState Live(ServerConfig server) =>
        new Sluice.Backends.BackendState(new BackendConfig { Name = "be", Location = "t.cfg:1", Id = 1, Servers = [server] }).Servers[0];
}
