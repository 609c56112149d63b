using System.Globalization;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Logs;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>
/// Fetches and matchers whose values depend on the proxy's state or on HAProxy's own rules (`fe_conn`, `so_id`,
/// `connslots`, `method` matching): the same configuration and the same curl requests under haproxy 2.6 and
/// under Sluice must give the same answers.
/// </summary>
public class FetchParityTests
{
    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string FetchConfig(int port, int named, int other) => $$"""
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{{Port(port)}}
            bind 127.0.0.1:{{Port(named)}} name second
            http-request return status 200 content-type text/plain lf-string "fe=%[fe_conn] other=%[fe_conn(other)] so=%[so_id] name=%[so_name] be=%[be_conn(be)] slots=%[connslots(be)] unbounded=%[connslots(be2)] ver=%[req.ver] fhdr=%[req.fhdr(x)] fhdr1=%[req.fhdr(x,1)] hdr=%[req.hdr(x)] m=%[method]"
        backend be
            server s1 127.0.0.1:1 maxconn 7 maxqueue 2
            server s2 127.0.0.1:1 maxconn 3 maxqueue 1
        backend be2
            server s1 127.0.0.1:1 maxconn 7
        frontend other
            bind 127.0.0.1:{{Port(other)}}
        """ + "\n";

    /// <summary>Ten ACLs on `method`, each adding its mark when it matches.</summary>
    private static string MethodConfig(int port) => $$"""
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{{Port(port)}}
            acl a1 method GET
            acl a2 method get
            acl a3 method -i get
            acl a4 method -i GET
            acl a5 method FOO
            acl a6 method foo
            acl a7 method -i foo
            acl a8 method -m str GET
            acl a9 method -m beg GE
            acl a10 method -i -m str get
            acl a11 method -i patch
            http-request set-var-fmt(txn.r) x
            http-request set-var-fmt(txn.r) %[var(txn.r)]1 if a1
            http-request set-var-fmt(txn.r) %[var(txn.r)]2 if a2
            http-request set-var-fmt(txn.r) %[var(txn.r)]3 if a3
            http-request set-var-fmt(txn.r) %[var(txn.r)]4 if a4
            http-request set-var-fmt(txn.r) %[var(txn.r)]5 if a5
            http-request set-var-fmt(txn.r) %[var(txn.r)]6 if a6
            http-request set-var-fmt(txn.r) %[var(txn.r)]7 if a7
            http-request set-var-fmt(txn.r) %[var(txn.r)]8 if a8
            http-request set-var-fmt(txn.r) %[var(txn.r)]9 if a9
            http-request set-var-fmt(txn.r) %[var(txn.r)]A if a10
            http-request set-var-fmt(txn.r) %[var(txn.r)]B if a11
            http-request return status 200 content-type text/plain lf-string "%[method] %[var(txn.r)]"
        """ + "\n";

    internal static async Task<string> CurlAsync(params string[] arguments)
    {
        var result = await Http.CurlAsync(arguments);
        Assert.True(result.ExitCode == 0, result.StandardError);
        return result.StandardOutput;
    }

    /// <summary>Runs the traffic through haproxy, then through Sluice; both proxies are probed on the first port.</summary>
    internal static async Task<List<string>> RunBothAsync(Func<int[], string> config, int ports, Func<int[], Task<List<string>>> traffic)
    {
        var results = new List<string>();
        var haproxyPorts = Enumerable.Range(0, ports).Select(_ => Ports.FreeListeningPort()).ToArray();
        await using (var haproxy = await LogPeers.StartHAProxyAsync(config(haproxyPorts), haproxyPorts[0]))
        {
            results.AddRange(await traffic(haproxyPorts));
        }

        var sluicePorts = Enumerable.Range(0, ports).Select(_ => Ports.FreeListeningPort()).ToArray();
        await using (var sluice = await SluiceProcess.StartAsync(config(sluicePorts), [ReadyProbe.Tcp(sluicePorts[0])]))
        {
            results.AddRange(await traffic(sluicePorts));
        }

        return results;
    }

    /// <summary>
    /// `fe_conn` counts connections still open: curl's exit and the proxy's noticing its FIN race the next request,
    /// in haproxy as in Sluice, so the next one waits a moment.
    /// </summary>
    private static async Task<string> AfterTheLastConnectionClosedAsync(Func<Task<string>> request)
    {
        await Task.Delay(300);
        return await request();
    }

    [Fact]
    public async Task ConnectionAndHeaderFetches_SameValuesAsHAProxy()
    {
        // The readiness probe goes to the other frontend, so that it is not counted in fe's sessions.
        var results = await RunBothAsync(p => FetchConfig(p[1], p[2], p[0]), 3, async p =>
        [
            await CurlAsync("-H", "x: a, b", "-H", "x: c", Http.Url(p[1], "/")),
            await AfterTheLastConnectionClosedAsync(() => CurlAsync("-H", "x: a", Http.Url(p[2], "/"))),
        ]);

        Assert.Equal(results[..2], results[2..]);
        Assert.Equal("fe=1 other=0 so=1 name= be=0 slots=13 unbounded=-1 ver=1.1 fhdr=c fhdr1=a, b hdr=c m=GET", results[2]);
        Assert.Equal("fe=1 other=0 so=2 name=second be=0 slots=13 unbounded=-1 ver=1.1 fhdr=a fhdr1=a hdr=a m=GET", results[3]);
    }

    [Fact]
    public async Task MethodAcl_WellKnownMethodsIgnoreDashI_AsHAProxy()
    {
        string[] methods = ["GET", "get", "FOO", "foo", "Foo", "PATCH"];
        var results = await RunBothAsync(p => MethodConfig(p[0]), 1, async p =>
        {
            var answers = new List<string>();
            foreach (var method in methods)
            {
                answers.Add(await CurlAsync("-X", method, Http.Url(p[0], "/")));
            }

            return answers;
        });

        Assert.Equal(results[..methods.Length], results[methods.Length..]);
        Assert.Equal(["GET x1489A", "get x23A", "FOO x57", "foo x67", "Foo x7", "PATCH xB"], results[methods.Length..]);
    }

    [Fact]
    public async Task UrlEnc_EncodesAllButUnreserved_AsHAProxy()
    {
        const string value = "a b!\"#$%&'()*+/:;<=>?@[\\]^_`{|}~-.Z09\u00e9";
        var results = await RunBothAsync(p => $$"""
            defaults
                mode http
                timeout connect 1s
                timeout client 5s
                timeout server 5s
            frontend fe
                bind 127.0.0.1:{{Port(p[0])}}
                http-request return status 200 content-type text/plain lf-string "%[req.fhdr(x-in),url_enc]|%[req.fhdr(x-in),url_enc(query),url_dec]"
            """ + "\n", 1, async p => [await CurlAsync("-H", "x-in: " + value, Http.Url(p[0], "/"))]);

        Assert.Equal(results[0], results[1]);
        Assert.StartsWith("a%20b%21%22%23%24%25%26%27%28%29%2A%2B%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~-.Z09%C3%A9|", results[1], StringComparison.Ordinal);
    }

    /// <summary>`uuid` and `uuid(4)`: a new random version 4 UUID on every evaluation, in haproxy 2.6's text form.</summary>
    [Fact]
    public async Task Uuid_IsAFreshVersion4Uuid_AsHAProxy()
    {
        string Config(int port, string socket) => $"""
            {Sluice.Integration.Scenarios.Stats.HaproxyOracle.Preamble(socket)}
            frontend fe
                bind 127.0.0.1:{Port(port)}
                http-request return status 200 content-type text/plain lf-string "%[uuid] %[uuid(4)]"
            """;

        async Task<string[]> Run(int port, string socket)
        {
            var bodies = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                bodies.AddRange((await Http.CurlAsync(Http.Url(port, "/"))).StandardOutput.Split(' '));
            }

            var shape = new System.Text.RegularExpressions.Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
            return [$"{bodies.Count} values", $"{bodies.Count(b => shape.IsMatch(b))} version 4", $"{bodies.Distinct().Count()} distinct"];
        }

        var (reference, ours) = await Sluice.Integration.Scenarios.Stats.HaproxyOracle.CompareAsync(Config, Run);
        Assert.Equal(["6 values", "6 version 4", "6 distinct"], reference);
        Assert.Equal(reference, ours);
    }
}
