using System.Diagnostics;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// A peer program that runs beside a test (nginx, a python server): started with its output collected line by
/// line, and stopped at dispose by killing the process it started, by its id, never by name.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private PeerProcess(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    /// <summary>Everything the program printed, stdout and stderr interleaved.</summary>
    public LineCollector Output { get; } = new();

    public int ProcessId => _process.Id;

    public string Description { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static PeerProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start " + fileName);
        var peer = new PeerProcess(process, fileName + " " + string.Join(' ', info.ArgumentList));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { peer.Output.AddLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { peer.Output.AddLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return peer;
    }

    /// <summary>Waits for a line that <paramref name="match"/> accepts; fails at once if the program exits first.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match)
    {
        var found = Output.WaitForAsync(match);
        var exited = _process.WaitForExitAsync();
        var first = await Task.WhenAny(found, exited);
        if (first == exited && !found.IsCompleted)
        {
            // Give the output readers a moment to deliver the last lines.
            await Task.WhenAny(found, Task.Delay(200));
            if (!found.IsCompleted)
            {
                throw new InvalidOperationException($"{Description} exited with {_process.ExitCode}:\n{Output.Text}");
            }
        }

        return (await found)[0];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
            }

            await _process.WaitForExitAsync(TestTimeout.Token());
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
