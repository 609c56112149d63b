using System.Net;
using System.Net.Sockets;
using Sluice.Config;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Hosting;
using Sluice.TestKit.Network;

namespace Sluice.Tests.Hosting;

public sealed class RunningHostsTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly string _dir = Directory.CreateTempSubdirectory("sluice-running-hosts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Reload_ReplacedHostFinishesBeforeItsSuccessorIsCurrent_ProcessWaitsForTheSuccessor()
    {
        var port = Ports.FreeListeningPort();
        var path = Path.Combine(_dir, "sluice.cfg");
        File.WriteAllText(path, $"""
            defaults
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 1s
            frontend f
                bind 127.0.0.1:{port}
                default_backend b
            backend b
                server s 127.0.0.1:9
            """);
        SluiceConfig? Load(DiagnosticBag diagnostics) => ConfigLoader.Load([path], _ => null, diagnostics);

        // The replaced host has no connection, so it finishes as soon as it is retired; the start waits for that
        // before it returns, which is before the reload makes the new host current.
        var running = new RunningHosts(
            (config, diagnostics, predecessor) =>
            {
                var host = ProxyHost.Start(config, diagnostics, predecessor: predecessor);
                predecessor?.Completion.Wait(Wait);
                return host;
            },
            Load,
            systemd: null);
        var first = ProxyHost.Start(Load(new DiagnosticBag())!, new DiagnosticBag())!;
        running.Attach(first);
        var process = Task.Factory.StartNew(running.WaitUntilStopped, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        Assert.True(running.Reload().Success);
        Assert.True(first.Completion.IsCompleted);
        await Task.Delay(300);
        Assert.False(process.IsCompleted, "the process ended with its replaced host while the new one runs");
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)).WaitAsync(Wait);
        }

        running.Current!.StopNow();
        await process.WaitAsync(Wait);
    }
}
