using System.Buffers;
using System.Text;
using Sluice.Messages;
using Sluice.Mux.Http2;
using HttpMethod = Sluice.Messages.HttpMethod;
using HttpVersion = Sluice.Messages.HttpVersion;

namespace Sluice.Tests.Mux.Http2;

public class Http2RequestHeadBuilderTests
{
    private static (bool Valid, HttpRequestHead Head, Http2RequestHeadBuilder Builder) Build(bool endStream, params (string Name, string Value)[] fields)
    {
        var head = new HttpRequestHead();
        var builder = new Http2RequestHeadBuilder();
        builder.BeginRequest(head);
        foreach (var (name, value) in fields)
        {
            builder.OnField(Encoding.Latin1.GetBytes(name), Encoding.Latin1.GetBytes(value));
        }

        return (builder.Complete(endStream), head, builder);
    }

    private static (string, string)[] Get(params (string, string)[] extra) =>
        [(":method", "GET"), (":scheme", "https"), (":authority", "example.com"), (":path", "/a?b"), .. extra];

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    private static List<string> Fields(HttpHeaderList list)
    {
        var fields = new List<string>();
        for (var i = 0; i < list.SlotCount; i++)
        {
            if (!list.IsRemoved(i))
            {
                fields.Add(Text(list.Name(i)) + ": " + Text(list.Value(i)));
            }
        }

        return fields;
    }

    [Fact]
    public void Get_PseudoHeadersMapToTheMessage()
    {
        var (valid, head, _) = Build(true, Get(("accept", "*/*")));
        Assert.True(valid);
        Assert.Equal(HttpMethod.Get, head.Method);
        Assert.Equal("/a?b", Text(head.Target));
        Assert.Equal("https", Text(head.Scheme));
        Assert.Equal("example.com", Text(head.Authority));
        Assert.Equal(HttpVersion.Http20, head.Version);
        Assert.True(head.Has(HttpMessageFlags.NoBody));
        Assert.Equal(["accept: */*", "host: example.com"], Fields(head.Headers));
    }

    [Fact]
    public void HostFieldDisagreeingWithAuthority_AuthorityWins_OneHost()
    {
        var (valid, head, _) = Build(true, Get(("host", "other.example")));
        Assert.True(valid);
        Assert.Equal(["host: example.com"], Fields(head.Headers));
    }

    [Theory]
    [InlineData(":method", "GET?")]
    [InlineData(":method", "GET /x")]
    [InlineData(":scheme", "http://x/?")]
    [InlineData(":scheme", "1http")]
    [InlineData(":path", "hello")]
    [InlineData(":path", "/a b")]
    [InlineData(":path", "*")]
    public void BadPseudoValue_Malformed(string name, string value)
    {
        (string, string)[] fields = [(":method", "GET"), (":scheme", "http"), (":authority", "example.com"), (":path", "/")];
        var index = Array.FindIndex(fields, f => f.Item1 == name);
        fields[index] = (name, value);
        var (valid, _, _) = Build(true, fields);
        Assert.False(valid);
    }

    [Fact]
    public void CookieCrumbs_JoinedWithSemicolonSpace()
    {
        var (valid, head, _) = Build(true, Get(("cookie", "a=1"), ("x", "y"), ("cookie", "b=2"), ("cookie", "c=3")));
        Assert.True(valid);
        Assert.Contains("cookie: a=1; b=2; c=3", Fields(head.Headers));
        Assert.Single(Fields(head.Headers), f => f.StartsWith("cookie", StringComparison.Ordinal));
    }

    [Fact]
    public void ContentLength_KeptAsNumber_NotAsField()
    {
        var (valid, head, _) = Build(false, [(":method", "POST"), (":scheme", "http"), (":path", "/"), ("content-length", "42")]);
        Assert.True(valid);
        Assert.True(head.Has(HttpMessageFlags.ContentLengthKnown));
        Assert.False(head.Has(HttpMessageFlags.NoBody));
        Assert.Equal(42, head.ContentLength);
        Assert.DoesNotContain(Fields(head.Headers), f => f.StartsWith("content-length", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("uppercase name", "Accept", "*/*")]
    [InlineData("connection", "connection", "close")]
    [InlineData("keep-alive", "keep-alive", "5")]
    [InlineData("proxy-connection", "proxy-connection", "close")]
    [InlineData("transfer-encoding", "transfer-encoding", "chunked")]
    [InlineData("upgrade", "upgrade", "websocket")]
    [InlineData("te not trailers", "te", "gzip")]
    [InlineData("value with LF", "x", "a\nb")]
    [InlineData("value with leading space", "x", " a")]
    [InlineData("bad content-length", "content-length", "12a")]
    [InlineData("unknown pseudo-header", ":protocol2", "x")]
    public void MalformedField_Refused(string why, string name, string value)
    {
        var (valid, _, builder) = Build(false, Get((name, value)));
        Assert.False(valid, why);
        Assert.True(builder.Malformed);
    }

    [Fact]
    public void TeTrailers_Accepted()
    {
        Assert.True(Build(true, Get(("te", "trailers"))).Valid);
    }

    [Fact]
    public void PseudoHeaderAfterRegularField_Refused()
    {
        Assert.False(Build(true, [(":method", "GET"), (":scheme", "http"), ("accept", "*/*"), (":path", "/")]).Valid);
    }

    [Fact]
    public void DuplicatePseudoHeader_Refused()
    {
        Assert.False(Build(true, [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":path", "/again")]).Valid);
    }

    [Theory]
    [InlineData(":method")]
    [InlineData(":scheme")]
    [InlineData(":path")]
    public void MissingPseudoHeader_Refused(string missing)
    {
        var fields = Get().Where(f => f.Item1 != missing).ToArray();
        Assert.False(Build(true, fields).Valid);
    }

    [Fact]
    public void EmptyPath_Refused()
    {
        Assert.False(Build(true, [(":method", "GET"), (":scheme", "http"), (":path", "")]).Valid);
    }

    [Fact]
    public void EndStreamWithNonZeroContentLength_Refused()
    {
        Assert.False(Build(true, Get(("content-length", "3"))).Valid);
    }

    [Fact]
    public void Connect_AuthorityOnly_TargetIsAuthority()
    {
        var (valid, head, _) = Build(false, [(":method", "CONNECT"), (":authority", "example.com:443")]);
        Assert.True(valid);
        Assert.Equal(HttpMethod.Connect, head.Method);
        Assert.Equal("example.com:443", Text(head.Target));
    }

    [Fact]
    public void Connect_WithPath_Refused()
    {
        Assert.False(Build(false, [(":method", "CONNECT"), (":authority", "example.com:443"), (":path", "/")]).Valid);
    }

    [Fact]
    public void Trailers_NoPseudoHeaderAllowed()
    {
        var builder = new Http2RequestHeadBuilder();
        using var trailers = new HttpHeaderList();
        builder.BeginTrailers(trailers);
        builder.OnField("grpc-status"u8, "0"u8);
        Assert.True(builder.Complete(endStream: true));
        Assert.Equal(["grpc-status: 0"], Fields(trailers));

        builder.BeginTrailers(trailers);
        builder.OnField(":path"u8, "/"u8);
        Assert.False(builder.Complete(endStream: true));
    }

    [Fact]
    public void Builder_ReusedForTheNextBlock_StartsClean()
    {
        var head = new HttpRequestHead();
        var builder = new Http2RequestHeadBuilder();
        builder.BeginRequest(head);
        builder.OnField("Bad"u8, "x"u8);
        Assert.False(builder.Complete(endStream: true));

        builder.BeginRequest(head);
        foreach (var (name, value) in Get())
        {
            builder.OnField(Encoding.Latin1.GetBytes(name), Encoding.Latin1.GetBytes(value));
        }

        Assert.True(builder.Complete(endStream: true));
        Assert.Equal("/a?b", Text(head.Target));
    }
}

public class Http2PrefaceTests
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    [Fact]
    public void WholePreface_Http2()
    {
        Assert.Equal(PrefaceOutcome.Http2, Http2Preface.Classify(new ReadOnlySequence<byte>([.. Preface, 0, 0, 0, 4])));
    }

    [Fact]
    public void EveryStrictPrefix_Undecided()
    {
        for (var length = 0; length < Preface.Length; length++)
        {
            Assert.Null(Http2Preface.Classify(new ReadOnlySequence<byte>(Preface[..length])));
        }
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("PRI / HTTP/1.1\r\n")]
    [InlineData("PRI * HTTP/2.0\r\n\r\nXX")]
    [InlineData("P")]
    public void OtherBytes_Http1(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var expected = bytes.AsSpan().SequenceEqual(Preface.AsSpan(0, Math.Min(bytes.Length, Preface.Length))) ? (PrefaceOutcome?)null : PrefaceOutcome.Http1;
        Assert.Equal(expected, Http2Preface.Classify(new ReadOnlySequence<byte>(bytes)));
    }
}
