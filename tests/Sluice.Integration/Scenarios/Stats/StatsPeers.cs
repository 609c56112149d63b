using System.Globalization;
using System.Net.Sockets;
using Sluice.Integration.Fixtures;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Scenarios.Stats;

/// <summary>
/// The real clients of the stats tests: socat on the runtime API (as operators use it), curl on the stats page
/// and the exporter, and Debian's haproxy 2.6 run as the oracle with the same configuration. A missing program
/// fails the test.
/// </summary>
internal static class StatsPeers
{
    /// <summary>
    /// `echo INPUT | socat -t 30 stdio ADDRESS` (ADDRESS is `UNIX-CONNECT:path` or `TCP:host:port`); returns stdout.
    /// The proxy closes the connection once it has answered; socat's default half a second of waiting after its
    /// input ends would cut a late answer short on a loaded machine.
    /// </summary>
    public static async Task<string> SocatAsync(string address, string input)
    {
        var result = await CommandRunner.RunAsync(CommandRunner.Require("socat", "socat"), ["-t", "30", "stdio", address],
            timeout: TimeSpan.FromSeconds(30), standardInput: input);
        Assert.True(result.ExitCode == 0, $"socat {address} failed ({result.ExitCode}): {result.StandardError}");
        return result.StandardOutput;
    }

    public static Task<string> UnixAsync(string path, string command) => SocatAsync("UNIX-CONNECT:" + path, command + "\n");

    /// <summary>Runs curl with the arguments; returns the status, the response head and the body.</summary>
    public static async Task<(int Status, string Head, string Body)> CurlAsync(params string[] arguments)
    {
        var directory = Ports.TempDirectory();
        var headFile = Path.Combine(directory, "head");
        var result = await CommandRunner.RunAsync(CommandRunner.Require("curl", "curl"),
            ["-sS", "--max-time", "15", "-D", headFile, "-o", "-", .. arguments], timeout: TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"curl failed ({result.ExitCode}): {result.StandardError}");
        var head = await File.ReadAllTextAsync(headFile);
        var statusLine = head.Split('\n')[0];
        return (int.Parse(statusLine.Split(' ')[1], CultureInfo.InvariantCulture), head, result.StandardOutput);
    }

    public static string Url(int port, string path) => "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + path;

    /// <summary>The rows of a CSV answer, keyed "pxname/svname", each column by name.</summary>
    public static Dictionary<string, Dictionary<string, string>> ParseCsv(string csv)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("# ", lines[0], StringComparison.Ordinal);
        var names = lines[0][2..].Split(',');
        var rows = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            var values = line.Split(',');
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < names.Length && i < values.Length; i++)
            {
                row[names[i]] = values[i];
            }

            rows[values[0] + "/" + values[1]] = row;
        }

        return rows;
    }

    /// <summary>Waits until a unix socket accepts.</summary>
    public static async Task WaitForUnixSocketAsync(string path, PeerProcess? owner = null)
    {
        var deadline = DateTime.UtcNow + TestTimeout.Value;
        while (true)
        {
            try
            {
                using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && owner is not { HasExited: true })
            {
                await Task.Delay(50);
            }
        }
    }
}

/// <summary>Debian's haproxy with a configuration written to a temporary directory, killed by its id at dispose.</summary>
internal sealed class HaproxyOracle : IAsyncDisposable
{
    private readonly PeerProcess _process;

    private HaproxyOracle(PeerProcess process) => _process = process;

    public LineCollector Output => _process.Output;

    public int ProcessId => _process.ProcessId;

    /// <summary>
    /// The first lines of a configuration compared under both proxies: the stats socket they are awaited on, and
    /// defaults of <paramref name="mode"/> with short timeouts.
    /// </summary>
    public static string Preamble(string socket, string mode = "http") =>
        $"global\n    stats socket {socket} level admin\ndefaults\n    mode {mode}\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s";

    /// <summary>Starts `haproxy -f CFG -db [ARGUMENTS]` and waits until <paramref name="socketPath"/> accepts.</summary>
    public static async Task<HaproxyOracle> StartAsync(string config, string socketPath, params string[] arguments)
    {
        var haproxy = CommandRunner.Require("haproxy", "haproxy");
        var directory = Ports.TempDirectory();
        var path = Path.Combine(directory, "haproxy.cfg");
        // haproxy refuses a file whose last line has no newline.
        await File.WriteAllTextAsync(path, config.EndsWith('\n') ? config : config + "\n");
        var oracle = new HaproxyOracle(PeerProcess.Start(haproxy, ["-f", path, "-db", .. arguments]));
        try
        {
            await StatsPeers.WaitForUnixSocketAsync(socketPath, oracle._process);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or TimeoutException)
        {
            await oracle.DisposeAsync();
            throw new InvalidOperationException($"haproxy did not open {socketPath}:\n{oracle.Output.Text}", ex);
        }

        return oracle;
    }

    /// <summary>
    /// Runs <paramref name="run"/> with the same configuration (its port and stats socket path filled in) under haproxy
    /// 2.6, then under Sluice, each ready once its stats socket answers (a probe of the port would be traffic of its
    /// own); both observations, for the test to compare.
    /// </summary>
    /// <param name="ports">How many consecutive free ports the configuration takes from the one it is given.</param>
    public static Task<(T Reference, T Ours)> CompareAsync<T>(Func<int, string, string> config, Func<int, string, Task<T>> run, int ports = 1) =>
        CompareAsync(config, (port, socket, _, _) => run(port, socket), ports);

    /// <summary>
    /// <see cref="CompareAsync{T}(Func{int, string, string}, Func{int, string, Task{T}}, int)"/> for observations that
    /// also need the program's process id (signals) or its output; <paramref name="reset"/> runs before each program
    /// starts (a peer's state put back).
    /// </summary>
    public static async Task<(T Reference, T Ours)> CompareAsync<T>(Func<int, string, string> config, Func<int, string, int, LineCollector, Task<T>> run, int ports = 1, Func<Task>? reset = null)
    {
        T reference;
        var (haPort, haSocket) = (FreePorts(ports), Path.Combine(Ports.TempDirectory(), "h.sock"));
        await (reset?.Invoke() ?? Task.CompletedTask);
        await using (var haproxy = await StartAsync(config(haPort, haSocket), haSocket))
        {
            reference = await run(haPort, haSocket, haproxy.ProcessId, haproxy.Output);
        }

        var (port, socket) = (FreePorts(ports), Path.Combine(Ports.TempDirectory(), "s.sock"));
        await (reset?.Invoke() ?? Task.CompletedTask);
        await using var sluice = await SluiceProcess.StartAsync(config(port, socket), []);
        await StatsPeers.WaitForUnixSocketAsync(socket);
        return (reference, await run(port, socket, sluice.ProcessId, sluice.Output));
    }

    /// <summary>The first of <paramref name="count"/> consecutive free ports.</summary>
    public static int FreePorts(int count) => count == 1 ? Ports.FreeListeningPort() : Ports.FreeListeningPortRange(count);

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
