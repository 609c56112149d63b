using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Sluice.Messages;
using Sluice.Mux.Http1;
using Sluice.Protocols.Http1;

namespace Sluice.Tests.Mux.Http1;

public class Http1HeadsTests
{
    private static HttpRequestHead Parse(string text)
    {
        var head = new HttpRequestHead();
        var state = Http1HeadState.ForHead();
        var handler = default(Http1Heads.RequestHandler);
        handler.Begin(head, Http1ParserOptions.Strict);
        var status = Http1HeadParser.ParseRequestHead(ref state, new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)), ref handler, Http1ParserOptions.Strict, out _, out _);
        Assert.Equal(Http1ParseStatus.Complete, status);
        Assert.Equal(Http1RejectReason.None, handler.Reject);
        Assert.Equal(Http1RejectReason.None, handler.Framing.CompleteRequest(head.MethodBytes, default, out var framing));
        Http1Heads.ApplyFraming(head, framing);
        return head;
    }

    [Fact]
    public void RemoveHopByHop_ConnectionNamedFieldsGone_HostKept()
    {
        using var head = Parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close, X-Foo, Host\r\nX-Foo: 1\r\nKeep-Alive: 5\r\nX-Bar: 2\r\n\r\n");
        Http1Heads.RemoveHopByHopFields(head, isRequest: true);
        Assert.True(head.Has(HttpMessageFlags.ConnectionClose));
        Assert.True(head.Headers.Contains("host"u8));
        Assert.True(head.Headers.Contains("x-bar"u8));
        Assert.False(head.Headers.Contains("x-foo"u8));
        Assert.False(head.Headers.Contains("connection"u8));
        Assert.False(head.Headers.Contains("keep-alive"u8));
    }

    [Fact]
    public void RemoveHopByHop_WebSocketUpgrade_KeptAndFlagged()
    {
        using var head = Parse("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        Http1Heads.RemoveHopByHopFields(head, isRequest: true);
        Assert.True(head.Has(HttpMessageFlags.Upgrade));
        Assert.True(head.Headers.Contains("upgrade"u8));
    }

    [Fact]
    public void RemoveHopByHop_UpgradeH2c_DroppedWithSettings()
    {
        using var head = Parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
        Http1Heads.RemoveHopByHopFields(head, isRequest: true);
        Assert.False(head.Has(HttpMessageFlags.Upgrade));
        Assert.False(head.Headers.Contains("upgrade"u8));
        Assert.False(head.Headers.Contains("http2-settings"u8));
    }

    [Fact]
    public void FindH2cUpgrade_CurlRequest_SettingsDecoded()
    {
        // SETTINGS_MAX_CONCURRENT_STREAMS 100, SETTINGS_INITIAL_WINDOW_SIZE 65535 (base64url, no padding).
        using var head = Parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
        Assert.Equal(Convert.FromHexString("000300000064000400" + "00ffff"), Http1Heads.FindH2cUpgrade(head)!);
    }

    [Theory]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n", "HTTP/1.0")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n", "HTTP2-Settings not a connection option")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n\r\n", "no HTTP2-Settings")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\nHTTP2-Settings: AAMAAABk\r\n\r\n", "two HTTP2-Settings")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAAB\r\n\r\n", "settings not a multiple of 6 bytes")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AA*AAABk\r\n\r\n", "not base64url")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n", "chunked body")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65536\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n", "body above a stream window")]
    [InlineData("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n", "Expect")]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: websocket\r\nHTTP2-Settings: AAMAAABk\r\n\r\n", "another protocol")]
    public void FindH2cUpgrade_NotAccepted_Null(string text, string why)
    {
        using var head = Parse(text);
        Assert.True(Http1Heads.FindH2cUpgrade(head) is null, why);
    }

    [Fact]
    public void FindH2cUpgrade_SmallBodyOfKnownLength_Accepted()
    {
        using var head = Parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65535\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\n\r\n");
        var settings = Http1Heads.FindH2cUpgrade(head);
        Assert.NotNull(settings);
        Assert.Empty(settings);
    }

    [Fact]
    public void RemoveHopByHop_RulesFirst_FramingGoesThenTheRestBeforeForwarding()
    {
        using var head = Parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close, X-Foo\r\nX-Foo: 1\r\nKeep-Alive: 5\r\nProxy-Connection: x\r\nTE: gzip\r\n\r\n");
        Http1Heads.RemoveHopByHopFields(head, isRequest: true, keepForRules: true);
        Assert.True(head.Has(HttpMessageFlags.ConnectionClose));
        Assert.Equal("X-Foo", Encoding.Latin1.GetString(head.Headers.Value(head.Headers.IndexOf("connection"u8))));
        Assert.True(head.Headers.Contains("x-foo"u8));
        Assert.True(head.Headers.Contains("keep-alive"u8));
        Assert.True(head.Headers.Contains("proxy-connection"u8));
        Assert.True(head.Headers.Contains("te"u8));

        Http1Heads.RemoveHopByHopFields(head, isRequest: true);
        Assert.Equal(1, head.Headers.Count);
        Assert.True(head.Headers.Contains("host"u8));
    }

    [Fact]
    public void RemoveHopByHop_ResponseToHead_KeepsTheLengthItAnnounces()
    {
        using var response = new HttpResponseHead();
        response.Headers.Add("content-length"u8, "42"u8);
        response.Headers.Add("transfer-encoding"u8, "chunked"u8);
        response.Set(HttpMessageFlags.NoBody);
        Http1Heads.RemoveHopByHopFields(response, isRequest: false);
        Assert.True(response.Headers.Contains("content-length"u8));
        Assert.False(response.Headers.Contains("transfer-encoding"u8));
    }

    [Fact]
    public void RemoveHopByHop_UpgradeWithoutConnectionToken_NotAnUpgrade()
    {
        using var head = Parse("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n");
        Http1Heads.RemoveHopByHopFields(head, isRequest: true);
        Assert.False(head.Has(HttpMessageFlags.Upgrade));
        Assert.False(head.Headers.Contains("upgrade"u8));
    }

    [Theory]
    [InlineData("GET / HTTP/1.0\r\n\r\n", true)]
    [InlineData("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false)]
    [InlineData("GET / HTTP/1.1\r\nHost: a\r\n\r\n", false)]
    public void RemoveHopByHop_Http10WithoutKeepAlive_Closes(string text, bool close)
    {
        using var head = Parse(text);
        Http1Heads.RemoveHopByHopFields(head, isRequest: true);
        Assert.Equal(close, head.Has(HttpMessageFlags.ConnectionClose));
    }

    [Fact]
    public void RemoveHopByHop_TeTrailersKept_OtherTeDropped()
    {
        using var kept = Parse("POST / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nContent-Length: 0\r\n\r\n");
        Http1Heads.RemoveHopByHopFields(kept, isRequest: true);
        Assert.True(kept.Headers.Contains("te"u8));
        Assert.False(kept.Headers.Contains("content-length"u8));
        Assert.Equal(0, kept.ContentLength);

        using var dropped = Parse("GET / HTTP/1.1\r\nHost: a\r\nTE: gzip\r\n\r\n");
        Http1Heads.RemoveHopByHopFields(dropped, isRequest: true);
        Assert.False(dropped.Headers.Contains("te"u8));
    }

    [Fact]
    public async Task WriteRequestHead_UnknownLengthBody_ChunkedAndHttp11()
    {
        using var head = Parse("POST /up HTTP/1.0\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n".Replace("HTTP/1.0", "HTTP/1.1").Replace("POST /up HTTP/1.1\r\n", "POST /up HTTP/1.1\r\nHost: h\r\n"));
        Http1Heads.RemoveHopByHopFields(head, isRequest: true);
        var pipe = new Pipe();
        Http1Heads.WriteRequestHead(pipe.Writer, head, Http1Heads.OutgoingMode(head, peerSpeaksChunked: true), close: false);
        await pipe.Writer.FlushAsync();
        await pipe.Writer.CompleteAsync();
        var text = Encoding.Latin1.GetString((await pipe.Reader.ReadAsync()).Buffer.ToArray());
        Assert.Equal("POST /up HTTP/1.1\r\nHost: h\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n\r\n", text);
    }
}
