using System.Globalization;
using Sluice.Config.Keywords;
using Sluice.Config.Model;

namespace Sluice.Config.Sections;

/// <summary>
/// `cpu-map [auto:]PROCESS[/THREADS] CPUSET...` (configuration.txt §3.1). Sluice runs one process whose work is
/// spread over a shared thread pool, so a mapping cannot pin thread N to CPU N: the process as a whole is bound to
/// the union of the CPU sets mapped for process 1 (or all), which keeps it off the other CPUs as the mapping asks.
/// </summary>
internal static class CpuMapParser
{
    private const int MaxCpu = 1023;

    public static GlobalConfig? Parse(KeywordContext ctx, GlobalConfig global)
    {
        if (ctx.ArgumentCount < 2)
        {
            ctx.Alert("cpu-map : expects a process number followed by a CPU list.");
            return null;
        }

        var target = ctx.Argument(0)!;
        if (target.StartsWith("auto:", StringComparison.Ordinal))
        {
            target = target[5..];
        }

        var slash = target.IndexOf('/', StringComparison.Ordinal);
        var process = slash < 0 ? target : target[..slash];
        var threads = slash < 0 ? null : target[(slash + 1)..];
        if (!TryParseSet(process, 64, out var processes) || (threads is not null && !TryParseSet(threads, 64, out _)))
        {
            ctx.Alert($"cpu-map : invalid process/thread set '{ctx.Argument(0)}'.");
            return null;
        }

        var cpus = new SortedSet<int>();
        for (var i = 1; i < ctx.ArgumentCount; i++)
        {
            foreach (var part in ctx.Argument(i)!.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!TryParseRange(part, out var first, out var last) || last > MaxCpu)
                {
                    ctx.Alert($"cpu-map : '{part}' is not a CPU range.");
                    return null;
                }

                for (var cpu = first; cpu <= last; cpu++)
                {
                    cpus.Add(cpu);
                }
            }
        }

        // Only process 1 exists; lines for other processes change nothing, as in HAProxy 2.6 without nbproc.
        if (!processes.Contains(1))
        {
            return global;
        }

        var perThread = threads is not null and not "all";
        cpus.UnionWith(global.CpuMap?.Cpus ?? []);
        return global with { CpuMap = new CpuMapConfig([.. cpus], (global.CpuMap?.PerThread ?? false) || perThread) };
    }

    /// <summary>`all`, `odd`, `even`, `N` or `N-M` within 1..<paramref name="max"/>.</summary>
    private static bool TryParseSet(string text, int max, out HashSet<int> set)
    {
        set = [];
        switch (text)
        {
            case "all":
                set.UnionWith(Enumerable.Range(1, max));
                return true;
            case "odd":
                set.UnionWith(Enumerable.Range(1, max).Where(n => n % 2 == 1));
                return true;
            case "even":
                set.UnionWith(Enumerable.Range(1, max).Where(n => n % 2 == 0));
                return true;
        }

        if (!TryParseRange(text, out var first, out var last) || first < 1 || last > max)
        {
            return false;
        }

        set.UnionWith(Enumerable.Range(first, last - first + 1));
        return true;
    }

    private static bool TryParseRange(string text, out int first, out int last)
    {
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            last = 0;
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out first) && (last = first) == first;
        }

        return int.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out first)
            & int.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out last)
            && first <= last;
    }
}
