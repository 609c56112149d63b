using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;

namespace Sluice.Tests.Config;

public sealed class ConfigLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-cfg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (SluiceConfig? Config, List<string> Lines) Load(string text, Dictionary<string, string>? environment = null, string name = "t.cfg")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return LoadPaths([path], environment);
    }

    private static (SluiceConfig? Config, List<string> Lines) LoadPaths(IReadOnlyList<string> paths, Dictionary<string, string>? environment = null)
    {
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load(paths, name => environment?.GetValueOrDefault(name), diagnostics);
        return (config, diagnostics.Items.Select(AlertFormatter.Format).ToList());
    }

    private const string Timeouts = "    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\n";

    [Fact]
    public void Load_SeedTlsOffloadBackend_StaticRrWeightsOnUnixSockets()
    {
        var (config, lines) = Load($"""
            defaults
                mode tcp
            {Timeouts}
            frontend h2-tls
                bind 127.0.0.1:8443
                default_backend tls-clean
            backend tls-clean
                mode  tcp
                balance static-rr
                server original /var/run/original.sock weight 90
                server h2-haproxy /var/run/h2-haproxy.sock weight 10
            """);

        Assert.Empty(lines);
        var backend = Assert.Single(config!.Backends);
        Assert.Equal(BalanceAlgorithm.StaticRoundRobin, backend.Balance.Algorithm);
        Assert.Equal(new[] { 90, 10 }, backend.Servers.Select(s => s.Weight));
        Assert.Equal("/var/run/original.sock", Assert.IsType<UnixServerAddress>(backend.Servers[0].Address).Path);
        Assert.Same(backend, config.Frontends[0].DefaultBackend);
        Assert.Equal(TimeSpan.FromSeconds(5), config.Frontends[0].Timeouts.Client);
    }

    [Fact]
    public void Load_ServerTemplates_NumberedServersWithTheirOptions()
    {
        var (config, lines) = Load($"""
            resolvers dns
                nameserver ns1 127.0.0.1:53
            defaults
                mode http
            {Timeouts}
            backend b
                server first 127.0.0.1:81
                server-template web 3 127.0.0.1:80 weight 5
                server-template app 0-1 _http._tcp.svc.test resolvers dns resolve-opts allow-dup-ip,ignore-weight
            """);

        Assert.Empty(lines);
        var servers = Assert.Single(config!.Backends).Servers;
        Assert.Equal(["first", "web1", "web2", "web3", "app0", "app1"], servers.Select(s => s.Name));
        Assert.Equal([1, 2, 3, 4, 5, 6], servers.Select(s => s.Id));
        Assert.Equal([1, 5, 5, 5, 1, 1], servers.Select(s => s.Weight));
        Assert.All(servers.Skip(4), s => Assert.Equal("_http._tcp.svc.test", s.SrvRecord));
        Assert.All(servers.Skip(4), s => Assert.True(s.Disabled && s.AllowDuplicateIp && s.IgnoreSrvWeight));
        Assert.Equal("dns", servers[4].Resolvers!.Name);
        Assert.Null(servers[1].SrvRecord);
    }

    [Fact]
    public void Load_DefaultsInheritance_LastDefaultsAndNamedFrom()
    {
        var (config, lines) = Load($"""
            defaults base
                mode tcp
                retries 7
            {Timeouts}
            defaults
                mode tcp
                retries 1
            {Timeouts}
            backend b1
                server s 127.0.0.1:1
            backend b2 from base
                server s 127.0.0.1:1
            listen l1
                bind 127.0.0.1:9999
                server s 127.0.0.1:1
            """);

        Assert.Empty(lines);
        Assert.Equal(1, config!.Backends.Single(b => b.Name == "b1").Retries);
        Assert.Equal(7, config.Backends.Single(b => b.Name == "b2").Retries);
        var listen = config.Frontends.Single();
        Assert.Equal("l1", listen.DefaultBackend!.Name);
    }

    /// <summary>A defaults section without `from` starts from the built-in settings, not from the one before it (HAProxy).</summary>
    [Fact]
    public void Load_ADefaultsSection_DoesNotInheritThePreviousOne()
    {
        var (config, lines) = Load($"""
            defaults first
                mode http
                retries 7
                source 127.0.0.2
            {Timeouts}
            defaults
            {Timeouts}
            backend b1
                server s 127.0.0.1:1
            defaults from first
            backend b2
                server s 127.0.0.1:1
            """);

        Assert.Empty(lines);
        var (b1, b2) = (config!.Backends.Single(b => b.Name == "b1"), config.Backends.Single(b => b.Name == "b2"));
        Assert.Equal((ProxyMode.Tcp, 3, null), (b1.Mode, b1.Retries, b1.Source));
        Assert.Equal((ProxyMode.Http, 7, "127.0.0.2"), (b2.Mode, b2.Retries, b2.Source?.Text));
    }

    /// <summary>A named defaults section may be referenced with `from` or be the implicit parent, not both (HAProxy's alert, either order).</summary>
    [Fact]
    public void Load_NamedDefaultsUsedBothWays_IsAnAlertAtEachLaterUse()
    {
        var (config, lines) = Load($"""
            defaults shared
                mode tcp
            {Timeouts}
            backend implicit
                server s 127.0.0.1:1
            backend explicit from shared
                server s 127.0.0.1:1
            backend implicit-again
                server s 127.0.0.1:1
            """);

        Assert.Null(config);
        const string Alert = "defaults section 'shared' (declared at t.cfg:1) is explicitly referenced by another proxy and implicitly used here. To avoid any ambiguity don't mix both usage. Add a last defaults section not explicitly used or always use explicit references.";
        var named = lines.Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"/[^\[\]' ]*/t\.cfg", "t.cfg")).ToList();
        Assert.Contains($"[ALERT] parsing [t.cfg:9] : {Alert}", named);
        Assert.Contains($"[ALERT] parsing [t.cfg:11] : {Alert}", named);
    }

    [Fact]
    public void Load_DefaultServer_AppliesToLaterServersOnly()
    {
        var (config, _) = Load($"""
            defaults
                mode tcp
            {Timeouts}
            backend b
                server a 127.0.0.1:1
                default-server weight 5 maxconn 20
                server b 127.0.0.1:2
                server c 127.0.0.1:3 weight 1 backup
            """);

        var servers = config!.Backends[0].Servers;
        Assert.Equal((1, 0, false), (servers[0].Weight, servers[0].MaxConn, servers[0].Backup));
        Assert.Equal((5, 20, false), (servers[1].Weight, servers[1].MaxConn, servers[1].Backup));
        Assert.Equal((1, 20, true), (servers[2].Weight, servers[2].MaxConn, servers[2].Backup));
        Assert.Equal(new[] { 1, 2, 3 }, servers.Select(s => s.Id));
    }

    [Fact]
    public void Load_SeveralGlobalSections_AddUp()
    {
        var (config, lines) = Load("""
            global
                maxconn 100
                tune.bufsize 32k
            global
                hard-stop-after 30s
                strict-limits
            global
                no strict-limits
                nbthread 2
            """);

        Assert.Empty(lines);
        Assert.Equal(100, config!.Global.MaxConn);
        Assert.Equal(32768, config.Global.BufSize);
        Assert.Equal(TimeSpan.FromSeconds(30), config.Global.HardStopAfter);
        Assert.False(config.Global.StrictLimits);
        Assert.Equal(2, config.Global.NbThread);
    }

    [Fact]
    public void Load_TuneH2_ReadIntoTheGlobalModel()
    {
        var (config, lines) = Load("""
            global
                tune.h2.fe.max-concurrent-streams 10
                tune.h2.initial-window-size 131072
                tune.h2.header-table-size 0
                tune.h2.max-frame-size 65536
            """);

        Assert.Empty(lines);
        Assert.Equal((10, 131072, 0, 65536), (config!.Global.H2MaxConcurrentStreams, config.Global.H2InitialWindowSize, config.Global.H2HeaderTableSize, config.Global.H2MaxFrameSize));
    }

    [Fact]
    public void Load_TuneH2FrontAbuseLimits_DefaultsAndValues()
    {
        var (defaults, _) = Load("global\n    maxconn 10\n");
        Assert.Equal((250, 0), (defaults!.Global.H2FrontGlitchesThreshold, defaults.Global.H2FrontMaxTotalStreams));
        var (config, lines) = Load("global\n    tune.h2.fe.glitches-threshold 0\n    tune.h2.fe.max-total-streams 1000\n");
        Assert.Empty(lines);
        Assert.Equal((0, 1000), (config!.Global.H2FrontGlitchesThreshold, config.Global.H2FrontMaxTotalStreams));
    }

    [Fact]
    public void Load_TuneH2SideWindowsAndServerStreams_EachSideItsOwn()
    {
        var (config, lines) = Load("global\n    tune.h2.initial-window-size 131072\n    tune.h2.fe.initial-window-size 1000\n"
            + "    tune.h2.be.initial-window-size 2000\n    tune.h2.be.max-concurrent-streams 5\n");
        Assert.Empty(lines);
        var front = Sluice.Mux.Http2.Http2Limits.From(config!.Global);
        var servers = Sluice.Mux.Http2.Http2Limits.ForServers(config.Global);
        Assert.Equal((1000, 100), (front.InitialWindowSize, front.MaxConcurrentStreams));
        Assert.Equal((2000, 5), (servers.InitialWindowSize, servers.MaxConcurrentStreams));

        var (defaults, _) = Load("global\n    tune.h2.initial-window-size 131072\n");
        var defaultServers = Sluice.Mux.Http2.Http2Limits.ForServers(defaults!.Global);
        Assert.Equal((131072, 131072, 0), (Sluice.Mux.Http2.Http2Limits.From(defaults.Global).InitialWindowSize, defaultServers.InitialWindowSize, defaultServers.MaxConcurrentStreams));
    }

    [Theory]
    [InlineData("tune.h2.be.initial-window-size 0")]
    [InlineData("tune.h2.be.max-concurrent-streams -1")]
    [InlineData("tune.h2.fe.glitches-threshold -1")]
    [InlineData("tune.h2.fe.max-total-streams many")]
    [InlineData("tune.h2.header-table-size 65537")]
    [InlineData("tune.h2.max-frame-size 1024")]
    [InlineData("tune.h2.max-frame-size 16777216")]
    [InlineData("tune.h2.max-concurrent-streams 0")]
    public void Load_TuneH2OutOfRange_Alert(string line)
    {
        var (config, lines) = Load("global\n    " + line + "\n");
        Assert.Null(config);
        Assert.Contains(lines, l => Strip(l).StartsWith("[ALERT] parsing [t.cfg:2] : '" + line.Split(' ')[0] + "'", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_Directory_CfgFilesInLexicalOrder()
    {
        var dir = Path.Combine(_dir, "conf.d");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "20-backend.cfg"), "backend b\n    timeout server 1s\n    timeout connect 1s\n    server s 127.0.0.1:1\n");
        File.WriteAllText(Path.Combine(dir, "10-frontend.cfg"), "frontend f\n    timeout client 1s\n    bind 127.0.0.1:9\n    default_backend b\n");
        File.WriteAllText(Path.Combine(dir, "README"), "this is not configuration\n");

        var (config, lines) = LoadPaths([dir]);

        Assert.True(lines.Count == 0, string.Join('\n', lines));
        Assert.Equal("b", config!.Frontends[0].DefaultBackend!.Name);
        Assert.Equal(1, config.Frontends[0].Id);
        Assert.Equal(2, config.Backends[0].Id);
    }

    [Fact]
    public void Load_ConditionalBlocks_SelectBranch()
    {
        var (config, lines) = Load("""
            global
            .if defined(WITH_LIMIT)
                maxconn 10
            .elif streq("$MODE",big)
                maxconn 1000
            .else
                maxconn 5
            .endif
            .if 0
                this would be an error
            .endif
            """, new() { ["MODE"] = "big" });

        Assert.Empty(lines);
        Assert.Equal(1000, config!.Global.MaxConn);
    }

    [Fact]
    public void Load_NestedConditionalInFalseBranch_StaysInactive()
    {
        var (config, _) = Load("""
            global
                maxconn 1
            .if 0
            .if 1
                maxconn 2
            .endif
            .else
            .if 1
                maxconn 3
            .endif
            .endif
            """);

        Assert.Equal(3, config!.Global.MaxConn);
    }

    [Fact]
    public void Load_Messages_NoticeWarningAlert()
    {
        var (config, lines) = Load("""
            .notice "hello $WHO"
            .warning careful
            .alert stop here
            """, new() { ["WHO"] = "world" });

        Assert.Null(config);
        Assert.Equal("[NOTICE] parsing [t.cfg:1] : 'hello world'.", Strip(lines[0]));
        Assert.Equal("[WARNING] parsing [t.cfg:2] : 'careful'.", Strip(lines[1]));
        Assert.Equal("[ALERT] parsing [t.cfg:3] : 'stop here'.", Strip(lines[2]));
    }

    [Fact]
    public void Load_HttpOnlyLogVariableInModeTcp_AlertAsHAProxy()
    {
        var (config, lines) = Load("frontend f\n    mode tcp\n    bind :80\n    log stdout format raw local0\n    log-format \"%ci %Tw %Ti %r\"\n    default_backend b\nbackend b\n    mode tcp\n    server s 127.0.0.1:81\n");
        Assert.Null(config);
        Assert.Contains("[ALERT] config : Parsing [t.cfg:5]: failed to parse log-format : format variable 'Ti' is reserved for HTTP mode.", lines.Select(Strip));
    }

    [Fact]
    public void Load_StickRuleWithoutItsTable_AlertAsHAProxy()
    {
        var (config, lines) = Load("backend b\n    stick on src table nope\n    server s 127.0.0.1:80\n");
        Assert.Null(config);
        Assert.Contains("[ALERT] config : Proxy 'b': unable to find stick-table 'nope'.", lines.Select(Strip));
    }

    [Fact]
    public void Load_UnterminatedIf_Alert()
    {
        var (_, lines) = Load("global\n.if 1\n    maxconn 2\n");
        Assert.Contains("[ALERT] parsing [t.cfg:2] : non-terminated '.if' block.", lines.Select(Strip));
    }

    [Theory]
    [InlineData("global\n    nbthreads 2\n", "unknown keyword 'nbthreads' in 'global' section; did you mean 'nbthread' maybe ?")]
    [InlineData("global\n    lua-load /x.lua\n", "'lua-load' is not supported yet.")]
    [InlineData("global\n    stats socket /run/s.sock level root\n", "'stats socket' : 'level' only supports 'user', 'operator', and 'admin'.")]
    [InlineData("global\n    stats socket ipv4@127.0.0.1\n", "'stats socket' : invalid address 'ipv4@127.0.0.1'.")]
    [InlineData("frontend f\n    stats http-request tarpit\n", "'stats http-request tarpit' is not supported yet.")]
    [InlineData("defaults\n    stats admin if TRUE\n", "'stats admin' not allowed in 'defaults' section.")]
    [InlineData("frontend f\n    http-request use-service lua.x\n", "'http-request use-service lua.x' is not supported yet.")]
    [InlineData("global\n    maxconn x\n", "'maxconn' expects an integer argument of at least 1 (got 'x').")]
    [InlineData("global\n    hard-stop-after 5q\n", "'hard-stop-after' : unexpected character 'q' in argument '5q'.")]
    [InlineData("global\n    daemon now\n", "'daemon' cannot handle unexpected argument 'now'.")]
    [InlineData("frontend f\n    balanse roundrobin\n", "unknown keyword 'balanse' in 'frontend' section; did you mean 'balance' maybe ?")]
    [InlineData("frontend f\n    http-request cache-use c\n", "'http-request cache-use' is not supported yet.")]
    [InlineData("backend b\n    http-response wait-for-body time 1s\n", "'http-response wait-for-body' is not supported yet.")]
    [InlineData("frontend f\n    option redispatchx\n", "unknown option 'redispatchx'; did you mean 'redispatch' maybe ?")]
    [InlineData("frontend f\n    option forwardfor bogus\n", "'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.")]
    [InlineData("frontend f\n    option checkcache\n", "option 'checkcache' is not supported yet.")]
    [InlineData("frontend f\n    no maxconn\n", "'no' is only supported before 'option' keywords (got 'no maxconn').")]
    [InlineData("frontend f\n    timeout clinet 5s\n", "'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin', 'server-fin' and 'client-hs' (got 'clinet')")]
    [InlineData("frontend f\n    timeout client 5x\n", "unexpected character 'x' in 'timeout client'")]
    [InlineData("frontend f\n    timeout client 30d\n", "timer overflow in argument '30d' to 'timeout client' (maximum value is 2147483647 ms or ~24.8 days)")]
    [InlineData("frontend f\n    bind *:8084 proto h2,http/1.1\n", "'bind *:8084' : 'proto' : unknown MUX protocol 'h2,http/1.1'")]
    [InlineData("frontend f\n    bind :8085 foo\n", "'bind :8085' : unknown keyword 'foo'; did you mean 'tfo' maybe ?")]
    [InlineData("frontend f\n    bind :443 ssl tls-ticket-keys /etc/keys\n", "'bind :443' : 'tls-ticket-keys' is not supported yet.")]
    [InlineData("frontend f\n    bind :80 guid-prefix a\n", "'bind :80' : 'guid-prefix' is not supported yet.")]
    [InlineData("frontend f\n    bind 1.2.3.4.5:80\n", "'bind' : invalid address: '1.2.3.4.5' in '1.2.3.4.5:80'")]
    [InlineData("frontend f\n    bind :80 mode 999\n", "'bind :80' : 'mode' : invalid mode '999', expects an octal value.")]
    [InlineData("frontend f\n    server s 127.0.0.1:80\n", "'server' not allowed because frontend 'f' has no backend capability.")]
    [InlineData("backend b\n    bind :80\n", "'bind' not allowed because backend 'b' has no frontend capability.")]
    [InlineData("defaults\n    server s 127.0.0.1:80\n", "'server' not allowed in 'defaults' section.")]
    [InlineData("backend b\n    balance roundrob\n", "balance only supports 'roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'random', 'uri', 'url_param', 'hdr(name)', 'rdp-cookie(name)' and 'hash' options.")]
    [InlineData("backend b\n    balance log-hash\n", "'balance log-hash' is not supported yet.")]
    [InlineData("backend b\n    balance rdp-cookie(foo\n", "balance rdp-cookie : missing cookie name.")]
    [InlineData("backend b\n    balance rdp-cookie()\n", "balance rdp-cookie : missing cookie name.")]
    [InlineData("backend b\n    balance rdp-cookiefoo\n", "balance rdp-cookie : missing cookie name.")]
    [InlineData("backend b\n    persist\n", "missing persist method.")]
    [InlineData("backend b\n    persist foo\n", "unknown persist method.")]
    [InlineData("backend b\n    persist rdp-cookie()\n", "persist rdp-cookie(name)' requires an rdp cookie name.")]
    [InlineData("backend b\n    persist rdp-cookiex\n", "persist rdp-cookie(name)' requires an rdp cookie name.")]
    [InlineData("backend b\n    persist rdp-cookie(a) b\n", "'persist' cannot handle unexpected argument 'b'.")]
    [InlineData("backend b\n    balance uri foo\n", "balance uri only accepts parameters 'len', 'depth', 'path-only', and 'whole' (got 'foo').")]
    [InlineData("backend b\n    hash-type consistent none\n", "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions.")]
    [InlineData("backend b\n    balance url_param\n", "balance url_param requires an URL parameter name.")]
    [InlineData("frontend f\n    stick-table type ip size 10 store http_req_rate\n", "'stick-table' : 'http_req_rate' requires a period, as in 'http_req_rate(10s)'.")]
    [InlineData("frontend f\n    http-request sc-inc-gpc0(3)\n", "error detected in frontend 'f' while parsing 'http-request sc-inc-gpc0(3)' rule : invalid stick table track ID. The max allowed ID is 2.")]
    [InlineData("frontend f\n    http-request sc-inc-gpc0(x)\n", "error detected in frontend 'f' while parsing 'http-request sc-inc-gpc0(x)' rule : invalid stick table track ID. Expects sc-inc-gpc0(x)(<Track ID>).")]
    [InlineData("frontend f\n    stick-table type ip size 10 store gpc0_rate\n", "'stick-table' : 'gpc0_rate' requires a period, as in 'gpc0_rate(10s)'.")]
    [InlineData("frontend f\n    stick-table type ip size 10 store gpc(0)\n", "'stick-table' : array size is out of allowed range (1-100) for store option 'gpc'.")]
    [InlineData("frontend f\n    stick-table type ip size 10 store gpt(101)\n", "'stick-table' : array size is out of allowed range (1-100) for store option 'gpt'.")]
    [InlineData("frontend f\n    stick-table type ip size 10 store gpc_rate(2)\n", "'stick-table' : missing argument to store option 'gpc_rate'.")]
    [InlineData("frontend f\n    stick-table type ip size 10 store gpc\n", "'stick-table' : missing argument to store option 'gpc'.")]
    [InlineData("frontend f\n    stick-table type ip size 10 store gpc(2),gpc0\n", "'stick-table' : simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.")]
    [InlineData("frontend f\n    stick-table type ip size 10 store gpc_rate(2,10s),gpc1_rate(10s)\n", "'stick-table' : simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as 'gpc_rate' overrides 'gpc[0/1]_rate'.")]
    [InlineData("frontend f\n    stick-table type ip size 10 store gpt(3),gpt0\n", "'stick-table' : simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'.")]
    [InlineData("frontend f\n    http-request sc-inc-gpc(1)\n", "error detected in frontend 'f' while parsing 'http-request sc-inc-gpc(1)' rule : Missing gpc ID 'sc-inc-gpc(1)'. Expects sc-inc-gpc(<GPC ID>,<Track ID>).")]
    [InlineData("frontend f\n    http-request sc-inc-gpc\n", "error detected in frontend 'f' while parsing 'http-request sc-inc-gpc' rule : invalid gpc ID 'sc-inc-gpc'. Expects sc-inc-gpc(<GPC ID>,<Track ID>).")]
    [InlineData("frontend f\n    http-request sc-inc-gpc(1,3)\n", "error detected in frontend 'f' while parsing 'http-request sc-inc-gpc(1,3)' rule : invalid stick table track ID 'sc-inc-gpc(1,3)'. The max allowed ID is 2.")]
    [InlineData("frontend f\n    http-request sc-set-gpt(1) 5\n", "error detected in frontend 'f' while parsing 'http-request sc-set-gpt(1)' rule : Missing gpt ID 'sc-set-gpt(1)'. Expects sc-set-gpt(<GPT ID>,<Track ID>).")]
    [InlineData("backend b\n    stick foo src\n", "'stick' expects 'on', 'match', or 'store'.")]
    [InlineData("backend b\n    stick on\n", "'stick' expects a fetch method.")]
    [InlineData("backend b\n    stick store-request res.hdr(x)\n", "'stick': fetch method 'res.hdr' extracts information from 'HTTP response headers', none of which is available during request.")]
    [InlineData("backend b\n    stick match src foo\n", "'stick': unknown keyword 'foo'.")]
    [InlineData("backend b\n    mode http\n    stick store-response path\n", "'stick': fetch method 'path' extracts information from 'HTTP request headers', none of which is available for 'store-response'.")]
    [InlineData("defaults\n    stick on src\n", "'stick' not allowed in 'defaults' section.")]
    [InlineData("backend b\n    balance random(x)\n", "'balance random' : invalid number of draws in 'random(x)'.")]
    [InlineData("backend b\n    server s1 127.0.0.1:80 weigth 10\n", "'server b/s1' : unknown keyword 'weigth'; did you mean 'weight' maybe ?")]
    [InlineData("backend b\n    server s1 127.0.0.1:80 weight 300\n", "'server b/s1' : 'weight' : invalid weight '300', expects an integer between 0 and 256.")]
    [InlineData("backend b\n    server s1 127.0.0.1:80 check track s2\n", "'server b/s1' : unable to enable checks and tracking at the same time!")]
    [InlineData("backend b\n    server s1 127.0.0.1:abc\n", "'server b/s1' : invalid character 'a' in port number 'abc' in '127.0.0.1:abc'")]
    [InlineData("backend b\n    server s1\n", "'server' expects <name> and <addr>[:<port>] as arguments.")]
    [InlineData("backend b\n    mode log\n", "'mode log' is not supported yet.")]
    [InlineData("backend b\n    mode health\n", "unknown proxy mode 'health'.")]
    [InlineData("backend b\n    retries x\n", "'retries' expects an integer argument (got 'x').")]
    [InlineData("backend b\n    source 10.0.0.1 usesrc hdr_ip(x-forwarded-for)\n", "'usesrc hdr_ip(...)' is not supported yet.")]
    [InlineData("peers p\n", "'peers' sections are not supported yet.")]
    [InlineData("bogus line\n", "unknown keyword 'bogus' out of section.")]
    [InlineData("frontend\n", "'frontend' expects <name> as arguments.")]
    [InlineData("frontend a/b\n", "character '/' is not permitted in 'frontend' name 'a/b'.")]
    [InlineData("frontend f from nope\n", "'frontend f' : defaults section 'nope' not found.")]
    public void Load_InvalidLine_OneAlertWithLocation(string text, string expected)
    {
        var (config, lines) = Load(text);
        Assert.Null(config);
        var alerts = lines.Where(l => l.StartsWith("[ALERT] parsing", StringComparison.Ordinal)).ToList();
        var line = text.Split('\n').Length - 1;
        Assert.Equal($"[ALERT] parsing [t.cfg:{line}] : {expected}", Strip(Assert.Single(alerts)));
        Assert.Equal("[ALERT] config : Fatal errors found in configuration.", lines[^1]);
    }

    [Fact]
    public void Load_ManyErrors_AllReportedInOneRun()
    {
        var (config, lines) = Load("""
            global
                nbthreads 2
            frontend f
                bind :80 foo
                balanse x
            backend b
                server s 127.0.0.1:x
            """);

        Assert.Null(config);
        Assert.Equal(4, lines.Count(l => l.StartsWith("[ALERT] parsing", StringComparison.Ordinal)));
        Assert.Equal("[ALERT] config : Error(s) found in configuration file : t.cfg", Strip(lines[^2]));
    }

    [Fact]
    public void Load_References_Checked()
    {
        var (config, lines) = Load($"""
            defaults
                mode tcp
            {Timeouts}
            frontend f
                bind 127.0.0.1:1
                default_backend missing
            backend b
                server s 127.0.0.1:1
            backend b
                server s 127.0.0.1:1
            """);

        Assert.Null(config);
        Assert.Contains("[ALERT] config : Proxy 'f': unable to find required default_backend: 'missing'.", lines);
        Assert.Contains(lines, l => Strip(l) == "[ALERT] parsing [t.cfg:12] : backend 'b' has the same name as backend 'b' declared at t.cfg:10.");
    }

    [Fact]
    public void Load_FrontendAndBackendSameName_Allowed()
    {
        var (config, _) = Load($"""
            defaults
                mode tcp
            {Timeouts}
            frontend app
                bind 127.0.0.1:1
                default_backend app
            backend app
                server s 127.0.0.1:1
            """);

        Assert.NotNull(config);
    }

    [Fact]
    public void Load_MissingTimeouts_HAProxyWarning()
    {
        var (config, lines) = Load("frontend f\n    mode tcp\n    bind 127.0.0.1:1\n");
        Assert.NotNull(config);
        Assert.StartsWith("[WARNING] config : missing timeouts for frontend 'f'.\n   | While not properly invalid", lines.Single());
    }

    [Fact]
    public void Load_BackendKeywordInFrontend_WarningIgnored()
    {
        var (config, lines) = Load($"defaults\n{Timeouts}frontend f\n    bind 127.0.0.1:1\n    balance leastconn\n");
        Assert.NotNull(config);
        Assert.Equal("[WARNING] parsing [t.cfg:7] : 'balance' ignored because frontend 'f' has no backend capability.", Strip(lines.Single()));
    }

    /// <summary>HAProxy reads RDP cookies from raw bytes and so never finds one in mode http; Sluice says so.</summary>
    [Theory]
    [InlineData("balance rdp-cookie", "balance")]
    [InlineData("persist rdp-cookie(msts)", "persist")]
    public void Load_RdpCookieInModeHttp_Warning(string line, string keyword)
    {
        var (config, lines) = Load($"defaults\n{Timeouts}backend b\n    mode http\n    {line}\n    server s 127.0.0.1:1\n");
        Assert.NotNull(config);
        Assert.Equal($"[WARNING] config : backend 'b' : RDP cookies are only read in mode tcp; '{keyword} rdp-cookie' has no effect in mode http.", Strip(lines.Single()));
    }

    [Fact]
    public void Load_TimeoutForOtherSide_HAProxyWarning()
    {
        var (config, lines) = Load("backend b\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\n    maxconn 5\n");
        Assert.NotNull(config);
        Assert.Equal(
            [
                "[WARNING] parsing [t.cfg:2] : 'timeout client' will be ignored because backend 'b' has no frontend capability",
                "[WARNING] parsing [t.cfg:5] : 'maxconn' ignored because backend 'b' has no frontend capability. Maybe you want 'fullconn' instead ?",
            ],
            lines.Select(Strip));
    }

    [Fact]
    public void Load_LogKeywords_LoadWithoutWarnings()
    {
        var (config, lines) = Load($"global\n    log stdout local0\ndefaults\n    log global\n    option tcplog\n{Timeouts}");
        Assert.NotNull(config);
        Assert.DoesNotContain(lines, l => l.Contains("[WARNING]", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_LogGlobalNoLogAndFormats_AsHAProxy()
    {
        var (config, lines) = Load($$"""
            global
                log 127.0.0.1:1514 local0
                log-tag gtag
            defaults
                mode http
                log global
                option httplog
            {{Timeouts}}
            frontend a
                bind 127.0.0.1:1
                log stdout format raw local1
            frontend b
                bind 127.0.0.1:2
                no log
            frontend c
                bind 127.0.0.1:3
                log-tag ctag
                log-format "%ci %ST"
            listen t
                mode tcp
                bind 127.0.0.1:4
            """ + "\n");
        Assert.True(config is not null, string.Join('\n', lines));
        var a = config!.Frontends.Single(f => f.Name == "a").Log!;
        Assert.Equal(["127.0.0.1:1514", "stdout"], a.Targets.Select(t => t.Text == "stdout" ? "stdout" : t.Address!.ToString()));
        Assert.Equal(Sluice.Logging.LogFormatChoice.Http, a.Choice);
        Assert.Equal("gtag", a.Tag);
        Assert.Null(config.Frontends.Single(f => f.Name == "b").Log);
        var c = config.Frontends.Single(f => f.Name == "c").Log!;
        Assert.Equal(Sluice.Logging.LogFormatChoice.Custom, c.Choice);
        Assert.Equal("ctag", c.Tag);
        Assert.Equal(Sluice.Logging.LogFormatChoice.Tcp, config.Frontends.Single(f => f.Name == "t").Log!.Choice);
        Assert.Contains("[WARNING] config : parsing [t.cfg:7] : 'option httplog' not usable with proxy 't' (needs 'mode http'). Falling back to 'option tcplog'.", lines.Select(Strip));
    }

    [Fact]
    public void Load_HttpsLog_ChoosesHAProxysFormat()
    {
        var (config, _) = Load($"defaults\n    mode http\n    log stdout local0\n    option httpslog\n{Timeouts}frontend f\n    bind :8080\n");
        Assert.Equal(Sluice.Logging.LogFormatChoice.Https, config!.Frontends.Single().Log!.Choice);
    }

    [Theory]
    [InlineData("log 127.0.0.1 local9", "log : unknown log facility 'local9'")]
    [InlineData("log 127.0.0.1 local0 foo", "log : unknown optional log level 'foo'")]
    [InlineData("log 127.0.0.1 len 10 local0", "log : invalid log length '10', must be between 80 and 65535")]
    [InlineData("log 127.0.0.1 format xx local0", "log : unknown log format 'xx'")]
    [InlineData("log stdout", "log : expects <address> and <facility>  as arguments")]
    [InlineData("log 127.0.0.1 local0 info info extra", "log : cannot handle unexpected argument 'extra'")]
    [InlineData("log 127.0.0.1:99999 local0", "log : invalid port '99999'")]
    [InlineData("log-tag", "'log-tag' expects a tag for use in syslog.")]
    public void Load_BadGlobalLogLine_AlertsAsHAProxy(string line, string message)
    {
        var (config, lines) = Load($"global\n    {line}\n{Timeouts}");
        Assert.Null(config);
        Assert.Contains(lines, l => l.Contains("[ALERT]", StringComparison.Ordinal) && l.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Load_ZeroWarning_WarningsAreFatal()
    {
        var (config, lines) = Load("global\n    zero-warning\nfrontend f\n    bind 127.0.0.1:1\n");
        Assert.Null(config);
        Assert.Contains("[ALERT] config : Some warnings were found and 'zero-warning' is set. Aborting.", lines);
    }

    [Fact]
    public void Load_BindOptions_Parsed()
    {
        var (config, lines) = Load($"defaults\n{Timeouts}frontend f\n    bind 127.0.0.1:7000-7001,unix@/tmp/x.sock name web maxconn 50 backlog 20 mode 660 proto none\n");
        Assert.Empty(lines);
        var binds = config!.Frontends[0].Binds;
        Assert.Equal(2, binds.Count);
        Assert.All(binds, b => Assert.Equal(("web", 50, 20, 0x1B0, "none"), (b.Name, b.MaxConn, b.Backlog, b.UnixMode, b.Proto)));
        Assert.IsType<InetBindAddress>(binds[0].Address);
        Assert.IsType<UnixBindAddress>(binds[1].Address);
    }

    [Fact]
    public void Load_Redispatch_Interval()
    {
        var (config, _) = Load($"defaults\n{Timeouts}    option redispatch\nbackend a\nbackend b\n    option redispatch 2\nbackend c\n    no option redispatch\n");
        Assert.Equal(new int?[] { -1, 2, null }, config!.Backends.Select(b => b.Redispatch));
    }

    [Fact]
    public void Load_HttpUseHtx_DeprecatedWarning()
    {
        var (_, lines) = Load($"defaults\n{Timeouts}    option http-use-htx\n");
        Assert.Equal("[WARNING] parsing [t.cfg:5] : option 'http-use-htx' is deprecated and ignored. The HTX mode is now the only supported mode.", Strip(lines.Single()));
    }

    [Fact]
    public void Load_MissingFile_Alert()
    {
        var (config, lines) = LoadPaths(["/nonexistent/sluice.cfg"]);
        Assert.Null(config);
        Assert.Equal("[ALERT] Could not open configuration file /nonexistent/sluice.cfg : No such file or directory", lines[0]);
    }

    /// <summary>Removes the temporary directory from file names so that lines read as they do in a working directory.</summary>
    private string Strip(string line) => line.Replace(_dir + Path.DirectorySeparatorChar, string.Empty);
}
