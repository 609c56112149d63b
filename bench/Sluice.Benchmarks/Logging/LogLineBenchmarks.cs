using System.Buffers;
using System.Net;
using BenchmarkDotNet.Attributes;
using Sluice.Logging;
using Sluice.Messages;
using Sluice.Rules.Samples;

namespace Sluice.Benchmarks.Logging;

/// <summary>
/// One traffic log line per operation: `option httplog` (with two captured headers) and `option tcplog` rendered
/// into the transaction's reused buffer; the whole hot-path step (render, copy into a pooled buffer, queue to the
/// writer); and the writer's side, the rfc3164 header.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // BenchmarkDotNet owns the lifetime: [GlobalCleanup] disposes the heads and the context.
public class LogLineBenchmarks
#pragma warning restore CA1001
{
    private const int InnerLoop = 64;

    private readonly HttpRequestHead _request = new();
    private readonly HttpResponseHead _response = new();
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private readonly byte[] _datagram = new byte[2048];
    private SampleContext _ctx = null!;
    private LogFields _fields = null!;
    private LogFormat _httplog = null!;
    private LogFormat _tcplog = null!;
    private LogSender _sender = null!;
    private LogTarget _target = null!;

    [GlobalSetup]
    public void Setup()
    {
        _request.SetMethod("GET"u8);
        _request.SetTarget("/api/v1/items?page=2&sort=name"u8);
        _request.Headers.Add("host"u8, "www.example.com"u8);
        _request.Headers.Add("user-agent"u8, "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0"u8);
        _request.Headers.Add("accept"u8, "text/html,application/xhtml+xml"u8);
        _response.Status = 200;
        _response.SetReason("OK"u8);
        _response.Headers.Add("content-type"u8, "text/html; charset=utf-8"u8);
        _ctx = new SampleContext
        {
            Request = _request,
            Response = _response,
            ClientEndPoint = new IPEndPoint(IPAddress.Parse("192.0.2.10"), 51000),
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 8080),
            FrontendName = "fe_main"u8.ToArray(),
        };
        _ctx.Captures.Prepare([32], [20]);
        _ctx.Captures.Set(false, 0, "www.example.com"u8);
        _ctx.Captures.Set(true, 0, "text/html; charset=utf-8"u8);
        _fields = new LogFields();
        _fields.Reset();
        _fields.AcceptUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        (_fields.TR, _fields.Tw, _fields.Tc, _fields.Tr, _fields.Tt) = (1, 0, 2, 14, 18);
        (_fields.Status, _fields.BytesOut, _fields.BytesIn) = (200, 5120, 310);
        (_fields.ActConn, _fields.FeConn, _fields.BeConn, _fields.SrvConn) = (12, 10, 4, 2);
        _ctx.Log = _fields;
        _httplog = LogFormat.Parse(ProxyLogConfig.HttpFormat, RuleSite.Log, out _)!;
        _tcplog = LogFormat.Parse(ProxyLogConfig.TcpFormat, RuleSite.Log, out _)!;
        _target = LogTarget.Parse(["127.0.0.1", "local0"], out _)!;
        _sender = new LogSender(
            new ProxyLogConfig { Targets = [_target], Format = _httplog, Choice = LogFormatChoice.Http },
            _ => new NullSink());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ctx.Dispose();
        _request.Dispose();
        _response.Dispose();
    }

    /// <summary>`option httplog` rendered into the reused buffer.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = InnerLoop)]
    public int RenderHttpLog()
    {
        var length = 0;
        for (var n = 0; n < InnerLoop; n++)
        {
            _output.ResetWrittenCount();
            _ctx.ResetScratch();
            _httplog.Render(_ctx, _output);
            length += _output.WrittenCount;
        }

        return length;
    }

    /// <summary>`option tcplog` rendered into the reused buffer.</summary>
    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public int RenderTcpLog()
    {
        var length = 0;
        for (var n = 0; n < InnerLoop; n++)
        {
            _output.ResetWrittenCount();
            _tcplog.Render(_ctx, _output);
            length += _output.WrittenCount;
        }

        return length;
    }

    /// <summary>What a transaction pays: render the httplog line, copy it into a pooled buffer, queue it to the writer.</summary>
    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public long EmitHttpLog()
    {
        for (var n = 0; n < InnerLoop; n++)
        {
            _sender.Emit(_ctx, _fields, _output);
        }

        return LogWriter.Shared.Sent;
    }

    /// <summary>The writer's side: an rfc3164 header before a line.</summary>
    [Benchmark(OperationsPerInvoke = InnerLoop)]
    public int Rfc3164Header()
    {
        var length = 0;
        var micros = _fields.AcceptUnixMs * 1000;
        for (var n = 0; n < InnerLoop; n++)
        {
            length += SyslogHeader.Write(_datagram, _target, 6, micros, null, "haproxy"u8, "1234"u8, default);
        }

        return length;
    }

    private sealed class NullSink : LogSink
    {
        public override bool Send(ReadOnlySpan<byte> datagram) => true;
    }
}
