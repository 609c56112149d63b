using System.Buffers;
using System.Text;
using Sluice.Protocols.Http1;
using Sluice.TestKit.Buffers;

namespace Sluice.Protocols.Tests.Http1;

/// <summary>What a head parse is asked to read.</summary>
internal enum HeadKind
{
    Request,
    Response,
    Fields,
}

/// <summary>
/// Runs one byte vector through the HTTP/1 codec whole, split at every offset, one byte per segment, and fed
/// one byte at a time across calls, and renders each run as text so the runs can be compared exactly.
/// </summary>
internal static class Http1Harness
{
    public static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        foreach (byte b in bytes)
        {
            if (b >= 0x20 && b < 0x7F && b != (byte)'\\')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append("\\x").Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return sb.ToString();
    }

    /// <summary>All segmentations of <paramref name="input"/> used for single-call runs, with a label.</summary>
    public static IEnumerable<(string Label, ReadOnlySequence<byte> Sequence)> Segmentations(byte[] input)
    {
        yield return ("whole", Segmentation.Whole(input));
        for (int i = 0; i <= input.Length; i++)
        {
            yield return ($"split@{i}", Segmentation.SplitAt(input, i));
        }

        yield return ("one-byte-segments", Segmentation.OneBytePerSegment(input));
    }

    /// <summary>Parses a head in every way; asserts all runs agree and returns the rendering of the whole run.</summary>
    public static string ParseHeadAllWays(HeadKind kind, byte[] input, Http1ParserOptions options, bool analyzeFraming = false)
    {
        string? reference = null;
        foreach ((string label, ReadOnlySequence<byte> sequence) in Segmentations(input))
        {
            string result = ParseHeadOnce(kind, sequence, options, analyzeFraming);
            reference ??= result;
            Assert.True(reference == result, $"{label} differs from whole:\n{result}\n--- whole:\n{reference}");
        }

        string dribbled = ParseHeadDribbled(kind, input, options, analyzeFraming);
        Assert.True(reference == dribbled, $"byte-at-a-time differs from whole:\n{dribbled}\n--- whole:\n{reference}");
        return reference!;
    }

    public static string ParseHeadOnce(HeadKind kind, ReadOnlySequence<byte> sequence, Http1ParserOptions options, bool analyzeFraming)
    {
        var recorder = new Recorder(kind, options, analyzeFraming);
        Http1HeadState state = kind == HeadKind.Fields ? Http1HeadState.ForFieldSection() : Http1HeadState.ForHead();
        Http1ParseStatus status = ParseStep(kind, ref state, sequence, recorder, options, out long consumed);
        return recorder.Render(status, state, consumed);
    }

    public static string ParseHeadDribbled(HeadKind kind, byte[] input, Http1ParserOptions options, bool analyzeFraming)
    {
        var recorder = new Recorder(kind, options, analyzeFraming);
        Http1HeadState state = kind == HeadKind.Fields ? Http1HeadState.ForFieldSection() : Http1HeadState.ForHead();
        long consumedTotal = 0;
        Http1ParseStatus status = Http1ParseStatus.NeedMoreData;
        for (int available = input.Length == 0 ? 0 : 1; available <= input.Length; available++)
        {
            var sequence = new ReadOnlySequence<byte>(input, (int)consumedTotal, available - (int)consumedTotal);
            status = ParseStep(kind, ref state, sequence, recorder, options, out long consumed);
            consumedTotal += consumed;
            if (status != Http1ParseStatus.NeedMoreData)
            {
                break;
            }
        }

        return recorder.Render(status, state, consumedTotal);
    }

    private static Http1ParseStatus ParseStep(HeadKind kind, ref Http1HeadState state, ReadOnlySequence<byte> sequence, Recorder recorder, Http1ParserOptions options, out long consumedLength)
    {
        var adapter = new RecorderAdapter(recorder);
        SequencePosition consumed;
        Http1ParseStatus status = kind switch
        {
            HeadKind.Request => Http1HeadParser.ParseRequestHead(ref state, sequence, ref adapter, options, out consumed, out _),
            HeadKind.Response => Http1HeadParser.ParseResponseHead(ref state, sequence, ref adapter, options, out consumed, out _),
            _ => Http1HeadParser.ParseFieldSection(ref state, sequence, ref adapter, options, out consumed, out _),
        };
        consumedLength = sequence.Slice(sequence.Start, consumed).Length;
        return status;
    }

    /// <summary>Decodes a chunked body in every way; asserts all runs agree and returns the rendering.</summary>
    public static string DecodeChunkedAllWays(byte[] input, Http1ParserOptions options)
    {
        string? reference = null;
        foreach ((string label, ReadOnlySequence<byte> sequence) in Segmentations(input))
        {
            string result = DecodeChunkedOnce(sequence, options);
            reference ??= result;
            Assert.True(reference == result, $"{label} differs from whole:\n{result}\n--- whole:\n{reference}");
        }

        string dribbled = DecodeChunkedDribbled(input, options);
        Assert.True(reference == dribbled, $"byte-at-a-time differs from whole:\n{dribbled}\n--- whole:\n{reference}");
        return reference!;
    }

    public static string DecodeChunkedOnce(ReadOnlySequence<byte> sequence, Http1ParserOptions options)
    {
        var recorder = new Recorder(HeadKind.Fields, options, analyzeFraming: false);
        var adapter = new RecorderAdapter(recorder);
        var decoder = default(Http1ChunkedDecoder);
        var body = new List<byte>();
        long consumedTotal = 0;
        Http1ChunkedStatus status;
        while (true)
        {
            status = decoder.Read(sequence, ref adapter, options, out ReadOnlySequence<byte> data, out SequencePosition consumed, out _);
            body.AddRange(data.ToArray());
            consumedTotal += sequence.Slice(sequence.Start, consumed).Length;
            sequence = sequence.Slice(consumed);
            if (status != Http1ChunkedStatus.Data)
            {
                break;
            }
        }

        return RenderChunked(recorder, body, status, decoder, consumedTotal);
    }

    public static string DecodeChunkedDribbled(byte[] input, Http1ParserOptions options)
    {
        var recorder = new Recorder(HeadKind.Fields, options, analyzeFraming: false);
        var adapter = new RecorderAdapter(recorder);
        var decoder = default(Http1ChunkedDecoder);
        var body = new List<byte>();
        int consumedTotal = 0;
        Http1ChunkedStatus status = Http1ChunkedStatus.NeedMoreData;
        for (int available = 1; available <= input.Length; available++)
        {
            while (true)
            {
                var sequence = new ReadOnlySequence<byte>(input, consumedTotal, available - consumedTotal);
                status = decoder.Read(sequence, ref adapter, options, out ReadOnlySequence<byte> data, out SequencePosition consumed, out _);
                body.AddRange(data.ToArray());
                consumedTotal += (int)sequence.Slice(sequence.Start, consumed).Length;
                if (status != Http1ChunkedStatus.Data)
                {
                    break;
                }
            }

            if (status != Http1ChunkedStatus.NeedMoreData)
            {
                break;
            }
        }

        return RenderChunked(recorder, body, status, decoder, consumedTotal);
    }

    private static string RenderChunked(Recorder recorder, List<byte> body, Http1ChunkedStatus status, Http1ChunkedDecoder decoder, long consumed)
    {
        string outcome = status == Http1ChunkedStatus.Rejected ? $"Rejected:{decoder.RejectReason}" : status.ToString();
        return $"BODY {Escape(body.ToArray())}\n{string.Join('\n', recorder.Events)}\n=> {outcome}@{consumed}";
    }

    internal sealed class Recorder
    {
        private readonly HeadKind _kind;
        private readonly Http1ParserOptions _options;
        private readonly bool _analyzeFraming;
        private Http1FramingAnalyzer _framing;
        private Http1RejectReason _framingReject;
        private byte[] _method = [];
        private byte[] _authority = [];

        public Recorder(HeadKind kind, Http1ParserOptions options, bool analyzeFraming)
        {
            _kind = kind;
            _options = options;
            _analyzeFraming = analyzeFraming;
        }

        public List<string> Events { get; } = [];

        public void OnRequestLine(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, Http1TargetForm form, Http1Version version)
        {
            Events.Add($"RL {Escape(method)} {Escape(target)} {form} {version}");
            _method = method.ToArray();
            _authority = form == Http1TargetForm.Absolute && Http1RequestTarget.TryGetAbsoluteAuthority(target, out ReadOnlySpan<byte> authority) ? authority.ToArray() : [];
            _framing = new Http1FramingAnalyzer(isRequest: true, version, _options);
        }

        public void OnStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase)
        {
            Events.Add($"SL {version} {statusCode} {Escape(reasonPhrase)}");
            _framing = new Http1FramingAnalyzer(isRequest: false, version, _options);
        }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            Events.Add($"H {Escape(name)}: {Escape(value)}");
            if (_analyzeFraming && _framingReject == Http1RejectReason.None)
            {
                _framingReject = _framing.OnHeader(name, value);
            }
        }

        public void OnHeadersComplete()
        {
            Events.Add("END");
            if (!_analyzeFraming)
            {
                return;
            }

            if (_framingReject == Http1RejectReason.None)
            {
                Http1BodyFraming framing;
                _framingReject = _kind == HeadKind.Request
                    ? _framing.CompleteRequest(_method, _authority, out framing)
                    : _framing.CompleteResponse(200, requestWasHead: false, requestWasConnect: false, out framing);
                if (_framingReject == Http1RejectReason.None)
                {
                    Events.Add($"FRAMING {framing.Kind} len={framing.ContentLength} close={framing.MustClose} dropCL={framing.DropContentLength}");
                    return;
                }
            }

            Events.Add($"FRAMING-REJECT {_framingReject} {_framingReject.ToStatusCode()}");
        }

        public string Render(Http1ParseStatus status, Http1HeadState state, long consumed)
        {
            string outcome = status == Http1ParseStatus.Rejected ? $"Rejected:{state.RejectReason}" : status.ToString();
            return $"{string.Join('\n', Events)}\n=> {outcome}@{consumed}";
        }
    }

    internal readonly struct RecorderAdapter : IHttp1RequestHandler, IHttp1ResponseHandler
    {
        private readonly Recorder _recorder;

        public RecorderAdapter(Recorder recorder) => _recorder = recorder;

        public void OnRequestLine(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, Http1TargetForm form, Http1Version version)
            => _recorder.OnRequestLine(method, target, form, version);

        public void OnStatusLine(Http1Version version, int statusCode, ReadOnlySpan<byte> reasonPhrase)
            => _recorder.OnStatusLine(version, statusCode, reasonPhrase);

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) => _recorder.OnHeader(name, value);

        public void OnHeadersComplete() => _recorder.OnHeadersComplete();
    }
}
