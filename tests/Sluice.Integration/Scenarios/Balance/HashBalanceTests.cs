using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Balance;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>The hash-based algorithms with the real program, curl and recording servers: the same key reaches the same server.</summary>
public class HashBalanceTests
{
    private static RecordingBackend Named(string name) => RecordingBackend.Start(_ => CannedResponse.Ok(name));

    private static async Task<ISluiceInstance> StartAsync(string config, int port) =>
        await SluiceProcess.StartAsync(config, [ReadyProbe.Tcp(port)]);

    private static string Servers(RecordingBackend[] servers, string options = "") =>
        string.Join("\n    ", servers.Select((s, i) => $"server s{i + 1} {s.Address}{options}"));

    /// <summary>One curl run over many URLs: for each, the server that answered.</summary>
    private static async Task<Dictionary<string, string>> ServerByUrlAsync(IEnumerable<string> urls, params string[] extra)
    {
        var result = await Http.CurlAsync([.. extra, "-w", " %{url_effective}\\n", .. urls]);
        Assert.Equal(0, result.ExitCode);
        var map = new Dictionary<string, string>();
        foreach (var line in result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (map.TryGetValue(parts[1], out var seen))
            {
                Assert.Equal(seen, parts[0]);
            }

            map[parts[1]] = parts[0];
        }

        return map;
    }

    [Fact]
    public async Task Uri_Consistent_SameUriSameServer_AllServersUsed()
    {
        RecordingBackend[] servers = [Named("s1"), Named("s2"), Named("s3")];
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port, Servers(servers), backend: "    balance uri\n    hash-type consistent sdbm avalanche"), port);
        try
        {
            var urls = Enumerable.Range(0, 60).Select(i => Http.Url(port, $"/obj/{i}?v={i % 7}")).ToList();

            // Each URL twice, in two runs: the second run sees the same servers; the query string does not count.
            var first = await ServerByUrlAsync(urls.Concat(urls));
            var second = await ServerByUrlAsync(urls.Select(u => u[..u.IndexOf('?')] + "?other=1"));
            Assert.Equal(60, first.Count);
            foreach (var (url, server) in first)
            {
                Assert.Equal(server, second[url[..url.IndexOf('?')] + "?other=1"]);
            }

            Assert.Equal(3, first.Values.Distinct().Count());
        }
        finally
        {
            foreach (var server in servers)
            {
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
            }
        }
    }

    [Fact]
    public async Task Uri_Consistent_ServerDown_OnlyItsUrisMove()
    {
        RecordingBackend[] servers = [Named("s1"), Named("s2"), Named("s3"), Named("s4")];
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(
            Http.Config(port, Servers(servers, " check inter 200ms fall 1 rise 1"), backend: "    balance uri\n    hash-type consistent sdbm avalanche"), port);
        try
        {
            var urls = Enumerable.Range(0, 80).Select(i => Http.Url(port, $"/item/{i}")).ToList();
            var before = await ServerByUrlAsync(urls);
            await servers[1].DisposeAsync();
            servers[1] = null!;
            await sluice.Output.WaitForAsync(l => l.Contains("be/s2 is DOWN", StringComparison.Ordinal));
            var after = await ServerByUrlAsync(urls);

            Assert.Contains("s2", before.Values);
            Assert.DoesNotContain("s2", after.Values);
            foreach (var url in urls)
            {
                if (before[url] != "s2")
                {
                    Assert.Equal(before[url], after[url]);
                }
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
            }
        }
    }

    [Fact]
    public async Task UrlParam_SameValueSameServer_WithoutItRoundRobin()
    {
        RecordingBackend[] servers = [Named("s1"), Named("s2"), Named("s3")];
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port, Servers(servers), backend: "    balance url_param user"), port);
        try
        {
            var users = Enumerable.Range(0, 30).Select(i => "u" + i).ToList();
            var byUser = await ServerByUrlAsync(users.SelectMany(u => new[] { Http.Url(port, $"/a?user={u}"), Http.Url(port, $"/a?x=1&user={u}") }));
            foreach (var u in users)
            {
                Assert.Equal(byUser[Http.Url(port, $"/a?user={u}")], byUser[Http.Url(port, $"/a?x=1&user={u}")]);
            }

            var anonymous = await Http.CurlAsync("-w", "\\n", Http.Url(port, "/a?[1-9]"));
            var counts = anonymous.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(3, counts.Count);
        }
        finally
        {
            foreach (var server in servers)
            {
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
            }
        }
    }

    [Fact]
    public async Task HdrHostUseDomainOnly_SubdomainsOfOneDomainShareAServer()
    {
        RecordingBackend[] servers = [Named("s1"), Named("s2"), Named("s3")];
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port, Servers(servers), backend: "    balance hdr(host) use_domain_only\n    hash-type consistent djb2 avalanche"), port);
        try
        {
            var seen = new Dictionary<string, HashSet<string>>();
            for (var d = 0; d < 12; d++)
            {
                foreach (var sub in new[] { "www", "api", "static" })
                {
                    var result = await Http.CurlAsync("-H", $"Host: {sub}.domain{d}.example", Http.Url(port, "/"));
                    seen.TryAdd("domain" + d, []);
                    seen["domain" + d].Add(result.StandardOutput);
                }
            }

            Assert.All(seen.Values, set => Assert.Single(set));
            Assert.True(seen.Values.Select(s => s.Single()).Distinct().Count() > 1);
        }
        finally
        {
            foreach (var server in servers)
            {
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
            }
        }
    }

    [Fact]
    public async Task HashExpression_HeaderValueSameServer()
    {
        RecordingBackend[] servers = [Named("s1"), Named("s2"), Named("s3")];
        var port = Ports.FreeListeningPort();
        await using var sluice = await StartAsync(Http.Config(port, Servers(servers), backend: "    balance hash req.hdr(x-tenant),lower\n    hash-type consistent crc32 avalanche"), port);
        try
        {
            var used = new HashSet<string>();
            for (var t = 0; t < 15; t++)
            {
                var upper = await Http.CurlAsync("-H", $"X-Tenant: TENANT{t}", Http.Url(port, "/x"));
                var lower = await Http.CurlAsync("-H", $"X-Tenant: tenant{t}", Http.Url(port, "/y"));
                Assert.Equal(upper.StandardOutput, lower.StandardOutput);
                used.Add(upper.StandardOutput);
            }

            Assert.True(used.Count > 1);
        }
        finally
        {
            foreach (var server in servers)
            {
                if (server is not null)
                {
                    await server.DisposeAsync();
                }
            }
        }
    }

    /// <summary>
    /// `url_param user check_post`: a POST without `user` in its query string is hashed on `user` in its form body,
    /// so it goes where a GET with the same `user` goes, its body sent with a length or chunked; haproxy 2.6 does the
    /// same with the same configuration.
    /// </summary>
    [Fact]
    public async Task UrlParamCheckPost_BodyParameter_SameServerAsQueryParameter_AsHAProxy()
    {
        RecordingBackend[] servers = [Named("s1"), Named("s2"), Named("s3")];
        try
        {
            var users = Enumerable.Range(0, 12).Select(i => "u" + i).ToList();
            async Task<List<(string Get, string Post, string Chunked)>> RunAsync(int target)
            {
                var pairs = new List<(string, string, string)>();
                foreach (var u in users)
                {
                    var get = await Http.CurlAsync(Http.Url(target, $"/a?user={u}"));
                    var post = await Http.CurlAsync("--data-binary", $"x=1&user={u}&y=2", Http.Url(target, "/a"));
                    var chunked = await Http.CurlAsync("-H", "Transfer-Encoding: chunked", "--data-binary", $"x=1&user={u}&y=2", Http.Url(target, "/a"));
                    pairs.Add((get.StandardOutput, post.StandardOutput, chunked.StandardOutput));
                }

                return pairs;
            }

            var config = (int listenPort) => Http.Config(listenPort, Servers(servers), backend: "    balance url_param user check_post");
            var haproxyPort = Ports.FreeListeningPort();
            List<(string Get, string Post, string Chunked)> reference;
            await using (var haproxy = await HAProxyPeer.StartAsync(config(haproxyPort), haproxyPort))
            {
                reference = await RunAsync(haproxyPort);
            }

            var port = Ports.FreeListeningPort();
            await using var sluice = await StartAsync(config(port), port);
            var ours = await RunAsync(port);

            Assert.All(reference, p => Assert.Equal((p.Get, p.Get), (p.Post, p.Chunked)));
            Assert.All(ours, p => Assert.Equal((p.Get, p.Get), (p.Post, p.Chunked)));
            Assert.True(ours.Select(p => p.Get).Distinct().Count() > 1, string.Join(",", ours));

            // Without the parameter anywhere, POSTs are balanced round robin.
            var anonymous = new List<string>();
            for (var i = 0; i < 6; i++)
            {
                anonymous.Add((await Http.CurlAsync("--data-binary", "x=1", Http.Url(port, "/a"))).StandardOutput);
            }

            Assert.Equal(3, anonymous.Distinct().Count());
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }
}
