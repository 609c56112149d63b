using Sluice.Rules.Auth;

namespace Sluice.Rules.Samples;

/// <summary>
/// `http_auth(L)`: whether the request's Basic credentials are valid in userlist L. `http_auth_group(L)`: the
/// user name when they are; an ACL on it lists groups, which the ACL parser turns into their members.
/// </summary>
internal sealed class AuthFetch : SingleValueFetch
{
    private static readonly byte[] Authorization = "authorization"u8.ToArray();

    private AuthFetch(Userlist list, bool group)
    {
        List = list;
        ReturnsUser = group;
    }

    public Userlist List { get; }

    public bool ReturnsUser { get; }

    public override SampleType OutputType => ReturnsUser ? SampleType.Str : SampleType.Bool;

    public static AuthFetch? Create(SampleArguments arguments, bool group)
    {
        var name = arguments.RequiredString(0);
        if (arguments.Error is not null)
        {
            return null;
        }

        if (Userlists.Find(name) is not { } list)
        {
            arguments.Fail($"unable to find userlist '{name}'");
            return null;
        }

        return new AuthFetch(list, group);
    }

    protected override Sample FetchOne(SampleContext ctx)
    {
        var headers = ctx.Request?.Headers;
        var slot = headers?.IndexOf(Authorization) ?? -1;
        if (slot < 0)
        {
            return ReturnsUser ? default : Sample.FromBool(false);
        }

        var value = headers!.Value(slot);
        Span<byte> decoded = stackalloc byte[Math.Min(1024, value.Length)];
        if (value.Length > 1024 + 6 || !List.Check(value, decoded, out var userLength))
        {
            return ReturnsUser ? default : Sample.FromBool(false);
        }

        if (!ReturnsUser)
        {
            return Sample.FromBool(true);
        }

        if (!ctx.TryReserve(userLength, out var buffer, out var offset))
        {
            return default;
        }

        decoded[..userLength].CopyTo(buffer.AsSpan(offset));
        return Sample.FromString(buffer, offset, userLength);
    }
}
