using System.Buffers;
using System.Text;
using Sluice.Rules.Samples;

namespace Sluice.Logging;

/// <summary>
/// The traffic log of one frontend: its targets, its tag and formats, and the options that decide whether a
/// transaction is logged. <see cref="Emit"/> runs on the transaction's path and only renders the line into a
/// pooled buffer; <see cref="Send"/> runs on the writer's loop and adds each target's syslog header.
/// </summary>
internal sealed class LogSender
{
    public const int LevelEmerg = 0;
    public const int LevelAlert = 1;
    public const int LevelErr = 3;
    public const int LevelNotice = 5;
    public const int LevelInfo = 6;

    private readonly LogTarget[] _targets;
    private readonly LogSink[] _sinks;
    private readonly int[] _sampleCounters;
    private readonly byte[] _tag;
    private static readonly byte[] Localhost = "localhost"u8.ToArray();
    private readonly byte[]? _hostname;
    private readonly byte[] _pid;
    private readonly bool _needsStructuredData;
    private long _lines;

    public LogSender(ProxyLogConfig config, Func<LogTarget, LogSink>? openSink = null)
    {
        Config = config;
        _targets = [.. config.Targets];
        _sinks = new LogSink[_targets.Length];
        for (var i = 0; i < _sinks.Length; i++)
        {
            _sinks[i] = (openSink ?? LogSink.Open)(_targets[i]);
            if (_sinks[i] is LogSink.RingSink { Ring.Config: var ring })
            {
                // A ring's own format and event length apply, its newline aside.
                _targets[i] = _targets[i] with { Format = ring.Format, MaxLength = ring.MaxLength + 1 };
            }
        }

        _sampleCounters = new int[_targets.Length];
        _tag = Encoding.Latin1.GetBytes(config.Tag);
        _hostname = config.Hostname is { } host ? Encoding.Latin1.GetBytes(host) : null;
        _pid = Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _needsStructuredData = config.StructuredData is not null && _targets.Any(t => t.Format == SyslogFormat.Rfc5424);
    }

    public ProxyLogConfig Config { get; }

    /// <summary>`option logasap`: the line goes at the response head.</summary>
    public bool LogAsap => Config.LogAsap;

    /// <summary>
    /// Renders the line of a finished (or, with logasap, answered) transaction and queues it. Nothing is allocated
    /// beyond the pooled buffer the line travels in.
    /// </summary>
    public void Emit(SampleContext ctx, LogFields fields, ArrayBufferWriter<byte> scratch)
    {
        if (Config.Choice == LogFormatChoice.None)
        {
            // Without a format the only line is the one at accept (EmitConnect).
            return;
        }

        Render(ctx, fields, scratch, Config.Format);
    }

    /// <summary>
    /// The line of a connection that failed before it became a session (a TLS handshake), rendered with
    /// `error-log-format`, which HAProxy 2.6 uses for these lines when a proxy has one. <paramref name="fill"/>
    /// sets the connection's facts and fields on the pooled context.
    /// </summary>
    public void EmitError<TState>(TState state, Action<TState, SampleContext, LogFields> fill)
    {
        var scratch = LogScratch.Rent();
        try
        {
            scratch.Fields.Reset();
            fill(state, scratch.Samples, scratch.Fields);
            Render(scratch.Samples, scratch.Fields, scratch.Samples.FormatOutput, Config.ErrorFormat!);
        }
        finally
        {
            LogScratch.Return(scratch);
        }
    }

    /// <summary>HAProxy's line at accept for a proxy without a log format: `Connect from ... (fe/HTTP)`.</summary>
    public void EmitConnect(System.Net.EndPoint? client, System.Net.EndPoint? local, byte[] frontendName)
    {
        if (Config.Choice != LogFormatChoice.None)
        {
            return;
        }

        var scratch = LogScratch.Rent();
        try
        {
            var ctx = scratch.Samples;
            ctx.ClientEndPoint = client;
            ctx.LocalEndPoint = local;
            ctx.FrontendName = frontendName;
            scratch.Fields.Reset();
            Render(ctx, scratch.Fields, ctx.FormatOutput, Config.Format);
        }
        finally
        {
            LogScratch.Return(scratch);
        }
    }

    /// <summary>A proxy's event (a server going up or down) as a line of its own, at <paramref name="level"/>, as HAProxy's send_log.</summary>
    public void EmitText(int level, string text)
    {
        var length = System.Text.Encoding.UTF8.GetByteCount(text);
        var buffer = LogWriter.Buffers.Rent(Math.Max(length, 1));
        System.Text.Encoding.UTF8.GetBytes(text, buffer);
        var now = DateTime.UtcNow;
        LogWriter.Shared.Enqueue(new LogMessage(this, buffer, 0, length, level, (now.Ticks - DateTime.UnixEpoch.Ticks) / 10));
    }

    private void Render(SampleContext ctx, LogFields fields, ArrayBufferWriter<byte> scratch, LogFormat format)
    {
        var level = Config.SeparateErrors && fields.IsError ? LevelErr : LevelInfo;
        if (ctx.LogLevel is { } forced)
        {
            if (forced == "silent")
            {
                return;
            }

            level = Array.IndexOf(LogTarget.Levels, forced);
        }

        if (Config.DontLogNormal && !fields.IsError)
        {
            return;
        }

        ctx.Log = fields;
        ctx.LogCounter = Interlocked.Increment(ref _lines) - 1;
        scratch.ResetWrittenCount();
        var sdLength = 0;
        if (_needsStructuredData)
        {
            ctx.ResetScratch();
            Config.StructuredData!.Render(ctx, scratch);
            sdLength = scratch.WrittenCount;
        }

        ctx.ResetScratch();
        format.Render(ctx, scratch);
        var written = scratch.WrittenSpan;
        var buffer = LogWriter.Buffers.Rent(Math.Max(written.Length, 1));
        written.CopyTo(buffer);
        var now = DateTime.UtcNow;
        LogWriter.Shared.Enqueue(new LogMessage(this, buffer, sdLength, written.Length, level, (now.Ticks - DateTime.UnixEpoch.Ticks) / 10));
    }

    /// <summary>Sends a line to every target whose level and sampling take it; returns the number of failed sends.</summary>
    public int Send(LogMessage message, byte[] scratch)
    {
        var failures = 0;
        var structuredData = message.Buffer.AsSpan(0, message.StructuredDataLength);
        var body = message.Buffer.AsSpan(message.StructuredDataLength, message.Length - message.StructuredDataLength);
        for (var i = 0; i < _targets.Length; i++)
        {
            var target = _targets[i];
            if (message.Level > target.MaxLevel)
            {
                continue;
            }

            if (target.SampleRanges is { } ranges)
            {
                var position = (_sampleCounters[i] % target.SampleSize) + 1;
                _sampleCounters[i]++;
                if (!InRanges(ranges, position))
                {
                    continue;
                }
            }

            var level = Math.Max(message.Level, target.MinLevel);
            // HAProxy's rings name the host `localhost` when `log-send-hostname` does not give one.
            var hostname = _hostname ?? (target.Kind == LogTargetKind.Ring ? Localhost : null);
            var length = SyslogHeader.Write(scratch, target, level, message.UnixMicroseconds, hostname, _tag, _pid, structuredData);
            var room = Math.Max(0, target.MaxLength - length - 1);
            var take = Math.Min(room, body.Length);
            body[..take].CopyTo(scratch.AsSpan(length));
            length += take;
            scratch[length++] = (byte)'\n';
            if (!_sinks[i].Send(scratch.AsSpan(0, length)))
            {
                failures++;
            }
        }

        return failures;
    }

    /// <summary>
    /// What a transaction without its own rule context (mode tcp, the line at accept) renders its line with:
    /// pooled, so that logging a connection allocates nothing.
    /// </summary>
    internal sealed class LogScratch
    {
        private static readonly System.Collections.Concurrent.ConcurrentQueue<LogScratch> Pool = new();

        public SampleContext Samples { get; } = new(scratchSize: 1024);

        public LogFields Fields { get; } = new();

        public static LogScratch Rent() => Pool.TryDequeue(out var scratch) ? scratch : new LogScratch();

        public static void Return(LogScratch scratch)
        {
            scratch.Samples.ResetTransaction();
            scratch.Samples.Log = null;
            scratch.Samples.Backend = null;
            scratch.Samples.Server = null;
            scratch.Samples.Request = null;
            scratch.Samples.Response = null;
            scratch.Samples.Tls = null;
            scratch.Samples.UniqueIdFormat = null;
            scratch.Samples.TlsBind = false;
            scratch.Samples.Listener = default;
            if (Pool.Count < 256)
            {
                Pool.Enqueue(scratch);
            }
        }
    }

    private static bool InRanges((int From, int To)[] ranges, int position)
    {
        foreach (var (from, to) in ranges)
        {
            if (position >= from && position <= to)
            {
                return true;
            }
        }

        return false;
    }
}
