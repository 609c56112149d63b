using System.Net;
using Sluice.Backends;
using Sluice.Rules.Samples;

namespace Sluice.Tests.Backends;

public class StickTableTests
{
    private static StickTable Table(int size = 10, long expireMs = 30_000) =>
        new(new StickTableConfig("t", StickKeyType.Ip, size, expireMs) { HttpReqRatePeriodMs = 10_000, StoresHttpReqCnt = true, StoresConnCur = true });

    private static StickKey Key(StickTable table, string address)
    {
        Assert.True(table.TryMakeKey(Sample.FromAddress(IPAddress.Parse(address)), out var key));
        return key;
    }

    [Fact]
    public void FrequencyCounter_SlidingWindow_PreviousPeriodWeighsLessAsTimePasses()
    {
        var counter = default(FrequencyCounter);
        for (var i = 0; i < 100; i++)
        {
            counter.Add(0, 10_000, 1);
        }

        Assert.Equal(100, counter.Read(0, 10_000));
        Assert.Equal(100, counter.Read(9_999, 10_000));

        // A quarter into the next period: three quarters of the previous one still count, plus the new events.
        Assert.Equal(75, counter.Read(12_500, 10_000));
        counter.Add(12_500, 10_000, 5);
        Assert.Equal(80, counter.Read(12_500, 10_000));

        // Two periods after the events nothing is left of them.
        Assert.Equal(5, counter.Read(20_000, 10_000));
        Assert.Equal(0, counter.Read(30_000, 10_000));
    }

    [Fact]
    public void GetOrCreate_SameAddress_SameEntry_Ipv4MappedIsIpv4()
    {
        var table = Table();
        var a = table.GetOrCreate(Key(table, "10.0.0.1"), 0);
        var b = table.GetOrCreate(Key(table, "::ffff:10.0.0.1"), 0);
        var c = table.GetOrCreate(Key(table, "10.0.0.2"), 0);
        Assert.Same(a, b);
        Assert.NotSame(a, c);
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void GetOrCreate_Full_OldestUnusedEntryMakesRoom()
    {
        var table = Table(size: 2, expireMs: 1_000);
        var first = table.GetOrCreate(Key(table, "10.0.0.1"), 0)!;
        Assert.NotNull(table.GetOrCreate(Key(table, "10.0.0.2"), 100));
        using (var holder = new SampleContext())
        {
            // A tracked entry is never purged: the other one goes.
            Assert.True(holder.Track(0, first));
            first.BeginHttpTracking(0);
            Assert.NotNull(table.GetOrCreate(Key(table, "10.0.0.3"), 200));
            Assert.NotNull(table.Find(Key(table, "10.0.0.1")));
            Assert.Null(table.Find(Key(table, "10.0.0.2")));
        }

        // Released, it is the oldest (touched at 0) and makes room for the next key.
        Assert.NotNull(table.GetOrCreate(Key(table, "10.0.0.4"), 300));
        Assert.Null(table.Find(Key(table, "10.0.0.1")));
        Assert.Equal(2, table.Count);
    }

    [Fact]
    public void GetOrCreate_FullWithNoPurge_NewKeyNotTrackedUntilEntriesExpire()
    {
        var table = new StickTable(new StickTableConfig("t", StickKeyType.Ip, 2, 1_000) { NoPurge = true });
        Assert.NotNull(table.GetOrCreate(Key(table, "10.0.0.1"), 0));
        Assert.NotNull(table.GetOrCreate(Key(table, "10.0.0.2"), 0));
        Assert.Null(table.GetOrCreate(Key(table, "10.0.0.3"), 500));
        Assert.NotNull(table.GetOrCreate(Key(table, "10.0.0.3"), 1_500));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Tracking_CountsRequestsAndConcurrentTransactions()
    {
        var table = Table();
        var entry = table.GetOrCreate(Key(table, "10.0.0.1"), 0)!;
        using var first = new SampleContext();
        using var second = new SampleContext();
        Assert.True(first.Track(0, entry));
        entry.BeginHttpTracking(0);
        Assert.True(second.Track(0, entry));
        entry.BeginHttpTracking(0);
        Assert.False(second.Track(0, entry));

        Assert.Equal(2, entry.ConnCur);
        Assert.Equal(2, entry.HttpReqCnt);
        Assert.Equal(2, entry.Read(StickDataType.HttpReqRate, 0));
        first.EndTracking();
        Assert.Equal(1, entry.ConnCur);
        second.ResetTransaction();
        Assert.Equal(0, entry.ConnCur);
    }

    [Fact]
    public void StringTable_KeysCutToLen_FoundFromBytesOrFormattedValues()
    {
        var table = new StickTable(new StickTableConfig("t", StickKeyType.String, 10, 30_000) { KeyLength = 8 });
        var entry = table.GetOrCreate(Sample.FromString("abcdefgh-and-more"u8.ToArray()), 0)!;
        Assert.Equal("abcdefgh", table.FormatKey(entry.Key));
        Assert.Same(entry, table.Find(Sample.FromString("abcdefgh"u8.ToArray())));
        Assert.Same(entry, table.GetOrCreate(Sample.FromString("abcdefghXYZ"u8.ToArray()), 0));
        Assert.Null(table.Find(Sample.FromString("abcdefg"u8.ToArray())));

        // Addresses and integers are keyed by their text, as HAProxy converts them.
        var address = table.GetOrCreate(Sample.FromAddress(IPAddress.Parse("10.0.0.1")), 0)!;
        Assert.Same(address, table.Find(Sample.FromString("10.0.0.1"u8.ToArray())));
        Assert.Same(table.GetOrCreate(Sample.FromInt(-42), 0), table.Find(Sample.FromString("-42"u8.ToArray())));
        Assert.True(table.TryParseKey("10.0.0.1", out var parsed));
        Assert.Same(address, table.Find(parsed));
        Assert.Equal(3, table.Count);
        Assert.False(table.TryFind(default, out _));
    }

    [Fact]
    public void StringTable_LookupOfAnExistingKey_AllocatesNothing()
    {
        var table = new StickTable(new StickTableConfig("t", StickKeyType.String, 10, 30_000));
        var key = Sample.FromString("api-key-0123456789"u8.ToArray());
        var entry = table.GetOrCreate(key, 0);
        Assert.Same(entry, table.GetOrCreate(key, 1));
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            table.GetOrCreate(key, i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
