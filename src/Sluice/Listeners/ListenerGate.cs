namespace Sluice.Listeners;

/// <summary>
/// Pauses the accept loops of one frontend (`disable frontend` on the runtime API) and resumes them: while paused,
/// new connections wait in the kernel's backlog, as with HAProxy's paused listeners.
/// </summary>
internal sealed class ListenerGate
{
    private TaskCompletionSource? _resumed;

    public bool Paused => Volatile.Read(ref _resumed) is not null;

    public void Pause() => Interlocked.CompareExchange(ref _resumed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);

    public void Resume() => Interlocked.Exchange(ref _resumed, null)?.TrySetResult();

    /// <summary>Completes at once when not paused, else when resumed or cancelled.</summary>
    public Task WaitOpenAsync(CancellationToken cancellationToken) =>
        Volatile.Read(ref _resumed) is { } resumed ? resumed.Task.WaitAsync(cancellationToken) : Task.CompletedTask;
}
