using System.Diagnostics;
using Sluice.Integration.Fixtures;
using Sluice.Integration.Scenarios.Http;

namespace Sluice.Integration.Scenarios.Rules;

using Http = Sluice.Integration.Scenarios.Http.Http;

/// <summary>`http-request` and `http-response` actions and dynamic `use_backend`, end to end with curl and a recording server.</summary>
public class HttpActionTests
{
    [Fact]
    public async Task RequestHeaders_SetAddDelReplace_ServerSeesTheResult()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", frontend: """
                http-request set-header X-Host %[req.hdr(host),lower,field(1,:)]
                http-request set-header X-Quoted %{+Q}[str(abc)]
                http-request add-header X-Multi one
                http-request add-header X-Multi two
                http-request del-header X-Secret
                http-request del-header X-Drop- -m beg
                http-request replace-header Cookie (.*)session=([^;]*)(.*) \1session=hidden\3
                http-request replace-value X-List ^b$ B
                http-request set-var(txn.client) src
                http-request set-header X-Client %[var(txn.client)]
            """), port);

        var result = await Http.CurlAsync("-H", "Host: WWW.Example.COM:8080", "-H", "X-Secret: 1", "-H", "X-Drop-A: 1", "-H", "X-Drop-B: 2",
            "-H", "Cookie: a=1; session=s3cr3t; z=2", "-H", "X-List: a, b, c", Http.Url(port, "/"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        var request = Assert.Single(backend.Requests);
        Assert.Equal("www.example.com", request.Header("X-Host"));
        // HAProxy writes samples unquoted in header values, whatever the flags say (checked with haproxy 2.6).
        Assert.Equal("abc", request.Header("X-Quoted"));
        Assert.Equal(["one", "two"], request.HeaderValues("X-Multi"));
        Assert.Null(request.Header("X-Secret"));
        Assert.Null(request.Header("X-Drop-A"));
        Assert.Null(request.Header("X-Drop-B"));
        Assert.Equal("a=1; session=hidden; z=2", request.Header("Cookie"));
        Assert.Equal("a,B,c", request.Header("X-List"));
        Assert.Equal("127.0.0.1", request.Header("X-Client"));
    }

    [Fact]
    public async Task RequestLine_SetPathQueryMethodUri()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", frontend: """
                http-request set-path /v2%[path] if { path_beg /api }
                http-request set-query %[query]&via=sluice if { query -m found }
                http-request set-method POST if { path_end /submit }
                http-request set-uri /rewritten if { path /old }
            """), port);

        await Http.CurlAsync(Http.Url(port, "/api/items?page=2"));
        await Http.CurlAsync(Http.Url(port, "/form/submit"));
        await Http.CurlAsync(Http.Url(port, "/old"));
        var requests = await backend.WaitForRequestsAsync(3);
        Assert.Equal(("GET", "/v2/api/items?page=2&via=sluice"), (requests[0].Method, requests[0].Target));
        Assert.Equal(("POST", "/form/submit"), (requests[1].Method, requests[1].Target));
        Assert.Equal("/rewritten", requests[2].Target);
    }

    [Fact]
    public async Task ResponseRules_SetHeaderDelHeaderSetStatus()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Ok("body", headers: ["Server: secret-stack/1.0", "X-Powered-By: php"]));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            frontend: "    http-response set-header X-Served-By %[be_name]/%[srv_name]\n    http-response del-header X-Powered-By",
            backend: "    http-response del-header Server\n    http-response set-status 299 reason \"Fine Indeed\" if { status 200 } { path /odd }"), port);

        var normal = await Http.CurlAsync("-i", Http.Url(port, "/"));
        Assert.StartsWith("HTTP/1.1 200 OK\r\n", normal.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("X-Served-By: be/s1\r\n", normal.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("X-Powered-By", normal.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret-stack", normal.StandardOutput, StringComparison.Ordinal);
        Assert.EndsWith("body", normal.StandardOutput, StringComparison.Ordinal);

        var odd = await Http.CurlAsync("-i", Http.Url(port, "/odd"));
        Assert.StartsWith("HTTP/1.1 299 Fine Indeed\r\n", odd.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResponseDeny_502FromTheProxy_ServerBodyNotForwarded()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Ok("leaked internals", status: 500, reason: "Internal Server Error"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            frontend: "    http-response deny if { status ge 500 }"), port);

        var result = await Http.CurlAsync("-i", Http.Url(port, "/"));
        Assert.StartsWith("HTTP/1.1 502 Bad Gateway", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("leaked internals", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DynamicUseBackend_ByHost_FallsBackToDefault()
    {
        await using var main = RecordingBackend.Start(_ => CannedResponse.Ok("default"));
        await using var shop = RecordingBackend.Start(_ => CannedResponse.Ok("shop"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {main.Address}",
            frontend: "    use_backend be_%[req.hdr(host),lower,field(1,.)]",
            extra: $"backend be_shop\n    server s2 {shop.Address}\n"), port);

        Assert.Equal("shop", (await Http.CurlAsync("-H", "Host: SHOP.example.com", Http.Url(port, "/"))).StandardOutput);
        Assert.Equal("default", (await Http.CurlAsync("-H", "Host: blog.example.com", Http.Url(port, "/"))).StandardOutput);
    }

    [Fact]
    public async Task Tarpit_HoldsThenAnswers500AndCloses()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1",
            frontend: "    timeout tarpit 1500ms\n    http-request tarpit if { path_beg /admin }"), port);

        var watch = Stopwatch.StartNew();
        var result = await Http.CurlAsync("-i", Http.Url(port, "/admin/login"));
        watch.Stop();
        Assert.StartsWith("HTTP/1.1 500 Internal Server Error", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("connection: close", result.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(1400), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Auth_401WithRealm_ThenRedirectAndReturnWithLogFormat()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1", frontend: """
                http-request auth realm "Staff only" if { path_beg /private }
                http-request redirect prefix /new drop-query append-slash if { path_beg /legacy }
                http-request return status 200 content-type text/plain lf-string "method=%[method] path=%[path] q=%[query] ua=%[req.fhdr(user-agent)]" hdr X-Echo %[req.hdr(x-in)]
            """), port);

        var auth = await Http.CurlAsync("-i", Http.Url(port, "/private/x"));
        Assert.StartsWith("HTTP/1.1 401 Unauthorized", auth.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("www-authenticate: Basic realm=\"Staff only\"\r\n", auth.StandardOutput, StringComparison.OrdinalIgnoreCase);

        var redirect = await Http.CurlAsync("-i", Http.Url(port, "/legacy/page?x=1"));
        Assert.StartsWith("HTTP/1.1 302 Found", redirect.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("location: /new/legacy/page/\r\n", redirect.StandardOutput, StringComparison.OrdinalIgnoreCase);

        var echo = await Http.CurlAsync("-i", "-A", "tester/1.0", "-H", "X-In: hi", Http.Url(port, "/a/b?c=d"));
        Assert.EndsWith("\r\n\r\nmethod=GET path=/a/b q=c=d ua=tester/1.0", echo.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("X-Echo: hi\r\n", echo.StandardOutput, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task BackendRules_RunAfterSwitching_AllowStopsTheSet()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            backend: "    http-request allow if { src 127.0.0.0/8 } { path /open }\n    http-request deny deny_status 429 if { hdr_cnt(x-token) lt 1 }\n    http-request set-header X-Checked yes"), port);

        Assert.Equal("ok", (await Http.CurlAsync(Http.Url(port, "/open"))).StandardOutput);
        Assert.Equal("429", (await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, "/closed"))).StandardOutput);
        Assert.Equal("ok", (await Http.CurlAsync("-H", "X-Token: t", Http.Url(port, "/closed"))).StandardOutput);
        var requests = await backend.WaitForRequestsAsync(2);
        Assert.Null(requests[0].Header("X-Checked"));
        Assert.Equal("yes", requests[1].Header("X-Checked"));
    }

    [Fact]
    public async Task MonitorUri_AnsweredByTheProxy_503WhileMonitorFailHolds()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1 check inter 200ms",
            frontend: "    monitor-uri /health\n    monitor fail if { nbsrv(be) lt 1 }",
            extra: "backend up\n    server u 127.0.0.1:1\n"), port);

        // The only server refuses connections: once its check fails, the monitor says so.
        await Task.Delay(1200);
        var failing = await Http.CurlAsync("-i", Http.Url(port, "/health"));
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable", failing.StandardOutput, StringComparison.Ordinal);
        var other = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", Http.Url(port, "/health?x"));
        Assert.Equal("503", other.StandardOutput);
    }

    [Fact]
    public async Task MonitorUri_Healthy_200ServiceReady()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", frontend: "    monitor-uri /health"), port);

        var result = await Http.CurlAsync("-i", Http.Url(port, "/health"));
        Assert.StartsWith("HTTP/1.1 200 OK", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Service ready.", result.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(backend.Requests);
    }

    [Fact]
    public async Task Captures_AndLegacyRedirect()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1", frontend: """
                capture request header Host len 5
                declare capture request len 8
                http-request capture req.hdr(user-agent) id 1
                http-request return status 200 content-type text/plain lf-string "hr=%hr c0=%[capture.req.hdr(0)] c1=%[capture.req.hdr(1)]" if { path /cap }
                redirect location /moved code 301 if { path /old }
            """), port);

        var captured = await Http.CurlAsync("-H", "Host: abcdefgh", "-A", "agent/12345", Http.Url(port, "/cap"));
        Assert.Equal("hr={abcde|agent/12} c0=abcde c1=agent/12", captured.StandardOutput);
        var moved = await Http.CurlAsync("-i", Http.Url(port, "/old"));
        Assert.StartsWith("HTTP/1.1 301 Moved Permanently", moved.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("location: /moved\r\n", moved.StandardOutput, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Userlist_HttpAuthAndGroups_CurlCredentials()
    {
        var port = Ports.FreeListeningPort();
        var config = Http.Config(port, "server s1 127.0.0.1:1", frontend: """
                acl admins http_auth_group(staff) admin
                http-request auth realm Staff unless { http_auth(staff) }
                http-request return status 200 content-type text/plain lf-string "admin %[http_auth_group(staff)]" if admins
                http-request return status 200 content-type text/plain string "user"
            """,
            extra: """
            userlist staff
                group admin
                group dev users bob
                user alice password HASH groups admin
                user bob insecure-password b0b
            """.Replace("HASH", "$6$s4lty$MubkIYNyhT5mHz4f7lfPZMfLXca/GBb3r/L/xZ5Hhosl4oqFG/uh5Xxbkp8Tdj6e1rEHONjHV91pxgwOMrg4i0", StringComparison.Ordinal));
        await using var sluice = await Http.StartAsync(config, port);

        var anonymous = await Http.CurlAsync("-i", Http.Url(port, "/"));
        Assert.StartsWith("HTTP/1.1 401 Unauthorized", anonymous.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("www-authenticate: Basic realm=\"Staff\"", anonymous.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("admin alice", (await Http.CurlAsync("-u", "alice:op3n sesame", Http.Url(port, "/"))).StandardOutput);
        Assert.Equal("user", (await Http.CurlAsync("-u", "bob:b0b", Http.Url(port, "/"))).StandardOutput);
        var wrong = await Http.CurlAsync("-o", "/dev/null", "-w", "%{http_code}", "-u", "alice:wrong", Http.Url(port, "/"));
        Assert.Equal("401", wrong.StandardOutput);
    }

    [Theory]
    [InlineData("--http1.1")]
    [InlineData("--http2-prior-knowledge")]
    public async Task RequestBody_BufferedThenMatched_ServerStillGetsIt(string protocol)
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}", frontend: """
                option http-buffer-request
                http-request deny if { req.body -m sub forbidden }
                http-request set-header X-Body-Length %[req.body_len]
            """), port);

        var denied = await Http.CurlAsync(protocol, "-o", "/dev/null", "-w", "%{http_code}", "-d", "a=1&word=forbidden", Http.Url(port, "/form"));
        Assert.Equal("403", denied.StandardOutput);
        var passed = await Http.CurlAsync(protocol, "-d", "a=1&word=allowed", Http.Url(port, "/form"));
        Assert.Equal("ok", passed.StandardOutput);
        var request = Assert.Single(backend.Requests);
        Assert.Equal("a=1&word=allowed", request.BodyText);
        Assert.Equal("16", request.Header("X-Body-Length"));
    }
}
