using System.Buffers;
using System.IO.Pipelines;
using System.Reflection;
using System.Threading.Tasks.Sources;
using Sluice.Messages;
using Sluice.Mux.Http2;
using Sluice.Tests.Timers;
using Sluice.Tests.Transport;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Tests.Mux.Http2;

public class Http2BackStreamReuseTests
{
    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    [Fact]
    public async Task RecycledStream_EveryFieldDirtied_ReopenedAsANewStream()
    {
        var (outer, inner) = await TestSockets.ConnectedPairAsync();
        using var outerSocket = outer;
        using var clock = new Heartbeat(new ManualTimeProvider(), TimeSpan.FromMilliseconds(100));
        using var io = new SocketDuplex(inner, new BlockMemoryPool(4096), waitWithoutBuffer: false);
        var connection = new Http2BackConnection(io, clock, Http2Limits.Default, assumedMaxConcurrentStreams: 100);

        // The connection's first stream is remembered by it and never recycled.
        var opener = connection.TryOpenStream(reused: false)!;
        opener.Released = true;
        opener.Recycle();
        var used = connection.TryOpenStream(reused: false)!;
        Assert.NotSame(opener, used);

        Dirty(used);
        used.Recycled = false;
        var usedTrailers = used.Trailers!;
        usedTrailers.Add("grpc-status"u8, "0"u8);
        used.DisposeHeads();
        used.Recycle();
        used.Recycle();
        var fresh = new Http2BackStream(connection, clock, reused: true);
        var reopened = connection.TryOpenStream(reused: true)!;
        Assert.Same(used, reopened);
        Assert.NotSame(used, connection.TryOpenStream(reused: true));

        // Every field a stream has, now and in the future, must be back to a new stream's value: a field left over
        // would carry one exchange's state into another's.
        foreach (var field in typeof(Http2BackStream).GetFields(InstanceFields))
        {
            // The spare trailers list is the one field kept on purpose (checked below).
            if (field.IsInitOnly || field.Name == "_spareTrailers")
            {
                continue;
            }

            if (field.FieldType == typeof(ManualResetValueTaskSourceCore<bool>))
            {
                var core = (ManualResetValueTaskSourceCore<bool>)field.GetValue(reopened)!;
                Assert.Equal(ValueTaskSourceStatus.Pending, core.GetStatus(core.Version));
                continue;
            }

            Assert.True(Equals(field.GetValue(fresh), field.GetValue(reopened)), $"{field.Name} is not reset");
        }

        // The previous exchange's trailers list serves the next trailers, empty.
        Assert.Null(reopened.Trailers);
        var trailers = reopened.OpenTrailers();
        Assert.Same(usedTrailers, trailers);
        Assert.Equal(0, trailers.Count);

        foreach (var watch in new[] { (fresh.ReadWatch, reopened.ReadWatch), (fresh.WriteWatch, reopened.WriteWatch) })
        {
            Assert.Equal(watch.Item1.IsWaiting, watch.Item2.IsWaiting);
            Assert.Equal(watch.Item1.LimitMs, watch.Item2.LimitMs);
            Assert.Equal(watch.Item1.LastActivityMs, watch.Item2.LastActivityMs);
        }

        // Not before it is released.
        reopened.Recycle();
        Assert.NotSame(reopened, connection.TryOpenStream(reused: true));
    }

    /// <summary>Gives every settable field of the stream a value a new stream does not have; the stream ends released.</summary>
    private static void Dirty(Http2BackStream stream)
    {
        foreach (var field in typeof(Http2BackStream).GetFields(InstanceFields))
        {
            if (field.IsInitOnly)
            {
                continue;
            }

            if (field.FieldType == typeof(ManualResetValueTaskSourceCore<bool>))
            {
                var core = new ManualResetValueTaskSourceCore<bool>();
                core.SetResult(true);
                field.SetValue(stream, core);
                continue;
            }

            object value = field.FieldType switch
            {
                var t when t == typeof(bool) => true,
                var t when t == typeof(int) => 7,
                var t when t == typeof(long) => 7L,
                var t when t.IsEnum => Enum.ToObject(t, 1),
                var t when t == typeof(ReadOnlySequence<byte>) => new ReadOnlySequence<byte>(new byte[3]),
                var t when t == typeof(Pipe) => new Pipe(),
                var t when t == typeof(HttpHeaderList) => new HttpHeaderList(),
                var t when t == typeof(TaskCompletionSource) => new TaskCompletionSource(),
                var t => throw new InvalidOperationException($"the test does not know how to dirty {field.Name} ({t})"),
            };
            field.SetValue(stream, value);
        }

        stream.ReadWatch.LimitMs = 5;
        stream.ReadWatch.BeginWait();
        stream.WriteWatch.LimitMs = 5;
    }
}
