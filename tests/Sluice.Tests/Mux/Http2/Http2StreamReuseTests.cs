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
        used.Dispose();
        used.Reuse(5);

        // Every field a stream has, now and in the future, must be back to a new stream's value: a field left over
        // would carry one request's state into another's.
        foreach (var field in typeof(Http2Stream).GetFields(InstanceFields))
        {
            if (field.IsInitOnly)
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
