using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Sluice.Config.Model;
using Sluice.Messages;
using Sluice.Mux;
using Sluice.Mux.Http1;
using Sluice.Mux.Http2;
using Sluice.Protocols.Http1;
using Sluice.TestKit.Hpack;

namespace Sluice.Tests.Mux.Http2;

/// <summary>
/// The translation towards HTTP/2 servers: request heads encoded as HEADERS (checked with the test kit's own HPACK
/// decoder), response field blocks checked and turned into the neutral head, and the choice of the back mux.
/// </summary>
public class Http2BackTranslationTests
{
    [Fact]
    public void EncodeRequest_AbsoluteFormFromHttp1_PseudoHeadersFirstHostAndHopFieldsGone()
    {
        using var head = ParseHttp1("GET http://example.test/a?b=1 HTTP/1.1\r\nHost: example.test\r\nX-Upper: V\r\nTE: trailers\r\nConnection: keep-alive\r\nCookie: a=1\r\n\r\n");
        var fields = Encode(head, out var endStream);
        Assert.True(endStream);
        Assert.Equal(
            [":method: GET", ":scheme: http", ":authority: example.test", ":path: /a?b=1", "x-upper: V", "te: trailers", "cookie: a=1"],
            fields);
    }

    [Fact]
    public void EncodeRequest_OriginFormWithBody_AuthorityFromHostAndLength()
    {
        using var head = ParseHttp1("POST /up HTTP/1.1\r\nHost: h.local:8080\r\nContent-Length: 5\r\n\r\n");
        var fields = Encode(head, out var endStream);
        Assert.False(endStream);
        Assert.Equal([":method: POST", ":scheme: http", ":authority: h.local:8080", ":path: /up", "content-length: 5"], fields);
    }

    [Fact]
    public void EncodeRequest_Http10WithoutHost_NoAuthority()
    {
        using var head = ParseHttp1("GET / HTTP/1.0\r\n\r\n");
        Assert.Equal([":method: GET", ":scheme: http", ":path: /"], Encode(head, out _));
    }

    [Theory]
    [InlineData("/p?q", "/p?q")]
    [InlineData("*", "*")]
    [InlineData("http://h", "/")]
    [InlineData("http://h/x/y", "/x/y")]
    [InlineData("https://h:8443?q=1", "?q=1")]
    public void PathOf_Targets(string target, string expected) =>
        Assert.Equal(expected, Encoding.Latin1.GetString(Http2RequestEncoder.PathOf(Encoding.Latin1.GetBytes(target))));

    [Fact]
    public void EncodeRequest_QueryWithoutPath_SlashAdded()
    {
        using var head = ParseHttp1("GET http://h?q=1 HTTP/1.1\r\nHost: h\r\n\r\n");
        Assert.Contains(":path: /?q=1", Encode(head, out _));
    }

    [Fact]
    public void ResponseBuilder_ValidHead_StatusFieldsAndLength()
    {
        var builder = new Http2ResponseHeadBuilder();
        using var head = new HttpResponseHead();
        builder.BeginResponse(head);
        Feed(builder, (":status", "200"), ("content-type", "text/plain"), ("content-length", "12"), ("grpc-status", "0"));
        Assert.True(builder.Complete(endStream: false));
        Assert.Equal(200, head.Status);
        Assert.Equal(HttpVersion.Http20, head.Version);
        Assert.True(head.Has(HttpMessageFlags.ContentLengthKnown));
        Assert.Equal(12, head.ContentLength);
        Assert.False(head.Headers.Contains("content-length"u8));
        Assert.True(head.HasBody);
        Assert.Equal(2, head.Headers.Count);
    }

    [Fact]
    public void ResponseBuilder_EndStreamOnHead_NoBody()
    {
        var builder = new Http2ResponseHeadBuilder();
        using var head = new HttpResponseHead();
        builder.BeginResponse(head);
        Feed(builder, (":status", "200"), ("grpc-status", "3"), ("grpc-message", "bad input"));
        Assert.True(builder.Complete(endStream: true));
        Assert.False(head.HasBody);
    }

    [Theory]
    [InlineData("no :status", new[] { "content-type", "x" })]
    [InlineData("101 does not exist in HTTP/2", new[] { ":status", "101" })]
    [InlineData("status not three digits", new[] { ":status", "2000" })]
    [InlineData("request pseudo-header", new[] { ":status", "200", ":path", "/" })]
    [InlineData("pseudo-header after a field", new[] { ":status", "200", "x-a", "1", ":status", "200" })]
    [InlineData("uppercase name", new[] { ":status", "200", "X-Upper", "1" })]
    [InlineData("connection-specific field", new[] { ":status", "200", "connection", "close" })]
    [InlineData("transfer-encoding", new[] { ":status", "200", "transfer-encoding", "chunked" })]
    [InlineData("two different lengths", new[] { ":status", "200", "content-length", "1", "content-length", "2" })]
    [InlineData("value with CR", new[] { ":status", "200", "x-a", "1\r2" })]
    public void ResponseBuilder_MalformedHead_Refused(string why, string[] pairs)
    {
        var builder = new Http2ResponseHeadBuilder();
        using var head = new HttpResponseHead();
        builder.BeginResponse(head);
        for (var i = 0; i < pairs.Length; i += 2)
        {
            builder.OnField(Encoding.Latin1.GetBytes(pairs[i]), Encoding.Latin1.GetBytes(pairs[i + 1]));
        }

        Assert.False(builder.Complete(endStream: false), why);
    }

    [Fact]
    public void ResponseBuilder_InterimThatEndsTheStream_Refused()
    {
        var builder = new Http2ResponseHeadBuilder();
        using var head = new HttpResponseHead();
        builder.BeginResponse(head);
        Feed(builder, (":status", "103"));
        Assert.False(builder.Complete(endStream: true));
    }

    [Fact]
    public void ResponseBuilder_Trailers_NoPseudoHeaders()
    {
        var builder = new Http2ResponseHeadBuilder();
        using var trailers = new HttpHeaderList();
        builder.BeginTrailers(trailers);
        Feed(builder, ("grpc-status", "0"));
        Assert.True(builder.Complete(endStream: true));
        Assert.Equal(1, trailers.Count);
        builder.BeginTrailers(trailers);
        Feed(builder, (":status", "200"));
        Assert.False(builder.Complete(endStream: true));
    }

    [Theory]
    [InlineData("h2", null, "Http2")]
    [InlineData("h1", "h2", "Http1")]
    [InlineData(null, "h2", "Http2")]
    [InlineData(null, "http/1.1", "Http1")]
    [InlineData(null, null, "Http1")]
    public void BackMux_ProtoThenAlpnThenHttp1(string? proto, string? alpn, string expected)
    {
        var server = new ServerConfig { Name = "s", Location = "t.cfg:1", Address = new InetServerAddress { Text = "127.0.0.1:80", Address = System.Net.IPAddress.Loopback, Port = 80 }, Id = 1, Proto = proto };
        Assert.Equal(expected, BackMux.Choose(server, alpn).ToString());
    }

    private static void Feed(Http2ResponseHeadBuilder builder, params (string Name, string Value)[] fields)
    {
        foreach (var (name, value) in fields)
        {
            builder.OnField(Encoding.Latin1.GetBytes(name), Encoding.Latin1.GetBytes(value));
        }
    }

    private static HttpRequestHead ParseHttp1(string text)
    {
        var head = new HttpRequestHead();
        var state = Http1HeadState.ForHead();
        var handler = default(Http1Heads.RequestHandler);
        handler.Begin(head, Http1ParserOptions.Strict);
        var status = Http1HeadParser.ParseRequestHead(ref state, new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text)), ref handler, Http1ParserOptions.Strict, out _, out _);
        Assert.Equal(Http1ParseStatus.Complete, status);
        Assert.Equal(Http1RejectReason.None, handler.Framing.CompleteRequest(head.MethodBytes, default, out var framing));
        Http1Heads.ApplyFraming(head, framing);
        Http1Heads.RemoveHopByHopFields(head, isRequest: true);
        return head;
    }

    /// <summary>Encodes the head, writes its frames, and decodes them with the test kit's independent HPACK decoder.</summary>
    private static List<string> Encode(HttpRequestHead head, out bool endStream)
    {
        var encoder = new Http2RequestEncoder();
        encoder.EncodeRequest(head);
        var pipe = new Pipe();
        encoder.WriteBlock(pipe.Writer, streamId: 1, endStream: !head.HasBody, maxFrameSize: 16384);
        pipe.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
        pipe.Reader.TryRead(out var result);
        var bytes = result.Buffer.ToArray();
        Assert.Equal(1, bytes[3]);
        endStream = (bytes[4] & 1) != 0;
        Assert.True((bytes[4] & 4) != 0);
        var length = (bytes[0] << 16) | (bytes[1] << 8) | bytes[2];
        var decoded = new SimpleHpackDecoder().Decode(bytes[9..(9 + length)]);
        return [.. decoded.Select(h => h.ToString())];
    }
}
