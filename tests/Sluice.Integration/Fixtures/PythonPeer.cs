using System.Globalization;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// A python peer of <c>Peers/</c> run by Debian's /usr/bin/python3 (python3-h2, python3-grpcio): a server that
/// binds a port of its own choosing and prints <c>listening PORT</c>, then reports what it sees line by line.
/// A missing interpreter or module fails the test, with the package to install.
/// </summary>
internal sealed class PythonPeer : IAsyncDisposable
{
    public const string Python = "/usr/bin/python3";

    private readonly PeerProcess _process;

    private PythonPeer(PeerProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Everything the peer printed.</summary>
    public LineCollector Output => _process.Output;

    public int ProcessId => _process.ProcessId;

    /// <summary>The python-h2 server that answers every request with a report of what it received (h2_report_server.py).</summary>
    /// <param name="extendedConnect">The server enables extended CONNECT (RFC 8441) and echoes what such a stream carries.</param>
    public static Task<PythonPeer> StartH2ReportServerAsync(bool extendedConnect = false) =>
        StartAsync("h2_report_server.py", "python3-h2", extendedConnect ? ["--extended-connect"] : []);

    /// <summary>The gRPC server with raw-bytes test.Echo methods (grpc_echo_server.py).</summary>
    /// <param name="maxConcurrentStreams">The streams it lets a connection carry at once; 0 for grpc's default.</param>
    public static Task<PythonPeer> StartGrpcEchoServerAsync(int maxConcurrentStreams = 0) =>
        StartAsync("grpc_echo_server.py", "python3-grpcio", maxConcurrentStreams > 0 ? [maxConcurrentStreams.ToString(CultureInfo.InvariantCulture)] : []);

    /// <summary>The HTTP/1.1 server with fixed answers of the traffic-log tests (log_backend.py).</summary>
    public static Task<PythonPeer> StartLogBackendAsync() => StartAsync("log_backend.py", "python3", []);

    /// <summary>A server playing the first exchange of a protocol for health checks (check_protocol_server.py: smtp, mysql, ldap, junk, ...).</summary>
    public static Task<PythonPeer> StartCheckProtocolServerAsync(string kind) => StartAsync("check_protocol_server.py", "python3", [kind]);

    /// <summary>An `agent-check` agent answering each connection with the content of <paramref name="replyFile"/> (agent_server.py).</summary>
    public static Task<PythonPeer> StartAgentServerAsync(string replyFile) => StartAsync("agent_server.py", "python3", [replyFile]);

    /// <summary>An agent on <paramref name="address"/>:<paramref name="port"/> rather than on a free port of 127.0.0.1.</summary>
    public static Task<PythonPeer> StartAgentServerAsync(string replyFile, string address, int port) =>
        StartAsync("agent_server.py", "python3", [replyFile, address, port.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Path of a script of <c>Peers/</c>, for clients run with <see cref="Python"/>.</summary>
    public static string Script(string name)
    {
        RequirePython();
        return Path.Combine(AppContext.BaseDirectory, "Peers", name);
    }

    public async ValueTask DisposeAsync() => await _process.DisposeAsync();

    private static async Task<PythonPeer> StartAsync(string script, string package, string[] arguments)
    {
        var process = PeerProcess.Start(Python, [Script(script), .. arguments]);
        try
        {
            var line = await process.WaitForLineAsync(l => l.StartsWith("listening ", StringComparison.Ordinal) || l.Contains("ModuleNotFoundError", StringComparison.Ordinal));
            if (!line.StartsWith("listening ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{script} needs the Debian package '{package}': {line}");
            }

            return new PythonPeer(process, int.Parse(line["listening ".Length..], CultureInfo.InvariantCulture));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    private static void RequirePython()
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is required by this test: install the Debian package 'python3'");
        }
    }
}
