using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Hosting;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// Sluice in the test process: the configuration loader and <see cref="ProxyHost"/>, as the program runs them,
/// with the `-d` transaction lines collected. Scenarios run against the real program by default; set
/// SLUICE_TEST_IN_PROCESS=1 to run them in the test process, where a debugger can follow them.
/// </summary>
internal sealed class InProcessSluice : ISluiceInstance
{
    private readonly string _directory;

    private InProcessSluice(ProxyHost host, string directory)
    {
        Host = host;
        _directory = directory;
    }

    public LineCollector Output { get; private init; } = new();

    public ProxyHost Host { get; }

    public static async Task<ISluiceInstance> StartAsync(string config, params ReadyProbe[] ready)
    {
        if (Environment.GetEnvironmentVariable("SLUICE_TEST_IN_PROCESS") == "1")
        {
            return Start(config);
        }

        return await SluiceProcess.StartAsync(config, ready);
    }

    public static InProcessSluice Start(string config)
    {
        var directory = Ports.TempDirectory();
        var path = Path.Combine(directory, "sluice.cfg");
        File.WriteAllText(path, config);
        var diagnostics = new DiagnosticBag();
        var model = ConfigLoader.Load([path], Environment.GetEnvironmentVariable, diagnostics);
        if (model is null)
        {
            throw new InvalidOperationException("configuration rejected:\n" + Format(diagnostics));
        }

        var output = new LineCollector();
        var host = ProxyHost.Start(model, diagnostics, output)
            ?? throw new InvalidOperationException("start failed:\n" + Format(diagnostics));
        return new InProcessSluice(host, directory) { Output = output };
    }

    public async ValueTask DisposeAsync()
    {
        Host.StopNow();
        await Host.Completion.WaitAsync(TestTimeout.Value);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Format(DiagnosticBag diagnostics)
    {
        var writer = new StringWriter();
        diagnostics.WriteTo(writer);
        return writer.ToString();
    }
}
