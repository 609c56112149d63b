using System.Text;
using Sluice.Config.Keywords;
using Sluice.Rules.Auth;

namespace Sluice.Config.Sections;

/// <summary>The lines of a `userlist` section: `group NAME [users U,...]` and `user NAME [password HASH | insecure-password P] [groups G,...]`.</summary>
internal static class UserlistParser
{
    public static void Parse(KeywordContext ctx, Userlist list)
    {
        var keyword = ctx.Words[0];
        var name = ctx.Argument(0);
        if (keyword is not ("user" or "group"))
        {
            ctx.Alert($"unknown keyword '{keyword}' in 'userlist' section");
            return;
        }

        if (string.IsNullOrEmpty(name))
        {
            ctx.Alert($"'{keyword}': missing {keyword} name.");
            return;
        }

        if (keyword == "group")
        {
            var users = new List<string>();
            for (var i = 1; i < ctx.ArgumentCount; i += 2)
            {
                if (ctx.Argument(i) != "users" || ctx.Argument(i + 1) is not { } members)
                {
                    ctx.Alert($"'group' only supports 'users' option, got '{ctx.Argument(i)}'.");
                    return;
                }

                users.AddRange(members.Split(',', StringSplitOptions.RemoveEmptyEntries));
            }

            list.AddGroup(name, users);
            return;
        }

        string? hash = null;
        byte[]? plain = null;
        var groups = new List<string>();
        for (var i = 1; i < ctx.ArgumentCount; i += 2)
        {
            var option = ctx.Argument(i);
            var value = ctx.Argument(i + 1);
            if (value is null)
            {
                ctx.Alert($"'user {name}': '{option}' expects an argument.");
                return;
            }

            switch (option)
            {
                case "password":
                    if (!ShaCrypt.IsSupported(value) && !SystemCrypt.IsSupported(value))
                    {
                        ctx.Alert($"'user {name}': the system's crypt(3) does not support the password '{value}'; use another format or 'insecure-password'.");
                        return;
                    }

                    hash = value;
                    break;
                case "insecure-password":
                    plain = Encoding.UTF8.GetBytes(value);
                    break;
                case "groups":
                    groups.AddRange(value.Split(',', StringSplitOptions.RemoveEmptyEntries));
                    break;
                default:
                    ctx.Alert($"'user' only supports 'password', 'insecure-password' and 'groups' options, got '{option}'.");
                    return;
            }
        }

        list.AddUser(new UserEntry(name, hash, plain, groups));
    }
}
