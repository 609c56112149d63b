using System.Buffers;
using System.Text;
using Sluice.Protocols.Hpack;
using Sluice.TestKit.Hpack;

namespace Sluice.Protocols.Tests.Hpack;

/// <summary>Collects decoded fields as text.</summary>
internal sealed class CollectingHandler : IHpackHeaderHandler
{
    public List<TestHeader> Headers { get; } = [];

    public List<HpackFieldFlags> Flags { get; } = [];

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HpackFieldFlags flags)
    {
        Headers.Add(new TestHeader(Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));
        Flags.Add(flags);
    }
}

/// <summary>Counts fields without looking at them.</summary>
internal struct CountingHandler : IHpackHeaderHandler
{
    public int Count;
    public long Bytes;

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HpackFieldFlags flags)
    {
        Count++;
        Bytes += name.Length + value.Length;
    }
}

internal static class HpackTestSupport
{
    public static (HpackDecodeStatus Status, List<TestHeader> Headers) DecodeWhole(HpackDecoder decoder, byte[] block)
    {
        var handler = new CollectingHandler();
        HpackDecodeStatus status = decoder.Decode(block, endOfBlock: true, ref handler);
        return (status, handler.Headers);
    }

    /// <summary>Feeds the block as separate Decode calls, one per piece; the last one ends the block.</summary>
    public static (HpackDecodeStatus Status, List<TestHeader> Headers) DecodePieces(HpackDecoder decoder, params byte[][] pieces)
    {
        var handler = new CollectingHandler();
        HpackDecodeStatus status = HpackDecodeStatus.Ok;
        for (int i = 0; i < pieces.Length && status == HpackDecodeStatus.Ok; i++)
        {
            status = decoder.Decode(pieces[i], endOfBlock: i == pieces.Length - 1, ref handler);
        }

        return (status, handler.Headers);
    }

    public static (HpackDecodeStatus Status, List<TestHeader> Headers) DecodeSequence(HpackDecoder decoder, ReadOnlySequence<byte> block)
    {
        var handler = new CollectingHandler();
        HpackDecodeStatus status = decoder.Decode(block, endOfBlock: true, ref handler);
        return (status, handler.Headers);
    }

    public static byte[][] ByteByByte(byte[] data) => data.Select(b => new[] { b }).ToArray();

    public static List<TestHeader> TableContents(HpackDynamicTable table)
    {
        var entries = new List<TestHeader>();
        for (int i = 1; i <= table.Count; i++)
        {
            entries.Add(new TestHeader(Encoding.Latin1.GetString(table.GetName(i)), Encoding.Latin1.GetString(table.GetValue(i))));
        }

        return entries;
    }

    public static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);
}
