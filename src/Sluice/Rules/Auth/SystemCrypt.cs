using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.Rules.Auth;

/// <summary>
/// The C library's crypt(3), for the password formats Sluice does not compute itself (MD5 `$1$`, bcrypt `$2b$`,
/// yescrypt `$y$`, DES, ...): HAProxy calls the same function, so a userlist accepts what the system's libcrypt
/// (libxcrypt on Debian) accepts. `crypt_rn` keeps its state in a buffer of ours, so calls from several threads
/// do not share any.
/// </summary>
internal static class SystemCrypt
{
    /// <summary>libxcrypt's `sizeof(struct crypt_data)`.</summary>
    private const int DataSize = 32768;

    /// <summary>True when the system's crypt understands <paramref name="hash"/> as a setting (its method and salt).</summary>
    public static bool IsSupported(string hash) => Compute("x"u8, hash) is not null;

    /// <summary>Whether <paramref name="password"/> hashes to <paramref name="hash"/>; compared in fixed time.</summary>
    public static bool Verify(ReadOnlySpan<byte> password, string hash) =>
        Compute(password, hash) is { } computed
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(computed), Encoding.ASCII.GetBytes(hash));

    /// <summary>crypt(password, setting), or null when the library refuses the setting or is missing.</summary>
    public static string? Compute(ReadOnlySpan<byte> password, string setting)
    {
        // Allocates: a crypt(3) call costs far more (bcrypt and yescrypt are slow on purpose).
        var phrase = new byte[password.Length + 1];
        password.CopyTo(phrase);
        var settingBytes = new byte[Encoding.ASCII.GetByteCount(setting) + 1];
        Encoding.ASCII.GetBytes(setting, settingBytes);
        var data = new byte[DataSize];
        try
        {
            var result = CryptRn(phrase, settingBytes, data, DataSize);
            var text = result == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(result);
            // libxcrypt reports a failure with a string starting with '*' ("*0", "*1").
            return text is null || text.StartsWith('*') ? null : text;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(phrase);
            CryptographicOperations.ZeroMemory(data);
        }
    }

#pragma warning disable SYSLIB1054 // LibraryImport would require AllowUnsafeBlocks for the whole project.
    [DllImport("libcrypt.so.1", EntryPoint = "crypt_rn")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr CryptRn(byte[] phrase, byte[] setting, byte[] data, int size);
#pragma warning restore SYSLIB1054
}
