using Sluice.Mux.Http2;

namespace Sluice.Tests.Mux.Http2;

public class Http2BackStreamReuseTests
{
    [Fact]
    public async Task RecycledStream_EveryFieldDirtied_ReopenedAsANewStream()
    {
        using var pair = await ReusedFields.ConnectAsync();
        var connection = new Http2BackConnection(pair.Io, pair.Clock, Http2Limits.Default, assumedMaxConcurrentStreams: 100);

        // The connection's first stream is remembered by it and never recycled.
        var opener = connection.TryOpenStream(reused: false)!;
        opener.Released = true;
        opener.Recycle();
        var used = connection.TryOpenStream(reused: false)!;
        Assert.NotSame(opener, used);

        ReusedFields.Dirty(used);
        ReusedFields.Dirty(used.ReadWatch);
        used.WriteWatch.LimitMs = 5;
        used.Recycled = false;
        var usedTrailers = used.Trailers!;
        usedTrailers.Add("grpc-status"u8, "0"u8);
        used.DisposeHeads();

        // Released, recycled twice: among the spares once only.
        used.Recycle();
        used.Recycle();
        var fresh = new Http2BackStream(connection, pair.Clock, reused: true);
        var reopened = connection.TryOpenStream(reused: true)!;
        Assert.Same(used, reopened);
        Assert.NotSame(used, connection.TryOpenStream(reused: true));

        // A field left over would carry one exchange's state into another's. The spare trailers list is the one
        // field kept on purpose: the previous exchange's list serves the next trailers, empty.
        ReusedFields.AssertAsNew(fresh, reopened, "_spareTrailers");
        ReusedFields.AssertAsNew(fresh.ReadWatch, reopened.ReadWatch);
        ReusedFields.AssertAsNew(fresh.WriteWatch, reopened.WriteWatch);
        Assert.Null(reopened.Trailers);
        var trailers = reopened.OpenTrailers();
        Assert.Same(usedTrailers, trailers);
        Assert.Equal(0, trailers.Count);

        // Not before it is released.
        reopened.Recycle();
        Assert.NotSame(reopened, connection.TryOpenStream(reused: true));
    }
}
