using System.Buffers;
using Sluice.Mux.Http2;

namespace Sluice.Tests.Mux.Http2;

public class Http2StreamReuseTests
{
    private const string SparePipeField = "_sparePipe";

    [Fact]
    public async Task Reuse_EveryFieldDirtied_SameStateAsNewStream()
    {
        using var pair = await ReusedFields.ConnectAsync();
        using var connection = new Http2FrontConnection(pair.Io, pair.Clock, Http2Limits.Default);
        var (fresh, used) = FreshAndReleased(connection, pair.Clock);
        used.Dispose();
        used.Reuse(5);

        // A field left over would carry one request's state into another's. The spare body pipe is the one field
        // kept on purpose (see the next test).
        ReusedFields.AssertAsNew(fresh, used, SparePipeField);
        ReusedFields.AssertAsNew(fresh.ReadWatch, used.ReadWatch);
        ReusedFields.AssertAsNew(fresh.WriteWatch, used.WriteWatch);
        Assert.Equal(0, used.Request.Headers.Count);
        Assert.Equal(fresh.Request.Method, used.Request.Method);
        Assert.Equal(fresh.Request.Flags, used.Request.Flags);
        Assert.Equal(fresh.Request.ContentLength, used.Request.ContentLength);
        Assert.Equal(fresh.Request.Version, used.Request.Version);
        Assert.True(used.Request.Target.IsEmpty && used.Request.Authority.IsEmpty && used.Request.Scheme.IsEmpty);
    }

    [Fact]
    public async Task Reuse_HeadBuffersKept_SameStateAsNewStream()
    {
        using var pair = await ReusedFields.ConnectAsync();
        using var connection = new Http2FrontConnection(pair.Io, pair.Clock, Http2Limits.Default);
        var (fresh, used) = FreshAndReleased(connection, pair.Clock);
        var arena = used.Request.Headers.Arena;
        used.Reuse(5);

        // A busy connection reuses a stream without giving its buffers back: the arrays stay, nothing else does.
        Assert.Same(arena, used.Request.Headers.Arena);
        ReusedFields.AssertAsNew(fresh, used, SparePipeField);
        Assert.Equal(0, used.Request.Headers.Count);
        Assert.Equal(0, used.Request.Headers.SlotCount);
        Assert.True(used.Request.Target.IsEmpty && used.Request.Authority.IsEmpty && used.Request.Scheme.IsEmpty);
    }

    [Fact]
    public async Task ReleaseSpareBuffers_RecycledStreamsKeepTheirsUntilThen()
    {
        using var pair = await ReusedFields.ConnectAsync();
        using var connection = new Http2FrontConnection(pair.Io, pair.Clock, Http2Limits.Default);
        var first = new Http2Stream(connection, 1, pair.Clock, new NoHandler()) { Released = true };
        var second = new Http2Stream(connection, 3, pair.Clock, new NoHandler()) { Released = true };
        first.Request.Headers.Add("x"u8, "1"u8);
        second.Request.Headers.Add("y"u8, "2"u8);

        connection.RecycleStream(first);
        connection.RecycleStream(second);
        Assert.NotEmpty(first.Request.Headers.Arena);
        Assert.NotEmpty(second.Request.Headers.Arena);

        // As the session does when a tick finds the connection without streams.
        connection.ReleaseSpareBuffers();
        Assert.Empty(first.Request.Headers.Arena);
        Assert.Empty(second.Request.Headers.Arena);
    }

    [Fact]
    public async Task Reuse_RequestBodyPipe_ServesTheNextBodyEmpty()
    {
        using var pair = await ReusedFields.ConnectAsync();
        using var connection = new Http2FrontConnection(pair.Io, pair.Clock, Http2Limits.Default);
        var stream = new Http2Stream(connection, 1, pair.Clock, new NoHandler());

        // The first request's body is left unread, as a response that ends before its request body leaves it.
        stream.OpenBody();
        var first = stream.Body!;
        first.Writer.Write("first body"u8);
        await first.Writer.FlushAsync();
        ReusedFields.CompleteAsReleased(first);
        stream.Reuse(3);
        Assert.Null(stream.Body);

        stream.OpenBody();
        Assert.Same(first, stream.Body);
        stream.Body!.Writer.Write("second"u8);
        stream.Body.Writer.Complete();
        var read = await stream.Body.Reader.ReadAsync();
        Assert.Equal("second"u8.ToArray(), read.Buffer.ToArray());

        // A stream without a body in between keeps the spare for the next one with a body; another stream object
        // has a pipe of its own.
        stream.Body.Reader.AdvanceTo(read.Buffer.End);
        ReusedFields.CompleteAsReleased(stream.Body);
        stream.Reuse(5);
        stream.Reuse(7);
        stream.OpenBody();
        Assert.Same(first, stream.Body);
        var other = new Http2Stream(connection, 9, pair.Clock, new NoHandler());
        other.OpenBody();
        Assert.NotSame(first, other.Body);
    }

    /// <summary>A new stream 5, and a stream 3 with every field dirtied and its body pipe completed as a released stream's.</summary>
    private static (Http2Stream Fresh, Http2Stream Used) FreshAndReleased(Http2FrontConnection connection, Sluice.Timers.Heartbeat clock)
    {
        var handler = new NoHandler();
        var fresh = new Http2Stream(connection, 5, clock, handler);
        var used = new Http2Stream(connection, 3, clock, handler);
        Dirty(used);
        ReusedFields.CompleteAsReleased(used.Body!);
        return (fresh, used);
    }

    private static void Dirty(Http2Stream stream)
    {
        ReusedFields.Dirty(stream);
        ReusedFields.Dirty(stream.ReadWatch);
        stream.WriteWatch.LimitMs = 5;
        stream.Request.SetMethod("POST"u8);
        stream.Request.SetTarget("/x"u8);
        stream.Request.SetAuthority("a"u8);
        stream.Request.SetScheme("http"u8);
        stream.Request.Headers.Add("x"u8, "y"u8);
        stream.Request.ContentLength = 3;
        stream.Request.Version = Sluice.Messages.HttpVersion.Http20;
        stream.Request.Set(Sluice.Messages.HttpMessageFlags.ContentLengthKnown);
    }

    private sealed class NoHandler : IHttp2StreamHandler
    {
        public void RunStream(Http2Stream stream)
        {
        }
    }
}
