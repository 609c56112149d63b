using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sluice.Listeners;

/// <summary>
/// `namespace NAME`: makes sockets in the network namespace /var/run/netns/NAME (as `ip netns` names them). A
/// socket stays in the namespace it was made in, so only its creation runs there: the calling thread enters the
/// namespace and goes back to its own when the scope ends.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private readonly SafeFileHandle _original;

    private NetworkNamespace(SafeFileHandle original) => _original = original;

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(SafeFileHandle fd, int nstype);

    /// <summary>Moves the calling thread into namespace <paramref name="name"/>; null and a reason when it cannot.</summary>
    public static NetworkNamespace? Enter(string name, out string? error)
    {
        error = null;
        SafeFileHandle original;
        SafeFileHandle target;
        try
        {
            original = File.OpenHandle("/proc/thread-self/ns/net");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = ex.Message;
            return null;
        }

        try
        {
            target = File.OpenHandle(Path.Combine("/var/run/netns", name));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            original.Dispose();
            error = ex is FileNotFoundException ? "No such file or directory" : ex.Message;
            return null;
        }

        using (target)
        {
            if (setns(target, CloneNewNet) != 0)
            {
                error = Marshal.GetLastPInvokeErrorMessage();
                original.Dispose();
                return null;
            }
        }

        return new NetworkNamespace(original);
    }

    public void Dispose()
    {
        // Going back cannot fail for a namespace the thread was in a moment ago.
        _ = setns(_original, CloneNewNet);
        _original.Dispose();
    }
}
