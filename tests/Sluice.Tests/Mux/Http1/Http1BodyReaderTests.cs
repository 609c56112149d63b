using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Sluice.Messages;
using Sluice.Mux.Http1;
using Sluice.Protocols.Http1;
using Sluice.Tests.Timers;
using Sluice.Timers;

namespace Sluice.Tests.Mux.Http1;

public sealed class Http1BodyReaderTests : IDisposable
{
    private readonly Heartbeat _clock = new(new ManualTimeProvider(), TimeSpan.FromMilliseconds(100));
    private readonly Pipe _pipe = new();

    private Http1BodyReader Reader(Http1BodyMode mode, long length = -1)
    {
        var reader = new Http1BodyReader(_pipe.Reader, new SideWatch(_clock), clientSide: true);
        reader.Start(mode, length, Http1ParserOptions.Strict);
        return reader;
    }

    private async Task WriteAsync(string text) => await _pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(text));

    [Fact]
    public async Task Chunked_SmallChunksAllHere_MoreDataBufferedUntilTheLast()
    {
        using var reader = Reader(Http1BodyMode.Chunked);
        await WriteAsync("1\r\na\r\n1\r\nb\r\n0\r\n\r\nGET");

        var first = await reader.ReadAsync();
        Assert.Equal("a", Encoding.ASCII.GetString(first.Data.ToArray()));
        Assert.True(reader.MoreDataBuffered);
        reader.Advance();
        var second = await reader.ReadAsync();
        Assert.Equal("b", Encoding.ASCII.GetString(second.Data.ToArray()));
        Assert.True(reader.MoreDataBuffered);
        reader.Advance();
        Assert.True((await reader.ReadAsync()).IsEnd);
        Assert.True(reader.IsComplete);

        // The next message stays in the pipe.
        var rest = await _pipe.Reader.ReadAsync();
        Assert.Equal("GET", Encoding.ASCII.GetString(rest.Buffer.ToArray()));
    }

    [Fact]
    public async Task Chunked_NextSizeLineNotHereYet_NotBuffered()
    {
        using var reader = Reader(Http1BodyMode.Chunked);
        await WriteAsync("3\r\nabc\r\n1");
        var chunk = await reader.ReadAsync();
        Assert.Equal("abc", Encoding.ASCII.GetString(chunk.Data.ToArray()));
        Assert.False(reader.MoreDataBuffered);
    }

    [Fact]
    public async Task Length_StopsAtTheLength_NextMessageLeft()
    {
        using var reader = Reader(Http1BodyMode.Length, 5);
        await WriteAsync("helloGET /");
        var chunk = await reader.ReadAsync();
        Assert.Equal("hello", Encoding.ASCII.GetString(chunk.Data.ToArray()));
        Assert.False(reader.MoreDataBuffered);
        reader.Advance();
        Assert.True((await reader.ReadAsync()).IsEnd);
    }

    [Fact]
    public async Task Length_PeerClosesEarly_ClosedFailure()
    {
        using var reader = Reader(Http1BodyMode.Length, 10);
        await WriteAsync("abc");
        await _pipe.Writer.CompleteAsync();
        var chunk = await reader.ReadAsync();
        Assert.Equal(3, chunk.Data.Length);
        reader.Advance();
        var ex = await Assert.ThrowsAsync<HttpBodyException>(async () => await reader.ReadAsync());
        Assert.Equal(BodyFailure.Closed, ex.Failure);
    }

    [Fact]
    public async Task Chunked_BadSize_InvalidFailureWithReason()
    {
        using var reader = Reader(Http1BodyMode.Chunked);
        await WriteAsync("+5\r\nhello\r\n");
        var ex = await Assert.ThrowsAsync<HttpBodyException>(async () => await reader.ReadAsync());
        Assert.Equal(BodyFailure.Invalid, ex.Failure);
        Assert.NotEqual(Http1RejectReason.None, reader.RejectReason);
    }

    public void Dispose() => _clock.Dispose();
}
