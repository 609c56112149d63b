using System.Globalization;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// Debian's dnsmasq as a name server on a free loopback UDP port: authoritative for `.test`, whose names come from
/// a hosts file of its own (an unknown one is NXDOMAIN), and SRV records from a configuration file of its own
/// (`srv-host=` lines; dnsmasq gives the addresses it knows of their targets as additional records), and nothing
/// else. <see cref="SetAsync"/> rewrites the hosts file and makes dnsmasq read it again (SIGHUP);
/// <see cref="SetServicesAsync"/> rewrites the SRV records and starts dnsmasq again on the same port, as it reads
/// them only at start-up. Killed by its id at dispose.
/// </summary>
internal sealed class DnsmasqPeer : IAsyncDisposable
{
    private readonly string _hosts;
    private readonly string _services;
    private PeerProcess _process;

    private DnsmasqPeer(PeerProcess process, string hosts, string services, int port)
    {
        _process = process;
        _hosts = hosts;
        _services = services;
        Port = port;
    }

    public int Port { get; }

    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <param name="serviceLines">dnsmasq's `srv-host=_service._proto.name,target,port,priority,weight` lines.</param>
    public static async Task<DnsmasqPeer> StartAsync(string hostsLines, string serviceLines = "")
    {
        var directory = Ports.TempDirectory();
        var hosts = Path.Combine(directory, "hosts");
        var services = Path.Combine(directory, "services.conf");
        await File.WriteAllTextAsync(hosts, hostsLines);
        await File.WriteAllTextAsync(services, serviceLines);
        var port = Ports.FreeListeningPort();
        return new DnsmasqPeer(await LaunchAsync(port, hosts, services), hosts, services, port);
    }

    private static async Task<PeerProcess> LaunchAsync(int port, string hosts, string services)
    {
        var dnsmasq = CommandRunner.Require("dnsmasq", "dnsmasq-base");
        var process = PeerProcess.Start(dnsmasq, [
            "--keep-in-foreground", "--log-facility=-", "--log-queries", "--user=root", "--pid-file=",
            $"--port={port.ToString(CultureInfo.InvariantCulture)}", "--listen-address=127.0.0.1", "--bind-interfaces",
            "--no-resolv", "--no-hosts", "--local=/test/", $"--addn-hosts={hosts}", "--cache-size=0", $"--conf-file={services}"]);
        try
        {
            await process.WaitForLineAsync(l => l.Contains("read " + hosts, StringComparison.Ordinal)).WaitAsync(TestTimeout.Value);
        }
        catch (TimeoutException)
        {
            await process.DisposeAsync();
            throw new InvalidOperationException("dnsmasq did not start:\n" + process.Output.Text);
        }

        return process;
    }

    /// <summary>Replaces the SRV records (`srv-host=` lines) and the hosts file, and starts dnsmasq again with them on the same port.</summary>
    public async Task SetServicesAsync(string serviceLines, string hostsLines)
    {
        await _process.DisposeAsync();
        await File.WriteAllTextAsync(_services, serviceLines);
        await File.WriteAllTextAsync(_hosts, hostsLines);
        _process = await LaunchAsync(Port, _hosts, _services);
    }

    /// <summary>Replaces the hosts file (`IP NAME` lines) and waits until dnsmasq has read it again.</summary>
    public async Task SetAsync(string hostsLines)
    {
        var reads = _process.Output.Lines.Count(l => l.Contains("read " + _hosts, StringComparison.Ordinal));
        await File.WriteAllTextAsync(_hosts, hostsLines);
        var kill = await CommandRunner.RunAsync("kill", ["-HUP", _process.ProcessId.ToString(CultureInfo.InvariantCulture)]);
        Assert.Equal(0, kill.ExitCode);
        await _process.Output.WaitForAsync(l => l.Contains("read " + _hosts, StringComparison.Ordinal), reads + 1);
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
