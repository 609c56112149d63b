using System.Buffers;
using System.IO.Pipelines;
using System.Reflection;
using Sluice.Messages;
using Sluice.Mux.Http2;
using Sluice.Tests.Timers;
using Sluice.Tests.Transport;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Tests.Mux.Http2;

public class Http2StreamReuseTests
{
    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    [Fact]
    public async Task Reuse_EveryFieldDirtied_SameStateAsNewStream()
    {
        var (outer, inner) = await TestSockets.ConnectedPairAsync();
        using var outerSocket = outer;
        using var clock = new Heartbeat(new ManualTimeProvider(), TimeSpan.FromMilliseconds(100));
        using var io = new SocketDuplex(inner, new BlockMemoryPool(4096), waitWithoutBuffer: true);
        using var connection = new Http2FrontConnection(io, clock, Http2Limits.Default);
        var handler = new NoHandler();

        var fresh = new Http2Stream(connection, 5, clock, handler);
        var used = new Http2Stream(connection, 3, clock, handler);
        Dirty(used);
        var usedBody = used.Body!;
        CompleteAsReleased(usedBody);
        used.Dispose();
        used.Reuse(5);

        // Every field a stream has, now and in the future, must be back to a new stream's value: a field left over
        // would carry one request's state into another's. The spare body pipe is the one field kept on purpose.
        foreach (var field in typeof(Http2Stream).GetFields(InstanceFields))
        {
            if (field.IsInitOnly || field.Name == SparePipeField)
            {
                continue;
            }

            Assert.True(Equals(field.GetValue(fresh), field.GetValue(used)), $"{field.Name} is not reset");
        }

        foreach (var watch in new[] { (fresh.ReadWatch, used.ReadWatch), (fresh.WriteWatch, used.WriteWatch) })
        {
            Assert.Equal(watch.Item1.IsWaiting, watch.Item2.IsWaiting);
            Assert.Equal(watch.Item1.LimitMs, watch.Item2.LimitMs);
            Assert.Equal(watch.Item1.LastActivityMs, watch.Item2.LastActivityMs);
        }

        Assert.Equal(0, used.Request.Headers.Count);
        Assert.Equal(fresh.Request.Method, used.Request.Method);
        Assert.Equal(fresh.Request.Flags, used.Request.Flags);
        Assert.Equal(fresh.Request.ContentLength, used.Request.ContentLength);
        Assert.Equal(fresh.Request.Version, used.Request.Version);
        Assert.True(used.Request.Target.IsEmpty && used.Request.Authority.IsEmpty && used.Request.Scheme.IsEmpty);
    }

    [Fact]
    public async Task Reuse_RequestBodyPipe_ServesTheNextBodyEmpty()
    {
        var (outer, inner) = await TestSockets.ConnectedPairAsync();
        using var outerSocket = outer;
        using var clock = new Heartbeat(new ManualTimeProvider(), TimeSpan.FromMilliseconds(100));
        using var io = new SocketDuplex(inner, new BlockMemoryPool(4096), waitWithoutBuffer: true);
        using var connection = new Http2FrontConnection(io, clock, Http2Limits.Default);
        var stream = new Http2Stream(connection, 1, clock, new NoHandler());

        // The first request's body is left unread, as a response that ends before its request body leaves it.
        stream.OpenBody();
        var first = stream.Body!;
        first.Writer.Write("first body"u8);
        await first.Writer.FlushAsync();
        CompleteAsReleased(first);
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
        CompleteAsReleased(stream.Body);
        stream.Reuse(5);
        stream.Reuse(7);
        stream.OpenBody();
        Assert.Same(first, stream.Body);
        var other = new Http2Stream(connection, 9, clock, new NoHandler());
        other.OpenBody();
        Assert.NotSame(first, other.Body);
    }

    private const string SparePipeField = "_sparePipe";

    /// <summary>What releasing a stream does to its body pipe (`Http2FrontConnection.ReleaseStream`).</summary>
    private static void CompleteAsReleased(Pipe body)
    {
        body.Writer.Complete();
        body.Reader.Complete();
    }

    /// <summary>Gives every settable field of the stream a value a new stream does not have.</summary>
    private static void Dirty(Http2Stream stream)
    {
        foreach (var field in typeof(Http2Stream).GetFields(InstanceFields))
        {
            if (field.IsInitOnly)
            {
                continue;
            }

            object value = field.FieldType switch
            {
                var t when t == typeof(bool) => true,
                var t when t == typeof(int) => 7,
                var t when t == typeof(long) => 7L,
                var t when t == typeof(ReadOnlySequence<byte>) => new ReadOnlySequence<byte>(new byte[3]),
                var t when t == typeof(Pipe) => new Pipe(),
                var t when t == typeof(HttpHeaderList) => new HttpHeaderList(),
                var t when t == typeof(TaskCompletionSource) => new TaskCompletionSource(),
                var t when t == typeof(object) => new object(),
                var t => throw new InvalidOperationException($"the test does not know how to dirty {field.Name} ({t})"),
            };
            field.SetValue(stream, value);
        }

        stream.ReadWatch.LimitMs = 5;
        stream.ReadWatch.BeginWait();
        stream.WriteWatch.LimitMs = 5;
        stream.Request.SetMethod("POST"u8);
        stream.Request.SetTarget("/x"u8);
        stream.Request.SetAuthority("a"u8);
        stream.Request.SetScheme("http"u8);
        stream.Request.Headers.Add("x"u8, "y"u8);
        stream.Request.ContentLength = 3;
        stream.Request.Version = HttpVersion.Http20;
        stream.Request.Set(HttpMessageFlags.ContentLengthKnown);
    }

    private sealed class NoHandler : IHttp2StreamHandler
    {
        public void RunStream(Http2Stream stream)
        {
        }
    }
}
