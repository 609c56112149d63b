namespace Sluice.Backends;

/// <summary>
/// A stick table's key: an address or an integer as a number (`type ip|ipv6|integer`), or a text (`type string`,
/// Latin-1, at most the table's `len` characters).
/// </summary>
internal readonly record struct StickKey(UInt128 Number, string? Text)
{
    public static StickKey Of(UInt128 number) => new(number, null);

    public static StickKey Of(string text) => new(0, text);
}

/// <summary>
/// Compares keys, and text keys with a span of characters, so that a request finds the entry of its text without
/// making a string of it (only a new entry does).
/// </summary>
internal sealed class StickKeyComparer : IEqualityComparer<StickKey>, IAlternateEqualityComparer<ReadOnlySpan<char>, StickKey>
{
    public static readonly StickKeyComparer Instance = new();

    public bool Equals(StickKey x, StickKey y) => x.Number == y.Number && string.Equals(x.Text, y.Text, StringComparison.Ordinal);

    public int GetHashCode(StickKey key) => key.Text is { } text ? string.GetHashCode(text.AsSpan()) : key.Number.GetHashCode();

    public bool Equals(ReadOnlySpan<char> alternate, StickKey other) => other.Text is { } text && alternate.SequenceEqual(text);

    public int GetHashCode(ReadOnlySpan<char> alternate) => string.GetHashCode(alternate);

    public StickKey Create(ReadOnlySpan<char> alternate) => StickKey.Of(alternate.ToString());
}
