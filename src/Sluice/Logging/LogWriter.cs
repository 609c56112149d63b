using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Sluice.Logging;

/// <summary>
/// One rendered log line on its way to the writer: the pooled buffer holds the structured-data part (rfc5424's
/// `log-format-sd`) then the message.
/// </summary>
internal readonly record struct LogMessage(LogSender Sender, byte[] Buffer, int StructuredDataLength, int Length, int Level, long UnixMicroseconds);

/// <summary>
/// The process's single log writer: transactions hand it lines through a bounded queue and go on; one loop adds
/// each target's header and sends. When the queue is full the line is dropped and counted, so that a slow or
/// absent log target never holds traffic back.
/// </summary>
internal sealed class LogWriter
{
    /// <summary>Lines waiting at most; beyond, new lines are dropped.</summary>
    public const int Capacity = 8192;

    private readonly Channel<LogMessage> _queue = Channel.CreateBounded<LogMessage>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
        AllowSynchronousContinuations = false,
    });

    /// <summary>
    /// The buffers lines travel in. A pool of its own: lines are rented on the transactions' threads and returned on
    /// the writer's, which the shared pool's per-thread caches do not keep up with (they would allocate again).
    /// </summary>
    public static readonly ArrayPool<byte> Buffers = ArrayPool<byte>.Create(128 * 1024, Capacity + 64);

    private long _dropped;
    private long _failed;
    private long _sent;

    private static readonly Lazy<LogWriter> Instance = new(() => new LogWriter());

    private LogWriter()
    {
        _ = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>The writer, started at its first use.</summary>
    public static LogWriter Shared => Instance.Value;

    /// <summary>Lines dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Sends that failed (a target that refused or was not there).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Queues a line; the buffer belongs to the writer from now on (given back to the pool when sent or dropped).</summary>
    public void Enqueue(LogMessage message)
    {
        if (!_queue.Writer.TryWrite(message))
        {
            Interlocked.Increment(ref _dropped);
            Buffers.Return(message.Buffer);
        }
    }

    /// <summary>Waits until the lines queued so far are out (tests, stop).</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_queue.Reader.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        var scratch = new byte[65536 + 512];
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var message))
            {
                try
                {
                    var failures = message.Sender.Send(message, scratch);
                    if (failures > 0)
                    {
                        Interlocked.Add(ref _failed, failures);
                    }

                    Interlocked.Increment(ref _sent);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A target's failure must never stop the writer.
                    Interlocked.Increment(ref _failed);
                }
                finally
                {
                    Buffers.Return(message.Buffer);
                }
            }
        }
    }
}

/// <summary>A target opened for sending; used by the writer's loop only.</summary>
internal abstract class LogSink
{
    public abstract bool Send(ReadOnlySpan<byte> datagram);

    private static readonly Dictionary<string, LogSink> Opened = new(StringComparer.Ordinal);

    /// <summary>One sink per distinct target of the process (sockets are shared between proxies).</summary>
    public static LogSink Open(LogTarget target)
    {
        lock (Opened)
        {
            var key = target.Kind + ":" + (target.Address?.ToString() ?? target.Path ?? target.Text);
            if (!Opened.TryGetValue(key, out var sink))
            {
                sink = target.Kind switch
                {
                    LogTargetKind.Stdout => new StreamSink(Console.OpenStandardOutput()),
                    LogTargetKind.Stderr => new StreamSink(Console.OpenStandardError()),
                    LogTargetKind.FileDescriptor => new StreamSink(new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(target.Descriptor, ownsHandle: false), FileAccess.Write, 1)),
                    LogTargetKind.Udp => new DatagramSink(target.Address!.AddressFamily, ProtocolType.Udp, target.Address),
                    LogTargetKind.Ring => new RingSink(Ring.Find(target.RingName!) ?? throw new InvalidOperationException($"ring '{target.RingName}' is not declared")),
                    _ => new DatagramSink(AddressFamily.Unix, ProtocolType.Unspecified, new UnixDomainSocketEndPoint(target.Path!)),
                };
                Opened[key] = sink;
            }

            return sink;
        }
    }

    /// <summary>A `ring@NAME` target: the line, without its newline, becomes an event of the ring.</summary>
    public sealed class RingSink(Ring ring) : LogSink
    {
        public Ring Ring { get; } = ring;

        public override bool Send(ReadOnlySpan<byte> datagram)
        {
            Ring.Write(datagram.EndsWith((byte)'\n') ? datagram[..^1] : datagram);
            return true;
        }
    }

    private sealed class StreamSink(Stream stream) : LogSink
    {
        public override bool Send(ReadOnlySpan<byte> datagram)
        {
            try
            {
                stream.Write(datagram);
                stream.Flush();
                return true;
            }
            catch (IOException)
            {
                return false;
            }
        }
    }

    /// <summary>
    /// UDP syslog or a unix datagram socket (`/dev/log`): a non-blocking socket, so that a receiver that does not
    /// read makes the send fail instead of waiting.
    /// </summary>
#pragma warning disable CA1001 // Sinks live as long as the process: a reload reuses them.
    private sealed class DatagramSink : LogSink
    {
        private readonly Socket _socket;
        private readonly SocketAddress _address;

        public DatagramSink(AddressFamily family, ProtocolType protocol, EndPoint destination)
        {
            _socket = new Socket(family, SocketType.Dgram, protocol) { Blocking = false };
            _address = destination.Serialize();
        }

        public override bool Send(ReadOnlySpan<byte> datagram)
        {
            try
            {
                _socket.SendTo(datagram, SocketFlags.None, _address);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }
    }
#pragma warning restore CA1001
}
