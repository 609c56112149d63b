using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Logs;

/// <summary>A syslog receiver on a loopback UDP port or a unix datagram socket: every datagram becomes a line.</summary>
internal sealed class SyslogListener : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();

    private SyslogListener(Socket socket)
    {
        _socket = socket;
        _ = ReceiveAsync();
    }

    public LineCollector Lines { get; } = new();

    /// <summary>Raw datagrams, byte for byte (the trailing newline included).</summary>
    public List<byte[]> Datagrams { get; } = [];

    public int Port => ((IPEndPoint)_socket.LocalEndPoint!).Port;

    public static SyslogListener Udp(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return new SyslogListener(socket);
    }

    public static SyslogListener Unix(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return new SyslogListener(socket);
    }

    /// <summary>A unix datagram socket that never reads: its queue fills, and senders then fail or wait.</summary>
    public static Socket Deaf(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[70000];
        while (!_stop.IsCancellationRequested)
        {
            int read;
            try
            {
                read = await _socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (Datagrams)
            {
                Datagrams.Add(buffer[..read]);
            }

            Lines.AddLine(Encoding.Latin1.GetString(buffer, 0, read).TrimEnd('\n'));
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Debian's haproxy run on the same configuration as Sluice, the reference for the log lines.</summary>
internal static class LogPeers
{
    /// <summary>Starts `haproxy -db -f` on <paramref name="config"/> and waits until <paramref name="port"/> accepts.</summary>
    public static async Task<PeerProcess> StartHAProxyAsync(string config, int port)
    {
        var directory = Ports.TempDirectory();
        var path = Path.Combine(directory, "haproxy.cfg");
        await File.WriteAllTextAsync(path, config);
        var haproxy = PeerProcess.Start(CommandRunner.Require("haproxy", "haproxy"), ["-db", "-f", path]);
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (true)
        {
            if (haproxy.HasExited)
            {
                await Task.Delay(200);
                throw new InvalidOperationException("haproxy exited: " + haproxy.Output.Text);
            }

            try
            {
                using var socket = await TestClient.ConnectTcpAsync(port);
                return haproxy;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>
    /// An httplog frontend on <paramref name="port"/> logging to the UDP syslog port <paramref name="syslog"/>, whose
    /// `backend be` holds <paramref name="backendLines"/>: one configuration for haproxy and Sluice alike.
    /// </summary>
    public static string HttpLogConfig(int syslog, int port, string backendLines) => $"""
        global
            log 127.0.0.1:{HAProxyPeer.Port(syslog)} format raw local0
        defaults
            mode http
            log global
            option httplog
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        frontend fe
            bind 127.0.0.1:{HAProxyPeer.Port(port)}
            default_backend be
        backend be
        {backendLines}
        """ + "\n";

    public static async Task<CommandResult> CurlAsync(params string[] arguments) =>
        await CommandRunner.RunAsync(CommandRunner.Require("curl", "curl"), ["-sS", "--max-time", "20", "-o", "/dev/null", .. arguments], timeout: TimeSpan.FromSeconds(30));

    /// <summary>
    /// A log line with what legitimately differs between two runs replaced: the client port, the dates, the
    /// timers (whose count and `+` prefixes stay), and the process id.
    /// </summary>
    public static string Normalize(string line)
    {
        line = Regex.Replace(line, @"^127\.0\.0\.1:\d+ ", "127.0.0.1:PORT ");
        line = Regex.Replace(line, @"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d(\.\d{3}| [+-]\d{4})\]", "[DATE]");
        return Regex.Replace(line, @"^(127\.0\.0\.1:PORT \[DATE\] \S+ \S+ )(\S+)", m => m.Groups[1].Value + Regex.Replace(m.Groups[2].Value, @"\d+", "T"));
    }

    /// <summary>
    /// <see cref="Normalize"/>, and the connection counts `%ac/%fc/%bc/%sc` of the httplog/tcplog layouts replaced
    /// (retries stay): they depend on when each program saw the previous clients' connections close, which a loaded
    /// machine delays.
    /// </summary>
    public static string NormalizeWithoutCounts(string line) =>
        Regex.Replace(Normalize(line), @" \d+/\d+/\d+/\d+/(\+?\d+) ", " C/C/C/C/$1 ");

    /// <summary>The timers of a line in the httplog/tcplog layouts, as numbers.</summary>
    public static long[] Timers(string line)
    {
        var match = Regex.Match(line, @"\] \S+ \S+ ((?:\+?-?\d+/)+\+?-?\d+) ");
        Assert.True(match.Success, line);
        return [.. match.Groups[1].Value.Split('/').Select(t => long.Parse(t.TrimStart('+'), CultureInfo.InvariantCulture))];
    }
}
