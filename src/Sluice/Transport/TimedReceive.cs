using System.Net.Security;
using System.Net.Sockets;

namespace Sluice.Transport;

/// <summary>A read bounded in time, for rules that wait for bytes (`tcp-request`/`tcp-response inspect-delay`).</summary>
internal static class TimedReceive
{
    /// <summary>
    /// Reads what arrives on <paramref name="socket"/> (through <paramref name="tls"/> when it speaks TLS) within
    /// <paramref name="timeoutMs"/>: the count, 0 at the peer's end, -1 when the time ran out. A failing socket
    /// throws as the socket does.
    /// </summary>
    public static async ValueTask<int> WithinAsync(Socket socket, SslStream? tls, Memory<byte> buffer, long timeoutMs)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(timeoutMs));
        try
        {
            return tls is not null
                ? await tls.ReadAsync(buffer, timeout.Token).ConfigureAwait(false)
                : await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return -1;
        }
    }
}
