using System.Globalization;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// Debian's dnsmasq as a name server on a free loopback UDP port: authoritative for `.test`, whose names come from
/// a hosts file of its own (an unknown one is NXDOMAIN), and nothing else. <see cref="SetAsync"/> rewrites the file
/// and makes dnsmasq read it again (SIGHUP). Killed by its id at dispose.
/// </summary>
internal sealed class DnsmasqPeer : IAsyncDisposable
{
    private readonly PeerProcess _process;
    private readonly string _hosts;

    private DnsmasqPeer(PeerProcess process, string hosts, int port)
    {
        _process = process;
        _hosts = hosts;
        Port = port;
    }

    public int Port { get; }

    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public static async Task<DnsmasqPeer> StartAsync(string hostsLines)
    {
        var dnsmasq = CommandRunner.Require("dnsmasq", "dnsmasq-base");
        var hosts = Path.Combine(Ports.TempDirectory(), "hosts");
        await File.WriteAllTextAsync(hosts, hostsLines);
        var port = Ports.FreeListeningPort();
        var process = PeerProcess.Start(dnsmasq, [
            "--keep-in-foreground", "--log-facility=-", "--log-queries", "--user=root", "--pid-file=",
            $"--port={port.ToString(CultureInfo.InvariantCulture)}", "--listen-address=127.0.0.1", "--bind-interfaces",
            "--no-resolv", "--no-hosts", "--local=/test/", $"--addn-hosts={hosts}", "--cache-size=0"]);
        var peer = new DnsmasqPeer(process, hosts, port);
        try
        {
            await process.WaitForLineAsync(l => l.Contains("read " + hosts, StringComparison.Ordinal)).WaitAsync(TestTimeout.Value);
        }
        catch (TimeoutException)
        {
            await peer.DisposeAsync();
            throw new InvalidOperationException("dnsmasq did not start:\n" + process.Output.Text);
        }

        return peer;
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
