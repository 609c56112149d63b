using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Sluice.Config.Diagnostics;

namespace Sluice.Hosting;

/// <summary>
/// The global <c>chroot</c> keyword: once the listeners are bound, and before privileges are dropped, the process
/// changes its root to the directory, as HAProxy does. From then on every path the process opens is looked up
/// inside it: a <c>log /dev/log</c> target reaches <c>DIR/dev/log</c>, a unix-socket server <c>DIR/PATH</c>.
/// HAProxy is C and has every piece of code in memory before it enters the directory; .NET loads assemblies,
/// native libraries and the time zone lazily, so all of them are brought in first.
/// </summary>
/// <remarks>
/// A reload (SIGUSR2) reads configuration, certificate and map files from the real file system: while still root,
/// the process steps back to the real root it kept open, loads the new configuration and returns into the
/// directory (a root process can always leave a chroot, so this weakens nothing). Once <c>user</c>/<c>uid</c>
/// has dropped root it cannot, and the reload is refused with that reason; a new process started with
/// <c>-x</c> and <c>-sf</c>, as with HAProxy, replaces it instead.
/// </remarks>
internal static class ChrootJail
{
    private const int OpenReadOnly = 0;
    private const int OpenDirectory = 0x10000;
    private const int OpenCloseOnExec = 0x80000;

    private static readonly Lock Gate = new();
    private static string? _directory;
    private static int _realRoot = -1;
    private static int _startDirectory = -1;

    [DllImport("libc", EntryPoint = "chroot", SetLastError = true)]
    private static extern int ChangeRoot(string path);

    [DllImport("libc", EntryPoint = "chdir", SetLastError = true)]
    private static extern int ChangeDirectory(string path);

    [DllImport("libc", EntryPoint = "fchdir", SetLastError = true)]
    private static extern int ChangeDirectory(int fd);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(string path, int flags);

    /// <summary>The directory the process is confined to, or null.</summary>
    public static string? Directory
    {
        get
        {
            lock (Gate)
            {
                return _directory;
            }
        }
    }

    /// <summary>Loads what would otherwise be loaded from the file system later, then enters <paramref name="directory"/>.</summary>
    public static bool Enter(string directory, DiagnosticBag diagnostics)
    {
        LoadEverythingAhead();
        // Relative paths (`-f haproxy.cfg`, `crt site.pem`) are read again at a reload from where the process started.
        var realRoot = Open("/", OpenReadOnly | OpenDirectory | OpenCloseOnExec);
        var startDirectory = Open(".", OpenReadOnly | OpenDirectory | OpenCloseOnExec);
        if (realRoot < 0 || startDirectory < 0 || ChangeRoot(directory) != 0 || ChangeDirectory("/") != 0)
        {
            diagnostics.Add(new(DiagnosticSeverity.Alert, $"[sluice.main()] Cannot chroot({directory})."));
            return false;
        }

        lock (Gate)
        {
            _directory = directory;
            _realRoot = realRoot;
            _startDirectory = startDirectory;
        }

        return true;
    }

    /// <summary>
    /// Runs <paramref name="action"/> with the real root when the process is confined, and enters the directory
    /// again afterwards. Returns false with the reason when the process may no longer leave the directory.
    /// </summary>
    public static bool TryRunOutside(Action action, out string? refusal)
    {
        lock (Gate)
        {
            refusal = null;
            if (_directory is null)
            {
                action();
                return true;
            }

            if (ChangeDirectory(_realRoot) != 0 || ChangeRoot(".") != 0 || ChangeDirectory(_startDirectory) != 0)
            {
                refusal = $"the process is confined to chroot({_directory}) and may not leave it ({Marshal.GetLastPInvokeErrorMessage()})";
                _ = ChangeDirectory("/");
                return false;
            }

            try
            {
                action();
            }
            finally
            {
                if (ChangeRoot(_directory) != 0 || ChangeDirectory("/") != 0)
                {
                    // Staying outside silently would undo what the configuration asked for.
                    Console.Error.WriteLine($"[ALERT] [sluice.main()] Cannot chroot({_directory}) again after a reload: exiting.");
                    Environment.Exit(1);
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Every assembly the program can reach, the native libraries behind cryptography and crypt(3) (through a first
    /// call, which binds them as later calls will) and the local time zone (log dates) are loaded now; the runtime
    /// keeps them once loaded.
    /// </summary>
    private static void LoadEverythingAhead()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>();
        pending.Push(typeof(ChrootJail).Assembly);
        foreach (var name in LazyRuntimeAssemblies)
        {
            TryLoad(new AssemblyName(name), pending);
        }

        while (pending.TryPop(out var assembly))
        {
            if (!seen.Add(assembly.FullName!))
            {
                continue;
            }

            foreach (var reference in assembly.GetReferencedAssemblies())
            {
                if (!seen.Contains(reference.FullName))
                {
                    TryLoad(reference, pending);
                }
            }
        }

        _ = TimeZoneInfo.Local.GetUtcOffset(DateTime.UtcNow);
        _ = SHA256.HashData([0]);
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            _ = key.ExportSubjectPublicKeyInfo();
        }

        _ = Rules.Auth.SystemCrypt.IsSupported("$1$chroot$");
    }

    private static void TryLoad(AssemblyName name, Stack<Assembly> pending)
    {
        try
        {
            pending.Push(Assembly.Load(name));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            // A reference no code path reaches on this platform (the runtime resolves it the same way later).
        }
    }

    /// <summary>Assemblies the runtime loads by itself rather than through a reference: stack traces with line numbers.</summary>
    private static readonly string[] LazyRuntimeAssemblies =
    [
        "System.Diagnostics.StackTrace", "System.Reflection.Metadata", "System.Collections.Immutable", "System.Private.Uri",
    ];
}
