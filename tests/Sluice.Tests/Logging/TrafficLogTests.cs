using System.Text;
using Sluice.Logging;
using Sluice.Rules.Samples;
using Sluice.Transactions;
using static Sluice.Tests.Rules.RuleFixture;

namespace Sluice.Tests.Logging;

/// <summary>
/// The traffic-log side of log formats (timers, counts, termination states, dates, separators), the syslog headers
/// of each `format`, and the `log` line parser. Expected texts are haproxy 2.6's, as it printed them for the same
/// configuration.
/// </summary>
public sealed class TrafficLogTests
{
    private static LogFields Fields()
    {
        var fields = new LogFields();
        fields.Reset();
        // 2026-12-02 02:33:15.265 UTC.
        fields.AcceptUnixMs = 1796178795265;
        fields.Th = 0;
        fields.Ti = 2;
        fields.TR = 1;
        fields.Tw = 0;
        fields.Tc = 3;
        fields.Tr = 4;
        fields.Tt = 20;
        fields.Status = 200;
        fields.BytesOut = 76;
        fields.BytesIn = 99;
        fields.ActConn = 5;
        fields.FeConn = 4;
        fields.BeConn = 3;
        fields.SrvConn = 2;
        fields.Retries = 1;
        return fields;
    }

    private static string Log(string format, LogFields fields)
    {
        using var request = Request("GET", "/one?a=1");
        using var ctx = Context(request);
        ctx.Log = fields;
        return Render(ctx, Format(format, RuleSite.Log));
    }

    [Theory]
    [InlineData("%TR/%Tw/%Tc/%Tr/%Ta", "1/0/3/4/18")]
    [InlineData("%Th %Ti %Tq %Td %Tt %Tu", "0 2 3 10 20 18")]
    [InlineData("%ST %B %U", "200 76 99")]
    [InlineData("%ac/%fc/%bc/%sc/%rc %sq/%bq", "5/4/3/2/1 0/0")]
    [InlineData("%tsc %ts", "---- --")]
    [InlineData("%CC %CS %{+Q}CC", "- - \"\"")]
    [InlineData("%ms", "265")]
    [InlineData("%trg", "02/Dec/2026:02:33:15 +0000")]
    [InlineData("%T", "02/Dec/2026:02:33:15 +0000")]
    [InlineData("%{+Q}T", "02/Dec/2026:02:33:15 +0000")]
    [InlineData("%Ts", "1796178795")]
    [InlineData("%{+Q}o %{-Q}ci %b %ST", "192.0.2.10 \"fe\" 200")]
    [InlineData("  %ci   %hr %hs  %ST ", "192.0.2.10 200 ")]
    [InlineData("%{+Q}r", "\"GET /one?a=1 HTTP/1.1\"")]
    public void TrafficVariables_RenderedAsHAProxy(string format, string expected)
    {
        TimeZoneInfo.ClearCachedData();
        var fields = Fields();
        Assert.Equal(expected, Log(format, fields));
    }

    [Fact]
    public void RenderHttpLog_AllocatesNothing()
    {
        using var request = Request("GET", "/one?a=1", "host: example.test", "user-agent: curl/8");
        using var ctx = Context(request);
        ctx.Captures.Prepare([32], [20]);
        ctx.Captures.Set(false, 0, "example.test"u8);
        ctx.Log = Fields();
        var format = Format(ProxyLogConfig.HttpFormat, RuleSite.Log);
        var output = new System.Buffers.ArrayBufferWriter<byte>(1024);
        for (var i = 0; i < 200; i++)
        {
            output.ResetWrittenCount();
            format.Render(ctx, output);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            output.ResetWrittenCount();
            format.Render(ctx, output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Matches(@"^192\.0\.2\.10:51000 \[.+\] fe fe/<NOSRV> 1/0/3/4/18 200 76 - - ---- 5/4/3/2/1 0/0 \{example\.test\} \{\} ""GET /one\?a=1 HTTP/1\.1""$", Encoding.Latin1.GetString(output.WrittenSpan));
    }

    [Fact]
    public void LocalDates_FollowTheTimeZone()
    {
        var fields = Fields();
        var local = DateTimeOffset.FromUnixTimeMilliseconds(fields.AcceptUnixMs).ToLocalTime();
        Assert.Equal(local.ToString("dd/MMM/yyyy:HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture), Log("%t", fields));
        Assert.Equal(local.AddMilliseconds(2).ToString("dd/MMM/yyyy:HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture), Log("%tr", fields));
    }

    [Fact]
    public void TerminationAndRedispatch_Codes()
    {
        var fields = Fields();
        fields.Cause = TerminationCause.ServerTimeout;
        fields.Phase = TerminationPhase.Headers;
        fields.Redispatched = true;
        Assert.Equal("sH-- sH +1", Log("%tsc %ts %rc", fields));
        fields.Cause = TerminationCause.Local;
        fields.Phase = TerminationPhase.Request;
        Assert.Equal("LR--", Log("%tsc", fields));
    }

    [Fact]
    public void LogAsap_BytesAndTotalTimesPrefixed()
    {
        var fields = Fields();
        fields.Early = true;
        Assert.Equal("1/0/3/4/+18 +76 +20", Log("%TR/%Tw/%Tc/%Tr/%Ta %B %Tt", fields));
    }

    [Fact]
    public void DefaultFormats_Compile()
    {
        foreach (var text in new[] { ProxyLogConfig.HttpFormat, ProxyLogConfig.ClfFormat, ProxyLogConfig.TcpFormat })
        {
            Assert.NotNull(LogFormat.Parse(text, RuleSite.Log, out var error));
            Assert.Null(error);
        }
    }

    [Fact]
    public void TcpLog_Layout()
    {
        var fields = Fields();
        fields.Tcp = true;
        fields.AcceptUnixMs = 0;
        var line = Log(ProxyLogConfig.TcpFormat, fields);
        Assert.Matches(@"^192\.0\.2\.10:51000 \[01/Jan/1970:\d\d:\d\d:00\.000\] fe fe/<NOSRV> 0/3/20 76 -- 5/4/3/2/1 0/0$", line);
    }

    private static readonly long Micros = (1796178795265L * 1000) + 123;

    private static string Header(string line, int level = 6, string? hostname = null)
    {
        var target = LogTarget.Parse(line.Split(' '), out var error);
        Assert.True(target is not null, error);
        var output = new byte[512];
        var length = SyslogHeader.Write(output, target!, level, Micros, hostname is null ? null : Encoding.ASCII.GetBytes(hostname), "haproxy"u8, "1234"u8, default);
        return Encoding.ASCII.GetString(output, 0, length);
    }

    [Theory]
    [InlineData("127.0.0.1 local0", "<134>Dec  2 02:33:15 haproxy[1234]: ")]
    [InlineData("stdout format local local0", "<134>Dec  2 02:33:15 haproxy[1234]: ")]
    [InlineData("stdout format rfc5424 local0", "<134>1 2026-12-02T02:33:15.265123+00:00 - haproxy 1234 - - ")]
    [InlineData("stdout format priority local1", "<142>")]
    [InlineData("stdout format short local0", "<6>")]
    [InlineData("stdout format timed local0", "<6>2026-12-02T02:33:15.265123+00:00 ")]
    [InlineData("stdout format iso local0", "2026-12-02T02:33:15.265123+00:00 ")]
    [InlineData("stdout format raw local0", "")]
    public void Headers_AsHAProxyWritesThem(string line, string expected)
    {
        if (TimeZoneInfo.Local.BaseUtcOffset != TimeSpan.Zero)
        {
            // The expected dates are in UTC, as on the machines the tests run on; elsewhere only the shape is checked.
            Assert.Equal(expected.Length, Header(line).Length);
            return;
        }

        Assert.Equal(expected, Header(line));
    }

    [Fact]
    public void Headers_HostnameSent_InRfc3164AndRfc5424()
    {
        Assert.Contains(" 02:33:15 edge1 haproxy[1234]: ", Header("127.0.0.1 local0", hostname: "edge1"), StringComparison.Ordinal);
        Assert.Contains("+00:00 edge1 haproxy 1234 - - ", Header("stdout format rfc5424 local0", hostname: "edge1").Replace(TimeZoneInfo.Local.BaseUtcOffset == TimeSpan.Zero ? "+00:00" : "x", "+00:00", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("edge1", Header("stdout format local local0", hostname: "edge1"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1 local0", "Udp", "127.0.0.1:514")]
    [InlineData("127.0.0.1:1514 local0", "Udp", "127.0.0.1:1514")]
    [InlineData("udp@127.0.0.1:1514 local0", "Udp", "127.0.0.1:1514")]
    [InlineData("ipv4@127.0.0.1 local0", "Udp", "127.0.0.1:514")]
    [InlineData("[::1]:1514 local0", "Udp", "[::1]:1514")]
    [InlineData("udp6@[::1]:1514 local0", "Udp", "[::1]:1514")]
    [InlineData("/dev/log local0", "Unix", "/dev/log")]
    [InlineData("unix@/run/x.sock local0", "Unix", "/run/x.sock")]
    [InlineData("stderr format raw local0", "Stderr", "")]
    public void Targets_Parsed(string line, string kind, string where)
    {
        var target = LogTarget.Parse(line.Split(' '), out var error);
        Assert.True(target is not null, error);
        Assert.Equal(kind, target!.Kind.ToString());
        Assert.Equal(where, target.Address?.ToString() ?? target.Path ?? string.Empty);
    }

    [Fact]
    public void Target_LevelsLengthAndSample()
    {
        var target = LogTarget.Parse("127.0.0.1 len 200 format rfc5424 sample 1-2,5:10 local3 notice err".Split(' '), out var error);
        Assert.True(target is not null, error);
        Assert.Equal(200, target!.MaxLength);
        Assert.Equal(SyslogFormat.Rfc5424, target.Format);
        Assert.Equal(19, target.Facility);
        Assert.Equal(5, target.MaxLevel);
        Assert.Equal(3, target.MinLevel);
        Assert.Equal(10, target.SampleSize);
        Assert.Equal([(1, 2), (5, 5)], target.SampleRanges!);
    }

    [Fact]
    public void Sender_LevelSamplingAndLength()
    {
        var sent = new List<string>();
        var config = new ProxyLogConfig
        {
            Targets =
            [
                LogTarget.Parse("stdout len 80 format raw local0".Split(' '), out _)!,
                LogTarget.Parse("stdout format raw sample 1:2 local0".Split(' '), out _)!,
                LogTarget.Parse("stdout format short local0 notice".Split(' '), out _)!,
            ],
            Format = Format("%ci", RuleSite.Log),
            Choice = LogFormatChoice.Custom,
        };
        var sender = new LogSender(config, _ => new RecordingSink(sent));
        var body = Encoding.ASCII.GetBytes(new string('x', 100));
        var scratch = new byte[70000];
        sender.Send(new LogMessage(sender, body, 0, body.Length, LogSender.LevelInfo, Micros), scratch);
        sender.Send(new LogMessage(sender, body, 0, body.Length, LogSender.LevelErr, Micros), scratch);

        // len 80 keeps 79 bytes and the newline; sampling 1:2 takes every other line; `notice` takes only the error.
        Assert.Equal([new string('x', 79) + "\n", new string('x', 100) + "\n", new string('x', 79) + "\n", "<3>" + new string('x', 100) + "\n"], sent);
    }

    private sealed class RecordingSink(List<string> sent) : LogSink
    {
        public override bool Send(ReadOnlySpan<byte> datagram)
        {
            sent.Add(Encoding.ASCII.GetString(datagram));
            return true;
        }
    }
}
