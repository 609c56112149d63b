using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.Rules.Auth;

/// <summary>A user of a `userlist`: a crypt(3) hash or an `insecure-password`, and the groups it belongs to.</summary>
internal sealed record UserEntry(string Name, string? Hash, byte[]? Plain, IReadOnlyList<string> Groups);

/// <summary>
/// A `userlist` section: its users and groups, for `http_auth(L)`, `http_auth_group(L)` and
/// `http-request auth`. Built while the configuration loads.
/// </summary>
internal sealed class Userlist
{
    private readonly Dictionary<string, UserEntry> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _groups = new(StringComparer.Ordinal);
    private Dictionary<string, UserEntry>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public Userlist(string name)
    {
        Name = name;
        _lookup = _users.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public string Name { get; }

    public bool HasGroup(string group) => _groups.ContainsKey(group);

    public bool HasUser(string user) => _users.ContainsKey(user);

    public IEnumerable<UserEntry> Users => _users.Values;

    public void AddGroup(string group, IEnumerable<string> users)
    {
        if (!_groups.TryGetValue(group, out var members))
        {
            members = new HashSet<string>(StringComparer.Ordinal);
            _groups.Add(group, members);
        }

        members.UnionWith(users);
    }

    public void AddUser(UserEntry user)
    {
        _users[user.Name] = user;
        foreach (var group in user.Groups)
        {
            AddGroup(group, [user.Name]);
        }
    }

    /// <summary>The users that belong to any of <paramref name="groups"/>.</summary>
    public IEnumerable<string> MembersOf(IEnumerable<string> groups) =>
        groups.SelectMany(g => _groups.TryGetValue(g, out var members) ? members : []).Distinct(StringComparer.Ordinal);

    /// <summary>
    /// Checks `Authorization: Basic ...` credentials; on success the user name is the first
    /// <paramref name="userLength"/> bytes of <paramref name="decoded"/>.
    /// </summary>
    public bool Check(ReadOnlySpan<byte> authorization, Span<byte> decoded, out int userLength)
    {
        userLength = 0;
        if (authorization.Length < 6 || !Ascii.EqualsIgnoreCase(authorization[..6], "Basic "u8))
        {
            return false;
        }

        var encoded = authorization[6..].Trim((byte)' ');
        if (Base64.DecodeFromUtf8(encoded, decoded, out _, out var written) != System.Buffers.OperationStatus.Done)
        {
            return false;
        }

        var credentials = decoded[..written];
        var colon = credentials.IndexOf((byte)':');
        if (colon <= 0 || colon > 256)
        {
            return false;
        }

        Span<char> name = stackalloc char[colon];
        Encoding.Latin1.GetChars(credentials[..colon], name);
        if (!_lookup.TryGetValue(name, out var user))
        {
            return false;
        }

        var password = credentials[(colon + 1)..];
        var valid = user.Plain is { } plain
            ? CryptographicOperations.FixedTimeEquals(password, plain)
            : user.Hash is { } hash && (ShaCrypt.IsSupported(hash) ? ShaCrypt.Verify(password, hash) : SystemCrypt.Verify(password, hash));
        userLength = valid ? colon : 0;
        return valid;
    }
}

/// <summary>
/// The userlists of the configuration being loaded, so that fetches naming one (`http_auth(L)`) resolve it
/// while they are compiled. Each load (and each thread or flow loading) has its own, for the time of the load
/// only: left set, it would flow into every connection started afterwards, which would then all carry (and
/// keep alive) the load's userlists in their execution context.
/// </summary>
internal static class Userlists
{
    private static readonly AsyncLocal<Dictionary<string, Userlist>?> CurrentLoad = new();

    /// <summary>Starts a load's set of userlists; disposing the scope gives back the one before.</summary>
    public static IDisposable BeginLoad()
    {
        var previous = CurrentLoad.Value;
        CurrentLoad.Value = new Dictionary<string, Userlist>(StringComparer.Ordinal);
        return new Restore(previous);
    }

    public static Userlist Declare(string name)
    {
        var all = CurrentLoad.Value ??= new Dictionary<string, Userlist>(StringComparer.Ordinal);
        var list = new Userlist(name);
        all[name] = list;
        return list;
    }

    public static Userlist? Find(string name) => CurrentLoad.Value?.GetValueOrDefault(name);

    private sealed class Restore(Dictionary<string, Userlist>? previous) : IDisposable
    {
        public void Dispose() => CurrentLoad.Value = previous;
    }
}
