using System.Text;

namespace Sluice.Integration.Fixtures;

/// <summary>A writer that keeps every line written to it and lets a test wait for a line.</summary>
internal sealed class LineCollector : TextWriter
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _partial = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Encoding Encoding => Encoding.UTF8;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public string Text => string.Join('\n', Lines);

    public override void Write(char value)
    {
        lock (_lock)
        {
            if (value == '\n')
            {
                AddLine(_partial.ToString().TrimEnd('\r'));
                _partial.Clear();
            }
            else
            {
                _partial.Append(value);
            }
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_lock)
        {
            _partial.Append(value);
            AddLine(_partial.ToString());
            _partial.Clear();
        }
    }

    public void AddLine(string line)
    {
        TaskCompletionSource changed;
        lock (_lock)
        {
            _lines.Add(line);
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    /// <summary>
    /// Waits for the `-d` line of a finished transaction of <paramref name="frontend"/> that ended with
    /// <paramref name="code"/>; lines of other transactions (readiness probes) are passed over.
    /// </summary>
    public async Task<string> WaitForTransactionAsync(string frontend, string code) =>
        (await WaitForAsync(l => l.Contains("[" + frontend + "]", StringComparison.Ordinal) && l.Contains(" " + code + " ", StringComparison.Ordinal)))[^1];

    /// <summary>Waits until <paramref name="count"/> lines match, bounded by the test timeout.</summary>
    public async Task<List<string>> WaitForAsync(Func<string, bool> match, int count = 1)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (true)
        {
            Task changed;
            List<string> found;
            lock (_lock)
            {
                found = _lines.Where(match).ToList();
                changed = _changed.Task;
            }

            if (found.Count >= count)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"expected {count} matching lines, saw {found.Count}:\n{Text}");
            }

            await Task.WhenAny(changed, Task.Delay(left));
        }
    }
}
