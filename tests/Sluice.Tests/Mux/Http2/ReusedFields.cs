using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Reflection;
using System.Threading.Tasks.Sources;
using Sluice.Messages;
using Sluice.Tests.Timers;
using Sluice.Tests.Transport;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Tests.Mux.Http2;

/// <summary>
/// Checks that an object made into a new one by a reset method (a reused stream) has every field as a new object
/// has it, now and as fields are added: each field is first given a value a new object does not have.
/// </summary>
internal static class ReusedFields
{
    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    /// <summary>Gives every settable field of <paramref name="target"/> a value a new one does not have.</summary>
    public static void Dirty<T>(T target)
        where T : class
    {
        foreach (var field in Settable<T>())
        {
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
                var t when t == typeof(object) => new object(),
                var t when t == typeof(ManualResetValueTaskSourceCore<bool>) => Completed(),
                var t => throw new InvalidOperationException($"the test does not know how to dirty {field.Name} ({t})"),
            };
            field.SetValue(target, value);
        }
    }

    /// <summary>Asserts that every settable field but <paramref name="keptOnPurpose"/> has the same value in both.</summary>
    public static void AssertAsNew<T>(T fresh, T reused, params string[] keptOnPurpose)
        where T : class
    {
        foreach (var field in Settable<T>())
        {
            if (keptOnPurpose.Contains(field.Name))
            {
                continue;
            }

            if (field.FieldType == typeof(ManualResetValueTaskSourceCore<bool>))
            {
                // Versions differ by design; what matters is that nothing is completed.
                var core = (ManualResetValueTaskSourceCore<bool>)field.GetValue(reused)!;
                Assert.Equal(ValueTaskSourceStatus.Pending, core.GetStatus(core.Version));
                continue;
            }

            Assert.True(Equals(field.GetValue(fresh), field.GetValue(reused)), $"{field.Name} is not reset");
        }
    }

    /// <summary>Sets the watch away from a new one's state.</summary>
    public static void Dirty(SideWatch watch)
    {
        watch.LimitMs = 5;
        watch.BeginWait();
    }

    public static void AssertAsNew(SideWatch fresh, SideWatch reused)
    {
        Assert.Equal(fresh.IsWaiting, reused.IsWaiting);
        Assert.Equal(fresh.LimitMs, reused.LimitMs);
        Assert.Equal(fresh.LastActivityMs, reused.LastActivityMs);
    }

    /// <summary>What releasing a stream does to its body pipe.</summary>
    public static void CompleteAsReleased(Pipe body)
    {
        body.Writer.Complete();
        body.Reader.Complete();
    }

    /// <summary>A connected socket pair, the proxy's end as a duplex, and a clock that only moves when told.</summary>
    public static async Task<Connected> ConnectAsync()
    {
        var (outer, inner) = await TestSockets.ConnectedPairAsync();
        var clock = new Heartbeat(new ManualTimeProvider(), TimeSpan.FromMilliseconds(100));
        return new Connected(outer, clock, new SocketDuplex(inner, new BlockMemoryPool(4096), waitWithoutBuffer: false, onEventLoop: true));
    }

    private static IEnumerable<FieldInfo> Settable<T>() => typeof(T).GetFields(InstanceFields).Where(f => !f.IsInitOnly);

    private static ManualResetValueTaskSourceCore<bool> Completed()
    {
        var core = new ManualResetValueTaskSourceCore<bool>();
        core.SetResult(true);
        return core;
    }

    internal sealed record Connected(Socket Peer, Heartbeat Clock, SocketDuplex Io) : IDisposable
    {
        public void Dispose()
        {
            Io.Dispose();
            Clock.Dispose();
            Peer.Dispose();
        }
    }
}
