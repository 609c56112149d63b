using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// FreeRDP's xfreerdp as the RDP client, on a display of its own (Xvfb, started per test): it opens the connection
/// with an X.224 Connection Request carrying `Cookie: mstshash=USER`, or a broker's routing token in its place
/// (`/load-balance-info`). `+auth-only` makes it stop once the server answers; here servers answer by closing.
/// </summary>
internal sealed class RdpClient : IAsyncDisposable
{
    private readonly PeerProcess _xvfb;
    private readonly string _display;

    private RdpClient(PeerProcess xvfb, string display)
    {
        _xvfb = xvfb;
        _display = display;
    }

    public static async Task<RdpClient> StartAsync()
    {
        var xvfb = PeerProcess.Start(CommandRunner.Require("Xvfb", "xvfb"), ["-displayfd", "1", "-nolisten", "tcp"]);
        var number = await xvfb.WaitForLineAsync(line => int.TryParse(line, out _)).WaitAsync(TimeSpan.FromSeconds(20));
        return new RdpClient(xvfb, ":" + number.Trim());
    }

    /// <summary>Connects once as <paramref name="user"/>; with <paramref name="routingToken"/>, sends it instead of the user's cookie.</summary>
    public async Task ConnectAsync(int port, string user, string? routingToken = null)
    {
        List<string> arguments = [$"/v:127.0.0.1:{port}", $"/u:{user}", "/p:secret", "+auth-only", "/cert:ignore", "/timeout:5000"];
        if (routingToken is not null)
        {
            arguments.Add($"/load-balance-info:{routingToken}");
        }

        // It always fails (no RDP server answers): what it sent is what the servers recorded.
        await CommandRunner.RunAsync(CommandRunner.Require("xfreerdp", "freerdp2-x11"), arguments,
            timeout: TimeSpan.FromSeconds(20), environment: new Dictionary<string, string> { ["DISPLAY"] = _display });
    }

    public ValueTask DisposeAsync() => _xvfb.DisposeAsync();
}

/// <summary>An RDP server stand-in: reads the Connection Request (its TPKT length), notes the cookie line it carried under its own name, closes.</summary>
internal sealed class RdpCookieRecorder
{
    public ConcurrentQueue<(string Server, string Cookie)> Seen { get; } = new();

    public Func<Socket, Task> Server(string name) => async socket =>
    {
        var header = new byte[4];
        if (!await TryReadExactlyAsync(socket, header))
        {
            return;
        }

        var rest = new byte[Math.Max(0, ((header[2] << 8) | header[3]) - 4)];
        if (!await TryReadExactlyAsync(socket, rest))
        {
            return;
        }

        var text = Encoding.Latin1.GetString(rest);
        var start = text.IndexOf("Cookie: ", StringComparison.Ordinal);
        var end = start < 0 ? -1 : text.IndexOf("\r\n", start, StringComparison.Ordinal);
        Seen.Enqueue((name, end < 0 ? "(none)" : text[(start + 8)..end]));
        socket.Shutdown(SocketShutdown.Both);
    };

    private static async Task<bool> TryReadExactlyAsync(Socket socket, byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
