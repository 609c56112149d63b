using System.Diagnostics;
using System.Text.Json;
using Sluice.Protocols.Hpack;
using Sluice.TestKit.Hpack;
using static Sluice.Protocols.Tests.Hpack.HpackTestSupport;

namespace Sluice.Protocols.Tests.Hpack;

/// <summary>
/// Interoperability with Debian's python3-hpack, an implementation we did not write. The test fails,
/// never skips, when /usr/bin/python3 or the hpack module is missing.
/// </summary>
public class PythonHpackInteropTests
{
    private const string Python = "/usr/bin/python3";

    // Decodes the product's blocks with one decoder (shared table), and encodes header sets (Huffman on)
    // with one encoder for the product decoder. Names and values travel as hex.
    private const string Script = """
        import json, sys
        from hpack import Decoder, Encoder
        request = json.load(sys.stdin)
        decoder = Decoder()
        decoded = [[[n.hex(), v.hex()] for n, v in decoder.decode(bytes.fromhex(b), raw=True)] for b in request["blocks"]]
        encoder = Encoder()
        encoded = [encoder.encode([(bytes.fromhex(n), bytes.fromhex(v)) for n, v in s], huffman=True).hex() for s in request["sets"]]
        json.dump({"decoded": decoded, "encoded": encoded}, sys.stdout)
        """;

    [Fact]
    [Trait("peer", "python3-hpack")]
    public void Encode_ProductBlocksDecodedByPythonHpack_AndPythonBlocksDecodedByProduct_Match()
    {
        var random = new Random(2016);
        var encoder = new HpackEncoder();
        var productSets = new List<List<TestHeader>>();
        var blocks = new List<string>();
        for (int i = 0; i < 100; i++)
        {
            List<TestHeader> headers = HpackRandomHeaders.Create(random);
            productSets.Add(headers);
            blocks.Add(Convert.ToHexString(HpackEncoderTests.EncodeBlock(encoder, headers, HpackIndexing.Default)));
        }

        var pythonSets = new List<List<TestHeader>>();
        for (int i = 0; i < 100; i++)
        {
            pythonSets.Add(HpackRandomHeaders.Create(random));
        }

        string input = JsonSerializer.Serialize(new
        {
            blocks,
            sets = pythonSets.Select(s => s.Select(h => new[] { ToHex(h.Name), ToHex(h.Value) })),
        });
        using JsonDocument output = JsonDocument.Parse(RunPython(input));

        JsonElement decoded = output.RootElement.GetProperty("decoded");
        for (int i = 0; i < productSets.Count; i++)
        {
            List<TestHeader> fromPython = decoded[i].EnumerateArray()
                .Select(pair => new TestHeader(FromHex(pair[0].GetString()!), FromHex(pair[1].GetString()!)))
                .ToList();
            Assert.Equal(productSets[i], fromPython);
        }

        var decoder = new HpackDecoder();
        JsonElement encoded = output.RootElement.GetProperty("encoded");
        for (int i = 0; i < pythonSets.Count; i++)
        {
            (HpackDecodeStatus status, List<TestHeader> headers) = DecodeWhole(decoder, Convert.FromHexString(encoded[i].GetString()!));
            Assert.Equal(HpackDecodeStatus.Ok, status);
            Assert.Equal(pythonSets[i], headers);
        }
    }

    private static string ToHex(string text) => Convert.ToHexString(Latin1(text));

    private static string FromHex(string hex) => System.Text.Encoding.Latin1.GetString(Convert.FromHexString(hex));

    private static string RunPython(string input)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: install python3 and python3-hpack");
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(input);
        process.StandardInput.Close();
        Assert.True(process.WaitForExit(60_000), "python3 did not finish within 60 s");
        Assert.True(process.ExitCode == 0, $"python3-hpack script failed (is python3-hpack installed?): {stderr.Result}");
        return stdout.Result;
    }
}
