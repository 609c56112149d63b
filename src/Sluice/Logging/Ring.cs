using System.Buffers.Binary;
using Sluice.Config.Model;

namespace Sluice.Logging;

/// <summary>A reader's place in a <see cref="Ring"/>: the sequence number of the next event and where it is stored.</summary>
internal struct RingCursor
{
    public long Sequence;
    public int Offset;
}

/// <summary>
/// The buffer of a `ring` section: the latest events (log lines, without their newline) in a circular area of the
/// ring's `size`, each stored as a 4-byte length and its bytes. A new event that does not fit pushes out the oldest
/// ones; readers (`show events`, the forwarding to servers) keep a <see cref="RingCursor"/> and, when the events
/// they had not read yet were pushed out, go on from the oldest left. Written by the log writer's loop; read
/// from anywhere under one lock, so no event is ever seen half written.
/// </summary>
internal sealed class Ring
{
    /// <summary>The ring every process has (HAProxy's `buf0`, for traces), which `log ring@buf0` may use too.</summary>
    public const string DefaultName = "buf0";

    private const int DefaultSize = 1024 * 1024;

    private static readonly Dictionary<string, Ring> Declared = new(StringComparer.Ordinal);

    private readonly Lock _lock = new();
    private readonly byte[] _area;
    private int _head;
    private int _used;
    private long _first;
    private long _next;
    private long _dropped;
    /// <summary>What readers waiting for the next event wait on; null while none waits, so that writing allocates nothing.</summary>
    private TaskCompletionSource? _written;

    private Ring(RingConfig config)
    {
        Config = config;
        _area = new byte[config.Size];
    }

    public RingConfig Config { get; private set; }

    public string Description => Config.Description ?? Config.Name;

    /// <summary>Events that could not be stored (longer than the whole ring).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// `buf0`, then the rings of <paramref name="configs"/> (the order `show events` lists them in): a ring of a name
    /// already declared keeps its events across a reload when its size is the same.
    /// </summary>
    public static IReadOnlyList<Ring> Declare(IReadOnlyList<RingConfig> configs)
    {
        lock (Declared)
        {
            var rings = new List<Ring>();
            foreach (var config in configs.Prepend(new RingConfig { Name = DefaultName, Description = "in-memory ring buffer", Size = DefaultSize }))
            {
                if (!Declared.TryGetValue(config.Name, out var ring) || ring._area.Length != config.Size)
                {
                    ring = new Ring(config);
                    Declared[config.Name] = ring;
                }

                ring.Config = config;
                rings.Add(ring);
            }

            Current = rings;
            return rings;
        }
    }

    /// <summary>The rings of the running configuration, `buf0` first.</summary>
    public static IReadOnlyList<Ring> Current { get; private set; } = [];

    /// <summary>The ring declared under <paramref name="name"/>; null when none is.</summary>
    public static Ring? Find(string name)
    {
        lock (Declared)
        {
            return Declared.GetValueOrDefault(name);
        }
    }

    /// <summary>Stores an event, truncated to `maxlen`, pushing out the oldest ones it needs room from.</summary>
    public void Write(ReadOnlySpan<byte> message)
    {
        message = message[..Math.Min(message.Length, Config.MaxLength)];
        var needed = 4 + message.Length;
        TaskCompletionSource? written;
        lock (_lock)
        {
            if (needed > _area.Length)
            {
                _dropped++;
                return;
            }

            while (_area.Length - _used < needed)
            {
                var oldest = ReadLength(_head);
                _head = (_head + 4 + oldest) % _area.Length;
                _used -= 4 + oldest;
                _first++;
            }

            var at = (_head + _used) % _area.Length;
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, message.Length);
            Copy(length, at);
            Copy(message, (at + 4) % _area.Length);
            _used += needed;
            _next++;
            written = _written;
            _written = null;
        }

        written?.TrySetResult();
    }

    /// <summary>A cursor on the oldest event kept (<paramref name="fromEnd"/>: past the newest, for new events only).</summary>
    public RingCursor Start(bool fromEnd)
    {
        lock (_lock)
        {
            return fromEnd
                ? new RingCursor { Sequence = _next, Offset = (_head + _used) % _area.Length }
                : new RingCursor { Sequence = _first, Offset = _head };
        }
    }

    /// <summary>
    /// Hands each event after <paramref name="cursor"/> to <paramref name="read"/>, in order, up to
    /// <paramref name="maxEvents"/>, and moves the cursor past them; returns how many were read. A cursor whose
    /// events were pushed out goes on from the oldest one kept.
    /// </summary>
    public int Read(ref RingCursor cursor, Action<ReadOnlySpan<byte>> read, int maxEvents = int.MaxValue)
    {
        var count = 0;
        byte[]? copy = null;
        lock (_lock)
        {
            if (cursor.Sequence < _first || cursor.Sequence > _next)
            {
                cursor = new RingCursor { Sequence = _first, Offset = _head };
            }

            while (cursor.Sequence < _next && count < maxEvents)
            {
                var length = ReadLength(cursor.Offset);
                var start = (cursor.Offset + 4) % _area.Length;
                if (start + length <= _area.Length)
                {
                    read(_area.AsSpan(start, length));
                }
                else
                {
                    // An event that wraps around the end of the area is put together first.
                    copy ??= new byte[Config.MaxLength];
                    var firstPart = _area.Length - start;
                    _area.AsSpan(start, firstPart).CopyTo(copy);
                    _area.AsSpan(0, length - firstPart).CopyTo(copy.AsSpan(firstPart));
                    read(copy.AsSpan(0, length));
                }

                cursor.Offset = (start + length) % _area.Length;
                cursor.Sequence++;
                count++;
            }
        }

        return count;
    }

    /// <summary>
    /// Writes each event after <paramref name="cursor"/> followed by a newline to <paramref name="output"/> (the CLI's
    /// lines, a legacy syslog stream), as <see cref="Read"/> does.
    /// </summary>
    public int ReadLines(ref RingCursor cursor, Stream output, int maxEvents = int.MaxValue) =>
        Read(ref cursor, e =>
        {
            output.Write(e);
            output.WriteByte((byte)'\n');
        }, maxEvents);

    /// <summary>Completes once an event comes after <paramref name="cursor"/> (at once when one is there already).</summary>
    public Task WaitAsync(RingCursor cursor, CancellationToken cancellation)
    {
        lock (_lock)
        {
            if (cursor.Sequence < _next)
            {
                return Task.CompletedTask;
            }

            _written ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _written.Task.WaitAsync(cancellation);
        }
    }

    private int ReadLength(int offset)
    {
        Span<byte> length = stackalloc byte[4];
        for (var i = 0; i < 4; i++)
        {
            length[i] = _area[(offset + i) % _area.Length];
        }

        return BinaryPrimitives.ReadInt32LittleEndian(length);
    }

    private void Copy(ReadOnlySpan<byte> bytes, int at)
    {
        var firstPart = Math.Min(bytes.Length, _area.Length - at);
        bytes[..firstPart].CopyTo(_area.AsSpan(at));
        bytes[firstPart..].CopyTo(_area);
    }
}
