using System.Text;
using Sluice.Config.Model;
using Sluice.Logging;

namespace Sluice.Tests.Logging;

/// <summary>The ring's storage: events in order, truncated to `maxlen`, the oldest pushed out, events stored across the end of the area.</summary>
public class RingBufferTests
{
    private static Ring Declare(string name, int size, int maxLength = RingConfig.DefaultSize) =>
        Ring.Declare([new RingConfig { Name = name, Size = size, MaxLength = maxLength }]).Single(r => r.Config.Name == name);

    private static List<string> ReadAll(Ring ring, ref RingCursor cursor)
    {
        var events = new List<string>();
        ring.Read(ref cursor, e => events.Add(Encoding.ASCII.GetString(e)));
        return events;
    }

    [Fact]
    public void Events_InOrder_TruncatedToMaxLength()
    {
        var ring = Declare("order", 1024, maxLength: 5);
        ring.Write("one"u8);
        ring.Write("twelve"u8);
        var cursor = ring.Start(fromEnd: false);
        Assert.Equal(["one", "twelv"], ReadAll(ring, ref cursor));
        Assert.Empty(ReadAll(ring, ref cursor));
        ring.Write("3"u8);
        Assert.Equal(["3"], ReadAll(ring, ref cursor));
    }

    [Fact]
    public void Full_OldestPushedOut_AcrossTheEndOfTheArea()
    {
        // Each event takes 4 + 10 bytes: 5 fit in 72 bytes; writing 23 wraps the area several times.
        var ring = Declare("wrap", 72);
        for (var i = 0; i < 23; i++)
        {
            ring.Write(Encoding.ASCII.GetBytes($"event-{i:0000}"));
        }

        var cursor = ring.Start(fromEnd: false);
        Assert.Equal(Enumerable.Range(18, 5).Select(i => $"event-{i:0000}"), ReadAll(ring, ref cursor));
        Assert.Equal(0, ring.Dropped);
    }

    [Fact]
    public void SlowReader_GoesOnFromTheOldestKept()
    {
        var ring = Declare("slow", 72);
        var cursor = ring.Start(fromEnd: false);
        ring.Write("event-0000"u8);
        Assert.Equal(["event-0000"], ReadAll(ring, ref cursor));
        for (var i = 1; i < 12; i++)
        {
            ring.Write(Encoding.ASCII.GetBytes($"event-{i:0000}"));
        }

        Assert.Equal(Enumerable.Range(7, 5).Select(i => $"event-{i:0000}"), ReadAll(ring, ref cursor));
    }

    [Fact]
    public void FromEnd_OnlyNewEvents_AndTooLargeIsDropped()
    {
        var ring = Declare("tail", 32);
        ring.Write("old"u8);
        var cursor = ring.Start(fromEnd: true);
        ring.Write(new byte[40]);
        Assert.Equal(1, ring.Dropped);
        ring.Write("new"u8);
        Assert.Equal(["new"], ReadAll(ring, ref cursor));
    }

    [Fact]
    public async Task Wait_CompletesWhenAnEventComes()
    {
        var ring = Declare("wait", 1024);
        var cursor = ring.Start(fromEnd: true);
        var waiting = ring.WaitAsync(cursor, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        ring.Write("x"u8);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
