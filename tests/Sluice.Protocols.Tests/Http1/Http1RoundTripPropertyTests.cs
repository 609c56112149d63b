using System.Buffers;
using System.Text;
using Sluice.Protocols.Http1;
using Sluice.TestKit.Buffers;
using static Sluice.Protocols.Tests.Http1.Http1Harness;

namespace Sluice.Protocols.Tests.Http1;

/// <summary>Random valid messages, serialized then parsed, give back the same fields (RELIABILITY FZ-02).</summary>
public class Http1RoundTripPropertyTests
{
    private const string TokenChars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string PathChars = "/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@%?";

    [Fact]
    public void ParseRequestHead_RandomSerializedRequests_RoundTrip()
    {
        var random = new Random(20261122);
        for (int iteration = 0; iteration < 300; iteration++)
        {
            var writer = new ArrayBufferWriter<byte>();
            var expected = new StringBuilder();
            string method = RandomString(random, TokenChars, 1, 12);
            string target = "/" + RandomString(random, PathChars, 0, 60);
            Http1Version version = random.Next(2) == 0 ? Http1Version.Http10 : Http1Version.Http11;
            Http1HeadWriter.WriteRequestLine(writer, Encoding.Latin1.GetBytes(method), Encoding.Latin1.GetBytes(target), version);
            expected.Append($"RL {method} {Escape(Bytes(target))} Origin {version}");
            AppendRandomFields(random, writer, expected);
            AssertRoundTrip(HeadKind.Request, writer.WrittenSpan.ToArray(), expected.ToString(), random);
        }
    }

    [Fact]
    public void ParseResponseHead_RandomSerializedResponses_RoundTrip()
    {
        var random = new Random(7);
        for (int iteration = 0; iteration < 300; iteration++)
        {
            var writer = new ArrayBufferWriter<byte>();
            var expected = new StringBuilder();
            int status = random.Next(100, 600);
            byte[] reason = RandomFieldValue(random, 0, 30);
            Http1Version version = random.Next(2) == 0 ? Http1Version.Http10 : Http1Version.Http11;
            Http1HeadWriter.WriteStatusLine(writer, version, status, reason);
            expected.Append($"SL {version} {status} {Escape(reason)}");
            AppendRandomFields(random, writer, expected);
            AssertRoundTrip(HeadKind.Response, writer.WrittenSpan.ToArray(), expected.ToString(), random);
        }
    }

    [Fact]
    public void Read_RandomChunkedBodies_RoundTrip()
    {
        var random = new Random(99);
        for (int iteration = 0; iteration < 200; iteration++)
        {
            var writer = new ArrayBufferWriter<byte>();
            var body = new List<byte>();
            int chunks = random.Next(0, 6);
            for (int c = 0; c < chunks; c++)
            {
                byte[] data = new byte[random.Next(1, 40)];
                random.NextBytes(data);
                body.AddRange(data);
                Http1ChunkedEncoder.WriteChunk(writer, data);
            }

            Http1ChunkedEncoder.WriteLastChunk(writer);
            var trailers = new StringBuilder();
            AppendRandomFields(random, writer, trailers);
            byte[] encoded = writer.WrittenSpan.ToArray();
            string expected = $"BODY {Escape(body.ToArray())}{trailers}\n=> Complete@{encoded.Length}";
            Assert.Equal(expected, DecodeChunkedOnce(Segmentation.Whole(encoded), Http1ParserOptions.Strict));
            Assert.Equal(expected, DecodeChunkedOnce(Segmentation.Chunked(encoded, random.Next(1, 8)), Http1ParserOptions.Strict));
            Assert.Equal(expected, DecodeChunkedDribbled(encoded, Http1ParserOptions.Strict));
        }
    }

    private static void AssertRoundTrip(HeadKind kind, byte[] encoded, string expectedEvents, Random random)
    {
        string expected = $"{expectedEvents}\n=> Complete@{encoded.Length}";
        Http1ParserOptions options = Http1ParserOptions.Strict;
        Assert.Equal(expected, ParseHeadOnce(kind, Segmentation.Whole(encoded), options, analyzeFraming: false));
        Assert.Equal(expected, ParseHeadOnce(kind, Segmentation.SplitAt(encoded, random.Next(encoded.Length + 1)), options, analyzeFraming: false));
        Assert.Equal(expected, ParseHeadOnce(kind, Segmentation.Chunked(encoded, random.Next(1, 16)), options, analyzeFraming: false));
        Assert.Equal(expected, ParseHeadDribbled(kind, encoded, options, analyzeFraming: false));
    }

    private static void AppendRandomFields(Random random, ArrayBufferWriter<byte> writer, StringBuilder expected)
    {
        int count = random.Next(0, 20);
        for (int i = 0; i < count; i++)
        {
            string name = RandomString(random, TokenChars, 1, 20);
            byte[] value = RandomFieldValue(random, 0, 80);
            Http1HeadWriter.WriteHeader(writer, Encoding.Latin1.GetBytes(name), value);
            expected.Append($"\nH {Escape(Bytes(name))}: {Escape(value)}");
        }

        Http1HeadWriter.WriteEndOfHeaders(writer);
        expected.Append("\nEND");
    }

    private static string RandomString(Random random, string alphabet, int min, int max)
    {
        var chars = new char[random.Next(min, max + 1)];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = alphabet[random.Next(alphabet.Length)];
        }

        return new string(chars);
    }

    // field-value = *field-content: VCHAR / obs-text, with SP and HTAB only between them.
    private static byte[] RandomFieldValue(Random random, int min, int max)
    {
        var value = new byte[random.Next(min, max + 1)];
        for (int i = 0; i < value.Length; i++)
        {
            int pick = random.Next(10);
            bool inner = i > 0 && i < value.Length - 1;
            value[i] = pick switch
            {
                0 when inner => (byte)' ',
                1 when inner => (byte)'\t',
                2 => (byte)random.Next(0x80, 0x100),
                _ => (byte)random.Next(0x21, 0x7F),
            };
        }

        return value;
    }
}
