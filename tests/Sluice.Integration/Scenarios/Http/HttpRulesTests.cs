using System.Globalization;
using Sluice.Integration.Fixtures;

namespace Sluice.Integration.Scenarios.Http;

/// <summary>`http-request return`, `errorfile`, the built-in error pages, `use_backend`.</summary>
public class HttpRulesTests
{
    private static readonly string Builtin503 = Http.HaproxyError(503, "Service Unavailable", "No server is available to handle this request.");
    private static readonly string Builtin502 = Http.HaproxyError(502, "Bad Gateway", "The server returned an invalid or incomplete response.");
    private static readonly string Builtin504 = Http.HaproxyError(504, "Gateway Time-out", "The server didn't respond in time.");

    [Fact]
    public async Task Return_String_CurlGetsIt_NoServerContacted()
    {
        await using var backend = RecordingBackend.Start();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            frontend: "    http-request return status 200 content-type text/plain string \"hello\""), port);

        var result = await Http.CurlAsync("-i", Http.Url(port, "/anything"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.StartsWith("HTTP/1.1 200", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("content-type: text/plain", result.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("\r\n\r\nhello", result.StandardOutput, StringComparison.Ordinal);
        await Task.Delay(200);
        Assert.Empty(backend.Connections);
    }

    [Fact]
    public async Task Return_OnKeepAliveConnection_NextRequestAnsweredToo()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1",
            frontend: "    http-request return status 200 content-type text/plain string \"hello\""), port);

        var result = await Http.CurlAsync("-v", Http.Url(port, "/a"), Http.Url(port, "/b"), Http.Url(port, "/c"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("hellohellohello", result.StandardOutput);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(result.StandardError, "Re-using existing connection"));
    }

    [Fact]
    public async Task Return_WithHdr_HeadersAdded()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1",
            frontend: "    http-request return status 201 content-type text/plain string \"made\" hdr X-One 1 hdr X-Two \"two words\""), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/h"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(201, response.Status);
        Assert.Equal("made", response.BodyText);
        Assert.Equal("1", response.Header("X-One"));
        Assert.Equal("two words", response.Header("X-Two"));
    }

    [Fact]
    public async Task Return_File_BodyIsTheFile()
    {
        var directory = Ports.TempDirectory();
        var file = Path.Combine(directory, "page.html");
        await File.WriteAllTextAsync(file, "<p>from a file</p>\n");
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1",
            frontend: $"    http-request return status 200 content-type text/html file {file}"), port);

        var result = await Http.CurlAsync("-i", Http.Url(port, "/f"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.StartsWith("HTTP/1.1 200", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("content-type: text/html", result.StandardOutput, StringComparison.OrdinalIgnoreCase);
        Assert.EndsWith("\r\n\r\n<p>from a file</p>\n", result.StandardOutput, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Return_Errorfile_WholeResponseFromTheFile()
    {
        var directory = Ports.TempDirectory();
        var file = Path.Combine(directory, "403.http");
        await File.WriteAllTextAsync(file, "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 7\r\nX-From: errorfile\r\n\r\ndenied\n");
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1",
            frontend: $"    http-request return errorfile {file}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/e"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(403, response.Status);
        Assert.Equal("errorfile", response.Header("X-From"));
        Assert.Equal("denied\n", response.BodyText);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Return_DefaultErrorfiles_UsesTheProxysErrorfile()
    {
        var directory = Ports.TempDirectory();
        var file = Path.Combine(directory, "404.http");
        await File.WriteAllTextAsync(file, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nnot here\n");
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1",
            frontend: $"    errorfile 404 {file}\n    http-request return status 404 default-errorfiles"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/d"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(404, response.Status);
        Assert.Equal("not here\n", response.BodyText);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Return_DefaultErrorfiles_WithoutErrorfile_BuiltinPage()
    {
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, "server s1 127.0.0.1:1",
            frontend: "    http-request return status 503 default-errorfiles"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/d"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal("HTTP/1.1 503 Service Unavailable", response.StatusLine);
        Assert.Equal(Builtin503, response.BodyText);
    }

    [Fact]
    public async Task Errorfile503_NoServerUp_FilesBodyAfterRetries()
    {
        var directory = Ports.TempDirectory();
        var file = Path.Combine(directory, "503.http");
        await File.WriteAllTextAsync(file, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 17\r\nCache-Control: no-cache\r\n\r\nall servers down\n");
        var closed = Ports.FreeListeningPort();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 127.0.0.1:{closed}",
            backend: $"    retries 2\n    errorfile 503 {file}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/down"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal(503, response.Status);
        Assert.Equal("all servers down\n", response.BodyText);
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /down", StringComparison.Ordinal));
        Assert.Contains(" 503 ", line, StringComparison.Ordinal);
        Assert.Contains(" SC", line, StringComparison.Ordinal);
        Assert.Contains("retries=2", line, StringComparison.Ordinal);
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Builtin503_NoServerUp_HaproxysPage()
    {
        var closed = Ports.FreeListeningPort();
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 127.0.0.1:{closed}", backend: "    retries 1"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/down"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal("HTTP/1.1 503 Service Unavailable", response.StatusLine);
        Assert.Equal(Builtin503, response.BodyText);
        Assert.Equal(Builtin503.Length.ToString(CultureInfo.InvariantCulture), response.Header("Content-Length"));
        Assert.Equal("no-cache", response.Header("Cache-Control"));
        Assert.Equal("text/html", response.Header("Content-Type"));
    }

    [Fact]
    public async Task Builtin502_ServerSendsGarbage_HaproxysPage()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Raw("this is not http\r\n\r\n", AfterResponse.Close));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/garbage"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal("HTTP/1.1 502 Bad Gateway", response.StatusLine);
        Assert.Equal(Builtin502, response.BodyText);
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /garbage", StringComparison.Ordinal));
        Assert.Contains(" PH", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Builtin504_ServerTooSlow_HaproxysPage()
    {
        await using var backend = RecordingBackend.Start(_ => CannedResponse.Ok() with { Delay = TimeSpan.FromSeconds(30) });
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {backend.Address}",
            defaults: "    timeout server 1s"), port);

        using var client = await RawHttpConnection.ConnectAsync(port);
        await client.SendAsync(Http.Get("/slow"));
        var response = await client.ReadResponseAsync();
        Assert.NotNull(response);
        Assert.Equal("HTTP/1.1 504 Gateway Time-out", response.StatusLine);
        Assert.Equal(Builtin504, response.BodyText);
    }

    [Fact]
    public async Task UseBackend_Unconditional_WinsOverDefaultBackend()
    {
        await using var chosen = RecordingBackend.Start(_ => CannedResponse.Ok("chosen"));
        await using var fallback = RecordingBackend.Start(_ => CannedResponse.Ok("default"));
        var port = Ports.FreeListeningPort();
        await using var sluice = await Http.StartAsync(Http.Config(port, $"server s1 {fallback.Address}",
            frontend: "    use_backend other",
            extra: $"backend other\n    server o1 {chosen.Address}"), port);

        var result = await Http.CurlAsync(Http.Url(port, "/which"));
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("chosen", result.StandardOutput);
        Assert.Empty(fallback.Connections);
        var line = await Http.WaitLineAsync(sluice, l => l.Contains("GET /which", StringComparison.Ordinal));
        Assert.Contains("[fe] other/o1 ", line, StringComparison.Ordinal);
    }
}
