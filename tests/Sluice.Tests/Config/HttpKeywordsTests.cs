using System.Net;
using System.Text;
using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;

namespace Sluice.Tests.Config;

/// <summary>The HTTP keywords of proxy sections and server lines, and the checks HAProxy makes on them.</summary>
public sealed class HttpKeywordsTests : IDisposable
{
    private const string Defaults = "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\n";

    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-http-").FullName;

    public HttpKeywordsTests()
    {
        File.WriteAllText(Path.Combine(_dir, "503.http"), "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/html\r\n\r\n<h1>down</h1>\n");
        File.WriteAllText(Path.Combine(_dir, "junk.http"), "junk");
        File.WriteAllText(Path.Combine(_dir, "body.txt"), "hello 100%% done\n");
        File.WriteAllText(Path.Combine(_dir, "lf.txt"), "client %[src]\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Loads <paramref name="text"/>, where <c>DIR</c> stands for the directory of the test files.</summary>
    private (SluiceConfig? Config, List<string> Lines) Load(string text)
    {
        var path = Path.Combine(_dir, "t.cfg");
        File.WriteAllText(path, text.Replace("DIR", _dir, StringComparison.Ordinal));
        var diagnostics = new DiagnosticBag();
        var config = ConfigLoader.Load([path], _ => null, diagnostics);
        return (config, diagnostics.Items.Select(d => AlertFormatter.Format(d).Replace(path, "t.cfg", StringComparison.Ordinal).Replace(_dir, "DIR", StringComparison.Ordinal)).ToList());
    }

    /// <summary>A frontend <c>f</c> with <paramref name="frontend"/> lines and a backend <c>b</c> with <paramref name="backend"/> lines.</summary>
    private (SluiceConfig? Config, List<string> Lines) LoadProxies(string frontend = "", string backend = "") =>
        Load($"{Defaults}frontend f\n    bind 127.0.0.1:8080\n    default_backend b\n{frontend}backend b\n    server s 127.0.0.1:80\n{backend}");

    private static HttpReturnRule Spec(Sluice.Rules.Actions.HttpRule rule) => Assert.IsType<Sluice.Rules.Actions.ReplyAction>(rule.Action).Spec;

    [Fact]
    public void ModeHttp_Accepted()
    {
        var (config, lines) = LoadProxies();
        Assert.Empty(lines);
        Assert.Equal(ProxyMode.Http, config!.Frontends[0].Mode);
        Assert.Equal(ProxyMode.Http, config.Backends[0].Mode);
        Assert.Same(config.Backends[0], config.Frontends[0].DefaultBackend);
    }

    [Fact]
    public void Defaults_HttpSettings_HAProxyDefaults()
    {
        var (config, _) = LoadProxies();
        var (fe, be) = (config!.Frontends[0], config.Backends[0]);
        Assert.Equal(HttpConnectionMode.KeepAlive, fe.HttpConnectionMode);
        Assert.Null(fe.ForwardFor);
        Assert.Equal(HttpReuseMode.Safe, be.HttpReuse);
        Assert.Equal(RetryOnConditions.ConnFailure, be.RetryOn);
        Assert.Empty(fe.ErrorFiles);
        Assert.Equal((-1, TimeSpan.FromSeconds(5), -1), (be.Servers[0].PoolMaxConn, be.Servers[0].PoolPurgeDelay, be.Servers[0].MaxReuse));
    }

    [Theory]
    [InlineData("    option http-server-close\n", (int)(HttpConnectionMode.ServerClose))]
    [InlineData("    option httpclose\n", (int)(HttpConnectionMode.Close))]
    [InlineData("    option httpclose\n    option http-keep-alive\n", (int)(HttpConnectionMode.KeepAlive))]
    [InlineData("    option httpclose\n    no option httpclose\n", (int)(HttpConnectionMode.KeepAlive))]
    [InlineData("    option httpclose\n    no option http-server-close\n", (int)(HttpConnectionMode.Close))]
    [InlineData("    option http-server-close\n    no option http-keep-alive\n", (int)(HttpConnectionMode.ServerClose))]
    public void ConnectionMode_LastOptionWins_NoOnlyUndoesItself(string lines, int expected)
    {
        var (config, messages) = LoadProxies(frontend: lines, backend: lines);
        Assert.Empty(messages);
        Assert.Equal((HttpConnectionMode)expected, config!.Frontends[0].HttpConnectionMode);
        Assert.Equal((HttpConnectionMode)expected, config.Backends[0].HttpConnectionMode);
    }

    [Theory]
    [InlineData("preserve", 0)]
    [InlineData("delete", 1)]
    [InlineData("reject", 2)]
    public void RestrictRequestHeaderNames_Policies(string policy, int expected)
    {
        var (config, lines) = LoadProxies($"    option http-restrict-req-hdr-names {policy}\n", $"    option http-restrict-req-hdr-names {policy}\n");
        Assert.Empty(lines);
        Assert.Equal(expected, (int)config!.Frontends[0].RestrictRequestHeaderNames);
        Assert.Equal(expected, (int)config.Backends[0].RestrictRequestHeaderNames);
    }

    [Theory]
    [InlineData("", "missing parameter. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.")]
    [InlineData(" drop", "invalid parameter 'drop'. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.")]
    public void RestrictRequestHeaderNames_BadArgument_Alert(string argument, string message)
    {
        var (config, lines) = LoadProxies($"    option http-restrict-req-hdr-names{argument}\n");
        Assert.Null(config);
        Assert.Contains(lines, l => l.EndsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void ConnectionMode_InheritedFromDefaults()
    {
        var (config, _) = Load($"{Defaults}    option http-server-close\nlisten l\n    bind 127.0.0.1:8080\n    server s 127.0.0.1:80\n");
        Assert.Equal(HttpConnectionMode.ServerClose, config!.Frontends[0].HttpConnectionMode);
        Assert.Equal(HttpConnectionMode.ServerClose, config.Backends[0].HttpConnectionMode);
    }

    [Fact]
    public void ForwardFor_AllArguments_Parsed()
    {
        var (config, lines) = LoadProxies(
            frontend: "    option forwardfor except 10.0.0.0/8 header X-Real-IP if-none\n    option originalto except ::1 header X-Dst\n",
            backend: "    option forwardfor\n    option originalto\n");
        Assert.Empty(lines);
        var fe = config!.Frontends[0];
        Assert.Equal("X-Real-IP", fe.ForwardFor!.HeaderName);
        Assert.True(fe.ForwardFor.IfNone);
        Assert.Equal((IPAddress.Parse("10.0.0.0"), 8), (fe.ForwardFor.Except!.Network, fe.ForwardFor.Except.PrefixLength));
        Assert.Equal("X-Dst", fe.OriginalTo!.HeaderName);
        Assert.Equal(128, fe.OriginalTo.Except!.PrefixLength);
        var be = config.Backends[0];
        Assert.Equal(new ForwardedHeaderConfig { HeaderName = "X-Forwarded-For" }, be.ForwardFor);
        Assert.Equal(new ForwardedHeaderConfig { HeaderName = "X-Original-To" }, be.OriginalTo);
    }

    [Fact]
    public void ForwardFor_DottedMask_SameAsPrefix()
    {
        var (config, _) = LoadProxies(frontend: "    option forwardfor except 192.168.0.0/255.255.0.0\n");
        Assert.Equal(16, config!.Frontends[0].ForwardFor!.Except!.PrefixLength);
    }

    [Fact]
    public void HttpFlags_FrontendAndBackendSides()
    {
        var (config, lines) = LoadProxies(
            frontend: "    option http-buffer-request\n    option accept-invalid-http-request\n",
            backend: "    option http-buffer-request\n    option accept-invalid-http-response\n    http-reuse always\n    retry-on all-retryable-errors 404\n");
        Assert.Empty(lines);
        var (fe, be) = (config!.Frontends[0], config.Backends[0]);
        Assert.True(fe.HttpBufferRequest && fe.AcceptInvalidHttpRequest);
        Assert.True(be.HttpBufferRequest && be.AcceptInvalidHttpResponse);
        Assert.Equal(HttpReuseMode.Always, be.HttpReuse);
        Assert.Equal(RetryOnConditions.AllRetryableErrors | RetryOnConditions.Status404, be.RetryOn);
    }

    [Fact]
    public void HttpFlags_NoOption_TurnsOff()
    {
        var (config, _) = Load($"{Defaults}    option http-buffer-request\n    option accept-invalid-http-request\nfrontend f\n    bind 127.0.0.1:8080\n    no option http-buffer-request\n    no option accept-invalid-http-request\n");
        Assert.False(config!.Frontends[0].HttpBufferRequest);
        Assert.False(config.Frontends[0].AcceptInvalidHttpRequest);
    }

    [Fact]
    public void H2cUpgrade_OffByDefault_OnFromDefaults_NoOptionTurnsOff()
    {
        var (config, lines) = Load($"{Defaults}    option h2c-upgrade\nfrontend f\n    bind 127.0.0.1:8080\nfrontend g\n    bind 127.0.0.1:8081\n    no option h2c-upgrade\nfrontend h\n    bind 127.0.0.1:8082\n");
        Assert.Empty(lines);
        Assert.Equal([true, false, true], config!.Frontends.Select(f => f.H2cUpgrade));
        var (plain, _) = Load($"{Defaults}frontend f\n    bind 127.0.0.1:8080\n");
        Assert.False(plain!.Frontends[0].H2cUpgrade);
    }

    [Fact]
    public void H2cUpgrade_WithArgument_Alert()
    {
        var (config, lines) = Load($"{Defaults}frontend f\n    bind 127.0.0.1:8080\n    option h2c-upgrade now\n");
        Assert.Null(config);
        Assert.Contains(lines, l => l.Contains("cannot handle unexpected argument 'now'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("never", (int)(HttpReuseMode.Never))]
    [InlineData("safe", (int)(HttpReuseMode.Safe))]
    [InlineData("aggressive", (int)(HttpReuseMode.Aggressive))]
    [InlineData("always", (int)(HttpReuseMode.Always))]
    public void HttpReuse_EachMode(string word, int expected)
    {
        var (config, _) = LoadProxies(backend: $"    http-reuse {word}\n");
        Assert.Equal((HttpReuseMode)expected, config!.Backends[0].HttpReuse);
    }

    [Theory]
    [InlineData("none", (int)(RetryOnConditions.None))]
    [InlineData("conn-failure empty-response junk-response response-timeout 0rtt-rejected", (int)(RetryOnConditions.ConnFailure | RetryOnConditions.EmptyResponse | RetryOnConditions.JunkResponse | RetryOnConditions.ResponseTimeout | RetryOnConditions.ZeroRttRejected))]
    [InlineData("401 403 404 408 425", (int)(RetryOnConditions.Status401 | RetryOnConditions.Status403 | RetryOnConditions.Status404 | RetryOnConditions.Status408 | RetryOnConditions.Status425))]
    [InlineData("500 501 502 503 504", (int)(RetryOnConditions.Status500 | RetryOnConditions.Status501 | RetryOnConditions.Status502 | RetryOnConditions.Status503 | RetryOnConditions.Status504))]
    [InlineData("all-retryable-errors", (int)(RetryOnConditions.AllRetryableErrors))]
    public void RetryOn_Keywords(string words, int expected)
    {
        var (config, lines) = LoadProxies(backend: $"    retry-on {words}\n");
        Assert.Empty(lines);
        Assert.Equal((RetryOnConditions)expected, config!.Backends[0].RetryOn);
    }

    [Fact]
    public void UseBackend_ResolvedInOrder()
    {
        var (config, lines) = Load($"{Defaults}frontend f\n    bind 127.0.0.1:8080\n    use_backend b2\n    use_backend b1\n    default_backend b1\nbackend b1\n    server s 127.0.0.1:80\nbackend b2\n    server s 127.0.0.1:81\n");
        Assert.Empty(lines);
        var rules = config!.Frontends[0].UseBackends;
        Assert.Equal(["b2", "b1"], rules.Select(r => r.Backend!.Name));
        Assert.Same(config.Backends[1], rules[0].Backend);
        Assert.EndsWith("t.cfg:8", rules[0].Location, StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorFile_ReadAtLoad_InheritedAndOverridden()
    {
        File.WriteAllText(Path.Combine(_dir, "503b.http"), "HTTP/1.1 503 Busy\r\n\r\n");
        var (config, lines) = Load($"{Defaults}    errorfile 503 DIR/503.http\n    errorfile 404 DIR/503.http\nfrontend f\n    bind 127.0.0.1:8080\n    errorfile 503 DIR/503b.http\n    default_backend b\nbackend b\n    server s 127.0.0.1:80\n");
        Assert.Empty(lines);
        Assert.Equal("HTTP/1.1 503 Busy\r\n\r\n", Encoding.ASCII.GetString(config!.Frontends[0].ErrorFiles[503].Body));
        Assert.StartsWith("HTTP/1.0 503 Service Unavailable\r\n", Encoding.ASCII.GetString(config.Backends[0].ErrorFiles[503].Body), StringComparison.Ordinal);
        Assert.Equal([404, 503], config.Backends[0].ErrorFiles.Keys.Order());
        Assert.Equal([404, 503], config.Frontends[0].ErrorFiles.Keys.Order());
    }

    [Fact]
    public void ErrorFile_SectionsDoNotShareTheirDefaultsDictionary()
    {
        File.WriteAllText(Path.Combine(_dir, "400.http"), "HTTP/1.1 400 Bad\r\n\r\n");
        var (config, _) = Load($"{Defaults}    errorfile 503 DIR/503.http\nbackend a\n    errorfile 400 DIR/400.http\n    server s 127.0.0.1:80\nbackend b\n    server s 127.0.0.1:80\n");
        Assert.Equal([400, 503], config!.Backends[0].ErrorFiles.Keys.Order());
        Assert.Equal([503], config.Backends[1].ErrorFiles.Keys);
    }

    [Fact]
    public void ErrorPages_LinesApplyInOrder_DefaultsFirst()
    {
        File.WriteAllText(Path.Combine(_dir, "403.http"), "HTTP/1.1 403 Site\r\n\r\n");
        File.WriteAllText(Path.Combine(_dir, "404.http"), "HTTP/1.1 404 Site\r\n\r\n");
        var (config, lines) = Load(
            $"http-errors site\n    errorfile 403 DIR/403.http\n    errorfile 404 DIR/404.http\n    errorfile 503 DIR/503.http\n"
            + $"{Defaults}    errorfiles site\n"
            + "frontend f\n    bind 127.0.0.1:8080\n    errorfile 403 DIR/503.http\n    http-error status 404\n    default_backend b\n"
            + "backend b\n    errorfile 403 DIR/503.http\n    errorfiles site 403\n    http-error status 503 content-type text/plain string busy\n    server s 127.0.0.1:80\n");
        Assert.Empty(lines);
        var front = config!.Frontends[0].ErrorFiles;
        Assert.Equal([403, 503], front.Keys.Order());
        Assert.StartsWith("HTTP/1.0 503", Encoding.ASCII.GetString(front[403].Body), StringComparison.Ordinal);
        var back = config.Backends[0].ErrorFiles;
        Assert.Equal([403, 404, 503], back.Keys.Order());
        Assert.Equal("HTTP/1.1 403 Site\r\n\r\n", Encoding.ASCII.GetString(back[403].Body));
        Assert.Equal(("text/plain", "busy", false), (back[503].ContentType, Encoding.ASCII.GetString(back[503].Body), back[503].BodyIsFullResponse));
    }

    [Fact]
    public void ReturnErrorfiles_BoundToTheSectionsPage_SectionDeclaredAfter()
    {
        File.WriteAllText(Path.Combine(_dir, "404.http"), "HTTP/1.1 404 Site\r\n\r\n");
        var (config, lines) = LoadProxies(frontend: "    http-request return status 404 errorfiles site if { path /a }\n    http-request return status 200 errorfiles site\n",
            backend: "http-errors site\n    errorfile 404 DIR/404.http\n");
        Assert.Equal(["[WARNING] config : Proxy 'f': status '200' referenced by an http reply not declared in http-errors section 'site'."], lines);
        var rules = config!.Frontends[0].HttpRequestRules;
        Assert.Equal("HTTP/1.1 404 Site\r\n\r\n", Encoding.ASCII.GetString(Spec(rules[0]).ErrorFilesReply!.Body));
        Assert.Null(Spec(rules[1]).ErrorFilesReply);
    }

    [Fact]
    public void HttpErrorsSection_DeclaredTwice_Alert()
    {
        var (config, lines) = Load($"http-errors site\nhttp-errors site\n{Defaults}");
        Assert.Null(config);
        Assert.Contains("[ALERT] parsing [t.cfg:2] : http-errors section 'site' already exists (declared at t.cfg:1).", lines);
    }

    [Fact]
    public void HttpRequestReturn_AllArguments()
    {
        var (config, lines) = LoadProxies(frontend: "    http-request return status 403 content-type text/plain string \"go away\" hdr X-A 1 hdr X-B \"b c\"\n");
        Assert.Empty(lines);
        var rule = Spec(Assert.Single(config!.Frontends[0].HttpRequestRules));
        Assert.Equal((403, "text/plain", "go away"), (rule.Status, rule.ContentType, Encoding.UTF8.GetString(rule.Body)));
        Assert.Equal([new("X-A", "1"), new("X-B", "b c")], rule.Headers);
        Assert.False(rule.BodyIsFullResponse);
        Assert.EndsWith("t.cfg:9", rule.Location, StringComparison.Ordinal);
        Assert.Empty(config.Backends[0].HttpRequestRules);
    }

    [Fact]
    public void HttpRequestReturn_NoArguments_Empty200()
    {
        var (config, _) = LoadProxies(backend: "    http-request return\n");
        var rule = Spec(Assert.Single(config!.Backends[0].HttpRequestRules));
        Assert.Equal((200, null, 0), (rule.Status, rule.ContentType, rule.Body.Length));
    }

    [Fact]
    public void HttpRequestReturn_FileAndLiteralLogFormat()
    {
        var (config, lines) = Load($"{Defaults}listen l\n    bind 127.0.0.1:8080\n    server s 127.0.0.1:80\n    http-request return content-type text/plain lf-string \"100%% sure\"\n");
        Assert.Empty(lines);
        Assert.Equal("100% sure", Encoding.UTF8.GetString(Spec(config!.Frontends[0].HttpRequestRules[0]).Body));
        Assert.Empty(config.Backends[0].HttpRequestRules);

        (config, lines) = LoadProxies(frontend: "    http-request return content-type text/plain file DIR/body.txt\n");
        Assert.Empty(lines);
        Assert.Equal("hello 100%% done\n", Encoding.UTF8.GetString(Spec(config!.Frontends[0].HttpRequestRules[0]).Body));

        (config, _) = LoadProxies(frontend: "    http-request return content-type text/plain lf-file DIR/body.txt\n");
        Assert.Equal("hello 100% done\n", Encoding.UTF8.GetString(Spec(config!.Frontends[0].HttpRequestRules[0]).Body));
    }

    [Fact]
    public void HttpRequestReturn_ErrorFiles_WholeResponse()
    {
        var (config, lines) = LoadProxies(
            frontend: "    http-request return status 503 errorfile DIR/503.http\n",
            backend: "    errorfile 503 DIR/503.http\n    http-request return status 503 default-errorfiles\n");
        Assert.Empty(lines);
        var errorfile = Spec(config!.Frontends[0].HttpRequestRules[0]);
        Assert.True(errorfile.BodyIsFullResponse);
        Assert.False(errorfile.UseDefaultErrorFile);
        Assert.StartsWith("HTTP/1.0 503", Encoding.ASCII.GetString(errorfile.Body), StringComparison.Ordinal);
        var byDefault = Spec(config.Backends[0].HttpRequestRules[0]);
        Assert.True(byDefault.BodyIsFullResponse && byDefault.UseDefaultErrorFile);
    }

    [Fact]
    public void HttpRequestReturn_DefaultErrorFilesWithoutErrorFile_BodyLeftToRuntime()
    {
        var (config, _) = LoadProxies(frontend: "    http-request return status 404 default-errorfiles\n");
        var rule = Spec(config!.Frontends[0].HttpRequestRules[0]);
        Assert.True(rule.UseDefaultErrorFile);
        Assert.Empty(rule.Body);
    }

    [Theory]
    [InlineData("    http-request return status 503 errorfile DIR/503.http content-type text/plain\n", "content-type 'text/plain' ignored by the http reply when used with an erorrfile.")]
    [InlineData("    http-request return status 503 default-errorfiles hdr a b\n", "hdr parameters ignored by the http reply when used with an erorrfile.")]
    [InlineData("    http-request return content-type text/plain\n", "content-type 'text/plain' ignored by the http reply because neither errorfile nor payload defined.")]
    [InlineData("    http-request return hdr content-length 5\n", "header 'content-length' always ignored by the http reply.")]
    [InlineData("    http-request return\n    http-request return\n", "previous 'http-request' action is final and has no condition attached, further entries are NOOP.")]
    [InlineData("    use_backend b\n    http-request return\n", "a 'http-request' rule placed after a 'use_backend' rule will still be processed before.")]
    public void HttpRequestReturn_HAProxyWarnings(string lines, string expected)
    {
        var (config, messages) = LoadProxies(frontend: lines);
        Assert.NotNull(config);
        var line = 8 + lines.Split('\n').Length - 1;
        Assert.Equal($"[WARNING] parsing [t.cfg:{line}] : {expected}", Assert.Single(messages));
    }

    [Theory]
    [InlineData("    pool-max-conn 10 pool-purge-delay 10s max-reuse 100", 10, 10_000, 100)]
    [InlineData("    pool-max-conn -1 pool-purge-delay 500 max-reuse -1", -1, 500, -1)]
    [InlineData("    pool-max-conn 0 max-reuse -5", 0, 5_000, -1)]
    public void ServerPoolOptions_Parsed(string options, int maxConn, int purgeMs, int maxReuse)
    {
        var (config, lines) = Load($"{Defaults}backend b\n    server s 127.0.0.1:80{options}\n");
        Assert.Empty(lines);
        var server = config!.Backends[0].Servers[0];
        Assert.Equal((maxConn, TimeSpan.FromMilliseconds(purgeMs), maxReuse), (server.PoolMaxConn, server.PoolPurgeDelay, server.MaxReuse));
    }

    [Fact]
    public void ServerProto_ParsedAndInheritedFromDefaultServer()
    {
        var (config, lines) = Load($"{Defaults}backend b\n    default-server proto h2\n    server s 127.0.0.1:80\n    server t 127.0.0.1:81 proto h1\n");
        Assert.Empty(lines);
        var servers = config!.Backends[0].Servers;
        Assert.Equal(("h2", "h1"), (servers[0].Proto, servers[1].Proto));
    }

    [Fact]
    public void ServerPoolOptions_FromDefaultServer()
    {
        var (config, _) = Load($"{Defaults}backend b\n    default-server pool-max-conn 4 pool-purge-delay 1s max-reuse 9\n    server s 127.0.0.1:80\n    server t 127.0.0.1:81 pool-max-conn 2\n");
        var servers = config!.Backends[0].Servers;
        Assert.Equal((4, TimeSpan.FromSeconds(1), 9), (servers[0].PoolMaxConn, servers[0].PoolPurgeDelay, servers[0].MaxReuse));
        Assert.Equal(2, servers[1].PoolMaxConn);
    }

    [Theory]
    [InlineData("frontend f\n    option forwardfor except 10.0.0.0/33\n", "'option forwardfor except' expects <address>[/mask] as argument.")]
    [InlineData("frontend f\n    option forwardfor except\n", "'option forwardfor except' expects <address>[/mask] as argument.")]
    [InlineData("frontend f\n    option forwardfor except 10.0.0.0/255.255.0.255\n", "'option forwardfor except' expects <address>[/mask] as argument. (non-contiguous mask '255.255.0.255' is not supported)")]
    [InlineData("frontend f\n    option forwardfor header\n", "'option forwardfor header' expects <header_name> as argument.")]
    [InlineData("frontend f\n    option forwardfor if-empty\n", "'option forwardfor' only supports optional values: 'except', 'header' and 'if-none'.")]
    [InlineData("frontend f\n    option originalto if-none\n", "'option originalto' only supports optional values: 'except' and 'header'.")]
    [InlineData("frontend f\n    option originalto except nope\n", "'option originalto except' expects <address>[/mask] as argument.")]
    [InlineData("frontend f\n    no option forwardfor\n", "negation/default is not supported for option 'forwardfor'.")]
    [InlineData("frontend f\n    no option originalto\n", "negation/default is not supported for option 'originalto'.")]
    [InlineData("frontend f\n    option http-keep-alive x\n", "'option http-keep-alive' cannot handle unexpected argument 'x'.")]
    [InlineData("frontend f\n    option httpclose x\n", "'option httpclose' cannot handle unexpected argument 'x'.")]
    [InlineData("frontend f\n    option http-buffer-request x\n", "'option http-buffer-request' cannot handle unexpected argument 'x'.")]
    [InlineData("backend b\n    http-reuse sometimes\n", "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.")]
    [InlineData("backend b\n    http-reuse\n", "'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.")]
    [InlineData("backend b\n    http-reuse always x\n", "'http-reuse always' cannot handle unexpected argument 'x'.")]
    [InlineData("backend b\n    retry-on\n", "'retry-on' needs at least one keyword to specify when to retry")]
    [InlineData("backend b\n    retry-on foo\n", "'retry-on': unknown keyword 'foo'")]
    [InlineData("backend b\n    retry-on 418\n", "'retry-on': unknown keyword '418'")]
    [InlineData("backend b\n    retry-on none conn-failure\n", "'retry-on' 'none' keyworld only usable alone")]
    [InlineData("frontend f\n    use_backend\n", "'use_backend' expects a backend name.")]
    [InlineData("frontend f\n    use_backend b extra\n", "unexpected keyword 'extra' after switching rule, only 'if' and 'unless' are allowed.")]
    [InlineData("frontend f\n    use_backend b if nosuch\n", "error detected while parsing switching rule : no such ACL : 'nosuch'.")]
    [InlineData("frontend f\n    use_backend b unless { path -m zzz /x }\n", "error detected while parsing switching rule : unknown matching method 'zzz' when parsing ACL expression.")]
    [InlineData("frontend f\n    use_backend %[nosuch]\n", "error detected in frontend 'f' while parsing 'use_backend' rule : failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'.")]
    [InlineData("defaults\n    use_backend b\n", "'use_backend' not allowed in 'defaults' section.")]
    [InlineData("frontend f\n    errorfile 503\n", "errorfile : expects <status_code> and <file> as arguments.")]
    [InlineData("frontend f\n    errorfile 999 DIR/503.http\n", "errorfile : status code '999' not handled.")]
    [InlineData("frontend f\n    errorfile abc DIR/503.http\n", "errorfile : status code 'abc' not handled.")]
    [InlineData("frontend f\n    errorfile 503 DIR/missing.http\n", "errorfile : error opening file 'DIR/missing.http'.")]
    [InlineData("frontend f\n    errorfile 503 DIR/junk.http\n", "errorfile : 'DIR/junk.http': unable to parse headers (error offset: 0)")]
    [InlineData("defaults\n    http-request return\n", "'http-request' not allowed in anonymous 'defaults' section.")]
    [InlineData("defaults d\n    http-request return\n", "'http-request' in a 'defaults' section is not supported yet.")]
    [InlineData("frontend f\n    http-request deny deny_status 999\n", "error detected in frontend 'f' while parsing 'http-request deny' rule : Unexpected status code '999'.")]
    [InlineData("frontend f\n    http-request set-header X-A\n", "error detected in frontend 'f' while parsing 'http-request set-header' rule : expects exactly 2 arguments.")]
    [InlineData("frontend f\n    http-request set-var(foo) str(a)\n", "error detected in frontend 'f' while parsing 'http-request set-var(foo)' rule : invalid variable name 'foo'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'.")]
    [InlineData("frontend f\n    http-request return status\n", "error detected in frontend 'f' while parsing 'http-request return' rule : 'status' expects <status_code> as argument.")]
    [InlineData("frontend f\n    http-request return status 99\n", "error detected in frontend 'f' while parsing 'http-request return' rule : Unexpected status code '99'.")]
    [InlineData("frontend f\n    http-request return status 600\n", "error detected in frontend 'f' while parsing 'http-request return' rule : Unexpected status code '600'.")]
    [InlineData("frontend f\n    http-request return string hi\n", "error detected in frontend 'f' while parsing 'http-request return' rule : a content type must be defined when non-empty payload is configured.")]
    [InlineData("frontend f\n    http-request return lf-string hi\n", "error detected in frontend 'f' while parsing 'http-request return' rule : a content type must be defined with a log-format payload.")]
    [InlineData("frontend f\n    http-request return content-type\n", "error detected in frontend 'f' while parsing 'http-request return' rule : 'content-type' expects <ctype> as argument.")]
    [InlineData("frontend f\n    http-request return content-type text/plain string\n", "error detected in frontend 'f' while parsing 'http-request return' rule : 'string' expects <str> as argument.")]
    [InlineData("frontend f\n    http-request return content-type text/plain file DIR/missing\n", "error detected in frontend 'f' while parsing 'http-request return' rule : error opening file 'DIR/missing'.")]
    [InlineData("frontend f\n    http-request return content-type text/plain string a string b\n", "error detected in frontend 'f' while parsing 'http-request return' rule : unexpected 'string' argument, 'string' already defined.")]
    [InlineData("frontend f\n    http-request return content-type text/plain string a file DIR/body.txt\n", "error detected in frontend 'f' while parsing 'http-request return' rule : unexpected 'file' argument, 'string' already defined.")]
    [InlineData("frontend f\n    http-request return status 204 content-type text/plain string a\n", "error detected in frontend 'f' while parsing 'http-request return' rule : No body expected for 204 responses.")]
    [InlineData("frontend f\n    http-request return status 201 default-errorfiles\n", "error detected in frontend 'f' while parsing 'http-request return' rule : status code '201' not handled by default with 'default-errorfiles' argument.")]
    [InlineData("frontend f\n    http-request return errorfile DIR/junk.http\n", "error detected in frontend 'f' while parsing 'http-request return' rule : 'DIR/junk.http': unable to parse headers (error offset: 0)")]
    [InlineData("frontend f\n    http-request return hdr X\n", "error detected in frontend 'f' while parsing 'http-request return' rule : 'hdr' expects <name> and <value> as arguments.")]
    [InlineData("listen l\n    http-request return status 0\n", "error detected in proxy 'l' while parsing 'http-request return' rule : Unexpected status code '0'.")]
    [InlineData("frontend f\n    http-request return content-type text/plain lf-string \"%[nosuch]\"\n", "error detected in frontend 'f' while parsing 'http-request return' rule : failed to parse sample expression <nosuch]> : unknown fetch method 'nosuch'.")]
    [InlineData("frontend f\n    http-request return hdr X-Client %[res.hdr(x)]\n", "error detected in frontend 'f' while parsing 'http-request return' rule : sample fetch <res.hdr(x)]> may not be reliably used here because it needs 'HTTP response headers' which is not available here.")]
    [InlineData("frontend f\n    http-request return errorfiles\n", "error detected in frontend 'f' while parsing 'http-request return' rule : 'errorfiles' expects <name> as argument.")]
    [InlineData("frontend f\n    http-request return status 200 if nosuch\n", "error detected while parsing an 'http-request return' condition : no such ACL : 'nosuch'.")]
    [InlineData("frontend f\n    http-request return status 200 foo\n", "'http-request return' expects either 'if' or 'unless' followed by a condition but found 'foo'.")]
    [InlineData("backend b\n    server s 127.0.0.1:80 pool-max-conn -2\n", "'server b/s' : 'pool-max-conn' must be >= -1.")]
    [InlineData("backend b\n    server s 127.0.0.1:80 pool-max-conn x\n", "'server b/s' : 'pool-max-conn' : invalid value 'x', expects an integer.")]
    [InlineData("backend b\n    server s 127.0.0.1:80 pool-max-conn\n", "'server b/s' : 'pool-max-conn' expects <value> as argument.")]
    [InlineData("backend b\n    server s 127.0.0.1:80 pool-purge-delay 5x\n", "'server b/s' : unexpected character 'x' in argument to <pool-purge-delay>.")]
    [InlineData("backend b\n    server s 127.0.0.1:80 max-reuse many\n", "'server b/s' : 'max-reuse' : invalid value 'many', expects an integer.")]
    [InlineData("backend b\n    default-server max-reuse\n", "'default-server' : 'max-reuse' expects <value> as argument.")]
    [InlineData("frontend f\n    bind :8081 proto h2,http/1.1\n", "'bind :8081' : 'proto' : unknown MUX protocol 'h2,http/1.1'")]
    [InlineData("backend b\n    server s 127.0.0.1:80 proto foo\n", "'server b/s' : 'proto' : unknown MUX protocol 'foo'.")]
    [InlineData("backend b\n    server s 127.0.0.1:80 ws foo\n", "'server b/s' : 'ws' has to be 'auto', 'h1' or 'h2'.")]
    [InlineData("backend b\n    server s 127.0.0.1:80 check-proto foo\n", "'server b/s' : 'check-proto' :  unknown MUX protocol 'foo'.")]
    [InlineData("backend b\n    server s 127.0.0.1:80 proto fcgi\n", "'server b/s' : 'proto' : MUX protocol 'fcgi' is not supported yet.")]
    [InlineData("backend b\n    server s 127.0.0.1:80 proto\n", "'server b/s' : 'proto' : missing value.")]
    public void InvalidLine_OneAlert(string text, string expected)
    {
        var (config, lines) = Load(text);
        Assert.Null(config);
        var line = text.Split('\n').Length - 1;
        Assert.Equal($"[ALERT] parsing [t.cfg:{line}] : {expected}", Assert.Single(lines, l => l.StartsWith("[ALERT] parsing", StringComparison.Ordinal)));
    }

    [Fact]
    public void HttpRequestUnknownAction_HAProxyList()
    {
        var (_, lines) = Load("frontend f\n    http-request foo\n");
        var alert = Assert.Single(lines, l => l.StartsWith("[ALERT] parsing", StringComparison.Ordinal));
        Assert.StartsWith("[ALERT] parsing [t.cfg:2] : 'http-request' expects 'wait-for-handshake', ", alert, StringComparison.Ordinal);
        Assert.EndsWith(", but got 'foo'.", alert, StringComparison.Ordinal);
        Assert.Contains("'return'", alert, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frontend f\n    option accept-invalid-http-response\n", "'accept-invalid-http-response' ignored because frontend 'f' has no backend capability.")]
    [InlineData("backend b\n    option accept-invalid-http-request\n", "'accept-invalid-http-request' ignored because backend 'b' has no frontend capability.")]
    [InlineData("frontend f\n    http-reuse always\n", "'http-reuse' ignored because frontend 'f' has no backend capability.")]
    [InlineData("frontend f\n    retry-on 503\n", "'retry-on' ignored because frontend 'f' has no backend capability.")]
    [InlineData("backend b\n    use_backend x\n", "'use_backend' ignored because backend 'b' has no frontend capability.")]
    public void OtherSideKeyword_WarningIgnored(string text, string expected)
    {
        var (_, lines) = Load(text);
        Assert.Contains($"[WARNING] parsing [t.cfg:2] : {expected}", lines);
    }

    [Fact]
    public void ModeMismatch_HttpFrontendTcpBackend_HAProxyAlert()
    {
        var (config, lines) = Load("defaults\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend f\n    mode http\n    bind 127.0.0.1:8080\n    use_backend t\n    default_backend t\nbackend t\n    mode tcp\n    server s 127.0.0.1:80\n");
        Assert.Null(config);
        Assert.Equal(
            [
                "[ALERT] config : http frontend 'f' (t.cfg:5) tries to use incompatible tcp backend 't' (t.cfg:10) as its default backend (see 'mode').",
                "[ALERT] config : http frontend 'f' (t.cfg:5) tries to use incompatible tcp backend 't' (t.cfg:10) in a 'use_backend' rule (see 'mode').",
                "[ALERT] config : Fatal errors found in configuration.",
            ],
            lines);
    }

    [Fact]
    public void ModeMismatch_TcpFrontendHttpBackend_NotSupportedYet()
    {
        var (config, lines) = Load("defaults\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nlisten l\n    mode tcp\n    bind 127.0.0.1:8080\n    default_backend h\nbackend h\n    mode http\n    server s 127.0.0.1:80\n");
        Assert.Null(config);
        Assert.Equal("[ALERT] config : tcp proxy 'l' (t.cfg:5) uses http backend 'h' (t.cfg:9) as its default backend: switching a tcp connection to HTTP is not supported yet.", lines[0]);
    }

    [Fact]
    public void UseBackend_Missing_HAProxyAlert()
    {
        var (config, lines) = LoadProxies(frontend: "    use_backend nope\n");
        Assert.Null(config);
        Assert.Contains("[ALERT] config : Proxy 'f': unable to find required use_backend: 'nope'.", lines);
    }

    [Fact]
    public void UseBackend_ListenItself_LoopDetected()
    {
        var (config, lines) = Load($"{Defaults}listen l\n    bind 127.0.0.1:8080\n    use_backend l\n    server s 127.0.0.1:80\n");
        Assert.Null(config);
        Assert.Contains("[ALERT] config : Proxy 'l': loop detected for use_backend: 'l'.", lines);
    }

    [Theory]
    [InlineData("tcp", "proto h1", "frontend 'f' : MUX protocol 'h1' is not usable for 'bind 127.0.0.1:8080' at [t.cfg:4].")]
    [InlineData("tcp", "proto h2", "frontend 'f' : MUX protocol 'h2' is not usable for 'bind 127.0.0.1:8080' at [t.cfg:4].")]
    [InlineData("http", "proto none", "frontend 'f' : MUX protocol 'none' is not usable for 'bind 127.0.0.1:8080' at [t.cfg:4].")]
    public void BindProto_WrongMode_HAProxyAlert(string mode, string proto, string expected)
    {
        var (config, lines) = Load($"frontend f\n    mode {mode}\n    timeout client 1s\n    bind 127.0.0.1:8080 {proto}\n");
        Assert.Null(config);
        Assert.Equal($"[ALERT] config : {expected}", lines[0]);
    }

    [Fact]
    public void BindProtoH1_HttpMode_Accepted()
    {
        var (config, lines) = Load("frontend f\n    mode http\n    timeout client 1s\n    bind 127.0.0.1:8080 proto h1\n");
        Assert.Empty(lines);
        Assert.Equal("h1", config!.Frontends[0].Binds[0].Proto);
    }

    [Fact]
    public void BindProtoH2_HttpMode_Accepted()
    {
        var (config, lines) = Load("frontend f\n    mode http\n    timeout client 1s\n    bind 127.0.0.1:8080 proto h2\n");
        Assert.Empty(lines);
        Assert.Equal("h2", config!.Frontends[0].Binds[0].Proto);
    }

    [Fact]
    public void TcpMode_HttpOnlySettings_HAProxyWarningsAndLeftOut()
    {
        var (config, lines) = Load("""
            defaults
                mode tcp
                timeout client 1s
                timeout server 1s
                timeout connect 1s
            listen l
                bind 127.0.0.1:8080
                option forwardfor
                option originalto
                option http-buffer-request
                option accept-invalid-http-request
                option accept-invalid-http-response
                option httpclose
                http-reuse always
                retry-on 503
                http-request return status 200
                server s 127.0.0.1:80
            """);

        Assert.Equal(
            [
                "[WARNING] config : 'http-request' rules ignored for proxy 'l' as they require HTTP mode.",
                "[WARNING] config : 'option forwardfor' ignored for proxy 'l' as it requires HTTP mode.",
                "[WARNING] config : 'option originalto' ignored for proxy 'l' as it requires HTTP mode.",
                "[WARNING] config : 'option http-buffer-request' ignored for proxy 'l' as it requires HTTP mode.",
                "[WARNING] config : 'option accept-invalid-http-request' ignored for proxy 'l' as it requires HTTP mode.",
                "[WARNING] config : 'option accept-invalid-http-response' ignored for proxy 'l' as it requires HTTP mode.",
            ],
            lines);
        var (fe, be) = (config!.Frontends[0], config.Backends[0]);
        Assert.Null(fe.ForwardFor);
        Assert.Null(be.OriginalTo);
        Assert.False(fe.HttpBufferRequest || fe.AcceptInvalidHttpRequest || be.AcceptInvalidHttpResponse);
        Assert.Empty(fe.HttpRequestRules);
    }

    [Fact]
    public void TcpMode_HttpOnlySettingsInDefaults_WarnedPerProxyNotForDefaults()
    {
        var (_, lines) = Load("defaults\n    mode tcp\n    option forwardfor\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend f\n    bind 127.0.0.1:8080\n    default_backend b\nbackend b\n    server s 127.0.0.1:80\n");
        Assert.Equal(
            [
                "[WARNING] config : 'option forwardfor' ignored for frontend 'f' as it requires HTTP mode.",
                "[WARNING] config : 'option forwardfor' ignored for backend 'b' as it requires HTTP mode.",
            ],
            lines);
    }

    [Theory]
    [InlineData("errorloc", "HTTP/1.1 302 Found\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: /x\r\n\r\n")]
    [InlineData("errorloc302", "HTTP/1.1 302 Found\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: /x\r\n\r\n")]
    [InlineData("errorloc303", "HTTP/1.1 303 See Other\r\nCache-Control: no-cache\r\nContent-length: 0\r\nLocation: /x\r\n\r\n")]
    public void ErrorLoc_RedirectForTheStatus(string keyword, string expected)
    {
        var (config, lines) = LoadProxies(frontend: $"    {keyword} 503 /x\n");
        Assert.Empty(lines);
        Assert.Equal(expected, Encoding.Latin1.GetString(config!.Frontends[0].ErrorFiles[503].Body));
    }

    [Theory]
    [InlineData("    errorloc 999 /x\n", "[ALERT] parsing [t.cfg:9] : errorloc : status code '999' not handled.")]
    [InlineData("    errorloc303 403\n", "[ALERT] parsing [t.cfg:9] : errorloc303 : expects <status_code> and <url> as arguments.")]
    public void ErrorLoc_Invalid_HAProxyMessage(string frontend, string expected)
    {
        var (_, lines) = LoadProxies(frontend);
        Assert.Equal(expected, lines[0]);
    }
}
