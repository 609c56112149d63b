using System.Buffers.Binary;
using System.Numerics;

namespace Sluice.Balancing;

/// <summary>
/// HAProxy's hash functions for `hash-type` (hash.c): sdbm (the default), djb2, wt6 and crc32, and the avalanche
/// step (Bob Jenkins' full avalanche, HAProxy's full_hash) that spreads close inputs over the whole 32-bit space.
/// </summary>
internal static class HashFunctions
{
    private static readonly uint[] Crc32Table = BuildCrc32Table();

    public static uint Compute(Config.Model.HashFunction function, ReadOnlySpan<byte> key) => function switch
    {
        Config.Model.HashFunction.Djb2 => Djb2(key),
        Config.Model.HashFunction.Wt6 => Wt6(key),
        Config.Model.HashFunction.Crc32 => Crc32(key),
        _ => Sdbm(key),
    };

    public static uint Sdbm(ReadOnlySpan<byte> key)
    {
        uint hash = 0;
        foreach (var c in key)
        {
            hash = c + (hash << 6) + (hash << 16) - hash;
        }

        return hash;
    }

    public static uint Djb2(ReadOnlySpan<byte> key)
    {
        uint hash = 5381;
        foreach (var c in key)
        {
            hash = (hash << 5) + hash + c;
        }

        return hash;
    }

    public static uint Wt6(ReadOnlySpan<byte> key)
    {
        uint h0 = 0xa53c965a;
        uint h1 = 0x5ca6953a;
        var step0 = 6;
        var step1 = 18;
        foreach (uint t in key)
        {
            h0 = ~(h0 ^ t);
            h1 = ~(h1 + t);
            var rotated = (h1 << step0) | (h1 >> (32 - step0));
            h1 = (h0 << step1) | (h0 >> (32 - step1));
            h0 = rotated;
            var mix = ((h0 >> 16) ^ h1) & 0xffff;
            step0 = (int)(mix & 0x1f);
            step1 = (int)(mix >> 11);
        }

        return h0 ^ h1;
    }

    public static uint Crc32(ReadOnlySpan<byte> key)
    {
        var crc = 0xffffffffu;
        foreach (var c in key)
        {
            crc = Crc32Table[(crc ^ c) & 0xff] ^ (crc >> 8);
        }

        return ~crc;
    }

    /// <summary>
    /// XXH64 (Yann Collet's xxHash, 64-bit variant) with seed 0, as HAProxy computes dynamic cookies: four lanes over
    /// 32-byte stripes, then 8-, 4- and 1-byte tails, then the final avalanche. Inputs are read little-endian.
    /// </summary>
    public static ulong XxHash64(ReadOnlySpan<byte> input)
    {
        const ulong Prime1 = 0x9E3779B185EBCA87UL;
        const ulong Prime2 = 0xC2B2AE3D27D4EB4FUL;
        const ulong Prime3 = 0x165667B19E3779F9UL;
        const ulong Prime4 = 0x85EBCA77C2B2AE63UL;
        const ulong Prime5 = 0x27D4EB2F165667C5UL;

        static ulong Round(ulong accumulator, ulong lane) =>
            BitOperations.RotateLeft(accumulator + (lane * Prime2), 31) * Prime1;

        static ulong Merge(ulong hash, ulong accumulator) => ((hash ^ Round(0, accumulator)) * Prime1) + Prime4;

        var length = (ulong)input.Length;
        ulong hash;
        if (input.Length >= 32)
        {
            ulong v1 = unchecked(Prime1 + Prime2), v2 = Prime2, v3 = 0, v4 = unchecked(0 - Prime1);
            while (input.Length >= 32)
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(input));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(input[8..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(input[16..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(input[24..]));
                input = input[32..];
            }

            hash = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7)
                + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            hash = Merge(Merge(Merge(Merge(hash, v1), v2), v3), v4);
        }
        else
        {
            hash = Prime5;
        }

        hash += length;
        for (; input.Length >= 8; input = input[8..])
        {
            hash ^= Round(0, BinaryPrimitives.ReadUInt64LittleEndian(input));
            hash = (BitOperations.RotateLeft(hash, 27) * Prime1) + Prime4;
        }

        if (input.Length >= 4)
        {
            hash ^= BinaryPrimitives.ReadUInt32LittleEndian(input) * Prime1;
            hash = (BitOperations.RotateLeft(hash, 23) * Prime2) + Prime3;
            input = input[4..];
        }

        foreach (var b in input)
        {
            hash ^= b * Prime5;
            hash = BitOperations.RotateLeft(hash, 11) * Prime1;
        }

        hash ^= hash >> 33;
        hash *= Prime2;
        hash ^= hash >> 29;
        hash *= Prime3;
        hash ^= hash >> 32;
        return hash;
    }

    /// <summary>
    /// XXH32 (xxHash, 32-bit variant) with a seed, as HAProxy keys the records of a DNS answer: four lanes over
    /// 16-byte stripes, then 4- and 1-byte tails, then the final avalanche. Inputs are read little-endian.
    /// </summary>
    public static uint XxHash32(ReadOnlySpan<byte> input, uint seed)
    {
        const uint Prime1 = 0x9E3779B1U;
        const uint Prime2 = 0x85EBCA77U;
        const uint Prime3 = 0xC2B2AE3DU;
        const uint Prime4 = 0x27D4EB2FU;
        const uint Prime5 = 0x165667B1U;

        static uint Round(uint accumulator, uint lane) => BitOperations.RotateLeft(accumulator + (lane * Prime2), 13) * Prime1;

        var length = (uint)input.Length;
        uint hash;
        if (input.Length >= 16)
        {
            uint v1 = seed + Prime1 + Prime2, v2 = seed + Prime2, v3 = seed, v4 = seed - Prime1;
            while (input.Length >= 16)
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt32LittleEndian(input));
                v2 = Round(v2, BinaryPrimitives.ReadUInt32LittleEndian(input[4..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt32LittleEndian(input[8..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt32LittleEndian(input[12..]));
                input = input[16..];
            }

            hash = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7) + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
        }
        else
        {
            hash = seed + Prime5;
        }

        hash += length;
        for (; input.Length >= 4; input = input[4..])
        {
            hash = BitOperations.RotateLeft(hash + (BinaryPrimitives.ReadUInt32LittleEndian(input) * Prime3), 17) * Prime4;
        }

        foreach (var b in input)
        {
            hash = BitOperations.RotateLeft(hash + (b * Prime5), 11) * Prime1;
        }

        hash ^= hash >> 15;
        hash *= Prime2;
        hash ^= hash >> 13;
        hash *= Prime3;
        hash ^= hash >> 16;
        return hash;
    }

    /// <summary>HAProxy's full_hash: every input bit affects every output bit.</summary>
    public static uint Avalanche(uint a)
    {
        a = (a + 0x7ed55d16) + (a << 12);
        a = (a ^ 0xc761c23c) ^ (a >> 19);
        a = (a + 0x165667b1) + (a << 5);
        a = (a + 0xd3a2646c) ^ (a << 9);
        a = (a + 0xfd7046c5) + (a << 3);
        a = (a ^ 0xb55a4f09) ^ (a >> 16);

        // Then a large prime close to 3/4 of the range spreads the values over the whole tree, as HAProxy does.
        return a * 3221225473u;
    }

    private static uint[] BuildCrc32Table()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xedb88320 ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
