using System.Security.Cryptography;
using System.Text;

namespace Sluice.Rules.Auth;

/// <summary>
/// The SHA-256 (`$5$`) and SHA-512 (`$6$`) password hashes of crypt(3), as `mkpasswd` and `openssl passwd`
/// write them for `userlist` passwords (the algorithm is Ulrich Drepper's "Unix crypt using SHA-256 and
/// SHA-512" specification).
/// </summary>
internal static class ShaCrypt
{
    private const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int DefaultRounds = 5000;

    private static readonly (int, int, int)[] Sha256Order =
    [
        (0, 10, 20), (21, 1, 11), (12, 22, 2), (3, 13, 23), (24, 4, 14), (15, 25, 5), (6, 16, 26), (27, 7, 17), (18, 28, 8), (9, 19, 29),
    ];

    private static readonly (int, int, int)[] Sha512Order =
    [
        (0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4), (47, 5, 26), (6, 27, 48), (28, 49, 7), (50, 8, 29), (9, 30, 51),
        (31, 52, 10), (53, 11, 32), (12, 33, 54), (34, 55, 13), (56, 14, 35), (15, 36, 57), (37, 58, 16), (59, 17, 38), (18, 39, 60),
        (40, 61, 19), (62, 20, 41),
    ];

    /// <summary>True for hashes this class can check.</summary>
    public static bool IsSupported(string hash) => hash.StartsWith("$5$", StringComparison.Ordinal) || hash.StartsWith("$6$", StringComparison.Ordinal);

    /// <summary>Hashes <paramref name="password"/> with the scheme, rounds and salt of <paramref name="hash"/> and compares.</summary>
    public static bool Verify(ReadOnlySpan<byte> password, string hash)
    {
        var computed = Compute(password, hash);
        return computed is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(computed), Encoding.ASCII.GetBytes(hash));
    }

    /// <summary>The full hash string for the settings (`$6$rounds=N$salt$...`) of <paramref name="settings"/>; null when they are invalid.</summary>
    public static string? Compute(ReadOnlySpan<byte> password, string settings)
    {
        var sha512 = settings.StartsWith("$6$", StringComparison.Ordinal);
        if (!sha512 && !settings.StartsWith("$5$", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = settings[3..];
        var rounds = DefaultRounds;
        var explicitRounds = false;
        if (rest.StartsWith("rounds=", StringComparison.Ordinal))
        {
            var end = rest.IndexOf('$', StringComparison.Ordinal);
            if (end < 0 || !int.TryParse(rest.AsSpan(7, end - 7), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out rounds))
            {
                return null;
            }

            rounds = Math.Clamp(rounds, 1000, 999_999_999);
            explicitRounds = true;
            rest = rest[(end + 1)..];
        }

        var saltEnd = rest.IndexOf('$', StringComparison.Ordinal);
        var saltText = saltEnd < 0 ? rest : rest[..saltEnd];
        if (saltText.Length > 16)
        {
            saltText = saltText[..16];
        }

        var salt = Encoding.ASCII.GetBytes(saltText);
        var name = sha512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
        var size = sha512 ? 64 : 32;
        var p = password.ToArray();

        using var hash = IncrementalHash.CreateHash(name);
        hash.AppendData(p);
        hash.AppendData(salt);
        hash.AppendData(p);
        var b = hash.GetHashAndReset();

        hash.AppendData(p);
        hash.AppendData(salt);
        int i;
        for (i = p.Length; i > size; i -= size)
        {
            hash.AppendData(b);
        }

        hash.AppendData(b, 0, i);
        for (i = p.Length; i > 0; i >>= 1)
        {
            hash.AppendData((i & 1) != 0 ? b : p);
        }

        var a = hash.GetHashAndReset();

        for (i = 0; i < p.Length; i++)
        {
            hash.AppendData(p);
        }

        var dp = hash.GetHashAndReset();
        var pBytes = Repeat(dp, p.Length);

        for (i = 0; i < 16 + a[0]; i++)
        {
            hash.AppendData(salt);
        }

        var ds = hash.GetHashAndReset();
        var sBytes = Repeat(ds, salt.Length);

        var c = a;
        for (var round = 0; round < rounds; round++)
        {
            hash.AppendData((round & 1) != 0 ? pBytes : c);
            if (round % 3 != 0)
            {
                hash.AppendData(sBytes);
            }

            if (round % 7 != 0)
            {
                hash.AppendData(pBytes);
            }

            hash.AppendData((round & 1) != 0 ? c : pBytes);
            c = hash.GetHashAndReset();
        }

        var output = new StringBuilder(sha512 ? 120 : 80);
        output.Append(sha512 ? "$6$" : "$5$");
        if (explicitRounds)
        {
            output.Append("rounds=").Append(rounds.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('$');
        }

        output.Append(saltText).Append('$');
        foreach (var (b2, b1, b0) in sha512 ? Sha512Order : Sha256Order)
        {
            Encode(output, c[b2], c[b1], c[b0], 4);
        }

        if (sha512)
        {
            Encode(output, 0, 0, c[63], 2);
        }
        else
        {
            Encode(output, 0, c[31], c[30], 3);
        }

        return output.ToString();
    }

    private static byte[] Repeat(byte[] digest, int length)
    {
        var result = new byte[length];
        for (var i = 0; i < length; i++)
        {
            result[i] = digest[i % digest.Length];
        }

        return result;
    }

    private static void Encode(StringBuilder output, byte b2, byte b1, byte b0, int count)
    {
        var w = (b2 << 16) | (b1 << 8) | b0;
        for (var i = 0; i < count; i++)
        {
            output.Append(Alphabet[w & 0x3f]);
            w >>= 6;
        }
    }
}
