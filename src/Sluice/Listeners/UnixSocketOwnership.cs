using System.Globalization;
using System.Runtime.InteropServices;

namespace Sluice.Listeners;

/// <summary>
/// Applies `user`/`uid` and `group`/`gid` of a unix bind to the socket file. Names are looked up in
/// /etc/passwd and /etc/group (what getpwnam/getgrnam read on a plain system), numbers are taken as they are.
/// </summary>
internal static class UnixSocketOwnership
{
    /// <returns>Null on success, else the reason.</returns>
    public static string? Apply(string path, string? user, string? group)
    {
        if (user is null && group is null)
        {
            return null;
        }

        var uid = -1;
        var gid = -1;
        if (user is not null && !TryResolve(user, "/etc/passwd", out uid))
        {
            return string.Concat("unknown user '", user, "'");
        }

        if (group is not null && !TryResolve(group, "/etc/group", out gid))
        {
            return string.Concat("unknown group '", group, "'");
        }

        if (Chown(path, uid, gid) != 0)
        {
            return string.Concat("cannot change ownership (", Marshal.GetLastPInvokeErrorMessage(), ")");
        }

        return null;
    }

    private static bool TryResolve(string nameOrId, string database, out int id)
    {
        if (int.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out id))
        {
            return true;
        }

        id = -1;
        if (!File.Exists(database))
        {
            return false;
        }

        foreach (var line in File.ReadLines(database))
        {
            var fields = line.Split(':');
            if (fields.Length > 2 && fields[0] == nameOrId &&
                int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out id))
            {
                return true;
            }
        }

        return false;
    }

    private static int Chown(string path, int owner, int group)
    {
        // A NUL-terminated UTF-8 path, marshalled as a plain byte array: no unsafe code in the project for one call.
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(path) + 1];
        System.Text.Encoding.UTF8.GetBytes(path, bytes);
        return NativeChown(bytes, owner, group);
    }

#pragma warning disable SYSLIB1054 // LibraryImport would require AllowUnsafeBlocks for the whole project.
    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int NativeChown(byte[] path, int owner, int group);
#pragma warning restore SYSLIB1054
}
