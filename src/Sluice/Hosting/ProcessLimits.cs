using System.Globalization;
using System.Runtime.InteropServices;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;

namespace Sluice.Hosting;

/// <summary>
/// The process-wide settings of the global section that need the C library: <c>ulimit-n</c> (with
/// <c>strict-limits</c>) before the listeners open, and <c>user</c>/<c>group</c>/<c>uid</c>/<c>gid</c> after.
/// </summary>
internal static class ProcessLimits
{
    private const int RlimitNoFile = 7;

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setrlimit(int resource, in ResourceLimit limit);

    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, out ResourceLimit limit);

    [DllImport("libc", SetLastError = true)]
    private static extern int setuid(uint uid);

    [DllImport("libc", SetLastError = true)]
    private static extern int setgid(uint gid);

    [DllImport("libc", SetLastError = true)]
    private static extern int setgroups(nuint size, IntPtr list);

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>Sends <paramref name="signal"/> to each process; one that is gone already is skipped, as in HAProxy.</summary>
    public static void Signal(IEnumerable<int> pids, int signal)
    {
        foreach (var pid in pids)
        {
            _ = SendSignal(pid, signal);
        }
    }

    public static bool Apply(GlobalConfig global, DiagnosticBag diagnostics)
    {
        if (global.UlimitN is not { } wanted)
        {
            return true;
        }

        var limit = new ResourceLimit { Current = (ulong)wanted, Maximum = (ulong)wanted };
        if (getrlimit(RlimitNoFile, out var current) == 0 && current.Maximum > limit.Maximum)
        {
            limit.Maximum = current.Maximum;
        }

        if (setrlimit(RlimitNoFile, limit) == 0)
        {
            return true;
        }

        var message = $"[sluice.main()] Cannot raise FD limit to {wanted}: {Marshal.GetLastPInvokeErrorMessage()}.";
        if (global.StrictLimits)
        {
            diagnostics.Add(new(DiagnosticSeverity.Alert, message));
            return false;
        }

        diagnostics.Add(new(DiagnosticSeverity.Warning, message));
        return true;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int sched_setaffinity(int pid, nint size, byte[] mask);

    /// <summary>
    /// `cpu-map`: binds every thread of the process to the mapped CPUs; threads made later inherit the binding.
    /// The thread pool shares work between its threads, so they are not pinned one by one.
    /// </summary>
    public static void BindCpus(GlobalConfig global, DiagnosticBag diagnostics)
    {
        if (global.CpuMap is not { } map || map.Cpus.Count == 0)
        {
            return;
        }

        var mask = new byte[128];
        foreach (var cpu in map.Cpus)
        {
            mask[cpu / 8] |= (byte)(1 << (cpu % 8));
        }

        var list = string.Join(',', map.Cpus);
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var tid) && sched_setaffinity(tid, mask.Length, mask) != 0)
            {
                diagnostics.Add(new(DiagnosticSeverity.Warning, $"cpu-map : cannot bind the process to CPUs {list}: {Marshal.GetLastPInvokeErrorMessage()}."));
                return;
            }
        }

        if (map.PerThread)
        {
            diagnostics.Add(new(DiagnosticSeverity.Warning, $"cpu-map : the process is bound to CPUs {list}, the union of the mapped sets: its threads share their work and are not pinned one by one."));
        }
    }

    /// <summary>
    /// The ids of <c>user</c>/<c>group</c> (or <c>uid</c>/<c>gid</c>), looked up while /etc/passwd and /etc/group are
    /// still reachable (before a chroot); null after reporting a name that does not exist.
    /// </summary>
    public static ProcessIdentity? ResolveIdentity(GlobalConfig global, DiagnosticBag diagnostics)
    {
        var gid = global.Gid ?? (global.Group is { } group ? LookUp("/etc/group", group) : null);
        var uid = global.Uid ?? (global.User is { } user ? LookUp("/etc/passwd", user) : null);
        if (global.Group is not null && gid is null)
        {
            diagnostics.Add(new(DiagnosticSeverity.Alert, $"[sluice.main()] Cannot find group '{global.Group}'."));
            return null;
        }

        if (global.User is not null && uid is null)
        {
            diagnostics.Add(new(DiagnosticSeverity.Alert, $"[sluice.main()] Cannot find user '{global.User}'."));
            return null;
        }

        return new ProcessIdentity(uid, gid);
    }

    public static bool DropPrivileges(ProcessIdentity identity, DiagnosticBag diagnostics)
    {
        var (uid, gid) = identity;
        if (gid is { } g && ((geteuid() == 0 && setgroups(0, IntPtr.Zero) != 0) || setgid((uint)g) != 0))
        {
            diagnostics.Add(new(DiagnosticSeverity.Alert, $"[sluice.main()] Cannot set gid {g}: {Marshal.GetLastPInvokeErrorMessage()}."));
            return false;
        }

        if (uid is { } u && setuid((uint)u) != 0)
        {
            diagnostics.Add(new(DiagnosticSeverity.Alert, $"[sluice.main()] Cannot set uid {u}: {Marshal.GetLastPInvokeErrorMessage()}."));
            return false;
        }

        return true;
    }

    /// <summary>Finds a name in /etc/passwd or /etc/group (third field is the id), as getpwnam/getgrnam do for local accounts.</summary>
    private static int? LookUp(string file, string name)
    {
        foreach (var line in File.ReadLines(file))
        {
            var fields = line.Split(':');
            if (fields.Length > 2 && fields[0] == name && int.TryParse(fields[2], out var id))
            {
                return id;
            }
        }

        return null;
    }
}

/// <summary>The user and group ids the process runs as once its listeners are bound; null keeps the current one.</summary>
internal readonly record struct ProcessIdentity(int? Uid, int? Gid);
