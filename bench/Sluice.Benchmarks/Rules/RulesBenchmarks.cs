using System.Net;
using BenchmarkDotNet.Attributes;
using Sluice.Logging;
using Sluice.Messages;
using Sluice.Rules.Acls;
using Sluice.Rules.Actions;
using Sluice.Rules.Samples;

namespace Sluice.Benchmarks.Rules;

/// <summary>
/// Rules per request: the seeds' ACLs on a websocket/gRPC-like request head, a 20-pattern host list, and
/// header rewrites through a log-format. One operation is one request.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the context and the head.
public class RulesBenchmarks
#pragma warning restore CA1001
{
    private const int InnerLoop = 64;

    private static readonly string[][] SeedAclLines =
    [
        ["hdr_beg(host)", "-i", "ws."],
        ["hdr(connection)", "-i", "upgrade"],
        ["hdr_cnt(sec-websocket-key)", "eq", "1"],
        ["req.hdr(content-type)", "-m", "str", "application/grpc"],
        ["path_beg", "/api"],
    ];

    private readonly HttpRequestHead _request = new();
    private readonly HttpRuleResult _result = new();
    private SampleContext _ctx = null!;
    private AclEntry[] _seedAcls = [];
    private AclEntry _hostList = null!;
    private List<HttpRule> _setQuoted = [];
    private List<HttpRule> _setLower = [];

    [GlobalSetup]
    public void Setup()
    {
        FillRequest();
        _ctx = new SampleContext
        {
            Request = _request,
            ClientEndPoint = new IPEndPoint(IPAddress.Parse("192.0.2.10"), 51000),
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 8080),
            FrontendName = "fe"u8.ToArray(),
        };
        _seedAcls = [.. SeedAclLines.Select(Acl)];
        _hostList = Acl(["hdr(host)", "-i", "-m", "str", .. Enumerable.Range(0, 20).Select(i => $"h{i}.example.com")]);
        _setQuoted = Rule("x-ssl-client-cn", "%{+Q}[str(abc)]");
        _setLower = Rule("x-host", "%[req.hdr(host),lower]");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ctx.Dispose();
        _request.Dispose();
    }

    /// <summary>The five seed ACLs, each evaluated once.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = InnerLoop)]
    public int SeedAcls()
    {
        var matched = 0;
        for (var n = 0; n < InnerLoop; n++)
        {
            foreach (var acl in _seedAcls)
            {
                _ctx.ResetScratch();
                matched += acl.Evaluate(_ctx) ? 1 : 0;
            }
        }

        return matched;
    }

    /// <summary>`hdr(host) -i -m str` with 20 patterns (hash index), no match.</summary>
    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public int HostList20()
    {
        var matched = 0;
        for (var n = 0; n < InnerLoop; n++)
        {
            matched += _hostList.Evaluate(_ctx) ? 1 : 0;
        }

        return matched;
    }

    /// <summary>Refilling the request head alone: what the two rewrites below also pay.</summary>
    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public int RefillOnly()
    {
        for (var n = 0; n < InnerLoop; n++)
        {
            FillRequest();
        }

        return _request.Headers.Count;
    }

    /// <summary>`http-request set-header X-SSL-Client-CN %{+Q}[str(abc)]` on a refilled head.</summary>
    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public int SetHeaderQuoted() => Rewrite(_setQuoted);

    /// <summary>`http-request set-header X-Host %[req.hdr(host),lower]` on a refilled head.</summary>
    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public int SetHeaderLower() => Rewrite(_setLower);

    private int Rewrite(List<HttpRule> rules)
    {
        for (var n = 0; n < InnerLoop; n++)
        {
            FillRequest();
            HttpRuleRunner.Run(rules, 0, _ctx, _request, _result, out _);
        }

        return _request.Headers.Count;
    }

    private void FillRequest()
    {
        _request.Reset();
        _request.SetMethod("GET"u8);
        _request.SetTarget("/api/v1/chat?room=7"u8);
        _request.Headers.Add("host"u8, "WS.Example.com"u8);
        _request.Headers.Add("connection"u8, "Upgrade"u8);
        _request.Headers.Add("upgrade"u8, "websocket"u8);
        _request.Headers.Add("sec-websocket-key"u8, "dGhlIHNhbXBsZSBub25jZQ=="u8);
        _request.Headers.Add("sec-websocket-version"u8, "13"u8);
        _request.Headers.Add("content-type"u8, "application/grpc"u8);
        _request.Headers.Add("user-agent"u8, "bench/1.0"u8);
    }

    private static AclEntry Acl(string[] words) =>
        AclParser.Parse(words, 0, words.Length, [], out var error) ?? throw new InvalidOperationException(error);

    private static List<HttpRule> Rule(string header, string format)
    {
        var value = LogFormat.Parse(format, RuleSite.HttpRequest(backend: false), out var error) ?? throw new InvalidOperationException(error);
        return [new HttpRule(new SetHeaderAction(System.Text.Encoding.Latin1.GetBytes(header), value, replace: true), null, "bench:1")];
    }
}
