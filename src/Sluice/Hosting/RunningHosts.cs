using System.Runtime.InteropServices;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.RuntimeApi;

namespace Sluice.Hosting;

/// <summary>
/// The running host, the hosts a reload replaced that still finish their connections, and the stop a signal
/// asked for, applied to all of them as soon as the first exists. Signal handlers and the master CLI run on
/// their own threads, hence the locks. This is what the master CLI shows as the master and its workers.
/// </summary>
internal sealed class RunningHosts : IMasterProcess
{
    public const int Graceful = -1;

    private readonly Lock _lock = new();
    private readonly Lock _reloadLock = new();
    private readonly List<Worker> _hosts = [];
    private readonly Func<SluiceConfig, DiagnosticBag, ProxyHost?, ProxyHost?> _start;
    private readonly Func<DiagnosticBag, SluiceConfig?>? _load;
    private readonly SystemdNotifier? _systemd;
    private Worker? _current;
    private int? _pending;
    private bool _stopping;
    private bool _graceBegun;

    /// <param name="start">Starts a configuration over the running one (its last argument), for a reload.</param>
    /// <param name="load">Reads the configuration files again; null where reloading is not offered.</param>
    public RunningHosts(Func<SluiceConfig, DiagnosticBag, ProxyHost?, ProxyHost?> start, Func<DiagnosticBag, SluiceConfig?>? load, SystemdNotifier? systemd)
    {
        _start = start;
        _load = load;
        _systemd = systemd;
    }

    public int ExitCode { get; private set; }

    public DateTime StartedUtc { get; } = DateTime.UtcNow;

    public int Reloads { get; private set; }

    public int FailedReloads { get; private set; }

    public bool LastReloadFailed { get; private set; }

    public ProxyHost? Current
    {
        get
        {
            lock (_lock)
            {
                return _current?.Host;
            }
        }
    }

    public void Request(PosixSignalContext context, int status)
    {
        context.Cancel = true;
        lock (_lock)
        {
            _stopping = true;
            if (_current is null)
            {
                _pending = status;
                return;
            }
        }

        Apply(status);
    }

    public void Attach(ProxyHost host)
    {
        int? pending;
        lock (_lock)
        {
            _current = new Worker(host, DateTime.UtcNow);
            _hosts.Add(_current);
            pending = _pending;
        }

        if (pending is { } status)
        {
            Apply(status);
        }
    }

    public IReadOnlyList<WorkerView> Workers()
    {
        lock (_lock)
        {
            var current = _current!;
            return [current.View, .. _hosts.Where(w => w != current && !w.Host.Completion.IsCompleted).Select(w => w.View)];
        }
    }

    /// <summary>
    /// Reads the configuration again and starts it over the running one. A configuration with errors, or
    /// one that cannot bind, leaves the running one as it is; every message goes to stderr, and is returned.
    /// </summary>
    public (bool Success, string Messages) Reload()
    {
        lock (_reloadLock)
        {
            lock (_lock)
            {
                if (_stopping || _current is null || _load is null)
                {
                    return (false, string.Empty);
                }
            }

            _systemd?.Reloading();
            var messages = new StringWriter();
            messages.WriteLine("[NOTICE] Reloading the configuration.");
            var diagnostics = new DiagnosticBag();
            ProxyHost? next = null;
            SluiceConfig? config = null;
            if (!ChrootJail.TryRunOutside(() => next = (config = _load(diagnostics)) is { } loaded ? _start(WarnOfChrootChange(loaded, diagnostics), diagnostics, Current) : null, out var refusal))
            {
                diagnostics.Add(new(DiagnosticSeverity.Alert, $"Cannot read the configuration again: {refusal}; start a new process with -x and -sf instead."));
            }

            diagnostics.WriteTo(messages);
            lock (_lock)
            {
                Reloads++;
                LastReloadFailed = next is null;
                if (next is null)
                {
                    FailedReloads++;
                }
                else
                {
                    _current = new Worker(next, DateTime.UtcNow);
                    _hosts.Add(_current);
                }
            }

            if (next is null)
            {
                messages.WriteLine("[ALERT] Reload failed: the running configuration stays.");
            }
            else
            {
                messages.WriteLine("[NOTICE] Reload done: new connections get the new configuration.");
                StopThoseReloadedTooOften(config!.Global.MworkerMaxReloads, messages);
            }

            _systemd?.Ready();
            var text = messages.ToString();
            Console.Error.Write(text);
            return (next is not null, text);
        }
    }

    /// <summary>
    /// Every replaced configuration still running has outlived one more reload; `mworker-max-reloads` stops at once
    /// those that outlived more than it allows, as HAProxy sends them SIGTERM.
    /// </summary>
    private void StopThoseReloadedTooOften(int? maxReloads, StringWriter messages)
    {
        List<Worker> expired = [];
        lock (_lock)
        {
            foreach (var worker in _hosts)
            {
                if (worker != _current && !worker.Host.Completion.IsCompleted && ++worker.Reloads > maxReloads)
                {
                    expired.Add(worker);
                }
            }
        }

        foreach (var worker in expired)
        {
            messages.WriteLine($"[NOTICE] A configuration replaced {worker.Reloads} reloads ago stops now, its connections with it ('mworker-max-reloads' is {maxReloads}).");
            worker.Host.StopNow();
        }
    }

    /// <summary>The process entered its chroot at start; a reload cannot move it elsewhere.</summary>
    private static SluiceConfig WarnOfChrootChange(SluiceConfig config, DiagnosticBag diagnostics)
    {
        if (config.Global.Chroot != ChrootJail.Directory)
        {
            diagnostics.Add(new(DiagnosticSeverity.Warning, $"'chroot' changed from '{ChrootJail.Directory ?? "(none)"}' to '{config.Global.Chroot ?? "(none)"}': a reload keeps the directory the process entered at start; restart to change it."));
        }

        return config;
    }

    /// <summary>Waits until the running host has stopped and every host a reload replaced has finished.</summary>
    public void WaitUntilStopped()
    {
        while (true)
        {
            var current = Current!;
            current.Completion.GetAwaiter().GetResult();
            ProxyHost[] all;

            // A reload retires the running host while it starts the next one, before it makes that one current: a
            // host without connections can finish in between. The reload's lock waits for it to be done.
            lock (_reloadLock)
            lock (_lock)
            {
                if (!ReferenceEquals(current, _current?.Host))
                {
                    continue;
                }

                all = [.. _hosts.Select(w => w.Host)];
            }

            Task.WhenAll(all.Select(h => h.Completion)).GetAwaiter().GetResult();
            return;
        }
    }

    private void Apply(int status)
    {
        _systemd?.Stopping();
        ProxyHost[] all;
        TimeSpan? grace;
        lock (_lock)
        {
            all = [.. _hosts.Select(w => w.Host)];
            grace = status == Graceful && !_graceBegun ? _current!.Host.Grace : null;
            _graceBegun |= grace is not null;
        }

        if (grace is { } delay)
        {
            // HAProxy's `grace`: stopping is reported at once, listeners go on accepting until the delay ends.
            foreach (var host in all)
            {
                host.Stats?.Stopping = true;
            }

            Console.Error.WriteLine($"[NOTICE] Scheduling a soft-stop in {(long)delay.TotalMilliseconds} ms.");
            _ = Task.Delay(delay).ContinueWith(
                _ =>
                {
                    Console.Error.WriteLine("[NOTICE] Grace period expired, proceeding with soft-stop now.");
                    Apply(Graceful);
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return;
        }

        foreach (var host in all)
        {
            if (status == Graceful)
            {
                _ = host.StopGracefullyAsync();
            }
            else
            {
                ExitCode = status;
                host.StopNow();
            }
        }
    }

    /// <summary>One configuration started at start-up or by a reload, and the reloads it outlived.</summary>
    private sealed class Worker(ProxyHost host, DateTime startedUtc)
    {
        public ProxyHost Host { get; } = host;

        public int Reloads { get; set; }

        public WorkerView View => new(Host.Stats!, startedUtc, Reloads);
    }
}
