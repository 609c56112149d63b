using System.Buffers;
using Sluice.Protocols.Http1;
using Sluice.TestKit.Buffers;
using static Sluice.Protocols.Tests.Http1.Http1Harness;

namespace Sluice.Protocols.Tests.Http1;

/// <summary>The parse paths allocate nothing per message once the shared array pool is warm.</summary>
public class Http1AllocationTests
{
    private static readonly byte[] Request = Bytes(
        "POST /api/items?id=42 HTTP/1.1\r\nHost: a.example\r\nUser-Agent: test\r\nAccept: */*\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n");

    private static readonly byte[] Body = Bytes("5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-T: 1\r\n\r\n");

    [Fact]
    public void ParseRequestHead_SingleAndMultiSegment_AllocatesNothing()
    {
        ReadOnlySequence<byte> single = Segmentation.Whole(Request);
        ReadOnlySequence<byte> split = Segmentation.Chunked(Request, 7);
        RunHead(single);
        RunHead(split);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            RunHead(single);
            RunHead(split);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ReadChunked_SingleAndMultiSegment_AllocatesNothing()
    {
        ReadOnlySequence<byte> single = Segmentation.Whole(Body);
        ReadOnlySequence<byte> split = Segmentation.Chunked(Body, 3);
        RunBody(single);
        RunBody(split);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            RunBody(single);
            RunBody(split);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // Assertions stay out of the measured loops: xunit's Assert allocates.
    private static void RunHead(ReadOnlySequence<byte> input)
    {
        var state = Http1HeadState.ForHead();
        var handler = new FramingHandler { Framing = default };
        Http1ParseStatus status = Http1HeadParser.ParseRequestHead(ref state, input, ref handler, Http1ParserOptions.Strict, out _, out _);
        Http1RejectReason reject = handler.Framing.CompleteRequest("POST"u8, default, out Http1BodyFraming framing);
        if (status != Http1ParseStatus.Complete || handler.Reject != Http1RejectReason.None || reject != Http1RejectReason.None || framing.Kind != Http1BodyKind.Chunked)
        {
            throw new InvalidOperationException("The request was not parsed.");
        }
    }

    private static void RunBody(ReadOnlySequence<byte> input)
    {
        var decoder = default(Http1ChunkedDecoder);
        var handler = new FramingHandler();
        long total = 0;
        Http1ChunkedStatus status;
        while ((status = decoder.Read(input, ref handler, Http1ParserOptions.Strict, out ReadOnlySequence<byte> data, out SequencePosition consumed, out _)) == Http1ChunkedStatus.Data)
        {
            total += data.Length;
            input = input.Slice(consumed);
        }

        if (status != Http1ChunkedStatus.Complete || total != 11)
        {
            throw new InvalidOperationException("The body was not decoded.");
        }
    }

    private struct FramingHandler : IHttp1RequestHandler
    {
        public Http1FramingAnalyzer Framing;
        public Http1RejectReason Reject;

        public void OnRequestLine(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, Http1TargetForm form, Http1Version version)
            => Framing = new Http1FramingAnalyzer(isRequest: true, version, Http1ParserOptions.Strict);

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (Reject == Http1RejectReason.None)
            {
                Reject = Framing.OnHeader(name, value);
            }
        }

        public void OnHeadersComplete()
        {
        }
    }
}
