using Sluice.Protocols.Http1;
using static Sluice.Protocols.Tests.Http1.Http1Harness;

namespace Sluice.Protocols.Tests.Http1;

/// <summary>
/// Seeded mutations of valid messages: the codec never throws and gives the same result however the input is
/// cut (RELIABILITY FZ-01, a small in-process form of FZ-03).
/// </summary>
public class Http1MutationTests
{
    private static readonly string[] HeadSeeds =
    [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /x?y HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nX-A: 1\r\n 2\r\n\r\n",
        "OPTIONS * HTTP/1.0\r\nA:b\r\n\r\n",
    ];

    private static readonly string[] ResponseSeeds =
    [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
        "HTTP/1.0 304 Not Modified\r\nX: y\r\n\r\n",
    ];

    private static readonly string[] ChunkedSeeds =
    [
        "5\r\nhello\r\n0\r\n\r\n",
        "3;a=\"b\"\r\nabc\r\n0\r\nX: y\r\n\r\n",
    ];

    private static readonly byte[] Interesting = "\r\n\0 \t,;:\"\\#/=x0"u8.ToArray();

    public static TheoryData<int> Seeds() => new(1, 2, 3, 4);

    [Theory]
    [MemberData(nameof(Seeds))]
    public void ParseHead_MutatedMessages_SameResultInEverySegmentation(int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < 150; i++)
        {
            bool response = random.Next(3) == 0;
            string[] seeds = response ? ResponseSeeds : HeadSeeds;
            byte[] input = Mutate(random, Bytes(seeds[random.Next(seeds.Length)]));
            HeadKind kind = response ? HeadKind.Response : HeadKind.Request;
            ParseHeadAllWays(kind, input, Http1ParserOptions.Strict, analyzeFraming: true);
            ParseHeadAllWays(kind, input, Http1ParserOptions.HaproxyCompatible, analyzeFraming: true);
        }
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Read_MutatedChunkedBodies_SameResultInEverySegmentation(int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < 150; i++)
        {
            byte[] input = Mutate(random, Bytes(ChunkedSeeds[random.Next(ChunkedSeeds.Length)]));
            DecodeChunkedAllWays(input, Http1ParserOptions.Strict);
            DecodeChunkedAllWays(input, Http1ParserOptions.HaproxyCompatible);
        }
    }

    private static byte[] Mutate(Random random, byte[] input)
    {
        var bytes = new List<byte>(input);
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations; m++)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(4))
            {
                case 0:
                    bytes.Insert(at, Interesting[random.Next(Interesting.Length)]);
                    break;
                case 1 when at < bytes.Count:
                    bytes[at] = Interesting[random.Next(Interesting.Length)];
                    break;
                case 2 when at < bytes.Count:
                    bytes.RemoveAt(at);
                    break;
                default:
                    if (at < bytes.Count)
                    {
                        bytes[at] = (byte)random.Next(256);
                    }

                    break;
            }
        }

        return bytes.ToArray();
    }
}
