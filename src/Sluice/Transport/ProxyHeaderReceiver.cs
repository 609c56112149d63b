using System.Buffers;
using System.Net.Sockets;
using Sluice.Protocols.ProxyProtocol;

namespace Sluice.Transport;

/// <summary>
/// Takes the PROXY protocol header off an accepted connection (`accept-proxy`, `expect-proxy layer4`), and not
/// one byte more: the header is read with MSG_PEEK, then exactly its length is consumed, so whatever follows
/// (a TLS ClientHello, an HTTP/2 preface) is left for the next layer to read from the socket itself.
/// </summary>
internal static class ProxyHeaderReceiver
{
    // HAProxy's words for a connection that failed before its session began (connection.c, conn_err_code_str).
    public const string Empty = "Connection closed while waiting for PROXY protocol header";
    public const string Aborted = "Connection error while waiting for PROXY protocol header";
    public const string TimedOut = "Timeout while waiting for PROXY protocol header";
    public const string Truncated = "Truncated PROXY protocol header received";
    public const string NotHeader = "Received something which does not look like a PROXY protocol header";
    public const string BadHeader = "Received an invalid PROXY protocol header";

    /// <summary>
    /// The header, or the reason there is none. The caller bounds the wait by closing the socket, which ends it
    /// with <see cref="Aborted"/>.
    /// </summary>
    /// <param name="maxLength">The longest header accepted: the buffer size, as in HAProxy.</param>
    public static async Task<(ProxyHeader? Header, string? Error)> ReceiveAsync(Socket socket, int maxLength)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(maxLength);
        try
        {
            var seen = 0;
            var pause = 1;
            while (true)
            {
                var peeked = await socket.ReceiveAsync(buffer.AsMemory(0, maxLength), SocketFlags.Peek).ConfigureAwait(false);
                if (peeked == 0)
                {
                    return (null, seen == 0 ? Empty : Truncated);
                }

                switch (ProxyHeaderReader.TryRead(buffer.AsSpan(0, peeked), maxLength, out var header, out var length))
                {
                    case ProxyHeaderStatus.Complete:
                        await ConsumeAsync(socket, buffer, length).ConfigureAwait(false);
                        return (header, null);
                    case ProxyHeaderStatus.NotProxyHeader:
                        return (null, NotHeader);
                    case ProxyHeaderStatus.Invalid:
                        return (null, BadHeader);
                }

                // Part of a header has come: a peek returns at once while bytes wait, so pause before the next
                // look, a little longer each time nothing new came. Senders write the header in one piece, so
                // this is the rare path.
                pause = peeked == seen ? Math.Min(pause * 2, 50) : 1;
                seen = peeked;
                await Task.Delay(pause).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return (null, Aborted);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task ConsumeAsync(Socket socket, byte[] buffer, int length)
    {
        var consumed = 0;
        while (consumed < length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(consumed, length - consumed), SocketFlags.None).ConfigureAwait(false);
            if (read == 0)
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            consumed += read;
        }
    }
}
